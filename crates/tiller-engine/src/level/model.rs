//! A program as a resource-constrained scheduling problem: the
//! [`tiller_rcpsp::Model`] the kernel's schemes and search run on.
//!
//! The network mirrors the critical-path one (`cpm`): a leaf or milestone
//! is one activity; a summary is three zero-length activities (its start,
//! its finish, and its first child's start, which takes the earliest of its
//! children's starts); links and lags use the same tick arithmetic
//! (`tick::WorkAxis`, `tick::Occupancy`) on the same work-rate profiles
//! (`calendars`). Progress reported up to the status date is applied the
//! same way: finished work keeps its actual dates, work in progress keeps
//! its actual start and schedules its remaining work after the status
//! date, and nothing unfinished starts on or before it.
//!
//! What leveling adds:
//! - **Resources.** Each person is a resource of capacity 1 on the days they
//!   work (their calendar, minus their time off); each shared resource has
//!   its capacity on the days its calendar works. A task books its people
//!   and shared resources on the days it works, a person only on the days
//!   they work. Days up to the status date are history and are not leveled.
//! - **Modes.** A task assigned to a team (`team` without assignees) may be
//!   done by any `people` of its members: each choice is a mode, and runs on
//!   the chosen people's own calendars at their availability, exactly as if
//!   they had been named. The schemes pick, per task, the choice that
//!   finishes first.
//! - **Shared-resource calendars.** A task using a shared resource that has a
//!   calendar only works on the days the resource is available.

use chrono::NaiveDate;
use tiller_core::{
    Assignment, DateRange, DepKind, Lag, PersonIdx, Program, ResourceIdx, TaskIdx, TaskKind,
    TaskStatus, Work,
};
use tiller_rcpsp::{Bound, Model, PriorityBasis};

use crate::calendars::{FULL_DAY, ProfileKey, Profiles};
use crate::cpm::{MAX_DAYS, NodeRole, work_req};
use crate::profile::{Day, Profile, WorkCalendar};
use crate::tick::{Occupancy, Tick, WorkAxis, day_of, end_of, start_of};

/// Team choices beyond this many combinations are thinned to rotations of
/// the member list (see [`team_choices`]).
pub const MAX_TEAM_MODES: usize = 64;

/// Who or what a leveling resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Holder {
    Person(PersonIdx),
    Shared(ResourceIdx),
}

/// What reported progress fixes about an activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    Planned,
    /// Started on `actual`; the activity's own times are those of the
    /// remaining work.
    Started {
        actual: Tick,
    },
    /// Done, or started with nothing left: fixed times, books nothing.
    Fixed {
        start: Tick,
        finish: Tick,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Mode {
    pub profile: u32,
    pub demands: Vec<(u32, i32)>,
    pub people: Vec<PersonIdx>,
    /// The task works on every day one of its demanded resources is
    /// available (it books only people, and is effort-driven or has one
    /// person): the kernel may then book its whole window, since closed
    /// days have unlimited capacity.
    pub all: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub task: TaskIdx,
    pub role: NodeRole,
    pub req: i64,
    /// Earliest start: program start, `not_before`, status date.
    pub release: Tick,
    pub progress: Progress,
    /// Profile of the critical-path schedule (resource-free pass).
    pub cpm_profile: u32,
    pub modes: std::ops::Range<u32>,
    /// Priority class (the task's `priority`, raised to that of any task
    /// waiting for it).
    pub class: i64,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Link {
    pub node: u32,
    pub kind: DepKind,
    pub lag: Lag,
    /// Child to its summary's first-start node: takes the minimum.
    pub min: bool,
    /// Measured from the predecessor's finish: finish-side links, and a
    /// summary's start to its children (that node is zero-length unless a
    /// forecast draws a risk delay onto it; then the children wait for it).
    pub from_end: bool,
}

/// Per task: its node, or a summary's start, finish and first nodes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskNodes {
    pub start: u32,
    pub finish: u32,
    pub first: u32,
}

/// Why a program cannot be turned into a leveling problem or leveled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    #[error("dependency cycle")]
    Cycle,
    #[error("a date is too far from the program start")]
    TooFar,
}

pub struct PlanModel<'p> {
    pub(crate) program: &'p Program,
    pub(crate) origin: NaiveDate,
    pub(crate) axis: Profile,
    pub(crate) profiles: Vec<Profile>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) modes: Vec<Mode>,
    pub(crate) task_nodes: Vec<TaskNodes>,
    in_off: Vec<u32>,
    in_links: Vec<Link>,
    out_off: Vec<u32>,
    out_links: Vec<Link>,
    pred_ids: Vec<u32>,
    succ_ids: Vec<u32>,
    topo: Vec<u32>,
    rank: Vec<u32>,
    pub(crate) holders: Vec<Holder>,
    /// Per resource: availability profile (person) or calendar profile
    /// (shared resource with a calendar).
    holder_profile: Vec<Option<u32>>,
    /// Slots (days) up to and including this one are history.
    pub(crate) history_end: Option<Day>,
    ignore_resources: bool,
    /// Resource-free early times with the critical-path profiles.
    pub(crate) cpm_start: Vec<Tick>,
    pub(crate) cpm_finish: Vec<Tick>,
    pub(crate) cpm_late_start: Vec<Tick>,
    lower_bound: i32,
    horizon: i32,
}

