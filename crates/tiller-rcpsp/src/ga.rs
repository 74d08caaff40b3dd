//! Bi-population genetic algorithm with justification.
//!
//! It follows the bi-population idea of Debels & Vanhoucke (2005,
//! 2007): one population holds left-justified schedules, the other
//! right-justified ones. Children of two right-justified parents are decoded
//! with the forward serial SGS (which left-justifies them) and join the left
//! population; children of left-justified parents are decoded backward and
//! join the right population. Every decode is therefore at the same time a
//! justification pass (Valls, Ballestín & Quintanilla 2005). A child close
//! to the best makespan is decoded with the parallel SGS in the same
//! direction as well, and each decode is justified once more in the other
//! direction, so it feeds both populations, and back and forth again while
//! that shortens it.
//! Lists are recombined with the peak crossover of Valls, Ballestín &
//! Quintanilla (2008): the child keeps the mother's most densely packed
//! stretch of time as one block and takes the father's order for every
//! other activity (Hartmann's (1998) two-point crossover where no such
//! stretch exists). A child competes with the member it resembles, if any
//! (crowding), which keeps the populations diverse. Projects of fewer than
//! 100 activities settle within the budget and are searched with more
//! diversity still: more shift mutations, a wider crowding distance, and a
//! parallel decode of every child a population keeps.
//!
//! The genetic algorithm runs to the end of the budget. An iterated local
//! search around the best schedule (shift moves of critical activities, one
//! justification round each) used to take the last 20 % of it; with
//! crowding, the populations use those schedules better (PSPLIB J120 at
//! 1,000 schedules, seeds 1-4: 33.74 % with the genetic algorithm alone,
//! 33.76 % with 10 % for the local search, 33.79 % with 20 %; at 5,000,
//! seeds 1-2: 32.26 %, 32.29 %, 32.33 %; J60 at 1,000: 11.33 % against
//! 11.36 % with 20 %).

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

use crate::model::{Model, PriorityBasis};
use crate::priority::{PriorityRule, list_from_values, priority_values, regret_biased_list};
use crate::sgs::Engine;
use crate::solve::{Best, Budget};

/// Length of the peak crossover's window, as shares of the mother's span
/// (drawn uniformly between the two). Tuned on PSPLIB J120 at 1,000
/// schedules (four seeds): 34.02 % here, 34.19 % with windows of 0.05–0.2
/// of the span, 34.23 % with two-point crossover only.
const PEAK_WINDOW: (f64, f64) = (0.15, 0.45);
/// Probability per list position of swapping unrelated neighbours.
const SWAP_RATE: f64 = 0.05;
/// A child is justified in the other direction (one more schedule, which
/// joins the other population) only if its makespan is within this share
/// of the best one found; schedules further off rarely lead anywhere, and
/// the budget goes to more children instead. PSPLIB J120 at 1,000
/// schedules (seeds 1-8): 33.60 % against 33.63 % with every child
/// justified and 33.61 % with 3 %, 33.64 % with 10 %; at 5,000 (seeds 1-2)
/// 32.15 % against 32.14 % with every child.
const JUSTIFY_CHILD_WITHIN: f64 = 0.05;
/// A justified child within this share of the best makespan is justified
/// back and forth again while each pass shortens it (forward-backward
/// improvement where it pays): J120 at 1,000 schedules 33.63 % against
/// 33.73 % with one pass per child, 33.65 % within 2 % and at most two
/// more passes (seeds 1-8, every child justified once).
const REJUSTIFY_WITHIN: f64 = 0.01;
/// A child within this share of the best makespan is decoded with the
/// parallel scheme as well, in the same direction (one more schedule,
/// justified like any child): the non-delay schedule packs the same
/// priorities differently, and right-justified non-delay schedules in
/// particular feed the left population with starting points the serial
/// scheme does not reach. PSPLIB J120 at 1,000 schedules (seeds 1-8):
/// 33.31 % against 33.60 % without, 33.36 % for backward children only,
/// 33.55 % for forward children only (within 2 %), 33.41 % with every
/// backward child decoded both ways and 33.52 % with backward children
/// decoded with the parallel scheme only. Seed 1: J120 at 5,000 schedules
/// 31.96 % against 32.17 %, at 50,000 30.59 % against 30.67 %; J30 at
/// 50,000 0.000 % against 0.003 %.
const PARALLEL_CHILD_WITHIN: f64 = 0.05;
/// How hard the search keeps its populations diverse. Projects of fewer
/// than [`SMALL_PROJECT`] activities settle within the budget and gain
/// from more diversity ([`Diversity::SMALL`]); large ones need every
/// schedule for intensification ([`Diversity::LARGE`]).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Diversity {
    /// Probability of one shift move on a child.
    shift_rate: f64,
    /// A child whose start times (relative to its first start) differ from
    /// a member's in at most this share of the compared activities competes
    /// with that member only, not with the worst one (crowding): it
    /// replaces it if it is at least as good and is dropped otherwise.
    crowding_distance: f64,
    /// Whether every child that joins its population is decoded with the
    /// parallel scheme too, not only those within
    /// [`PARALLEL_CHILD_WITHIN`] of the best makespan.
    parallel_when_kept: bool,
}

impl Diversity {
    /// Crowding: without it a population fills with variants of a few
    /// schedules and stalls; measured on PSPLIB (seeds 1-4) it took J30 at
    /// 5,000 schedules from 0.067 % to 0.027 %, J30 at 50,000 from about
    /// 0.011 % to 0.004 % and J120 at 5,000 from 32.51 % to 32.41 %; 0.3 and
    /// 0.7 did worse on J120 at 1,000. Every departure from these settings
    /// costs on J120: at 1,000 schedules (seeds 1-4) 33.45 % against
    /// 33.30 % with all three of [`Diversity::SMALL`], 33.33 % with its
    /// shift rate alone, 33.40 % with its crowding distance alone and
    /// 33.32 % with parallel decodes of kept children alone; at 5,000
    /// (seed 1) 31.98 %, 32.04 % and 31.99 % against 31.96 %.
    const LARGE: Diversity = Diversity {
        shift_rate: 0.5,
        crowding_distance: 0.5,
        parallel_when_kept: false,
    };
    /// PSPLIB J30 at 1,000 schedules: 0.091 % against 0.109 % with
    /// [`Diversity::LARGE`] over seeds 1-16 and 0.097 % against 0.112 %
    /// over seeds 17-32 (single changes, seeds 1-16: shift rate 0.8
    /// 0.100 %, crowding distance 0.7 0.105 %, parallel decodes of kept
    /// children 0.101 %; shift rates 0.65 / 1.0 with the rest 0.106 % /
    /// 0.097 %, crowding distances 0.6 / 0.8 0.093 % / 0.098 %). J30 at
    /// 5,000, seeds 1-4: 0.017 % against 0.022 %; J60 at 1,000, seeds 1-8:
    /// 11.220 % against 11.234 %; J60 at 5,000, seeds 1-2: 10.804 %
    /// against 10.835 %.
    const SMALL: Diversity = Diversity {
        shift_rate: 0.8,
        crowding_distance: 0.7,
        parallel_when_kept: true,
    };

