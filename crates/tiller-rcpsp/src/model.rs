//! The scheduling problem as the schedule generation schemes and the search
//! see it.
//!
//! [`Instance`] (constant durations, one mode per activity, strict capacity
//! profiles: the PSPLIB case) is one implementation. Problems with calendars
//! implement [`Model`] themselves: an activity's finish may depend on when it
//! starts (work pauses on non-working days), it may use its resources only
//! on some slots of its window, and it may have several modes (alternative
//! resource sets, e.g. which member of a team does the work). The schemes,
//! justification and the metaheuristics are written once, against this
//! trait.
//!
//! Times are `i32` in the model's own unit; resources are booked per *slot*
//! (a period for PSPLIB, a day for calendar problems). A model maps times to
//! slots with [`Model::slots`], [`Model::slot_start`] and
//! [`Model::finish_before_slot`].

use crate::instance::Instance;
use crate::priority::latest_starts;

/// Bounds on an activity's start and finish.
///
/// Forward (earliest) bounds mean `start >= self.start` and
/// `finish >= self.finish`; backward (latest) bounds mean `start <=
/// self.start` and `finish <= self.finish`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    pub start: i32,
    pub finish: i32,
}

impl Bound {
    /// No forward constraint.
    pub const EARLIEST: Bound = Bound {
        start: i32::MIN,
        finish: i32::MIN,
    };
    /// No backward constraint.
    pub const LATEST: Bound = Bound {
        start: i32::MAX,
        finish: i32::MAX,
    };
}

/// Static data the priority rules rank activities by: precedence-only
/// earliest and latest starts, a representative duration, and a priority
/// class that dominates every rule (higher classes are listed first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriorityBasis {
    pub early_start: Vec<i64>,
    pub late_start: Vec<i64>,
    pub duration: Vec<i64>,
    pub class: Vec<i64>,
}

/// A resource-constrained scheduling problem.
///
/// Contract the schemes rely on:
/// - `preds`/`succs` form an acyclic graph and `topological_order` is a
///   topological order of it; `forward_bound(j)` only reads the times of
///   `preds(j)` and `backward_bound(j)` only those of `succs(j)`.
/// - `earliest(j, m, b)` is the earliest `(start, finish)` of mode `m`
///   meeting the forward bound `b`, ignoring resources, and is monotone in
///   `b`; `latest` is its backward counterpart (and fails below the
///   activity's release).
/// - Resources are booked on the slots `slots(j, m, s, f)` for which `uses`
///   holds (all of them when [`Model::SIMPLE`]).
pub trait Model {
    /// Activities use every slot of their window, have one mode, and slots
    /// are time units: enables the fast paths of the schemes.
    const SIMPLE: bool;

    fn num_activities(&self) -> usize;
    fn num_resources(&self) -> usize;
    /// Predecessors of `j` (activities whose times bound `j` forward).
    fn preds(&self, j: usize) -> &[u32];
    /// Successors of `j`.
    fn succs(&self, j: usize) -> &[u32];
    fn topological_order(&self) -> &[u32];
    /// Position of each activity in `topological_order`.
    fn topological_rank(&self) -> &[u32];

    fn modes(&self, j: usize) -> usize;
    /// `(resource, units)` demanded by mode `mode` of `j`, aggregated per
    /// resource, positive.
    fn demands(&self, j: usize, mode: usize) -> &[(u32, i32)];
    /// Capacity of resource `r` in `slot`.
    fn capacity(&self, r: usize, slot: usize) -> i32;
    /// From this slot on the capacity of `r` no longer changes: a demand
    /// that does not fit there, beyond every booking, never will.
    fn settled(&self, r: usize) -> usize;

    /// Forward bound of `j` from its predecessors' times (and its release).
    fn forward_bound(&self, j: usize, start: &[i32], finish: &[i32]) -> Bound;
    /// Earliest start and finish of `(j, mode)` meeting `bound`, ignoring
    /// resources; `None` if there is none.
    fn earliest(&self, j: usize, mode: usize, bound: Bound) -> Option<(i32, i32)>;
    /// Backward bound of `j` from its successors' times and a deadline on
    /// every finish.
    fn backward_bound(&self, j: usize, start: &[i32], finish: &[i32], deadline: i32) -> Bound;
    /// Latest start and finish of `(j, mode)` meeting `bound`, ignoring
    /// resources; `None` if it would start before its release.
    fn latest(&self, j: usize, mode: usize, bound: Bound) -> Option<(i32, i32)>;

    /// Slots `[lo, hi)` of the window of `(j, mode)` running from `start` to
    /// `finish`.
    fn slots(&self, j: usize, mode: usize, start: i32, finish: i32) -> (usize, usize);
    /// Whether `(j, mode)` works (books its resources) in `slot` of its
    /// window. Only called when not [`Model::SIMPLE`].
    fn uses(&self, j: usize, mode: usize, slot: usize) -> bool;
    /// Whether `(j, mode)` may be treated as booking every slot of its
    /// window (`uses` is then not called for it). A model can say so when
    /// its resources have ample capacity in the slots the activity does not
    /// work, e.g. a person's days off.
    fn uses_all(&self, j: usize, mode: usize) -> bool;
    /// Earliest time an activity may start at or after the beginning of
    /// `slot`.
    fn slot_start(&self, slot: usize) -> i32;
    /// Latest finish time of an activity that ends before `slot`.
    fn finish_before_slot(&self, slot: usize) -> i32;

