//! Schedules as a readable table, as JSON and as CSV.

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{Program, TaskIdx, TaskKind, TaskStatus};
use tiller_engine::Schedule;
use tiller_engine::cost::planned_work;
use tiller_engine::evm::fraction_done;
use tiller_plan::{Diagnostic, SourceMap};

/// One task in the JSON output. Dates are ISO 8601; floats are working days.
#[derive(Debug, Serialize)]
pub struct TaskRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub parent: Option<String>,
    pub team: Option<String>,
    pub start: NaiveDate,
    pub finish: NaiveDate,
    pub early_start: NaiveDate,
    pub early_finish: NaiveDate,
    pub late_start: NaiveDate,
    pub late_finish: NaiveDate,
    pub working_days: i64,
    pub total_float: i64,
    pub free_float: i64,
    pub critical: bool,
    /// `not_started`, `in_progress` or `done`, as of the status date.
    pub status: &'static str,
    /// Fraction complete as of the status date (summaries: by planned work).
    pub done: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
}

#[derive(Debug, Serialize)]
pub struct MilestoneRow {
    pub id: String,
    pub name: String,
    pub date: NaiveDate,
    pub promised: Option<NaiveDate>,
    /// Working days from the milestone to its promised date (negative when the promise
    /// is missed); without a promise, its total float.
    pub float: i64,
    pub on_time: Option<bool>,
    pub critical: bool,
}

#[derive(Debug, Serialize)]
pub struct ProgramInfo {
    pub name: String,
    pub start: NaiveDate,
    pub status_date: Option<NaiveDate>,
    pub currency: String,
}

#[derive(Debug, Serialize)]
pub struct WarningRow {
    pub code: &'static str,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// The `tiller schedule --json` document.
#[derive(Debug, Serialize)]
pub struct ScheduleDoc {
    pub program: ProgramInfo,
    pub finish: NaiveDate,
    pub tasks: Vec<TaskRow>,
    pub milestones: Vec<MilestoneRow>,
    /// The first critical path (the one `critical_paths` lists first).
    pub critical_path: Vec<String>,
    pub critical_paths: Vec<Vec<String>>,
    pub warnings: Vec<WarningRow>,
    /// Present with `--baseline`: variance of every task and milestone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineDoc>,
}

#[derive(Debug, Serialize)]
pub struct BaselineDoc {
    pub name: String,
    pub variance: Vec<crate::tracking::Variance>,
}

/// Tasks and milestones that moved against a baseline, largest finish slip first.
/// Whole currency units with thousands separators: reports read better without cents.
pub fn money(x: f64) -> String {
    tiller_core::Money::from_units(x.round()).map_or_else(|| format!("{x:.0}"), |m| m.to_string())
}

pub fn variance_table(name: &str, rows: &[crate::tracking::Variance]) -> String {
    let mut moved: Vec<&crate::tracking::Variance> = rows
        .iter()
        .filter(|r| {
            r.finish_variance.is_some_and(|v| v != 0) || r.start_variance.is_some_and(|v| v != 0)
        })
        .collect();
    moved.sort_by_key(|r| std::cmp::Reverse(r.finish_variance.unwrap_or(0)));
    let missing = rows.iter().filter(|r| r.baseline_finish.is_none()).count();
    let mut out = format!(
        "\nVariance against baseline `{name}` (working days; + is later): {} of {} moved{}\n",
        moved.len(),
        rows.len(),
        if missing > 0 {
            format!(", {missing} not in the baseline")
        } else {
            String::new()
        }
    );
    if !moved.is_empty() {
        out.push_str(&format!(
            "{:<28} {:<10}  {:<10}  {:>6} {:>7}\n",
            "ID", "BL START", "BL FINISH", "START", "FINISH"
        ));
    }
    for r in moved {
        out.push_str(&format!(
            "{:<28} {:<10}  {:<10}  {:>+6} {:>+7}\n",
            r.id,
            r.baseline_start.map(|d| d.to_string()).unwrap_or_default(),
            r.baseline_finish.map(|d| d.to_string()).unwrap_or_default(),
            r.start_variance.unwrap_or(0),
            r.finish_variance.unwrap_or(0),
        ));
    }
    out
}

/// Slack against the promise when there is one, else the CPM total float.
fn milestone_float(task: &tiller_core::Task, schedule: &Schedule, idx: TaskIdx) -> i64 {
    match (&task.promised, schedule.due_slack[idx.index()]) {
        (Some(_), Some(slack)) => slack,
        _ => schedule.times[idx.index()].total_float,
    }
}

fn status_name(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::NotStarted => "not_started",
        TaskStatus::InProgress => "in_progress",
        TaskStatus::Done => "done",
    }
}

