//! Resource leveling for the shells: running it on an analysed plan, and
//! rendering leveled schedules, delay explanations, over-allocations and
//! the weekly load table as text and JSON.

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{PersonIdx, Program, TaskIdx, TaskKind, TeamIdx};
use tiller_engine::level::{
    self, Delay, Holder, LevelError, LevelOptions, Leveled, LoadHolder, LoadReport,
};
use tiller_engine::tick::{Tick, date_of};
use tiller_plan::{Code, Diagnostic};

use crate::Analysis;
use crate::output::{self, ScheduleDoc, TaskRow};

/// A leveled schedule with the plan's warnings, missed dates re-evaluated
/// on the leveled dates.
#[derive(Debug, Clone)]
pub struct Leveling {
    pub leveled: Leveled,
    pub warnings: Vec<Diagnostic>,
}

/// Levels an analysed plan.
pub fn level(a: &Analysis, options: &LevelOptions) -> Result<Leveling, Diagnostic> {
    let leveled = level::level(&a.program, options).map_err(|e| level_error(&a.program, &e))?;
    let mut warnings: Vec<Diagnostic> = a
        .warnings
        .iter()
        .filter(|d| !matches!(d.code, Code::MissedDeadline | Code::MissedPromise))
        .cloned()
        .collect();
    warnings.extend(missed_dates(&a.program, &leveled));
    tiller_plan::diagnostic::sort(&mut warnings);
    Ok(Leveling { leveled, warnings })
}

/// A leveling failure as a diagnostic at the task it concerns.
pub fn level_error(program: &Program, e: &LevelError) -> Diagnostic {
    match e {
        LevelError::Unschedulable { task } => {
            let t = program.task(*task);
            Diagnostic::new(
                Code::NoWorkingTime,
                t.src,
                format!(
                    "`{}` cannot be leveled: its people or shared resources never have room for it",
                    t.id
                ),
            )
            .help("check that the people and resources it needs work some day, and the units it books")
        }
        LevelError::TooFar { task } => {
            let t = program.task(*task);
            Diagnostic::new(
                Code::TooFar,
                t.src,
                format!(
                    "`{}` would finish more than {} years after the program start once resources are leveled",
                    t.id,
                    tiller_engine::cpm::MAX_DAYS / 365
                ),
            )
            .help("check the units of long efforts, and who the work is assigned to")
        }
        LevelError::Model(m) => Diagnostic::nowhere(Code::DependencyCycle, m.to_string()),
    }
}

/// Missed deadlines and promises on the leveled dates.
pub fn missed_dates(program: &Program, l: &Leveled) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, t) in program.tasks.iter().enumerate() {
        let due = t.deadline.iter().chain(t.promised.iter()).fold(
            None::<(NaiveDate, tiller_core::SourceRef, bool)>,
            |best, d| match best {
                Some(b) if b.0 <= d.value => Some(b),
                _ => Some((d.value, d.at, t.promised.as_ref() == Some(d))),
            },
        );
        let Some((date, at, promised)) = due else {
            continue;
        };
        let lt = &l.tasks[i];
        let due_tick = end_tick(l, date);
        if lt.finish <= due_tick {
            continue;
        }
        let late = l.working_days(due_tick, lt.finish);
        let (code, what, kind_due) = if promised {
            (Code::MissedPromise, "misses its promised date", "promised")
        } else {
            (Code::MissedDeadline, "misses its deadline", "deadline")
        };
        let kind = if t.kind == TaskKind::Milestone {
            "milestone"
        } else {
            "task"
        };
        out.push(
            Diagnostic::new(code, at, format!("{kind} `{}` {what} {date}", t.id))
                .label(format!(
                    "leveled {} is {}: {} working day{} late",
                    if t.kind == TaskKind::Milestone {
                        "date"
                    } else {
                        "finish"
                    },
                    l.date(lt.finish),
                    late,
                    if late == 1 { "" } else { "s" }
                ))
                .help(format!(
                    "the resource-constrained critical chain decides this date: `tiller schedule --level --explain {}` shows what drives it, or renegotiate the {kind_due} date",
                    t.id
                )),
        );
    }
    out
}

fn end_tick(l: &Leveled, date: NaiveDate) -> Tick {
    2 * (date - l.origin).num_days() + 1
}

// ------------------------------------------------------------------ names

fn person_id(program: &Program, p: PersonIdx) -> &str {
    &program.person(p).id
}

