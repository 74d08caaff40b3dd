//! Schedule-quality checks in the style of the DCMA 14-point assessment: logic, leads,
//! lags, relationship types, hard constraints, high and negative float, high
//! duration, invalid dates, resources, missed tasks, the critical-path test, CPLI and
//! BEI. Each check has a threshold (the plan's `[lint]` overrides the defaults) and
//! passes or fails; `tiller lint` exits non-zero when one fails, for CI.
//!
//! How each check maps onto Tiller's model is in `docs/lint.md`.

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{
    Assignment, Baseline, DepKind, Estimate, Program, TaskIdx, TaskKind, TaskStatus, Work,
};
use tiller_engine::Schedule;

use crate::util::WorkDays;

/// The thresholds of every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub high_float_days: f64,
    pub high_duration_days: f64,
    pub max_missing_logic: f64,
    pub max_leads: f64,
    pub max_lags: f64,
    pub min_fs: f64,
    pub max_hard_constraints: f64,
    pub max_high_float: f64,
    pub max_negative_float: f64,
    pub max_high_duration: f64,
    pub max_invalid_dates: f64,
    pub max_unresourced: f64,
    pub max_missed: f64,
    pub critical_path_delay_days: f64,
    pub min_cpli: f64,
    pub min_bei: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            high_float_days: 44.0,
            high_duration_days: 44.0,
            max_missing_logic: 0.05,
            max_leads: 0.0,
            max_lags: 0.05,
            min_fs: 0.90,
            max_hard_constraints: 0.05,
            max_high_float: 0.05,
            max_negative_float: 0.0,
            max_high_duration: 0.05,
            max_invalid_dates: 0.0,
            max_unresourced: 0.0,
            max_missed: 0.05,
            critical_path_delay_days: 600.0,
            min_cpli: 0.95,
            min_bei: 0.95,
        }
    }
}

impl Thresholds {
    fn field(&mut self, key: &str) -> Option<&mut f64> {
        Some(match key {
            "high_float_days" => &mut self.high_float_days,
            "high_duration_days" => &mut self.high_duration_days,
            "max_missing_logic" => &mut self.max_missing_logic,
            "max_leads" => &mut self.max_leads,
            "max_lags" => &mut self.max_lags,
            "min_fs" => &mut self.min_fs,
            "max_hard_constraints" => &mut self.max_hard_constraints,
            "max_high_float" => &mut self.max_high_float,
            "max_negative_float" => &mut self.max_negative_float,
            "max_high_duration" => &mut self.max_high_duration,
            "max_invalid_dates" => &mut self.max_invalid_dates,
            "max_unresourced" => &mut self.max_unresourced,
            "max_missed" => &mut self.max_missed,
            "critical_path_delay_days" => &mut self.critical_path_delay_days,
            "min_cpli" => &mut self.min_cpli,
            "min_bei" => &mut self.min_bei,
            _ => return None,
        })
    }

    /// The defaults with the plan's `[lint]` values on top.
    pub fn for_program(program: &Program) -> Thresholds {
        let mut t = Thresholds::default();
        for (k, v) in &program.reporting.lint {
            if let Some(f) = t.field(k) {
                *f = *v;
            }
        }
        t
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    Fail,
    /// The check does not apply (no baseline, no status date, nothing to count).
    #[serde(rename = "n/a")]
    NotApplicable,
    /// `[lint] skip` names it.
    Skipped,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::NotApplicable => "n/a",
            Outcome::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// 1 to 14, in DCMA order.
    pub number: u8,
    pub name: &'static str,
    pub title: &'static str,
    pub outcome: Outcome,
    /// The measured value (a share, an index, or working days).
    pub value: Option<f64>,
    /// How it was measured, e.g. "3 of 80 incomplete tasks".
    pub measure: String,
    pub threshold: String,
    /// The tasks (or links) that count against the check, at most [`MAX_LISTED`].
    pub offenders: Vec<String>,
    pub offenders_total: usize,
    pub note: Option<String>,
}

/// Offenders listed per check.
pub const MAX_LISTED: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct LintReport {
    pub program: String,
    pub as_of: Option<NaiveDate>,
    pub baseline: Option<String>,
    pub checks: Vec<Check>,
    pub failed: usize,
    pub thresholds: Thresholds,
}

struct Ctx<'a> {
    p: &'a Program,
    s: &'a Schedule,
    b: Option<&'a Baseline>,
    days: WorkDays,
    t: Thresholds,
}

