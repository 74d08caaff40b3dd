//! Schedule generation schemes (serial forward/backward, parallel forward)
//! over flat per-resource availability arrays.
//!
//! The [`Engine`] owns all scratch memory so that generating a schedule
//! allocates nothing once the arrays have grown to the horizon in use:
//! resetting copies the touched range of a precomputed capacity array back
//! into the availability array.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::instance::{Derived, Instance};
use crate::priority::PriorityRule;
use crate::schedule::Schedule;

/// Failure of a schedule generation pass: the activity could not be placed
/// because a capacity profile ends below its demand (forward), or because
/// it would have to start before its release date (backward).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stuck(pub u32);

pub(crate) struct Engine<'a> {
    pub d: &'a Derived,
    /// Remaining capacity per resource and period.
    avail: Vec<Vec<i32>>,
    /// Capacity per resource and period (same length as `avail`).
    base: Vec<Vec<i32>>,
    /// Touched period range per resource since the last reset.
    lo: Vec<usize>,
    hi: Vec<usize>,
    /// Latest finish of a placed activity using the resource: beyond it and
    /// beyond the last breakpoint, availability equals the tail capacity.
    usage_end: Vec<i32>,
    /// Start times produced by the last pass.
    pub start: Vec<i32>,
    keys: Vec<u64>,
    pos: Vec<u32>,
    indeg: Vec<u32>,
    heap: BinaryHeap<Reverse<(i32, u32, u32)>>,
    kahn: BinaryHeap<Reverse<(u32, u32)>>,
    list_tmp: Vec<u32>,
}

impl<'a> Engine<'a> {
    pub fn new(d: &'a Derived) -> Self {
        let nr = d.profile.len();
        // Grow lazily for huge horizons, but start with enough room that
        // PSPLIB-sized instances never grow inside the hot loop.
        let init = (d.horizon.max(0) as usize + 1).min(1 << 12);
        let mut e = Self {
            d,
            avail: vec![Vec::new(); nr],
            base: vec![Vec::new(); nr],
            lo: vec![usize::MAX; nr],
            hi: vec![0; nr],
            usage_end: vec![0; nr],
            start: vec![0; d.n],
            keys: Vec::with_capacity(d.n),
            pos: vec![0; d.n],
            indeg: vec![0; d.n],
            heap: BinaryHeap::new(),
            kahn: BinaryHeap::new(),
            list_tmp: Vec::with_capacity(d.n),
        };
        for r in 0..nr {
            // Only resources somebody demands need arrays.
            if d.dem.iter().any(|&(rr, _)| rr as usize == r) {
                e.grow(r, init);
            }
        }
        e
    }

    fn grow(&mut self, r: usize, len: usize) {
        let old = self.base[r].len();
        if len <= old {
            return;
        }
        let prof = &self.d.profile[r];
        let base = &mut self.base[r];
        base.reserve(len - old);
        // Walk the breakpoints once instead of a lookup per period.
        let mut k = prof.partition_point(|&(from, _)| (from as usize) <= old);
        let mut cap = if k == 0 { 0 } else { prof[k - 1].1 };
        for t in old..len {
            while k < prof.len() && prof[k].0 as usize <= t {
                cap = prof[k].1;
                k += 1;
            }
            base.push(cap);
        }
        let avail = &mut self.avail[r];
        avail.extend_from_slice(&base[old..len]);
    }

    #[inline]
    fn ensure(&mut self, r: usize, end: usize) {
        if end > self.avail[r].len() {
            let len = end.max(self.avail[r].len() * 2);
            self.grow(r, len);
        }
    }

    pub fn reset(&mut self) {
        for r in 0..self.avail.len() {
            let (lo, hi) = (self.lo[r], self.hi[r]);
            if lo < hi {
                self.avail[r][lo..hi].copy_from_slice(&self.base[r][lo..hi]);
            }
            self.lo[r] = usize::MAX;
            self.hi[r] = 0;
            self.usage_end[r] = 0;
        }
    }

