//! Leveling again with other work: the deterministic leveled schedule's
//! priority order replayed with each Monte Carlo iteration's draws.
//!
//! Searching for a good leveled schedule costs hundreds of generated
//! schedules; a forecast needs one per iteration. [`Replay`] levels the
//! plan once (the deterministic leveled schedule), keeps its priority
//! order — the activities by leveled start — and then, for any work
//! requirements, runs one serial pass over that order
//! ([`tiller_rcpsp::ListDecoder`]): every task starts as early as its
//! predecessors, its calendar and the tasks before it in the order allow,
//! done by the people the deterministic schedule gave it (team work keeps
//! its chosen members: a plan's assignments do not change with each
//! iteration's luck). With the plan's own work the pass gives the
//! deterministic leveled schedule back (it is left-justified, and each
//! task keeps its people); with other work, the same tasks keep the same
//! people first, and everything moves as far as the new durations push it.
//!
//! [`Sampled`] is the plan's leveling model with the work of every node
//! read from cells set per iteration, so nothing is rebuilt; each worker
//! makes its own ([`Replay::with_session`]), so no state is shared between
//! threads and results do not depend on which thread runs an iteration.

use std::cell::Cell;

use tiller_core::{Program, TaskIdx};
use tiller_rcpsp::{Bound, ListDecoder, Model, PriorityBasis, SolveError};

use super::model::{PlanModel, Progress};
use super::{LevelError, LevelOptions, Leveled};
use crate::cpm::{MAX_DAYS, NodeRole};
use crate::profile::{Day, DenseProfile, WorkCalendar};
use crate::tick::{Tick, WorkAxis, day_of};

/// The leveling model of a plan with the work of every node taken from
/// cells (set before each pass) instead of the plan's estimates, and each
/// node's mode (who does team work) fixed. Calendars are read from
/// tabulated copies of the model's profiles (same answers, no searching).
pub struct Sampled<'m, 'p> {
    model: &'m PlanModel<'p>,
    dense: &'m [DenseProfile],
    axis: WorkAxis<'m, DenseProfile>,
    req: Vec<Cell<i64>>,
    /// Per node: its one mode, a mode of `model`, and that mode's profile.
    mode: Vec<u32>,
    profile: Vec<u32>,
}

impl<'m, 'p> Sampled<'m, 'p> {
    /// The model with every node's own work to start with, and node `v`
    /// done in mode `modes[v]` of `model` (the people a leveled schedule
    /// chose). `dense[k]` is `model`'s profile `k` tabulated, `axis` its
    /// work axis.
    fn new(
        model: &'m PlanModel<'p>,
        dense: &'m [DenseProfile],
        axis: &'m DenseProfile,
        modes: &[u32],
    ) -> Self {
        let n = model.nodes.len();
        let mode: Vec<u32> = (0..n)
            .map(|v| {
                let m = modes.get(v).copied().unwrap_or(0);
                if (m as usize) < model.modes(v) { m } else { 0 }
            })
            .collect();
        let profile = (0..n)
            .map(|v| model.mode(v, mode[v] as usize).profile)
            .collect();
        Sampled {
            model,
            dense,
            axis: WorkAxis { calendar: axis },
            req: model.nodes.iter().map(|n| Cell::new(n.req)).collect(),
            mode,
            profile,
        }
    }

    /// The mode of `model` node `v` is done in.
    pub fn mode(&self, v: usize) -> usize {
        self.mode[v] as usize
    }

    /// The tabulated calendar node `v` works on.
    fn calendar(&self, v: usize) -> &DenseProfile {
        &self.dense[self.profile[v] as usize]
    }

    /// Sets the work of node `v` (thousandths of a day, as the plan's).
    pub fn set(&self, v: usize, req: i64) {
        self.req[v].set(req.max(0));
    }

    /// The work of node `v`.
    pub fn req(&self, v: usize) -> i64 {
        self.req[v].get()
    }
}

impl Model for Sampled<'_, '_> {
    const SIMPLE: bool = false;