impl Ctx<'_> {
    fn done(&self, t: TaskIdx) -> bool {
        self.s.times[t.index()].status == TaskStatus::Done
    }

    /// Leaves and milestones not yet done.
    fn incomplete(&self) -> Vec<TaskIdx> {
        self.p
            .tasks
            .iter()
            .enumerate()
            .map(|(i, _)| TaskIdx(i as u32))
            .filter(|t| self.p.task(*t).kind != TaskKind::Summary && !self.done(*t))
            .collect()
    }

    fn incomplete_leaves(&self) -> Vec<TaskIdx> {
        self.incomplete()
            .into_iter()
            .filter(|t| self.p.task(*t).kind == TaskKind::Leaf)
            .collect()
    }

    fn baseline_of(&self, t: TaskIdx) -> Option<&tiller_core::BaselineTask> {
        self.b?.tasks.iter().find(|bt| bt.task == Some(t))
    }
}

fn ids(p: &Program, v: &[TaskIdx]) -> Vec<String> {
    v.iter()
        .take(MAX_LISTED)
        .map(|t| p.task(*t).id.clone())
        .collect()
}

/// A check on a share: `count` of `total` against a maximum (or minimum) share.
#[allow(clippy::too_many_arguments)]
fn share(
    number: u8,
    name: &'static str,
    title: &'static str,
    count: usize,
    total: usize,
    what: &str,
    limit: f64,
    at_most: bool,
    offenders: Vec<String>,
    offenders_total: usize,
) -> Check {
    if total == 0 {
        return Check {
            number,
            name,
            title,
            outcome: Outcome::NotApplicable,
            value: None,
            measure: format!("no {what}"),
            threshold: threshold_text(limit, at_most),
            offenders,
            offenders_total,
            note: None,
        };
    }
    let v = count as f64 / total as f64;
    // Shares are compared at the precision they are shown with, so 5.0 % passes a 5 %
    // limit whatever the rounding.
    let v6 = (v * 1e6).round() / 1e6;
    let ok = if at_most { v6 <= limit } else { v6 >= limit };
    Check {
        number,
        name,
        title,
        outcome: if ok { Outcome::Pass } else { Outcome::Fail },
        value: Some(v6),
        measure: format!("{count} of {total} {what} ({:.1}%)", v * 100.0),
        threshold: threshold_text(limit, at_most),
        offenders,
        offenders_total,
        note: None,
    }
}

fn threshold_text(limit: f64, at_most: bool) -> String {
    format!(
        "{} {}",
        if at_most { "at most" } else { "at least" },
        if limit == 0.0 {
            "0".to_string()
        } else {
            format!("{:.0}%", limit * 100.0)
        }
    )
}

/// Runs every check on a scheduled program against a baseline (if any).
pub fn lint(program: &Program, schedule: &Schedule, baseline: Option<&Baseline>) -> LintReport {
    let c = Ctx {
        p: program,
        s: schedule,
        b: baseline,
        days: WorkDays::new(program),
        t: Thresholds::for_program(program),
    };
    let mut checks = vec![
        logic(&c),
        leads(&c),
        lags(&c),
        relationship_types(&c),
        hard_constraints(&c),
        high_float(&c),
        negative_float(&c),
        high_duration(&c),
        invalid_dates(&c),
        resources(&c),
        missed_tasks(&c),
        critical_path_test(&c),
        cpli(&c),
        bei(&c),
    ];
    for ch in &mut checks {
        if program.reporting.lint_skip.iter().any(|s| s == ch.name) {
            ch.outcome = Outcome::Skipped;
        }
    }
    LintReport {
        program: program.name.clone(),
        as_of: program.status_date,
        baseline: baseline.map(|b| b.name.clone()),
        failed: checks.iter().filter(|c| c.outcome == Outcome::Fail).count(),
        checks,
        thresholds: c.t,
    }
}

/// Whether a task, or a summary holding it, has a predecessor.
fn has_pred(p: &Program, t: TaskIdx) -> bool {
    let mut x = Some(t);
    while let Some(i) = x {
        if !p.task(i).deps.is_empty() {
            return true;
        }
        x = p.task(i).parent;
    }
    false
}

