//! Bi-population genetic algorithm with justification, followed by an
//! iterated local search on the best schedule.
//!
//! Phase 1 follows the bi-population idea of Debels & Vanhoucke (2005,
//! 2007): one population holds left-justified schedules, the other
//! right-justified ones. Children of two right-justified parents are decoded
//! with the forward serial SGS (which left-justifies them) and join the left
//! population; children of left-justified parents are decoded backward and
//! join the right population. Every decode is therefore at the same time a
//! justification pass (Valls, Ballestín & Quintanilla 2005); left-justified
//! children are right-justified once more, so they feed both populations.
//! Lists are recombined with Hartmann's (1998) two-point crossover.
//!
//! Phase 2 spends the rest of the budget on an iterated local search around
//! the current schedule: a few precedence-feasible shift moves on its
//! activity list — mostly moving an activity of its critical chain (the
//! activities ending right where a critical one starts, through a
//! precedence or a shared resource) earlier in the list, else a random
//! shift — a forward decode, one forward-backward improvement round, and
//! acceptance of equal or better makespans so the search walks across
//! plateaus.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

use crate::model::{Model, PriorityBasis};
use crate::priority::{PriorityRule, list_from_values, priority_values, regret_biased_list};
use crate::sgs::Engine;
use crate::solve::{Best, Budget};

/// Share of the budget spent in the genetic phase; the rest goes to the
/// local search. Tuned on PSPLIB J30/J120 at 1,000 and 5,000 schedules.
const GA_SHARE: f64 = 0.6;
/// Probability per list position of swapping unrelated neighbours.
const SWAP_RATE: f64 = 0.05;
/// Probability of one shift move on a child.
const SHIFT_RATE: f64 = 0.5;
/// Share of parallel-SGS decodes among sampled starting individuals.
const PARALLEL_SEEDS: f64 = 0.5;
/// Maximum number of shift moves per local-search perturbation.
const PERTURB_MOVES: usize = 3;
/// Share of local-search moves that move a critical activity earlier in
/// the list (the others are random shifts). Tuned on PSPLIB J30/J120.
const CRITICAL_MOVES: f64 = 0.8;

/// Population size per population: small budgets need fast convergence,
/// large ones diversity (400 measured best at 50,000 schedules on J120).
fn population_size(budget: &Budget) -> usize {
    (budget.remaining() / 60).clamp(30, 400) as usize
}

struct Member {
    starts: Vec<i32>,
    /// The list this member contributes as a parent: for left-justified
    /// members the backward list (finish descending), for right-justified
    /// members the forward list (start ascending).
    list: Vec<u32>,
    /// Makespan (left-justified) or span (right-justified).
    fit: i32,
    hash: u64,
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
}

impl Pop {
    fn new(cap: usize) -> Self {
        Self {
            members: Vec::with_capacity(cap),
            cap,
        }
    }

