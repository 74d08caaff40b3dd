//! Solver entry point, budget accounting and the priority-rule strategy for
//! large instances.

use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::instance::{Derived, Instance};
use crate::priority::{PriorityRule, list_from_values, priority_values};
use crate::schedule::Schedule;
use crate::sgs::{Engine, Stuck, makespan_of};

/// Instances with more activities than this use
/// [`Strategy::PriorityRules`] under [`Strategy::Auto`].
pub const LARGE_INSTANCE: usize = 1500;

/// Which search to run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Strategy {
    /// Genetic search up to [`LARGE_INSTANCE`] activities, priority rules
    /// with justification above.
    #[default]
    Auto,
    /// Bi-population genetic algorithm with justification.
    Genetic,
    /// Priority-rule passes with forward-backward improvement, then
    /// randomized priority sampling with justification while budget lasts.
    PriorityRules,
}

/// Search budget. The search stops at whichever limit comes first; with
/// `time_limit: None` the result depends only on the instance, the schedule
/// budget and the seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SolveOptions {
    /// Maximum number of generated schedules. Every pass of a schedule
    /// generation scheme counts, including each justification pass (the
    /// protocol of Kolisch & Hartmann 2006).
    pub max_schedules: u64,
    pub time_limit: Option<Duration>,
    pub seed: u64,
    #[serde(default)]
    pub strategy: Strategy,
}

impl Default for SolveOptions {
    fn default() -> Self {
        Self {
            max_schedules: 5000,
            time_limit: None,
            seed: 0,
            strategy: Strategy::Auto,
        }
    }
}

