//! Load per person, team and shared resource: over-allocations day by day
//! and weekly load, for the resource-free (critical-path) schedule or a
//! leveled one.
//!
//! A task occupies its people and shared resources on the days it works
//! between its (remaining work's) start and its finish, a person only on
//! the days they work. In the resource-free schedule, work given to a team
//! (`team` without assignees) is not yet anybody's: it counts against the
//! team as a pool whose capacity on a day is the number of members working
//! that day. Days up to the status date are history and are not counted.

use tiller_core::{Assignment, PersonIdx, ResourceIdx, TaskIdx, TeamIdx};

use super::model::{PlanModel, Progress};
use crate::calendars::FULL_DAY;
use crate::cpm::NodeRole;
use crate::profile::Day;
use crate::tick::{Tick, day_of};

/// What a load row or an over-allocation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LoadHolder {
    Person(PersonIdx),
    /// A team: its members together, plus (resource-free) work given to the
    /// team as a whole.
    Team(TeamIdx),
    Shared(ResourceIdx),
}

/// Consecutive days on which a person, team or resource is asked for more
/// than it has, by the same tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverAllocation {
    pub holder: LoadHolder,
    pub first: Day,
    pub last: Day,
    /// Over-allocated days in `first..=last` (days off in between are not
    /// counted).
    pub days: u32,
    /// Largest demand on one of those days (people, or resource units), and
    /// the capacity that day.
    pub peak: i64,
    pub capacity: i64,
    pub tasks: Vec<TaskIdx>,
}

/// Load of one holder in one week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WeekLoad {
    /// Work asked for, in thousandths of a person-day (people, teams) or of
    /// a unit-day (shared resources).
    pub assigned: i64,
    /// What is available that week, in the same unit.
    pub capacity: i64,
    /// Some day of the week is over-allocated, or the week as a whole is
    /// (more work assigned than available).
    pub over: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRow {
    pub holder: LoadHolder,
    pub weeks: Vec<WeekLoad>,
}

/// Over-allocations and weekly load of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// Whether the schedule is leveled (team work assigned to people).
    pub leveled: bool,
    /// First day of each week (Mondays, relative to the program start).
    pub weeks: Vec<Day>,
    /// Teams (each followed by its members), then people without a team,
    /// then shared resources, in plan order.
    pub rows: Vec<LoadRow>,
    pub over: Vec<OverAllocation>,
}

struct Occupation {
    node: usize,
    task: TaskIdx,
    mode: usize,
    first: Day,
    last: Day,
    people: Vec<PersonIdx>,
    /// Resource-free team work: (team, people).
    pool: Option<(TeamIdx, u32)>,
}

/// Per-day usage of one holder over the report's days.
struct Track {
    used: Vec<i64>,
    capacity: Vec<i64>,
    assigned: Vec<i64>,
    capacity_work: Vec<i64>,
    occs: Vec<usize>,
}

impl Track {
    fn new(len: usize) -> Self {
        Track {
            used: vec![0; len],
            capacity: vec![0; len],
            assigned: vec![0; len],
            capacity_work: vec![0; len],
            occs: Vec::new(),
        }
    }
}

