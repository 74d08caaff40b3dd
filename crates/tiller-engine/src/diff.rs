//! What changed between two versions of a plan: scope, estimates, links, dates, the
//! critical path, budget and risks.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{Program, RiskStatus, TaskIdx, TaskKind, Work};

use crate::cost::planned_cost;
use crate::cpm::Schedule;

/// One side of a comparison.
pub struct Side<'a> {
    pub program: &'a Program,
    pub schedule: &'a Schedule,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reestimate {
    pub id: String,
    /// `effort`, `duration` or `items` (the new plan's kind of work; for items, the
    /// estimates are the durations the backlog implies).
    pub work: &'static str,
    /// Optimistic, likely and pessimistic days, before and after.
    pub old: [f64; 3],
    pub new: [f64; 3],
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub task: String,
    pub after: String,
    /// `FS`, `SS`, `FF` or `SF`, then the lag (`+2d`, `-1ed`, or empty).
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkChange {
    pub task: String,
    pub after: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateChange {
    pub id: String,
    pub old: NaiveDate,
    pub new: NaiveDate,
    /// Working days of the new plan's program calendar; positive = later.
    pub slip: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promised: Option<NaiveDate>,
    /// P80 dates when forecasts are available for both sides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p80_old: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p80_new: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostChange {
    pub id: String,
    pub old: f64,
    pub new: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Budget {
    pub budget_old: Option<f64>,
    pub budget_new: Option<f64>,
    pub planned_cost_old: f64,
    pub planned_cost_new: f64,
    /// Per top-level workstream (and top-level tasks), where the planned cost changed.
    pub workstreams: Vec<CostChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanDiff {
    pub tasks_added: Vec<TaskRef>,
    pub tasks_removed: Vec<TaskRef>,
    pub reestimated: Vec<Reestimate>,
    pub links_added: Vec<Link>,
    pub links_removed: Vec<Link>,
    pub links_changed: Vec<LinkChange>,
    pub finish: DateChange,
    pub milestones: Vec<DateChange>,
    pub milestones_added: Vec<String>,
    pub milestones_removed: Vec<String>,
    pub became_critical: Vec<String>,
    pub no_longer_critical: Vec<String>,
    pub critical_path_old: Vec<String>,
    pub critical_path_new: Vec<String>,
    pub budget: Budget,
    pub risks_opened: Vec<String>,
    pub risks_closed: Vec<String>,
}

impl PlanDiff {
    /// The largest slip of the program finish or any milestone, in working days.
    pub fn worst_slip(&self) -> i64 {
        self.milestones
            .iter()
            .map(|m| m.slip)
            .chain([self.finish.slip])
            .max()
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.tasks_added.is_empty()
            && self.tasks_removed.is_empty()
            && self.reestimated.is_empty()
            && self.links_added.is_empty()
            && self.links_removed.is_empty()
            && self.links_changed.is_empty()
            && self.finish.slip == 0
            && self.finish.old == self.finish.new
            && self.milestones.is_empty()
            && self.milestones_added.is_empty()
            && self.milestones_removed.is_empty()
            && self.became_critical.is_empty()
            && self.no_longer_critical.is_empty()
            && self.budget.workstreams.is_empty()
            && self.budget.budget_old == self.budget.budget_new
            && self.risks_opened.is_empty()
            && self.risks_closed.is_empty()
    }
}

fn link_text(kind: tiller_core::DepKind, lag: tiller_core::Lag) -> String {
    let lag = match lag.days {
        0 => String::new(),
        d => format!("{d:+}{}", if lag.elapsed { "ed" } else { "d" }),
    };
    format!("{}{lag}", kind.code())
}

fn three(w: &Work) -> [f64; 3] {
    let e = w.estimate();
    [e.optimistic, e.likely, e.pessimistic]
}

/// Compares two versions of a plan. P80 dates are filled in by the caller when it has
/// forecasts for both sides.
pub fn compare(old: &Side<'_>, new: &Side<'_>) -> PlanDiff {
    let by_id = |p: &Program| -> BTreeMap<String, TaskIdx> {
        p.tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), TaskIdx(i as u32)))
            .collect()
    };
    let (old_ids, new_ids) = (by_id(old.program), by_id(new.program));
    let task_ref = |p: &Program, t: TaskIdx| TaskRef {
        id: p.task(t).id.clone(),
        name: p.task(t).name.clone(),
    };
    let not_milestone = |p: &Program, t: TaskIdx| p.task(t).kind != TaskKind::Milestone;

    let tasks_added = new_ids
        .iter()
        .filter(|(id, t)| !old_ids.contains_key(*id) && not_milestone(new.program, **t))
        .map(|(_, t)| task_ref(new.program, *t))
        .collect();
    let tasks_removed = old_ids
        .iter()
        .filter(|(id, t)| !new_ids.contains_key(*id) && not_milestone(old.program, **t))
        .map(|(_, t)| task_ref(old.program, *t))
        .collect();
    let milestones_added = new_ids
        .iter()
        .filter(|(id, t)| !old_ids.contains_key(*id) && !not_milestone(new.program, **t))
        .map(|(id, _)| id.clone())
        .collect();
    let milestones_removed = old_ids
        .iter()
        .filter(|(id, t)| !new_ids.contains_key(*id) && !not_milestone(old.program, **t))
        .map(|(id, _)| id.clone())
        .collect();

    let common: Vec<(&String, TaskIdx, TaskIdx)> = new_ids
        .iter()
        .filter_map(|(id, &n)| old_ids.get(id).map(|&o| (id, o, n)))
        .collect();

    let mut reestimated = Vec::new();
    for &(id, o, n) in &common {
        let (ow, nw) = (&old.program.task(o).work, &new.program.task(n).work);
        if let (Some(a), Some(b)) = (ow, nw)
            && (three(a) != three(b) || std::mem::discriminant(a) != std::mem::discriminant(b))
        {
            reestimated.push(Reestimate {
                id: id.clone(),
                work: match b {
                    Work::Effort(_) => "effort",
                    Work::Duration(_) => "duration",
                    Work::Items { .. } => "items",
                },
                old: three(a),
                new: three(b),
            });
        }
    }

    // Links, keyed by (successor id, predecessor id).
    let links = |p: &Program| -> BTreeMap<(String, String), String> {
        p.tasks
            .iter()
            .flat_map(|t| {
                t.deps.iter().map(move |d| {
                    (
                        (t.id.clone(), p.task(d.pred).id.clone()),
                        link_text(d.kind, d.lag),
                    )
                })
            })
            .collect()
    };
    let (old_links, new_links) = (links(old.program), links(new.program));
    let as_link = |((task, after), link): (&(String, String), &String)| Link {
        task: task.clone(),
        after: after.clone(),
        link: link.clone(),
    };
    let links_added = new_links
        .iter()
        .filter(|(k, _)| !old_links.contains_key(*k))
        .map(as_link)
        .collect();
    let links_removed = old_links
        .iter()
        .filter(|(k, _)| !new_links.contains_key(*k))
        .map(as_link)
        .collect();
    let links_changed = new_links
        .iter()
        .filter_map(|(k, v)| {
            old_links.get(k).filter(|o| *o != v).map(|o| LinkChange {
                task: k.0.clone(),
                after: k.1.clone(),
                old: o.clone(),
                new: v.clone(),
            })
        })
        .collect();

    // Dates, with slips on the new plan's program calendar.
    let cal = crate::calendars::Profiles::new(new.program).work_axis();
    let day = |d: NaiveDate| (d - new.program.start).num_days();
    let slip = |a: NaiveDate, b: NaiveDate| cal.cum(day(b) + 1) - cal.cum(day(a) + 1);
    let finish = {
        let (a, b) = (
            old.schedule.finish_date_of_program(),
            new.schedule.finish_date_of_program(),
        );
        DateChange {
            id: "program".to_string(),
            old: a,
            new: b,
            slip: slip(a, b),
            promised: None,
            p80_old: None,
            p80_new: None,
        }
    };
    let mut milestones = Vec::new();
    for &(id, o, n) in &common {
        if new.program.task(n).kind != TaskKind::Milestone {
            continue;
        }
        let (a, b) = (old.schedule.finish_date(o), new.schedule.finish_date(n));
        let promised = new.program.task(n).promised.as_ref().map(|p| p.value);
        let promised_old = old.program.task(o).promised.as_ref().map(|p| p.value);
        if a != b || promised != promised_old {
            milestones.push(DateChange {
                id: id.clone(),
                old: a,
                new: b,
                slip: slip(a, b),
                promised,
                p80_old: None,
                p80_new: None,
            });
        }
    }

    let critical = |s: &Side<'_>, t: TaskIdx| {
        s.schedule.times[t.index()].critical && s.program.task(t).kind != TaskKind::Summary
    };
    let became_critical = common
        .iter()
        .filter(|&&(_, o, n)| critical(new, n) && !critical(old, o))
        .map(|(id, _, _)| (*id).clone())
        .collect();
    let no_longer_critical = common
        .iter()
        .filter(|&&(_, o, n)| !critical(new, n) && critical(old, o))
        .map(|(id, _, _)| (*id).clone())
        .collect();
    let path = |s: &Side<'_>| -> Vec<String> {
        s.schedule
            .critical_paths
            .first()
            .map(|p| p.iter().map(|t| s.program.task(*t).id.clone()).collect())
            .unwrap_or_default()
    };

    let budget = budget_changes(old.program, new.program);

    let risk_open = |p: &Program| -> BTreeSet<String> {
        p.risks
            .iter()
            .filter(|r| r.status != RiskStatus::Closed)
            .map(|r| r.id.clone())
            .collect()
    };
    let (old_open, new_open) = (risk_open(old.program), risk_open(new.program));
    PlanDiff {
        tasks_added,
        tasks_removed,
        reestimated,
        links_added,
        links_removed,
        links_changed,
        finish,
        milestones,
        milestones_added,
        milestones_removed,
        became_critical,
        no_longer_critical,
        critical_path_old: path(old),
        critical_path_new: path(new),
        budget,
        risks_opened: new_open.difference(&old_open).cloned().collect(),
        risks_closed: old_open.difference(&new_open).cloned().collect(),
    }
}