    /// Earliest start `>= es` at which activity `j` fits on every resource,
    /// or `None` if it never fits (a capacity profile ends too low).
    #[inline]
    pub fn earliest_fit(&mut self, j: usize, es: i32) -> Option<i32> {
        let d = self.d;
        let p = d.dur[j];
        let dems = d.demands(j);
        if dems.is_empty() {
            return Some(es);
        }
        let mut t = es;
        'outer: loop {
            let end = (t + p) as usize;
            for &(r, q) in dems {
                let r = r as usize;
                self.ensure(r, end);
                let a = &self.avail[r][t as usize..end];
                // Scan from the window's end so one conflict skips as far
                // as possible.
                if let Some(k) = a.iter().rposition(|&x| x < q) {
                    let k = t + k as i32;
                    if k >= d.tail_from[r].max(self.usage_end[r]) {
                        // Steady region: the tail capacity itself is short.
                        return None;
                    }
                    t = k + 1;
                    continue 'outer;
                }
            }
            return Some(t);
        }
    }

    /// Latest start in `[lb, ls]` at which activity `j` fits, if any.
    #[inline]
    pub fn latest_fit(&mut self, j: usize, ls: i32, lb: i32) -> Option<i32> {
        let d = self.d;
        let p = d.dur[j];
        let dems = d.demands(j);
        if ls < lb {
            return None;
        }
        if dems.is_empty() {
            return Some(ls);
        }
        let mut t = ls;
        'outer: loop {
            let end = (t + p) as usize;
            for &(r, q) in dems {
                let r = r as usize;
                self.ensure(r, end);
                let a = &self.avail[r][t as usize..end];
                if let Some(k) = a.iter().position(|&x| x < q) {
                    t = t + k as i32 - p;
                    if t < lb {
                        return None;
                    }
                    continue 'outer;
                }
            }
            return Some(t);
        }
    }

    #[inline]
    pub fn place(&mut self, j: usize, s: i32) {
        let d = self.d;
        let p = d.dur[j];
        let (from, to) = (s as usize, (s + p) as usize);
        for &(r, q) in d.demands(j) {
            let r = r as usize;
            for x in &mut self.avail[r][from..to] {
                *x -= q;
            }
            self.lo[r] = self.lo[r].min(from);
            self.hi[r] = self.hi[r].max(to);
            self.usage_end[r] = self.usage_end[r].max(s + p);
        }
    }

    /// Serial SGS: activities in `list` order (must be topological), each at
    /// its earliest precedence- and resource-feasible start. Returns the
    /// makespan; starts are in `self.start`.
    pub fn serial_forward(&mut self, list: &[u32]) -> Result<i32, Stuck> {
        self.reset();
        let d = self.d;
        let mut mk = 0;
        for &j in list {
            let j = j as usize;
            let mut es = d.release[j];
            for &(i, dd) in d.preds(j) {
                es = es.max(self.start[i as usize] + dd);
            }
            let s = self.earliest_fit(j, es).ok_or(Stuck(j as u32))?;
            self.place(j, s);
            self.start[j] = s;
            mk = mk.max(s + d.dur[j]);
        }
        Ok(mk)
    }

    /// Backward serial SGS: activities in `list` order (must be reverse
    /// topological), each at its latest start finishing by `deadline`.
    /// Returns the earliest start; starts are in `self.start`.
    pub fn serial_backward(&mut self, list: &[u32], deadline: i32) -> Result<i32, Stuck> {
        self.reset();
        let d = self.d;
        let mut first = deadline;
        for &j in list {
            let j = j as usize;
            let mut ls = deadline - d.dur[j];
            for &(k, dd) in d.succs(j) {
                ls = ls.min(self.start[k as usize] - dd);
            }
            let s = self
                .latest_fit(j, ls, d.release[j])
                .ok_or(Stuck(j as u32))?;
            self.place(j, s);
            self.start[j] = s;
            first = first.min(s);
        }
        Ok(first)
    }

    /// Parallel SGS: advances a decision time and starts, in list-position
    /// priority order, every ready activity that fits at that time.
    ///
    /// Each ready activity sits in a heap keyed by a lower bound on its
    /// start (its earliest fit when last examined; availability only
    /// shrinks, so the bound stays valid), which keeps the scheme
    /// O(n log n) plus the window scans instead of rescanning every ready
    /// activity at every decision time.
    pub fn parallel_forward(&mut self, list: &[u32]) -> Result<i32, Stuck> {
        self.reset();
        let d = self.d;
        for (k, &j) in list.iter().enumerate() {
            self.pos[j as usize] = k as u32;
        }
        let mut heap = std::mem::take(&mut self.heap);
        heap.clear();
        for j in 0..d.n {
            self.indeg[j] = d.pred_off[j + 1] - d.pred_off[j];
            if self.indeg[j] == 0 {
                let c = self.earliest_fit(j, d.release[j]).ok_or(Stuck(j as u32))?;
                heap.push(Reverse((c, self.pos[j], j as u32)));
            }
        }
        let mut mk = 0;
        let result = loop {
            let Some(Reverse((t, prio, j))) = heap.pop() else {
                break Ok(mk);
            };
            let j = j as usize;
            let Some(s) = self.earliest_fit(j, t) else {
                break Err(Stuck(j as u32));
            };
            if s != t {
                heap.push(Reverse((s, prio, j as u32)));
                continue;
            }
            self.place(j, s);
            self.start[j] = s;
            mk = mk.max(s + d.dur[j]);
            let mut stuck = None;
            for &(k, _) in d.succs(j) {
                let k = k as usize;
                self.indeg[k] -= 1;
                if self.indeg[k] == 0 {
                    let mut es = d.release[k].max(t);
                    for &(i, dd) in d.preds(k) {
                        es = es.max(self.start[i as usize] + dd);
                    }
                    match self.earliest_fit(k, es) {
                        Some(c) => heap.push(Reverse((c, self.pos[k], k as u32))),
                        None => {
                            stuck = Some(Stuck(k as u32));
                            break;
                        }
                    }
                }
            }
            if let Some(e) = stuck {
                break Err(e);
            }
        };
        self.heap = heap;
        result
    }

    /// Reorders `list` into a topological order that keeps the given order
    /// wherever precedences allow (Kahn's algorithm by list position).
    pub fn topo_repair(&mut self, list: &mut [u32]) {
        self.repair(list, false);
    }

    /// Same for reverse-topological lists (successors first).
    pub fn reverse_topo_repair(&mut self, list: &mut [u32]) {
        self.repair(list, true);
    }

    fn repair(&mut self, list: &mut [u32], reverse: bool) {
        let d = self.d;
        for (k, &j) in list.iter().enumerate() {
            self.pos[j as usize] = k as u32;
        }
        let mut heap = std::mem::take(&mut self.kahn);
        heap.clear();
        for j in 0..d.n {
            self.indeg[j] = if reverse {
                d.succ_off[j + 1] - d.succ_off[j]
            } else {
                d.pred_off[j + 1] - d.pred_off[j]
            };
            if self.indeg[j] == 0 {
                heap.push(Reverse((self.pos[j], j as u32)));
            }
        }
        let mut k = 0;
        while let Some(Reverse((_, j))) = heap.pop() {
            list[k] = j;
            k += 1;
            let next = if reverse {
                d.preds(j as usize)
            } else {
                d.succs(j as usize)
            };
            for &(i, _) in next {
                let i = i as usize;
                self.indeg[i] -= 1;
                if self.indeg[i] == 0 {
                    heap.push(Reverse((self.pos[i], i as u32)));
                }
            }
        }
        debug_assert_eq!(k, list.len());
        self.kahn = heap;
    }

    /// Activities by increasing start (ties by topological rank): the
    /// forward list that reproduces or improves `starts`.
    pub fn list_by_start(&mut self, starts: &[i32], out: &mut Vec<u32>) {
        let d = self.d;
        self.keys.clear();
        self.keys
            .extend((0..d.n).map(|j| ((starts[j].max(0) as u64) << 32) | u64::from(d.rank[j])));
        self.keys.sort_unstable();
        out.clear();
        out.extend(
            self.keys
                .iter()
                .map(|&k| d.topo[(k & 0xffff_ffff) as usize]),
        );
        if !d.simple_fwd {
            self.topo_repair(out);
        }
    }

    /// Activities by decreasing finish (ties by decreasing rank): the
    /// backward list for right-justifying `starts`.
    pub fn list_by_finish_desc(&mut self, starts: &[i32], out: &mut Vec<u32>) {
        let d = self.d;
        let n = d.n as u64;
        let fmax = (0..d.n).map(|j| starts[j] + d.dur[j]).max().unwrap_or(0);
        self.keys.clear();
        self.keys.extend((0..d.n).map(|j| {
            let f = starts[j] + d.dur[j];
            (((fmax - f) as u64) << 32) | (n - 1 - u64::from(d.rank[j]))
        }));
        self.keys.sort_unstable();
        out.clear();
        out.extend(
            self.keys
                .iter()
                .map(|&k| d.topo[(n - 1 - (k & 0xffff_ffff)) as usize]),
        );
        if !d.simple_bwd {
            self.reverse_topo_repair(out);
        }
    }

    /// Right-justifies the schedule `starts` against `deadline` (backward
    /// pass of double justification). Result in `self.start`.
    pub fn justify_backward(&mut self, starts: &[i32], deadline: i32) -> Result<i32, Stuck> {
        let mut list = std::mem::take(&mut self.list_tmp);
        self.list_by_finish_desc(starts, &mut list);
        let r = self.serial_backward(&list, deadline);
        self.list_tmp = list;
        r
    }

    /// Left-justifies the schedule `starts` (forward pass). Result in
    /// `self.start`.
    pub fn justify_forward(&mut self, starts: &[i32]) -> Result<i32, Stuck> {
        let mut list = std::mem::take(&mut self.list_tmp);
        self.list_by_start(starts, &mut list);
        let r = self.serial_forward(&list);
        self.list_tmp = list;
        r
    }
}

