//! Why a leveled task starts when it does, and the resource-constrained
//! critical chain.
//!
//! Reasons are read off the final schedule, not the search that produced
//! it, so they hold for any schedule. For a task starting later than its
//! resource-free early start, the reason is what stops it from starting
//! earlier in the mode (people) it was given:
//!
//! 1. **Resource**: its predecessors and calendar would let it start
//!    earlier, but at its previous possible start one of its people or
//!    shared resources is taken (the reason names the first such day, in
//!    the task's demand order, and the tasks holding the resource then).
//! 2. **Calendar**: it starts as early as its predecessors allow on its own
//!    calendar, but that calendar has a gap the resource-free one does not
//!    (a chosen person's time off, a shared resource's closed days).
//! 3. **Predecessor**: it starts as early as its predecessors allow, which
//!    is later than in the resource-free schedule; the reason names every
//!    predecessor whose link alone would place it there.
//!
//! The same analysis, run for every task whether late or not, gives each
//! task its *drivers*: the binding predecessors, or the tasks holding its
//! resource. The critical chain is every task reachable through drivers
//! from the tasks that end the leveled program: delaying any of them
//! delays the finish.

use tiller_core::{PersonIdx, ResourceIdx, TaskIdx};
use tiller_rcpsp::Model;

use super::model::{Holder, PlanModel, Progress};
use crate::cpm::NodeRole;
use crate::profile::Day;
use crate::tick::{Tick, day_of, start_of};

/// Why a task starts later than its resource-free early start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delay {
    /// Its predecessors finish (or start) later than in the resource-free
    /// schedule; these are the ones whose links place it where it is.
    Predecessor { tasks: Vec<TaskIdx> },
    /// One working day earlier, `holder` would be over-allocated on `day`:
    /// `tasks` hold it then.
    Resource {
        holder: Holder,
        day: Day,
        tasks: Vec<TaskIdx>,
    },
    /// Its own calendar has no working day from `first` to `last` where the
    /// resource-free one has: `people` are not available or `resources`
    /// are closed on some of those days.
    Calendar {
        first: Day,
        last: Day,
        people: Vec<PersonIdx>,
        resources: Vec<ResourceIdx>,
    },
    /// Nothing in the schedule stops it from starting earlier (only for
    /// schedules that are not left-justified).
    Unforced,
}

/// Bookings of one resource: `(first day, last day, node, mode)`.
type Bookings = Vec<(Day, Day, u32, u32)>;

pub(crate) struct Analysis {
    /// Per node: the delay, for task nodes later than resource-free.
    pub delay: Vec<Option<Delay>>,
    /// Per node: the nodes that drive its start.
    pub drivers: Vec<Vec<u32>>,
}

/// Who books what, per resource, from a placement.
pub(crate) fn bookings(
    model: &PlanModel<'_>,
    start: &[i32],
    finish: &[i32],
    modes: &[u32],
) -> Vec<Bookings> {
    let mut out: Vec<Bookings> = vec![Vec::new(); model.num_resources()];
    for v in 0..model.len() {
        let m = modes[v] as usize;
        let Some((a, b)) = model.day_span(v, Tick::from(start[v]), Tick::from(finish[v])) else {
            continue;
        };
        for &(r, _) in model.demands(v, m) {
            out[r as usize].push((a, b, v as u32, m as u32));
        }
    }
    for b in &mut out {
        b.sort_unstable();
    }
    out
}

/// Units of resource `r` booked on `day` by nodes other than `except`, and
/// those nodes.
fn used_on(
    model: &PlanModel<'_>,
    bookings: &Bookings,
    r: usize,
    day: Day,
    except: usize,
) -> (i64, Vec<u32>) {
    let mut used = 0i64;
    let mut who = Vec::new();
    for &(a, b, v, m) in bookings {
        if a > day {
            break;
        }
        if b < day || v as usize == except {
            continue;
        }
        let (v, m) = (v as usize, m as usize);
        if !model.works(v, m, day) {
            continue;
        }
        let q = model
            .demands(v, m)
            .iter()
            .find(|d| d.0 as usize == r)
            .map_or(0, |d| i64::from(d.1));
        used += q;
        who.push(v as u32);
    }
    (used, who)
}

