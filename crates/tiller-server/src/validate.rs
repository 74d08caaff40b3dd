//! Checking a progress or RAID record without reading and scheduling the whole plan.
//!
//! A server process keeps, per program, a [`Model`]: the program as the plan reader
//! made it from the head revision with every record merged in, at one record state.
//! A new record is then checked in two steps:
//!
//! 1. the plan reader reads a *probe plan* (`tiller_app::bundle::probe_plan`): the
//!    program's settings, stubs for what the record names, and the record. This finds
//!    every problem of the record itself (values, dates, statuses, references) in
//!    microseconds, whatever the size of the plan;
//! 2. for progress, the update is applied to the model and the program is scheduled
//!    (no parsing), which finds what only the schedule shows (work that cannot be
//!    placed, dates past the horizon).
//!
//! Whatever this check cannot vouch for (a problem found, a RAID entry changing kind,
//! a record changing identity, a model of another state) goes to the full check:
//! the revision's files with every record merged, read and scheduled, whose
//! diagnostics are those of the plan reader. A record is thus never accepted that the
//! full check would refuse, and a refusal always carries the full check's diagnostics.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use tiller_app::bundle::{self, RecordKind};
use tiller_core::{PersonIdx, Program, TaskIdx};

/// A program with every record merged, at a record state of a revision.
pub struct Model {
    pub rev_id: i64,
    pub state: i64,
    program: Program,
    /// RAID ids in force (files and records) and their kinds.
    raid: BTreeMap<String, RecordKind>,
    tasks: HashMap<String, TaskIdx>,
    people: HashMap<String, PersonIdx>,
}

impl Model {
    /// The model of a merged program that checked and scheduled.
    pub fn new(rev_id: i64, state: i64, program: Program) -> Model {
        let mut raid = BTreeMap::new();
        for r in &program.risks {
            raid.insert(r.id.clone(), RecordKind::Risk);
        }
        for r in &program.issues {
            raid.insert(r.id.clone(), RecordKind::Issue);
        }
        for r in &program.decisions {
            raid.insert(r.id.clone(), RecordKind::Decision);
        }
        for r in &program.assumptions {
            raid.insert(r.id.clone(), RecordKind::Assumption);
        }
        let tasks = program
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), TaskIdx(i as u32)))
            .collect();
        let people = program
            .people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), PersonIdx(i as u32)))
            .collect();
        Model {
            rev_id,
            state,
            program,
            raid,
            tasks,
            people,
        }
    }

    /// Checks `record` (replacing the record whose key was `replacing`, if any) and,
    /// when it passes, takes it into the model. `false`: not vouched for; the model is
    /// unchanged and the record needs the full check. Blocking (it may schedule the
    /// program): call it off the async runtime.
    pub fn admit(&mut self, record: &bundle::Record, replacing: Option<&str>) -> bool {
        let Ok(key) = record.key() else {
            return false;
        };
        // A record that changes identity would bring back the file entry it replaced.
        if replacing.is_some_and(|old| old != key) {
            return false;
        }
        if record.kind.is_raid() {
            // Entries elsewhere may need this one to be of its kind (`mitigate` names
            // risks): a change of kind gets the full check.
            if self.raid.get(&key).is_some_and(|k| *k != record.kind) {
                return false;
            }
        } else {
            // The plan reader compares dates, not their spelling.
            let canonical = record
                .body
                .get("date")
                .and_then(Value::as_str)
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .is_some_and(|d| Some(d.to_string().as_str()) == record.body["date"].as_str());
            if !canonical {
                return false;
            }
        }
        let Ok(text) = bundle::probe_plan(&self.program, &self.raid, record) else {
            return false;
        };
        let loaded = tiller_plan::load_str("program.toml", &text, &[]);
        if loaded.has_errors() {
            return false;
        }
        let Some(probe) = loaded.program else {
            return false;
        };
        if record.kind.is_raid() {
            self.raid.insert(key, record.kind);
            return true;
        }
        let [update] = probe.progress.as_slice() else {
            return false;
        };
        let mut update = update.clone();
        let Some(&task) = self.tasks.get(&probe.task(update.task).id) else {
            return false;
        };
        update.task = task;
        if let Some(by) = update.by {
            match self.people.get(&probe.person(by).id) {
                Some(&p) => update.by = Some(p),
                None => return false,
            }
        }
        let progress = &mut self.program.progress;
        let at = progress.partition_point(|u| (u.task, u.date) < (update.task, update.date));
        let replaced = if progress
            .get(at)
            .is_some_and(|u| (u.task, u.date) == (update.task, update.date))
        {
            Some(std::mem::replace(&mut progress[at], update))
        } else {
            progress.insert(at, update);
            None
        };
        if tiller_engine::schedule(&self.program).is_ok() {
            return true;
        }
        match replaced {
            Some(old) => self.program.progress[at] = old,
            None => {
                self.program.progress.remove(at);
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(kind: RecordKind, v: Value) -> bundle::Record {
        bundle::Record {
            kind,
            body: v.as_object().expect("object").clone(),
        }
    }

    #[test]
    fn the_quick_check_vouches_only_for_what_the_full_one_accepts() {
        let b = crate::cli::example_bundle();
        let loaded = b.load();
        let a = tiller_app::analysis::analyze(loaded).expect("example");
        let index = bundle::BundleIndex::of(&a.program, &a.sources);
        let mut model = Model::new(1, 0, a.program);
        let cases = [
            (
                RecordKind::Progress,
                json!({"task": "web.cart", "date": "2027-02-12", "started": "2027-02-01", "done": 0.2}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "web.cart", "date": "2027-02-12", "started": "2027-02-01", "remaining": "40000d"}),
            ),
            (
                RecordKind::Progress,
                json!({"task": "web.cart", "date": "2027-2-12", "done": 0.2}),
            ),
            (
                RecordKind::Issue,
                json!({"id": "R-PCI", "title": "Now an issue"}),
            ),
            (
                RecordKind::Risk,
                json!({"id": "R-PCI", "title": "Still a risk", "probability": 0.4}),
            ),
            (
                RecordKind::Issue,
                json!({"id": "I-NEW", "title": "New", "affects": ["web.cart", "R-PCI"]}),
            ),
        ];
        for (kind, body) in cases {
            let r = record(kind, body.clone());
            let before = model.program.progress.len();
            let quick = model.admit(&r, None);
            let merged = bundle::merge(
                &b,
                &index,
                std::slice::from_ref(&r),
                &[],
                bundle::Layout::Analysis,
            )
            .expect("merges");
            let full = tiller_app::analysis::analyze(merged.load()).is_ok();
            assert!(
                !quick || full,
                "vouched for a record the plan refuses: {body}"
            );
            if !quick {
                assert_eq!(model.program.progress.len(), before, "{body}");
            }
            let expected = !body.to_string().contains("40000d")
                && !body.to_string().contains("2027-2-12")
                && !body.to_string().contains("Now an issue");
            assert_eq!(quick, expected, "{body}");
            if body.to_string().contains("40000d") {
                // Reads well, but the schedule cannot place it.
                let probe = bundle::probe_plan(&model.program, &model.raid, &r).expect("probe");
                assert!(!tiller_plan::load_str("p.toml", &probe, &[]).has_errors());
                assert!(!full);
            }
        }
    }
}
