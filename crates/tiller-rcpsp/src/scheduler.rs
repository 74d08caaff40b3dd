//! The schedulers behind one interface, so that every one of them can be
//! run (and tested) the same way on any [`Model`].

use crate::model::Model;
use crate::priority::{PriorityRule, list_from_values, priority_values};
use crate::sgs::{Engine, Stuck};
use crate::solve::{
    Best, Budget, Placement, SolveError, SolveOptions, StopReason, Strategy, improve, solve_model,
};

/// A way of scheduling a [`Model`].
pub trait Scheduler {
    /// A short human-readable name (for test and benchmark reports).
    fn name(&self) -> String;
    /// Schedules the model. The result satisfies every precedence and
    /// capacity constraint of the model.
    fn run<M: Model>(&self, model: &M) -> Result<Placement, SolveError>;
}

/// One pass of the serial scheme over a priority-rule list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SerialScheme {
    pub rule: PriorityRule,
    /// Seed of [`PriorityRule::Random`].
    pub seed: u64,
}

/// One pass of the parallel scheme over a priority-rule list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParallelScheme {
    pub rule: PriorityRule,
    pub seed: u64,
}

/// A serial pass followed by forward-backward improvement until the
/// makespan stops improving (or `max_schedules` passes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForwardBackward {
    pub rule: PriorityRule,
    pub max_schedules: u64,
}

/// A search under a budget ([`solve_model`] with these options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search(pub SolveOptions);

fn one_pass<M: Model>(
    model: &M,
    rule: PriorityRule,
    seed: u64,
    parallel: bool,
    improve_budget: Option<u64>,
) -> Result<Placement, SolveError> {
    use rand::SeedableRng;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let basis = model.priority_basis();
    let list = list_from_values(model, &priority_values(model, &basis, rule, &mut rng));
    let mut engine = Engine::new(model);
    let pass = if parallel {
        engine.parallel_forward(&list)
    } else {
        engine.serial_forward(&list)
    };
    let mk = pass.map_err(|Stuck(j)| SolveError::Unschedulable {
        activity: j as usize,
    })?;
    let options = SolveOptions {
        max_schedules: improve_budget.unwrap_or(1),
        ..SolveOptions::default()
    };
    let mut budget = Budget::new(&options);
    budget.tick();
    let mut best = Best::new(model);
    best.offer(&engine, mk);
    if improve_budget.is_some() {
        let mk = improve(&mut engine, &mut budget, &mut best, mk);
        // Report the improved forward schedule, which is left-justified.
        best.makespan = i32::MAX;
        best.offer(&engine, mk);
    }
    Ok(Placement {
        makespan: best.makespan,
        starts: best.starts,
        finishes: best.finishes,
        modes: best.modes,
        lower_bound: model.lower_bound(),
        schedules_generated: budget.used,
        strategy: Strategy::PriorityRules,
        stopped_by: StopReason::ScheduleBudget,
    })
}

impl Scheduler for SerialScheme {
    fn name(&self) -> String {
        format!("serial {:?}", self.rule)
    }
    fn run<M: Model>(&self, model: &M) -> Result<Placement, SolveError> {
        one_pass(model, self.rule, self.seed, false, None)
    }
}

impl Scheduler for ParallelScheme {
    fn name(&self) -> String {
        format!("parallel {:?}", self.rule)
    }
    fn run<M: Model>(&self, model: &M) -> Result<Placement, SolveError> {
        // With calendars a parallel pass can hold an activity past a start
        // it had room for (the decision time moved on); one serial pass in
        // start order pulls such activities back, so every delay has a cause.
        let p = one_pass(model, self.rule, self.seed, true, None)?;
        Ok(crate::solve::left_justify(model, &p))
    }
}

impl Scheduler for ForwardBackward {
    fn name(&self) -> String {
        format!("forward-backward {:?}", self.rule)
    }
    fn run<M: Model>(&self, model: &M) -> Result<Placement, SolveError> {
        one_pass(model, self.rule, 0, false, Some(self.max_schedules.max(1)))
    }
}

impl Scheduler for Search {
    fn name(&self) -> String {
        format!(
            "search {:?} ({} schedules)",
            self.0.strategy, self.0.max_schedules
        )
    }
    fn run<M: Model>(&self, model: &M) -> Result<Placement, SolveError> {
        solve_model(model, &self.0)
    }
}
