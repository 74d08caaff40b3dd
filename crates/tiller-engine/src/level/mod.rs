//! Resource leveling: scheduling a program so that no person, team or
//! shared resource is over-allocated on any day.
//!
//! [`PlanModel`] turns the program into a resource-constrained scheduling
//! problem (calendars, time off, part-time availability, all four link
//! types with lags, constraints, progress, team choices), and the
//! `tiller-rcpsp` kernel schedules it: priority rules with the serial and
//! parallel schemes, forward-backward improvement and a genetic search,
//! under a budget of generated schedules (and optionally a time limit).
//! The result is a left-justified schedule: every task starts as early as
//! its predecessors, its calendar and the tasks placed before it allow.
//!
//! On top of the dates: who does each team task, why each task starts
//! later than in the resource-free schedule ([`Delay`]), the
//! resource-constrained critical chain, and an independent [`verify`] of
//! the result. [`load`] reports over-allocations and weekly load of the
//! resource-free schedule or a leveled one.
//!
//! Deterministic: without a time limit the result depends only on the
//! program, the budget and the seed.

mod explain;
mod load;
mod model;
mod replay;
mod verify;

#[cfg(test)]
mod tests;

use std::time::Duration;

use chrono::NaiveDate;
use tiller_core::{PersonIdx, Program, TaskIdx, TaskKind};
use tiller_rcpsp::{Placement, Scheduler, Search, SolveError, SolveOptions};

pub use explain::Delay;
pub use load::{LoadHolder, LoadReport, LoadRow, OverAllocation, WeekLoad};
pub use model::{Holder, MAX_TEAM_MODES, ModelError, PlanModel, team_choices};
pub use replay::{Replay, Sampled, Session};
/// The resource-constrained scheduling kernel leveling runs on (for its
/// PSPLIB reader and benchmark driver).
pub use tiller_rcpsp as kernel;
pub use tiller_rcpsp::{StopReason, Strategy};
pub use verify::{Placed, Violation, verify};

use crate::cpm::NodeRole;
use crate::profile::Day;
use crate::tick::{Tick, WorkAxis, date_of, day_of};

/// Search budget and seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelOptions {
    /// Generated schedules, every pass of a scheme counted (including each
    /// justification pass).
    pub max_schedules: u64,
    /// Stop early after this long (the result then depends on the machine).
    pub time_limit: Option<Duration>,
    pub seed: u64,
    pub strategy: Strategy,
}

impl LevelOptions {
    /// The default budget for a program: 1,000 schedules up to 300
    /// activities, then fewer in proportion (so that leveling stays
    /// interactive: about 30 schedules, a third of a second, for 10,000
    /// tasks), at least 20.
    pub fn default_schedules(program: &Program) -> u64 {
        let n = program
            .tasks
            .iter()
            .map(|t| if t.kind == TaskKind::Summary { 3 } else { 1 })
            .sum::<u64>()
            .max(1);
        (300_000 / n).clamp(20, 1000)
    }

    pub fn for_program(program: &Program) -> Self {
        LevelOptions {
            max_schedules: Self::default_schedules(program),
            time_limit: None,
            seed: 1,
            strategy: Strategy::Auto,
        }
    }
}

/// Why leveling failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("task cannot be scheduled: its people or resources never have room for it")]
    Unschedulable { task: TaskIdx },
    #[error(
        "leveled schedule would run more than {} days past the program start",
        crate::cpm::MAX_DAYS
    )]
    TooFar { task: TaskIdx },
}

