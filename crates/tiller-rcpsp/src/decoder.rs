//! Decoding one fixed activity list again and again.
//!
//! A Monte Carlo forecast with resource leveling schedules the same
//! project thousands of times with different durations. Searching for a
//! good schedule in every iteration would cost hundreds of passes each;
//! instead the priority order of one good deterministic schedule (its
//! activities by start) is kept, and every iteration decodes that list once
//! with the serial scheme on the iteration's durations. [`ListDecoder`]
//! holds the scheme's scratch memory across decodes, so a decode allocates
//! nothing once its arrays have grown to the horizon in use.
//!
//! A model whose durations change between decodes keeps them in interior
//! mutability (e.g. `Cell`s) that its [`Model::earliest`],
//! [`Model::latest`] and [`Model::slots`] read: the decoder only borrows
//! the model, and reads it afresh on every decode.

use crate::model::Model;
use crate::sgs::{Engine, SgsError, Stuck, checked_list};
use crate::solve::SolveError;

/// The serial schedule generation scheme over one fixed, precedence-
/// feasible activity list, reusable across decodes.
///
/// Each activity starts at its earliest precedence- and resource-feasible
/// time in the mode that finishes first, in list order, exactly as in
/// every other serial pass of the kernel.
pub struct ListDecoder<'a, M: Model> {
    engine: Engine<'a, M>,
    list: Vec<u32>,
}

impl<'a, M: Model> ListDecoder<'a, M> {
    /// A decoder for `list`, which must be a precedence-feasible
    /// permutation of the model's activities.
    pub fn new(model: &'a M, list: &[usize]) -> Result<Self, SgsError> {
        let list = checked_list(model, list)?;
        Ok(ListDecoder {
            engine: Engine::new(model),
            list,
        })
    }

    /// A decoder for the activities in order of `starts` (ties by
    /// topological rank), repaired to a topological order where
    /// precedences require it: the list that reproduces a left-justified
    /// schedule with these starts when durations are unchanged, and keeps
    /// its priorities when they change.
    pub fn by_start(model: &'a M, starts: &[i32]) -> Result<Self, SgsError> {
        if starts.len() != model.num_activities() {
            return Err(SgsError::WrongSchedule);
        }
        let mut engine = Engine::new(model);
        let mut list = Vec::with_capacity(starts.len());
        engine.list_by_start(starts, &mut list);
        Ok(ListDecoder { engine, list })
    }

    /// The activity list decoded.
    pub fn list(&self) -> &[u32] {
        &self.list
    }

    /// Decodes the list on the model as it is now. Returns the starts and
    /// finishes of every activity (indexed by activity); the modes chosen
    /// are in [`ListDecoder::modes`].
    pub fn decode(&mut self) -> Result<(&[i32], &[i32]), SolveError> {
        self.engine
            .serial_forward(&self.list)
            .map_err(|Stuck(j)| SolveError::Unschedulable {
                activity: j as usize,
            })?;
        Ok((&self.engine.start, &self.engine.finish))
    }

    /// Starts of the last decode.
    pub fn starts(&self) -> &[i32] {
        &self.engine.start
    }

    /// Finishes of the last decode.
    pub fn finishes(&self) -> &[i32] {
        &self.engine.finish
    }