    /// A lower bound on the makespan; reaching it ends a search.
    fn lower_bound(&self) -> i32;
    /// A deadline no left-justified schedule exceeds (used for backward
    /// passes of shift-invariant models).
    fn horizon(&self) -> i32;
    /// Schedules may be shifted in time freely (constant capacities, no
    /// release dates, no calendars): a backward schedule moved to start at
    /// time 0 is a real schedule.
    fn shift_invariant(&self) -> bool;
    /// Sorting activities by start (ties by topological rank) always gives a
    /// topological order.
    fn starts_sort_topologically(&self) -> bool;
    /// Sorting by finish descending (ties by rank descending) always gives a
    /// reverse topological order.
    fn finishes_sort_reverse_topologically(&self) -> bool;
    fn priority_basis(&self) -> PriorityBasis;
}

impl Model for Instance {
    const SIMPLE: bool = true;

    #[inline]
    fn num_activities(&self) -> usize {
        self.d.n
    }
    fn num_resources(&self) -> usize {
        self.d.profile.len()
    }
    #[inline]
    fn preds(&self, j: usize) -> &[u32] {
        &self.d.pred_nodes[self.d.pred_off[j] as usize..self.d.pred_off[j + 1] as usize]
    }
    #[inline]
    fn succs(&self, j: usize) -> &[u32] {
        &self.d.succ_nodes[self.d.succ_off[j] as usize..self.d.succ_off[j + 1] as usize]
    }
    fn topological_order(&self) -> &[u32] {
        &self.d.topo
    }
    fn topological_rank(&self) -> &[u32] {
        &self.d.rank
    }
    #[inline]
    fn modes(&self, _j: usize) -> usize {
        1
    }
    #[inline]
    fn demands(&self, j: usize, _mode: usize) -> &[(u32, i32)] {
        self.d.demands(j)
    }
    fn capacity(&self, r: usize, slot: usize) -> i32 {
        let prof = &self.d.profile[r];
        let k = prof.partition_point(|&(from, _)| (from as usize) <= slot);
        if k == 0 { 0 } else { prof[k - 1].1 }
    }
    fn settled(&self, r: usize) -> usize {
        self.d.tail_from[r] as usize
    }
    #[inline]
    fn forward_bound(&self, j: usize, start: &[i32], _finish: &[i32]) -> Bound {
        let d = &self.d;
        let mut es = d.release[j];
        for &(i, dd) in d.preds(j) {
            es = es.max(start[i as usize] + dd);
        }
        Bound {
            start: es,
            finish: i32::MIN,
        }
    }
    #[inline]
    fn earliest(&self, j: usize, _mode: usize, b: Bound) -> Option<(i32, i32)> {
        let p = self.d.dur[j];
        let s = b.start.max(b.finish.saturating_sub(p));
        Some((s, s + p))
    }
    #[inline]
    fn backward_bound(&self, j: usize, start: &[i32], _finish: &[i32], deadline: i32) -> Bound {
        let d = &self.d;
        let mut ls = i32::MAX;
        for &(k, dd) in d.succs(j) {
            ls = ls.min(start[k as usize] - dd);
        }
        Bound {
            start: ls,
            finish: deadline,
        }
    }
    #[inline]
    fn latest(&self, j: usize, _mode: usize, b: Bound) -> Option<(i32, i32)> {
        let p = self.d.dur[j];
        let s = b.start.min(b.finish.saturating_sub(p));
        (s >= self.d.release[j]).then_some((s, s + p))
    }
    #[inline]
    fn slots(&self, _j: usize, _mode: usize, start: i32, finish: i32) -> (usize, usize) {
        (start as usize, finish as usize)
    }
    #[inline]
    fn uses(&self, _j: usize, _mode: usize, _slot: usize) -> bool {
        true
    }
    #[inline]
    fn uses_all(&self, _j: usize, _mode: usize) -> bool {
        true
    }
    #[inline]
    fn slot_start(&self, slot: usize) -> i32 {
        slot as i32
    }
    #[inline]
    fn finish_before_slot(&self, slot: usize) -> i32 {
        slot as i32
    }
    fn lower_bound(&self) -> i32 {
        self.d.lower_bound
    }
    fn horizon(&self) -> i32 {
        self.d.horizon
    }
    fn shift_invariant(&self) -> bool {
        self.d.shift_invariant
    }
    fn starts_sort_topologically(&self) -> bool {
        self.d.simple_fwd
    }
    fn finishes_sort_reverse_topologically(&self) -> bool {
        self.d.simple_bwd
    }
    fn priority_basis(&self) -> PriorityBasis {
        let d = &self.d;
        let ls = latest_starts(d);
        PriorityBasis {
            early_start: d.es.iter().map(|&x| i64::from(x)).collect(),
            late_start: ls.into_iter().map(i64::from).collect(),
            duration: d.dur.iter().map(|&x| i64::from(x)).collect(),
            class: vec![0; d.n],
        }
    }
}
