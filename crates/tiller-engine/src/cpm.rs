//! Critical-path scheduling: forward and backward passes over the dependency network,
//! on each task's own calendar, with all four link types, lags and constraints.
//!
//! Summary tasks become two zero-length nodes, their start and their finish: every child
//! starts after the summary's start node, and the finish node waits for every child. A
//! link into a summary constrains its start node (so all children); a link out of one
//! leaves from its finish node (FS/FF) or its start node (SS/SF). That keeps the network
//! linear in the number of links, where expanding summaries into their leaves would not.

use chrono::NaiveDate;
use tiller_core::{DepKind, Lag, Program, SourceRef, TaskIdx, TaskKind, TaskStatus, Work};

use crate::calendars::{FULL_DAY, ProfileKey, Profiles};
use crate::profile::{Day, Profile, WorkCalendar};
use crate::tick::{Occupancy, Tick, WorkAxis, date_of, day_of, end_of, is_end, start_of};

/// Schedules that run past this many days from the program start are rejected: no real
/// program is planned 100 years ahead, and the bound keeps every date representable.
pub const MAX_DAYS: Day = 36_600;

/// Which part of a task a network node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeRole {
    Task,
    SummaryStart,
    SummaryFinish,
    /// When the summary's first task starts: what SS/SF links from a summary follow.
    SummaryFirst,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) task: TaskIdx,
    pub(crate) role: NodeRole,
    pub(crate) profile: u32,
    /// Work still to schedule: all of it, or what remains of a task in progress.
    pub(crate) req: i64,
    /// Start no earlier than this tick (`Tick::MIN`: unconstrained). Plain ticks with
    /// sentinels rather than options keep a node small on big plans.
    not_before: Tick,
    /// Finish no later than this tick (`Tick::MAX`: unconstrained).
    finish_by: Tick,
    pub(crate) progress: NodeProgress,
}

/// What the reported progress fixes about a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeProgress {
    /// Not started: scheduled from the dependencies, no earlier than the status date.
    Planned,
    /// Started on `start`; its remaining work runs after the status date.
    Started { start: Tick },
    /// Done: fixed at its actual dates.
    Finished { start: Tick, finish: Tick },
}

/// The early times of one forward pass.
pub(crate) struct Times<'a> {
    pub(crate) es: &'a [Tick],
    pub(crate) ef: &'a [Tick],
    pub(crate) first_child: &'a [u32],
}

/// Why an edge exists: a dependency the user wrote, or the summary structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeOrigin {
    Dependency(SourceRef),
    Structure,
}

/// One end of a link as the passes see it: the node at the other end and the link.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub(crate) node: u32,
    /// The lag in days (packed with `elapsed` rather than as a `Lag`, to keep a link
    /// at twelve bytes).
    lag_days: i32,
    pub(crate) kind: DepKind,
    elapsed: bool,
    /// The node at the other end is a summary's start or finish.
    dummy: bool,
    /// From a summary's child to the summary's first-start node, which takes the
    /// earliest of its children's starts (not the latest, as every other link does).
    pub(crate) min: bool,
}

impl Link {
    pub(crate) fn lag(&self) -> Lag {
        Lag {
            days: self.lag_days,
            elapsed: self.elapsed,
        }
    }
}

#[derive(Debug, Clone)]
struct Edge {
    pred: u32,
    succ: u32,
    kind: DepKind,
    lag: Lag,
    origin: EdgeOrigin,
    min: bool,
}

/// The nodes of one task: a leaf or milestone is one node in all three roles.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskNodes {
    pub(crate) start: u32,
    pub(crate) finish: u32,
    pub(crate) first: u32,
}

/// One step of a dependency cycle: a task (or a summary's start or finish) and the link
/// that leads from it to the next step.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleStep {
    pub task: TaskIdx,
    pub role: NodeRole,
    pub link: EdgeOrigin,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    #[error("dependency cycle")]
    Cycle { steps: Vec<CycleStep> },
    #[error("task has no working time to be scheduled in")]
    NoWorkingTime { task: TaskIdx },
    #[error("task would be scheduled more than {MAX_DAYS} days from the program start")]
    TooFar { task: TaskIdx },
}

/// A task finishing after its deadline or a milestone after its promised date.
#[derive(Debug, Clone, PartialEq)]
pub struct MissedDate {
    pub task: TaskIdx,
    pub due: NaiveDate,
    pub at: SourceRef,
    pub finish: NaiveDate,
    /// Working days between the due date and the early finish.
    pub late_days: i64,
    /// The task's total float (negative; can be below `-late_days` when a later
    /// deadline downstream is missed by more).
    pub float: i64,
    pub promised: bool,
}