fn holder_name(program: &Program, h: Holder) -> (&'static str, &str) {
    match h {
        Holder::Person(p) => ("person", &program.person(p).id),
        Holder::Shared(r) => ("resource", &program.resources[r.index()].id),
    }
}

fn load_holder_name(program: &Program, h: LoadHolder) -> (&'static str, &str) {
    match h {
        LoadHolder::Person(p) => ("person", &program.person(p).id),
        LoadHolder::Team(t) => ("team", &program.team(t).id),
        LoadHolder::Shared(r) => ("resource", &program.resources[r.index()].id),
    }
}

fn ids(program: &Program, tasks: &[TaskIdx]) -> Vec<String> {
    tasks.iter().map(|t| program.task(*t).id.clone()).collect()
}

fn list(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        _ => format!(
            "{} and {}",
            items[..items.len() - 1].join(", "),
            items[items.len() - 1]
        ),
    }
}

fn day(l: &Leveled, d: i64) -> NaiveDate {
    l.day_date(d)
}

fn days_range(l: &Leveled, first: i64, last: i64) -> String {
    if first == last {
        day(l, first).to_string()
    } else {
        format!("{}..{}", day(l, first), day(l, last))
    }
}

/// A short reason for the table's WHY column.
pub fn short_reason(program: &Program, d: &Delay) -> String {
    match d {
        Delay::Predecessor { tasks } => format!("after {}", ids(program, tasks).join(", ")),
        Delay::Resource { holder, tasks, .. } => {
            let (kind, id) = holder_name(program, *holder);
            let verb = if kind == "person" { "busy" } else { "full" };
            format!("{id} {verb}: {}", ids(program, tasks).join(", "))
        }
        Delay::Calendar {
            people, resources, ..
        } => {
            let mut parts: Vec<String> = people
                .iter()
                .map(|p| format!("{} off", person_id(program, *p)))
                .collect();
            parts.extend(
                resources
                    .iter()
                    .map(|r| format!("{} closed", program.resources[r.index()].id)),
            );
            if parts.is_empty() {
                "calendar gap".to_string()
            } else {
                parts.join(", ")
            }
        }
        Delay::Unforced => "not forced".to_string(),
    }
}

/// A full sentence saying why a task starts when it does.
pub fn long_reason(program: &Program, l: &Leveled, d: &Delay) -> String {
    match d {
        Delay::Predecessor { tasks } => {
            let parts: Vec<String> = tasks
                .iter()
                .map(|t| {
                    let lt = &l.tasks[t.index()];
                    format!(
                        "{} ({} → {})",
                        program.task(*t).id,
                        l.date(lt.start),
                        l.date(lt.finish)
                    )
                })
                .collect();
            format!(
                "it starts as soon as its predecessor{} {} allow{}",
                if tasks.len() == 1 { "" } else { "s" },
                list(&parts),
                if tasks.len() == 1 { "s" } else { "" }
            )
        }
        Delay::Resource {
            holder,
            day: d,
            tasks,
        } => {
            let (kind, id) = holder_name(program, *holder);
            let who = list(&ids(program, tasks));
            if kind == "person" {
                format!(
                    "a working day earlier it would overlap {who}: {id} works on {} on {}",
                    if tasks.len() == 1 { "it" } else { "them" },
                    day(l, *d)
                )
            } else {
                format!(
                    "a working day earlier the shared resource {id} would be over-booked on {}: {who} {} it",
                    day(l, *d),
                    if tasks.len() == 1 { "uses" } else { "use" }
                )
            }
        }
        Delay::Calendar {
            first,
            last,
            people,
            resources,
        } => {
            let mut parts: Vec<String> = Vec::new();
            if !people.is_empty() {
                let names: Vec<String> = people
                    .iter()
                    .map(|p| person_id(program, *p).to_string())
                    .collect();
                parts.push(format!(
                    "{} {} not working",
                    list(&names),
                    if names.len() == 1 { "is" } else { "are" }
                ));
            }
            if !resources.is_empty() {
                let names: Vec<String> = resources
                    .iter()
                    .map(|r| program.resources[r.index()].id.clone())
                    .collect();
                parts.push(format!(
                    "{} {} closed",
                    list(&names),
                    if names.len() == 1 { "is" } else { "are" }
                ));
            }
            format!(
                "its calendar has no working time on {}{}",
                days_range(l, *first, *last),
                if parts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", parts.join("; "))
                }
            )
        }
        Delay::Unforced => "nothing in the schedule stops it from starting earlier".to_string(),
    }
}

