//! Bi-population genetic algorithm with justification, followed by an
//! iterated local search on the best schedule.
//!
//! Phase 1 follows the bi-population idea of Debels & Vanhoucke (2005,
//! 2007): one population holds left-justified schedules, the other
//! right-justified ones. Children of two right-justified parents are decoded
//! with the forward serial SGS (which left-justifies them) and join the left
//! population; children of left-justified parents are decoded backward and
//! join the right population. Every child therefore costs one schedule and is
//! at the same time a justification pass (Valls, Ballestín & Quintanilla
//! 2005). Lists are recombined with Hartmann's (1998) two-point crossover.
//!
//! Phase 2 spends the rest of the budget on an iterated local search around
//! the best schedule: a few random precedence-feasible shift moves on its
//! activity list, a forward decode, one forward-backward improvement round,
//! and acceptance of equal or better makespans so the search walks across
//! plateaus.

use rand::RngExt;
use rand_pcg::Pcg64Mcg;

use crate::instance::Derived;
use crate::priority::{PriorityRule, list_from_values, priority_values, regret_biased_list};
use crate::sgs::{Engine, makespan_of};
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

/// Population size per population: small budgets need fast convergence,
/// large ones diversity.
fn population_size(budget: &Budget) -> usize {
    (budget.remaining() / 60).clamp(30, 150) as usize
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
fn swap_mutation(d: &Derived, list: &mut [u32], p: f64, rng: &mut Pcg64Mcg) {
    for k in 0..list.len().saturating_sub(1) {
        if rng.random::<f64>() < p {
            let (a, b) = (list[k], list[k + 1]);
            let related = d.succs(a as usize).iter().any(|&(x, _)| x == b)
                || d.succs(b as usize).iter().any(|&(x, _)| x == a);
            if !related {
                list.swap(k, k + 1);
            }
        }
    }
}

/// Moves one random activity to a random position between its last
/// predecessor and first successor in the list (for backward lists, which
/// are reverse-topological, the roles of predecessors and successors swap).
fn shift_mutation(
    d: &Derived,
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
        (d.succs(j), d.preds(j))
    } else {
        (d.preds(j), d.succs(j))
    };
    let lo = before
        .iter()
        .map(|&(i, _)| pos[i as usize] as usize + 1)
        .max()
        .unwrap_or(0);
    let hi = after
        .iter()
        .map(|&(i, _)| pos[i as usize] as usize)
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

struct Ga<'e, 'a> {
    engine: &'e mut Engine<'a>,
    lj: Pop,
    rj: Pop,
    seen: Vec<bool>,
    pos: Vec<u32>,
    spare: Option<Member>,
    child_list: Vec<u32>,
    lft: Vec<i64>,
}

impl Ga<'_, '_> {
    /// Backward decodes of shift-invariant instances use the static horizon
    /// as deadline (they never fail and are shifted afterwards); otherwise
    /// the real makespan, as release dates and calendars pin the time axis.
    fn back_deadline(&self, mk: i32) -> i32 {
        let d = self.engine.d;
        if d.shift_invariant { d.horizon } else { mk }
    }

    fn take_spare(&mut self) -> Member {
        let n = self.engine.d.n;
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
        let d = engine.d;
        let n = d.n;
        budget.tick();
        let r = if parallel {
            engine.parallel_forward(list)
        } else {
            engine.serial_forward(list)
        };
        let Ok(mut mk) = r else {
            return;
        };
        best.offer(&engine.start, mk);
        let mut fwd = engine.start.clone();
        let mut back = None;
        if !budget.exhausted() && !best.optimal() {
            budget.tick();
            let deadline = if d.shift_invariant { d.horizon } else { mk };
            if let Ok(first) = engine.justify_backward(&fwd, deadline) {
                let span = makespan_of(d, &engine.start) - first;
                if d.shift_invariant {
                    best.offer_shifted(&engine.start, first, span);
                }
                let bs = engine.start.clone();
                if !budget.exhausted() {
                    budget.tick();
                    if let Ok(m2) = engine.justify_forward(&bs) {
                        best.offer(&engine.start, m2);
                        if m2 <= mk {
                            mk = m2;
                            fwd.copy_from_slice(&engine.start);
                        }
                    }
                }
                back = Some((bs, first, span));
            }
        }
        let mut blist = Vec::with_capacity(n);
        engine.list_by_finish_desc(&fwd, &mut blist);
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
    fn populate(&mut self, budget: &mut Budget, best: &mut Best, rng: &mut Pcg64Mcg) {
        let d = self.engine.d;
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
                    list_from_values(d, &priority_values(d, rule, rng)),
                    k % 2 == 1,
                )
            } else {
                (
                    regret_biased_list(d, &self.lft, rng),
                    rng.random::<f64>() < PARALLEL_SEEDS,
                )
            };
            self.seed(&list, parallel, budget, best);
            k += 1;
        }
    }

    /// Recombines two members of `pop` into `self.child_list`.
    fn make_child(&mut self, from_right: bool, rng: &mut Pcg64Mcg) -> (usize, usize) {
        let d = self.engine.d;
        let n = d.n;
        let pop = if from_right { &self.rj } else { &self.lj };
        let (a, b) = (pop.tournament(rng), pop.tournament(rng));
        let (mother, father) = (&pop.members[a].list, &pop.members[b].list);
        let q1 = rng.random_range(0..=n);
        let q2 = rng.random_range(0..=n);
        let (q1, q2) = (q1.min(q2), q1.max(q2));
        two_point(mother, father, q1, q2, &mut self.seen, &mut self.child_list);
        let backward = !from_right;
        swap_mutation(d, &mut self.child_list, SWAP_RATE, rng);
        if rng.random::<f64>() < SHIFT_RATE {
            shift_mutation(d, &mut self.child_list, backward, &mut self.pos, rng);
        }
        // A child equal to a parent's list decodes to that parent's
        // justification, which the other population most likely holds
        // already: perturb it rather than spend a schedule on a copy.
        let mut tries = 0;
        while tries < 8 && (self.child_list == *mother || self.child_list == *father) {
            shift_mutation(d, &mut self.child_list, backward, &mut self.pos, rng);
            tries += 1;
        }
        (a, b)
    }

    /// Right-justified parents, forward SGS: a left-justified child.
    fn forward_child(&mut self, budget: &mut Budget, best: &mut Best, rng: &mut Pcg64Mcg) {
        self.make_child(true, rng);
        budget.tick();
        let Ok(mk) = self.engine.serial_forward(&self.child_list) else {
            return;
        };
        best.offer(&self.engine.start, mk);
        let mut c = self.take_spare();
        c.starts.copy_from_slice(&self.engine.start);
        self.engine.list_by_finish_desc(&c.starts, &mut c.list);
        c.fit = mk;
        c.hash = hash_starts(&c.starts, 0);
        self.spare = self.lj.insert(c);
    }

    /// Left-justified parents, backward SGS: a right-justified child.
    fn backward_child(&mut self, budget: &mut Budget, best: &mut Best, rng: &mut Pcg64Mcg) {
        let d = self.engine.d;
        let (a, b) = self.make_child(false, rng);
        let deadline = self.back_deadline(self.lj.members[a].fit.max(self.lj.members[b].fit));
        budget.tick();
        let Ok(first) = self.engine.serial_backward(&self.child_list, deadline) else {
            return;
        };
        let span = makespan_of(d, &self.engine.start) - first;
        if d.shift_invariant {
            best.offer_shifted(&self.engine.start, first, span);
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
pub(crate) fn run(
    engine: &mut Engine<'_>,
    budget: &mut Budget,
    best: &mut Best,
    rng: &mut Pcg64Mcg,
) {
    let d = engine.d;
    let n = d.n;
    let pop_size = population_size(budget);
    let phase_end = budget.split(GA_SHARE);
    let lft = priority_values(d, PriorityRule::Lft, rng);
    let mut ga = Ga {
        engine,
        lj: Pop::new(pop_size),
        rj: Pop::new(pop_size),
        seen: vec![false; n],
        pos: vec![0; n],
        spare: None,
        child_list: Vec::with_capacity(n),
        lft,
    };
    ga.populate(budget, best, rng);
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

/// Iterated local search on the best schedule (phase 2).
pub(crate) fn local_search(
    engine: &mut Engine<'_>,
    budget: &mut Budget,
    best: &mut Best,
    rng: &mut Pcg64Mcg,
) {
    let d = engine.d;
    let n = d.n;
    let mut cur = best.starts.clone();
    let mut cur_mk = best.makespan;
    let mut list = Vec::with_capacity(n);
    let mut pos = vec![0u32; n];
    let mut fwd = vec![0i32; n];
    let mut back = vec![0i32; n];
    while !budget.exhausted() && !best.optimal() {
        engine.list_by_start(&cur, &mut list);
        for _ in 0..rng.random_range(1..=PERTURB_MOVES) {
            shift_mutation(d, &mut list, false, &mut pos, rng);
        }
        budget.tick();
        let Ok(mut mk) = engine.serial_forward(&list) else {
            continue;
        };
        best.offer(&engine.start, mk);
        fwd.copy_from_slice(&engine.start);
        // One justification round: a second one rarely pays for its two
        // schedules.
        if !budget.exhausted() {
            budget.tick();
            let deadline = if d.shift_invariant { d.horizon } else { mk };
            if let Ok(first) = engine.justify_backward(&fwd, deadline) {
                let span = makespan_of(d, &engine.start) - first;
                if d.shift_invariant {
                    best.offer_shifted(&engine.start, first, span);
                }
                if !budget.exhausted() {
                    back.copy_from_slice(&engine.start);
                    budget.tick();
                    if let Ok(m2) = engine.justify_forward(&back) {
                        best.offer(&engine.start, m2);
                        if m2 <= mk {
                            mk = m2;
                            fwd.copy_from_slice(&engine.start);
                        }
                    }
                }
            }
        }
        if mk <= cur_mk {
            cur_mk = mk;
            cur.copy_from_slice(&fwd);
        }
    }
}