    fn num_activities(&self) -> usize {
        self.model.num_activities()
    }
    fn num_resources(&self) -> usize {
        self.model.num_resources()
    }
    fn preds(&self, j: usize) -> &[u32] {
        self.model.preds(j)
    }
    fn succs(&self, j: usize) -> &[u32] {
        self.model.succs(j)
    }
    fn topological_order(&self) -> &[u32] {
        self.model.topological_order()
    }
    fn topological_rank(&self) -> &[u32] {
        self.model.topological_rank()
    }
    fn modes(&self, _j: usize) -> usize {
        1
    }
    fn demands(&self, j: usize, _mode: usize) -> &[(u32, i32)] {
        self.model.demands(j, self.mode(j))
    }
    fn capacity(&self, r: usize, slot: usize) -> i32 {
        self.model.capacity(r, slot)
    }
    fn settled(&self, r: usize) -> usize {
        self.model.settled(r)
    }
    fn forward_bound(&self, j: usize, start: &[i32], finish: &[i32]) -> Bound {
        self.model.bound_forward_on(&self.axis, j, start, finish)
    }
    fn earliest(&self, j: usize, _mode: usize, b: Bound) -> Option<(i32, i32)> {
        self.model
            .earliest_bound_in(j, self.req(j), self.calendar(j), b)
    }
    fn backward_bound(&self, j: usize, start: &[i32], finish: &[i32], deadline: i32) -> Bound {
        self.model.backward_bound(j, start, finish, deadline)
    }
    fn latest(&self, j: usize, _mode: usize, b: Bound) -> Option<(i32, i32)> {
        self.model
            .latest_bound_in(j, self.req(j), self.calendar(j), b)
    }
    fn slots(&self, j: usize, _mode: usize, start: i32, finish: i32) -> (usize, usize) {
        PlanModel::slots_of(self.req(j), start, finish)
    }
    fn uses(&self, j: usize, _mode: usize, slot: usize) -> bool {
        self.calendar(j).rate(slot as Day) > 0
    }
    fn uses_all(&self, j: usize, _mode: usize) -> bool {
        self.model.uses_all(j, self.mode(j))
    }
    fn slot_start(&self, slot: usize) -> i32 {
        self.model.slot_start(slot)
    }
    fn finish_before_slot(&self, slot: usize) -> i32 {
        self.model.finish_before_slot(slot)
    }
    fn lower_bound(&self) -> i32 {
        // Other work, other bound: none that a search could stop at.
        i32::MIN
    }
    fn horizon(&self) -> i32 {
        self.model.horizon()
    }
    fn shift_invariant(&self) -> bool {
        false
    }
    fn starts_sort_topologically(&self) -> bool {
        false
    }
    fn finishes_sort_reverse_topologically(&self) -> bool {
        false
    }
    fn priority_basis(&self) -> PriorityBasis {
        self.model.priority_basis()
    }
}

/// How a caller's work for a task becomes the leveling model's.
#[derive(Debug, Clone, Copy)]
enum Scale {
    /// Same units.
    Same,
    /// Proportionally: the model's work × given ÷ reference.
    Ratio { model: i64, reference: i64 },
    /// The reference is zero (a milestone or summary that a risk delays):
    /// the given work adds to the model's.
    Add { model: i64 },
}

impl Scale {
    fn of(model: i64, reference: i64) -> Scale {
        if model == reference {
            Scale::Same
        } else if reference > 0 {
            Scale::Ratio { model, reference }
        } else {
            Scale::Add { model }
        }
    }

    fn apply(self, x: i64) -> i64 {
        match self {
            Scale::Same => x,
            Scale::Ratio { model, reference } => {
                // Rounded to nearest, in integers so it is the same everywhere.
                let num = i128::from(model) * i128::from(x.max(0)) + i128::from(reference / 2);
                i64::try_from(num / i128::from(reference)).unwrap_or(i64::MAX)
            }
            Scale::Add { model } => model.saturating_add(x),
        }
    }
}

/// The deterministic leveled schedule of a plan and its priority order,
/// ready to be replayed with other work.
pub struct Replay<'p> {
    model: PlanModel<'p>,
    /// The model's profiles and its work axis tabulated over the span
    /// replays reach.
    dense: Vec<DenseProfile>,
    axis: DenseProfile,
    leveled: Leveled,
    /// Per task: the node carrying its work (a summary's start node) and
    /// how the caller's work maps onto it. Finished work is left out.
    inputs: Vec<(u32, u32, Scale)>,
    /// Leaf and milestone nodes: what the program finish is the latest of.
    real: Vec<u32>,
}