fn logic(c: &Ctx<'_>) -> Check {
    let p = c.p;
    // Successors: a link from a task or from a summary holding it.
    let mut has_succ = vec![false; p.tasks.len()];
    for t in &p.tasks {
        for d in &t.deps {
            has_succ[d.pred.index()] = true;
        }
    }
    let succ = |t: TaskIdx| {
        let mut x = Some(t);
        while let Some(i) = x {
            if has_succ[i.index()] {
                return true;
            }
            x = p.task(i).parent;
        }
        false
    };
    let inc = c.incomplete();
    let bad: Vec<TaskIdx> = inc
        .iter()
        .copied()
        .filter(|t| {
            let milestone = p.task(*t).kind == TaskKind::Milestone;
            // A milestone is an end point: it needs a predecessor, not a successor.
            !has_pred(p, *t) || (!milestone && !succ(*t))
        })
        .collect();
    let mut ch = share(
        1,
        "logic",
        "Logic: every task has a predecessor and a successor",
        bad.len(),
        inc.len(),
        "incomplete tasks and milestones",
        c.t.max_missing_logic,
        true,
        ids(p, &bad),
        bad.len(),
    );
    ch.note = Some(
        "milestones need only a predecessor; links into a summary count for its tasks".to_string(),
    );
    ch
}

/// Links whose successor is not yet done.
fn open_links<'a>(c: &Ctx<'a>) -> Vec<(TaskIdx, &'a tiller_core::Dependency)> {
    let mut out = Vec::new();
    for (i, t) in c.p.tasks.iter().enumerate() {
        let ti = TaskIdx(i as u32);
        if c.done(ti) {
            continue;
        }
        for d in &t.deps {
            out.push((ti, d));
        }
    }
    out
}

fn link_name(p: &Program, t: TaskIdx, d: &tiller_core::Dependency) -> String {
    let lag = match d.lag.days {
        0 => String::new(),
        n => format!("{n:+}{}", if d.lag.elapsed { "ed" } else { "d" }),
    };
    format!(
        "{} after {} {}{lag}",
        p.task(t).id,
        p.task(d.pred).id,
        d.kind.code()
    )
}

fn leads(c: &Ctx<'_>) -> Check {
    let links = open_links(c);
    let bad: Vec<String> = links
        .iter()
        .filter(|(_, d)| d.lag.days < 0)
        .map(|(t, d)| link_name(c.p, *t, d))
        .collect();
    share(
        2,
        "leads",
        "Leads: no negative lags",
        bad.len(),
        links.len(),
        "links into incomplete tasks",
        c.t.max_leads,
        true,
        bad.iter().take(MAX_LISTED).cloned().collect(),
        bad.len(),
    )
}

fn lags(c: &Ctx<'_>) -> Check {
    let links = open_links(c);
    let bad: Vec<String> = links
        .iter()
        .filter(|(_, d)| d.lag.days > 0)
        .map(|(t, d)| link_name(c.p, *t, d))
        .collect();
    share(
        3,
        "lags",
        "Lags: few positive lags",
        bad.len(),
        links.len(),
        "links into incomplete tasks",
        c.t.max_lags,
        true,
        bad.iter().take(MAX_LISTED).cloned().collect(),
        bad.len(),
    )
}

fn relationship_types(c: &Ctx<'_>) -> Check {
    let links = open_links(c);
    let fs = links
        .iter()
        .filter(|(_, d)| d.kind == DepKind::FinishToStart)
        .count();
    let other: Vec<String> = links
        .iter()
        .filter(|(_, d)| d.kind != DepKind::FinishToStart)
        .map(|(t, d)| link_name(c.p, *t, d))
        .collect();
    share(
        4,
        "relationship-types",
        "Relationship types: mostly finish-to-start",
        fs,
        links.len(),
        "links into incomplete tasks are FS",
        c.t.min_fs,
        false,
        other.iter().take(MAX_LISTED).cloned().collect(),
        other.len(),
    )
}

fn hard_constraints(c: &Ctx<'_>) -> Check {
    let inc = c.incomplete();
    let bad: Vec<TaskIdx> = inc
        .iter()
        .copied()
        .filter(|t| c.p.task(*t).deadline.is_some())
        .collect();
    let mut ch = share(
        5,
        "hard-constraints",
        "Hard constraints: few finish-no-later-than dates",
        bad.len(),
        inc.len(),
        "incomplete tasks and milestones",
        c.t.max_hard_constraints,
        true,
        ids(c.p, &bad),
        bad.len(),
    );
    ch.note = Some(
        "a `deadline` limits the backward pass like a finish-no-later-than constraint; promised dates (commitments) and `not_before` (start-no-earlier-than, soft) are not counted".to_string(),
    );
    ch
}