/// Why the search stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    ScheduleBudget,
    TimeLimit,
    /// The makespan reached the lower bound, so it is optimal.
    LowerBound,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solution {
    pub schedule: Schedule,
    pub makespan: u32,
    /// Lower bound on the makespan ([`Instance::lower_bound`]); reaching it
    /// ends the search early.
    pub lower_bound: u32,
    pub schedules_generated: u64,
    /// Strategy actually run (never `Auto`).
    pub strategy: Strategy,
    pub stopped_by: StopReason,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SolveError {
    /// No order could place this activity: a capacity profile ends below
    /// its demand before the activity can start.
    #[error("activity {activity} cannot be scheduled: its resources' capacity ends too low")]
    Unschedulable { activity: usize },
}

/// Schedule counter and clock.
pub(crate) struct Budget {
    pub used: u64,
    max: u64,
    deadline: Option<Instant>,
    timed_out: bool,
}

impl Budget {
    pub fn new(opts: &SolveOptions) -> Self {
        Self {
            used: 0,
            // One schedule stays in reserve for the final left
            // justification (see `solve`).
            max: opts.max_schedules.max(2) - 1,
            deadline: opts.time_limit.map(|t| Instant::now() + t),
            timed_out: false,
        }
    }

    /// Counts one generated schedule.
    #[inline]
    pub fn tick(&mut self) {
        self.used += 1;
    }

    #[inline]
    pub fn exhausted(&mut self) -> bool {
        if self.used >= self.max {
            return true;
        }
        if let Some(d) = self.deadline
            && Instant::now() >= d
        {
            self.timed_out = true;
        }
        self.timed_out
    }

    pub fn remaining(&self) -> u64 {
        self.max.saturating_sub(self.used)
    }

    /// The point at which `share` of what is left (schedules and time) has
    /// been used.
    pub fn split(&self, share: f64) -> Milestone {
        let now = Instant::now();
        Milestone {
            used: self.used + (self.remaining() as f64 * share) as u64,
            at: self
                .deadline
                .map(|d| now + d.saturating_duration_since(now).mul_f64(share)),
        }
    }

    pub fn reached(&self, m: &Milestone) -> bool {
        self.used >= m.used || m.at.is_some_and(|t| Instant::now() >= t)
    }
}

/// A point in the budget, see [`Budget::split`].
pub(crate) struct Milestone {
    used: u64,
    at: Option<Instant>,
}

/// Best schedule found so far.
pub(crate) struct Best {
    pub makespan: i32,
    /// False when the best schedule came from a (shifted) backward pass.
    pub left_justified: bool,
    pub starts: Vec<i32>,
    pub lower_bound: i32,
}

impl Best {
    pub fn new(d: &Derived) -> Self {
        Self {
            makespan: i32::MAX,
            left_justified: true,
            starts: Vec::new(),
            lower_bound: d.lower_bound,
        }
    }

    /// Offers a forward (real) schedule.
    #[inline]
    pub fn offer(&mut self, starts: &[i32], makespan: i32) -> bool {
        if makespan < self.makespan {
            self.makespan = makespan;
            self.left_justified = true;
            self.starts.clear();
            self.starts.extend_from_slice(starts);
            true
        } else {
            false
        }
    }

    /// Offers a schedule that may be shifted in time (shift-invariant
    /// instances): stored with its first start moved to period 0.
    pub fn offer_shifted(&mut self, starts: &[i32], first: i32, span: i32) -> bool {
        if span < self.makespan {
            self.makespan = span;
            self.left_justified = false;
            self.starts.clear();
            self.starts.extend(starts.iter().map(|&s| s - first));
            true
        } else {
            false
        }
    }

    pub fn optimal(&self) -> bool {
        self.makespan <= self.lower_bound
    }
}

/// Solves `instance` within the budget of `options`.
pub fn solve(instance: &Instance, options: &SolveOptions) -> Result<Solution, SolveError> {
    let d = &instance.d;
    let mut budget = Budget::new(options);
    let mut rng = Pcg64Mcg::seed_from_u64(options.seed);
    let strategy = match options.strategy {
        Strategy::Auto if d.n > LARGE_INSTANCE => Strategy::PriorityRules,
        Strategy::Auto => Strategy::Genetic,
        s => s,
    };
    let mut best = Best::new(d);
    let mut engine = Engine::new(d);

    // The LFT serial schedule is the guaranteed first solution; if even it
    // gets stuck, try the other rules before giving up.
    let mut first_err = None;
    for rule in PriorityRule::DETERMINISTIC {
        let list = list_from_values(d, &priority_values(d, rule, &mut rng));
        budget.tick();
        match engine.serial_forward(&list) {
            Ok(mk) => {
                best.offer(&engine.start, mk);
                break;
            }
            Err(Stuck(j)) => {
                first_err.get_or_insert(j);
            }
        }
        if budget.exhausted() {
            break;
        }
    }
    if best.makespan == i32::MAX {
        return Err(SolveError::Unschedulable {
            activity: first_err.unwrap_or(0) as usize,
        });
    }

    if !best.optimal() && !budget.exhausted() {
        match strategy {
            Strategy::Genetic => crate::ga::run(&mut engine, &mut budget, &mut best, &mut rng),
            _ => priority_rule_search(&mut engine, &mut budget, &mut best, &mut rng),
        }
    }

    // A best schedule taken from a backward pass is right-justified; report
    // its left justification instead (never longer for these instances),
    // so that every delayed activity has a cause `explain` can name.
    if !best.left_justified {
        budget.used += 1;
        if let Ok(mk) = engine.justify_forward(&best.starts)
            && mk <= best.makespan
        {
            best.makespan = mk;
            best.starts.copy_from_slice(&engine.start);
        }
    }
    let stopped_by = if best.optimal() {
        StopReason::LowerBound
    } else if budget.timed_out {
        StopReason::TimeLimit
    } else {
        StopReason::ScheduleBudget
    };
    debug_assert_eq!(makespan_of(d, &best.starts), best.makespan);
    Ok(Solution {
        schedule: Schedule::from_i32(instance, &best.starts),
        makespan: best.makespan.max(0) as u32,
        lower_bound: d.lower_bound.max(0) as u32,
        schedules_generated: budget.used,
        strategy,
        stopped_by,
    })
}

/// Forward-backward improvement (Tormos & Lova 2001; Valls, Ballestín &
/// Quintanilla 2005): alternately right- and left-justify the schedule in
/// `engine.start` until the makespan stops improving. Each pass is one
/// generated schedule. Offers every result to `best`; returns the final
/// forward makespan with its starts left in `engine.start`.
pub(crate) fn improve(
    engine: &mut Engine<'_>,
    budget: &mut Budget,
    best: &mut Best,
    mut mk: i32,
) -> i32 {
    let d = engine.d;
    let mut cur = engine.start.clone();
    loop {
        if budget.exhausted() || best.optimal() {
            break;
        }
        budget.tick();
        let Ok(first) = engine.justify_backward(&cur, mk) else {
            break;
        };
        if d.shift_invariant {
            best.offer_shifted(&engine.start, first, mk - first);
        }
        if budget.exhausted() {
            break;
        }
        let back = engine.start.clone();
        budget.tick();
        let Ok(m2) = engine.justify_forward(&back) else {
            break;
        };
        best.offer(&engine.start, m2);
        if m2 >= mk {
            if m2 == mk {
                cur.copy_from_slice(&engine.start);
            }
            break;
        }
        mk = m2;
        cur.copy_from_slice(&engine.start);
    }
    engine.start.copy_from_slice(&cur);
    mk
}

/// Cheap strategy for large instances: every deterministic rule with both
/// schemes, each improved by justification, then randomized LFT sampling
/// (priority = LFT plus noise, O(n log n) per list) with justification.
fn priority_rule_search(
    engine: &mut Engine<'_>,
    budget: &mut Budget,
    best: &mut Best,
    rng: &mut Pcg64Mcg,
) {
    let d = engine.d;
    for rule in PriorityRule::DETERMINISTIC {
        let values = priority_values(d, rule, rng);
        let list = list_from_values(d, &values);
        for parallel in [false, true] {
            if budget.exhausted() || best.optimal() {
                return;
            }
            budget.tick();
            let r = if parallel {
                engine.parallel_forward(&list)
            } else {
                engine.serial_forward(&list)
            };
            if let Ok(mk) = r {
                best.offer(&engine.start, mk);
                improve(engine, budget, best, mk);
            }
        }
    }
    let lft = priority_values(d, PriorityRule::Lft, rng);
    let spread = (d.cpm / 4).max(2);
    let mut noisy = vec![0i64; d.n];
    while !budget.exhausted() && !best.optimal() {
        for (v, &l) in noisy.iter_mut().zip(&lft) {
            *v = l + rng.random_range(0..i64::from(spread));
        }
        let list = list_from_values(d, &noisy);
        budget.tick();
        if let Ok(mk) = engine.serial_forward(&list) {
            best.offer(&engine.start, mk);
            improve(engine, budget, best, mk);
        }
    }
}