impl<'p> Replay<'p> {
    /// Levels `program` with `options` (the deterministic leveled
    /// schedule, as [`super::level`] gives it) and keeps its priority order.
    ///
    /// `reference[t]` is the caller's work for task `t` (its node, or a
    /// summary's start node) before any draw, in the caller's units: where
    /// it differs from the leveling model's, [`Session::run`] scales the
    /// caller's work to the model's in proportion. Tasks beyond the end of
    /// `reference` take the caller's work as the model's.
    pub fn level(
        program: &'p Program,
        options: &LevelOptions,
        reference: &[i64],
    ) -> Result<Self, LevelError> {
        let model = PlanModel::build(program, false)?;
        let leveled = super::level_on(program, &model, &super::search_of(options), options)?;
        let mut inputs = Vec::with_capacity(program.tasks.len());
        for (t, nodes) in model.task_nodes.iter().enumerate() {
            let v = nodes.start as usize;
            if matches!(model.nodes[v].progress, Progress::Fixed { .. }) {
                continue;
            }
            let own = model.nodes[v].req;
            let scale = reference.get(t).map_or(Scale::Same, |&r| Scale::of(own, r));
            inputs.push((v as u32, t as u32, scale));
        }
        let real = (0..model.len() as u32)
            .filter(|&v| model.nodes[v as usize].role == NodeRole::Task)
            .collect();
        // Tabulated from well before the start to four times the leveled span:
        // beyond it the compact profiles answer (slower, same).
        let hi = 4 * day_of(leveled.finish).max(30) + 120;
        let dense = model
            .profiles
            .iter()
            .map(|p| DenseProfile::new(p, -60, hi))
            .collect();
        let axis = DenseProfile::new(&model.axis, -60, hi);
        Ok(Replay {
            model,
            dense,
            axis,
            leveled,
            inputs,
            real,
        })
    }

    /// The deterministic leveled schedule whose order is replayed.
    pub fn leveled(&self) -> &Leveled {
        &self.leveled
    }

    /// Runs `f` with a session of its own: the model with cells for the
    /// work, and the decoder's scratch memory. Make one per worker (e.g.
    /// per chunk of iterations) and run it many times.
    pub fn with_session<R>(&self, f: impl FnOnce(&mut Session<'_, 'p>) -> R) -> R {
        let sampled = Sampled::new(
            &self.model,
            &self.dense,
            &self.axis,
            &self.leveled.placement.modes,
        );
        // The order is the deterministic schedule's, on the same network, so
        // the list always fits the model.
        let decoder = match ListDecoder::by_start(&sampled, &self.leveled.placement.starts) {
            Ok(d) => d,
            Err(_) => unreachable!("the leveled schedule has one start per activity"),
        };
        let n = self.model.len();
        // Who books each resource: fixed, since each node's mode is.
        let mut by_resource = vec![Vec::new(); self.model.num_resources()];
        for u in 0..n {
            for &(r, _) in sampled.demands(u, 0) {
                by_resource[r as usize].push(u as u32);
            }
        }
        let mut session = Session {
            replay: self,
            sampled: &sampled,
            decoder,
            on: vec![false; n],
            stack: Vec::new(),
            by_resource,
        };
        f(&mut session)
    }
}

/// One worker's replays: set the work, level, read the dates.
pub struct Session<'r, 'p> {
    replay: &'r Replay<'p>,
    sampled: &'r Sampled<'r, 'p>,
    decoder: ListDecoder<'r, Sampled<'r, 'p>>,
    /// Scratch of [`Session::critical`].
    on: Vec<bool>,
    stack: Vec<u32>,
    /// Per resource: the nodes booking it.
    by_resource: Vec<Vec<u32>>,
}

impl Session<'_, '_> {
    /// Levels the plan with `reqs[t]` units of work for task `t` (in the
    /// reference's units; see [`Replay::level`]), in the replayed order.
    /// Finished work keeps its actual dates whatever its entry says.
    pub fn run(&mut self, reqs: &[i64]) -> Result<(), LevelError> {
        let model = &self.replay.model;
        for &(v, t, scale) in &self.replay.inputs {
            let req = reqs
                .get(t as usize)
                .map_or(model.nodes[v as usize].req, |&x| scale.apply(x));
            self.sampled.set(v as usize, req);
        }
        match self.decoder.decode() {
            Ok((_, finishes)) => {
                let too_far = 2 * MAX_DAYS + 1;
                match finishes.iter().position(|&f| Tick::from(f) > too_far) {
                    Some(v) => Err(LevelError::TooFar {
                        task: model.nodes[v].task,
                    }),
                    None => Ok(()),
                }
            }
            Err(SolveError::Unschedulable { activity }) => Err(LevelError::Unschedulable {
                task: model.nodes[activity].task,
            }),
        }
    }

    /// Start of `task` in the last run (the actual start of work in
    /// progress; a summary's: its first task's).
    pub fn start(&self, task: TaskIdx) -> Tick {
        let v = self.replay.model.task_nodes[task.index()].first as usize;
        self.replay
            .model
            .shown_start(v, Tick::from(self.decoder.starts()[v]))
    }