fn high_float(c: &Ctx<'_>) -> Check {
    let inc = c.incomplete();
    let bad: Vec<TaskIdx> = inc
        .iter()
        .copied()
        .filter(|t| c.s.times[t.index()].total_float as f64 > c.t.high_float_days)
        .collect();
    let mut ch = share(
        6,
        "high-float",
        "High float: few tasks with more than the float limit",
        bad.len(),
        inc.len(),
        "incomplete tasks and milestones",
        c.t.max_high_float,
        true,
        ids(c.p, &bad),
        bad.len(),
    );
    ch.note = Some(format!(
        "high float: more than {} working days of total float (missing logic usually)",
        c.t.high_float_days
    ));
    ch
}

fn negative_float(c: &Ctx<'_>) -> Check {
    let inc = c.incomplete();
    let bad: Vec<TaskIdx> = inc
        .iter()
        .copied()
        .filter(|t| c.s.times[t.index()].total_float < 0)
        .collect();
    share(
        7,
        "negative-float",
        "Negative float: no task behind a deadline or promise",
        bad.len(),
        inc.len(),
        "incomplete tasks and milestones",
        c.t.max_negative_float,
        true,
        ids(c.p, &bad),
        bad.len(),
    )
}

/// Planned duration of a task in working days: its baseline span, else its span in the
/// current schedule.
fn planned_duration(c: &Ctx<'_>, t: TaskIdx) -> i64 {
    match c.baseline_of(t) {
        Some(b) => c.days.span(b.start, b.finish),
        None => c.s.working_days[t.index()],
    }
}

fn high_duration(c: &Ctx<'_>) -> Check {
    let leaves = c.incomplete_leaves();
    let bad: Vec<TaskIdx> = leaves
        .iter()
        .copied()
        .filter(|t| planned_duration(c, *t) as f64 > c.t.high_duration_days)
        .collect();
    let mut ch = share(
        8,
        "high-duration",
        "High duration: few tasks longer than the duration limit",
        bad.len(),
        leaves.len(),
        "incomplete tasks",
        c.t.max_high_duration,
        true,
        ids(c.p, &bad),
        bad.len(),
    );
    ch.note = Some(format!(
        "high duration: more than {} working days (baseline duration where recorded)",
        c.t.high_duration_days
    ));
    ch
}

fn invalid_dates(c: &Ctx<'_>) -> Check {
    let Some(sd) = c.p.status_date else {
        return Check {
            number: 9,
            name: "invalid-dates",
            title: "Invalid dates: no actuals in the future",
            outcome: Outcome::NotApplicable,
            value: None,
            measure: "the plan has no status date".to_string(),
            threshold: threshold_text(c.t.max_invalid_dates, true),
            offenders: Vec::new(),
            offenders_total: 0,
            note: None,
        };
    };
    let mut bad: Vec<TaskIdx> = Vec::new();
    for u in &c.p.progress {
        let future =
            u.date > sd || u.started.is_some_and(|d| d > sd) || u.finished.is_some_and(|d| d > sd);
        if future && !bad.contains(&u.task) {
            bad.push(u.task);
        }
    }
    // A task not started whose schedule puts its start before the status date.
    for (i, t) in c.p.tasks.iter().enumerate() {
        let ti = TaskIdx(i as u32);
        let times = &c.s.times[i];
        if t.kind == TaskKind::Leaf
            && times.status == TaskStatus::NotStarted
            && c.s.start_date(ti) <= sd
            && !bad.contains(&ti)
        {
            bad.push(ti);
        }
    }
    bad.sort();
    let total =
        c.p.tasks
            .iter()
            .filter(|t| t.kind != TaskKind::Summary)
            .count();
    let mut ch = share(
        9,
        "invalid-dates",
        "Invalid dates: no actuals in the future",
        bad.len(),
        total,
        "tasks and milestones",
        c.t.max_invalid_dates,
        true,
        ids(c.p, &bad),
        bad.len(),
    );
    ch.note = Some(format!(
        "progress dated, started or finished after the status date {sd} (ignored by the schedule), or unstarted work scheduled on or before it"
    ));
    ch
}

