//! The post-program evaluation: planned against actual per task, team and milestone;
//! estimate accuracy per team; what caused each milestone's slip; the risks that
//! materialised against their forecast probability; the lessons recorded in the plan;
//! and the calibration that later forecasts can apply.
//!
//! It works on a finished program and on one in flight (finished work is measured,
//! the rest is the current forecast).

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{
    Baseline, IssueStatus, Program, RaidLink, RiskKind, RiskStatus, TaskIdx, TaskKind, TaskStatus,
    Work,
};
use tiller_engine::Schedule;

use crate::calibration::{BIAS_RANGE, Calibration, Factors, SPREAD_RANGE};
use crate::util::{WorkDays, money, person_name, team_name};

#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    pub id: String,
    pub name: String,
    pub team: Option<String>,
    pub status: &'static str,
    pub baseline_start: Option<NaiveDate>,
    pub baseline_finish: Option<NaiveDate>,
    /// Actual dates when done; the current schedule's otherwise.
    pub start: NaiveDate,
    pub finish: NaiveDate,
    /// Working days planned (baseline span, else the plan's span) and taken (done only).
    pub planned_days: i64,
    pub actual_days: Option<i64>,
    /// actual ÷ planned working days, for finished tasks.
    pub ratio: Option<f64>,
    /// Finish against the baseline, working days (positive = later).
    pub finish_variance: Option<i64>,
    /// Planned cost (baseline) and actual cost reported (done only).
    pub planned_cost: Option<f64>,
    pub actual_cost: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamAccuracy {
    pub team: String,
    pub name: String,
    /// Finished tasks measured.
    pub tasks: usize,
    /// Geometric mean of actual ÷ planned working days: above 1, work takes longer
    /// than planned.
    pub bias: Option<f64>,
    /// Geometric standard deviation of the ratio (×/÷ this much around the bias).
    pub spread: Option<f64>,
    /// Share of its finished tasks that finished by their baseline date.
    pub on_time: Option<f64>,
    /// Mean finish variance of its finished tasks, working days.
    pub mean_finish_variance: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cause {
    pub task: String,
    /// Working days of the slip that arose at this task (its finish variance beyond
    /// that of the task driving it).
    pub days: i64,
    /// Risks that occurred and issues raised about it.
    pub risks: Vec<String>,
    pub issues: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MilestoneSlip {
    pub id: String,
    pub name: String,
    pub baseline: Option<NaiveDate>,
    /// The actual date, or the current critical-path date when not yet reached.
    pub date: NaiveDate,
    pub reached: bool,
    pub promised: Option<NaiveDate>,
    /// Working days against the baseline (positive = later).
    pub slip: Option<i64>,
    /// The chain of latest-finishing predecessors that decided its date, start first.
    pub chain: Vec<String>,
    pub causes: Vec<Cause>,
    /// Working days won back further down the chain (finish variance that shrank).
    pub recovered: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RiskOutcome {
    pub id: String,
    pub title: String,
    pub owner: Option<String>,
    pub probability: f64,
    /// `occurred`, `closed` (did not occur) or `open`.
    pub outcome: &'static str,
    pub affects: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RiskCalibration {
    /// Risks resolved (occurred or closed).
    pub resolved: usize,
    /// Σ probability over them: how many the register expected to occur.
    pub expected: f64,
    pub occurred: usize,
    /// Mean squared error of the probabilities (0 is perfect; 0.25 is a coin toss).
    pub brier: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LessonRow {
    pub id: String,
    pub title: String,
    pub category: Option<String>,
    pub description: Option<String>,
    pub recommendation: Option<String>,
    pub owner: Option<String>,
    pub affects: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Retro {
    pub program: String,
    pub as_of: NaiveDate,
    pub baseline: Option<String>,
    /// Whether every task is done.
    pub complete: bool,
    pub tasks: Vec<TaskRow>,
    pub teams: Vec<TeamAccuracy>,
    pub milestones: Vec<MilestoneSlip>,
    pub risks: Vec<RiskOutcome>,
    pub risk_calibration: RiskCalibration,
    pub lessons: Vec<LessonRow>,
    /// Budget at completion (baseline) against actual cost so far (AC as `tiller evm`
    /// measures it).
    pub planned_cost: f64,
    pub actual_cost: f64,
    pub calibration: Calibration,
}

/// One finished task's accuracy.
struct Measured {
    team: Option<tiller_core::TeamIdx>,
    /// Actual ÷ planned working days.
    ratio: f64,
    /// Actual work ÷ the forecast's mean of its estimate.
    to_mean: f64,
    /// The estimate's own standard deviation ÷ its mean.
    predicted_sd: f64,
    finish_variance: Option<i64>,
}

/// Finished tasks needed to measure a team's spread (fewer keep a spread of 1).
pub const MIN_SPREAD_TASKS: usize = 3;

fn geo(ratios: &[f64]) -> (Option<f64>, Option<f64>) {
    if ratios.is_empty() {
        return (None, None);
    }
    let logs: Vec<f64> = ratios.iter().map(|r| r.ln()).collect();
    let mean = logs.iter().sum::<f64>() / logs.len() as f64;
    let spread = (logs.len() >= 2).then(|| {
        let var = logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (logs.len() - 1) as f64;
        var.sqrt().exp()
    });
    (Some(mean.exp()), spread)
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The predecessor that decided a task's start (or finish): the one whose constraint
/// falls latest, following summaries to the task inside them that finished last.
fn driver(p: &Program, s: &Schedule, t: TaskIdx) -> Option<TaskIdx> {
    let mut best: Option<(NaiveDate, TaskIdx)> = None;
    let mut x = Some(t);
    while let Some(i) = x {
        for d in &p.task(i).deps {
            let date = if d.kind.from_finish() {
                s.finish_date(d.pred)
            } else {
                s.start_date(d.pred)
            };
            if best.is_none_or(|(b, _)| date > b) {
                best = Some((date, d.pred));
            }
        }
        x = p.task(i).parent;
    }
    let (_, mut pred) = best?;
    // Into a summary: the task that finished last (or started first, for SS/SF).
    while p.task(pred).kind == TaskKind::Summary {
        let children = &p.task(pred).children;
        let next = children
            .iter()
            .copied()
            .max_by_key(|c| (s.finish_date(*c), std::cmp::Reverse(c.index())))?;
        pred = next;
    }
    Some(pred)
}

/// Builds the evaluation as of the plan's status date.
pub fn evaluate(program: &Program, schedule: &Schedule, baseline: Option<&Baseline>) -> Retro {
    let evm_ac = program
        .status_date
        .and_then(|_| tiller_app::tracking::evm(program, baseline, None).ok())
        .map(|r| r.program.ac);
    let p = program;
    let s = schedule;
    let as_of = p.status_date.unwrap_or(p.start);
    let days = WorkDays::new(p);
    let progress = p.progress_as_of(as_of);
    let base_of = |t: TaskIdx| baseline.and_then(|b| b.tasks.iter().find(|x| x.task == Some(t)));
    // The plan as written (no progress): what was planned where there is no baseline.
    let plan = tiller_engine::Network::build_as_of(p, None)
        .and_then(|n| n.schedule())
        .ok();

    let mut tasks = Vec::new();
    // Per finished leaf: (team, ratio of days, ratio to the forecast mean, predicted
    // relative sd, finish variance).
    let mut measured: Vec<Measured> = Vec::new();
    for (i, t) in p.tasks.iter().enumerate() {
        if t.kind == TaskKind::Summary {
            continue;
        }
        let idx = TaskIdx(i as u32);
        let b = base_of(idx);
        let done = s.times[i].status == TaskStatus::Done;
        let (start, finish) = (s.start_date(idx), s.finish_date(idx));
        let planned_days = match (b, &plan) {
            (Some(b), _) => days.span(b.start, b.finish),
            (None, Some(pl)) => pl.working_days[i],
            (None, None) => s.working_days[i],
        };
        let actual_days = (done && t.kind == TaskKind::Leaf).then(|| days.span(start, finish));
        let ratio = actual_days
            .filter(|_| planned_days > 0)
            .map(|a| a.max(1) as f64 / planned_days as f64);
        let finish_variance = b.map(|b| days.between(b.finish, finish));
        if let (Some(r), Some(w)) = (ratio, &t.work)
            && !matches!(w, Work::Items { .. })
        {
            let e = w.estimate();
            let dist = t.distribution.unwrap_or(p.forecast.distribution);
            let (mean, var) = tiller_engine::forecast::moments(e, dist);
            if mean > 0.0 && e.likely > 0.0 {
                let actual_work = e.likely * r;
                measured.push(Measured {
                    team: t.team,
                    ratio: r,
                    to_mean: actual_work / mean,
                    predicted_sd: var.sqrt() / mean,
                    finish_variance,
                });
            }
        }
        tasks.push(TaskRow {
            id: t.id.clone(),
            name: t.name.clone(),
            team: t.team.map(|tm| p.team(tm).id.clone()),
            status: match s.times[i].status {
                TaskStatus::Done => "done",
                TaskStatus::InProgress => "in_progress",
                TaskStatus::NotStarted => "not_started",
            },
            baseline_start: b.map(|b| b.start),
            baseline_finish: b.map(|b| b.finish),
            start,
            finish,
            planned_days,
            actual_days,
            ratio: ratio.map(r3),
            finish_variance,
            planned_cost: b.map(|b| b.cost.as_units()),
            actual_cost: if done {
                progress[i].and_then(|x| x.cost).map(|m| m.as_units())
            } else {
                None
            },
        });
    }

    // Per team accuracy and calibration.
    let mut teams = Vec::new();
    let mut cal_teams = Vec::new();
    let factors = |rows: &[&Measured]| -> Option<Factors> {
        if rows.is_empty() {
            return None;
        }
        let to_mean: Vec<f64> = rows.iter().map(|r| r.to_mean).collect();
        let (bias, _) = geo(&to_mean);
        let bias = bias?.clamp(BIAS_RANGE.0, BIAS_RANGE.1);
        let spread = if rows.len() >= MIN_SPREAD_TASKS {
            let lb = bias.ln();
            let observed = (rows
                .iter()
                .map(|r| (r.to_mean.ln() - lb).powi(2))
                .sum::<f64>()
                / (rows.len() - 1) as f64)
                .sqrt();
            let predicted = (rows.iter().map(|r| r.predicted_sd.powi(2)).sum::<f64>()
                / rows.len() as f64)
                .sqrt();
            if predicted > 0.0 {
                (observed / predicted).clamp(SPREAD_RANGE.0, SPREAD_RANGE.1)
            } else {
                1.0
            }
        } else {
            1.0
        };
        Some(Factors {
            bias: r3(bias),
            spread: r3(spread),
            tasks: rows.len(),
        })
    };
    for (ti, team) in p.teams.iter().enumerate() {
        let rows: Vec<&Measured> = measured
            .iter()
            .filter(|m| m.team == Some(tiller_core::TeamIdx(ti as u32)))
            .collect();
        let ratios: Vec<f64> = rows.iter().map(|r| r.ratio).collect();
        let (bias, spread) = geo(&ratios);
        let variances: Vec<i64> = rows.iter().filter_map(|r| r.finish_variance).collect();
        teams.push(TeamAccuracy {
            team: team.id.clone(),
            name: team_name(p, tiller_core::TeamIdx(ti as u32)),
            tasks: rows.len(),
            bias: bias.map(r3),
            spread: spread.map(r3),
            on_time: (!variances.is_empty()).then(|| {
                r3(variances.iter().filter(|v| **v <= 0).count() as f64 / variances.len() as f64)
            }),
            mean_finish_variance: (!variances.is_empty())
                .then(|| r3(variances.iter().sum::<i64>() as f64 / variances.len() as f64)),
        });
        if let Some(f) = factors(&rows) {
            cal_teams.push((team.id.clone(), f));
        }
    }
    let all: Vec<&Measured> = measured.iter().collect();
    let calibration = Calibration {
        source: Some(p.name.clone()),
        as_of: Some(as_of),
        tasks: measured.len(),
        default: factors(&all),
        teams: cal_teams,
    };

    // Milestones: slip against the baseline and where it arose.
    let mut milestones = Vec::new();
    for (i, t) in p.tasks.iter().enumerate() {
        if t.kind != TaskKind::Milestone {
            continue;
        }
        let idx = TaskIdx(i as u32);
        let date = s.finish_date(idx);
        let b = base_of(idx);
        let slip = b.map(|b| days.between(b.finish, date));
        let mut chain = vec![idx];
        let mut seen = vec![false; p.tasks.len()];
        seen[i] = true;
        while let Some(d) = driver(p, s, *chain.last().unwrap_or(&idx)) {
            if seen[d.index()] || chain.len() > 500 {
                break;
            }
            seen[d.index()] = true;
            chain.push(d);
        }
        chain.reverse();
        let mut causes = Vec::new();
        let mut recovered = 0;
        if slip.is_some_and(|x| x > 0) {
            let mut prev = 0i64;
            for &c in &chain {
                let Some(bc) = base_of(c) else { continue };
                let var = days.between(bc.finish, s.finish_date(c));
                let grew = var - prev.max(0);
                if grew < 0 && prev > 0 {
                    recovered += (-grew).min(prev);
                }
                if grew > 0 && c != idx {
                    let about = |links: &[RaidLink]| links.contains(&RaidLink::Task(c));
                    causes.push(Cause {
                        task: p.task(c).id.clone(),
                        days: grew,
                        risks: p
                            .risks
                            .iter()
                            .filter(|r| r.status == RiskStatus::Occurred && about(&r.affects))
                            .map(|r| r.id.clone())
                            .collect(),
                        issues: p
                            .issues
                            .iter()
                            .filter(|x| about(&x.affects))
                            .map(|x| {
                                format!(
                                    "{}{}",
                                    x.id,
                                    if x.status == IssueStatus::Open {
                                        " (open)"
                                    } else {
                                        ""
                                    }
                                )
                            })
                            .collect(),
                    });
                }
                prev = var;
            }
            causes.sort_by(|a, b| b.days.cmp(&a.days).then(a.task.cmp(&b.task)));
        }
        milestones.push(MilestoneSlip {
            id: t.id.clone(),
            name: t.name.clone(),
            baseline: b.map(|b| b.finish),
            date,
            reached: s.times[i].status == TaskStatus::Done,
            promised: t.promised.as_ref().map(|x| x.value),
            slip,
            chain: chain.iter().map(|c| p.task(*c).id.clone()).collect(),
            causes,
            recovered,
        });
    }

    // Risks: what happened to each, and how good the probabilities were.
    let risks: Vec<RiskOutcome> = p
        .risks
        .iter()
        .filter(|r| r.kind == RiskKind::Threat)
        .map(|r| RiskOutcome {
            id: r.id.clone(),
            title: r.title.clone(),
            owner: person_name(p, r.owner),
            probability: r.impact.probability,
            outcome: match r.status {
                RiskStatus::Occurred => "occurred",
                RiskStatus::Closed => "closed",
                RiskStatus::Open => "open",
            },
            affects: r
                .affects
                .iter()
                .map(|l| crate::raid::link_id(p, l))
                .collect(),
        })
        .collect();
    let resolved: Vec<&RiskOutcome> = risks.iter().filter(|r| r.outcome != "open").collect();
    let risk_calibration = RiskCalibration {
        resolved: resolved.len(),
        expected: r3(resolved.iter().map(|r| r.probability).sum()),
        occurred: resolved.iter().filter(|r| r.outcome == "occurred").count(),
        brier: (!resolved.is_empty()).then(|| {
            r3(resolved
                .iter()
                .map(|r| {
                    let o = if r.outcome == "occurred" { 1.0 } else { 0.0 };
                    (r.probability - o).powi(2)
                })
                .sum::<f64>()
                / resolved.len() as f64)
        }),
    };

    let lessons = p
        .reporting
        .lessons
        .iter()
        .map(|l| LessonRow {
            id: l.id.clone(),
            title: l.title.clone(),
            category: l.category.clone(),
            description: l.description.clone(),
            recommendation: l.recommendation.clone(),
            owner: person_name(p, l.owner),
            affects: l
                .affects
                .iter()
                .map(|a| crate::raid::link_id(p, a))
                .collect(),
        })
        .collect();
    let planned_cost = baseline.map_or(0.0, |b| b.tasks.iter().map(|t| t.cost.as_units()).sum());
    let actual_cost = evm_ac.unwrap_or_else(|| {
        progress
            .iter()
            .flatten()
            .filter_map(|x| x.cost)
            .map(|m| m.as_units())
            .sum()
    });
    Retro {
        program: p.name.clone(),
        as_of,
        baseline: baseline.map(|b| b.name.clone()),
        complete: s.times.iter().all(|t| t.status == TaskStatus::Done),
        tasks,
        teams,
        milestones,
        risks,
        risk_calibration,
        lessons,
        planned_cost,
        actual_cost,
        calibration,
    }
}

fn d(x: Option<NaiveDate>) -> String {
    x.map_or_else(|| "-".to_string(), |d| d.to_string())
}

fn f2(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}

/// The evaluation in Markdown.
pub fn markdown(r: &Retro) -> String {
    let mut o = format!(
        "# {} — post-program evaluation as of {}\n\n",
        r.program, r.as_of
    );
    o.push_str(&format!(
        "{}{}.\n",
        if r.complete {
            "The program is complete"
        } else {
            "The program is still running: finished work is measured, the rest is the current forecast"
        },
        r.baseline
            .as_deref()
            .map(|b| format!("; planned means baseline `{b}`"))
            .unwrap_or_else(|| "; no baseline, so planned means the plan as written".to_string())
    ));
    let done = r.tasks.iter().filter(|t| t.status == "done").count();
    o.push_str(&format!(
        "\n{done} of {} tasks and milestones done; budget at completion {} (baseline), {} spent so far.\n",
        r.tasks.len(),
        money(r.planned_cost),
        money(r.actual_cost)
    ));

    o.push_str("\n## Estimate accuracy by team\n\nActual ÷ planned working days of finished tasks: bias is the geometric mean (above 1 = longer than planned), spread the geometric standard deviation (×/÷).\n\n| Team | Finished | Bias | Spread | On time | Mean finish variance |\n|---|---:|---:|---:|---:|---:|\n");
    for t in &r.teams {
        o.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            t.name,
            t.tasks,
            f2(t.bias),
            f2(t.spread),
            t.on_time.map_or_else(|| "-".to_string(), crate::util::pct),
            t.mean_finish_variance
                .map_or_else(|| "-".to_string(), |v| format!("{v:+.1}d"))
        ));
    }

    o.push_str("\n## Milestones: planned against actual\n\n| Milestone | Baseline | Actual / forecast | Slip | Promised | Where the slip arose |\n|---|---|---|---:|---|---|\n");
    for m in &r.milestones {
        let causes = if m.causes.is_empty() {
            "-".to_string()
        } else {
            let mut s = m
                .causes
                .iter()
                .take(5)
                .map(|c| {
                    let mut s = format!("`{}` +{}d", c.task, c.days);
                    if !c.risks.is_empty() {
                        s.push_str(&format!(" (risk {})", c.risks.join(", ")));
                    }
                    if !c.issues.is_empty() {
                        s.push_str(&format!(" (issue {})", c.issues.join(", ")));
                    }
                    s
                })
                .collect::<Vec<_>>()
                .join("; ");
            if m.recovered > 0 {
                s.push_str(&format!("; {}d won back further on", m.recovered));
            }
            s
        };
        o.push_str(&format!(
            "| `{}` {} | {} | {}{} | {} | {} | {} |\n",
            m.id,
            m.name,
            d(m.baseline),
            m.date,
            if m.reached { " (reached)" } else { "" },
            m.slip
                .map_or_else(|| "-".to_string(), |v| format!("{v:+}d")),
            d(m.promised),
            causes
        ));
    }
    o.push_str("\nThe slip is traced back along the chain of latest-finishing predecessors; each task is charged the working days its finish variance grew by.\n");

    o.push_str("\n## Risks: forecast against what happened\n\n");
    let rc = &r.risk_calibration;
    if rc.resolved == 0 {
        o.push_str("No risk has been resolved (occurred or closed) yet.\n");
    } else {
        o.push_str(&format!(
            "{} risks resolved: {:.1} expected to occur, {} occurred; Brier score {} (0 is perfect, 0.25 a coin toss).\n",
            rc.resolved,
            rc.expected,
            rc.occurred,
            f2(rc.brier)
        ));
    }
    o.push_str("\n| Risk | Probability | Outcome | Owner |\n|---|---:|---|---|\n");
    for x in &r.risks {
        o.push_str(&format!(
            "| `{}` {} | {} | {} | {} |\n",
            x.id,
            x.title,
            crate::util::pct(x.probability),
            x.outcome,
            x.owner.as_deref().unwrap_or("-")
        ));
    }

    o.push_str("\n## Lessons learned\n\n");
    if r.lessons.is_empty() {
        o.push_str("None recorded (add `[[lesson]]` entries to the plan).\n");
    }
    for l in &r.lessons {
        o.push_str(&format!(
            "- **{}**{}: {}{}{}\n",
            l.id,
            l.category
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default(),
            l.title,
            l.description
                .as_deref()
                .map(|x| format!(" — {x}"))
                .unwrap_or_default(),
            l.recommendation
                .as_deref()
                .map(|x| format!(" Next time: {x}"))
                .unwrap_or_default()
        ));
    }

    o.push_str("\n## Calibration for later forecasts\n\n");
    let c = &r.calibration;
    if c.tasks == 0 {
        o.push_str("No finished task to measure yet.\n");
    } else {
        o.push_str("Estimates × bias, ranges × spread (`tiller retro --calibration-out FILE` writes these; `tiller forecast --calibration FILE` applies them).\n\n| Team | Tasks | Bias | Spread |\n|---|---:|---:|---:|\n");
        if let Some(f) = &c.default {
            o.push_str(&format!(
                "| (default) | {} | {:.3} | {:.3} |\n",
                f.tasks, f.bias, f.spread
            ));
        }
        for (id, f) in &c.teams {
            o.push_str(&format!(
                "| {id} | {} | {:.3} | {:.3} |\n",
                f.tasks, f.bias, f.spread
            ));
        }
    }

    o.push_str("\n## Tasks: planned against actual\n\n| Task | Team | Baseline | Actual / forecast | Planned days | Actual days | Ratio | Finish variance |\n|---|---|---|---|---:|---:|---:|---:|\n");
    for t in &r.tasks {
        o.push_str(&format!(
            "| `{}` | {} | {} → {} | {} → {} | {} | {} | {} | {} |\n",
            t.id,
            t.team.as_deref().unwrap_or("-"),
            d(t.baseline_start),
            d(t.baseline_finish),
            t.start,
            t.finish,
            t.planned_days,
            t.actual_days
                .map_or_else(|| "-".to_string(), |v| v.to_string()),
            f2(t.ratio),
            t.finish_variance
                .map_or_else(|| "-".to_string(), |v| format!("{v:+}d"))
        ));
    }
    o
}