/// Planned cost per top-level task (workstreams roll up their leaves).
fn top_level_costs(p: &Program) -> (f64, BTreeMap<String, f64>) {
    let mut total = 0.0;
    let mut per = BTreeMap::new();
    for (i, t) in p.tasks.iter().enumerate() {
        if t.kind == TaskKind::Summary {
            continue;
        }
        let cost = planned_cost(p, t);
        total += cost;
        let mut top = TaskIdx(i as u32);
        while let Some(parent) = p.task(top).parent {
            top = parent;
        }
        *per.entry(p.task(top).id.clone()).or_insert(0.0) += cost;
    }
    (total, per)
}

fn budget_changes(old: &Program, new: &Program) -> Budget {
    let (old_total, old_per) = top_level_costs(old);
    let (new_total, new_per) = top_level_costs(new);
    let ids: BTreeSet<&String> = old_per.keys().chain(new_per.keys()).collect();
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let workstreams = ids
        .into_iter()
        .filter_map(|id| {
            let (a, b) = (
                round(old_per.get(id).copied().unwrap_or(0.0)),
                round(new_per.get(id).copied().unwrap_or(0.0)),
            );
            (a != b).then(|| CostChange {
                id: id.clone(),
                old: a,
                new: b,
            })
        })
        .collect();
    Budget {
        budget_old: old.budget.map(|m| m.as_units()),
        budget_new: new.budget.map(|m| m.as_units()),
        planned_cost_old: round(old_total),
        planned_cost_new: round(new_total),
        workstreams,
    }
}
