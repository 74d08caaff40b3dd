//! Solver entry point, budget accounting and the priority-rule strategy for
//! large instances.

use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::instance::Instance;
use crate::model::Model;
use crate::priority::{PriorityRule, list_from_values, priority_values};
use crate::schedule::Schedule;
use crate::sgs::{Engine, Stuck};

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
}

/// Best schedule found so far.
pub(crate) struct Best {
    pub makespan: i32,
    /// False when the best schedule came from a (shifted) backward pass.
    pub left_justified: bool,
    pub starts: Vec<i32>,
    pub finishes: Vec<i32>,
    pub modes: Vec<u32>,
    pub lower_bound: i32,
}

impl Best {
    pub fn new<M: Model>(m: &M) -> Self {
        Self {
            makespan: i32::MAX,
            left_justified: true,
            starts: Vec::new(),
            finishes: Vec::new(),
            modes: Vec::new(),
            lower_bound: m.lower_bound(),
        }
    }

    /// Offers the forward (real) schedule held by `engine`.
    #[inline]
    pub fn offer<M: Model>(&mut self, engine: &Engine<'_, M>, makespan: i32) -> bool {
        if makespan < self.makespan {
            self.makespan = makespan;
            self.left_justified = true;
            self.starts.clone_from(&engine.start);
            self.finishes.clone_from(&engine.finish);
            self.modes.clone_from(&engine.mode);
            true
        } else {
            false
        }
    }

    /// Offers a forward schedule that may not be left-justified (from the
    /// parallel scheme, which never starts anything before its current
    /// decision time).
    pub fn offer_parallel<M: Model>(&mut self, engine: &Engine<'_, M>, makespan: i32) -> bool {
        let better = self.offer(engine, makespan);
        if better {
            self.left_justified = false;
        }
        better
    }

    /// Offers the backward schedule held by `engine`, which may be shifted
    /// in time (shift-invariant models only): stored with its first start
    /// moved to time 0.
    pub fn offer_shifted<M: Model>(
        &mut self,
        engine: &Engine<'_, M>,
        first: i32,
        span: i32,
    ) -> bool {
        if span < self.makespan {
            self.makespan = span;
            self.left_justified = false;
            self.starts.clear();
            self.starts.extend(engine.start.iter().map(|&s| s - first));
            self.finishes.clear();
            self.finishes
                .extend(engine.finish.iter().map(|&f| f - first));
            self.modes.clone_from(&engine.mode);
            true
        } else {
            false
        }
    }

    pub fn optimal(&self) -> bool {
        self.makespan <= self.lower_bound
    }
}

/// Result of solving a [`Model`]: times and modes of every activity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    pub starts: Vec<i32>,
    pub finishes: Vec<i32>,
    pub modes: Vec<u32>,
    pub makespan: i32,
    pub lower_bound: i32,
    pub schedules_generated: u64,
    /// Strategy actually run (never `Auto`).
    pub strategy: Strategy,
    pub stopped_by: StopReason,
}

/// Solves `instance` within the budget of `options`.
pub fn solve(instance: &Instance, options: &SolveOptions) -> Result<Solution, SolveError> {
    let p = solve_model(instance, options)?;
    Ok(Solution {
        schedule: Schedule::from_i32(instance, &p.starts),
        makespan: p.makespan.max(0) as u32,
        lower_bound: p.lower_bound.max(0) as u32,
        schedules_generated: p.schedules_generated,
        strategy: p.strategy,
        stopped_by: p.stopped_by,
    })
}