/// Dates and float of one task (summaries rolled up from their children).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskTimes {
    pub early_start: Tick,
    pub early_finish: Tick,
    pub late_start: Tick,
    pub late_finish: Tick,
    /// Working days (program calendar) the task can slip without delaying the program
    /// end or missing a deadline; negative when a deadline cannot be met.
    pub total_float: i64,
    /// Working days it can slip without delaying any successor's early dates.
    pub free_float: i64,
    pub critical: bool,
    /// Progress as of the status date (summaries: done when all their tasks are).
    pub status: TaskStatus,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub origin: NaiveDate,
    /// Indexed by `TaskIdx`.
    pub times: Vec<TaskTimes>,
    /// The end of the last task or milestone.
    pub finish: Tick,
    /// Chains of critical tasks linked by driving dependencies, from a start to a task
    /// finishing at the program end; at most [`MAX_CRITICAL_PATHS`].
    pub critical_paths: Vec<Vec<TaskIdx>>,
    pub missed: Vec<MissedDate>,
    /// Working days of each task's span on the program calendar.
    pub working_days: Vec<i64>,
    /// Per task with a deadline or promised date: working days from its early finish to
    /// that date (negative when it is missed).
    pub due_slack: Vec<Option<i64>>,
}

pub const MAX_CRITICAL_PATHS: usize = 10;

impl Schedule {
    pub fn date(&self, tick: Tick) -> NaiveDate {
        // Ticks are bounded by MAX_DAYS, well inside chrono's range.
        date_of(self.origin, day_of(tick)).unwrap_or(self.origin)
    }

    pub fn start_date(&self, task: TaskIdx) -> NaiveDate {
        self.date(self.times[task.index()].early_start)
    }

    pub fn finish_date(&self, task: TaskIdx) -> NaiveDate {
        self.date(self.times[task.index()].early_finish)
    }

    pub fn finish_date_of_program(&self) -> NaiveDate {
        self.date(self.finish)
    }
}

/// The dependency network of a program, ready to be scheduled (repeatedly, with other
/// durations, by the forecaster).
pub struct Network {
    pub(crate) origin: NaiveDate,
    /// End of the status date, when progress applies: unfinished work goes after it.
    status_end: Option<Tick>,
    pub(crate) profiles: Vec<Profile>,
    pub(crate) axis: Profile,
    pub(crate) nodes: Vec<Node>,
    /// Links grouped by successor (`in_adj`, naming the predecessor) and by predecessor
    /// (`out_adj`, naming the successor), stored contiguously for the passes.
    in_start: Vec<u32>,
    in_adj: Vec<Link>,
    out_start: Vec<u32>,
    out_adj: Vec<Link>,
    /// Node ids in topological order.
    pub(crate) order: Vec<u32>,
    /// Per task: its node (leaf, milestone) or its start, finish and first-start nodes
    /// (summary).
    pub(crate) task_nodes: Vec<TaskNodes>,
    /// Children of each task (compressed: `children[child_start[t]..child_start[t+1]]`).
    child_start: Vec<u32>,
    children: Vec<TaskIdx>,
    /// Tasks ordered children before parents, for roll-ups.
    rollup_order: Vec<TaskIdx>,
    missable: Vec<(TaskIdx, NaiveDate, SourceRef, bool)>,
}