    fn for_project(activities: usize) -> Diversity {
        if activities < SMALL_PROJECT {
            Diversity::SMALL
        } else {
            Diversity::LARGE
        }
    }
}

/// Projects with fewer activities than this get [`Diversity::SMALL`]
/// (between PSPLIB's J60 and J120 sizes).
const SMALL_PROJECT: usize = 100;
/// Share of parallel-SGS decodes among sampled starting individuals.
const PARALLEL_SEEDS: f64 = 0.5;
/// At most this many activities, evenly spaced, are compared per member,
/// on a signature held inline in the member: comparing all 120 start times
/// of a J120 project with a population of 80 cost more than the decoding
/// (0.13 s instead of 0.085 s per instance at 5,000 schedules) for the same
/// quality.
const CROWDING_SAMPLE: usize = 32;
/// Population size per population: small budgets need fast convergence,
/// large ones diversity, up to 200 members (at 50,000 schedules, seed 1:
/// J120 30.67 % against 30.71 % with 250, 30.75 % with 320 and 30.68 %
/// with 160; J60 10.53 % against 10.59 % with 250; J30 0.003 % with
/// either).
/// With small budgets (under 120 schedules per member) the size is the
/// budget per activity, between 20 and 30: a small project settles early
/// and needs a wider population, a large one with few schedules needs
/// generations. With crowding (seeds 1-4):
/// J120 at 1,000 schedules 33.79 % with 20 members against 33.90 % with 30,
/// J30 at 1,000 0.145 % with 30 against 0.170 % with 20; at 5,000
/// schedules one member per 120 (41) against one per 60 (83): J120 32.34 %
/// against 32.41 %, J60 10.94 % against 10.96 %, J30 0.024 % against
/// 0.027 %.
fn population_size(budget: &Budget, activities: usize) -> usize {
    let floor = (budget.remaining() / activities.max(1) as u64).clamp(20, 30);
    (budget.remaining() / 120).clamp(floor, 200) as usize
}

struct Member {
    starts: Vec<i32>,
    finishes: Vec<i32>,
    modes: Vec<u32>,
    /// The list this member contributes as a parent: for left-justified
    /// members the backward list (finish descending), for right-justified
    /// members the forward list (start ascending).
    list: Vec<u32>,
    /// Makespan (left-justified) or span (right-justified).
    fit: i32,
    hash: u64,
    /// The start times members are compared on: those of evenly spaced
    /// activities, measured from 0 for left-justified members and from the
    /// first start for right-justified ones (whose position in time is
    /// arbitrary); unused entries are 0.
    signature: [i32; CROWDING_SAMPLE],
}

/// The evenly spaced activities compared between members: every `stride`-th.
fn crowding_stride(n: usize) -> usize {
    n.div_ceil(CROWDING_SAMPLE).max(1)
}

fn signature(starts: &[i32], first: i32) -> [i32; CROWDING_SAMPLE] {
    let mut sig = [0; CROWDING_SAMPLE];
    let stride = crowding_stride(starts.len());
    for (slot, &s) in sig.iter_mut().zip(starts.iter().step_by(stride)) {
        *slot = s - first;
    }
    sig
}

impl Member {
    /// A member whose start times are measured from `first`.
    fn new(
        schedule: (Vec<i32>, Vec<i32>, Vec<u32>),
        list: Vec<u32>,
        fit: i32,
        first: i32,
    ) -> Member {
        let (starts, finishes, modes) = schedule;
        let mut member = Member {
            starts,
            finishes,
            modes,
            list,
            fit,
            hash: 0,
            signature: [0; CROWDING_SAMPLE],
        };
        member.identify(first);
        member
    }

    /// Sets what the populations tell members apart by (the hash and the
    /// signature) from the start times measured from `first`.
    fn identify(&mut self, first: i32) {
        self.hash = hash_starts(&self.starts, first);
        self.signature = signature(&self.starts, first);
    }
}