// ------------------------------------------------------------------ JSON

/// `delay_reason` in the leveled JSON.
#[derive(Debug, Serialize)]
pub struct DelayReason {
    /// `resource`, `predecessor`, `calendar` or `unforced`.
    pub kind: &'static str,
    /// The person or shared resource (kind `resource`).
    pub resource: Option<String>,
    /// `person` or `resource` (kind `resource`).
    pub resource_kind: Option<&'static str>,
    /// The day the resource would be over-allocated (kind `resource`).
    pub day: Option<NaiveDate>,
    /// Blocking tasks (resource) or binding predecessors (predecessor).
    pub tasks: Vec<String>,
    /// The calendar gap (kind `calendar`).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// People not working and shared resources closed in the gap.
    pub people: Vec<String>,
    pub resources: Vec<String>,
}

pub fn delay_reason(program: &Program, l: &Leveled, d: &Delay) -> DelayReason {
    let mut r = DelayReason {
        kind: "unforced",
        resource: None,
        resource_kind: None,
        day: None,
        tasks: Vec::new(),
        from: None,
        to: None,
        people: Vec::new(),
        resources: Vec::new(),
    };
    match d {
        Delay::Predecessor { tasks } => {
            r.kind = "predecessor";
            r.tasks = ids(program, tasks);
        }
        Delay::Resource {
            holder,
            day: dd,
            tasks,
        } => {
            let (kind, id) = holder_name(program, *holder);
            r.kind = "resource";
            r.resource = Some(id.to_string());
            r.resource_kind = Some(kind);
            r.day = Some(day(l, *dd));
            r.tasks = ids(program, tasks);
        }
        Delay::Calendar {
            first,
            last,
            people,
            resources,
        } => {
            r.kind = "calendar";
            r.from = Some(day(l, *first));
            r.to = Some(day(l, *last));
            r.people = people
                .iter()
                .map(|p| person_id(program, *p).to_string())
                .collect();
            r.resources = resources
                .iter()
                .map(|x| program.resources[x.index()].id.clone())
                .collect();
        }
        Delay::Unforced => {}
    }
    r
}

#[derive(Debug, Serialize)]
pub struct LeveledTaskRow {
    #[serde(flatten)]
    pub base: TaskRow,
    /// People doing the work (named, or chosen from the team).
    pub assigned_to: Vec<String>,
    /// Start and finish without leveling.
    pub resource_free_start: NaiveDate,
    pub resource_free_finish: NaiveDate,
    /// Working days later than the resource-free start.
    pub delay_days: i64,
    pub delay_reason: Option<DelayReason>,
    pub critical_chain: bool,
}

#[derive(Debug, Serialize)]
pub struct LeveledMilestoneRow {
    #[serde(flatten)]
    pub base: output::MilestoneRow,
    pub resource_free_date: NaiveDate,
    pub delay_days: i64,
    pub delay_reason: Option<DelayReason>,
    pub critical_chain: bool,
}

#[derive(Debug, Serialize)]
pub struct SearchDoc {
    pub schedules: u64,
    pub max_schedules: u64,
    pub seed: u64,
    pub strategy: String,
    pub stopped_by: String,
}

/// The `tiller schedule --level --json` document: the schedule document
/// with leveled dates, plus the leveling fields.
#[derive(Debug, Serialize)]
pub struct LeveledDoc {
    pub program: output::ProgramInfo,
    pub leveled: bool,
    pub finish: NaiveDate,
    pub resource_free_finish: NaiveDate,
    pub tasks: Vec<LeveledTaskRow>,
    pub milestones: Vec<LeveledMilestoneRow>,
    /// Critical path of the resource-free schedule.
    pub critical_path: Vec<String>,
    pub critical_paths: Vec<Vec<String>>,
    /// One chain of tasks ending the leveled program, each driving the next
    /// through a dependency or a resource.
    pub critical_chain: Vec<String>,
    pub search: SearchDoc,
    pub warnings: Vec<output::WarningRow>,
}

