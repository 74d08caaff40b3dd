//! Recording the current plan as a baseline.

use chrono::NaiveDate;
use tiller_core::{Baseline, BaselineTask, Money, Program, SourceRef, TaskIdx, TaskKind};

use crate::cost::{planned_cost, planned_work};
use crate::cpm::Schedule;

/// The current schedule's dates, work and cost of every task and milestone (summaries
/// roll up and are not recorded).
pub fn capture(program: &Program, schedule: &Schedule, name: &str, saved: NaiveDate) -> Baseline {
    let tasks = program
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind != TaskKind::Summary)
        .map(|(i, t)| {
            let idx = TaskIdx(i as u32);
            BaselineTask {
                id: t.id.clone(),
                task: Some(idx),
                start: schedule.start_date(idx),
                finish: schedule.finish_date(idx),
                work: planned_work(t),
                cost: Money::from_units(planned_cost(program, t)).unwrap_or(Money::ZERO),
            }
        })
        .collect();
    Baseline {
        name: name.to_string(),
        saved: Some(saved),
        tasks,
        src: SourceRef::default(),
    }
}
