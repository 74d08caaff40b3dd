//! The importers' common target: a plan described in the source tool's terms (indices,
//! days, display names), which [`emit`] normalises to what the Tiller plan format
//! accepts, writes as commented TOML and checks with the plan reader.
//!
//! Importers only translate; every rule of the plan format (unique ids, no links into
//! a task's own summary, whole-day lags, dates within 100 years, ...) is enforced here
//! once, with a comment and a count for everything that had to be approximated or
//! dropped.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

use chrono::NaiveDate;
use tiller_core::DepKind;

use crate::error::{ImportError, Result};
use crate::ids::{self, IdSet};

/// An inclusive range of days.
pub type Range = (NaiveDate, NaiveDate);

/// Days either side of the program start that dates may lie within (the plan reader
/// allows 100 years; a little less leaves room for the schedule itself).
const DATE_WINDOW_DAYS: i64 = 36_000;
/// Longest duration or lag accepted by the plan reader, in days.
const MAX_DAYS: f64 = 36_500.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Cal {
    pub id_hint: String,
    pub name: String,
    /// Monday first.
    pub workweek: [bool; 7],
    pub hours_per_day: f64,
    pub holidays: Vec<Range>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RatePer {
    Hour,
    Day,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id_hint: String,
    pub name: String,
    pub email: Option<String>,
    pub calendar: Option<usize>,
    pub rate: Option<(f64, RatePer)>,
    pub availability: Option<f64>,
    pub off: Vec<Range>,
    pub notes: Vec<String>,
}

/// A shared, non-human resource (equipment, a lab).
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub id_hint: String,
    pub name: String,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Work {
    /// Person-days spread over the assignees, rather than working days.
    pub effort: bool,
    pub days: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dep {
    pub pred: usize,
    pub kind: DepKind,
    pub lag_days: i64,
    pub elapsed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    NotStarted,
    InProgress,
    Done,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::NotStarted => "not_started",
            Status::InProgress => "in_progress",
            Status::Done => "done",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub date: NaiveDate,
    pub status: Status,
    pub done: Option<f64>,
    pub remaining_days: Option<f64>,
    pub started: Option<NaiveDate>,
    pub finished: Option<NaiveDate>,
    pub cost: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BaselineTask {
    pub start: NaiveDate,
    pub finish: NaiveDate,
    pub work_days: Option<f64>,
    pub cost: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Preferred id (a code or a name; made valid and unique when written).
    pub id_hint: String,
    pub name: String,
    pub parent: Option<usize>,
    pub milestone: bool,
    /// A summary (WBS node) in the source; one without children becomes a milestone.
    pub summary: bool,
    pub work: Option<Work>,
    pub assignees: Vec<usize>,
    pub uses: Vec<usize>,
    pub deps: Vec<Dep>,
    pub not_before: Option<NaiveDate>,
    pub deadline: Option<NaiveDate>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    /// Comments written above the task: what was mapped approximately or dropped.
    pub notes: Vec<String>,
    pub progress: Option<Progress>,
    pub baseline: Option<BaselineTask>,
}

impl Task {
    pub fn new(id_hint: impl Into<String>, name: impl Into<String>) -> Self {
        Task {
            id_hint: id_hint.into(),
            name: name.into(),
            parent: None,
            milestone: false,
            summary: false,
            work: None,
            assignees: Vec::new(),
            uses: Vec::new(),
            deps: Vec::new(),
            not_before: None,
            deadline: None,
            tags: Vec::new(),
            description: None,
            notes: Vec::new(),
            progress: None,
            baseline: None,
        }
    }
}

/// What an import produced and what it had to approximate or leave out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub format: &'static str,
    pub encoding: &'static str,
    pub tasks: usize,
    pub summaries: usize,
    pub milestones: usize,
    pub links: usize,
    pub calendars: usize,
    pub people: usize,
    pub resources: usize,
    pub progress: usize,
    pub baseline_tasks: usize,
    /// Progress and baselines were written as comments because the plan reader does
    /// not accept them yet.
    pub progress_commented: bool,
    /// The program finish Tiller schedules for the imported plan.
    pub finish: Option<NaiveDate>,
    /// What was approximated or dropped, with how often.
    pub notes: BTreeMap<String, usize>,
}

impl Summary {
    /// The import summary as printed on standard error.
    pub fn render(&self) -> String {
        let mut s = format!(
            "imported {} ({}): {} tasks ({} summaries, {} milestones), {} links, {} calendars, {} people",
            self.format,
            self.encoding,
            self.tasks,
            self.summaries,
            self.milestones,
            self.links,
            self.calendars,
            self.people
        );
        if self.resources > 0 {
            let _ = write!(s, ", {} shared resources", self.resources);
        }
        if self.progress > 0 {
            let _ = write!(s, ", {} progress updates", self.progress);
        }
        if self.baseline_tasks > 0 {
            let _ = write!(s, ", baseline of {} tasks", self.baseline_tasks);
        }
        if let Some(f) = self.finish {
            let _ = write!(s, "; Tiller schedules it to finish {f}");
        }
        s.push('\n');
        if self.progress_commented {
            s.push_str("  progress and baselines written as comments: the plan reader rejects them (see the end of the plan)\n");
        }
        if !self.notes.is_empty() {
            s.push_str("approximated or dropped (details in the plan's comments):\n");
            for (what, n) in &self.notes {
                let _ = writeln!(s, "  {n:>6} × {what}");
            }
        }
        s
    }
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub format: &'static str,
    pub encoding: &'static str,
    /// Where the plan came from, for the header comment (a file name).
    pub source_name: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub start: Option<NaiveDate>,
    pub status_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub calendars: Vec<Cal>,
    pub program_calendar: Option<usize>,
    pub people: Vec<Person>,
    pub resources: Vec<Resource>,
    pub tasks: Vec<Task>,
    /// Name and save date of the baseline carried by `Task::baseline`.
    pub baseline_name: Option<(String, Option<NaiveDate>)>,
    /// Comments for the top of the file.
    pub header: Vec<String>,
    pub notes: BTreeMap<String, usize>,
}

impl Plan {
    /// Counts something approximated or dropped for the summary.
    pub fn note(&mut self, what: impl Into<String>) {
        *self.notes.entry(what.into()).or_default() += 1;
    }

    /// Counts `what` and writes `detail` above task `t`.
    pub fn task_note(&mut self, t: usize, what: &str, detail: impl Into<String>) {
        self.note(what);
        self.tasks[t].notes.push(detail.into());
    }
}

/// Options of [`emit`].
#[derive(Debug, Clone, Copy)]
pub struct EmitOptions {
    /// Write `[[progress]]` and `[baseline.*]`.
    pub progress: bool,
}

/// The plan text, what it holds, and the checked program.
pub struct Emitted {
    pub toml: String,
    pub summary: Summary,
    pub program: tiller_core::Program,
}

// ----------------------------------------------------------------------------- normalise

fn within(start: NaiveDate, d: NaiveDate) -> bool {
    (d - start).num_days().abs() <= DATE_WINDOW_DAYS
}

#[allow(clippy::needless_range_loop)] // tasks are addressed by index throughout
fn normalize(plan: &mut Plan, start: NaiveDate) {
    let n = plan.tasks.len();

    // Parents: in range, not the task itself, no loops.
    for i in 0..n {
        if let Some(p) = plan.tasks[i].parent
            && (p >= n || p == i)
        {
            plan.tasks[i].parent = None;
            plan.task_note(
                i,
                "invalid parent references dropped",
                "its parent in the source does not exist; placed at the top level",
            );
        }
    }
    for i in 0..n {
        let mut seen = 0;
        let mut cur = plan.tasks[i].parent;
        while let Some(p) = cur {
            seen += 1;
            if p == i || seen > n {
                plan.tasks[i].parent = None;
                plan.task_note(
                    i,
                    "parent loops broken",
                    "its parent chain loops back to itself in the source; placed at the top level",
                );
                break;
            }
            cur = plan.tasks[p].parent;
        }
    }
    let mut has_children = vec![false; n];
    for t in &plan.tasks {
        if let Some(p) = t.parent {
            has_children[p] = true;
        }
    }

    for i in 0..n {
        if has_children[i] {
            if plan.tasks[i].milestone {
                plan.tasks[i].milestone = false;
                plan.task_note(
                    i,
                    "milestones with subtasks made summaries",
                    "a milestone with subtasks in the source: a summary here",
                );
            }
            if !plan.tasks[i].assignees.is_empty() || !plan.tasks[i].uses.is_empty() {
                plan.tasks[i].assignees.clear();
                plan.tasks[i].uses.clear();
                plan.task_note(i, "assignments on summary tasks dropped", "its resource assignments are dropped: a summary has no work of its own in Tiller");
            }
            plan.tasks[i].work = None;
            continue;
        }
        if plan.tasks[i].summary && !plan.tasks[i].milestone && plan.tasks[i].work.is_none() {
            plan.tasks[i].milestone = true;
            plan.task_note(
                i,
                "summaries without tasks made milestones",
                "a summary without tasks in the source: a milestone here",
            );
        }
        if !plan.tasks[i].milestone {
            match plan.tasks[i].work {
                None => {
                    plan.tasks[i].work = Some(Work {
                        effort: false,
                        days: 1.0,
                    });
                    plan.task_note(
                        i,
                        "tasks without a duration given 1d",
                        "no duration in the source: 1 working day assumed",
                    );
                }
                Some(w) if w.days <= 0.0 || !w.days.is_finite() => {
                    plan.tasks[i].milestone = true;
                    plan.tasks[i].work = None;
                    plan.note("zero-duration tasks made milestones");
                }
                Some(w) if w.days > MAX_DAYS => {
                    plan.tasks[i].work = Some(Work {
                        effort: w.effort,
                        days: MAX_DAYS,
                    });
                    plan.task_note(
                        i,
                        "durations capped at 100 years",
                        format!("{:.0} days in the source; capped", w.days),
                    );
                }
                _ => {}
            }
        }
        if plan.tasks[i].milestone {
            plan.tasks[i].work = None;
            if !plan.tasks[i].assignees.is_empty() || !plan.tasks[i].uses.is_empty() {
                plan.tasks[i].assignees.clear();
                plan.tasks[i].uses.clear();
                plan.task_note(
                    i,
                    "assignments on milestones dropped",
                    "its resource assignments are dropped: milestones have no work",
                );
            }
        }
        // Assignees and resources: no one twice, only existing ones.
        let people = plan.people.len();
        let mut seen = HashSet::new();
        let before = plan.tasks[i].assignees.len();
        plan.tasks[i]
            .assignees
            .retain(|p| *p < people && seen.insert(*p));
        if plan.tasks[i].assignees.len() != before {
            plan.task_note(
                i,
                "repeated assignments of one resource merged",
                "the same resource is assigned more than once in the source: listed once",
            );
        }
        let resources = plan.resources.len();
        let mut seen = HashSet::new();
        plan.tasks[i]
            .uses
            .retain(|r| *r < resources && seen.insert(*r));
    }

    // Ancestors, for links between a task and its own summary.
    let is_ancestor = |tasks: &[Task], anc: usize, mut t: usize| -> bool {
        let mut steps = 0;
        while let Some(p) = tasks[t].parent {
            if p == anc {
                return true;
            }
            t = p;
            steps += 1;
            if steps > tasks.len() {
                break;
            }
        }
        false
    };
    for s in 0..n {
        let deps = std::mem::take(&mut plan.tasks[s].deps);
        let mut kept: Vec<Dep> = Vec::with_capacity(deps.len());
        for mut d in deps {
            if d.pred >= n {
                plan.task_note(
                    s,
                    "links to missing tasks dropped",
                    "a predecessor that does not exist in the source is dropped",
                );
                continue;
            }
            if d.pred == s {
                plan.task_note(
                    s,
                    "links from a task to itself dropped",
                    "a link from the task to itself is dropped",
                );
                continue;
            }
            if is_ancestor(&plan.tasks, d.pred, s) || is_ancestor(&plan.tasks, s, d.pred) {
                let other = plan.tasks[d.pred].name.clone();
                plan.task_note(s, "links between a task and its own summary dropped", format!("link with its own summary or subtask \"{other}\" dropped: Tiller orders a summary around its children already"));
                continue;
            }
            if has_children[s] && d.kind.to_finish() {
                let other = plan.tasks[d.pred].name.clone();
                plan.task_note(s, "FF/SF links into summaries dropped", format!("{} link from \"{other}\" dropped: a summary's finish rolls up from its children in Tiller", d.kind.code()));
                continue;
            }
            if let Some(k) = kept.iter().position(|k| k.pred == d.pred) {
                let other = plan.tasks[d.pred].name.clone();
                let first = kept[k];
                plan.task_note(s, "second links between the same two tasks dropped", format!("a second link from \"{other}\" ({}) dropped: Tiller keeps one link per pair (kept {})", d.kind.code(), first.kind.code()));
                continue;
            }
            if d.lag_days.unsigned_abs() as f64 > MAX_DAYS {
                d.lag_days = d.lag_days.signum() * MAX_DAYS as i64;
                plan.task_note(
                    s,
                    "lags capped at 100 years",
                    "a lag longer than 100 years is capped",
                );
            }
            kept.push(d);
        }
        plan.tasks[s].deps = kept;
    }

    // Dates must lie within the window the plan reader accepts.
    for i in 0..n {
        let name = plan.tasks[i].name.clone();
        let _ = name;
        if let Some(d) = plan.tasks[i].not_before
            && !within(start, d)
        {
            plan.tasks[i].not_before = None;
            plan.task_note(
                i,
                "dates too far from the program start dropped",
                format!("start constraint {d} dropped: too far from the program start"),
            );
        }
        if let Some(d) = plan.tasks[i].deadline
            && !within(start, d)
        {
            plan.tasks[i].deadline = None;
            plan.task_note(
                i,
                "dates too far from the program start dropped",
                format!("deadline {d} dropped: too far from the program start"),
            );
        }
        if has_children[i] && plan.tasks[i].progress.take().is_some() {
            plan.note("progress on summaries dropped (it rolls up from their tasks)");
        }
        let is_milestone = plan.tasks[i].milestone && !has_children[i];
        if let Some(p) = &mut plan.tasks[i].progress {
            // A milestone happens on one day: its actual start is its actual finish.
            if is_milestone {
                if let Some(f) = p.finished.or(p.started) {
                    p.started = Some(f);
                    if p.status == Status::Done {
                        p.finished = Some(f);
                    }
                }
                p.remaining_days = None;
            }
            let mut dropped = false;
            for d in [&mut p.started, &mut p.finished] {
                if let Some(x) = *d
                    && !within(start, x)
                {
                    *d = None;
                    dropped = true;
                }
            }
            if let Some(done) = p.done {
                p.done = Some(done.clamp(0.0, 1.0));
            }
            if !within(start, p.date) {
                plan.tasks[i].progress = None;
                dropped = true;
            }
            if dropped {
                plan.note("progress dates too far from the program start dropped");
            }
        }
        if let Some(b) = &plan.tasks[i].baseline
            && (!within(start, b.start) || !within(start, b.finish) || b.finish < b.start)
        {
            plan.tasks[i].baseline = None;
            plan.note("baseline entries with unusable dates dropped");
        }
    }

    for c in 0..plan.calendars.len() {
        if !plan.calendars[c].workweek.iter().any(|w| *w) {
            plan.calendars[c].workweek = [true, true, true, true, true, false, false];
            plan.calendars[c]
                .notes
                .push("no working weekday in the source: Monday to Friday assumed".into());
            plan.note("calendars without working days given Monday to Friday");
        }
        let h = plan.calendars[c].hours_per_day;
        if !(h > 0.0 && h <= 24.0) {
            plan.calendars[c].hours_per_day = 8.0;
            plan.calendars[c]
                .notes
                .push(format!("{h} hours a day in the source: 8 assumed"));
            plan.note("calendars with unusable hours per day given 8");
        }
        let before = plan.calendars[c].holidays.len();
        plan.calendars[c]
            .holidays
            .retain(|(a, b)| a <= b && within(start, *a) && within(start, *b));
        if plan.calendars[c].holidays.len() != before {
            plan.note("holidays too far from the program start dropped");
        }
        // Days off long before the start cannot matter: keep the last year's.
        let horizon = crate::common::add_days(start, -366);
        plan.calendars[c].holidays.retain(|(_, b)| *b >= horizon);
        normalize_ranges(&mut plan.calendars[c].holidays);
    }
    for p in 0..plan.people.len() {
        if let Some(a) = plan.people[p].availability {
            if a.is_nan() || a <= 0.0 || !a.is_finite() {
                plan.people[p].availability = None;
                plan.people[p]
                    .notes
                    .push(format!("availability {a} in the source: full time assumed"));
                plan.note("unusable availabilities dropped");
            } else if a > 1.0 {
                plan.people[p].availability = None;
                plan.people[p].notes.push(format!(
                    "max units {:.0}% in the source: Tiller availability is at most 1 (full time)",
                    a * 100.0
                ));
                plan.note("availabilities above 100% capped");
            } else if (a - 1.0).abs() < 1e-9 {
                plan.people[p].availability = None;
            }
        }
        if let Some((r, _)) = plan.people[p].rate
            && (r.is_nan() || r < 0.0 || !r.is_finite())
        {
            plan.people[p].rate = None;
        }
        if let Some(c) = plan.people[p].calendar
            && c >= plan.calendars.len()
        {
            plan.people[p].calendar = None;
        }
        let before = plan.people[p].off.len();
        plan.people[p]
            .off
            .retain(|(a, b)| a <= b && within(start, *a) && within(start, *b));
        if plan.people[p].off.len() != before {
            plan.note("time off too far from the program start dropped");
        }
        let horizon = crate::common::add_days(start, -366);
        plan.people[p].off.retain(|(_, b)| *b >= horizon);
        normalize_ranges(&mut plan.people[p].off);
    }
}

fn normalize_ranges(r: &mut Vec<Range>) {
    r.sort();
    let mut out: Vec<Range> = Vec::with_capacity(r.len());
    for &(a, b) in r.iter() {
        match out.last_mut() {
            Some(last) if a <= last.1.succ_opt().unwrap_or(last.1) => {
                if b > last.1 {
                    last.1 = b;
                }
            }
            _ => out.push((a, b)),
        }
    }
    *r = out;
}

// ----------------------------------------------------------------------------- writing

/// A TOML basic string.
pub fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A number without trailing zeros: `8`, `7.5`, `0.125`.
pub fn num(x: f64) -> String {
    let r = (x * 10_000.0).round() / 10_000.0;
    if r == r.trunc() && r.abs() < 1e15 {
        format!("{}", r as i64)
    } else {
        let s = format!("{r:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn days(x: f64) -> String {
    format!("{}d", num(x))
}

fn comment(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "# {line}");
    }
}

fn ranges_value(r: &[Range]) -> String {
    let items: Vec<String> = r
        .iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("\"{a}..{b}\"")
            }
        })
        .collect();
    if items.len() <= 6 {
        return format!("[{}]", items.join(", "));
    }
    let mut s = String::from("[\n");
    for chunk in items.chunks(6) {
        let _ = writeln!(s, "  {},", chunk.join(", "));
    }
    s.push(']');
    s
}