/// Makespan of start times (max finish).
pub(crate) fn makespan_of(d: &Derived, starts: &[i32]) -> i32 {
    (0..d.n).map(|j| starts[j] + d.dur[j]).max().unwrap_or(0)
}

/// Errors of the public schedule generation functions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SgsError {
    #[error("the activity list is not a permutation of the {expected} activities")]
    NotAPermutation { expected: usize },
    #[error("activity {activity} at list position {position} comes before one of its predecessors")]
    NotPrecedenceFeasible { position: usize, activity: usize },
    #[error("activity {activity} cannot be placed: its resources' capacity ends too low")]
    Unschedulable { activity: usize },
    #[error("schedule does not match the instance")]
    WrongSchedule,
}

fn checked_list(inst: &Instance, list: &[usize]) -> Result<Vec<u32>, SgsError> {
    let d = &inst.d;
    let mut seen = vec![false; d.n];
    if list.len() != d.n {
        return Err(SgsError::NotAPermutation { expected: d.n });
    }
    for (position, &j) in list.iter().enumerate() {
        if j >= d.n || seen[j] {
            return Err(SgsError::NotAPermutation { expected: d.n });
        }
        if d.preds(j).iter().any(|&(i, _)| !seen[i as usize]) {
            return Err(SgsError::NotPrecedenceFeasible {
                position,
                activity: j,
            });
        }
        seen[j] = true;
    }
    Ok(list.iter().map(|&j| j as u32).collect())
}