fn csr(n: usize, keys: impl Iterator<Item = u32> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0u32; n + 1];
    for k in keys.clone() {
        start[k as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut fill = start.clone();
    let mut items = vec![0u32; start[n] as usize];
    for (id, k) in keys.enumerate() {
        items[fill[k as usize] as usize] = id as u32;
        fill[k as usize] += 1;
    }
    (start, items)
}

fn day_tick(origin: NaiveDate, date: NaiveDate, end: bool) -> Tick {
    let day = (date - origin).num_days();
    if end { end_of(day) } else { start_of(day) }
}

impl Network {
    /// Builds the network; fails with every dependency cycle found.
    /// Builds the network as of the program's status date (progress reported up to
    /// then is applied; without a status date, none is).
    pub fn build(program: &Program) -> Result<Network, Vec<ScheduleError>> {
        Network::build_as_of(program, program.status_date)
    }

    /// Builds the network as of the end of `as_of`: finished work is fixed at its
    /// actual dates, work in progress keeps its actual start and schedules what remains
    /// after `as_of`, and nothing unfinished is scheduled on or before `as_of`.
    pub fn build_as_of(
        program: &Program,
        as_of: Option<NaiveDate>,
    ) -> Result<Network, Vec<ScheduleError>> {
        let origin = program.start;
        let progress = as_of.map(|d| program.progress_as_of(d));
        let mut profiles = Profiles::new(program);
        let axis = profiles.work_axis();
        let milestone_profile = profiles.get(&ProfileKey::Calendar(program.default_calendar));

        let mut nodes = Vec::with_capacity(program.tasks.len());
        let mut task_nodes = Vec::with_capacity(program.tasks.len());
        let mut missable = Vec::new();
        for (i, task) in program.tasks.iter().enumerate() {
            let idx = TaskIdx(i as u32);
            let not_before = task
                .not_before
                .as_ref()
                .map(|d| day_tick(origin, d.value, false));
            let due = task.deadline.iter().chain(task.promised.iter()).fold(
                None::<(NaiveDate, SourceRef, bool)>,
                |best, d| match best {
                    Some(b) if b.0 <= d.value => Some(b),
                    _ => Some((d.value, d.at, task.promised.as_ref() == Some(d))),
                },
            );
            if let Some((date, at, promised)) = due {
                missable.push((idx, date, at, promised));
            }
            let finish_by = due.map(|d| day_tick(origin, d.0, true));
            let id = nodes.len() as u32;
            match task.kind {
                TaskKind::Summary => {
                    for role in [
                        NodeRole::SummaryStart,
                        NodeRole::SummaryFinish,
                        NodeRole::SummaryFirst,
                    ] {
                        nodes.push(Node {
                            task: idx,
                            role,
                            profile: milestone_profile,
                            req: 0,
                            not_before: match (role, not_before) {
                                (NodeRole::SummaryStart, Some(t)) => t,
                                _ => Tick::MIN,
                            },
                            finish_by: match (role, finish_by) {
                                (NodeRole::SummaryFinish, Some(t)) => t,
                                _ => Tick::MAX,
                            },
                            progress: NodeProgress::Planned,
                        });
                    }
                    task_nodes.push(TaskNodes {
                        start: id,
                        finish: id + 1,
                        first: id + 2,
                    });
                }
                TaskKind::Leaf | TaskKind::Milestone => {
                    let (profile, req) = match (&task.kind, &task.work) {
                        (TaskKind::Leaf, Some(work)) => {
                            let key = ProfileKey::for_work(
                                program,
                                Some(work),
                                &task.assignment,
                                task.team,
                            );
                            (profiles.get(&key), work_req(work))
                        }
                        _ => (milestone_profile, 0),
                    };
                    let (node_progress, req) = match progress.as_ref().and_then(|p| p[i]) {
                        Some(p) => apply_progress(origin, &p, task.work.as_ref(), req),
                        None => (NodeProgress::Planned, req),
                    };
                    nodes.push(Node {
                        task: idx,
                        role: NodeRole::Task,
                        profile,
                        req,
                        not_before: not_before.unwrap_or(Tick::MIN),
                        finish_by: finish_by.unwrap_or(Tick::MAX),
                        progress: node_progress,
                    });
                    task_nodes.push(TaskNodes {
                        start: id,
                        finish: id,
                        first: id,
                    });
                }
            }
        }

        // Which parts of each summary anything depends on: its start when something
        // constrains it (a link into it, `not_before`), its finish when something
        // follows or bounds it (a finish-side link from it, a deadline or promise), its
        // first task's start when a start-side link leaves it — or when its parent's
        // part matters, since the parent's passes through it. Structural links are made
        // only where they can matter, so a plan's workstreams cost nothing unless they
        // are linked or constrained.
        let mut needs = vec![[false; 3]; program.tasks.len()];
        for (i, task) in program.tasks.iter().enumerate() {
            if task.kind == TaskKind::Summary {
                needs[i][0] |= !task.deps.is_empty() || task.not_before.is_some();
                needs[i][1] |= task.deadline.is_some() || task.promised.is_some();
            }
            for dep in &task.deps {
                if program.task(dep.pred).kind == TaskKind::Summary {
                    needs[dep.pred.index()][if dep.kind.from_finish() { 1 } else { 2 }] = true;
                }
            }
        }
        // A risk on a summary delays its start node in a forecast, which must then
        // hold up every child.
        for risk in &program.risks {
            for link in &risk.affects {
                if let tiller_core::RaidLink::Task(t) = link
                    && program.task(*t).kind == TaskKind::Summary
                {
                    needs[t.index()][0] = true;
                }
            }
        }
        let rollup = rollup_order(program);
        for &t in rollup.iter().rev() {
            if let Some(parent) = program.task(t).parent {
                let inherited = needs[parent.index()];
                for k in 0..3 {
                    needs[t.index()][k] |= inherited[k];
                }
            }
        }

        let mut edges = Vec::new();
        for (i, task) in program.tasks.iter().enumerate() {
            let TaskNodes {
                start,
                finish,
                first,
            } = task_nodes[i];
            if let Some(parent) = task.parent {
                let p = task_nodes[parent.index()];
                let need = needs[parent.index()];
                for (pred, succ, kind, min, wanted) in [
                    (p.start, start, DepKind::StartToStart, false, need[0]),
                    (finish, p.finish, DepKind::FinishToStart, false, need[1]),
                    (first, p.first, DepKind::StartToStart, true, need[2]),
                ] {
                    if !wanted {
                        continue;
                    }
                    edges.push(Edge {
                        pred,
                        succ,
                        kind,
                        lag: Lag::default(),
                        origin: EdgeOrigin::Structure,
                        min,
                    });
                }
            }
            for dep in &task.deps {
                let pred_nodes = task_nodes[dep.pred.index()];
                // From a summary, a finish-side link waits for all its tasks; a
                // start-side link waits for the first of them to start.
                let pred = if dep.kind.from_finish() {
                    pred_nodes.finish
                } else {
                    pred_nodes.first
                };
                // Links into a summary constrain its start; the plan reader rejects
                // FF/SF links into summaries, whose finish is a roll-up.
                edges.push(Edge {
                    pred,
                    succ: start,
                    kind: dep.kind,
                    lag: dep.lag,
                    origin: EdgeOrigin::Dependency(dep.src),
                    min: false,
                });
            }
        }

        // Children of every task, for roll-ups.
        let parents: Vec<(u32, u32)> = program
            .tasks
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.parent.map(|p| (p.0, i as u32)))
            .collect();
        let (child_start, child_ids) = csr(program.tasks.len(), parents.iter().map(|x| x.0));
        let children: Vec<TaskIdx> = child_ids
            .iter()
            .map(|&k| TaskIdx(parents[k as usize].1))
            .collect();

        let n = nodes.len();
        let (in_start, in_edges) = csr(n, edges.iter().map(|e| e.succ));
        let (out_start, out_edges) = csr(n, edges.iter().map(|e| e.pred));

        let order = topological_order(n, &edges, &in_start, &out_start, &out_edges);
        if order.len() < n {
            let cycles = find_cycles(&nodes, &edges, &order, &out_start, &out_edges);
            return Err(cycles);
        }

        let link = |e: u32, node: u32| {
            let edge = &edges[e as usize];
            Link {
                node,
                lag_days: edge.lag.days,
                kind: edge.kind,
                elapsed: edge.lag.elapsed,
                dummy: nodes[node as usize].role != NodeRole::Task,
                min: edge.min,
            }
        };
        let in_adj = in_edges
            .iter()
            .map(|&e| link(e, edges[e as usize].pred))
            .collect();
        let out_adj = out_edges
            .iter()
            .map(|&e| link(e, edges[e as usize].succ))
            .collect();

        Ok(Network {
            origin,
            status_end: as_of.map(|d| day_tick(origin, d, true)),
            profiles: profiles.profiles,
            axis,
            nodes,
            in_start,
            in_adj,
            out_start,
            out_adj,
            order,
            task_nodes,
            child_start,
            children,
            rollup_order: rollup,
            missable,
        })
    }

    /// Schedules with each leaf's most likely estimate.
    pub fn schedule(&self) -> Result<Schedule, Vec<ScheduleError>> {
        let reqs: Vec<i64> = self.nodes.iter().map(|n| n.req).collect();
        self.schedule_with(&reqs)
    }

    fn occupancy(&self, node: usize, reqs: &[i64]) -> Occupancy<'_> {
        Occupancy {
            profile: &self.profiles[self.nodes[node].profile as usize],
            req: reqs[node],
        }
    }

    /// The forward pass: early start and finish of every node, and for each summary's
    /// first-start node the child that starts first. Generic over the calendar form so
    /// the forecaster can run it on precomputed tables.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn forward<P: WorkCalendar>(
        &self,
        profiles: &[P],
        axis: &P,
        reqs: &[i64],
        live: Option<&[bool]>,
        es: &mut [Tick],
        ef: &mut [Tick],
        first_child: &mut [u32],
    ) -> Result<(), Vec<ScheduleError>> {
        let axis = WorkAxis { calendar: axis };
        let too_far = end_of(MAX_DAYS);
        let mut errors = Vec::new();
        // Forward pass. Conversions from a bound to a start are monotone, so each node
        // takes the latest raw bound per kind of end first and converts once.
        for &v in &self.order {
            let v = v as usize;
            if live.is_some_and(|l| !l[v]) {
                continue;
            }
            let node = &self.nodes[v];
            if node.role == NodeRole::SummaryFirst {
                let mut best: Option<(Tick, u32)> = None;
                for link in self.links_in(v) {
                    let t = es[link.node as usize];
                    if best.is_none_or(|b| t < b.0) {
                        best = Some((t, link.node));
                    }
                }
                let (t, child) = best.unwrap_or((start_of(0), u32::MAX));
                es[v] = t;
                ef[v] = t;
                first_child[v] = child;
                continue;
            }
            if let NodeProgress::Finished { start, finish } = node.progress {
                es[v] = start;
                ef[v] = finish;
                continue;
            }
            let occ = Occupancy {
                profile: &profiles[node.profile as usize],
                req: reqs[v],
            };
            let mut start_bound = start_of(0);
            start_bound = start_bound.max(node.not_before);
            // Nothing unfinished happens on or before the status date.
            if let Some(status_end) = self.status_end {
                start_bound = start_bound.max(status_end);
            }
            let mut finish_bound = Tick::MIN;
            let mut ok = true;
            for link in self.links_in(v) {
                let p = link.node as usize;
                // A summary's start node is zero-length (so its end is its start)
                // unless a forecast draws a risk delay onto it: then its children
                // wait for the delay to pass. Only links from summary nodes look.
                let from = if link.kind.from_finish()
                    || (link.dummy && self.nodes[p].role == NodeRole::SummaryStart)
                {
                    ef[p]
                } else {
                    es[p]
                };
                match axis.add_lag(from, link.lag()) {
                    Some(t) if link.kind.to_finish() => finish_bound = finish_bound.max(t),
                    Some(t) => start_bound = start_bound.max(t),
                    None => ok = false,
                }
            }
            let mut start = occ.start_after(start_bound).filter(|_| ok);
            if finish_bound != Tick::MIN {
                start = match (start, occ.start_for_finish_after(finish_bound)) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            let Some(mut finish) = start.and_then(|s| occ.finish_from(s)) else {
                errors.push(ScheduleError::NoWorkingTime { task: node.task });
                continue;
            };
            if finish > too_far {
                errors.push(ScheduleError::TooFar { task: node.task });
                return Err(errors);
            }
            let mut start = start.unwrap_or(finish);
            if let NodeProgress::Started { start: actual } = node.progress {
                // The task keeps its actual start; what remains ends at `finish` (or,
                // with nothing left, at the status date).
                if reqs[v] == 0 {
                    finish = self.status_end.unwrap_or(finish).max(actual);
                }
                start = actual;
            }
            es[v] = start;
            ef[v] = finish;
        }
        if !errors.is_empty() {
            errors.dedup();
            return Err(errors);
        }

        if !errors.is_empty() {
            errors.dedup();
            return Err(errors);
        }
        Ok(())
    }

    /// Schedules with the given work per node (thousandths of a day; 0 = milestone).
    pub fn schedule_with(&self, reqs: &[i64]) -> Result<Schedule, Vec<ScheduleError>> {
        let n = self.nodes.len();
        let axis = WorkAxis {
            calendar: &self.axis,
        };

        let mut es = vec![0 as Tick; n];
        let mut ef = vec![0 as Tick; n];
        let mut first_child = vec![u32::MAX; n];
        self.forward(
            &self.profiles,
            &self.axis,
            reqs,
            None,
            &mut es,
            &mut ef,
            &mut first_child,
        )?;
        let mut errors = Vec::new();

        let finish = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.role == NodeRole::Task)
            .map(|(i, _)| ef[i])
            .max()
            .unwrap_or(start_of(0));

        // Backward pass, with free float in the same sweep over the successors. The
        // conversions to a late start are monotone, so each node takes the tightest raw
        // bound per kind of end first and converts once. Free float measures how far a
        // node may move without moving any real successor's early dates; summary nodes
        // pass their successors' bounds through (`free_bound`).
        let mut ls = vec![0 as Tick; n];
        let mut lf = vec![0 as Tick; n];
        let mut free_bound = vec![0 as Tick; n];
        let mut free = vec![0i64; n];
        for &v in self.order.iter().rev() {
            let v = v as usize;
            let node = &self.nodes[v];
            if let NodeProgress::Finished { .. } = node.progress {
                ls[v] = es[v];
                lf[v] = ef[v];
                free_bound[v] = ef[v];
                continue;
            }
            let occ = self.occupancy(v, reqs);
            let mut finish_bound = finish;
            finish_bound = finish_bound.min(node.finish_by);
            let mut start_bound = Tick::MAX;
            let (mut free_finish, mut free_start) = (Tick::MAX, Tick::MAX);
            let (finish_parity, start_parity) = (is_end(ef[v]), is_end(es[v]));
            let mut ok = true;
            for edge in self.links_out(v) {
                let s = edge.node as usize;
                match self.nodes[s].progress {
                    // What has happened constrains nothing still to come.
                    NodeProgress::Finished { .. } => continue,
                    // A started successor has met its start-to-start links already.
                    NodeProgress::Started { .. }
                        if !edge.kind.to_finish() && !edge.kind.from_finish() =>
                    {
                        continue;
                    }
                    _ => {}
                }
                if edge.min {
                    // Only the first child to start carries its summary's start.
                    if first_child[s] as usize == v {
                        start_bound = start_bound.min(ls[s]);
                        free_start = free_start.min(free_bound[s]);
                    }
                    continue;
                }
                let (late, early) = if edge.kind.to_finish() {
                    (lf[s], ef[s])
                } else {
                    (ls[s], es[s])
                };
                let early = if edge.dummy { free_bound[s] } else { early };
                let parity = if edge.kind.from_finish() {
                    finish_parity
                } else {
                    start_parity
                };
                let (Some(u), Some(f)) = (
                    axis.sub_lag(late, edge.lag(), parity),
                    axis.sub_lag(early, edge.lag(), parity),
                ) else {
                    ok = false;
                    continue;
                };
                if edge.kind.from_finish() {
                    finish_bound = finish_bound.min(u);
                    free_finish = free_finish.min(f);
                } else {
                    start_bound = start_bound.min(u);
                    free_start = free_start.min(f);
                }
            }
            let mut late = occ.start_for_finish_before(finish_bound).filter(|_| ok);
            if start_bound != Tick::MAX {
                late = match (late, occ.start_before(start_bound)) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    _ => None,
                };
            }
            let Some(late) = late else {
                errors.push(ScheduleError::NoWorkingTime { task: node.task });
                continue;
            };
            ls[v] = late;
            lf[v] = occ.finish_from(late).unwrap_or(late);

            let mut slack = None::<i64>;
            if free_finish != Tick::MAX {
                slack = Some(axis.between(ef[v], free_finish));
            }
            let started = matches!(node.progress, NodeProgress::Started { .. });
            if free_start != Tick::MAX && !started {
                let gap = axis.between(es[v], free_start);
                slack = Some(slack.map_or(gap, |g| g.min(gap)));
            }
            free_bound[v] = match free_finish.min(free_start) {
                Tick::MAX => finish,
                b => b,
            };
            free[v] = slack.unwrap_or_else(|| axis.between(ef[v], finish));
        }
        if !errors.is_empty() {
            errors.dedup();
            return Err(errors);
        }

        let mut times = vec![
            TaskTimes {
                early_start: 0,
                early_finish: 0,
                late_start: 0,
                late_finish: 0,
                total_float: 0,
                free_float: 0,
                critical: false,
                status: TaskStatus::NotStarted,
            };
            self.task_nodes.len()
        ];
        let mut working_days = vec![0i64; self.task_nodes.len()];
        for (t, nodes) in self.task_nodes.iter().enumerate() {
            if nodes.start != nodes.finish {
                continue; // summaries are rolled up below
            }
            let v = nodes.start as usize;
            times[t] = match self.nodes[v].progress {
                // Done work has no float and is never critical: nothing can move it.
                NodeProgress::Finished { .. } => TaskTimes {
                    early_start: es[v],
                    early_finish: ef[v],
                    late_start: es[v],
                    late_finish: ef[v],
                    total_float: 0,
                    free_float: 0,
                    critical: false,
                    status: TaskStatus::Done,
                },
                NodeProgress::Started { .. } => {
                    let total = axis.between(ef[v], lf[v]);
                    TaskTimes {
                        early_start: es[v],
                        early_finish: ef[v],
                        late_start: es[v],
                        late_finish: lf[v],
                        total_float: total,
                        free_float: free[v].min(total.max(0)).max(0),
                        critical: total <= 0,
                        status: TaskStatus::InProgress,
                    }
                }
                NodeProgress::Planned => {
                    let total = axis.between(es[v], ls[v]).min(axis.between(ef[v], lf[v]));
                    TaskTimes {
                        early_start: es[v],
                        early_finish: ef[v],
                        late_start: ls[v],
                        late_finish: lf[v],
                        total_float: total,
                        free_float: free[v].min(total.max(0)).max(0),
                        critical: total <= 0,
                        status: TaskStatus::NotStarted,
                    }
                }
            };
            working_days[t] = axis.between(es[v], ef[v]);
        }
        for &task in &self.rollup_order {
            let t = task.index();
            let nodes = self.task_nodes[t];
            if nodes.start == nodes.finish {
                continue;
            }
            let children = self.children_of(task);
            let mut acc: Option<TaskTimes> = None;
            for c in children {
                let ct = times[c.index()];
                acc = Some(match acc {
                    None => ct,
                    Some(s) => {
                        // Floats roll up from the work still to do.
                        let (tf, ff) = match (s.status, ct.status) {
                            (TaskStatus::Done, _) => (ct.total_float, ct.free_float),
                            (_, TaskStatus::Done) => (s.total_float, s.free_float),
                            _ => (
                                s.total_float.min(ct.total_float),
                                s.free_float.min(ct.free_float),
                            ),
                        };
                        TaskTimes {
                            early_start: s.early_start.min(ct.early_start),
                            early_finish: s.early_finish.max(ct.early_finish),
                            late_start: s.late_start.min(ct.late_start),
                            late_finish: s.late_finish.max(ct.late_finish),
                            total_float: tf,
                            free_float: ff,
                            critical: s.critical || ct.critical,
                            status: match (s.status, ct.status) {
                                (TaskStatus::Done, TaskStatus::Done) => TaskStatus::Done,
                                (TaskStatus::NotStarted, TaskStatus::NotStarted) => {
                                    TaskStatus::NotStarted
                                }
                                _ => TaskStatus::InProgress,
                            },
                        }
                    }
                });
            }
            if let Some(s) = acc {
                times[t] = s;
                working_days[t] = axis.between(s.early_start, s.early_finish);
            }
        }

        let critical_paths = self.critical_paths(reqs, &es, &ef, &first_child, &times, finish);
        let origin = self.origin;
        let missed = self
            .missable
            .iter()
            .filter_map(|&(task, due, at, promised)| {
                let t = times[task.index()];
                let due_tick = day_tick(origin, due, true);
                (t.early_finish > due_tick).then(|| MissedDate {
                    task,
                    due,
                    at,
                    finish: date_of(origin, day_of(t.early_finish)).unwrap_or(origin),
                    late_days: axis.between(due_tick, t.early_finish),
                    float: t.total_float,
                    promised,
                })
            })
            .collect();

        let mut due_slack = vec![None; self.task_nodes.len()];
        for &(task, due, _, _) in &self.missable {
            let due_tick = day_tick(origin, due, true);
            due_slack[task.index()] =
                Some(axis.between(times[task.index()].early_finish, due_tick));
        }

        Ok(Schedule {
            origin,
            times,
            finish,
            critical_paths,
            missed,
            working_days,
            due_slack,
        })
    }

    /// Whether `link` alone would place node `v` where the forward pass put it: the
    /// link that drives `v`.
    pub(crate) fn drives<P: WorkCalendar>(
        &self,
        profiles: &[P],
        axis: &P,
        reqs: &[i64],
        t: &Times<'_>,
        v: usize,
        link: &Link,
    ) -> bool {
        if link.min {
            return t.first_child[v] == link.node;
        }
        let occ = Occupancy {
            profile: &profiles[self.nodes[v].profile as usize],
            req: reqs[v],
        };
        let p = link.node as usize;
        let from = if link.kind.from_finish() {
            t.ef[p]
        } else {
            t.es[p]
        };
        let at = WorkAxis { calendar: axis }
            .add_lag(from, link.lag())
            .and_then(|x| {
                if link.kind.to_finish() {
                    occ.start_for_finish_after(x)
                } else {
                    occ.start_after(x)
                }
            });
        at == Some(t.es[v])
    }

    /// Nodes whose early dates can matter to a real task or milestone: every task and
    /// milestone, and the summary nodes some of them depend on. (A summary's finish
    /// that nothing follows, say, is dead weight for a forward pass.)
    pub(crate) fn live_nodes(&self) -> Vec<bool> {
        let mut live: Vec<bool> = self
            .nodes
            .iter()
            .map(|n| n.role == NodeRole::Task)
            .collect();
        for &v in self.order.iter().rev() {
            let v = v as usize;
            if !live[v] && self.links_out(v).any(|l| live[l.node as usize]) {
                live[v] = true;
            }
        }
        live
    }

    pub(crate) fn links_in(&self, v: usize) -> impl Iterator<Item = &Link> {
        self.in_adj[self.in_start[v] as usize..self.in_start[v + 1] as usize].iter()
    }

    pub(crate) fn links_out(&self, v: usize) -> impl Iterator<Item = &Link> {
        self.out_adj[self.out_start[v] as usize..self.out_start[v + 1] as usize].iter()
    }

    fn children_of(&self, summary: TaskIdx) -> &[TaskIdx] {
        let t = summary.index();
        &self.children[self.child_start[t] as usize..self.child_start[t + 1] as usize]
    }

    /// Walks driving links back from the tasks that end the program, through critical
    /// tasks only; each dead end is the start of one path.
    fn critical_paths(
        &self,
        reqs: &[i64],
        es: &[Tick],
        ef: &[Tick],
        first_child: &[u32],
        times: &[TaskTimes],
        finish: Tick,
    ) -> Vec<Vec<TaskIdx>> {
        let times_of = Times {
            es,
            ef,
            first_child,
        };
        let drives = |v: usize, link: &Link| {
            self.drives(&self.profiles, &self.axis, reqs, &times_of, v, link)
        };
        let is_critical = |v: usize| times[self.nodes[v].task.index()].critical;
        let mut paths = Vec::new();
        let ends: Vec<usize> = (0..self.nodes.len())
            .filter(|&v| self.nodes[v].role == NodeRole::Task && ef[v] == finish && is_critical(v))
            .collect();
        // Depth-first with an explicit stack: (node, path so far).
        let mut stack: Vec<(usize, Vec<usize>)> =
            ends.into_iter().rev().map(|v| (v, vec![v])).collect();
        while let Some((v, path)) = stack.pop() {
            if paths.len() >= MAX_CRITICAL_PATHS {
                break;
            }
            let mut preds = Vec::new();
            for link in self.links_in(v) {
                let p = link.node as usize;
                if is_critical(p) && !path.contains(&p) && drives(v, link) {
                    preds.push(p);
                }
            }
            if preds.is_empty() {
                let mut tasks: Vec<TaskIdx> = path
                    .iter()
                    .rev()
                    .filter(|&&v| self.nodes[v].role == NodeRole::Task)
                    .map(|&v| self.nodes[v].task)
                    .collect();
                tasks.dedup();
                if !tasks.is_empty() && !paths.contains(&tasks) {
                    paths.push(tasks);
                }
                continue;
            }
            for &p in preds.iter().rev() {
                let mut next = path.clone();
                next.push(p);
                stack.push((p, next));
            }
        }
        // A path ending at a task that also drives a later end is part of a longer one.
        let all = paths.clone();
        paths.retain(|p| {
            !all.iter()
                .any(|q| q.len() > p.len() && q.windows(p.len()).any(|w| w == p.as_slice()))
        });
        paths
    }
}

