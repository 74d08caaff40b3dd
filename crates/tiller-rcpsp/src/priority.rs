//! Priority rules (Kolisch 1996; Kolisch & Hartmann 1999) and the
//! construction of precedence-feasible activity lists from them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::instance::Derived;

/// Priority rule used to build an activity list. In every case the list is
/// a topological order; the rule only decides among activities whose
/// predecessors are already listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PriorityRule {
    /// Latest finish time (precedence-only backward pass) first.
    Lft,
    /// Latest start time first.
    Lst,
    /// Most total (transitive) successors first.
    Mts,
    /// Greatest rank positional weight: own duration plus durations of
    /// immediate successors.
    Grpw,
    /// Minimum slack (latest minus earliest start) first.
    MinSlack,
    /// Uniformly random among eligible activities.
    Random,
}

impl PriorityRule {
    pub const DETERMINISTIC: [PriorityRule; 5] = [
        PriorityRule::Lft,
        PriorityRule::Lst,
        PriorityRule::Mts,
        PriorityRule::Grpw,
        PriorityRule::MinSlack,
    ];
}

/// Precedence-only latest starts for the critical-path horizon.
pub(crate) fn latest_starts(d: &Derived) -> Vec<i32> {
    let horizon = d.cpm;
    let mut ls = vec![0i32; d.n];
    for &j in d.topo.iter().rev() {
        let j = j as usize;
        let mut v = horizon - d.dur[j];
        for &(k, dd) in d.succs(j) {
            v = v.min(ls[k as usize] - dd);
        }
        ls[j] = v;
    }
    ls
}

/// Number of transitive successors of every activity. Exact (bitsets) up to
/// a size where n^2 bits stay small, an upper-bound estimate beyond.
fn total_successors(d: &Derived) -> Vec<i64> {
    let n = d.n;
    let mut count = vec![0i64; n];
    if n <= 16_384 {
        let words = n.div_ceil(64);
        let mut bits = vec![0u64; n * words];
        for &j in d.topo.iter().rev() {
            let j = j as usize;
            for &(k, _) in d.succs(j) {
                let k = k as usize;
                bits[j * words + k / 64] |= 1 << (k % 64);
                // Successors come later in topological order, so their sets
                // are complete; copy k's row into j's.
                let (lo, hi) = if j < k {
                    let (a, b) = bits.split_at_mut(k * words);
                    (&mut a[j * words..(j + 1) * words], &b[..words])
                } else {
                    let (a, b) = bits.split_at_mut(j * words);
                    (&mut b[..words], &a[k * words..(k + 1) * words])
                };
                for (x, y) in lo.iter_mut().zip(hi) {
                    *x |= *y;
                }
            }
            count[j] = bits[j * words..(j + 1) * words]
                .iter()
                .map(|w| i64::from(w.count_ones()))
                .sum();
        }
    } else {
        for &j in d.topo.iter().rev() {
            let j = j as usize;
            let mut c = 0i64;
            for &(k, _) in d.succs(j) {
                c += 1 + count[k as usize];
            }
            count[j] = c.min(n as i64);
        }
    }
    count
}

/// Priority value per activity, smaller = scheduled earlier.
pub(crate) fn priority_values(d: &Derived, rule: PriorityRule, rng: &mut impl Rng) -> Vec<i64> {
    match rule {
        PriorityRule::Lft => {
            let ls = latest_starts(d);
            (0..d.n).map(|j| i64::from(ls[j] + d.dur[j])).collect()
        }
        PriorityRule::Lst => latest_starts(d).into_iter().map(i64::from).collect(),
        PriorityRule::Mts => total_successors(d).into_iter().map(|c| -c).collect(),
        PriorityRule::Grpw => (0..d.n)
            .map(|j| {
                let w: i64 = d
                    .succs(j)
                    .iter()
                    .map(|&(k, _)| i64::from(d.dur[k as usize]))
                    .sum();
                -(i64::from(d.dur[j]) + w)
            })
            .collect(),
        PriorityRule::MinSlack => {
            let ls = latest_starts(d);
            (0..d.n).map(|j| i64::from(ls[j] - d.es[j])).collect()
        }
        PriorityRule::Random => (0..d.n).map(|_| rng.random_range(0..1i64 << 40)).collect(),
    }
}

/// Topological list taking, at each step, the eligible activity with the
/// smallest value (ties by topological rank, hence deterministic).
pub(crate) fn list_from_values(d: &Derived, values: &[i64]) -> Vec<u32> {
    let mut indeg: Vec<u32> = (0..d.n)
        .map(|j| d.pred_off[j + 1] - d.pred_off[j])
        .collect();
    let mut heap: BinaryHeap<Reverse<(i64, u32, u32)>> = (0..d.n)
        .filter(|&j| indeg[j] == 0)
        .map(|j| Reverse((values[j], d.rank[j], j as u32)))
        .collect();
    let mut list = Vec::with_capacity(d.n);
    while let Some(Reverse((_, _, j))) = heap.pop() {
        list.push(j);
        for &(k, _) in d.succs(j as usize) {
            let k = k as usize;
            indeg[k] -= 1;
            if indeg[k] == 0 {
                heap.push(Reverse((values[k], d.rank[k], k as u32)));
            }
        }
    }
    list
}

/// Regret-based biased random sampling (Drexl 1991; Kolisch & Drexl 1996):
/// eligible activity `j` is picked with probability proportional to
/// `(max_i v_i - v_j + 1)^2`, so the rule's ranking is followed loosely.
/// Cost O(n * eligible), meant for small and medium instances.
pub(crate) fn regret_biased_list(d: &Derived, values: &[i64], rng: &mut impl Rng) -> Vec<u32> {
    let mut indeg: Vec<u32> = (0..d.n)
        .map(|j| d.pred_off[j + 1] - d.pred_off[j])
        .collect();
    let mut eligible: Vec<u32> = (0..d.n as u32)
        .filter(|&j| indeg[j as usize] == 0)
        .collect();
    let mut weights: Vec<f64> = Vec::new();
    let mut list = Vec::with_capacity(d.n);
    while !eligible.is_empty() {
        let vmax = eligible
            .iter()
            .map(|&j| values[j as usize])
            .max()
            .unwrap_or(0);
        weights.clear();
        let mut total = 0.0;
        for &j in &eligible {
            let w = (vmax - values[j as usize] + 1) as f64;
            let w = w * w;
            total += w;
            weights.push(w);
        }
        let mut x = rng.random::<f64>() * total;
        let mut pick = eligible.len() - 1;
        for (k, &w) in weights.iter().enumerate() {
            if x < w {
                pick = k;
                break;
            }
            x -= w;
        }
        let j = eligible.swap_remove(pick);
        list.push(j);
        for &(k, _) in d.succs(j as usize) {
            let k = k as usize;
            indeg[k] -= 1;
            if indeg[k] == 0 {
                eligible.push(k as u32);
            }
        }
    }
    list
}