fn resources(c: &Ctx<'_>) -> Check {
    let leaves = c.incomplete_leaves();
    let bad: Vec<TaskIdx> = leaves
        .iter()
        .copied()
        .filter(|t| {
            let task = c.p.task(*t);
            let backlog = matches!(task.work, Some(Work::Items { .. })) && task.team.is_some();
            matches!(task.assignment, Assignment::Unassigned)
                && task.fixed_cost.is_none()
                && !backlog
        })
        .collect();
    share(
        10,
        "resources",
        "Resources: every task has someone (or a cost)",
        bad.len(),
        leaves.len(),
        "incomplete tasks",
        c.t.max_unresourced,
        true,
        ids(c.p, &bad),
        bad.len(),
    )
}

fn missed_tasks(c: &Ctx<'_>) -> Check {
    let na = |measure: &str| Check {
        number: 11,
        name: "missed-tasks",
        title: "Missed tasks: work due by now finished on time",
        outcome: Outcome::NotApplicable,
        value: None,
        measure: measure.to_string(),
        threshold: threshold_text(c.t.max_missed, true),
        offenders: Vec::new(),
        offenders_total: 0,
        note: None,
    };
    let (Some(sd), Some(b)) = (c.p.status_date, c.b) else {
        return na("needs a baseline and a status date");
    };
    let progress = c.p.progress_as_of(sd);
    let mut due = 0;
    let mut bad = Vec::new();
    for bt in &b.tasks {
        let Some(t) = bt.task else { continue };
        if c.p.task(t).kind == TaskKind::Summary || bt.finish > sd {
            continue;
        }
        due += 1;
        let on_time = progress[t.index()].is_some_and(|x| {
            x.status == TaskStatus::Done && x.finished.is_some_and(|f| f <= bt.finish)
        });
        if !on_time {
            bad.push(t);
        }
    }
    share(
        11,
        "missed-tasks",
        "Missed tasks: work due by now finished on time",
        bad.len(),
        due,
        "tasks due by the status date (baseline)",
        c.t.max_missed,
        true,
        ids(c.p, &bad),
        bad.len(),
    )
}

/// Critical tasks the critical-path test delays, at most.
pub const CRITICAL_PATH_TESTS: usize = 25;

fn critical_path_test(c: &Ctx<'_>) -> Check {
    let p = c.p;
    let n = c.t.critical_path_delay_days.round().max(1.0);
    let base = Check {
        number: 12,
        name: "critical-path-test",
        title: "Critical-path test: delaying a critical task delays the finish as much",
        outcome: Outcome::NotApplicable,
        value: None,
        measure: "no unstarted task on the critical path to test".to_string(),
        threshold: format!("the end moves by {n} working days (±2%)"),
        offenders: Vec::new(),
        offenders_total: 0,
        note: Some(
            "each unstarted task of the critical path is made longer in turn; the task ending the path must move as much, else the chain is broken (a start-to-start or finish-to-finish link, a constraint, or a task nothing waits for)".to_string(),
        ),
    };
    let candidates: Vec<TaskIdx> =
        c.s.critical_paths
            .first()
            .map(|cp| {
                cp.iter()
                    .copied()
                    .filter(|t| {
                        p.task(*t).kind == TaskKind::Leaf
                            && c.s.times[t.index()].status == TaskStatus::NotStarted
                    })
                    .take(CRITICAL_PATH_TESTS)
                    .collect()
            })
            .unwrap_or_default();
    // The end of the path: the task that finishes the program.
    let Some(end) = c.s.critical_paths.first().and_then(|cp| cp.last().copied()) else {
        return base;
    };
    if candidates.is_empty() {
        return base;
    }
    let finish = c.s.finish_date(end);
    let mut bad = Vec::new();
    let mut least: Option<i64> = None;
    for &t in &candidates {
        let mut test = p.clone();
        let days = c.s.working_days[t.index()] as f64 + n;
        test.tasks[t.index()].work = Some(Work::Duration(Estimate::exact(days)));
        let moved = match tiller_engine::schedule(&test) {
            Ok(s2) => c.days.between(finish, s2.finish_date(end)),
            Err(_) => 0,
        };
        least = Some(least.map_or(moved, |l| l.min(moved)));
        if (moved as f64 - n).abs() > (0.02 * n).max(1.0) {
            bad.push((t, moved));
        }
    }
    Check {
        outcome: if bad.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        value: least.map(|v| v as f64),
        measure: if bad.is_empty() {
            format!(
                "each of {} critical tasks {n} working days longer moves `{}` by {n}",
                candidates.len(),
                p.task(end).id
            )
        } else {
            format!(
                "{} of {} critical tasks {n} working days longer do not move `{}` as much (`{}`: {})",
                bad.len(),
                candidates.len(),
                p.task(end).id,
                p.task(bad[0].0).id,
                bad[0].1
            )
        },
        offenders: bad
            .iter()
            .take(MAX_LISTED)
            .map(|(t, m)| format!("{} (the end moves {m})", p.task(*t).id))
            .collect(),
        offenders_total: bad.len(),
        ..base
    }
}