/// One task of a leveled schedule (summaries rolled up from their children).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeveledTask {
    /// Leveled start tick (the actual start of work in progress) and finish.
    pub start: Tick,
    pub finish: Tick,
    /// When the remaining work of a task in progress resumes (else `start`).
    pub resume: Tick,
    /// Start and finish of the resource-free (critical-path) schedule.
    pub free_start: Tick,
    pub free_finish: Tick,
    /// Who does the work: the named assignees, or the members chosen for
    /// team work.
    pub assigned: Vec<PersonIdx>,
    /// Working days (program calendar) later than the resource-free start.
    pub delay_days: i64,
    /// Why, when `delay_days > 0` (leaves and milestones).
    pub delay: Option<Delay>,
    /// On the resource-constrained critical chain.
    pub critical_chain: bool,
    /// Working days of the program calendar from start to finish.
    pub working_days: i64,
}

/// Search statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchReport {
    pub schedules: u64,
    pub max_schedules: u64,
    pub seed: u64,
    pub strategy: Strategy,
    pub stopped_by: StopReason,
}

/// A leveled schedule.
#[derive(Debug, Clone)]
pub struct Leveled {
    pub origin: NaiveDate,
    /// Indexed by `TaskIdx`.
    pub tasks: Vec<LeveledTask>,
    /// Leveled program finish and resource-free finish.
    pub finish: Tick,
    pub free_finish: Tick,
    /// One chain of tasks from its start to the program's end, each driving
    /// the next through a dependency or a resource.
    pub critical_chain: Vec<TaskIdx>,
    pub search: SearchReport,
    placement: Placement,
    axis: crate::profile::Profile,
    /// Per activity (node): its task, whether it is a task's own node (not
    /// a summary's), and the nodes driving its start.
    node_task: Vec<TaskIdx>,
    node_is_task: Vec<bool>,
    drivers: Vec<Vec<u32>>,
    task_node: Vec<u32>,
}

impl Leveled {
    pub fn date(&self, tick: Tick) -> NaiveDate {
        date_of(self.origin, day_of(tick)).unwrap_or(self.origin)
    }

    pub fn day_date(&self, day: Day) -> NaiveDate {
        date_of(self.origin, day).unwrap_or(self.origin)
    }

    /// Working days of the program calendar from `a` to `b`.
    pub fn working_days(&self, a: Tick, b: Tick) -> i64 {
        WorkAxis {
            calendar: &self.axis,
        }
        .between(a, b)
    }

    /// What drives `task`'s start, back to the start of the program: each
    /// task in the list drives the one before it (the first drives `task`)
    /// through a dependency or by holding a resource. Empty when nothing
    /// drives it (it starts at its resource-free date, its release, or
    /// after a gap in its calendar).
    pub fn driving_chain(&self, task: TaskIdx) -> Vec<TaskIdx> {
        let mut out = Vec::new();
        let mut seen = vec![false; self.drivers.len()];
        let mut v = self.task_node[task.index()] as usize;
        while let Some(&d) = self.drivers[v].first() {
            v = d as usize;
            if seen[v] {
                break;
            }
            seen[v] = true;
            if self.node_is_task[v] {
                out.push(self.node_task[v]);
            }
        }
        out
    }

    /// The schedule as the independent checker reads it.
    pub fn placed(&self) -> Vec<Placed> {
        self.tasks
            .iter()
            .map(|t| Placed {
                start: t.start,
                finish: t.finish,
                resume: t.resume,
                people: t.assigned.clone(),
            })
            .collect()
    }

    /// Over-allocations and weekly load of this schedule.
    pub fn load(&self, program: &Program) -> Result<LoadReport, LevelError> {
        let model = PlanModel::build(program, false)?;
        let p = &self.placement;
        Ok(load::report(&model, &p.starts, &p.finishes, &p.modes, true))
    }
}

/// Levels a program with the kernel's search ([`Search`]).
pub fn level(program: &Program, options: &LevelOptions) -> Result<Leveled, LevelError> {
    level_with(program, &search_of(options), options)
}

/// The kernel's search with the budget and seed of `options`.
fn search_of(options: &LevelOptions) -> Search {
    Search(SolveOptions {
        max_schedules: options.max_schedules,
        time_limit: options.time_limit,
        seed: options.seed,
        strategy: options.strategy,
    })
}