/// Fraction complete of every task as of the status date; summaries weigh their
/// leaves by planned work.
pub fn fractions_done(program: &Program) -> Vec<f64> {
    let Some(date) = program.status_date else {
        return vec![0.0; program.tasks.len()];
    };
    let progress = program.progress_as_of(date);
    let mut done: Vec<f64> = program
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| fraction_done(progress[i].as_ref(), planned_work(t)))
        .collect();
    for (idx, _) in outline(program).into_iter().rev() {
        let t = program.task(idx);
        if t.kind != TaskKind::Summary {
            continue;
        }
        let mut stack = t.children.clone();
        let (mut work, mut earned) = (0.0, 0.0);
        while let Some(c) = stack.pop() {
            let ct = program.task(c);
            if ct.kind == TaskKind::Summary {
                stack.extend(ct.children.iter().copied());
            } else {
                let w = planned_work(ct);
                work += w;
                earned += w * done[c.index()];
            }
        }
        done[idx.index()] = if work > 0.0 { earned / work } else { 0.0 };
    }
    done
}

fn kind_name(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Leaf => "task",
        TaskKind::Summary => "summary",
        TaskKind::Milestone => "milestone",
    }
}

/// Tasks in outline order: each summary followed by its children, with their depth.
pub fn outline(program: &Program) -> Vec<(TaskIdx, usize)> {
    let mut out = Vec::with_capacity(program.tasks.len());
    let mut stack: Vec<(TaskIdx, usize)> = program
        .tasks
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, t)| t.parent.is_none())
        .map(|(i, _)| (TaskIdx(i as u32), 0))
        .collect();
    while let Some((t, depth)) = stack.pop() {
        out.push((t, depth));
        for c in program.task(t).children.iter().rev() {
            stack.push((*c, depth + 1));
        }
    }
    out
}

pub fn warning_rows(warnings: &[Diagnostic], sources: &SourceMap) -> Vec<WarningRow> {
    warnings
        .iter()
        .map(|w| {
            let place = w.at.and_then(|at| {
                let f = sources.get(at.file)?;
                let (line, col) = f.line_col(at.start as usize);
                Some((f.name.clone(), line, col))
            });
            WarningRow {
                code: w.code.as_str(),
                message: w.message.clone(),
                file: place.as_ref().map(|p| p.0.clone()),
                line: place.as_ref().map(|p| p.1),
                column: place.as_ref().map(|p| p.2),
            }
        })
        .collect()
}

pub fn schedule_doc(
    program: &Program,
    schedule: &Schedule,
    warnings: &[Diagnostic],
    sources: &SourceMap,
) -> ScheduleDoc {
    let mut tasks = Vec::new();
    let mut milestones = Vec::new();
    let done = fractions_done(program);
    for (idx, _) in outline(program) {
        let t = program.task(idx);
        let times = schedule.times[idx.index()];
        if t.kind == TaskKind::Milestone {
            let date = schedule.date(times.early_finish);
            milestones.push(MilestoneRow {
                id: t.id.clone(),
                name: t.name.clone(),
                date,
                promised: t.promised.as_ref().map(|p| p.value),
                float: milestone_float(t, schedule, idx),
                on_time: t.promised.as_ref().map(|p| date <= p.value),
                critical: times.critical,
            });
            continue;
        }
        tasks.push(TaskRow {
            id: t.id.clone(),
            name: t.name.clone(),
            kind: kind_name(t.kind),
            parent: t.parent.map(|p| program.task(p).id.clone()),
            team: t.team.map(|tm| program.team(tm).id.clone()),
            start: schedule.date(times.early_start),
            finish: schedule.date(times.early_finish),
            early_start: schedule.date(times.early_start),
            early_finish: schedule.date(times.early_finish),
            late_start: schedule.date(times.late_start),
            late_finish: schedule.date(times.late_finish),
            working_days: schedule.working_days[idx.index()],
            total_float: times.total_float,
            free_float: times.free_float,
            critical: times.critical,
            status: status_name(times.status),
            done: done[idx.index()],
            deadline: t.deadline.as_ref().map(|d| d.value),
        });
    }
    let ids = |path: &Vec<TaskIdx>| -> Vec<String> {
        path.iter().map(|t| program.task(*t).id.clone()).collect()
    };
    let critical_paths: Vec<Vec<String>> = schedule.critical_paths.iter().map(ids).collect();
    ScheduleDoc {
        program: ProgramInfo {
            name: program.name.clone(),
            start: program.start,
            status_date: program.status_date,
            currency: program.currency.clone(),
        },
        finish: schedule.finish_date_of_program(),
        tasks,
        milestones,
        critical_path: critical_paths.first().cloned().unwrap_or_default(),
        critical_paths,
        warnings: warning_rows(warnings, sources),
        baseline: None,
    }
}

pub fn schedule_json(doc: &ScheduleDoc) -> String {
    // Serialising plain structs of strings, numbers and dates cannot fail.
    let mut s = serde_json::to_string_pretty(doc).unwrap_or_default();
    s.push('\n');
    s
}