fn strategy_name(l: &Leveled) -> (String, String) {
    let s = match l.search.strategy {
        level::Strategy::Auto => "auto",
        level::Strategy::Genetic => "genetic",
        level::Strategy::PriorityRules => "priority-rules",
    };
    let stop = match l.search.stopped_by {
        level::StopReason::ScheduleBudget => "schedule-budget",
        level::StopReason::TimeLimit => "time-limit",
        level::StopReason::LowerBound => "lower-bound",
    };
    (s.to_string(), stop.to_string())
}

/// Slack against a milestone's promise (or earlier deadline) on the leveled
/// date; without either, `None`.
fn milestone_slack(program: &Program, l: &Leveled, t: TaskIdx) -> Option<i64> {
    let task = program.task(t);
    let due = task
        .deadline
        .iter()
        .chain(task.promised.iter())
        .map(|d| d.value)
        .min()?;
    Some(l.working_days(l.tasks[t.index()].finish, end_tick(l, due)))
}

pub fn leveled_doc(a: &Analysis, lv: &Leveling) -> LeveledDoc {
    let program = &a.program;
    let l = &lv.leveled;
    let doc: ScheduleDoc = output::schedule_doc(program, &a.schedule, &lv.warnings, &a.sources);
    let ScheduleDoc {
        program: info,
        tasks,
        milestones,
        critical_path,
        critical_paths,
        warnings,
        ..
    } = doc;
    let by_id = |id: &str| program.find_task(id);
    let tasks = tasks
        .into_iter()
        .map(|mut base| {
            let t = by_id(&base.id).unwrap_or(TaskIdx(0));
            let lt = &l.tasks[t.index()];
            base.start = l.date(lt.start);
            base.finish = l.date(lt.finish);
            base.working_days = lt.working_days;
            LeveledTaskRow {
                base,
                assigned_to: lt
                    .assigned
                    .iter()
                    .map(|p| person_id(program, *p).to_string())
                    .collect(),
                resource_free_start: l.date(lt.free_start),
                resource_free_finish: l.date(lt.free_finish),
                delay_days: lt.delay_days,
                delay_reason: lt.delay.as_ref().map(|d| delay_reason(program, l, d)),
                critical_chain: lt.critical_chain,
            }
        })
        .collect();
    let milestones = milestones
        .into_iter()
        .map(|mut base| {
            let t = by_id(&base.id).unwrap_or(TaskIdx(0));
            let lt = &l.tasks[t.index()];
            let date = l.date(lt.finish);
            base.date = date;
            if let Some(slack) = milestone_slack(program, l, t) {
                base.float = slack;
            }
            base.on_time = base.promised.map(|p| date <= p);
            LeveledMilestoneRow {
                base,
                resource_free_date: l.date(lt.free_finish),
                delay_days: lt.delay_days,
                delay_reason: lt.delay.as_ref().map(|d| delay_reason(program, l, d)),
                critical_chain: lt.critical_chain,
            }
        })
        .collect();
    let (strategy, stopped_by) = strategy_name(l);
    LeveledDoc {
        program: info,
        leveled: true,
        finish: l.date(l.finish),
        resource_free_finish: l.date(l.free_finish),
        tasks,
        milestones,
        critical_path,
        critical_paths,
        critical_chain: ids(program, &l.critical_chain),
        search: SearchDoc {
            schedules: l.search.schedules,
            max_schedules: l.search.max_schedules,
            seed: l.search.seed,
            strategy,
            stopped_by,
        },
        warnings,
    }
}

pub fn to_json<T: Serialize>(doc: &T) -> String {
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}

/// One over-allocation in JSON.
#[derive(Debug, Serialize)]
pub struct OverRow {
    /// `person`, `team` or `resource`.
    pub kind: &'static str,
    pub id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Over-allocated days in the range.
    pub days: u32,
    /// Largest demand in the range (people or units) and the capacity then.
    pub demand: i64,
    pub capacity: i64,
    pub tasks: Vec<String>,
}

pub fn over_rows(program: &Program, report: &LoadReport) -> Vec<OverRow> {
    report
        .over
        .iter()
        .map(|o| {
            let (kind, id) = load_holder_name(program, o.holder);
            OverRow {
                kind,
                id: id.to_string(),
                from: day_of(program, o.first),
                to: day_of(program, o.last),
                days: o.days,
                demand: o.peak,
                capacity: o.capacity,
                tasks: ids(program, &o.tasks),
            }
        })
        .collect()
}

fn day_of(program: &Program, d: i64) -> NaiveDate {
    date_of(program.start, d).unwrap_or(program.start)
}