    /// Inserts the child if there is room, or in place of the worst member
    /// if it is at least as good and not a copy of a member. Returns the
    /// buffers left over (the rejected child or the evicted member).
    fn insert(&mut self, mut child: Member) -> Option<Member> {
        if self
            .members
            .iter()
            .any(|m| m.hash == child.hash && m.fit == child.fit)
        {
            return Some(child);
        }
        if self.members.len() < self.cap {
            self.members.push(child);
            return None;
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
        }
        Some(child)
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
    child_finish: Vec<i32>,
    lft: Vec<i64>,
}

/// Latest finish among the engine's activities.
fn max_finish<M: Model>(engine: &Engine<'_, M>) -> i32 {
    engine.finish.iter().copied().max().unwrap_or(0)
}

impl<M: Model> Ga<'_, '_, M> {
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
            list: Vec::with_capacity(n),
            fit: 0,
            hash: 0,
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
                if !budget.exhausted() {
                    budget.tick();
                    if let Ok(m2) = engine.justify_forward(&bs) {
                        best.offer(engine, m2);
                        if m2 <= mk {
                            mk = m2;
                            fwd.copy_from_slice(&engine.start);
                            fwd_f.copy_from_slice(&engine.finish);
                        }
                    }
                }
                back = Some((bs, first, span));
            }
        }
        let mut blist = Vec::with_capacity(n);
        engine.list_by_finish_desc(&fwd_f, &mut blist);
        self.lj.insert(Member {
            hash: hash_starts(&fwd, 0),
            starts: fwd,
            list: blist,
            fit: mk,
        });
        if let Some((starts, first, span)) = back {
            let mut flist = Vec::with_capacity(n);
            engine.list_by_start(&starts, &mut flist);
            self.rj.insert(Member {
                hash: hash_starts(&starts, first),
                starts,
                list: flist,
                fit: span,
            });
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
        let q1 = rng.random_range(0..=n);
        let q2 = rng.random_range(0..=n);
        let (q1, q2) = (q1.min(q2), q1.max(q2));
        two_point(mother, father, q1, q2, &mut self.seen, &mut self.child_list);
        let backward = !from_right;
        swap_mutation(m, &mut self.child_list, SWAP_RATE, rng);
        if rng.random::<f64>() < SHIFT_RATE {
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

    /// Right-justified parents, forward SGS: a left-justified child, which
    /// is then right-justified too (one more schedule) and offered to the
    /// right population. The second offspring per forward child measured
    /// about 0.06 points better on PSPLIB J120 at 1,000 schedules and 0.1
    /// at 5,000 (eight and two seeds), neutral on J30 and J60.
    fn forward_child(&mut self, budget: &mut Budget, best: &mut Best, rng: &mut Pcg64Mcg) {
        self.make_child(true, rng);
        budget.tick();
        let Ok(mk) = self.engine.serial_forward(&self.child_list) else {
            return;
        };
        best.offer(self.engine, mk);
        let mut c = self.take_spare();
        c.starts.copy_from_slice(&self.engine.start);
        self.child_finish.copy_from_slice(&self.engine.finish);
        self.engine
            .list_by_finish_desc(&self.child_finish, &mut c.list);
        c.fit = mk;
        c.hash = hash_starts(&c.starts, 0);
        self.spare = self.lj.insert(c);
        if budget.exhausted() || best.optimal() {
            return;
        }
        budget.tick();
        let deadline = self.back_deadline(mk);
        if let Ok(first) = self.engine.justify_backward(&self.child_finish, deadline) {
            self.keep_right(first, best);
        }
    }

    /// Left-justified parents, backward SGS: a right-justified child.
    fn backward_child(&mut self, budget: &mut Budget, best: &mut Best, rng: &mut Pcg64Mcg) {
        let (a, b) = self.make_child(false, rng);
        let deadline = self.back_deadline(self.lj.members[a].fit.max(self.lj.members[b].fit));
        budget.tick();
        if let Ok(first) = self.engine.serial_backward(&self.child_list, deadline) {
            self.keep_right(first, best);
        }
    }

    /// Offers the right-justified schedule in the engine (first start
    /// `first`) to `best` and to the right population.
    fn keep_right(&mut self, first: i32, best: &mut Best) {
        let span = max_finish(self.engine) - first;
        if self.engine.m.shift_invariant() {
            best.offer_shifted(self.engine, first, span);
        }
        let mut c = self.take_spare();
        c.starts.copy_from_slice(&self.engine.start);
        self.engine.list_by_start(&c.starts, &mut c.list);
        c.fit = span;
        c.hash = hash_starts(&c.starts, first);
        self.spare = self.rj.insert(c);
    }
}

/// Runs both phases until the budget is spent or the lower bound is met.
pub(crate) fn run<M: Model>(
    engine: &mut Engine<'_, M>,
    basis: &PriorityBasis,
    budget: &mut Budget,
    best: &mut Best,
    rng: &mut Pcg64Mcg,
) {
    let m = engine.m;
    let n = m.num_activities();
    let pop_size = population_size(budget);
    let phase_end = budget.split(GA_SHARE);
    let lft = priority_values(m, basis, PriorityRule::Lft, rng);
    let mut ga = Ga {
        engine,
        lj: Pop::new(pop_size),
        rj: Pop::new(pop_size),
        seen: vec![false; n],
        pos: vec![0; n],
        spare: None,
        child_list: Vec::with_capacity(n),
        child_finish: vec![0; n],
        lft,
    };
    ga.populate(basis, budget, best, rng);
    while !budget.exhausted() && !best.optimal() && !budget.reached(&phase_end) {
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
    local_search(ga.engine, budget, best, rng);
}

/// Activities on a critical chain of the schedule: from those finishing
/// last, back through activities ending in the slot just before a critical
/// activity starts that are its predecessors or share a resource with it.
fn critical_activities<M: Model>(
    m: &M,
    start: &[i32],
    finish: &[i32],
    modes: &[u32],
    out: &mut Vec<u32>,
    mark: &mut [bool],
) {
    let n = m.num_activities();
    out.clear();
    mark.fill(false);
    let mk = finish.iter().copied().max().unwrap_or(0);
    let slots = |j: usize| m.slots(j, modes[j] as usize, start[j], finish[j]);
    let mut stack: Vec<usize> = (0..n).filter(|&j| finish[j] == mk).collect();
    for &j in &stack {
        mark[j] = true;
    }
    // Activities by end slot, to find who ends right before a start.
    let mut by_end: Vec<(usize, u32)> = (0..n).map(|j| (slots(j).1, j as u32)).collect();
    by_end.sort_unstable();
    while let Some(j) = stack.pop() {
        out.push(j as u32);
        let lo = slots(j).0;
        let dj = m.demands(j, modes[j] as usize);
        let from = by_end.partition_point(|e| e.0 < lo);
        for &(end, k) in &by_end[from..] {
            if end != lo {
                break;
            }
            let k = k as usize;
            if mark[k] || k == j {
                continue;
            }
            let dk = m.demands(k, modes[k] as usize);
            let linked = m.preds(j).contains(&(k as u32))
                || dk.iter().any(|a| dj.iter().any(|b| a.0 == b.0));
            if linked {
                mark[k] = true;
                stack.push(k);
            }
        }
        for &i in m.preds(j) {
            let i = i as usize;
            if !mark[i] && slots(i).1 == lo {
                mark[i] = true;
                stack.push(i);
            }
        }
    }
}

/// Moves critical activity `j` to a random earlier list position after its
/// last predecessor. Returns false if it cannot move.
fn critical_shift<M: Model>(
    m: &M,
    list: &mut [u32],
    j: usize,
    pos: &mut [u32],
    rng: &mut Pcg64Mcg,
) -> bool {
    for (k, &a) in list.iter().enumerate() {
        pos[a as usize] = k as u32;
    }
    let k = pos[j] as usize;
    let lo = m
        .preds(j)
        .iter()
        .map(|&i| pos[i as usize] as usize + 1)
        .max()
        .unwrap_or(0);
    if lo >= k {
        return false;
    }
    let target = rng.random_range(lo..k);
    list[target..=k].rotate_right(1);
    true
}

/// Iterated local search on the best schedule (phase 2).
pub(crate) fn local_search<M: Model>(
    engine: &mut Engine<'_, M>,
    budget: &mut Budget,
    best: &mut Best,
    rng: &mut Pcg64Mcg,
) {
    let m = engine.m;
    let n = m.num_activities();
    let mut cur = best.starts.clone();
    let mut cur_f = best.finishes.clone();
    let mut cur_m = best.modes.clone();
    let mut cur_mk = best.makespan;
    let mut list = Vec::with_capacity(n);
    let mut pos = vec![0u32; n];
    let mut fwd = vec![0i32; n];
    let mut fwd_f = vec![0i32; n];
    let mut fwd_m = vec![0u32; n];
    let mut back = vec![0i32; n];
    let mut crit = Vec::with_capacity(n);
    let mut mark = vec![false; n];
    let mut crit_valid = false;
    while !budget.exhausted() && !best.optimal() {
        engine.list_by_start(&cur, &mut list);
        if !crit_valid {
            critical_activities(m, &cur, &cur_f, &cur_m, &mut crit, &mut mark);
            crit_valid = true;
        }
        for _ in 0..rng.random_range(1..=PERTURB_MOVES) {
            let moved = !crit.is_empty()
                && rng.random::<f64>() < CRITICAL_MOVES
                && critical_shift(
                    m,
                    &mut list,
                    crit[rng.random_range(0..crit.len())] as usize,
                    &mut pos,
                    rng,
                );
            if !moved {
                shift_mutation(m, &mut list, false, &mut pos, rng);
            }
        }
        budget.tick();
        let Ok(mut mk) = engine.serial_forward(&list) else {
            continue;
        };
        best.offer(engine, mk);
        fwd.copy_from_slice(&engine.start);
        fwd_f.copy_from_slice(&engine.finish);
        fwd_m.copy_from_slice(&engine.mode);
        // One justification round: a second one rarely pays for its two
        // schedules.
        if !budget.exhausted() {
            budget.tick();
            let deadline = if m.shift_invariant() { m.horizon() } else { mk };
            if let Ok(first) = engine.justify_backward(&fwd_f, deadline) {
                let span = max_finish(engine) - first;
                if m.shift_invariant() {
                    best.offer_shifted(engine, first, span);
                }
                if !budget.exhausted() {
                    back.copy_from_slice(&engine.start);
                    budget.tick();
                    if let Ok(m2) = engine.justify_forward(&back) {
                        best.offer(engine, m2);
                        if m2 <= mk {
                            mk = m2;
                            fwd.copy_from_slice(&engine.start);
                            fwd_f.copy_from_slice(&engine.finish);
                            fwd_m.copy_from_slice(&engine.mode);
                        }
                    }
                }
            }
        }
        if mk <= cur_mk {
            cur_mk = mk;
            cur.copy_from_slice(&fwd);
            cur_f.copy_from_slice(&fwd_f);
            cur_m.copy_from_slice(&fwd_m);
            crit_valid = false;
        }
    }
}