/// Serial schedule generation scheme (Kelley 1963; Kolisch 1996): takes the
/// activities in list order (which must be precedence-feasible) and starts
/// each at its earliest precedence- and resource-feasible period.
pub fn serial_sgs(inst: &Instance, list: &[usize]) -> Result<Schedule, SgsError> {
    let l = checked_list(inst, list)?;
    let mut e = Engine::new(&inst.d);
    e.serial_forward(&l)
        .map_err(|Stuck(j)| SgsError::Unschedulable {
            activity: j as usize,
        })?;
    Ok(Schedule::from_i32(inst, &e.start))
}

/// Parallel schedule generation scheme (Brooks & White 1965; Kolisch 1996):
/// advances through decision periods and starts every eligible activity
/// that fits, in order of list position.
pub fn parallel_sgs(inst: &Instance, list: &[usize]) -> Result<Schedule, SgsError> {
    let l = checked_list(inst, list)?;
    let mut e = Engine::new(&inst.d);
    e.parallel_forward(&l)
        .map_err(|Stuck(j)| SgsError::Unschedulable {
            activity: j as usize,
        })?;
    Ok(Schedule::from_i32(inst, &e.start))
}

/// Precedence-feasible activity list built with a priority rule (`seed` is
/// used only by [`PriorityRule::Random`]).
pub fn priority_list(inst: &Instance, rule: PriorityRule, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let values = crate::priority::priority_values(&inst.d, rule, &mut rng);
    crate::priority::list_from_values(&inst.d, &values)
        .into_iter()
        .map(|j| j as usize)
        .collect()
}

/// Double justification (Valls, Ballestín & Quintanilla 2005): right-
/// justifies the schedule against its makespan, then left-justifies the
/// result. Returns the better of input and result (with precedences of
/// kind finish-to-start and non-negative lags the result is never worse).
/// Counts as two generated schedules.
pub fn justify(inst: &Instance, schedule: &Schedule) -> Result<Schedule, SgsError> {
    let d = &inst.d;
    if schedule.starts().len() != d.n {
        return Err(SgsError::WrongSchedule);
    }
    let starts: Vec<i32> = schedule
        .starts()
        .iter()
        .map(|&s| i32::try_from(s).map_err(|_| SgsError::WrongSchedule))
        .collect::<Result<_, _>>()?;
    let mk = makespan_of(d, &starts);
    let mut e = Engine::new(d);
    if e.justify_backward(&starts, mk).is_err() {
        return Ok(schedule.clone());
    }
    let back = e.start.clone();
    match e.justify_forward(&back) {
        Ok(m2) if m2 <= mk => Ok(Schedule::from_i32(inst, &e.start)),
        _ => Ok(schedule.clone()),
    }
}