    /// Modes chosen by the last decode.
    pub fn modes(&self) -> &[u32] {
        &self.engine.mode
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::model::{Bound, PriorityBasis};

    /// Finish-to-start activities on one resource of capacity 1 with
    /// durations that change between decodes.
    struct Varying {
        dur: Vec<Cell<i32>>,
        preds: Vec<Vec<u32>>,
        succs: Vec<Vec<u32>>,
        topo: Vec<u32>,
        demands: Vec<Vec<(u32, i32)>>,
    }

    impl Varying {
        /// 0 → {1, 2} → 3; 1 and 2 both need the resource.
        fn diamond(d: [i32; 4]) -> Varying {
            Varying {
                dur: d.iter().map(|&x| Cell::new(x)).collect(),
                preds: vec![vec![], vec![0], vec![0], vec![1, 2]],
                succs: vec![vec![1, 2], vec![3], vec![3], vec![]],
                topo: vec![0, 1, 2, 3],
                demands: vec![vec![], vec![(0, 1)], vec![(0, 1)], vec![]],
            }
        }
    }

    impl Model for Varying {
        const SIMPLE: bool = true;
        fn num_activities(&self) -> usize {
            self.dur.len()
        }
        fn num_resources(&self) -> usize {
            1
        }
        fn preds(&self, j: usize) -> &[u32] {
            &self.preds[j]
        }
        fn succs(&self, j: usize) -> &[u32] {
            &self.succs[j]
        }
        fn topological_order(&self) -> &[u32] {
            &self.topo
        }
        fn topological_rank(&self) -> &[u32] {
            &self.topo
        }
        fn modes(&self, _j: usize) -> usize {
            1
        }
        fn demands(&self, j: usize, _mode: usize) -> &[(u32, i32)] {
            &self.demands[j]
        }
        fn capacity(&self, _r: usize, _slot: usize) -> i32 {
            1
        }
        fn settled(&self, _r: usize) -> usize {
            0
        }
        fn forward_bound(&self, j: usize, _start: &[i32], finish: &[i32]) -> Bound {
            let es = self.preds[j]
                .iter()
                .map(|&i| finish[i as usize])
                .max()
                .unwrap_or(0);
            Bound {
                start: es,
                finish: i32::MIN,
            }
        }
        fn earliest(&self, j: usize, _mode: usize, b: Bound) -> Option<(i32, i32)> {
            let p = self.dur[j].get();
            let s = b.start.max(b.finish.saturating_sub(p));
            Some((s, s + p))
        }
        fn backward_bound(&self, j: usize, start: &[i32], _f: &[i32], deadline: i32) -> Bound {
            let ls = self.succs[j]
                .iter()
                .map(|&k| start[k as usize])
                .min()
                .unwrap_or(deadline);
            Bound {
                start: i32::MAX,
                finish: ls.min(deadline),
            }
        }
        fn latest(&self, j: usize, _mode: usize, b: Bound) -> Option<(i32, i32)> {
            let p = self.dur[j].get();
            let s = b.start.min(b.finish.saturating_sub(p));
            (s >= 0).then_some((s, s + p))
        }
        fn slots(&self, _j: usize, _mode: usize, start: i32, finish: i32) -> (usize, usize) {
            (start as usize, finish as usize)
        }
        fn uses(&self, _j: usize, _mode: usize, _slot: usize) -> bool {
            true
        }
        fn uses_all(&self, _j: usize, _mode: usize) -> bool {
            true
        }
        fn slot_start(&self, slot: usize) -> i32 {
            slot as i32
        }
        fn finish_before_slot(&self, slot: usize) -> i32 {
            slot as i32
        }
        fn lower_bound(&self) -> i32 {
            0
        }
        fn horizon(&self) -> i32 {
            100
        }
        fn shift_invariant(&self) -> bool {
            true
        }
        fn starts_sort_topologically(&self) -> bool {
            false
        }
        fn finishes_sort_reverse_topologically(&self) -> bool {
            false
        }
        fn priority_basis(&self) -> PriorityBasis {
            let n = self.dur.len();
            PriorityBasis {
                early_start: vec![0; n],
                late_start: vec![0; n],
                duration: self.dur.iter().map(|d| i64::from(d.get())).collect(),
                class: vec![0; n],
            }
        }
    }

    #[test]
    fn the_start_order_is_kept_and_durations_are_read_afresh() {
        let m = Varying::diamond([1, 3, 2, 1]);
        // A schedule where 2 went first on the resource: 2 on [1, 3), 1 on
        // [3, 6), then 3 on [6, 7).
        let mut d = ListDecoder::by_start(&m, &[0, 3, 1, 6]).expect("decoder");
        assert_eq!(d.list(), [0, 2, 1, 3]);
        let (s, f) = d.decode().expect("decodes");
        assert_eq!(
            (s.to_vec(), f.to_vec()),
            (vec![0, 3, 1, 6], vec![1, 6, 3, 7])
        );
        // Longer durations: same order on the resource, later dates.
        m.dur[2].set(5);
        m.dur[0].set(2);
        let (s, f) = d.decode().expect("decodes");
        assert_eq!(
            (s.to_vec(), f.to_vec()),
            (vec![0, 7, 2, 10], vec![2, 10, 7, 11])
        );
        // Back to the first durations: exactly the first schedule again
        // (the scratch memory is reset between decodes).
        m.dur[2].set(2);
        m.dur[0].set(1);
        let (s, _) = d.decode().expect("decodes");
        assert_eq!(s, [0, 3, 1, 6]);
        assert_eq!(d.modes(), [0, 0, 0, 0]);
    }

    #[test]
    fn lists_are_checked() {
        let m = Varying::diamond([1, 1, 1, 1]);
        assert!(matches!(
            ListDecoder::new(&m, &[0, 3, 1, 2]),
            Err(SgsError::NotPrecedenceFeasible { .. })
        ));
        assert!(matches!(
            ListDecoder::new(&m, &[0, 1, 2]),
            Err(SgsError::NotAPermutation { .. })
        ));
        assert!(matches!(
            ListDecoder::by_start(&m, &[0, 1]),
            Err(SgsError::WrongSchedule)
        ));
        // Starts that contradict the precedences are repaired.
        let mut d = ListDecoder::by_start(&m, &[5, 0, 1, 2]).expect("decoder");
        assert_eq!(d.list(), [0, 1, 2, 3]);
        assert_eq!(d.decode().expect("decodes").0, [0, 1, 2, 3]);
    }
}