/// The schedule as CSV, one row per task, summary and milestone, in outline order.
pub fn schedule_csv(program: &Program, schedule: &Schedule) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "name",
        "kind",
        "parent",
        "team",
        "start",
        "finish",
        "late_start",
        "late_finish",
        "working_days",
        "total_float",
        "free_float",
        "critical",
        "status",
        "done",
        "promised",
        "deadline",
    ])?;
    let done = fractions_done(program);
    for (idx, _) in outline(program) {
        let t = program.task(idx);
        let times = schedule.times[idx.index()];
        w.write_record([
            t.id.clone(),
            t.name.clone(),
            kind_name(t.kind).to_string(),
            t.parent
                .map_or_else(String::new, |p| program.task(p).id.clone()),
            t.team
                .map_or_else(String::new, |tm| program.team(tm).id.clone()),
            schedule.date(times.early_start).to_string(),
            schedule.date(times.early_finish).to_string(),
            schedule.date(times.late_start).to_string(),
            schedule.date(times.late_finish).to_string(),
            schedule.working_days[idx.index()].to_string(),
            times.total_float.to_string(),
            times.free_float.to_string(),
            times.critical.to_string(),
            status_name(times.status).to_string(),
            format!("{:.3}", done[idx.index()]),
            t.promised
                .as_ref()
                .map_or_else(String::new, |d| d.value.to_string()),
            t.deadline
                .as_ref()
                .map_or_else(String::new, |d| d.value.to_string()),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

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

/// The schedule as a table for a terminal.
pub fn schedule_table(program: &Program, schedule: &Schedule) -> String {
    let rows = outline(program);
    let id_width = rows
        .iter()
        .map(|(t, d)| program.task(*t).id.chars().count() + 2 * d)
        .max()
        .unwrap_or(2)
        .clamp(9, 36);
    let name_width = 34;
    let mut out = String::new();
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
    out.push_str(&format!(
        "{}\nstart {}  finish {}{}  ({}, {}; critical path method, resources not leveled)\n\n",
        if program.name.is_empty() {
            "Schedule"
        } else {
            &program.name
        },
        program.start,
        schedule.finish_date_of_program(),
        program
            .status_date
            .map(|d| format!("  as of {d}"))
            .unwrap_or_default(),
        count(leaves, "task"),
        count(milestones, "milestone")
    ));
    out.push_str(&format!(
        "{} {} {:<10}  {:<10}  {:>5} {:>6} {:>5} {:>5}  {}\n",
        pad("ID", id_width),
        pad("NAME", name_width),
        "START",
        "FINISH",
        "DAYS",
        "FLOAT",
        "FREE",
        "DONE",
        "CRIT"
    ));
    let done = fractions_done(program);
    for (idx, depth) in &rows {
        let t = program.task(*idx);
        if t.kind == TaskKind::Milestone {
            continue;
        }
        let times = schedule.times[idx.index()];
        let id = truncate(&format!("{}{}", "  ".repeat(*depth), t.id), id_width);
        let pct = match times.status {
            TaskStatus::NotStarted => String::new(),
            _ => format!("{:.0}%", done[idx.index()] * 100.0),
        };
        out.push_str(&format!(
            "{} {} {}  {}  {:>5} {:>6} {:>5} {:>5}  {}\n",
            pad(&id, id_width),
            pad(&truncate(&t.name, name_width), name_width),
            schedule.date(times.early_start),
            schedule.date(times.early_finish),
            schedule.working_days[idx.index()],
            times.total_float,
            times.free_float,
            pct,
            if times.critical { "*" } else { "" }
        ));
    }
    if milestones > 0 {
        out.push_str(&format!(
            "\n{} {} {:<10}  {:<10}  {:>6}  {}\n",
            pad("MILESTONE", id_width),
            pad("NAME", name_width),
            "DATE",
            "PROMISED",
            "FLOAT",
            "STATUS"
        ));
        for (idx, _) in &rows {
            let t = program.task(*idx);
            if t.kind != TaskKind::Milestone {
                continue;
            }
            let times = schedule.times[idx.index()];
            let date = schedule.date(times.early_finish);
            let (promised, status) = match &t.promised {
                Some(p) if date <= p.value => (p.value.to_string(), "on time".to_string()),
                Some(p) => (
                    p.value.to_string(),
                    format!(
                        "LATE by {} working days",
                        -milestone_float(t, schedule, *idx)
                    ),
                ),
                None => ("-".to_string(), String::new()),
            };
            out.push_str(&format!(
                "{} {} {}  {:<10}  {:>6}  {}\n",
                pad(&truncate(&t.id, id_width), id_width),
                pad(&truncate(&t.name, name_width), name_width),
                date,
                promised,
                milestone_float(t, schedule, *idx),
                status
            ));
        }
    }
    if let Some(path) = schedule.critical_paths.first() {
        let ids: Vec<&str> = path.iter().map(|t| program.task(*t).id.as_str()).collect();
        out.push_str(&format!("\nCritical path: {}\n", ids.join(" → ")));
        if schedule.critical_paths.len() > 1 {
            out.push_str(&format!(
                "({} critical paths in all; see --json)\n",
                schedule.critical_paths.len()
            ));
        }
    }
    // Empty trailing columns leave spaces at line ends; drop them.
    let mut trimmed: String = out.lines().map(|l| format!("{}\n", l.trim_end())).collect();
    if !out.ends_with('\n') {
        trimmed.pop();
    }
    trimmed
}