/// The node state and remaining work implied by a task's progress.
fn apply_progress(
    origin: NaiveDate,
    p: &tiller_core::TaskProgress,
    work: Option<&Work>,
    req: i64,
) -> (NodeProgress, i64) {
    use tiller_core::TaskStatus;
    let start = p.started.map(|d| day_tick(origin, d, false));
    match (p.status, start) {
        (TaskStatus::Done, _) => {
            let finish = p
                .finished
                .map_or(start.unwrap_or(0), |d| day_tick(origin, d, true));
            let start = start.unwrap_or(finish - 1).min(finish);
            (NodeProgress::Finished { start, finish }, 0)
        }
        (TaskStatus::InProgress, Some(start)) if work.is_some() => {
            let remaining = match (p.remaining, p.done) {
                (Some(r), _) => (r * FULL_DAY as f64).round() as i64,
                (None, Some(done)) => ((1.0 - done) * req as f64).round() as i64,
                (None, None) => req,
            };
            (NodeProgress::Started { start }, remaining.max(0))
        }
        _ => (NodeProgress::Planned, req),
    }
}

/// Work of a leaf in thousandths of a day, from its most likely estimate.
pub fn work_req(work: &Work) -> i64 {
    let days = work.estimate().likely;
    (days * FULL_DAY as f64).round().max(0.0) as i64
}