/// Levels a program with any scheduler.
pub fn level_with<S: Scheduler>(
    program: &Program,
    scheduler: &S,
    options: &LevelOptions,
) -> Result<Leveled, LevelError> {
    let model = PlanModel::build(program, false)?;
    level_on(program, &model, scheduler, options)
}

/// Levels a program whose model is built.
fn level_on<S: Scheduler>(
    program: &Program,
    model: &PlanModel<'_>,
    scheduler: &S,
    options: &LevelOptions,
) -> Result<Leveled, LevelError> {
    let placement = scheduler.run(model).map_err(|e| match e {
        SolveError::Unschedulable { activity } => {
            let task = model.nodes[activity].task;
            LevelError::Unschedulable { task }
        }
    })?;
    finish_up(program, model, placement, options)
}

/// The resource-free schedule through the leveling model (every task on
/// its critical-path calendar, nothing booked): equal to the critical-path
/// schedule's early dates.
pub fn resource_free(program: &Program) -> Result<Leveled, LevelError> {
    let model = PlanModel::build(program, true)?;
    let placement = SerialOnce.run(&model).map_err(|e| match e {
        SolveError::Unschedulable { activity } => LevelError::Unschedulable {
            task: model.nodes[activity].task,
        },
    })?;
    finish_up(
        program,
        &model,
        placement,
        &LevelOptions::for_program(program),
    )
}

/// Over-allocations and weekly load of the resource-free (critical-path)
/// schedule.
pub fn load(program: &Program) -> Result<LoadReport, LevelError> {
    let model = PlanModel::build(program, true)?;
    let n = model.len();
    let start: Vec<i32> = (0..n).map(|v| model.cpm_start[v] as i32).collect();
    let finish: Vec<i32> = (0..n).map(|v| model.cpm_finish[v] as i32).collect();
    Ok(load::report(&model, &start, &finish, &vec![0; n], false))
}

/// A single serial pass in topological order.
struct SerialOnce;

impl Scheduler for SerialOnce {
    fn name(&self) -> String {
        "resource-free".into()
    }
    fn run<M: tiller_rcpsp::Model>(&self, model: &M) -> Result<Placement, SolveError> {
        tiller_rcpsp::SerialScheme {
            rule: tiller_rcpsp::PriorityRule::Lft,
            seed: 0,
        }
        .run(model)
    }
}

