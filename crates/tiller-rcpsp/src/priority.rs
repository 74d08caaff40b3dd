//! Priority rules (Kolisch 1996; Kolisch & Hartmann 1999) and the
//! construction of precedence-feasible activity lists from them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::instance::Derived;
use crate::model::{Model, PriorityBasis};

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
fn total_successors<M: Model>(m: &M) -> Vec<i64> {
    let n = m.num_activities();
    let topo = m.topological_order();
    let mut count = vec![0i64; n];
    if n <= 16_384 {
        let words = n.div_ceil(64);
        let mut bits = vec![0u64; n * words];
        for &j in topo.iter().rev() {
            let j = j as usize;
            for &k in m.succs(j) {
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
        for &j in topo.iter().rev() {
            let j = j as usize;
            let mut c = 0i64;
            for &k in m.succs(j) {
                c += 1 + count[k as usize];
            }
            count[j] = c.min(n as i64);
        }
    }
    count
}

/// Offset that makes a priority class dominate every rule value.
const CLASS_WEIGHT: i64 = 1 << 44;

/// Priority value per activity, smaller = scheduled earlier: the priority
/// class first (higher class earlier), then the rule.
pub(crate) fn priority_values<M: Model>(
    m: &M,
    basis: &PriorityBasis,
    rule: PriorityRule,
    rng: &mut impl Rng,
) -> Vec<i64> {
    let n = m.num_activities();
    let b = basis;
    let values: Vec<i64> = match rule {
        PriorityRule::Lft => (0..n).map(|j| b.late_start[j] + b.duration[j]).collect(),
        PriorityRule::Lst => b.late_start.clone(),
        PriorityRule::Mts => total_successors(m).into_iter().map(|c| -c).collect(),
        PriorityRule::Grpw => (0..n)
            .map(|j| {
                let w: i64 = m.succs(j).iter().map(|&k| b.duration[k as usize]).sum();
                -(b.duration[j] + w)
            })
            .collect(),
        PriorityRule::MinSlack => (0..n).map(|j| b.late_start[j] - b.early_start[j]).collect(),
        PriorityRule::Random => (0..n).map(|_| rng.random_range(0..1i64 << 40)).collect(),
    };
    values
        .into_iter()
        .zip(&b.class)
        .map(|(v, &c)| v.clamp(-(CLASS_WEIGHT / 4), CLASS_WEIGHT / 4) - c * CLASS_WEIGHT)
        .collect()
}

/// Topological list taking, at each step, the eligible activity with the
/// smallest value (ties by topological rank, hence deterministic).
pub(crate) fn list_from_values<M: Model>(m: &M, values: &[i64]) -> Vec<u32> {
    let n = m.num_activities();
    let rank = m.topological_rank();
    let mut indeg: Vec<u32> = (0..n).map(|j| m.preds(j).len() as u32).collect();
    let mut heap: BinaryHeap<Reverse<(i64, u32, u32)>> = (0..n)
        .filter(|&j| indeg[j] == 0)
        .map(|j| Reverse((values[j], rank[j], j as u32)))
        .collect();
    let mut list = Vec::with_capacity(n);
    while let Some(Reverse((_, _, j))) = heap.pop() {
        list.push(j);
        for &k in m.succs(j as usize) {
            let k = k as usize;
            indeg[k] -= 1;
            if indeg[k] == 0 {
                heap.push(Reverse((values[k], rank[k], k as u32)));
            }
        }
    }
    list
}

/// Regret-based biased random sampling (Drexl 1991; Kolisch & Drexl 1996):
/// eligible activity `j` is picked with probability proportional to
/// `(max_i v_i - v_j + 1)^2`, so the rule's ranking is followed loosely.
/// Cost O(n * eligible), meant for small and medium instances.
pub(crate) fn regret_biased_list<M: Model>(m: &M, values: &[i64], rng: &mut impl Rng) -> Vec<u32> {
    let n = m.num_activities();
    let mut indeg: Vec<u32> = (0..n).map(|j| m.preds(j).len() as u32).collect();
    let mut eligible: Vec<u32> = (0..n as u32).filter(|&j| indeg[j as usize] == 0).collect();
    let mut weights: Vec<f64> = Vec::new();
    let mut list = Vec::with_capacity(n);
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
        for &k in m.succs(j as usize) {
            let k = k as usize;
            indeg[k] -= 1;
            if indeg[k] == 0 {
                eligible.push(k as u32);
            }
        }
    }
    list
}