fn list(ids: &[String]) -> String {
    let q: Vec<String> = ids.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", q.join(", "))
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Writes the plan as TOML and checks it with the plan reader.
pub fn emit(mut plan: Plan, options: EmitOptions) -> Result<Emitted> {
    let start = plan
        .start
        .or_else(|| plan.tasks.iter().filter_map(|t| t.not_before).min())
        .ok_or_else(|| {
            ImportError::new("the file has no project start date and no dated task")
                .format(plan.format)
                .expected("a project start date")
        })?;
    normalize(&mut plan, start);

    // Ids.
    let mut cal_ids = IdSet::default();
    let cal_id: Vec<String> = plan
        .calendars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let hint = if c.id_hint.is_empty() {
                ids::slug(&c.name)
            } else {
                c.id_hint.clone()
            };
            cal_ids.claim(&hint, &format!("cal{}", i + 1))
        })
        .collect();
    let mut person_ids = IdSet::default();
    let person_id: Vec<String> = plan
        .people
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let hint = if p.id_hint.is_empty() {
                ids::slug(&p.name)
            } else {
                p.id_hint.clone()
            };
            person_ids.claim(&hint, &format!("p{}", i + 1))
        })
        .collect();
    let mut res_ids = IdSet::default();
    let res_id: Vec<String> = plan
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let hint = if r.id_hint.is_empty() {
                ids::slug(&r.name)
            } else {
                r.id_hint.clone()
            };
            res_ids.claim(&hint, &format!("r{}", i + 1))
        })
        .collect();
    let mut task_ids = IdSet::default();
    let task_id: Vec<String> = plan
        .tasks
        .iter()
        .enumerate()
        .map(|(i, t)| task_ids.claim(&t.id_hint, &format!("t{}", i + 1)))
        .collect();

    let mut has_children = vec![false; plan.tasks.len()];
    for t in &plan.tasks {
        if let Some(p) = t.parent {
            has_children[p] = true;
        }
    }

    let mut summary = Summary {
        format: plan.format,
        encoding: plan.encoding,
        calendars: plan.calendars.len(),
        people: plan.people.len(),
        resources: plan.resources.len(),
        ..Summary::default()
    };
    for (i, t) in plan.tasks.iter().enumerate() {
        summary.tasks += 1;
        if has_children[i] {
            summary.summaries += 1;
        } else if t.milestone {
            summary.milestones += 1;
        }
        summary.links += t.deps.len();
    }

    let mut out = String::with_capacity(plan.tasks.len() * 200 + 4096);
    let _ = writeln!(
        out,
        "# Imported from {}{} by `tiller import`.",
        plan.format,
        plan.source_name
            .as_deref()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default()
    );
    for h in &plan.header {
        comment(&mut out, h);
    }
    if !plan.notes.is_empty() {
        out.push_str("#\n# Mapped approximately or dropped (see the comments at each entry):\n");
        for (what, n) in &plan.notes {
            let _ = writeln!(out, "#   {n} × {what}");
        }
    }
    out.push_str("\n[program]\n");
    let name = if plan.name.trim().is_empty() {
        "Imported plan".to_string()
    } else {
        plan.name.clone()
    };
    let _ = writeln!(out, "name = {}", toml_str(&name));
    let _ = writeln!(out, "start = {start}");
    if let Some(c) = &plan.currency
        && c.len() == 3
        && c.chars().all(|ch| ch.is_ascii_uppercase())
    {
        let _ = writeln!(out, "currency = {}", toml_str(c));
    }
    if let Some(d) = plan.status_date
        && within(start, d)
    {
        let _ = writeln!(out, "status_date = {d}");
    }
    let program_cal = plan
        .program_calendar
        .filter(|c| *c < plan.calendars.len())
        .or(if plan.calendars.is_empty() {
            None
        } else {
            Some(0)
        });
    if let Some(c) = program_cal {
        let _ = writeln!(out, "calendar = {}", toml_str(&cal_id[c]));
    }
    if let Some(d) = &plan.description
        && !d.trim().is_empty()
    {
        let _ = writeln!(out, "description = {}", toml_str(d.trim()));
    }

    for (i, c) in plan.calendars.iter().enumerate() {
        out.push('\n');
        for n in &c.notes {
            comment(&mut out, n);
        }
        let _ = writeln!(out, "[calendar.{}]", cal_id[i]);
        let _ = writeln!(out, "name = {}", toml_str(&c.name));
        let days: Vec<String> = (0..7)
            .filter(|d| c.workweek[*d])
            .map(|d| WEEKDAYS[d].to_string())
            .collect();
        let _ = writeln!(out, "workweek = {}", list(&days));
        let _ = writeln!(out, "hours_per_day = {}", num(c.hours_per_day));
        if !c.holidays.is_empty() {
            let _ = writeln!(out, "holidays = {}", ranges_value(&c.holidays));
        }
    }

    for (i, p) in plan.people.iter().enumerate() {
        out.push('\n');
        for n in &p.notes {
            comment(&mut out, n);
        }
        let _ = writeln!(out, "[person.{}]", person_id[i]);
        let _ = writeln!(out, "name = {}", toml_str(&p.name));
        if let Some(e) = &p.email {
            let _ = writeln!(out, "email = {}", toml_str(e));
        }
        if let Some(c) = p.calendar
            && Some(c) != program_cal
        {
            let _ = writeln!(out, "calendar = {}", toml_str(&cal_id[c]));
        }
        if let Some(a) = p.availability {
            let _ = writeln!(out, "availability = {}", num(a));
        }
        if let Some((r, per)) = p.rate {
            let unit = match per {
                RatePer::Hour => "hour",
                RatePer::Day => "day",
            };
            let _ = writeln!(out, "rate = \"{}/{unit}\"", num(r));
        }
        if !p.off.is_empty() {
            let _ = writeln!(out, "off = {}", ranges_value(&p.off));
        }
    }
    for (i, r) in plan.resources.iter().enumerate() {
        out.push('\n');
        for n in &r.notes {
            comment(&mut out, n);
        }
        let _ = writeln!(out, "[resource.{}]", res_id[i]);
        let _ = writeln!(out, "name = {}", toml_str(&r.name));
    }

    for (i, t) in plan.tasks.iter().enumerate() {
        out.push('\n');
        for n in &t.notes {
            comment(&mut out, n);
        }
        let milestone = t.milestone && !has_children[i];
        out.push_str(if milestone {
            "[[milestone]]\n"
        } else {
            "[[task]]\n"
        });
        let _ = writeln!(out, "id = {}", toml_str(&task_id[i]));
        if t.name != task_id[i] && !t.name.is_empty() {
            let _ = writeln!(out, "name = {}", toml_str(&t.name));
        }
        if let Some(p) = t.parent {
            let _ = writeln!(out, "parent = {}", toml_str(&task_id[p]));
        }
        if !has_children[i] && !milestone {
            if let Some(w) = t.work {
                let key = if w.effort && !t.assignees.is_empty() {
                    "effort"
                } else {
                    "duration"
                };
                let _ = writeln!(out, "{key} = \"{}\"", days(w.days));
            }
            match t.assignees.len() {
                0 => {}
                1 => {
                    let _ = writeln!(out, "assignee = {}", toml_str(&person_id[t.assignees[0]]));
                }
                _ => {
                    let a: Vec<String> =
                        t.assignees.iter().map(|p| person_id[*p].clone()).collect();
                    let _ = writeln!(out, "assignees = {}", list(&a));
                }
            }
            if !t.uses.is_empty() {
                let u: Vec<String> = t.uses.iter().map(|r| res_id[*r].clone()).collect();
                let _ = writeln!(out, "uses = {}", list(&u));
            }
        }
        if !t.deps.is_empty() {
            let deps: Vec<String> = t
                .deps
                .iter()
                .map(|d| {
                    let mut s = task_id[d.pred].clone();
                    if d.kind != DepKind::FinishToStart || d.lag_days != 0 {
                        s.push(' ');
                        s.push_str(d.kind.code());
                    }
                    if d.lag_days != 0 {
                        let _ = write!(s, "{:+}{}", d.lag_days, if d.elapsed { "ed" } else { "d" });
                    }
                    s
                })
                .collect();
            if deps.len() <= 4 {
                let _ = writeln!(out, "after = {}", list(&deps));
            } else {
                out.push_str("after = [\n");
                for d in &deps {
                    let _ = writeln!(out, "  {},", toml_str(d));
                }
                out.push_str("]\n");
            }
        }
        if let Some(d) = t.not_before {
            let _ = writeln!(out, "not_before = {d}");
        }
        if let Some(d) = t.deadline {
            let _ = writeln!(out, "deadline = {d}");
        }
        if !t.tags.is_empty() {
            let mut seen = HashSet::new();
            let tags: Vec<String> = t
                .tags
                .iter()
                .filter(|x| !x.is_empty() && seen.insert(x.as_str()))
                .cloned()
                .collect();
            if !tags.is_empty() {
                let _ = writeln!(out, "tags = {}", list(&tags));
            }
        }
        if let Some(d) = &t.description
            && !d.trim().is_empty()
        {
            let _ = writeln!(out, "description = {}", toml_str(d.trim()));
        }
    }

    // Progress and baselines, in a section of their own so they can be commented out
    // as a whole if the reader does not accept them.
    let mut section = String::new();
    if options.progress {
        for (i, t) in plan.tasks.iter().enumerate() {
            let Some(p) = &t.progress else { continue };
            summary.progress += 1;
            section.push_str("\n[[progress]]\n");
            let _ = writeln!(section, "task = {}", toml_str(&task_id[i]));
            let _ = writeln!(section, "date = {}", p.date);
            let _ = writeln!(section, "status = \"{}\"", p.status.as_str());
            if let Some(d) = p.done {
                let _ = writeln!(section, "done = {}", num(d));
            }
            if let Some(r) = p.remaining_days {
                let _ = writeln!(section, "remaining = \"{}\"", days(r.max(0.0)));
            }
            if let Some(d) = p.started {
                let _ = writeln!(section, "started = {d}");
            }
            if let Some(d) = p.finished {
                let _ = writeln!(section, "finished = {d}");
            }
            if let Some(c) = p.cost {
                let _ = writeln!(section, "cost = {}", num(c));
            }
        }
        let rows: Vec<(usize, &BaselineTask)> = plan
            .tasks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.baseline.as_ref().map(|b| (i, b)))
            .collect();
        if !rows.is_empty() {
            summary.baseline_tasks = rows.len();
            let (bname, saved) = plan
                .baseline_name
                .clone()
                .unwrap_or(("imported".to_string(), None));
            let bid = ids::slug(&bname);
            let bid = if bid.is_empty() {
                "imported".to_string()
            } else {
                bid
            };
            let _ = writeln!(section, "\n[baseline.{bid}]");
            if let Some(s) = saved.filter(|d| within(start, *d)) {
                let _ = writeln!(section, "saved = {s}");
            }
            section.push_str("tasks = [\n");
            for (i, b) in rows {
                let _ = write!(
                    section,
                    "  {{ id = {}, start = {}, finish = {}",
                    toml_str(&task_id[i]),
                    b.start,
                    b.finish
                );
                if let Some(w) = b.work_days {
                    let _ = write!(section, ", work = \"{}\"", days(w.max(0.0)));
                }
                if let Some(c) = b.cost {
                    let _ = write!(section, ", cost = {}", num(c));
                }
                section.push_str(" },\n");
            }
            section.push_str("]\n");
        }
    }

    let main_len = out.len();
    if !section.is_empty() {
        out.push_str("\n# ---- Progress and baselines ----\n");
        out.push_str(&section);
    }
    let mut loaded = tiller_plan::load_str("imported.toml", &out, &[]);
    if loaded.has_errors() && !section.is_empty() {
        let only_in_section = loaded
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .all(|d| d.at.is_some_and(|at| at.start as usize >= main_len));
        if only_in_section {
            let first = loaded
                .diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| format!("{}: {}", d.code.as_str(), d.message))
                .unwrap_or_default();
            out.truncate(main_len);
            out.push_str("\n# ---- Progress and baselines ----\n");
            out.push_str("# Written as comments because the plan reader rejects them here\n");
            let _ = writeln!(out, "# (first problem: {}).", first.replace('\n', " "));
            out.push_str("# Remove the leading `# ` once the reader accepts them.\n");
            for line in section.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "# {line}");
                }
            }
            summary.progress_commented = true;
            loaded = tiller_plan::load_str("imported.toml", &out, &[]);
        }
    }
    summary.notes = plan.notes.clone();
    let Some(program) = loaded.program.take().filter(|_| !loaded.has_errors()) else {
        let text = tiller_plan::render(
            &loaded.diagnostics,
            &loaded.sources,
            tiller_plan::Style::Plain,
        );
        return Err(ImportError::new(format!(
            "the imported plan does not pass `tiller check`:\n{text}"
        ))
        .format(plan.format));
    };
    let schedule = tiller_engine::schedule(&program);
    if let Ok(s) = &schedule {
        summary.finish = Some(s.finish_date_of_program());
    }
    if let Err(errors) = schedule {
        let diags: Vec<String> = errors
            .iter()
            .map(|e| describe_schedule_error(&program, e))
            .collect();
        return Err(ImportError::new(format!(
            "the imported plan cannot be scheduled: {}",
            diags.join("; ")
        ))
        .format(plan.format));
    }
    Ok(Emitted {
        toml: out,
        summary,
        program,
    })
}