fn finish_up(
    program: &Program,
    model: &PlanModel<'_>,
    placement: Placement,
    options: &LevelOptions,
) -> Result<Leveled, LevelError> {
    let too_far = 2 * crate::cpm::MAX_DAYS + 1;
    for (v, &f) in placement.finishes.iter().enumerate() {
        if Tick::from(f) > too_far {
            return Err(LevelError::TooFar {
                task: model.nodes[v].task,
            });
        }
    }
    let mut placement = placement;
    let mut analysis = explain::analyse(
        model,
        &placement.starts,
        &placement.finishes,
        &placement.modes,
    );
    if analysis.delay.iter().any(|d| d == &Some(Delay::Unforced)) {
        // Not left-justified (a parallel pass): every delay should have a
        // cause, so justify it once.
        placement = tiller_rcpsp::left_justify(model, &placement);
        analysis = explain::analyse(
            model,
            &placement.starts,
            &placement.finishes,
            &placement.modes,
        );
    }
    let (on_chain, path) = explain::critical_chain(model, &placement.finishes, &analysis.drivers);
    let axis = WorkAxis {
        calendar: &model.axis,
    };
    let n = program.tasks.len();
    let mut tasks: Vec<LeveledTask> = Vec::with_capacity(n);
    for t in 0..n {
        let nodes = model.task_nodes[t];
        let v = nodes.start as usize;
        let s = Tick::from(placement.starts[v]);
        let f = Tick::from(placement.finishes[v]);
        let shown = model.shown_start(v, s);
        let free_start = model.shown_start(v, model.cpm_start[v]);
        let free_finish = model.cpm_finish[v];
        let m = placement.modes[v] as usize;
        let leaf = model.nodes[v].role == NodeRole::Task;
        let delay_days = if leaf {
            axis.between(model.cpm_start[v], s).max(0)
        } else {
            0
        };
        tasks.push(LeveledTask {
            start: shown,
            finish: f,
            resume: s,
            free_start,
            free_finish,
            assigned: if !leaf {
                Vec::new()
            } else if model.mode(v, m).people.is_empty() {
                // Finished work and resource-free runs: the named people.
                match &program.tasks[t].assignment {
                    tiller_core::Assignment::People(p) => p.clone(),
                    _ => Vec::new(),
                }
            } else {
                model.mode(v, m).people.clone()
            },
            delay_days,
            delay: if leaf {
                analysis.delay[v].clone()
            } else {
                None
            },
            critical_chain: leaf && on_chain[v],
            working_days: axis.between(shown, f),
        });
    }
    // Summaries: roll up children, deepest first.
    let mut summaries: Vec<(usize, usize)> = program
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == TaskKind::Summary)
        .map(|(i, _)| {
            let mut depth = 0;
            let mut up = program.tasks[i].parent;
            while let Some(u) = up {
                depth += 1;
                up = program.task(u).parent;
            }
            (depth, i)
        })
        .collect();
    summaries.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in summaries {
        let kids = &program.tasks[i].children;
        if kids.is_empty() {
            continue;
        }
        let get = |f: &dyn Fn(&LeveledTask) -> Tick, min: bool| {
            let it = kids.iter().map(|k| f(&tasks[k.index()]));
            if min { it.min() } else { it.max() }
        };
        let start = get(&|t| t.start, true).unwrap_or(0);
        let finish = get(&|t| t.finish, false).unwrap_or(0);
        let free_start = get(&|t| t.free_start, true).unwrap_or(0);
        let free_finish = get(&|t| t.free_finish, false).unwrap_or(0);
        let chain = kids.iter().any(|k| tasks[k.index()].critical_chain);
        let s = &mut tasks[i];
        s.start = start;
        s.resume = start;
        s.finish = finish;
        s.free_start = free_start;
        s.free_finish = free_finish;
        s.critical_chain = chain;
        s.working_days = axis.between(start, finish);
    }
    let leaf_nodes = (0..model.len()).filter(|&v| model.nodes[v].role == NodeRole::Task);
    let finish = leaf_nodes
        .clone()
        .map(|v| Tick::from(placement.finishes[v]))
        .max()
        .unwrap_or(0);
    let free_finish = leaf_nodes.map(|v| model.cpm_finish[v]).max().unwrap_or(0);
    let node_task = model.nodes.iter().map(|n| n.task).collect();
    let node_is_task = model
        .nodes
        .iter()
        .map(|n| n.role == NodeRole::Task)
        .collect();
    let task_node = model.task_nodes.iter().map(|t| t.start).collect();
    let leveled = Leveled {
        axis: model.axis.clone(),
        node_task,
        node_is_task,
        drivers: analysis.drivers,
        task_node,
        origin: model.origin,
        tasks,
        finish,
        free_finish,
        critical_chain: path.iter().map(|&v| model.nodes[v as usize].task).collect(),
        search: SearchReport {
            schedules: placement.schedules_generated,
            max_schedules: options.max_schedules,
            seed: options.seed,
            strategy: placement.strategy,
            stopped_by: placement.stopped_by,
        },
        placement,
    };
    // Debug builds (and so every test) check every leveled schedule
    // independently.
    debug_assert!(
        model.is_resource_free() || verify(program, &leveled.placed()).is_ok(),
        "leveled schedule fails the independent check: {:?}",
        verify(program, &leveled.placed())
    );
    Ok(leveled)
}
