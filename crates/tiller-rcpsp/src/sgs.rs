//! Schedule generation schemes (serial and parallel, forward and backward)
//! over flat per-resource availability arrays, for any [`Model`].
//!
//! The [`Engine`] owns all scratch memory so that generating a schedule
//! allocates nothing once the arrays have grown to the horizon in use:
//! resetting copies the touched range of a precomputed capacity array back
//! into the availability array.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::instance::Instance;
use crate::model::{Bound, Model};
use crate::priority::PriorityRule;
use crate::schedule::Schedule;

/// Failure of a schedule generation pass: the activity could not be placed
/// because a capacity profile ends below its demand or no mode has working
/// time (forward), or because it would have to start before its release
/// date (backward).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stuck(pub u32);

/// A parallel scheme's queue entry as one integer, ordered by time, then
/// list position (a single integer compares faster than a tuple, and the
/// queue is the scheme's hot spot): the time with its sign bit flipped (so
/// that unsigned order is signed order) above the position.
#[inline]
fn time_key(t: i32, pos: u32) -> u64 {
    (u64::from(t as u32 ^ 0x8000_0000) << 32) | u64::from(pos)
}

/// The time and list position of a [`time_key`].
#[inline]
fn from_time_key(key: u64) -> (i32, u32) {
    (((key >> 32) as u32 ^ 0x8000_0000) as i32, key as u32)
}

/// `b` held to decision time `t`: never before it (forward) or after it
/// (backward).
#[inline]
fn hold<const BACKWARD: bool>(mut b: Bound, t: i32) -> Bound {
    if BACKWARD {
        b.finish = b.finish.min(t);
    } else {
        b.start = b.start.max(t);
    }
    b
}

/// What a parallel scheme returns when nothing has been placed yet: the
/// deadline backward; forward, the lowest makespan (0 for an empty
/// project, which nothing will raise).
#[inline]
fn initial_end<const BACKWARD: bool>(n: usize, deadline: i32) -> i32 {
    if BACKWARD {
        deadline
    } else if n == 0 {
        0
    } else {
        i32::MIN
    }
}

/// Sets bit `p`.
#[inline]
fn set_bit(bits: &mut [u64], p: usize) {
    bits[p / 64] |= 1u64 << (p % 64);
}

/// Clears bit `p`.
#[inline]
fn clear_bit(bits: &mut [u64], p: usize) {
    bits[p / 64] &= !(1u64 << (p % 64));
}

/// The first set bit at or after `from`.
#[inline]
fn next_set_bit(bits: &[u64], from: usize) -> Option<usize> {
    let mut w = from / 64;
    let mut word = bits.get(w)? & (!0u64 << (from % 64));
    loop {
        if word != 0 {
            return Some(w * 64 + word.trailing_zeros() as usize);
        }
        w += 1;
        word = *bits.get(w)?;
    }
}

pub(crate) struct Engine<'a, M: Model> {
    pub m: &'a M,
    /// Remaining capacity per resource and slot.
    avail: Vec<Vec<i32>>,
    /// Capacity per resource and slot (same length as `avail`).
    base: Vec<Vec<i32>>,
    /// Touched slot range per resource since the last reset.
    lo: Vec<usize>,
    hi: Vec<usize>,
    /// End of the last booking of the resource: beyond it and beyond the
    /// settled slot, availability equals the final capacity.
    usage_end: Vec<usize>,
    settled: Vec<usize>,
    /// Times and modes produced by the last pass.
    pub start: Vec<i32>,
    pub finish: Vec<i32>,
    pub mode: Vec<u32>,
    bound: Vec<Bound>,
    keys: Vec<u64>,
    pos: Vec<u32>,
    indeg: Vec<u32>,
    /// Parallel schemes' queue of [`time_key`]s.
    heap: BinaryHeap<Reverse<u64>>,
    /// Constant-capacity parallel schemes: times where availability
    /// changes next, and the activities ready at the decision time (a bit
    /// per list position).
    events: BinaryHeap<Reverse<i32>>,
    ready: Vec<u64>,
    /// Per list position, the demand `(resource, units)` that last kept a
    /// ready activity from fitting (units 0: none).
    blocked: Vec<(u32, i32)>,
    kahn: BinaryHeap<Reverse<(u32, u32)>>,
    list_tmp: Vec<u32>,
}

