//! Why does an activity start when it does? Reasons computed from a final
//! schedule alone (not from the search that produced it), so they are
//! correct for any schedule, including hand-edited ones.

use serde::{Deserialize, Serialize};

use crate::instance::Instance;
use crate::schedule::Schedule;

/// Why an activity starts later than its precedence-only early start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// Starting one period earlier would overload `resource`: in the period
    /// just before the start it is used by `blocking`.
    Resource {
        resource: usize,
        blocking: Vec<usize>,
    },
    /// A precedence relation from `pred` is tight: the activity starts at
    /// the earliest period that relation allows.
    Predecessor { pred: usize },
    /// The capacity of `resource` in the period just before the start is
    /// below the activity's demand on its own (a holiday, part time, ...).
    Capacity { resource: usize },
    /// Nothing in this schedule prevents starting one period earlier (the
    /// schedule is not left-justified at this activity).
    Unforced,
}

/// One entry per activity: `None` if it starts at its precedence-only early
/// start (or earlier, for an infeasible schedule), otherwise the reason it
/// could not start one period earlier in `schedule`. Precedences are checked
/// first, then each demanded resource in the activity's demand order.
pub fn explain(instance: &Instance, schedule: &Schedule) -> Vec<Option<Reason>> {
    let acts = instance.activities();
    let n = acts.len();
    let starts = schedule.starts();
    if starts.len() != n {
        return vec![None; n];
    }
    let early = instance.precedence_early_starts();
    let finish = |j: usize| u64::from(starts[j]) + u64::from(acts[j].duration);

    // Activities per resource, to find who occupies a period.
    let mut users: Vec<Vec<(usize, u64)>> = vec![Vec::new(); instance.num_resources()];
    for (j, a) in acts.iter().enumerate() {
        if a.duration == 0 {
            continue;
        }
        for &(r, q) in &a.demands {
            if q > 0 {
                // Repeated demands of one activity are adjacent here.
                match users[r].last_mut() {
                    Some(e) if e.0 == j => e.1 += u64::from(q),
                    _ => users[r].push((j, u64::from(q))),
                }
            }
        }
    }
    // Tightest precedence bound per activity, from the relations' own
    // definitions.
    let mut bound: Vec<Option<(i64, usize)>> = vec![None; n];
    for p in instance.precedences() {
        let d = p.start_distance(acts[p.pred].duration, acts[p.succ].duration);
        let b = i64::from(starts[p.pred]) + d;
        if bound[p.succ].is_none_or(|(old, _)| b > old) {
            bound[p.succ] = Some((b, p.pred));
        }
    }

    (0..n)
        .map(|j| {
            let s = starts[j];
            if s <= early[j] {
                return None;
            }
            if let Some((b, pred)) = bound[j]
                && i64::from(s) <= b
            {
                return Some(Reason::Predecessor { pred });
            }
            let a = &acts[j];
            if a.duration == 0 || s == 0 {
                return Some(Reason::Unforced);
            }
            let t = s - 1;
            let mut checked: Vec<usize> = Vec::new();
            for &(r, _) in &a.demands {
                if checked.contains(&r) {
                    continue;
                }
                checked.push(r);
                let q: u64 = a
                    .demands
                    .iter()
                    .filter(|e| e.0 == r)
                    .map(|e| u64::from(e.1))
                    .sum();
                if q == 0 {
                    continue;
                }
                let cap = u64::from(instance.resources()[r].capacity_at(t));
                if cap < q {
                    return Some(Reason::Capacity { resource: r });
                }
                let mut used = 0;
                let mut blocking = Vec::new();
                for &(k, qk) in &users[r] {
                    if k != j && u64::from(starts[k]) <= u64::from(t) && u64::from(t) < finish(k) {
                        used += qk;
                        blocking.push(k);
                    }
                }
                if used + q > cap {
                    return Some(Reason::Resource {
                        resource: r,
                        blocking,
                    });
                }
            }
            Some(Reason::Unforced)
        })
        .collect()
}