fn cpli(c: &Ctx<'_>) -> Check {
    let base = Check {
        number: 13,
        name: "cpli",
        title: "Critical path length index",
        outcome: Outcome::NotApplicable,
        value: None,
        measure: "needs a baseline finish and remaining work".to_string(),
        threshold: format!("at least {}", c.t.min_cpli),
        offenders: Vec::new(),
        offenders_total: 0,
        note: None,
    };
    let Some(b) = c.b else { return base };
    let Some(target) = b.tasks.iter().map(|t| t.finish).max() else {
        return base;
    };
    let from = c.p.status_date.unwrap_or(c.p.start);
    let finish = c.s.finish_date_of_program();
    let cpl = c.days.between(from, finish);
    if cpl <= 0 {
        return base;
    }
    let tf = c.days.between(finish, target);
    let v = (cpl + tf) as f64 / cpl as f64;
    let v = (v * 1e4).round() / 1e4;
    Check {
        outcome: if v >= c.t.min_cpli {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        value: Some(v),
        measure: format!(
            "(critical path {cpl} + float {tf}) ÷ {cpl} = {v:.2}: finish {finish} against the baseline finish {target}"
        ),
        ..base
    }
}

fn bei(c: &Ctx<'_>) -> Check {
    let base = Check {
        number: 14,
        name: "bei",
        title: "Baseline execution index",
        outcome: Outcome::NotApplicable,
        value: None,
        measure: "needs a baseline and a status date, with work due by then".to_string(),
        threshold: format!("at least {}", c.t.min_bei),
        offenders: Vec::new(),
        offenders_total: 0,
        note: None,
    };
    let (Some(sd), Some(b)) = (c.p.status_date, c.b) else {
        return base;
    };
    let due = b
        .tasks
        .iter()
        .filter(|bt| {
            bt.finish <= sd
                && bt
                    .task
                    .is_none_or(|t| c.p.task(t).kind != TaskKind::Summary)
        })
        .count();
    if due == 0 {
        return base;
    }
    let done =
        c.p.tasks
            .iter()
            .enumerate()
            .filter(|(i, t)| t.kind != TaskKind::Summary && c.done(TaskIdx(*i as u32)))
            .count();
    let v = ((done as f64 / due as f64) * 1e4).round() / 1e4;
    Check {
        outcome: if v >= c.t.min_bei {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        value: Some(v),
        measure: format!("{done} tasks done ÷ {due} due by {sd} (baseline) = {v:.2}"),
        ..base
    }
}

/// The report for a terminal.
pub fn table(r: &LintReport) -> String {
    let mut out = format!(
        "{} — schedule quality (DCMA 14-point style){}{}\n\n",
        r.program,
        r.as_of.map(|d| format!(" as of {d}")).unwrap_or_default(),
        r.baseline
            .as_deref()
            .map(|b| format!(", baseline `{b}`"))
            .unwrap_or_default()
    );
    out.push_str(&format!(
        "{:>2}  {:<20} {:<8} {:<16} MEASURE\n",
        "#", "CHECK", "RESULT", "THRESHOLD"
    ));
    for ch in &r.checks {
        out.push_str(&format!(
            "{:>2}  {:<20} {:<8} {:<16} {}\n",
            ch.number,
            ch.name,
            ch.outcome.label(),
            ch.threshold,
            ch.measure
        ));
        if ch.outcome == Outcome::Fail && !ch.offenders.is_empty() {
            let more = ch.offenders_total.saturating_sub(ch.offenders.len());
            out.push_str(&format!(
                "    {}{}\n",
                ch.offenders.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
    }
    out.push_str(&format!(
        "\n{} of {} checks failed{}\n",
        r.failed,
        r.checks.len(),
        if r.failed == 0 {
            ""
        } else {
            " (thresholds: `[lint]` in the plan, docs/lint.md)"
        }
    ));
    out
}