/// Solves any model within the budget of `options`: the serial LFT
/// schedule first (the guaranteed solution), then the chosen search. The
/// result is left-justified (a forward serial decode), so every late
/// activity has a cause in the schedule itself.
pub fn solve_model<M: Model>(m: &M, options: &SolveOptions) -> Result<Placement, SolveError> {
    let n = m.num_activities();
    let mut budget = Budget::new(options);
    let mut rng = Pcg64Mcg::seed_from_u64(options.seed);
    let strategy = match options.strategy {
        Strategy::Auto if n > LARGE_INSTANCE => Strategy::PriorityRules,
        Strategy::Auto => Strategy::Genetic,
        s => s,
    };
    let mut best = Best::new(m);
    let mut engine = Engine::new(m);
    let basis = m.priority_basis();

    // The LFT serial schedule is the guaranteed first solution; if even it
    // gets stuck, try the other rules before giving up.
    let mut first_err = None;
    for rule in PriorityRule::DETERMINISTIC {
        let list = list_from_values(m, &priority_values(m, &basis, rule, &mut rng));
        budget.tick();
        match engine.serial_forward(&list) {
            Ok(mk) => {
                best.offer(&engine, mk);
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
            Strategy::Genetic => {
                crate::ga::run(&mut engine, &basis, &mut budget, &mut best, &mut rng)
            }
            _ => priority_rule_search(&mut engine, &basis, &mut budget, &mut best, &mut rng),
        }
    }

    // A best schedule taken from a backward pass is right-justified, one
    // from the parallel scheme may leave gaps; report its left
    // justification instead (never longer for these instances), so that
    // every delayed activity has a cause `explain` can name.
    if !best.left_justified {
        budget.used += 1;
        let starts = best.starts.clone();
        if let Ok(mk) = engine.justify_forward(&starts)
            && mk <= best.makespan
        {
            best.offer_forced(&engine, mk);
        }
    }
    let stopped_by = if best.optimal() {
        StopReason::LowerBound
    } else if budget.timed_out {
        StopReason::TimeLimit
    } else {
        StopReason::ScheduleBudget
    };
    debug_assert_eq!(
        best.finishes.iter().copied().max().unwrap_or(0),
        if n == 0 { 0 } else { best.makespan }
    );
    Ok(Placement {
        starts: best.starts,
        finishes: best.finishes,
        modes: best.modes,
        makespan: best.makespan,
        lower_bound: m.lower_bound(),
        schedules_generated: budget.used,
        strategy,
        stopped_by,
    })
}

impl Best {
    /// Replaces the best schedule with the engine's, even at equal makespan.
    fn offer_forced<M: Model>(&mut self, engine: &Engine<'_, M>, makespan: i32) {
        self.makespan = i32::MAX;
        self.offer(engine, makespan);
    }
}

/// Left-justifies a placement with one forward serial pass over its
/// activities in start order, each kept in its mode, and returns it if it
/// is no longer (else the input unchanged). Counts one generated schedule.
pub fn left_justify<M: Model>(m: &M, p: &Placement) -> Placement {
    let mut engine = Engine::new(m);
    match engine.justify_forward_in_modes(&p.starts, &p.modes) {
        Ok(mk) if mk <= p.makespan => Placement {
            starts: engine.start.clone(),
            finishes: engine.finish.clone(),
            modes: engine.mode.clone(),
            makespan: mk,
            schedules_generated: p.schedules_generated + 1,
            ..p.clone()
        },
        _ => p.clone(),
    }
}

/// Forward-backward improvement (Tormos & Lova 2001; Valls, Ballestín &
/// Quintanilla 2005): alternately right- and left-justify the schedule in
/// the engine until the makespan stops improving. Each pass is one
/// generated schedule. Offers every result to `best`; returns the final
/// forward makespan with its times left in the engine.
pub(crate) fn improve<M: Model>(
    engine: &mut Engine<'_, M>,
    budget: &mut Budget,
    best: &mut Best,
    mut mk: i32,
) -> i32 {
    let m = engine.m;
    let mut cur = engine.start.clone();
    let mut cur_f = engine.finish.clone();
    let mut cur_m = engine.mode.clone();
    loop {
        if budget.exhausted() || best.optimal() {
            break;
        }
        budget.tick();
        let Ok(first) = engine.justify_backward(&cur_f, mk) else {
            break;
        };
        if m.shift_invariant() {
            best.offer_shifted(engine, first, mk - first);
        }
        if budget.exhausted() {
            break;
        }
        let back = engine.start.clone();
        budget.tick();
        let Ok(m2) = engine.justify_forward(&back) else {
            break;
        };
        best.offer(engine, m2);
        if m2 >= mk {
            if m2 == mk {
                cur.clone_from(&engine.start);
                cur_f.clone_from(&engine.finish);
                cur_m.clone_from(&engine.mode);
            }
            break;
        }
        mk = m2;
        cur.clone_from(&engine.start);
        cur_f.clone_from(&engine.finish);
        cur_m.clone_from(&engine.mode);
    }
    engine.start.copy_from_slice(&cur);
    engine.finish.copy_from_slice(&cur_f);
    engine.mode.copy_from_slice(&cur_m);
    mk
}

/// Cheap strategy for large instances: every deterministic rule with both
/// schemes, each improved by justification, then randomized LFT sampling
/// (priority = LFT plus noise, O(n log n) per list) with justification.
fn priority_rule_search<M: Model>(
    engine: &mut Engine<'_, M>,
    basis: &crate::model::PriorityBasis,
    budget: &mut Budget,
    best: &mut Best,
    rng: &mut Pcg64Mcg,
) {
    let m = engine.m;
    for rule in PriorityRule::DETERMINISTIC {
        let values = priority_values(m, basis, rule, rng);
        let list = list_from_values(m, &values);
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
                if parallel {
                    best.offer_parallel(engine, mk);
                } else {
                    best.offer(engine, mk);
                }
                improve(engine, budget, best, mk);
            }
        }
    }
    let lft = priority_values(m, basis, PriorityRule::Lft, rng);
    // Noise of up to a quarter of the critical path.
    let span = (0..m.num_activities())
        .map(|j| basis.late_start[j] + basis.duration[j])
        .max()
        .unwrap_or(0)
        - basis.early_start.iter().copied().min().unwrap_or(0);
    let spread = (span / 4).max(2);
    let mut noisy = vec![0i64; m.num_activities()];
    while !budget.exhausted() && !best.optimal() {
        for (v, &l) in noisy.iter_mut().zip(&lft) {
            *v = l + rng.random_range(0..spread);
        }
        let list = list_from_values(m, &noisy);
        budget.tick();
        if let Ok(mk) = engine.serial_forward(&list) {
            best.offer(engine, mk);
            improve(engine, budget, best, mk);
        }
    }
}