pub(crate) fn day_number(origin: NaiveDate, date: NaiveDate) -> Day {
    (date - origin).num_days()
}

fn day_tick(origin: NaiveDate, date: NaiveDate, end: bool) -> Tick {
    let d = day_number(origin, date);
    if end { end_of(d) } else { start_of(d) }
}

/// Ticks far beyond any schedule: the engine rejects schedules past
/// `MAX_DAYS`, so this never collides with a real time.
const TOO_FAR: Tick = 2 * MAX_DAYS + 1;

/// Capacity standing for "no limit" (history, days a resource is closed).
const UNLIMITED: i32 = i32::MAX / 4;

fn to_i32(t: Tick) -> i32 {
    t.clamp(-(1 << 30), 1 << 30) as i32
}

/// Every subset of `people` members of a team a task may be given: all
/// combinations in member order when there are at most
/// [`MAX_TEAM_MODES`], else the `k` rotations of consecutive members.
pub fn team_choices(members: &[PersonIdx], people: usize) -> Vec<Vec<PersonIdx>> {
    let k = members.len();
    if people == 0 || people > k {
        return Vec::new();
    }
    let mut count: u128 = 1;
    for i in 0..people as u128 {
        count = count * (k as u128 - i) / (i + 1);
        if count > MAX_TEAM_MODES as u128 {
            break;
        }
    }
    if count > MAX_TEAM_MODES as u128 {
        return (0..k)
            .map(|i| (0..people).map(|o| members[(i + o) % k]).collect())
            .collect();
    }
    let mut out = Vec::new();
    let mut idx: Vec<usize> = (0..people).collect();
    loop {
        out.push(idx.iter().map(|&i| members[i]).collect());
        // Next combination in lexicographic order.
        let mut i = people;
        while i > 0 && idx[i - 1] == k - people + i - 1 {
            i -= 1;
        }
        if i == 0 {
            return out;
        }
        idx[i - 1] += 1;
        for j in i..people {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// The days (relative to `origin`) of a list of date ranges.
fn days_of(origin: NaiveDate, ranges: &[DateRange], out: &mut Vec<Day>) {
    for r in ranges {
        out.extend(day_number(origin, r.first)..=day_number(origin, r.last));
    }
}

/// Every day on which some calendar has a holiday or someone is off: where
/// a profile may depart from its weekly pattern.
fn exception_days(program: &Program) -> Vec<Day> {
    let origin = program.start;
    let mut days = Vec::new();
    for c in &program.calendars {
        days_of(origin, &c.holidays, &mut days);
    }
    for p in &program.people {
        days_of(origin, &p.time_off, &mut days);
    }
    days.sort_unstable();
    days.dedup();
    days
}

/// `base` restricted to the days every calendar in `calendars` works.
fn restricted(
    program: &Program,
    base: &Profile,
    calendars: &[tiller_core::CalendarIdx],
    exceptions: &[Day],
) -> Profile {
    let origin = program.start;
    let works = |d: Day| {
        let date = crate::tick::date_of(origin, d);
        calendars
            .iter()
            .all(|c| date.is_some_and(|date| program.calendar(*c).is_working_day(date)))
    };
    // The weekly pattern: every date in a plan lies within 100 years of
    // its start, so a week 110 years out has no exception.
    let far: Day = 40_200;
    let mut week = [0i64; 7];
    for k in 0..7 {
        let d = far + k;
        let date = crate::tick::date_of(origin, d).unwrap_or(origin);
        let wd = tiller_core::Weekday::of(date).index();
        week[wd] = if works(d) { base.rate(d) } else { 0 };
    }
    Profile::build(origin, week, exceptions.iter().copied(), |d| {
        if works(d) { base.rate(d) } else { 0 }
    })
}

impl<'p> PlanModel<'p> {
    /// Builds the leveling problem of a program (as of its status date, as
    /// the critical-path schedule does). With `ignore_resources`, nothing
    /// books anything and every task keeps its critical-path profile: the
    /// schedule is then the critical-path one.
    pub fn build(program: &'p Program, ignore_resources: bool) -> Result<Self, ModelError> {
        let origin = program.start;
        let as_of = program.status_date;
        let progress = as_of.map(|d| program.progress_as_of(d));
        let status_end = as_of.map(|d| day_tick(origin, d, true));
        let mut profiles = Profiles::new(program);
        let axis = profiles.work_axis();
        let milestone_profile = profiles.get(&ProfileKey::Calendar(program.default_calendar));
        let np = program.people.len();
        let holders: Vec<Holder> = (0..np)
            .map(|p| Holder::Person(PersonIdx(p as u32)))
            .chain((0..program.resources.len()).map(|r| Holder::Shared(ResourceIdx(r as u32))))
            .collect();
        let mut holder_profile: Vec<Option<u32>> = Vec::with_capacity(holders.len());
        for h in &holders {
            holder_profile.push(match h {
                Holder::Person(p) => Some(profiles.get(&ProfileKey::PeopleDuration(vec![*p]))),
                Holder::Shared(r) => program.resources[r.index()]
                    .calendar
                    .map(|c| profiles.get(&ProfileKey::Calendar(c))),
            });
        }

        let mut nodes: Vec<Node> = Vec::with_capacity(program.tasks.len());
        let mut modes: Vec<Mode> = Vec::new();
        let mut task_nodes = Vec::with_capacity(program.tasks.len());
        // Profiles restricted to shared-resource calendars, built on demand.
        let mut restricted_cache: Vec<((u32, Vec<tiller_core::CalendarIdx>), u32)> = Vec::new();
        let mut exceptions: Option<Vec<Day>> = None;
        let base_release = start_of(0).max(status_end.unwrap_or(Tick::MIN));

        for (i, task) in program.tasks.iter().enumerate() {
            let idx = TaskIdx(i as u32);
            let not_before = task
                .not_before
                .as_ref()
                .map(|d| day_tick(origin, d.value, false));
            let id = nodes.len() as u32;
            let class = i64::from(task.priority.min(1000));
            if task.kind == TaskKind::Summary {
                for role in [
                    NodeRole::SummaryStart,
                    NodeRole::SummaryFinish,
                    NodeRole::SummaryFirst,
                ] {
                    let m0 = modes.len() as u32;
                    modes.push(Mode {
                        profile: milestone_profile,
                        demands: Vec::new(),
                        people: Vec::new(),
                        all: true,
                    });
                    let release = match role {
                        NodeRole::SummaryStart => base_release.max(not_before.unwrap_or(Tick::MIN)),
                        NodeRole::SummaryFirst => Tick::MIN,
                        _ => base_release,
                    };
                    nodes.push(Node {
                        task: idx,
                        role,
                        req: 0,
                        release,
                        progress: Progress::Planned,
                        cpm_profile: milestone_profile,
                        modes: m0..m0 + 1,
                        class,
                    });
                }
                task_nodes.push(TaskNodes {
                    start: id,
                    finish: id + 1,
                    first: id + 2,
                });
                continue;
            }
            let (cpm_profile, mut req) = match (&task.kind, &task.work) {
                (TaskKind::Leaf, Some(work)) => {
                    let key =
                        ProfileKey::for_work(program, Some(work), &task.assignment, task.team);
                    (profiles.get(&key), work_req(work))
                }
                _ => (milestone_profile, 0),
            };
            let mut node_progress = Progress::Planned;
            if let Some(p) = progress.as_ref().and_then(|p| p[i]) {
                let start = p.started.map(|d| day_tick(origin, d, false));
                match (p.status, start) {
                    (TaskStatus::Done, _) => {
                        let finish = p
                            .finished
                            .map_or(start.unwrap_or(0), |d| day_tick(origin, d, true));
                        let start = start.unwrap_or(finish - 1).min(finish);
                        node_progress = Progress::Fixed { start, finish };
                        req = 0;
                    }
                    (TaskStatus::InProgress, Some(start)) if task.work.is_some() => {
                        let remaining = match (p.remaining, p.done) {
                            (Some(r), _) => (r * FULL_DAY as f64).round() as i64,
                            (None, Some(done)) => ((1.0 - done) * req as f64).round() as i64,
                            (None, None) => req,
                        };
                        req = remaining.max(0);
                        node_progress = if req == 0 {
                            let f = status_end.unwrap_or(start).max(start);
                            Progress::Fixed { start, finish: f }
                        } else {
                            Progress::Started { actual: start }
                        };
                    }
                    _ => {}
                }
            }

            // Modes: who may do the work, and on which profile.
            let m0 = modes.len() as u32;
            let work = task.work.as_ref();
            let effort = matches!(work, Some(Work::Effort(_)));
            let mut choices: Vec<(Vec<PersonIdx>, u32)> = Vec::new();
            if !ignore_resources
                && task.kind == TaskKind::Leaf
                && !matches!(node_progress, Progress::Fixed { .. })
            {
                match &task.assignment {
                    Assignment::People(people) => choices.push((people.clone(), cpm_profile)),
                    Assignment::Team { team, people } => {
                        let members = &program.team(*team).members;
                        for pick in team_choices(members, *people as usize) {
                            let key = if effort {
                                ProfileKey::PeopleEffort(sorted(&pick))
                            } else {
                                ProfileKey::PeopleDuration(sorted(&pick))
                            };
                            let prof = profiles.get(&key);
                            choices.push((pick, prof));
                        }
                    }
                    Assignment::Unassigned => {}
                }
            }
            if choices.is_empty() {
                choices.push((Vec::new(), cpm_profile));
            }
            let uses: Vec<(ResourceIdx, u32)> = if ignore_resources || task.kind != TaskKind::Leaf {
                Vec::new()
            } else {
                task.uses.clone()
            };
            let mut cals: Vec<tiller_core::CalendarIdx> = uses
                .iter()
                .filter_map(|(r, _)| program.resources[r.index()].calendar)
                .collect();
            cals.sort();
            cals.dedup();
            for (people, mut prof) in choices {
                if !cals.is_empty() {
                    let key = (prof, cals.clone());
                    prof = match restricted_cache.iter().find(|(k, _)| *k == key) {
                        Some((_, p)) => *p,
                        None => {
                            let exc = exceptions.get_or_insert_with(|| exception_days(program));
                            let r =
                                restricted(program, &profiles.profiles[prof as usize], &cals, exc);
                            // Appended after the cached ones: indices stay valid.
                            profiles.profiles.push(r);
                            let p = (profiles.profiles.len() - 1) as u32;
                            restricted_cache.push((key, p));
                            p
                        }
                    };
                }
                let mut demands: Vec<(u32, i32)> = Vec::new();
                if !matches!(node_progress, Progress::Fixed { .. }) {
                    for p in &people {
                        demands.push((p.0, 1));
                    }
                    for (r, units) in &uses {
                        let h = (np + r.index()) as u32;
                        let units = i32::try_from(*units).unwrap_or(i32::MAX);
                        match demands.iter_mut().find(|d| d.0 == h) {
                            Some(d) => d.1 = d.1.saturating_add(units),
                            None => demands.push((h, units)),
                        }
                    }
                    demands.retain(|d| d.1 > 0);
                }
                let all = uses.is_empty() && (effort || people.len() <= 1);
                modes.push(Mode {
                    profile: prof,
                    demands,
                    people,
                    all,
                });
            }
            let release = base_release.max(not_before.unwrap_or(Tick::MIN));
            nodes.push(Node {
                task: idx,
                role: NodeRole::Task,
                req,
                release,
                progress: node_progress,
                cpm_profile,
                modes: m0..modes.len() as u32,
                class,
            });
            task_nodes.push(TaskNodes {
                start: id,
                finish: id,
                first: id,
            });
        }
        let all = std::mem::take(&mut profiles.profiles);

        // Links: the summary structure, then the dependencies.
        let mut edges: Vec<(u32, u32, Link)> = Vec::new();
        for (i, task) in program.tasks.iter().enumerate() {
            let TaskNodes {
                start,
                finish,
                first,
            } = task_nodes[i];
            if let Some(parent) = task.parent {
                let p = task_nodes[parent.index()];
                let structural = |node, kind: DepKind, min, from_end| Link {
                    node,
                    kind,
                    lag: Lag::default(),
                    min,
                    from_end: from_end || kind.from_finish(),
                };
                edges.push((
                    p.start,
                    start,
                    structural(p.start, DepKind::StartToStart, false, true),
                ));
                edges.push((
                    finish,
                    p.finish,
                    structural(finish, DepKind::FinishToStart, false, false),
                ));
                edges.push((
                    first,
                    p.first,
                    structural(first, DepKind::StartToStart, true, false),
                ));
            }
            for dep in &task.deps {
                let pn = task_nodes[dep.pred.index()];
                let pred = if dep.kind.from_finish() {
                    pn.finish
                } else {
                    pn.first
                };
                edges.push((
                    pred,
                    start,
                    Link {
                        node: pred,
                        kind: dep.kind,
                        lag: dep.lag,
                        min: false,
                        from_end: dep.kind.from_finish(),
                    },
                ));
            }
        }
        let n = nodes.len();
        let (in_off, in_links) = csr(n, edges.iter().map(|e| (e.1, e.2)));
        let (out_off, out_links) = csr(n, edges.iter().map(|e| (e.0, Link { node: e.1, ..e.2 })));
        let pred_ids: Vec<u32> = in_links.iter().map(|l| l.node).collect();
        let succ_ids: Vec<u32> = out_links.iter().map(|l| l.node).collect();
        let topo = topological(n, &in_off, &out_off, &succ_ids).ok_or(ModelError::Cycle)?;
        let mut rank = vec![0u32; n];
        for (k, &v) in topo.iter().enumerate() {
            rank[v as usize] = k as u32;
        }
        // Priority inheritance: a task is as urgent as anything waiting for it.
        for &v in topo.iter().rev() {
            let v = v as usize;
            let succ_max = succ_ids[out_off[v] as usize..out_off[v + 1] as usize]
                .iter()
                .map(|&s| nodes[s as usize].class)
                .max();
            if let Some(c) = succ_max {
                nodes[v].class = nodes[v].class.max(c);
            }
        }

        let history_end = status_end.map(day_of);
        let mut model = PlanModel {
            program,
            origin,
            axis,
            profiles: all,
            nodes,
            modes,
            task_nodes,
            in_off,
            in_links,
            out_off,
            out_links,
            pred_ids,
            succ_ids,
            topo,
            rank,
            holders,
            holder_profile,
            history_end,
            ignore_resources,
            cpm_start: Vec::new(),
            cpm_finish: Vec::new(),
            cpm_late_start: Vec::new(),
            lower_bound: 0,
            horizon: 0,
        };
        model.resource_free_passes()?;
        Ok(model)
    }

    pub(crate) fn links_in(&self, v: usize) -> &[Link] {
        &self.in_links[self.in_off[v] as usize..self.in_off[v + 1] as usize]
    }

    pub(crate) fn links_out(&self, v: usize) -> &[Link] {
        &self.out_links[self.out_off[v] as usize..self.out_off[v + 1] as usize]
    }

    pub(crate) fn mode(&self, v: usize, m: usize) -> &Mode {
        &self.modes[self.nodes[v].modes.start as usize + m]
    }

    /// The time a link leaves from: a predecessor's finish, or its start
    /// (the actual start of work in progress).
    pub(crate) fn link_from(&self, link: &Link, start: &[i32], finish: &[i32]) -> Tick {
        let p = link.node as usize;
        if link.from_end {
            Tick::from(finish[p])
        } else {
            self.shown_start(p, Tick::from(start[p]))
        }
    }

    /// The child that starts first among the links into summary-start node
    /// `v`: it carries the summary's start.
    pub(crate) fn first_child(&self, v: usize, start: &[i32]) -> Option<u32> {
        self.links_in(v)
            .iter()
            .min_by_key(|l| self.shown_start(l.node as usize, Tick::from(start[l.node as usize])))
            .map(|l| l.node)
    }

    /// The start shown for node `v` whose activity starts at `start`: the
    /// actual start of work in progress.
    pub(crate) fn shown_start(&self, v: usize, start: Tick) -> Tick {
        match self.nodes[v].progress {
            Progress::Started { actual } => actual,
            _ => start,
        }
    }

    /// Raw forward bounds of node `v` from the given links only (all when
    /// `only` is `None`), plus its release.
    pub(crate) fn raw_bound(
        &self,
        v: usize,
        start: &[i32],
        finish: &[i32],
        only: Option<usize>,
    ) -> (Tick, Tick) {
        self.raw_bound_on(&self.axis(), v, start, finish, only)
    }

    /// [`PlanModel::raw_bound`] with lags counted on `axis`, any form of the
    /// program calendar's axis (a tabulated one for repeated replays).
    pub(crate) fn raw_bound_on<P: WorkCalendar>(
        &self,
        axis: &WorkAxis<'_, P>,
        v: usize,
        start: &[i32],
        finish: &[i32],
        only: Option<usize>,
    ) -> (Tick, Tick) {
        let node = &self.nodes[v];
        let mut sb = node.release;
        let mut fb = Tick::MIN;
        for (k, link) in self.links_in(v).iter().enumerate() {
            if only.is_some_and(|o| o != k) {
                continue;
            }
            let from = self.link_from(link, start, finish);
            match axis.add_lag(from, link.lag) {
                Some(t) if link.kind.to_finish() => fb = fb.max(t),
                Some(t) => sb = sb.max(t),
                None => sb = TOO_FAR,
            }
        }
        (sb, fb)
    }

    pub(crate) fn axis(&self) -> WorkAxis<'_> {
        WorkAxis {
            calendar: &self.axis,
        }
    }

    /// Earliest `(start, finish)` of node `v` on `profile` meeting the raw
    /// bounds, ignoring resources.
    pub(crate) fn earliest_on(
        &self,
        v: usize,
        profile: u32,
        sb: Tick,
        fb: Tick,
    ) -> Option<(Tick, Tick)> {
        self.earliest_req(v, self.nodes[v].req, profile, sb, fb)
    }

    /// [`PlanModel::earliest_on`] with `req` units of work instead of the
    /// node's own (fixed times of finished work stay fixed).
    pub(crate) fn earliest_req(
        &self,
        v: usize,
        req: i64,
        profile: u32,
        sb: Tick,
        fb: Tick,
    ) -> Option<(Tick, Tick)> {
        self.earliest_in(v, req, &self.profiles[profile as usize], sb, fb)
    }

    /// [`PlanModel::earliest_req`] on any form of the profile (a tabulated one for
    /// repeated replays; the answers are the same).
    pub(crate) fn earliest_in<P: WorkCalendar>(
        &self,
        v: usize,
        req: i64,
        calendar: &P,
        sb: Tick,
        fb: Tick,
    ) -> Option<(Tick, Tick)> {
        let node = &self.nodes[v];
        match node.progress {
            Progress::Fixed { start, finish } => return Some((start, finish)),
            _ if node.role == NodeRole::SummaryFirst => return Some((sb, sb)),
            _ => {}
        }
        let occ = Occupancy {
            profile: calendar,
            req,
        };
        let mut s = occ.start_after(sb)?;
        if fb != Tick::MIN {
            s = s.max(occ.start_for_finish_after(fb)?);
        }
        let f = occ.finish_from(s)?;
        (f <= TOO_FAR && s <= TOO_FAR).then_some((s, f))
    }

    /// Latest `(start, finish)` of node `v` on `profile` meeting the raw
    /// backward bounds and its release, ignoring resources.
    pub(crate) fn latest_on(
        &self,
        v: usize,
        profile: u32,
        sb: Tick,
        fb: Tick,
    ) -> Option<(Tick, Tick)> {
        self.latest_req(v, self.nodes[v].req, profile, sb, fb)
    }

    /// [`PlanModel::latest_on`] with `req` units of work.
    pub(crate) fn latest_req(
        &self,
        v: usize,
        req: i64,
        profile: u32,
        sb: Tick,
        fb: Tick,
    ) -> Option<(Tick, Tick)> {
        self.latest_in(v, req, &self.profiles[profile as usize], sb, fb)
    }

    /// [`PlanModel::latest_req`] on any form of the profile.
    pub(crate) fn latest_in<P: WorkCalendar>(
        &self,
        v: usize,
        req: i64,
        calendar: &P,
        sb: Tick,
        fb: Tick,
    ) -> Option<(Tick, Tick)> {
        let node = &self.nodes[v];
        match node.progress {
            Progress::Fixed { start, finish } => return Some((start, finish)),
            _ if node.role == NodeRole::SummaryFirst => {
                let t = sb.min(fb);
                return Some((t, t));
            }
            _ => {}
        }
        let occ = Occupancy {
            profile: calendar,
            req,
        };
        let mut s = occ.start_for_finish_before(fb)?;
        if sb != Tick::MAX {
            s = s.min(occ.start_before(sb)?);
        }
        if s < node.release {
            return None;
        }
        let f = occ.finish_from(s)?;
        Some((s, f))
    }

    /// Forward passes ignoring resources: with the critical-path profiles
    /// (the resource-free schedule every delay is measured against) and with
    /// each task's fastest mode (a lower bound on any leveled finish).
    fn resource_free_passes(&mut self) -> Result<(), ModelError> {
        let n = self.nodes.len();
        let mut es = vec![0i32; n];
        let mut ef = vec![0i32; n];
        let mut fs = vec![0i32; n];
        let mut ff = vec![0i32; n];
        for k in 0..n {
            let v = self.topo[k] as usize;
            let b = self.bound_forward(v, &es, &ef);
            let (s, f) = self
                .earliest_on(
                    v,
                    self.nodes[v].cpm_profile,
                    Tick::from(b.start),
                    Tick::from(b.finish),
                )
                .ok_or(ModelError::TooFar)?;
            es[v] = to_i32(s);
            ef[v] = to_i32(f);
            let b = self.bound_forward(v, &fs, &ff);
            let mut best: Option<(Tick, Tick)> = None;
            for m in 0..self.modes(v) {
                let prof = self.mode(v, m).profile;
                if let Some((s, f)) =
                    self.earliest_on(v, prof, Tick::from(b.start), Tick::from(b.finish))
                    && best.is_none_or(|(_, bf)| f < bf)
                {
                    best = Some((s, f));
                }
            }
            let (s, f) = best.ok_or(ModelError::TooFar)?;
            fs[v] = to_i32(s);
            ff[v] = to_i32(f);
        }
        let finish = ef.iter().copied().max().unwrap_or(0);
        // Backward pass for latest starts (priority rules).
        let mut ls = vec![0i32; n];
        let mut lf = vec![0i32; n];
        for k in (0..n).rev() {
            let v = self.topo[k] as usize;
            let b = self.bound_backward(v, &ls, &lf, finish);
            let (s, f) = self
                .latest_on(
                    v,
                    self.nodes[v].cpm_profile,
                    Tick::from(b.start),
                    Tick::from(b.finish),
                )
                .unwrap_or((Tick::from(es[v]), Tick::from(ef[v])));
            ls[v] = to_i32(s);
            lf[v] = to_i32(f);
        }
        self.lower_bound = ff.iter().copied().max().unwrap_or(0);
        self.horizon = finish;
        self.cpm_start = es.iter().map(|&x| Tick::from(x)).collect();
        self.cpm_finish = ef.iter().map(|&x| Tick::from(x)).collect();
        self.cpm_late_start = ls.iter().map(|&x| Tick::from(x)).collect();
        Ok(())
    }

    fn bound_forward(&self, v: usize, start: &[i32], finish: &[i32]) -> Bound {
        self.bound_forward_on(&self.axis(), v, start, finish)
    }

    /// [`Model::forward_bound`] with lags counted on `axis`.
    pub(crate) fn bound_forward_on<P: WorkCalendar>(
        &self,
        axis: &WorkAxis<'_, P>,
        v: usize,
        start: &[i32],
        finish: &[i32],
    ) -> Bound {
        if self.nodes[v].role == NodeRole::SummaryFirst {
            let t = self
                .links_in(v)
                .iter()
                .map(|l| self.shown_start(l.node as usize, Tick::from(start[l.node as usize])))
                .min()
                .unwrap_or(start_of(0));
            return Bound {
                start: to_i32(t),
                finish: i32::MIN,
            };
        }
        let (sb, fb) = self.raw_bound_on(axis, v, start, finish, None);
        Bound {
            start: to_i32(sb),
            finish: if fb == Tick::MIN {
                i32::MIN
            } else {
                to_i32(fb)
            },
        }
    }

    fn bound_backward(&self, v: usize, start: &[i32], finish: &[i32], deadline: i32) -> Bound {
        let zero = self.nodes[v].req == 0;
        let axis = self.axis();
        let mut fb = Tick::from(deadline);
        let mut sb = Tick::MAX;
        for link in self.links_out(v) {
            let s = link.node as usize;
            if link.min {
                sb = sb.min(Tick::from(start[s]));
                continue;
            }
            let late = if link.kind.to_finish() {
                Tick::from(finish[s])
            } else {
                Tick::from(start[s])
            };
            let end_side = link.kind.from_finish();
            let u = if zero {
                // A zero-length node may sit at either end of a day.
                match (
                    axis.sub_lag(late, link.lag, true),
                    axis.sub_lag(late, link.lag, false),
                ) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                }
            } else {
                axis.sub_lag(late, link.lag, end_side)
            };
            let u = u.unwrap_or(Tick::MIN / 4);
            if end_side {
                fb = fb.min(u);
            } else {
                sb = sb.min(u);
            }
        }
        Bound {
            start: if sb == Tick::MAX {
                i32::MAX
            } else {
                to_i32(sb)
            },
            finish: to_i32(fb),
        }
    }

    /// Whether mode `m` of node `v` works on `day`.
    pub(crate) fn works(&self, v: usize, m: usize, day: Day) -> bool {
        self.profiles[self.mode(v, m).profile as usize].rate(day) > 0
    }

    /// Capacity of resource `r` on `day`, ignoring history.
    pub(crate) fn capacity_on(&self, r: usize, day: Day) -> i32 {
        let open = match self.holder_profile[r] {
            Some(p) => self.profiles[p as usize].rate(day) > 0,
            None => true,
        };
        match self.holders[r] {
            Holder::Person(_) => i32::from(open),
            Holder::Shared(s) => {
                if open {
                    i32::try_from(self.program.resources[s.index()].capacity).unwrap_or(i32::MAX)
                } else {
                    0
                }
            }
        }
    }

    /// Whether `day` is history (on or before the status date).
    pub(crate) fn is_history(&self, day: Day) -> bool {
        self.history_end.is_some_and(|h| day <= h)
    }

    /// The working days `[first, last]` of an activity from `start` to
    /// `finish` (empty for zero-length ones).
    pub(crate) fn day_span(&self, v: usize, start: Tick, finish: Tick) -> Option<(Day, Day)> {
        Self::span_of(self.nodes[v].req, start, finish)
    }

    /// The working days of an activity with `req` units of work.
    pub(crate) fn span_of(req: i64, start: Tick, finish: Tick) -> Option<(Day, Day)> {
        if req == 0 {
            return None;
        }
        Some((day_of(start), day_of(finish)))
    }

    /// [`Model::earliest`] with `req` units of work for `j`.
    pub(crate) fn earliest_bound(
        &self,
        j: usize,
        mode: usize,
        req: i64,
        b: Bound,
    ) -> Option<(i32, i32)> {
        let prof = self.mode(j, mode).profile;
        self.earliest_bound_in(j, req, &self.profiles[prof as usize], b)
    }

    /// [`PlanModel::earliest_bound`] on `calendar`, the form of the mode's profile
    /// the caller holds.
    pub(crate) fn earliest_bound_in<P: WorkCalendar>(
        &self,
        j: usize,
        req: i64,
        calendar: &P,
        b: Bound,
    ) -> Option<(i32, i32)> {
        let fb = if b.finish == i32::MIN {
            Tick::MIN
        } else {
            Tick::from(b.finish)
        };
        self.earliest_in(j, req, calendar, Tick::from(b.start), fb)
            .map(|(s, f)| (to_i32(s), to_i32(f)))
    }

    /// [`Model::latest`] with `req` units of work for `j`.
    pub(crate) fn latest_bound(
        &self,
        j: usize,
        mode: usize,
        req: i64,
        b: Bound,
    ) -> Option<(i32, i32)> {
        let prof = self.mode(j, mode).profile;
        self.latest_bound_in(j, req, &self.profiles[prof as usize], b)
    }

    /// [`PlanModel::latest_bound`] on `calendar`.
    pub(crate) fn latest_bound_in<P: WorkCalendar>(
        &self,
        j: usize,
        req: i64,
        calendar: &P,
        b: Bound,
    ) -> Option<(i32, i32)> {
        let sb = if b.start == i32::MAX {
            Tick::MAX
        } else {
            Tick::from(b.start)
        };
        self.latest_in(j, req, calendar, sb, Tick::from(b.finish))
            .map(|(s, f)| (to_i32(s), to_i32(f)))
    }

    /// [`Model::slots`] of an activity with `req` units of work.
    pub(crate) fn slots_of(req: i64, start: i32, finish: i32) -> (usize, usize) {
        match Self::span_of(req, Tick::from(start), Tick::from(finish)) {
            Some((a, b)) if a >= 0 => (a as usize, (b + 1).max(a) as usize),
            _ => (0, 0),
        }
    }

    /// Whether the model ignores resources (the resource-free schedule).
    pub fn is_resource_free(&self) -> bool {
        self.ignore_resources
    }

    /// Number of activities (nodes).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
}

fn sorted(people: &[PersonIdx]) -> Vec<PersonIdx> {
    let mut v = people.to_vec();
    v.sort();
    v.dedup();
    v
}

fn csr(n: usize, items: impl Iterator<Item = (u32, Link)> + Clone) -> (Vec<u32>, Vec<Link>) {
    let mut off = vec![0u32; n + 1];
    for (k, _) in items.clone() {
        off[k as usize + 1] += 1;
    }
    for i in 0..n {
        off[i + 1] += off[i];
    }
    let mut fill = off.clone();
    let mut out: Vec<Option<Link>> = vec![None; off[n] as usize];
    for (k, l) in items {
        out[fill[k as usize] as usize] = Some(l);
        fill[k as usize] += 1;
    }
    (off, out.into_iter().flatten().collect())
}

/// Kahn's algorithm, lowest node first (plan order breaks ties); `None` on
/// a cycle.
fn topological(n: usize, in_off: &[u32], out_off: &[u32], succ: &[u32]) -> Option<Vec<u32>> {
    let mut indeg: Vec<u32> = (0..n).map(|v| in_off[v + 1] - in_off[v]).collect();
    let mut ready: std::collections::BinaryHeap<std::cmp::Reverse<u32>> = (0..n as u32)
        .filter(|&v| indeg[v as usize] == 0)
        .map(std::cmp::Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse(v)) = ready.pop() {
        order.push(v);
        let v = v as usize;
        for &s in &succ[out_off[v] as usize..out_off[v + 1] as usize] {
            indeg[s as usize] -= 1;
            if indeg[s as usize] == 0 {
                ready.push(std::cmp::Reverse(s));
            }
        }
    }
    (order.len() == n).then_some(order)
}

impl Model for PlanModel<'_> {
    const SIMPLE: bool = false;

    fn num_activities(&self) -> usize {
        self.nodes.len()
    }
    fn num_resources(&self) -> usize {
        self.holders.len()
    }
    fn preds(&self, j: usize) -> &[u32] {
        &self.pred_ids[self.in_off[j] as usize..self.in_off[j + 1] as usize]
    }
    fn succs(&self, j: usize) -> &[u32] {
        &self.succ_ids[self.out_off[j] as usize..self.out_off[j + 1] as usize]
    }
    fn topological_order(&self) -> &[u32] {
        &self.topo
    }
    fn topological_rank(&self) -> &[u32] {
        &self.rank
    }
    fn modes(&self, j: usize) -> usize {
        self.nodes[j].modes.len()
    }
    fn demands(&self, j: usize, mode: usize) -> &[(u32, i32)] {
        &self.mode(j, mode).demands
    }
    fn capacity(&self, r: usize, slot: usize) -> i32 {
        let day = slot as Day;
        if self.is_history(day) {
            // History is not leveled: anything fits.
            return UNLIMITED;
        }
        match self.capacity_on(r, day) {
            // Nobody books a person on a day they do not work, nor a shared
            // resource on a day it is closed: every task needing them pauses
            // (or goes on with its other people). Unlimited capacity says
            // exactly that to the kernel.
            0 => UNLIMITED,
            c => c,
        }
    }
    fn settled(&self, _r: usize) -> usize {
        // Capacities follow weekly patterns forever; `earliest` gives up at
        // the engine's horizon instead.
        usize::MAX
    }
    fn forward_bound(&self, j: usize, start: &[i32], finish: &[i32]) -> Bound {
        self.bound_forward(j, start, finish)
    }
    fn earliest(&self, j: usize, mode: usize, b: Bound) -> Option<(i32, i32)> {
        self.earliest_bound(j, mode, self.nodes[j].req, b)
    }
    fn backward_bound(&self, j: usize, start: &[i32], finish: &[i32], deadline: i32) -> Bound {
        self.bound_backward(j, start, finish, deadline)
    }
    fn latest(&self, j: usize, mode: usize, b: Bound) -> Option<(i32, i32)> {
        self.latest_bound(j, mode, self.nodes[j].req, b)
    }
    fn slots(&self, j: usize, _mode: usize, start: i32, finish: i32) -> (usize, usize) {
        Self::slots_of(self.nodes[j].req, start, finish)
    }
    fn uses(&self, j: usize, mode: usize, slot: usize) -> bool {
        self.works(j, mode, slot as Day)
    }
    fn uses_all(&self, j: usize, mode: usize) -> bool {
        self.mode(j, mode).all
    }
    fn slot_start(&self, slot: usize) -> i32 {
        to_i32(start_of(slot as Day))
    }
    fn finish_before_slot(&self, slot: usize) -> i32 {
        to_i32(end_of(slot as Day - 1))
    }
    fn lower_bound(&self) -> i32 {
        self.lower_bound
    }
    fn horizon(&self) -> i32 {
        // Used to size the availability arrays (slots are days).
        (day_of(Tick::from(self.horizon)) + 1).max(0) as i32
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
        let n = self.nodes.len();
        PriorityBasis {
            early_start: self.cpm_start.clone(),
            late_start: self.cpm_late_start.clone(),
            duration: (0..n)
                .map(|v| self.cpm_finish[v] - self.cpm_start[v])
                .collect(),
            class: self.nodes.iter().map(|n| n.class).collect(),
        }
    }
}