/// The schedule document with the resource-free schedule's
/// over-allocations added (`tiller schedule --json` without `--level`).
#[derive(Debug, Serialize)]
pub struct ScheduleWithLoad<'a> {
    #[serde(flatten)]
    pub doc: &'a ScheduleDoc,
    pub leveled: bool,
    pub over_allocations: Vec<OverRow>,
}

// ------------------------------------------------------------------ text

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut out: String = s.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn trim_lines(out: &str) -> String {
    out.lines().map(|l| format!("{}\n", l.trim_end())).collect()
}

/// The leveled schedule as a table.
pub fn leveled_table(a: &Analysis, lv: &Leveling) -> String {
    let program = &a.program;
    let l = &lv.leveled;
    let rows = output::outline(program);
    let id_width = rows
        .iter()
        .map(|(t, d)| program.task(*t).id.chars().count() + 2 * d)
        .max()
        .unwrap_or(2)
        .clamp(9, 36);
    let name_width = 30;
    let leaves = program
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Leaf)
        .count();
    let milestones = program
        .tasks
        .iter()
        .filter(|t| t.kind == TaskKind::Milestone)
        .count();
    let mut out = String::new();
    let shift = l.working_days(l.free_finish, l.finish);
    out.push_str(&format!(
        "{}\nstart {}  finish {}{}  ({}, {}; resources leveled: {} of {} schedules, seed {}{})\nresource-free finish {} ({})\n\n",
        if program.name.is_empty() {
            "Schedule"
        } else {
            &program.name
        },
        program.start,
        l.date(l.finish),
        program
            .status_date
            .map(|d| format!("  as of {d}"))
            .unwrap_or_default(),
        count(leaves, "task"),
        count(milestones, "milestone"),
        l.search.schedules,
        l.search.max_schedules,
        l.search.seed,
        if l.search.stopped_by == level::StopReason::LowerBound {
            "; no shorter schedule exists"
        } else {
            ""
        },
        l.date(l.free_finish),
        match shift {
            0 => "leveling does not move the finish".to_string(),
            s if s > 0 => format!("leveling adds {} working day{}", s, if s == 1 { "" } else { "s" }),
            s => format!(
                "{} working day{} earlier: team work goes to specific people at their own availability",
                -s,
                if s == -1 { "" } else { "s" }
            ),
        }
    ));
    out.push_str(&format!(
        "{} {} {:<10}  {:<10}  {:>5} {:>5}  {:<14} {:<5} {}\n",
        pad("ID", id_width),
        pad("NAME", name_width),
        "START",
        "FINISH",
        "DAYS",
        "DELAY",
        "ASSIGNED",
        "CHAIN",
        "WHY LATER"
    ));
    for (idx, depth) in &rows {
        let t = program.task(*idx);
        if t.kind == TaskKind::Milestone {
            continue;
        }
        let lt = &l.tasks[idx.index()];
        let id = truncate(&format!("{}{}", "  ".repeat(*depth), t.id), id_width);
        let who: Vec<&str> = lt.assigned.iter().map(|p| person_id(program, *p)).collect();
        out.push_str(&format!(
            "{} {} {}  {}  {:>5} {:>5}  {:<14} {:<5} {}\n",
            pad(&id, id_width),
            pad(&truncate(&t.name, name_width), name_width),
            l.date(lt.start),
            l.date(lt.finish),
            lt.working_days,
            if lt.delay_days > 0 {
                lt.delay_days.to_string()
            } else {
                String::new()
            },
            truncate(&who.join(","), 14),
            if lt.critical_chain { "*" } else { "" },
            lt.delay
                .as_ref()
                .map(|d| truncate(&short_reason(program, d), 44))
                .unwrap_or_default()
        ));
    }
    if milestones > 0 {
        out.push_str(&format!(
            "\n{} {} {:<10}  {:<10}  {:>6}  {:<24} {}\n",
            pad("MILESTONE", id_width),
            pad("NAME", name_width),
            "DATE",
            "PROMISED",
            "FLOAT",
            "STATUS",
            "CHAIN"
        ));
        for (idx, _) in &rows {
            let t = program.task(*idx);
            if t.kind != TaskKind::Milestone {
                continue;
            }
            let lt = &l.tasks[idx.index()];
            let date = l.date(lt.finish);
            let slack = milestone_slack(program, l, *idx);
            let (promised, status) = match &t.promised {
                Some(p) if date <= p.value => (p.value.to_string(), "on time".to_string()),
                Some(p) => (
                    p.value.to_string(),
                    format!("LATE by {} working days", -slack.unwrap_or(0)),
                ),
                None => ("-".to_string(), String::new()),
            };
            out.push_str(&format!(
                "{} {} {}  {:<10}  {:>6}  {:<24} {}\n",
                pad(&truncate(&t.id, id_width), id_width),
                pad(&truncate(&t.name, name_width), name_width),
                date,
                promised,
                slack.map_or_else(|| "-".to_string(), |s| s.to_string()),
                status,
                if lt.critical_chain { "*" } else { "" }
            ));
        }
    }
    if !l.critical_chain.is_empty() {
        out.push_str(&format!(
            "\nCritical chain: {}\n",
            ids(program, &l.critical_chain).join(" → ")
        ));
    }
    out.push_str(
        "(DELAY: working days later than without leveling; `--explain TASK` says why in full)\n",
    );
    trim_lines(&out)
}

