//! Schedules and the independent feasibility checker.
//!
//! [`verify`] deliberately shares no code with the schedule generators: it
//! re-reads the public instance data (durations, relation kinds and lags,
//! capacity profiles) and checks every relation and every resource period
//! by brute force, so a bug in the generators' derived data cannot hide
//! itself.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::instance::{Instance, PrecedenceKind};

/// Start period of every activity.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Schedule {
    starts: Vec<u32>,
    finishes: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ScheduleError {
    #[error("schedule has {found} start times, the instance has {expected} activities")]
    WrongLength { expected: usize, found: usize },
    #[error("activity {activity} would finish after period {}", u32::MAX)]
    Overflow { activity: usize },
}

impl Schedule {
    /// Builds a schedule from start periods (finish = start + duration).
    pub fn new(instance: &Instance, starts: Vec<u32>) -> Result<Self, ScheduleError> {
        let acts = instance.activities();
        if starts.len() != acts.len() {
            return Err(ScheduleError::WrongLength {
                expected: acts.len(),
                found: starts.len(),
            });
        }
        let finishes = starts
            .iter()
            .zip(acts)
            .enumerate()
            .map(|(activity, (&s, a))| {
                s.checked_add(a.duration)
                    .ok_or(ScheduleError::Overflow { activity })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { starts, finishes })
    }

    /// Internal constructor for generator output, whose starts are known to
    /// be non-negative and within the validated horizon.
    pub(crate) fn from_i32(instance: &Instance, starts: &[i32]) -> Self {
        let starts: Vec<u32> = starts.iter().map(|&s| s.max(0) as u32).collect();
        let finishes = starts
            .iter()
            .zip(instance.activities())
            .map(|(&s, a)| s.saturating_add(a.duration))
            .collect();
        Self { starts, finishes }
    }

    pub fn starts(&self) -> &[u32] {
        &self.starts
    }
    pub fn finishes(&self) -> &[u32] {
        &self.finishes
    }
    pub fn start(&self, activity: usize) -> u32 {
        self.starts[activity]
    }
    pub fn finish(&self, activity: usize) -> u32 {
        self.finishes[activity]
    }
    /// Latest finish period (0 for an empty project).
    pub fn makespan(&self) -> u32 {
        self.finishes.iter().copied().max().unwrap_or(0)
    }
}

/// One way a schedule breaks the instance's constraints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Violation {
    /// The schedule does not have one start per activity.
    WrongLength { expected: usize, found: usize },
    /// Starts before its release period.
    BeforeRelease {
        activity: usize,
        start: u32,
        release: u32,
    },
    /// A precedence relation (index into `Instance::precedences`) is broken:
    /// `left >= right` was required, where the two sides are the start or
    /// finish times (plus lag) the relation kind compares.
    Precedence {
        index: usize,
        pred: usize,
        succ: usize,
        kind: PrecedenceKind,
        lag: i32,
        left: i64,
        right: i64,
    },
    /// More units of `resource` in use during `period` than its capacity.
    Overload {
        resource: usize,
        period: u32,
        used: u64,
        capacity: u32,
    },
}

/// Checks `schedule` against every constraint of `instance`; returns all
/// violations found.
pub fn verify(instance: &Instance, schedule: &Schedule) -> Result<(), Vec<Violation>> {
    let acts = instance.activities();
    let starts = schedule.starts();
    if starts.len() != acts.len() {
        return Err(vec![Violation::WrongLength {
            expected: acts.len(),
            found: starts.len(),
        }]);
    }
    let mut out = Vec::new();
    // Finish times recomputed from the instance, not taken from the schedule.
    let start = |j: usize| i64::from(starts[j]);
    let finish = |j: usize| i64::from(starts[j]) + i64::from(acts[j].duration);

    for (j, a) in acts.iter().enumerate() {
        if starts[j] < a.release {
            out.push(Violation::BeforeRelease {
                activity: j,
                start: starts[j],
                release: a.release,
            });
        }
    }

    for (index, p) in instance.precedences().iter().enumerate() {
        let lag = i64::from(p.lag);
        let (left, right) = match p.kind {
            PrecedenceKind::FinishStart => (start(p.succ), finish(p.pred) + lag),
            PrecedenceKind::StartStart => (start(p.succ), start(p.pred) + lag),
            PrecedenceKind::FinishFinish => (finish(p.succ), finish(p.pred) + lag),
            PrecedenceKind::StartFinish => (finish(p.succ), start(p.pred) + lag),
        };
        if left < right {
            out.push(Violation::Precedence {
                index,
                pred: p.pred,
                succ: p.succ,
                kind: p.kind,
                lag: p.lag,
                left,
                right,
            });
        }
    }

    // Usage per resource and period: add each activity's demand to every
    // period it runs, then compare each period with the profile.
    let end = (0..acts.len()).map(finish).max().unwrap_or(0);
    let end = usize::try_from(end).unwrap_or(usize::MAX);
    for (r, res) in instance.resources().iter().enumerate() {
        let mut used: Vec<u64> = Vec::new();
        for (j, a) in acts.iter().enumerate() {
            let q: u64 = a
                .demands
                .iter()
                .filter(|&&(rr, _)| rr == r)
                .map(|&(_, q)| u64::from(q))
                .sum();
            if q == 0 || a.duration == 0 {
                continue;
            }
            if used.is_empty() {
                used = vec![0; end];
            }
            for u in &mut used[starts[j] as usize..finish(j) as usize] {
                *u += q;
            }
        }
        for (t, &u) in used.iter().enumerate() {
            let capacity = res.capacity_at(t as u32);
            if u > u64::from(capacity) {
                out.push(Violation::Overload {
                    resource: r,
                    period: t as u32,
                    used: u,
                    capacity,
                });
            }
        }
    }

    if out.is_empty() { Ok(()) } else { Err(out) }
}
