//! What work costs: labour from people's day rates and the work they do, plus fixed
//! costs per task.

use tiller_core::{Assignment, Money, Program, Task, TaskKind, Work};

/// Labour cost of one day of a task's work, in currency units, split by who does it.
///
/// - Effort shared by named people: each does a share of the person-days in proportion
///   to their availability, at their own rate.
/// - Effort by a team: at the mean rate of the team's members.
/// - Duration with named people: each works their availability for every day.
/// - Duration by a team: `people` members at the mean availability and rate.
/// - Unassigned work has no labour cost (only its fixed cost).
pub fn labour_per_day(program: &Program, task: &Task) -> f64 {
    let rate = |p: tiller_core::PersonIdx| {
        program
            .person(p)
            .day_rate
            .map_or(0.0, |m: Money| m.as_units())
    };
    let avail = |p: tiller_core::PersonIdx| program.person(p).availability;
    let effort = matches!(task.work, Some(Work::Effort(_)));
    match &task.assignment {
        Assignment::People(people) if effort => {
            let total: f64 = people.iter().map(|p| avail(*p)).sum();
            if total <= 0.0 {
                return 0.0;
            }
            people.iter().map(|p| avail(*p) / total * rate(*p)).sum()
        }
        Assignment::People(people) => people.iter().map(|p| avail(*p) * rate(*p)).sum(),
        Assignment::Team { team, people } => {
            let members = &program.team(*team).members;
            if members.is_empty() {
                return 0.0;
            }
            let n = members.len() as f64;
            let mean_rate = members.iter().map(|p| rate(*p)).sum::<f64>() / n;
            if effort {
                mean_rate
            } else {
                let mean_avail = members.iter().map(|p| avail(*p)).sum::<f64>() / n;
                *people as f64 * mean_avail * mean_rate
            }
        }
        Assignment::Unassigned => 0.0,
    }
}

/// Planned work of a leaf in days (its most likely estimate); 0 for other tasks.
pub fn planned_work(task: &Task) -> f64 {
    match (&task.kind, &task.work) {
        (TaskKind::Leaf, Some(w)) => w.estimate().likely,
        _ => 0.0,
    }
}

/// Planned cost of a task at completion: labour for its planned work plus fixed cost.
pub fn planned_cost(program: &Program, task: &Task) -> f64 {
    labour_per_day(program, task) * planned_work(task)
        + task.fixed_cost.map_or(0.0, |m| m.as_units())
}