/// Why one task of a leveled schedule starts when it does.
pub fn explain_text(a: &Analysis, lv: &Leveling, task: TaskIdx) -> String {
    let program = &a.program;
    let l = &lv.leveled;
    let t = program.task(task);
    let lt = &l.tasks[task.index()];
    let mut out = String::new();
    out.push_str(&format!("{}  {}\n", t.id, t.name));
    let who: Vec<&str> = lt.assigned.iter().map(|p| person_id(program, *p)).collect();
    out.push_str(&format!(
        "  leveled        {} → {}{}\n",
        l.date(lt.start),
        l.date(lt.finish),
        if who.is_empty() {
            String::new()
        } else {
            format!("   {}", who.join(", "))
        }
    ));
    out.push_str(&format!(
        "  resource-free  {} → {}\n",
        l.date(lt.free_start),
        l.date(lt.free_finish)
    ));
    if t.kind == TaskKind::Summary {
        out.push_str("  a summary: its dates are those of its tasks; explain them one by one\n");
        return trim_lines(&out);
    }
    let in_progress = lt.resume != lt.start;
    if in_progress {
        out.push_str(&format!(
            "  in progress since {}; the remaining work runs from {}\n",
            l.date(lt.start),
            l.date(lt.resume)
        ));
    }
    let what = if in_progress {
        "its remaining work starts"
    } else {
        "starts"
    };
    match &lt.delay {
        Some(d) => out.push_str(&format!(
            "  {what} {} working day{} later than without leveling: {}.\n",
            lt.delay_days,
            if lt.delay_days == 1 { "" } else { "s" },
            long_reason(program, l, d)
        )),
        None if lt.start < lt.free_start => out.push_str(&format!(
            "  {what} earlier than without leveling (team work goes to specific people at their own availability).\n"
        )),
        None => out.push_str(&format!("  {what} on its resource-free date: leveling does not delay it.\n")),
    }
    let chain = l.driving_chain(task);
    if !chain.is_empty() {
        out.push_str("  driven by (each line drives the one above it):\n");
        for c in chain {
            let ct = &l.tasks[c.index()];
            let why = match &ct.delay {
                Some(d) => short_reason(program, d),
                None => "not delayed by leveling".to_string(),
            };
            out.push_str(&format!(
                "    {:<28} {} → {}  {}\n",
                program.task(c).id,
                l.date(ct.start),
                l.date(ct.finish),
                why
            ));
        }
    }
    out.push_str(&format!(
        "  on the critical chain: {}\n",
        if lt.critical_chain {
            "yes (delaying it delays the leveled finish)"
        } else {
            "no"
        }
    ));
    trim_lines(&out)
}

/// The over-allocations of the resource-free schedule, as a section to
/// append to its table (empty when nothing is over-allocated).
pub fn over_allocation_section(program: &Program, report: &LoadReport) -> String {
    if report.over.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    out.push_str(&format!(
        "\nOver-allocated ({} without leveling; `tiller schedule --level` resolves them, `tiller load` shows the weekly load):\n",
        count(report.over.len(), "range")
    ));
    let name_w = report
        .over
        .iter()
        .map(|o| load_holder_label(program, o.holder).chars().count())
        .max()
        .unwrap_or(4)
        .clamp(4, 24);
    for o in &report.over {
        out.push_str(&format!(
            "  {} {:<22} {:>3} day{} {:>3}/{:<3} {}\n",
            pad(
                &truncate(&load_holder_label(program, o.holder), name_w),
                name_w
            ),
            if o.first == o.last {
                day_of(program, o.first).to_string()
            } else {
                format!("{}..{}", day_of(program, o.first), day_of(program, o.last))
            },
            o.days,
            if o.days == 1 { " " } else { "s" },
            o.peak,
            o.capacity,
            ids(program, &o.tasks).join(", ")
        ));
    }
    trim_lines(&out)
}