fn hash_starts(starts: &[i32], first: i32) -> u64 {
    // FNV-1a over the start times relative to the first start.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &s in starts {
        h ^= (s - first) as u32 as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

struct Pop {
    members: Vec<Member>,
    cap: usize,
    /// See [`Diversity::crowding_distance`].
    crowding_distance: f64,
    /// Whether the last insertion kept the child.
    kept: bool,
}

impl Pop {
    fn new(cap: usize, crowding_distance: f64) -> Self {
        Self {
            members: Vec::with_capacity(cap),
            cap,
            crowding_distance,
            kept: false,
        }
    }

    /// Inserts the child unless it is a copy of a member: if there is room;
    /// else in place of the nearest member within the crowding distance if
    /// there is one and the child is at least as good; else in place of the
    /// worst member if the child is at least as good. Returns the buffers
    /// left over (the rejected child or the evicted member).
    fn insert(&mut self, mut child: Member) -> Option<Member> {
        self.kept = false;
        if self
            .members
            .iter()
            .any(|m| m.hash == child.hash && m.fit == child.fit)
        {
            return Some(child);
        }
        self.kept = true;
        if self.members.len() < self.cap {
            self.members.push(child);
            return None;
        }
        if let Some(k) = self.nearest(&child) {
            if child.fit <= self.members[k].fit {
                std::mem::swap(&mut self.members[k], &mut child);
            } else {
                self.kept = false;
            }
            return Some(child);
        }
        let (wi, worst) = self
            .members
            .iter()
            .enumerate()
            .max_by_key(|(_, m)| m.fit)
            .map(|(i, m)| (i, m.fit))
            .unwrap_or((0, i32::MIN));
        // Equal fitness replaces too, which lets the population drift
        // along plateaus instead of freezing.
        if child.fit <= worst {
            std::mem::swap(&mut self.members[wi], &mut child);
        } else {
            self.kept = false;
        }
        Some(child)
    }

    /// The member whose start times differ from the child's in the fewest
    /// compared activities, if that is within the crowding distance.
    fn nearest(&self, child: &Member) -> Option<usize> {
        let n = child.starts.len();
        let compared = n.div_ceil(crowding_stride(n));
        let limit = (self.crowding_distance * compared as f64) as usize;
        let mut nearest: Option<(usize, usize)> = None;
        for (k, m) in self.members.iter().enumerate() {
            let differ = child
                .signature
                .iter()
                .zip(&m.signature)
                .filter(|(a, b)| a != b)
                .count();
            if differ <= limit && nearest.is_none_or(|(_, d)| differ < d) {
                nearest = Some((k, differ));
            }
        }
        nearest.map(|(k, _)| k)
    }

    /// Binary tournament.
    fn tournament(&self, rng: &mut Pcg64Mcg) -> usize {
        let n = self.members.len();
        let a = rng.random_range(0..n);
        let b = rng.random_range(0..n);
        if self.members[a].fit <= self.members[b].fit {
            a
        } else {
            b
        }
    }
}

/// Two-point order crossover (Hartmann 1998): mother's prefix, father's
/// order for the middle, mother's order for the rest. Keeps lists
/// precedence-feasible.
fn two_point(m: &[u32], f: &[u32], q1: usize, q2: usize, seen: &mut [bool], out: &mut Vec<u32>) {
    out.clear();
    seen.fill(false);
    for &j in &m[..q1] {
        out.push(j);
        seen[j as usize] = true;
    }
    for &j in f {
        if out.len() >= q2 {
            break;
        }
        if !seen[j as usize] {
            out.push(j);
            seen[j as usize] = true;
        }
    }
    for &j in m {
        if !seen[j as usize] {
            out.push(j);
            seen[j as usize] = true;
        }
    }
}

/// Buffers of the peak crossover, reused across children.
#[derive(Default)]
struct PeakScratch {
    /// Utilisation per slot, then its prefix sums.
    load: Vec<f64>,
    slots: Vec<(usize, usize)>,
    role: Vec<u8>,
    stack: Vec<u32>,
}

/// Roles in the peak crossover: in the mother's block, reachable from it
/// (must follow it in the list), or leading to it (must precede it).
const IN_BLOCK: u8 = 1;
const AFTER_BLOCK: u8 = 2;
const BEFORE_BLOCK: u8 = 4;

/// Peak crossover (Valls, Ballestín & Quintanilla 2008): finds the window
/// of the mother's schedule with the highest summed resource-utilisation
/// ratio (window length drawn from [`PEAK_WINDOW`]) and keeps the
/// activities it holds as one block, in the mother's order; every other
/// activity follows the father's order, and the block comes as early as
/// the activities that lead to it allow. The block is contiguous in the
/// mother's list (forward lists are by start, backward ones by finish, and
/// the window is taken on the same end of each activity), so no path leaves
/// the block and comes back, and the child is precedence-feasible in the
/// list's direction. Returns where the block sits in `out`, or `None`,
/// leaving `out` alone, when the window would hold fewer than two or nearly
/// all activities.
#[allow(clippy::too_many_arguments)]
fn peak_crossover<M: Model>(
    m: &M,
    mother: &Member,
    father: &[u32],
    backward: bool,
    rng: &mut Pcg64Mcg,
    b: &mut PeakScratch,
    seen: &mut [bool],
    out: &mut Vec<u32>,
) -> Option<std::ops::Range<usize>> {
    let n = m.num_activities();
    b.slots.clear();
    b.slots.extend((0..n).map(|j| {
        m.slots(
            j,
            mother.modes[j] as usize,
            mother.starts[j],
            mother.finishes[j],
        )
    }));
    let base = b.slots.iter().map(|s| s.0).min().unwrap_or(0);
    let top = b.slots.iter().map(|s| s.1).max().unwrap_or(0);
    if top <= base + 2 {
        return None;
    }
    let span = top - base;
    // Utilisation per slot through a difference array, then prefix sums.
    b.load.clear();
    b.load.resize(span + 1, 0.0);
    for (j, &(lo, hi)) in b.slots.iter().enumerate() {
        if hi <= lo {
            continue;
        }
        let ratio: f64 = m
            .demands(j, mother.modes[j] as usize)
            .iter()
            .map(|&(r, d)| f64::from(d) / f64::from(m.capacity(r as usize, lo).max(1)))
            .sum();
        b.load[lo - base] += ratio;
        b.load[hi - base] -= ratio;
    }
    let (mut per_slot, mut total) = (0.0, 0.0);
    for x in b.load.iter_mut() {
        per_slot += *x;
        total += per_slot;
        *x = total;
    }
    let shortest = ((span as f64 * PEAK_WINDOW.0) as usize).max(1);
    let longest = ((span as f64 * PEAK_WINDOW.1) as usize).clamp(shortest, span);
    let len = rng.random_range(shortest..=longest);
    let load = &b.load;
    let window = |a: usize| load[a + len - 1] - if a == 0 { 0.0 } else { load[a - 1] };
    let mut from = 0;
    let mut densest = f64::MIN;
    for a in 0..=span - len {
        let v = window(a);
        if v > densest + 1e-9 {
            densest = v;
            from = a;
        }
    }
    let (lo, hi) = (base + from, base + from + len);
    b.role.clear();
    b.role.resize(n, 0);
    let mut in_block = 0;
    for (j, &(s, f)) in b.slots.iter().enumerate() {
        let key = if backward { f.saturating_sub(1) } else { s };
        if (lo..hi).contains(&key) {
            b.role[j] = IN_BLOCK;
            in_block += 1;
        }
    }
    if in_block < 2 || in_block + 1 >= n {
        return None;
    }
    // In a backward list successors come first.
    let earlier = |j: usize| if backward { m.succs(j) } else { m.preds(j) };
    let later = |j: usize| if backward { m.preds(j) } else { m.succs(j) };
    for flag in [AFTER_BLOCK, BEFORE_BLOCK] {
        b.stack.clear();
        b.stack
            .extend((0..n as u32).filter(|&j| b.role[j as usize] == IN_BLOCK));
        while let Some(j) = b.stack.pop() {
            let next = if flag == AFTER_BLOCK {
                later(j as usize)
            } else {
                earlier(j as usize)
            };
            for &k in next {
                let role = &mut b.role[k as usize];
                if *role & (IN_BLOCK | flag) == 0 {
                    *role |= flag;
                    b.stack.push(k);
                }
            }
        }
    }
    // The father's activities that may precede the block, up to the last
    // one the block needs.
    let free = |j: u32| b.role[j as usize] & (IN_BLOCK | AFTER_BLOCK) == 0;
    let needed = father
        .iter()
        .filter(|&&j| free(j))
        .enumerate()
        .filter(|(_, j)| b.role[**j as usize] & BEFORE_BLOCK != 0)
        .map(|(k, _)| k + 1)
        .last()
        .unwrap_or(0);
    out.clear();
    seen.fill(false);
    let prefix = father.iter().copied().filter(|&j| free(j)).take(needed);
    let block = mother
        .list
        .iter()
        .copied()
        .filter(|&j| b.role[j as usize] == IN_BLOCK);
    for j in prefix.chain(block) {
        out.push(j);
        seen[j as usize] = true;
    }
    out.extend(father.iter().copied().filter(|&j| !seen[j as usize]));
    Some(needed..needed + in_block)
}

/// Swaps neighbours that are not precedence-related, each with probability
/// `p` (valid for forward and backward lists alike).
fn swap_mutation<M: Model>(m: &M, list: &mut [u32], p: f64, rng: &mut Pcg64Mcg) {
    for k in 0..list.len().saturating_sub(1) {
        if rng.random::<f64>() < p {
            let (a, b) = (list[k], list[k + 1]);
            let related = m.succs(a as usize).contains(&b) || m.succs(b as usize).contains(&a);
            if !related {
                list.swap(k, k + 1);
            }
        }
    }
}

/// Moves one random activity to a random position between its last
/// predecessor and first successor in the list (for backward lists, which
/// are reverse-topological, the roles of predecessors and successors swap).
fn shift_mutation<M: Model>(
    m: &M,
    list: &mut [u32],
    backward: bool,
    pos: &mut [u32],
    rng: &mut Pcg64Mcg,
) {
    let n = list.len();
    if n < 2 {
        return;
    }
    for (k, &j) in list.iter().enumerate() {
        pos[j as usize] = k as u32;
    }
    let k = rng.random_range(0..n);
    let j = list[k] as usize;
    let (before, after) = if backward {
        (m.succs(j), m.preds(j))
    } else {
        (m.preds(j), m.succs(j))
    };
    let lo = before
        .iter()
        .map(|&i| pos[i as usize] as usize + 1)
        .max()
        .unwrap_or(0);
    let hi = after
        .iter()
        .map(|&i| pos[i as usize] as usize)
        .min()
        .unwrap_or(n);
    // After removing j, inserting at index x in lo..hi keeps every
    // predecessor before and every successor after it.
    if hi <= lo + 1 {
        return;
    }
    let target = rng.random_range(lo..hi);
    if target < k {
        list[target..=k].rotate_right(1);
    } else if target > k {
        list[k..=target].rotate_left(1);
    }
}

struct Ga<'e, 'a, M: Model> {
    engine: &'e mut Engine<'a, M>,
    lj: Pop,
    rj: Pop,
    seen: Vec<bool>,
    pos: Vec<u32>,
    spare: Option<Member>,
    child_list: Vec<u32>,
    /// The start or finish times a justification pass reads while it
    /// rewrites the engine's.
    times: Vec<i32>,
    lft: Vec<i64>,
    peak: PeakScratch,
    diversity: Diversity,
}

/// Whether makespan `fit` is within `share` of the best one found.
fn within(fit: i32, share: f64, best: &Best) -> bool {
    f64::from(fit) <= f64::from(best.makespan) * (1.0 + share)
}

/// Latest finish among the engine's activities.
fn max_finish<M: Model>(engine: &Engine<'_, M>) -> i32 {
    engine.finish.iter().copied().max().unwrap_or(0)
}

impl<'e, 'a, M: Model> Ga<'e, 'a, M> {
    /// Empty populations of `pop_size` members each; `lft` holds the
    /// latest-finish priorities that biased sampling draws from.
    fn new(engine: &'e mut Engine<'a, M>, pop_size: usize, lft: Vec<i64>) -> Self {
        let n = engine.m.num_activities();
        let diversity = Diversity::for_project(n);
        Ga {
            engine,
            lj: Pop::new(pop_size, diversity.crowding_distance),
            rj: Pop::new(pop_size, diversity.crowding_distance),
            seen: vec![false; n],
            pos: vec![0; n],
            spare: None,
            child_list: Vec::with_capacity(n),
            times: vec![0; n],
            lft,
            peak: PeakScratch::default(),
            diversity,
        }
    }

    /// Backward decodes of shift-invariant instances use the static horizon
    /// as deadline (they never fail and are shifted afterwards); otherwise
    /// the real makespan, as release dates and calendars pin the time axis.
    fn back_deadline(&self, mk: i32) -> i32 {
        let m = self.engine.m;
        if m.shift_invariant() { m.horizon() } else { mk }
    }

    fn take_spare(&mut self) -> Member {
        let n = self.engine.m.num_activities();
        self.spare.take().unwrap_or_else(|| Member {
            starts: vec![0; n],
            finishes: vec![0; n],
            modes: vec![0; n],
            list: Vec::with_capacity(n),
            fit: 0,
            hash: 0,
            signature: [0; CROWDING_SAMPLE],
        })
    }

    /// One starting individual from `list`: decode, then one
    /// forward-backward improvement round; the left-justified result joins
    /// the left population, the right-justified one the right population.
    fn seed(&mut self, list: &[u32], parallel: bool, budget: &mut Budget, best: &mut Best) {
        let engine = &mut *self.engine;
        let m = engine.m;
        let n = m.num_activities();
        budget.tick();
        let r = if parallel {
            engine.parallel_forward(list)
        } else {
            engine.serial_forward(list)
        };
        let Ok(mut mk) = r else {
            return;
        };
        if parallel {
            best.offer_parallel(engine, mk);
        } else {
            best.offer(engine, mk);
        }
        let mut fwd = engine.start.clone();
        let mut fwd_f = engine.finish.clone();
        let mut fwd_m = engine.mode.clone();
        let mut back = None;
        if !budget.exhausted() && !best.optimal() {
            budget.tick();
            let deadline = if m.shift_invariant() { m.horizon() } else { mk };
            if let Ok(first) = engine.justify_backward(&fwd_f, deadline) {
                let span = max_finish(engine) - first;
                if m.shift_invariant() {
                    best.offer_shifted(engine, first, span);
                }
                let bs = engine.start.clone();
                let bf = engine.finish.clone();
                let bm = engine.mode.clone();
                if !budget.exhausted() {
                    budget.tick();
                    if let Ok(m2) = engine.justify_forward(&bs) {
                        best.offer(engine, m2);
                        if m2 <= mk {
                            mk = m2;
                            fwd.copy_from_slice(&engine.start);
                            fwd_f.copy_from_slice(&engine.finish);
                            fwd_m.copy_from_slice(&engine.mode);
                        }
                    }
                }
                back = Some((bs, bf, bm, first, span));
            }
        }
        let mut blist = Vec::with_capacity(n);
        engine.list_by_finish_desc(&fwd_f, &mut blist);
        self.lj
            .insert(Member::new((fwd, fwd_f, fwd_m), blist, mk, 0));
        if let Some((starts, finishes, modes, first, span)) = back {
            let mut flist = Vec::with_capacity(n);
            engine.list_by_start(&starts, &mut flist);
            self.rj
                .insert(Member::new((starts, finishes, modes), flist, span, first));
        }
    }

    /// Fills the populations: every deterministic rule with both schemes,
    /// then regret-biased LFT sampling. Parallel (non-delay) schedules are
    /// the better starting points on large, tightly constrained projects and
    /// serial ones elsewhere (Kolisch & Hartmann 1999), so both are used.
    fn populate(
        &mut self,
        basis: &PriorityBasis,
        budget: &mut Budget,
        best: &mut Best,
        rng: &mut Pcg64Mcg,
    ) {
        let m = self.engine.m;
        let nrules = 2 * PriorityRule::DETERMINISTIC.len();
        let mut k = 0;
        // Bounded attempts: tiny instances may not have enough distinct
        // schedules to fill the populations.
        while self.lj.members.len() < self.lj.cap && k < 4 * self.lj.cap {
            if budget.exhausted() || best.optimal() {
                return;
            }
            let (list, parallel) = if k < nrules {
                let rule = PriorityRule::DETERMINISTIC[k / 2];
                (
                    list_from_values(m, &priority_values(m, basis, rule, rng)),
                    k % 2 == 1,
                )
            } else {
                (
                    regret_biased_list(m, &self.lft, rng),
                    rng.random::<f64>() < PARALLEL_SEEDS,
                )
            };
            self.seed(&list, parallel, budget, best);
            k += 1;
        }
    }

    /// Recombines two members of `pop` into `self.child_list`.
    fn make_child(&mut self, from_right: bool, rng: &mut Pcg64Mcg) -> (usize, usize) {
        let m = self.engine.m;
        let n = m.num_activities();
        let pop = if from_right { &self.rj } else { &self.lj };
        let (a, b) = (pop.tournament(rng), pop.tournament(rng));
        let (mother, father) = (&pop.members[a].list, &pop.members[b].list);
        let backward = !from_right;
        let peaked = peak_crossover(
            m,
            &pop.members[a],
            father,
            backward,
            rng,
            &mut self.peak,
            &mut self.seen,
            &mut self.child_list,
        )
        .is_some();
        if !peaked {
            let q1 = rng.random_range(0..=n);
            let q2 = rng.random_range(0..=n);
            let (q1, q2) = (q1.min(q2), q1.max(q2));
            two_point(mother, father, q1, q2, &mut self.seen, &mut self.child_list);
        }
        swap_mutation(m, &mut self.child_list, SWAP_RATE, rng);
        if rng.random::<f64>() < self.diversity.shift_rate {
            shift_mutation(m, &mut self.child_list, backward, &mut self.pos, rng);
        }
        // A child equal to a parent's list decodes to that parent's
        // justification, which the other population most likely holds
        // already: perturb it rather than spend a schedule on a copy.
        let mut tries = 0;
        while tries < 8 && (self.child_list == *mother || self.child_list == *father) {
            shift_mutation(m, &mut self.child_list, backward, &mut self.pos, rng);
            tries += 1;
        }
        (a, b)
    }

    /// Right-justified parents, forward SGS: a left-justified child.
    fn forward_child(&mut self, budget: &mut Budget, best: &mut Best, rng: &mut Pcg64Mcg) {
        self.make_child(true, rng);
        self.decode_child(true, 0, budget, best);
    }

    /// Left-justified parents, backward SGS: a right-justified child.
    fn backward_child(&mut self, budget: &mut Budget, best: &mut Best, rng: &mut Pcg64Mcg) {
        let (a, b) = self.make_child(false, rng);
        let deadline = self.back_deadline(self.lj.members[a].fit.max(self.lj.members[b].fit));
        self.decode_child(false, deadline, budget, best);
    }

    /// Decodes the child list with the serial scheme, forward into the left
    /// population if `left`, else backward by `deadline` into the right
    /// one, and justifies the child; one within [`PARALLEL_CHILD_WITHIN`]
    /// of the best makespan is then decoded with the parallel scheme in the
    /// same direction and justified too.
    fn decode_child(&mut self, left: bool, deadline: i32, budget: &mut Budget, best: &mut Best) {
        for parallel in [false, true] {
            if budget.exhausted() || best.optimal() {
                return;
            }
            budget.tick();
            let engine = &mut *self.engine;
            let fit = if left {
                let decoded = if parallel {
                    engine.parallel_forward(&self.child_list)
                } else {
                    engine.serial_forward(&self.child_list)
                };
                let Ok(mk) = decoded else {
                    return;
                };
                // The parallel scheme may leave gaps where calendars or
                // release dates apply: such a best schedule is
                // left-justified at the end of the search.
                if parallel {
                    best.offer_parallel(engine, mk);
                }
                self.keep_left(mk, best);
                mk
            } else {
                let decoded = if parallel {
                    engine.parallel_backward(&self.child_list, deadline)
                } else {
                    engine.serial_backward(&self.child_list, deadline)
                };
                let Ok(first) = decoded else {
                    return;
                };
                self.keep_right(first, best)
            };
            let kept = if left { self.lj.kept } else { self.rj.kept };
            self.justify_child(fit, left, budget, best);
            let promising = kept && self.diversity.parallel_when_kept;
            if !promising && !within(fit, PARALLEL_CHILD_WITHIN, best) {
                return;
            }
        }
    }

    /// Justifies the child in the engine (left-justified if `left`, of
    /// makespan `fit`) in the other direction if it is within
    /// [`JUSTIFY_CHILD_WITHIN`] of the best makespan, and back and forth
    /// again while each pass shortens it and it stays within
    /// [`REJUSTIFY_WITHIN`]; every pass joins its population, so promising
    /// children feed both.
    fn justify_child(&mut self, fit: i32, left: bool, budget: &mut Budget, best: &mut Best) {
        if !within(fit, JUSTIFY_CHILD_WITHIN, best) {
            return;
        }
        let (mut fit, mut left) = (fit, left);
        while !budget.exhausted() && !best.optimal() {
            budget.tick();
            let next = if left {
                self.times.copy_from_slice(&self.engine.finish);
                let deadline = self.back_deadline(fit);
                let Ok(first) = self.engine.justify_backward(&self.times, deadline) else {
                    return;
                };
                self.keep_right(first, best)
            } else {
                self.times.copy_from_slice(&self.engine.start);
                let Ok(mk) = self.engine.justify_forward(&self.times) else {
                    return;
                };
                self.keep_left(mk, best);
                mk
            };
            if next >= fit || !within(next, REJUSTIFY_WITHIN, best) {
                return;
            }
            fit = next;
            left = !left;
        }
    }

    /// Offers the left-justified schedule in the engine (makespan `mk`) to
    /// `best` and to the left population.
    fn keep_left(&mut self, mk: i32, best: &mut Best) {
        best.offer(self.engine, mk);
        let c = self.engine_member(mk, 0, true);
        self.spare = self.lj.insert(c);
    }

    /// The schedule in the engine as a member (in the spare buffers) of
    /// fitness `fit`, start times measured from `first`; a left-justified
    /// one contributes its backward list, a right-justified one its forward
    /// list.
    fn engine_member(&mut self, fit: i32, first: i32, left: bool) -> Member {
        let mut c = self.take_spare();
        c.starts.copy_from_slice(&self.engine.start);
        c.finishes.copy_from_slice(&self.engine.finish);
        c.modes.copy_from_slice(&self.engine.mode);
        if left {
            self.engine.list_by_finish_desc(&c.finishes, &mut c.list);
        } else {
            self.engine.list_by_start(&c.starts, &mut c.list);
        }
        c.fit = fit;
        c.identify(first);
        c
    }

    /// Offers the right-justified schedule in the engine (first start
    /// `first`) to `best` and to the right population. Returns the makespan
    /// the schedule stands for: its span where it may be shifted to time 0,
    /// else its latest finish.
    fn keep_right(&mut self, first: i32, best: &mut Best) -> i32 {
        let max_finish = max_finish(self.engine);
        let span = max_finish - first;
        let shift_invariant = self.engine.m.shift_invariant();
        if shift_invariant {
            best.offer_shifted(self.engine, first, span);
        }
        let c = self.engine_member(span, first, false);
        self.spare = self.rj.insert(c);
        if shift_invariant { span } else { max_finish }
    }
}

/// Runs the genetic algorithm until the budget is spent or the lower bound
/// is met (or the populations cannot breed: tiny projects).
pub(crate) fn run<M: Model>(
    engine: &mut Engine<'_, M>,
    basis: &PriorityBasis,
    budget: &mut Budget,
    best: &mut Best,
    rng: &mut Pcg64Mcg,
) {
    let m = engine.m;
    let n = m.num_activities();
    let pop_size = population_size(budget, n);
    let lft = priority_values(m, basis, PriorityRule::Lft, rng);
    let mut ga = Ga::new(engine, pop_size, lft);
    ga.populate(basis, budget, best, rng);
    while !budget.exhausted() && !best.optimal() {
        if ga.rj.members.len() >= 2 {
            ga.forward_child(budget, best, rng);
        }
        if budget.exhausted() || best.optimal() {
            break;
        }
        if ga.lj.members.len() >= 2 {
            ga.backward_child(budget, best, rng);
        }
        if ga.lj.members.len() < 2 && ga.rj.members.len() < 2 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::instance::{Activity, Instance, Precedence, PrecedenceKind, Resource};
    use crate::schedule::{Schedule, verify};
    use crate::solve::SolveOptions;

    /// A random project of 40 activities on two resources.
    fn project(rng: &mut Pcg64Mcg) -> Instance {
        let n = 40;
        let acts = (0..n)
            .map(|_| {
                Activity::new(rng.random_range(1..6))
                    .with_demand(0, rng.random_range(0..4))
                    .with_demand(1, rng.random_range(0..3))
            })
            .collect();
        let mut precs = Vec::new();
        for b in 1..n {
            for a in 0..b {
                if rng.random::<f64>() < 0.06 {
                    precs.push(Precedence::fs(a, b));
                }
            }
        }
        let res = vec![Resource::constant(4), Resource::constant(3)];
        Instance::new(acts, res, precs).expect("valid random project")
    }

    /// A random project of 30 activities on three resources, some of them
    /// of zero duration (demands included), with relations of every kind
    /// and lags from -2 to 2.
    fn lagged_project(rng: &mut Pcg64Mcg) -> Instance {
        let n = 30;
        let acts = (0..n)
            .map(|_| {
                Activity::new(rng.random_range(0..5))
                    .with_demand(0, rng.random_range(0..4))
                    .with_demand(1, rng.random_range(0..3))
                    .with_demand(2, rng.random_range(0..2))
            })
            .collect();
        let kinds = [
            PrecedenceKind::FinishStart,
            PrecedenceKind::StartStart,
            PrecedenceKind::FinishFinish,
            PrecedenceKind::StartFinish,
        ];
        let mut precs = Vec::new();
        for b in 1..n {
            for a in 0..b {
                if rng.random::<f64>() < 0.08 {
                    let kind = kinds[rng.random_range(0..4)];
                    precs.push(Precedence::new(a, b, kind, rng.random_range(-2..3)));
                }
            }
        }
        let res = vec![
            Resource::constant(4),
            Resource::constant(3),
            Resource::constant(1),
        ];
        Instance::new(acts, res, precs).expect("valid random project")
    }

    /// The activities `0..n` in random order (Fisher-Yates).
    fn shuffled(n: usize, rng: &mut Pcg64Mcg) -> Vec<u32> {
        let mut list: Vec<u32> = (0..n as u32).collect();
        for k in (1..n).rev() {
            list.swap(k, rng.random_range(0..=k));
        }
        list
    }

    fn member(engine: &Engine<'_, Instance>, list: Vec<u32>) -> Member {
        Member {
            starts: engine.start.clone(),
            finishes: engine.finish.clone(),
            modes: engine.mode.clone(),
            list,
            fit: 0,
            hash: 0,
            signature: [0; CROWDING_SAMPLE],
        }
    }

    /// Every activity comes after those it depends on in the list's
    /// direction.
    fn in_order(m: &Instance, list: &[u32], backward: bool) -> bool {
        let mut at = vec![0; list.len()];
        for (k, &j) in list.iter().enumerate() {
            at[j as usize] = k;
        }
        (0..list.len()).all(|j| {
            let earlier = if backward { m.succs(j) } else { m.preds(j) };
            earlier.iter().all(|&i| at[i as usize] < at[j])
        })
    }

    fn with_starts(starts: Vec<i32>, fit: i32, first: i32) -> Member {
        let schedule = (starts.clone(), starts.clone(), vec![0; starts.len()]);
        Member::new(schedule, Vec::new(), fit, first)
    }

    #[test]
    fn a_child_competes_with_the_member_it_resembles_else_with_the_worst() {
        let n = 40;
        let a: Vec<i32> = (0..n).collect();
        let near_a = |fit: i32, first: i32| {
            let mut s: Vec<i32> = a.iter().map(|&x| x + first).collect();
            s[4] += 7;
            with_starts(s, fit, first)
        };
        let far = |base: i32, fit: i32| with_starts((0..n).map(|j| base + 3 * j).collect(), fit, 0);
        let fits = |p: &Pop| p.members.iter().map(|m| m.fit).collect::<Vec<_>>();
        let mut pop = Pop::new(3, Diversity::LARGE.crowding_distance);
        assert!(pop.insert(with_starts(a.clone(), 10, 0)).is_none());
        assert!(pop.insert(far(100, 12)).is_none());
        assert!(pop.insert(far(200, 20)).is_none());
        // Better than the worst, but not than the member it resembles.
        let back = pop.insert(near_a(11, 0)).expect("rejected");
        assert_eq!(back.fit, 11);
        assert!(!pop.kept);
        assert_eq!(fits(&pop), [10, 12, 20]);
        // Shifted in time (a right-justified schedule) it still resembles
        // that member, and replaces it when at least as good.
        let back = pop.insert(near_a(9, 5)).expect("the replaced member");
        assert_eq!(back.fit, 10);
        assert!(pop.kept);
        assert_eq!(fits(&pop), [9, 12, 20]);
        // Unlike every member: the worst goes, if the child is no worse.
        assert_eq!(pop.insert(far(300, 25)).expect("rejected").fit, 25);
        assert!(!pop.kept);
        assert_eq!(pop.insert(far(300, 15)).expect("the worst").fit, 20);
        assert!(pop.kept);
        assert_eq!(fits(&pop), [9, 12, 15]);
        // An exact copy is never taken, however good.
        let copy = with_starts(pop.members[1].starts.clone(), 12, 0);
        assert_eq!(pop.insert(copy).expect("a copy").fit, 12);
        assert!(!pop.kept);
        assert_eq!(fits(&pop), [9, 12, 15]);
    }

    #[test]
    fn only_children_near_the_best_are_justified_and_again_only_while_that_shortens_them() {
        let mut rng = Pcg64Mcg::seed_from_u64(11);
        let (mut repeated, mut single) = (0, 0);
        for _ in 0..60 {
            let inst = project(&mut rng);
            let n = inst.num_activities();
            let mut list = Model::topological_order(&inst).to_vec();
            for _ in 0..30 {
                shift_mutation(&inst, &mut list, false, &mut vec![0; n], &mut rng);
            }
            let budget_of = |schedules| {
                Budget::new(&SolveOptions {
                    max_schedules: schedules,
                    ..SolveOptions::default()
                })
            };
            let mut engine = Engine::new(&inst);
            let mut ga = Ga::new(&mut engine, 8, vec![0; n]);
            let mk = ga
                .engine
                .serial_forward(&list)
                .expect("no calendar, no release");

            // Far from the best (more than 5 % above it): no pass at all.
            let mut best = Best::new(&inst);
            best.makespan = (f64::from(mk) / 1.06).floor() as i32;
            let mut budget = budget_of(100);
            ga.justify_child(mk, true, &mut budget, &mut best);
            assert_eq!(budget.used, 0);
            assert!(ga.rj.members.is_empty() && ga.lj.members.is_empty());

            // The best itself: one right-justifying pass that joins the right
            // population, then more only while each pass shortens it.
            let mut best = Best::new(&inst);
            best.offer(ga.engine, mk);
            let mut budget = budget_of(100);
            ga.justify_child(mk, true, &mut budget, &mut best);
            assert!(budget.used >= 1);
            let first_right = &ga.rj.members[0];
            assert!(first_right.fit <= mk, "justification never lengthens");
            // Passes alternate: right, left, right, ...
            assert_eq!(ga.rj.members.len() as u64, budget.used.div_ceil(2));
            assert_eq!(ga.lj.members.len() as u64, budget.used / 2);
            if budget.used == 1 {
                single += 1;
            } else {
                assert!(
                    first_right.fit < mk,
                    "a second pass follows a shorter right-justified schedule"
                );
                assert!(best.makespan < mk);
                repeated += 1;
            }

            // A budget of one more schedule allows one pass only.
            let mut best = Best::new(&inst);
            best.offer(ga.engine, mk);
            let mut budget = budget_of(3);
            budget.tick();
            ga.engine.serial_forward(&list).expect("as above");
            ga.justify_child(mk, true, &mut budget, &mut best);
            assert_eq!(budget.used, 2);
        }
        assert!(
            single > 0 && repeated > 0,
            "{single} single, {repeated} repeated"
        );
    }

    #[test]
    fn only_children_near_the_best_are_decoded_with_the_parallel_scheme_too() {
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        for _ in 0..30 {
            let inst = project(&mut rng);
            let n = inst.num_activities();
            let mut list = Model::topological_order(&inst).to_vec();
            for _ in 0..30 {
                shift_mutation(&inst, &mut list, false, &mut vec![0; n], &mut rng);
            }
            let mut engine = Engine::new(&inst);
            let mk = engine
                .serial_forward(&list)
                .expect("no calendar, no release");
            let deadline = inst.horizon();
            let budget = || {
                Budget::new(&SolveOptions {
                    max_schedules: 100,
                    ..SolveOptions::default()
                })
            };
            for left in [true, false] {
                let mut ga = Ga::new(&mut engine, 8, vec![0; n]);
                ga.diversity = Diversity::LARGE;
                ga.child_list.clone_from(&list);
                if !left {
                    ga.child_list.reverse();
                }
                // Far from the best: the serial decode only.
                let far_best = || {
                    let mut best = Best::new(&inst);
                    best.makespan = (f64::from(mk) / 1.2).floor() as i32;
                    // Not provably optimal, so the search goes on.
                    best.lower_bound = 0;
                    best
                };
                let mut best = far_best();
                let mut far = budget();
                ga.decode_child(left, deadline, &mut far, &mut best);
                assert_eq!(far.used, 1);
                assert_eq!(ga.lj.members.len() + ga.rj.members.len(), 1);
                // Unless the settings for small projects apply and the
                // child was kept: then the parallel decode follows.
                let mut small = Ga::new(ga.engine, 8, vec![0; n]);
                assert_eq!(small.diversity, Diversity::SMALL);
                small.child_list.clone_from(&ga.child_list);
                let mut best = far_best();
                let mut far = budget();
                small.decode_child(left, deadline, &mut far, &mut best);
                assert!(far.used >= 2, "{} schedules", far.used);
                let mut ga = Ga::new(small.engine, 8, vec![0; n]);
                ga.diversity = Diversity::LARGE;
                ga.child_list.clone_from(&small.child_list);

                // The child sets the best: serial decode, at least one
                // justification pass, then the parallel decode.
                let mut best = Best::new(&inst);
                let mut near = budget();
                ga.decode_child(left, deadline, &mut near, &mut best);
                assert!(near.used >= 3, "{} schedules", near.used);
                if left {
                    assert!(best.makespan <= mk);
                }
            }
        }
    }

    /// The backward parallel scheme on a project is the forward one on the
    /// project with its precedences reversed, read backward in time from
    /// the deadline (capacities are constant, so time runs both ways alike).
    #[test]
    fn the_backward_parallel_scheme_mirrors_the_forward_one() {
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        for _ in 0..60 {
            let inst = project(&mut rng);
            let reversed = Instance::new(
                inst.activities().to_vec(),
                inst.resources().to_vec(),
                inst.precedences()
                    .iter()
                    .map(|p| Precedence::fs(p.succ, p.pred))
                    .collect(),
            )
            .expect("reversing keeps the project acyclic");
            let n = inst.num_activities();
            // A priority list that is no topological order of either.
            let list = shuffled(n, &mut rng);
            let mut forward = Engine::new(&reversed);
            let mk = forward
                .parallel_forward(&list)
                .expect("no calendar, no release");
            let mut backward = Engine::new(&inst);
            let deadline = mk + rng.random_range(0..20);
            let first = backward
                .parallel_backward(&list, deadline)
                .expect("no calendar, no release");
            assert_eq!(first, deadline - mk);
            for j in 0..n {
                assert_eq!(
                    (backward.start[j], backward.finish[j]),
                    (deadline - forward.finish[j], deadline - forward.start[j]),
                    "activity {j}"
                );
            }
            let starts = backward.start.iter().map(|&s| (s - first) as u32).collect();
            let schedule = Schedule::new(&inst, starts).expect("one start per activity");
            assert_eq!(verify(&inst, &schedule), Ok(()));
        }
    }

    /// On constant capacities the parallel schemes check only a window's
    /// first (forward) or last (backward) slot; a project with a varying
    /// capacity that nothing demands takes the general path and must get
    /// the same schedules.
    #[test]
    fn the_parallel_schemes_fast_paths_agree_with_the_general_ones() {
        let mut rng = Pcg64Mcg::seed_from_u64(9);
        for round in 0..120 {
            // Every other project with zero durations and all four kinds of
            // relation, leads included.
            let inst = if round % 2 == 0 {
                project(&mut rng)
            } else {
                lagged_project(&mut rng)
            };
            let mut resources = inst.resources().to_vec();
            resources.push(Resource::with_profile(vec![(0, 1), (5, 2)]));
            let general = Instance::new(
                inst.activities().to_vec(),
                resources,
                inst.precedences().to_vec(),
            )
            .expect("one more resource");
            assert!(inst.is_shift_invariant() && !general.is_shift_invariant());
            let list = shuffled(inst.num_activities(), &mut rng);
            let (mut fast, mut slow) = (Engine::new(&inst), Engine::new(&general));
            let mk = fast.parallel_forward(&list).expect("fits");
            assert_eq!(slow.parallel_forward(&list), Ok(mk));
            assert_eq!((&fast.start, &fast.finish), (&slow.start, &slow.finish));
            // The static horizon fits every backward schedule.
            let deadline = Model::horizon(&inst) + rng.random_range(0..20);
            let first = fast.parallel_backward(&list, deadline).expect("fits");
            assert_eq!(slow.parallel_backward(&list, deadline), Ok(first));
            assert_eq!((&fast.start, &fast.finish), (&slow.start, &slow.finish));
        }
    }

    #[test]
    fn peak_crossover_keeps_a_block_of_the_mother_and_the_fathers_order() {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let mut crossed = 0;
        for _ in 0..40 {
            let inst = project(&mut rng);
            let n = inst.num_activities();
            let mut engine = Engine::new(&inst);
            let mut list = Model::topological_order(&inst).to_vec();
            shift_mutation(&inst, &mut list, false, &mut vec![0; n], &mut rng);
            let mk = engine
                .serial_forward(&list)
                .expect("no calendar, no release");
            let finishes = engine.finish.clone();
            let mut by_finish = Vec::new();
            engine.list_by_finish_desc(&finishes, &mut by_finish);
            let left = member(&engine, by_finish);
            engine
                .justify_backward(&finishes, mk)
                .expect("the forward makespan is a feasible deadline");
            let starts = engine.start.clone();
            let mut by_start = Vec::new();
            engine.list_by_start(&starts, &mut by_start);
            let right = member(&engine, by_start);
            for (mother, backward) in [(&right, false), (&left, true)] {
                let mut father = mother.list.clone();
                for _ in 0..20 {
                    shift_mutation(&inst, &mut father, backward, &mut vec![0; n], &mut rng);
                }
                let (mut scratch, mut seen, mut child) =
                    (PeakScratch::default(), vec![false; n], Vec::new());
                let Some(block) = peak_crossover(
                    &inst,
                    mother,
                    &father,
                    backward,
                    &mut rng,
                    &mut scratch,
                    &mut seen,
                    &mut child,
                ) else {
                    continue;
                };
                crossed += 1;
                let mut sorted = child.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, (0..n as u32).collect::<Vec<_>>());
                assert!(in_order(&inst, &child, backward));
                let held = &child[block.clone()];
                assert!(held.len() >= 2);
                assert!(
                    mother.list.windows(held.len()).any(|w| w == held),
                    "the block is a run of the mother's list"
                );
                let mut at = vec![0; n];
                for (k, &j) in father.iter().enumerate() {
                    at[j as usize] = k;
                }
                let fathers_order = |part: &[u32]| {
                    part.windows(2)
                        .all(|w| at[w[0] as usize] < at[w[1] as usize])
                };
                assert!(fathers_order(&child[..block.start]));
                assert!(fathers_order(&child[block.end..]));
            }
        }
        assert!(crossed > 40, "only {crossed} crossovers took a block");
    }
}