fn topological_order(
    n: usize,
    edges: &[Edge],
    in_start: &[u32],
    out_start: &[u32],
    out_edges: &[u32],
) -> Vec<u32> {
    let mut indegree: Vec<u32> = (0..n).map(|v| in_start[v + 1] - in_start[v]).collect();
    // Ready nodes are taken lowest id first, so the order (and the tie-breaking it
    // implies) follows the plan order.
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<u32>> = (0..n as u32)
        .filter(|&v| indegree[v as usize] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(v)) = ready.pop() {
        order.push(v);
        let v = v as usize;
        for &e in &out_edges[out_start[v] as usize..out_start[v + 1] as usize] {
            let s = edges[e as usize].succ as usize;
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.push(std::cmp::Reverse(s as u32));
            }
        }
    }
    order
}

/// One cycle per strongly connected component among the nodes the topological sort
/// could not place, each as the shortest cycle through the component's first node.
fn find_cycles(
    nodes: &[Node],
    edges: &[Edge],
    order: &[u32],
    out_start: &[u32],
    out_edges: &[u32],
) -> Vec<ScheduleError> {
    let n = nodes.len();
    let mut placed = vec![false; n];
    for &v in order {
        placed[v as usize] = true;
    }
    let succs = |v: usize| {
        out_edges[out_start[v] as usize..out_start[v + 1] as usize]
            .iter()
            .map(|&e| (e as usize, edges[e as usize].succ as usize))
            .filter(|&(_, s)| !placed[s])
    };
    let components = strongly_connected(n, &placed, &succs);
    let mut errors = Vec::new();
    for comp in components {
        let root = comp[0];
        let in_comp: std::collections::HashSet<usize> = comp.iter().copied().collect();
        // Breadth-first from the root back to itself, inside the component.
        let mut via: std::collections::HashMap<usize, (usize, usize)> = Default::default();
        let mut queue = std::collections::VecDeque::from([root]);
        let mut closing = None;
        'search: while let Some(v) = queue.pop_front() {
            for (e, s) in succs(v) {
                if !in_comp.contains(&s) {
                    continue;
                }
                if s == root {
                    closing = Some((v, e));
                    break 'search;
                }
                if let std::collections::hash_map::Entry::Vacant(slot) = via.entry(s) {
                    slot.insert((v, e));
                    queue.push_back(s);
                }
            }
        }
        let Some((last, last_edge)) = closing else {
            continue;
        };
        let mut rev = vec![(last, last_edge)];
        let mut cur = last;
        while cur != root {
            let (prev, e) = via[&cur];
            rev.push((prev, e));
            cur = prev;
        }
        rev.reverse();
        let steps = rev
            .into_iter()
            .map(|(v, e)| CycleStep {
                task: nodes[v].task,
                role: nodes[v].role,
                link: edges[e].origin,
            })
            .collect();
        errors.push(ScheduleError::Cycle { steps });
    }
    errors
}