fn load_holder_label(program: &Program, h: LoadHolder) -> String {
    match h {
        LoadHolder::Person(p) => program.person(p).id.clone(),
        LoadHolder::Team(t) => format!("team {}", program.team(t).id),
        LoadHolder::Shared(r) => program.resources[r.index()].id.clone(),
    }
}

fn cell(w: &level::WeekLoad) -> String {
    if w.capacity == 0 && w.assigned == 0 {
        return "-".to_string();
    }
    let pct = if w.capacity == 0 {
        "∞".to_string()
    } else {
        format!("{}%", (w.assigned * 100 + w.capacity / 2) / w.capacity)
    };
    if w.over { format!("{pct}!") } else { pct }
}

/// The weekly load table.
pub fn load_table(program: &Program, report: &LoadReport) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} — weekly load of the {}\n",
        if program.name.is_empty() {
            "Program"
        } else {
            &program.name
        },
        if report.leveled {
            "leveled schedule"
        } else {
            "resource-free schedule (`--level` for the leveled one)"
        }
    ));
    out.push_str(
        "load = work assigned / work available that week; ! = over-allocated that week or on one of its days\n\n",
    );
    let label = |h: LoadHolder| match h {
        LoadHolder::Person(p) => {
            let indent = if program.person(p).team.is_some() {
                "  "
            } else {
                ""
            };
            format!("{indent}{}", program.person(p).id)
        }
        LoadHolder::Team(t) => program.team(t).id.clone(),
        LoadHolder::Shared(r) => program.resources[r.index()].id.clone(),
    };
    let w = report
        .rows
        .iter()
        .map(|r| label(r.holder).chars().count())
        .max()
        .unwrap_or(4)
        .clamp(6, 24);
    let col = 6;
    // Weeks in chunks so the table stays readable.
    let per_line = 12;
    for (chunk_no, chunk) in report.weeks.chunks(per_line).enumerate() {
        if chunk_no > 0 {
            out.push('\n');
        }
        let mut header = format!("{} ", pad("WEEK OF", w));
        for &wk in chunk {
            header.push_str(&format!(
                "{:>col$}",
                day_of(program, wk).format("%m-%d").to_string()
            ));
        }
        out.push_str(&header);
        out.push('\n');
        let base = chunk_no * per_line;
        for row in &report.rows {
            let mut line = format!("{} ", pad(&truncate(&label(row.holder), w), w));
            for k in 0..chunk.len() {
                line.push_str(&format!("{:>col$}", cell(&row.weeks[base + k])));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    if !report.over.is_empty() && !report.leveled {
        out.push_str(&over_allocation_section(program, report));
    }
    trim_lines(&out)
}

#[derive(Debug, Serialize)]
pub struct WeekCell {
    pub week: NaiveDate,
    /// Person-days (people, teams) or unit-days (resources).
    pub assigned: f64,
    pub available: f64,
    /// Assigned / available in percent; null when nothing is available.
    pub load_pct: Option<f64>,
    pub over: bool,
}

#[derive(Debug, Serialize)]
pub struct LoadRowDoc {
    pub kind: &'static str,
    pub id: String,
    /// The person's team.
    pub team: Option<String>,
    pub weeks: Vec<WeekCell>,
}

#[derive(Debug, Serialize)]
pub struct LoadDoc {
    pub program: String,
    pub leveled: bool,
    pub weeks: Vec<NaiveDate>,
    pub rows: Vec<LoadRowDoc>,
    pub over_allocations: Vec<OverRow>,
}

pub fn load_doc(program: &Program, report: &LoadReport) -> LoadDoc {
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let (kind, id) = load_holder_name(program, r.holder);
            let team = match r.holder {
                LoadHolder::Person(p) => program
                    .person(p)
                    .team
                    .map(|t: TeamIdx| program.team(t).id.clone()),
                _ => None,
            };
            LoadRowDoc {
                kind,
                id: id.to_string(),
                team,
                weeks: r
                    .weeks
                    .iter()
                    .zip(&report.weeks)
                    .map(|(c, &wk)| WeekCell {
                        week: day_of(program, wk),
                        assigned: c.assigned as f64 / 1000.0,
                        available: c.capacity as f64 / 1000.0,
                        load_pct: (c.capacity > 0).then(|| {
                            ((c.assigned as f64 / c.capacity as f64) * 1000.0).round() / 10.0
                        }),
                        over: c.over,
                    })
                    .collect(),
            }
        })
        .collect();
    LoadDoc {
        program: program.name.clone(),
        leveled: report.leveled,
        weeks: report.weeks.iter().map(|&w| day_of(program, w)).collect(),
        rows,
        over_allocations: over_rows(program, report),
    }
}