fn task_list(model: &PlanModel<'_>, nodes: &[u32]) -> Vec<TaskIdx> {
    let mut out: Vec<TaskIdx> = Vec::new();
    for &v in nodes {
        let t = model.nodes[v as usize].task;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

pub(crate) fn analyse(
    model: &PlanModel<'_>,
    start: &[i32],
    finish: &[i32],
    modes: &[u32],
) -> Analysis {
    let n = model.len();
    let books = bookings(model, start, finish, modes);
    let mut delay = vec![None; n];
    let mut drivers = vec![Vec::new(); n];
    for v in 0..n {
        let node = &model.nodes[v];
        if let Progress::Fixed { .. } = node.progress {
            continue;
        }
        if node.role == NodeRole::SummaryFirst {
            // The child that starts first carries the summary's start.
            drivers[v].extend(model.first_child(v, start));
            continue;
        }
        let m = modes[v] as usize;
        let prof = model.mode(v, m).profile;
        let s = Tick::from(start[v]);
        let (sb, fb) = model.raw_bound(v, start, finish, None);
        let Some((e, _)) = model.earliest_on(v, prof, sb, fb) else {
            continue;
        };
        let late = node.role == NodeRole::Task && s > model.cpm_start[v];
        let (reason, drive) = if s > e {
            resource_reason(model, &books, v, m, prof, e, s, fb)
        } else {
            let cpm_e = model
                .earliest_on(v, node.cpm_profile, sb, fb)
                .map_or(s, |x| x.0);
            if s > cpm_e {
                (calendar_reason(model, v, m, cpm_e, s), Vec::new())
            } else {
                let binding = binding_links(model, v, prof, start, finish, s);
                (
                    Delay::Predecessor {
                        tasks: task_list(model, &binding),
                    },
                    binding,
                )
            }
        };
        drivers[v] = drive;
        if late {
            delay[v] = Some(reason);
        }
    }
    Analysis { delay, drivers }
}

/// The links of node `v` that alone place it at `s` (with its release).
fn binding_links(
    model: &PlanModel<'_>,
    v: usize,
    prof: u32,
    start: &[i32],
    finish: &[i32],
    s: Tick,
) -> Vec<u32> {
    let links = model.links_in(v);
    let mut out = Vec::new();
    for (k, link) in links.iter().enumerate() {
        let (sb, fb) = model.raw_bound(v, start, finish, Some(k));
        if model.earliest_on(v, prof, sb, fb).map(|x| x.0) == Some(s) && !out.contains(&link.node) {
            out.push(link.node);
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn resource_reason(
    model: &PlanModel<'_>,
    books: &[Bookings],
    v: usize,
    m: usize,
    prof: u32,
    e: Tick,
    s: Tick,
    fb: Tick,
) -> (Delay, Vec<u32>) {
    // The latest possible start before `s`: a day from which the task,
    // alone, would start right away.
    let profile = &model.profiles[prof as usize];
    let mut day = day_of(s) - 1;
    let mut prev = None;
    while day >= day_of(e) {
        // Only working days of its calendar can be starts.
        let Some(d) = profile.prev_working(day) else {
            break;
        };
        if d < day_of(e) {
            break;
        }
        let t = start_of(d).max(e);
        if let Some((ts, tf)) = model.earliest_on(v, prof, t, fb)
            && ts == t
            && ts < s
        {
            prev = Some((ts, tf));
            break;
        }
        day = d - 1;
    }
    let Some((ps, pf)) = prev else {
        return (Delay::Unforced, Vec::new());
    };
    let Some((first, last)) = model.day_span(v, ps, pf) else {
        return (Delay::Unforced, Vec::new());
    };
    for &(r, q) in model.demands(v, m) {
        let r = r as usize;
        for day in first..=last {
            if model.is_history(day) || !model.works(v, m, day) {
                continue;
            }
            let cap = model.capacity_on(r, day);
            if cap <= 0 {
                continue;
            }
            let (used, who) = used_on(model, &books[r], r, day, v);
            if used + i64::from(q) > i64::from(cap) {
                return (
                    Delay::Resource {
                        holder: model.holders[r],
                        day,
                        tasks: task_list(model, &who),
                    },
                    who,
                );
            }
        }
    }
    (Delay::Unforced, Vec::new())
}

fn calendar_reason(model: &PlanModel<'_>, v: usize, m: usize, cpm_e: Tick, s: Tick) -> Delay {
    let node = &model.nodes[v];
    let mode = model.mode(v, m);
    let cpm = &model.profiles[node.cpm_profile as usize];
    let (first, last) = (day_of(cpm_e), day_of(s) - 1);
    let np = model.program.people.len();
    let mut people = Vec::new();
    let mut resources = Vec::new();
    for day in first..=last {
        if cpm.rate(day) == 0 || model.works(v, m, day) {
            continue;
        }
        for p in &mode.people {
            if model.capacity_on(p.index(), day) == 0 && !people.contains(p) {
                people.push(*p);
            }
        }
        for (r, _) in &model.program.task(node.task).uses {
            if model.capacity_on(np + r.index(), day) == 0 && !resources.contains(r) {
                resources.push(*r);
            }
        }
    }
    people.sort();
    resources.sort();
    Delay::Calendar {
        first,
        last,
        people,
        resources,
    }
}

/// Nodes on the critical chain (reachable through drivers from the nodes
/// ending the program), and one chain of task nodes from its start to the
/// program's end.
pub(crate) fn critical_chain(
    model: &PlanModel<'_>,
    finish: &[i32],
    drivers: &[Vec<u32>],
) -> (Vec<bool>, Vec<u32>) {
    let n = model.len();
    let is_task = |v: usize| model.nodes[v].role == NodeRole::Task;
    let end = (0..n).filter(|&v| is_task(v)).map(|v| finish[v]).max();
    let mut on = vec![false; n];
    let Some(end) = end else {
        return (on, Vec::new());
    };
    let ends: Vec<usize> = (0..n).filter(|&v| is_task(v) && finish[v] == end).collect();
    let mut stack = ends.clone();
    for &v in &ends {
        on[v] = true;
    }
    while let Some(v) = stack.pop() {
        for &d in &drivers[v] {
            let d = d as usize;
            if !on[d] {
                on[d] = true;
                stack.push(d);
            }
        }
    }
    // One path: from the node ending the program that comes last in
    // topological order (a final milestone rather than the task before
    // it), follow the first driver back.
    let rank = model.topological_rank();
    let mut path = Vec::new();
    let mut seen = vec![false; n];
    let mut cur = ends.iter().copied().max_by_key(|&v| rank[v]);
    while let Some(v) = cur {
        if seen[v] {
            break;
        }
        seen[v] = true;
        if is_task(v) {
            path.push(v as u32);
        }
        cur = drivers[v].first().map(|&d| d as usize);
    }
    path.reverse();
    (on, path)
}