/// Tarjan's algorithm, iteratively; returns components with a cycle (size > 1 or a
/// self-loop), each sorted, in order of their smallest node.
fn strongly_connected<I>(n: usize, skip: &[bool], succs: &dyn Fn(usize) -> I) -> Vec<Vec<usize>>
where
    I: Iterator<Item = (usize, usize)>,
{
    const UNSEEN: usize = usize::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut next = 0usize;
    let mut out = Vec::new();
    for root in 0..n {
        if skip[root] || index[root] != UNSEEN {
            continue;
        }
        let mut call: Vec<(usize, Vec<usize>, usize)> = Vec::new();
        let targets: Vec<usize> = succs(root).map(|(_, s)| s).collect();
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        call.push((root, targets, 0));
        while let Some(frame) = call.last_mut() {
            let v = frame.0;
            if frame.2 < frame.1.len() {
                let w = frame.1[frame.2];
                frame.2 += 1;
                if index[w] == UNSEEN {
                    let targets: Vec<usize> = succs(w).map(|(_, s)| s).collect();
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, targets, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some(parent) = call.last() {
                let p = parent.0;
                low[p] = low[p].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(w);
                    if w == v {
                        break;
                    }
                }
                let self_loop = comp.len() == 1 && succs(v).any(|(_, s)| s == v);
                if comp.len() > 1 || self_loop {
                    comp.sort_unstable();
                    out.push(comp);
                }
            }
        }
    }
    out.sort_by_key(|c| c[0]);
    out
}

fn rollup_order(program: &Program) -> Vec<TaskIdx> {
    let depth = |mut t: TaskIdx| {
        let mut d = 0usize;
        while let Some(p) = program.task(t).parent {
            d += 1;
            t = p;
            if d > program.tasks.len() {
                break;
            }
        }
        d
    };
    let mut summaries: Vec<(usize, TaskIdx)> = program
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind == TaskKind::Summary)
        .map(|(i, _)| (depth(TaskIdx(i as u32)), TaskIdx(i as u32)))
        .collect();
    summaries.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    summaries.into_iter().map(|(_, t)| t).collect()
}