    /// Finish of `task` in the last run.
    pub fn finish(&self, task: TaskIdx) -> Tick {
        let v = self.replay.model.task_nodes[task.index()].finish as usize;
        Tick::from(self.decoder.finishes()[v])
    }

    /// The program finish of the last run: the latest finish of a task or
    /// milestone.
    pub fn program_finish(&self) -> Tick {
        let f = self.decoder.finishes();
        self.replay
            .real
            .iter()
            .map(|&v| Tick::from(f[v as usize]))
            .max()
            .unwrap_or(0)
    }

    /// Calls `mark` for every task and milestone on a driving chain into
    /// the program finish of the last run (each once, in node order).
    ///
    /// From the tasks that end the program, chains are followed back
    /// through what drives each task's start: when it starts as early as
    /// its predecessors allow, every predecessor whose link alone places it
    /// there (a tight link; none when its release or the status date does);
    /// when it starts later, the tasks sharing one of its people or
    /// resources that finished last before it started (after the time its
    /// predecessors would have let it start). A summary's first start is
    /// driven by the child that starts first.
    pub fn critical(&mut self, mut mark: impl FnMut(TaskIdx)) {
        let model = &self.replay.model;
        let start = self.decoder.starts();
        let finish = self.decoder.finishes();
        self.on.iter_mut().for_each(|x| *x = false);
        self.stack.clear();
        let Some(end) = self.replay.real.iter().map(|&v| finish[v as usize]).max() else {
            return;
        };
        for &v in &self.replay.real {
            if finish[v as usize] == end {
                self.on[v as usize] = true;
                self.stack.push(v);
            }
        }
        while let Some(v) = self.stack.pop() {
            let v = v as usize;
            let node = &model.nodes[v];
            if let Progress::Fixed { .. } = node.progress {
                continue;
            }
            if node.role == NodeRole::SummaryFirst {
                let first = model.first_child(v, start);
                if let Some(d) = first
                    && !self.on[d as usize]
                {
                    self.on[d as usize] = true;
                    self.stack.push(d);
                }
                continue;
            }
            let m = self.sampled.mode(v);
            let cal = self.sampled.calendar(v);
            let req = self.sampled.req(v);
            let s = Tick::from(start[v]);
            let (sb, fb) = model.raw_bound_on(&self.sampled.axis, v, start, finish, None);
            let Some((e, _)) = model.earliest_in(v, req, cal, sb, fb) else {
                continue;
            };
            if s > e {
                // Held by a resource: who released it last.
                // Work drawn as nothing books nothing.
                let holds = |u: u32| u as usize != v && self.sampled.req(u as usize) > 0;
                let mut last = Tick::MIN;
                for &(r, _) in model.demands(v, m) {
                    for &u in &self.by_resource[r as usize] {
                        let f = Tick::from(finish[u as usize]);
                        if holds(u) && f > e && f <= s {
                            last = last.max(f);
                        }
                    }
                }
                if last == Tick::MIN {
                    continue;
                }
                for &(r, _) in model.demands(v, m) {
                    for &u in &self.by_resource[r as usize] {
                        let f = Tick::from(finish[u as usize]);
                        if holds(u)
                            && day_of(f) == day_of(last)
                            && f > e
                            && f <= s
                            && !self.on[u as usize]
                        {
                            self.on[u as usize] = true;
                            self.stack.push(u);
                        }
                    }
                }
                continue;
            }
            // As early as its predecessors allow: which links bind, unless
            // its release alone puts it there.
            let (rb, _) =
                model.raw_bound_on(&self.sampled.axis, v, start, finish, Some(usize::MAX));
            if model
                .earliest_in(v, req, cal, rb, Tick::MIN)
                .is_some_and(|x| x.0 >= s)
            {
                continue;
            }
            for (k, link) in model.links_in(v).iter().enumerate() {
                let p = link.node as usize;
                if self.on[p] {
                    continue;
                }
                let (sb, fb) = model.raw_bound_on(&self.sampled.axis, v, start, finish, Some(k));
                if model
                    .earliest_in(v, req, cal, sb, fb)
                    .is_some_and(|x| x.0 == s)
                {
                    self.on[p] = true;
                    self.stack.push(p as u32);
                }
            }
        }
        for &v in &self.replay.real {
            if self.on[v as usize] {
                mark(model.nodes[v as usize].task);
            }
        }
    }
}