impl<'a, M: Model> Engine<'a, M> {
    pub fn new(m: &'a M) -> Self {
        let nr = m.num_resources();
        let n = m.num_activities();
        // Grow lazily for huge horizons, but start with enough room that
        // PSPLIB-sized instances never grow inside the hot loop.
        let init = (m.horizon().max(0) as usize + 1).min(1 << 12);
        let mut e = Self {
            m,
            avail: vec![Vec::new(); nr],
            base: vec![Vec::new(); nr],
            lo: vec![usize::MAX; nr],
            hi: vec![0; nr],
            usage_end: vec![0; nr],
            settled: (0..nr).map(|r| m.settled(r)).collect(),
            start: vec![0; n],
            finish: vec![0; n],
            mode: vec![0; n],
            bound: vec![Bound::EARLIEST; n],
            keys: Vec::with_capacity(n),
            pos: vec![0; n],
            indeg: vec![0; n],
            heap: BinaryHeap::new(),
            events: BinaryHeap::new(),
            ready: Vec::new(),
            blocked: vec![(0, 0); n],
            kahn: BinaryHeap::new(),
            list_tmp: Vec::with_capacity(n),
        };
        // Only resources somebody demands need arrays.
        let mut demanded = vec![false; nr];
        for j in 0..n {
            for mode in 0..m.modes(j) {
                for &(r, _) in m.demands(j, mode) {
                    demanded[r as usize] = true;
                }
            }
        }
        for (r, used) in demanded.into_iter().enumerate() {
            if used {
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
        let base = &mut self.base[r];
        base.reserve(len - old);
        for t in old..len {
            base.push(self.m.capacity(r, t));
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

    /// The last slot of `[lo, hi)` where `(j, mode)` does not fit on `r`.
    #[inline]
    fn last_conflict(
        &mut self,
        j: usize,
        mode: usize,
        r: usize,
        q: i32,
        lo: usize,
        hi: usize,
    ) -> Option<usize> {
        self.ensure(r, hi);
        if M::SIMPLE || self.m.uses_all(j, mode) {
            return self.avail[r][lo..hi]
                .iter()
                .rposition(|&x| x < q)
                .map(|k| lo + k);
        }
        (lo..hi)
            .rev()
            .find(|&k| self.avail[r][k] < q && self.m.uses(j, mode, k))
    }

    /// The first slot of `[lo, hi)` where `(j, mode)` does not fit on `r`.
    #[inline]
    fn first_conflict(
        &mut self,
        j: usize,
        mode: usize,
        r: usize,
        q: i32,
        lo: usize,
        hi: usize,
    ) -> Option<usize> {
        self.ensure(r, hi);
        if M::SIMPLE || self.m.uses_all(j, mode) {
            return self.avail[r][lo..hi]
                .iter()
                .position(|&x| x < q)
                .map(|k| lo + k);
        }
        (lo..hi).find(|&k| self.avail[r][k] < q && self.m.uses(j, mode, k))
    }

    /// Earliest resource-feasible `(start, finish)` of `(j, mode)` meeting
    /// the forward bound, or `None` if it never fits.
    #[inline]
    pub fn earliest_fit(&mut self, j: usize, mode: usize, mut b: Bound) -> Option<(i32, i32)> {
        let m = self.m;
        let dems = m.demands(j, mode);
        'outer: loop {
            let (s, f) = m.earliest(j, mode, b)?;
            if dems.is_empty() {
                return Some((s, f));
            }
            let (lo, hi) = m.slots(j, mode, s, f);
            for &(r, q) in dems {
                let r = r as usize;
                // Scan from the window's end so one conflict skips as far
                // as possible.
                if let Some(k) = self.last_conflict(j, mode, r, q, lo, hi) {
                    if k >= self.settled[r].max(self.usage_end[r]) {
                        // Steady region: the final capacity itself is short.
                        return None;
                    }
                    b.start = b.start.max(m.slot_start(k + 1));
                    continue 'outer;
                }
            }
            return Some((s, f));
        }
    }

    /// Latest resource-feasible `(start, finish)` of `(j, mode)` meeting the
    /// backward bound, if any.
    #[inline]
    pub fn latest_fit(&mut self, j: usize, mode: usize, mut b: Bound) -> Option<(i32, i32)> {
        let m = self.m;
        let dems = m.demands(j, mode);
        'outer: loop {
            let (s, f) = m.latest(j, mode, b)?;
            if dems.is_empty() {
                return Some((s, f));
            }
            let (lo, hi) = m.slots(j, mode, s, f);
            for &(r, q) in dems {
                let r = r as usize;
                if let Some(k) = self.first_conflict(j, mode, r, q, lo, hi) {
                    b.finish = b.finish.min(m.finish_before_slot(k));
                    continue 'outer;
                }
            }
            return Some((s, f));
        }
    }

    /// The mode finishing first (ties: earlier start, lower mode) and its
    /// times.
    #[inline]
    fn best_forward(&mut self, j: usize, b: Bound) -> Option<(usize, i32, i32)> {
        let modes = self.m.modes(j);
        if modes == 1 {
            return self.earliest_fit(j, 0, b).map(|(s, f)| (0, s, f));
        }
        let mut best: Option<(usize, i32, i32)> = None;
        for mode in 0..modes {
            if let Some((s, f)) = self.earliest_fit(j, mode, b)
                && best.is_none_or(|(_, bs, bf)| (f, s) < (bf, bs))
            {
                best = Some((mode, s, f));
            }
        }
        best
    }

    /// The mode starting last (ties: later finish, lower mode) and its times.
    #[inline]
    fn best_backward(&mut self, j: usize, b: Bound) -> Option<(usize, i32, i32)> {
        let modes = self.m.modes(j);
        if modes == 1 {
            return self.latest_fit(j, 0, b).map(|(s, f)| (0, s, f));
        }
        let mut best: Option<(usize, i32, i32)> = None;
        for mode in 0..modes {
            if let Some((s, f)) = self.latest_fit(j, mode, b)
                && best.is_none_or(|(_, bs, bf)| (s, f) > (bs, bf))
            {
                best = Some((mode, s, f));
            }
        }
        best
    }

    /// Books the resources of `(j, mode)` over its window and records its
    /// times.
    #[inline]
    pub fn place(&mut self, j: usize, mode: usize, s: i32, f: i32) {
        self.start[j] = s;
        self.finish[j] = f;
        self.mode[j] = mode as u32;
        let m = self.m;
        let dems = m.demands(j, mode);
        if dems.is_empty() {
            return;
        }
        let (from, to) = m.slots(j, mode, s, f);
        let all = M::SIMPLE || m.uses_all(j, mode);
        for &(r, q) in dems {
            let r = r as usize;
            if all {
                for x in &mut self.avail[r][from..to] {
                    *x -= q;
                }
            } else {
                for k in from..to {
                    if m.uses(j, mode, k) {
                        self.avail[r][k] -= q;
                    }
                }
            }
            self.lo[r] = self.lo[r].min(from);
            self.hi[r] = self.hi[r].max(to);
            self.usage_end[r] = self.usage_end[r].max(to);
        }
    }

    /// Serial SGS: activities in `list` order (must be topological), each at
    /// its earliest precedence- and resource-feasible start in the mode
    /// finishing first. Returns the makespan; times are in `self.start`,
    /// `self.finish` and `self.mode`.
    pub fn serial_forward(&mut self, list: &[u32]) -> Result<i32, Stuck> {
        self.reset();
        let mut mk = i32::MIN;
        for &j in list {
            let j = j as usize;
            let b = self.m.forward_bound(j, &self.start, &self.finish);
            let (mode, s, f) = self.best_forward(j, b).ok_or(Stuck(j as u32))?;
            self.place(j, mode, s, f);
            mk = mk.max(f);
        }
        Ok(if list.is_empty() { 0 } else { mk })
    }

    /// Serial SGS with every activity held to the mode given in `modes`
    /// (indexed by activity), each at its earliest precedence- and
    /// resource-feasible start in that mode. Left-justifying a feasible
    /// schedule this way, in start order, never moves an activity later:
    /// its old window stays free of everything placed before it.
    pub fn serial_forward_in_modes(&mut self, list: &[u32], modes: &[u32]) -> Result<i32, Stuck> {
        self.reset();
        let mut mk = i32::MIN;
        for &j in list {
            let j = j as usize;
            let mode = modes.get(j).map_or(0, |&m| m as usize);
            let b = self.m.forward_bound(j, &self.start, &self.finish);
            let (s, f) = self.earliest_fit(j, mode, b).ok_or(Stuck(j as u32))?;
            self.place(j, mode, s, f);
            mk = mk.max(f);
        }
        Ok(if list.is_empty() { 0 } else { mk })
    }

    /// Backward serial SGS: activities in `list` order (must be reverse
    /// topological), each at its latest start finishing by `deadline`.
    /// Returns the earliest start.
    pub fn serial_backward(&mut self, list: &[u32], deadline: i32) -> Result<i32, Stuck> {
        self.reset();
        let mut first = deadline;
        for &j in list {
            let j = j as usize;
            let b = self
                .m
                .backward_bound(j, &self.start, &self.finish, deadline);
            let (mode, s, f) = self.best_backward(j, b).ok_or(Stuck(j as u32))?;
            self.place(j, mode, s, f);
            first = first.min(s);
        }
        Ok(first)
    }

    /// Parallel SGS: repeatedly starts, among the activities whose
    /// predecessors are placed, the one that can start first (ties by list
    /// position), never before the previous decision time.
    pub fn parallel_forward(&mut self, list: &[u32]) -> Result<i32, Stuck> {
        self.parallel::<false>(list, 0)
    }

    /// Backward parallel SGS, the mirror of [`Engine::parallel_forward`]:
    /// repeatedly finishes, among the activities whose successors are
    /// placed, the one that can finish last by `deadline` (ties by list
    /// position), never after the previous decision time. `list` gives the
    /// priorities only (any order of all activities). Returns the earliest
    /// start.
    pub fn parallel_backward(&mut self, list: &[u32], deadline: i32) -> Result<i32, Stuck> {
        self.parallel::<true>(list, deadline)
    }

    /// Both parallel schemes. Forward, decision times are starts and grow;
    /// backward, they are finishes (by `deadline`) and shrink. Returns the
    /// makespan (forward) or the earliest start (backward).
    fn parallel<const BACKWARD: bool>(
        &mut self,
        list: &[u32],
        deadline: i32,
    ) -> Result<i32, Stuck> {
        self.reset();
        for (k, &j) in list.iter().enumerate() {
            self.pos[j as usize] = k as u32;
        }
        if M::SIMPLE && self.m.shift_invariant() {
            self.parallel_constant::<BACKWARD>(list, deadline)
        } else {
            self.parallel_general::<BACKWARD>(list, deadline)
        }
    }

    /// The parallel schemes for any model. Decision times are queued
    /// complemented backward (`!t`, which reverses the order without
    /// overflow) so that the latest comes first.
    ///
    /// The heap holds a bound on each eligible activity's decision time
    /// (its precedence bound at first, its fit when last looked at);
    /// placements only push fits further on, so the popped activity is
    /// placed when its fit is at its key and pushed back with the fit
    /// otherwise. Keying by the bound rather than a fit computed up front
    /// spares one fit per activity.
    fn parallel_general<const BACKWARD: bool>(
        &mut self,
        list: &[u32],
        deadline: i32,
    ) -> Result<i32, Stuck> {
        let m = self.m;
        let n = m.num_activities();
        let queued = |t: i32| if BACKWARD { !t } else { t };
        let decision = |b: Bound| if BACKWARD { b.finish } else { b.start };
        let mut heap = std::mem::take(&mut self.heap);
        heap.clear();
        for j in 0..n {
            if self.count_waits::<BACKWARD>(j) {
                let b = self.direction_bound::<BACKWARD>(j, deadline);
                self.bound[j] = b;
                heap.push(Reverse(time_key(queued(decision(b)), self.pos[j])));
            }
        }
        let mut end = initial_end::<BACKWARD>(n, deadline);
        let result = loop {
            let Some(Reverse(key)) = heap.pop() else {
                break Ok(end);
            };
            let (time, prio) = from_time_key(key);
            let t = queued(time);
            let j = list[prio as usize] as usize;
            let b = hold::<BACKWARD>(self.bound[j], t);
            let fit = if BACKWARD {
                self.best_backward(j, b)
            } else {
                self.best_forward(j, b)
            };
            let Some((mode, s, f)) = fit else {
                break Err(Stuck(j as u32));
            };
            let at = if BACKWARD { f } else { s };
            if at != t {
                heap.push(Reverse(time_key(queued(at), prio)));
                continue;
            }
            self.place(j, mode, s, f);
            end = if BACKWARD { end.min(s) } else { end.max(f) };
            let released = if BACKWARD { m.preds(j) } else { m.succs(j) };
            for &k in released {
                let k = k as usize;
                self.indeg[k] -= 1;
                if self.indeg[k] == 0 {
                    let b = hold::<BACKWARD>(self.direction_bound::<BACKWARD>(k, deadline), t);
                    self.bound[k] = b;
                    heap.push(Reverse(time_key(queued(decision(b)), self.pos[k])));
                }
            }
        };
        self.heap = heap;
        result
    }

    /// The parallel schemes of a single-mode model on constant capacities
    /// whose activities book every slot of their windows (PSPLIB), as a
    /// scan over decision times. Everything placed starts at or before
    /// (forward; finishes at or after, backward) the decision time, so from
    /// there on availability only grows further out: a window fits wherever
    /// its first (forward; last, backward) slot does, and it changes only
    /// where a placed activity finishes (starts). The decision times are
    /// therefore those events and the precedence bounds of released
    /// activities; at each, the activities whose bound it has reached are
    /// tried in list order. Same schedules as
    /// [`Engine::parallel_general`], without re-queueing each activity
    /// every time it is blocked.
    fn parallel_constant<const BACKWARD: bool>(
        &mut self,
        list: &[u32],
        deadline: i32,
    ) -> Result<i32, Stuck> {
        let mut events = std::mem::take(&mut self.events);
        let mut pending = std::mem::take(&mut self.heap);
        let mut ready = std::mem::take(&mut self.ready);
        let result =
            self.scan_decisions::<BACKWARD>(list, deadline, &mut events, &mut pending, &mut ready);
        self.events = events;
        self.heap = pending;
        self.ready = ready;
        result
    }

    /// The body of [`Engine::parallel_constant`]: `events` holds the times
    /// where availability changes, `pending` the released activities whose
    /// precedence bound lies ahead (as [`time_key`]s) and `ready` a bit per
    /// list position of those it has reached. Decision times are queued
    /// complemented backward, so that the latest comes first.
    fn scan_decisions<const BACKWARD: bool>(
        &mut self,
        list: &[u32],
        deadline: i32,
        events: &mut BinaryHeap<Reverse<i32>>,
        pending: &mut BinaryHeap<Reverse<u64>>,
        ready: &mut Vec<u64>,
    ) -> Result<i32, Stuck> {
        let m = self.m;
        let n = m.num_activities();
        let queued = |t: i32| if BACKWARD { !t } else { t };
        // Whether decision time `t` has reached time `at`.
        let reached = |at: i32, t: i32| if BACKWARD { at >= t } else { at <= t };
        events.clear();
        pending.clear();
        ready.clear();
        ready.resize(n.div_ceil(64), 0);
        for j in 0..n {
            if self.count_waits::<BACKWARD>(j) {
                let at = self.precedence_time::<BACKWARD>(j, deadline)?;
                pending.push(Reverse(time_key(queued(at), self.pos[j])));
            }
        }
        let mut end = initial_end::<BACKWARD>(n, deadline);
        let mut t = match pending.peek() {
            Some(&Reverse(key)) => queued(from_time_key(key).0),
            None => return Ok(end),
        };
        loop {
            while let Some(&Reverse(key)) = pending.peek() {
                let (time, p) = from_time_key(key);
                if !reached(queued(time), t) {
                    break;
                }
                pending.pop();
                set_bit(ready, p as usize);
                self.blocked[p as usize] = (0, 0);
            }
            // Try the ready activities in list order; one released at `t`
            // ahead of the cursor sends it back.
            let mut cursor = 0usize;
            while let Some(p) = next_set_bit(ready, cursor) {
                cursor = p + 1;
                // The demand that blocked it last is the likeliest to
                // block it again; a blocked window is not empty and, slots
                // being time units, its first (last) slot is `t` (`t - 1`).
                let (r, q) = self.blocked[p];
                let slot = if BACKWARD { t - 1 } else { t };
                if q > 0 && slot >= 0 && self.slot_short(r as usize, q, slot as usize) {
                    continue;
                }
                let j = list[p] as usize;
                let b = hold::<BACKWARD>(self.bound[j], t);
                let (s, f) = self.window::<BACKWARD>(j, b).ok_or(Stuck(j as u32))?;
                let at = if BACKWARD { f } else { s };
                if at != t {
                    // Not at `t` after all (a model whose windows snap to
                    // some grid): look again when `t` reaches it.
                    clear_bit(ready, p);
                    pending.push(Reverse(time_key(queued(at), p as u32)));
                    continue;
                }
                let (lo, hi) = m.slots(j, 0, s, f);
                if lo < hi {
                    let slot = if BACKWARD { hi - 1 } else { lo };
                    if let Some(&(r, q)) = m
                        .demands(j, 0)
                        .iter()
                        .find(|&&(r, q)| self.slot_short(r as usize, q, slot))
                    {
                        self.blocked[p] = (r, q);
                        continue;
                    }
                }
                clear_bit(ready, p);
                self.place(j, 0, s, f);
                end = if BACKWARD { end.min(s) } else { end.max(f) };
                // Availability changes again where this activity ends
                // (forward) or begins (backward).
                events.push(Reverse(queued(if BACKWARD { s } else { f })));
                let released = if BACKWARD { m.preds(j) } else { m.succs(j) };
                for &k in released {
                    let k = k as usize;
                    self.indeg[k] -= 1;
                    if self.indeg[k] == 0 {
                        let at = self.precedence_time::<BACKWARD>(k, deadline)?;
                        let q = self.pos[k] as usize;
                        if reached(at, t) {
                            set_bit(ready, q);
                            self.blocked[q] = (0, 0);
                            cursor = cursor.min(q);
                        } else {
                            pending.push(Reverse(time_key(queued(at), q as u32)));
                        }
                    }
                }
            }
            // The next decision time: the next event or precedence bound
            // beyond `t`.
            let next_event = loop {
                match events.peek() {
                    Some(&Reverse(e)) if reached(queued(e), t) => {
                        events.pop();
                    }
                    Some(&Reverse(e)) => break Some(e),
                    None => break None,
                }
            };
            let next_bound = pending.peek().map(|&Reverse(key)| from_time_key(key).0);
            t = match (next_event, next_bound) {
                (Some(e), Some(b)) => queued(e.min(b)),
                (Some(e), None) | (None, Some(e)) => queued(e),
                (None, None) => {
                    return match next_set_bit(ready, 0) {
                        // Nothing will ever change: a demand exceeds a
                        // capacity.
                        Some(p) => Err(Stuck(list[p])),
                        None => Ok(end),
                    };
                }
            };
        }
    }

    /// Whether fewer than `q` units of `r` are left in `slot`.
    #[inline]
    fn slot_short(&mut self, r: usize, q: i32, slot: usize) -> bool {
        self.ensure(r, slot + 1);
        self.avail[r][slot] < q
    }

    /// Records the precedence bound of released activity `j` and returns
    /// the decision time it stands for: its earliest start (forward) or
    /// latest finish (backward).
    fn precedence_time<const BACKWARD: bool>(
        &mut self,
        j: usize,
        deadline: i32,
    ) -> Result<i32, Stuck> {
        let b = self.direction_bound::<BACKWARD>(j, deadline);
        self.bound[j] = b;
        let (s, f) = self.window::<BACKWARD>(j, b).ok_or(Stuck(j as u32))?;
        Ok(if BACKWARD { f } else { s })
    }

    /// Sets the number of activities `j` waits for in the scheme's direction
    /// (predecessors forward, successors backward); whether there are none.
    #[inline]
    fn count_waits<const BACKWARD: bool>(&mut self, j: usize) -> bool {
        let m = self.m;
        let waits_for = if BACKWARD { m.succs(j) } else { m.preds(j) };
        self.indeg[j] = waits_for.len() as u32;
        waits_for.is_empty()
    }

    /// The window of single-mode `j` meeting `b`, earliest forward, latest
    /// backward, resources ignored.
    #[inline]
    fn window<const BACKWARD: bool>(&self, j: usize, b: Bound) -> Option<(i32, i32)> {
        if BACKWARD {
            self.m.latest(j, 0, b)
        } else {
            self.m.earliest(j, 0, b)
        }
    }

    /// Precedence bound of `j` in the scheme's direction.
    #[inline]
    fn direction_bound<const BACKWARD: bool>(&self, j: usize, deadline: i32) -> Bound {
        if BACKWARD {
            self.m
                .backward_bound(j, &self.start, &self.finish, deadline)
        } else {
            self.m.forward_bound(j, &self.start, &self.finish)
        }
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
        let m = self.m;
        let n = m.num_activities();
        for (k, &j) in list.iter().enumerate() {
            self.pos[j as usize] = k as u32;
        }
        let mut heap = std::mem::take(&mut self.kahn);
        heap.clear();
        for j in 0..n {
            self.indeg[j] = if reverse {
                m.succs(j).len() as u32
            } else {
                m.preds(j).len() as u32
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
                m.preds(j as usize)
            } else {
                m.succs(j as usize)
            };
            for &i in next {
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
        let m = self.m;
        let n = m.num_activities();
        let (topo, rank) = (m.topological_order(), m.topological_rank());
        let first = starts.iter().copied().min().unwrap_or(0);
        self.keys.clear();
        self.keys
            .extend((0..n).map(|j| (((starts[j] - first) as u64) << 32) | u64::from(rank[j])));
        self.keys.sort_unstable();
        out.clear();
        out.extend(self.keys.iter().map(|&k| topo[(k & 0xffff_ffff) as usize]));
        if !m.starts_sort_topologically() {
            self.topo_repair(out);
        }
    }

    /// Activities by decreasing finish (ties by decreasing rank): the
    /// backward list for right-justifying a schedule.
    pub fn list_by_finish_desc(&mut self, finishes: &[i32], out: &mut Vec<u32>) {
        let m = self.m;
        let n = m.num_activities();
        let (topo, rank) = (m.topological_order(), m.topological_rank());
        let nn = n as u64;
        let fmax = finishes.iter().copied().max().unwrap_or(0);
        self.keys.clear();
        self.keys.extend((0..n).map(|j| {
            let f = finishes[j];
            (((fmax - f) as u64) << 32) | (nn - 1 - u64::from(rank[j]))
        }));
        self.keys.sort_unstable();
        out.clear();
        out.extend(
            self.keys
                .iter()
                .map(|&k| topo[(nn - 1 - (k & 0xffff_ffff)) as usize]),
        );
        if !m.finishes_sort_reverse_topologically() {
            self.reverse_topo_repair(out);
        }
    }

    /// Right-justifies the schedule with these finishes against `deadline`
    /// (backward pass of double justification). Result in `self.start`.
    pub fn justify_backward(&mut self, finishes: &[i32], deadline: i32) -> Result<i32, Stuck> {
        let mut list = std::mem::take(&mut self.list_tmp);
        self.list_by_finish_desc(finishes, &mut list);
        let r = self.serial_backward(&list, deadline);
        self.list_tmp = list;
        r
    }

    /// Left-justifies the schedule with these starts, keeping each
    /// activity in its mode. Result in `self.start`.
    pub fn justify_forward_in_modes(
        &mut self,
        starts: &[i32],
        modes: &[u32],
    ) -> Result<i32, Stuck> {
        let mut list = std::mem::take(&mut self.list_tmp);
        self.list_by_start(starts, &mut list);
        let r = self.serial_forward_in_modes(&list, modes);
        self.list_tmp = list;
        r
    }

    /// Left-justifies the schedule with these starts (forward pass). Result
    /// in `self.start`.
    pub fn justify_forward(&mut self, starts: &[i32]) -> Result<i32, Stuck> {
        let mut list = std::mem::take(&mut self.list_tmp);
        self.list_by_start(starts, &mut list);
        let r = self.serial_forward(&list);
        self.list_tmp = list;
        r
    }
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

/// Checks that `list` is a precedence-feasible permutation of the model's
/// activities.
pub(crate) fn checked_list<M: Model>(m: &M, list: &[usize]) -> Result<Vec<u32>, SgsError> {
    let n = m.num_activities();
    let mut seen = vec![false; n];
    if list.len() != n {
        return Err(SgsError::NotAPermutation { expected: n });
    }
    for (position, &j) in list.iter().enumerate() {
        if j >= n || seen[j] {
            return Err(SgsError::NotAPermutation { expected: n });
        }
        if m.preds(j).iter().any(|&i| !seen[i as usize]) {
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
    let mut e = Engine::new(inst);
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
    let mut e = Engine::new(inst);
    e.parallel_forward(&l)
        .map_err(|Stuck(j)| SgsError::Unschedulable {
            activity: j as usize,
        })?;
    Ok(Schedule::from_i32(inst, &e.start))
}

/// Precedence-feasible activity list built with a priority rule (`seed` is
/// used only by [`PriorityRule::Random`]).
pub fn priority_list<M: Model>(model: &M, rule: PriorityRule, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let basis = model.priority_basis();
    let values = crate::priority::priority_values(model, &basis, rule, &mut rng);
    crate::priority::list_from_values(model, &values)
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
    if schedule.starts().len() != inst.num_activities() {
        return Err(SgsError::WrongSchedule);
    }
    let finishes: Vec<i32> = schedule
        .finishes()
        .iter()
        .map(|&f| i32::try_from(f).map_err(|_| SgsError::WrongSchedule))
        .collect::<Result<_, _>>()?;
    let mk = finishes.iter().copied().max().unwrap_or(0);
    let mut e = Engine::new(inst);
    if e.justify_backward(&finishes, mk).is_err() {
        return Ok(schedule.clone());
    }
    let back = e.start.clone();
    match e.justify_forward(&back) {
        Ok(m2) if m2 <= mk => Ok(Schedule::from_i32(inst, &e.start)),
        _ => Ok(schedule.clone()),
    }
}