/// The resource-free schedule's over-allocations (for `tiller schedule`
/// without `--level`).
pub fn resource_free_load(program: &Program) -> Result<LoadReport, Diagnostic> {
    level::load(program).map_err(|e| level_error(program, &e))
}

/// The resource-free schedule document with `leveled: false` and its
/// over-allocations: what `tiller schedule --json` prints without
/// `--level`, and what the server's schedule view serves.
pub fn with_over_allocations<'a>(program: &Program, doc: &'a ScheduleDoc) -> ScheduleWithLoad<'a> {
    let over_allocations = resource_free_load(program)
        .map(|r| over_rows(program, &r))
        .unwrap_or_default();
    ScheduleWithLoad {
        doc,
        leveled: false,
        over_allocations,
    }
}

/// The leveled schedule's load.
pub fn leveled_load(program: &Program, lv: &Leveling) -> Result<LoadReport, Diagnostic> {
    lv.leveled
        .load(program)
        .map_err(|e| level_error(program, &e))
}

/// Finds a task or milestone by id, with a suggestion when it is misspelt.
pub fn find_task(program: &Program, id: &str) -> Result<TaskIdx, String> {
    if let Some(t) = program.find_task(id) {
        return Ok(t);
    }
    let mut best: Option<(usize, &str)> = None;
    for t in &program.tasks {
        let d = edit_distance(&t.id, id);
        if best.is_none_or(|b| d < b.0) {
            best = Some((d, &t.id));
        }
    }
    Err(match best {
        Some((d, s)) if d <= 3 => {
            format!("no task or milestone `{id}` in the plan (did you mean `{s}`?)")
        }
        _ => format!("no task or milestone `{id}` in the plan"),
    })
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The leveled schedule as CSV, one row per task, summary and milestone in
/// outline order.
pub fn leveled_csv(program: &Program, lv: &Leveling) -> Result<String, csv::Error> {
    let l = &lv.leveled;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "name",
        "kind",
        "parent",
        "team",
        "start",
        "finish",
        "resource_free_start",
        "resource_free_finish",
        "working_days",
        "delay_days",
        "assigned_to",
        "critical_chain",
        "delay_kind",
        "delay_resource",
        "delay_tasks",
    ])?;
    for (idx, _) in output::outline(program) {
        let t = program.task(idx);
        let lt = &l.tasks[idx.index()];
        let kind = match t.kind {
            TaskKind::Leaf => "task",
            TaskKind::Summary => "summary",
            TaskKind::Milestone => "milestone",
        };
        let reason = lt.delay.as_ref().map(|d| delay_reason(program, l, d));
        w.write_record([
            t.id.clone(),
            t.name.clone(),
            kind.to_string(),
            t.parent
                .map_or_else(String::new, |p| program.task(p).id.clone()),
            t.team
                .map_or_else(String::new, |tm| program.team(tm).id.clone()),
            l.date(lt.start).to_string(),
            l.date(lt.finish).to_string(),
            l.date(lt.free_start).to_string(),
            l.date(lt.free_finish).to_string(),
            lt.working_days.to_string(),
            lt.delay_days.to_string(),
            lt.assigned
                .iter()
                .map(|p| person_id(program, *p))
                .collect::<Vec<_>>()
                .join(" "),
            lt.critical_chain.to_string(),
            reason.as_ref().map_or("", |r| r.kind).to_string(),
            reason
                .as_ref()
                .and_then(|r| r.resource.clone())
                .unwrap_or_default(),
            reason.map_or_else(String::new, |r| r.tasks.join(" ")),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