fn describe_schedule_error(
    program: &tiller_core::Program,
    e: &tiller_engine::ScheduleError,
) -> String {
    match e {
        tiller_engine::ScheduleError::Cycle { steps } => {
            let ids: Vec<&str> = steps
                .iter()
                .map(|s| program.task(s.task).id.as_str())
                .collect();
            format!("dependency cycle {}", ids.join(" → "))
        }
        tiller_engine::ScheduleError::NoWorkingTime { task } => {
            format!("`{}` has no working time", program.task(*task).id)
        }
        tiller_engine::ScheduleError::TooFar { task } => {
            format!(
                "`{}` would finish more than 100 years after the start",
                program.task(*task).id
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn strings_and_numbers_are_valid_toml() {
        assert_eq!(toml_str("a \"b\"\n\u{7f}"), "\"a \\\"b\\\"\\n\\u007F\"");
        assert_eq!(num(8.0), "8");
        assert_eq!(num(7.5), "7.5");
        assert_eq!(num(1.0 / 3.0), "0.3333");
    }

    #[test]
    fn normalisation_makes_a_checkable_plan() {
        let mut plan = Plan {
            format: "test",
            name: "P".into(),
            start: Some(d("2027-01-04")),
            ..Plan::default()
        };
        let mut sum = Task::new("sum", "Summary");
        sum.milestone = true;
        plan.tasks.push(sum);
        let mut a = Task::new("a", "A");
        a.parent = Some(0);
        a.work = Some(Work {
            effort: false,
            days: 2.0,
        });
        a.deps.push(Dep {
            pred: 0,
            kind: DepKind::FinishToStart,
            lag_days: 0,
            elapsed: false,
        });
        plan.tasks.push(a);
        let mut b = Task::new("a", "B");
        b.deps.push(Dep {
            pred: 1,
            kind: DepKind::FinishToStart,
            lag_days: 1,
            elapsed: false,
        });
        b.deps.push(Dep {
            pred: 1,
            kind: DepKind::StartToStart,
            lag_days: 0,
            elapsed: false,
        });
        b.deps.push(Dep {
            pred: 2,
            kind: DepKind::StartToStart,
            lag_days: 0,
            elapsed: false,
        });
        b.work = Some(Work {
            effort: false,
            days: 0.0,
        });
        plan.tasks.push(b);
        let e = emit(plan, EmitOptions { progress: true }).unwrap();
        assert!(e.toml.contains("id = \"a-2\""), "{}", e.toml);
        assert!(e.toml.contains("[[milestone]]\nid = \"a-2\""), "{}", e.toml);
        assert_eq!(e.summary.links, 1);
        assert_eq!(e.summary.notes.len(), 5, "{:?}", e.summary.notes);
    }
}