pub(crate) fn report(
    model: &PlanModel<'_>,
    start: &[i32],
    finish: &[i32],
    modes: &[u32],
    leveled: bool,
) -> LoadReport {
    let program = model.program;
    let np = program.people.len();
    let nr = program.resources.len();
    // Days covered: from the program start (or the day after the status
    // date) to the last finish.
    let first_day = model.history_end.map_or(0, |h| h + 1).max(0);
    let last_day = (0..model.len())
        .filter(|&v| model.nodes[v].role == NodeRole::Task)
        .map(|v| day_of(Tick::from(finish[v])))
        .max()
        .unwrap_or(0)
        .max(first_day);
    let len = (last_day - first_day + 1) as usize;
    let idx = |d: Day| (d - first_day) as usize;

    let mut occs: Vec<Occupation> = Vec::new();
    for v in 0..model.len() {
        let node = &model.nodes[v];
        if node.role != NodeRole::Task || node.req == 0 {
            continue;
        }
        if let Progress::Fixed { .. } = node.progress {
            continue;
        }
        let task = program.task(node.task);
        let m = modes[v] as usize;
        let (people, pool) = if leveled {
            (model.mode(v, m).people.clone(), None)
        } else {
            match &task.assignment {
                Assignment::People(p) => (p.clone(), None),
                Assignment::Team { team, people } => (Vec::new(), Some((*team, *people))),
                Assignment::Unassigned => (Vec::new(), None),
            }
        };
        let (a, b) = (day_of(Tick::from(start[v])), day_of(Tick::from(finish[v])));
        occs.push(Occupation {
            node: v,
            task: node.task,
            mode: m,
            first: a.max(first_day),
            last: b,
            people,
            pool,
        });
    }
    let works = |o: &Occupation, d: Day| {
        if leveled {
            model.works(o.node, o.mode, d)
        } else {
            model.profiles[model.nodes[o.node].cpm_profile as usize].rate(d) > 0
        }
    };

    let avail = |p: PersonIdx| (program.person(p).availability * FULL_DAY as f64).round() as i64;
    let mut people: Vec<Track> = (0..np).map(|_| Track::new(len)).collect();
    let mut shared: Vec<Track> = (0..nr).map(|_| Track::new(len)).collect();
    let mut pools: Vec<Track> = (0..program.teams.len()).map(|_| Track::new(len)).collect();
    for d in first_day..=last_day {
        for (p, t) in people.iter_mut().enumerate() {
            if model.capacity_on(p, d) > 0 {
                t.capacity[idx(d)] = 1;
                t.capacity_work[idx(d)] = avail(PersonIdx(p as u32));
            }
        }
        for (r, t) in shared.iter_mut().enumerate() {
            let c = i64::from(model.capacity_on(np + r, d));
            t.capacity[idx(d)] = c;
            t.capacity_work[idx(d)] = c * FULL_DAY;
        }
    }
    for (k, o) in occs.iter().enumerate() {
        let task = program.task(o.task);
        for p in &o.people {
            people[p.index()].occs.push(k);
        }
        for (r, _) in &task.uses {
            shared[r.index()].occs.push(k);
        }
        if let Some((team, _)) = o.pool {
            pools[team.index()].occs.push(k);
        }
        for d in o.first..=o.last.min(last_day) {
            if !works(o, d) {
                continue;
            }
            let i = idx(d);
            for p in &o.people {
                let t = &mut people[p.index()];
                if t.capacity[i] > 0 {
                    t.used[i] += 1;
                    t.assigned[i] += avail(*p);
                }
            }
            for (r, units) in &task.uses {
                let t = &mut shared[r.index()];
                t.used[i] += i64::from(*units);
                t.assigned[i] += i64::from(*units) * FULL_DAY;
            }
            if let Some((team, n)) = o.pool {
                let members = &program.team(team).members;
                let mean = if members.is_empty() {
                    0.0
                } else {
                    members
                        .iter()
                        .map(|m| program.person(*m).availability)
                        .sum::<f64>()
                        / members.len() as f64
                };
                let t = &mut pools[team.index()];
                t.used[i] += i64::from(n);
                t.assigned[i] += (f64::from(n) * mean * FULL_DAY as f64).round() as i64;
            }
        }
    }
    // Teams: their members' load plus pooled work.
    for (ti, team) in program.teams.iter().enumerate() {
        let t = &mut pools[ti];
        for m in &team.members {
            let pm = &people[m.index()];
            for i in 0..len {
                t.used[i] += pm.used[i];
                t.assigned[i] += pm.assigned[i];
                t.capacity[i] += pm.capacity[i];
                t.capacity_work[i] += pm.capacity_work[i];
            }
            let extra: Vec<usize> = pm.occs.clone();
            for k in extra {
                if !t.occs.contains(&k) {
                    t.occs.push(k);
                }
            }
        }
        t.occs.sort_unstable();
    }

    // Over-allocations: a person on two tasks, a pool asked for more people
    // than are working, a resource beyond its capacity.
    let mut over = Vec::new();
    let tasks_on = |t: &Track, d: Day| -> Vec<TaskIdx> {
        let mut v: Vec<TaskIdx> = t
            .occs
            .iter()
            .map(|&k| &occs[k])
            .filter(|o| o.first <= d && d <= o.last && works(o, d))
            .map(|o| o.task)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    let mut runs = |holder: LoadHolder, t: &Track, over_day: &dyn Fn(usize) -> bool| {
        let mut cur: Option<OverAllocation> = None;
        for d in first_day..=last_day {
            let i = idx(d);
            if over_day(i) {
                let tasks = tasks_on(t, d);
                match &mut cur {
                    Some(r) if r.tasks == tasks => {
                        r.last = d;
                        r.days += 1;
                        if t.used[i] > r.peak {
                            r.peak = t.used[i];
                            r.capacity = t.capacity[i];
                        }
                    }
                    _ => {
                        over.extend(cur.take());
                        cur = Some(OverAllocation {
                            holder,
                            first: d,
                            last: d,
                            days: 1,
                            peak: t.used[i],
                            capacity: t.capacity[i],
                            tasks,
                        });
                    }
                }
            } else if t.capacity[i] > 0 || t.used[i] > 0 {
                over.extend(cur.take());
            }
        }
        over.extend(cur);
    };
    let person_over = |t: &Track, i: usize| t.used[i] > 1;
    for (p, t) in people.iter().enumerate() {
        runs(LoadHolder::Person(PersonIdx(p as u32)), t, &|i| {
            person_over(t, i)
        });
    }
    if !leveled {
        for (ti, t) in pools.iter().enumerate() {
            let has_pool = t.occs.iter().any(|&k| occs[k].pool.is_some());
            if has_pool {
                runs(LoadHolder::Team(TeamIdx(ti as u32)), t, &|i| {
                    t.used[i] > t.capacity[i]
                });
            }
        }
    }
    for (r, t) in shared.iter().enumerate() {
        runs(LoadHolder::Shared(ResourceIdx(r as u32)), t, &|i| {
            t.used[i] > t.capacity[i]
        });
    }

    // Weeks from the Monday on or before the first day.
    let wd0 = tiller_core::Weekday::of(program.start).index() as Day;
    let monday = |d: Day| d - (d + wd0).rem_euclid(7);
    let mut weeks = Vec::new();
    let mut w = monday(first_day);
    while w <= last_day {
        weeks.push(w);
        w += 7;
    }
    let week_row = |holder: LoadHolder, t: &Track, over_day: &dyn Fn(usize) -> bool| {
        let cells = weeks
            .iter()
            .map(|&w| {
                let mut c = WeekLoad::default();
                for d in w.max(first_day)..(w + 7).min(last_day + 1) {
                    let i = idx(d);
                    c.assigned += t.assigned[i];
                    c.capacity += t.capacity_work[i];
                    c.over |= over_day(i);
                }
                c.over |= c.assigned > c.capacity;
                c
            })
            .collect();
        LoadRow {
            holder,
            weeks: cells,
        }
    };
    let mut rows = Vec::new();
    for (ti, team) in program.teams.iter().enumerate() {
        let t = &pools[ti];
        rows.push(week_row(LoadHolder::Team(TeamIdx(ti as u32)), t, &|i| {
            t.used[i] > t.capacity[i]
                || team
                    .members
                    .iter()
                    .any(|m| person_over(&people[m.index()], i))
        }));
        for m in &team.members {
            let pt = &people[m.index()];
            rows.push(week_row(LoadHolder::Person(*m), pt, &|i| {
                person_over(pt, i)
            }));
        }
    }
    for (p, person) in program.people.iter().enumerate() {
        if person.team.is_none() {
            let pt = &people[p];
            rows.push(week_row(
                LoadHolder::Person(PersonIdx(p as u32)),
                pt,
                &|i| person_over(pt, i),
            ));
        }
    }
    for (r, t) in shared.iter().enumerate() {
        rows.push(week_row(
            LoadHolder::Shared(ResourceIdx(r as u32)),
            t,
            &|i| t.used[i] > t.capacity[i],
        ));
    }
    over.sort_by_key(|o| (o.holder, o.first));
    LoadReport {
        leveled,
        weeks,
        rows,
        over,
    }
}
