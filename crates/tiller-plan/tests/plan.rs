//! Boundary tests of the plan reader: what valid plans become, and that no input at all
//! makes it panic.

use proptest::prelude::*;
use tiller_core::{Assignment, DepKind, TaskKind, Work};
use tiller_plan::{Code, load_str};

const TINY: &str = include_str!("../../../examples/tiny.toml");

#[test]
fn the_tiny_example_reads_into_the_expected_model() {
    let loaded = load_str("tiny.toml", TINY, &[]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let p = loaded.program.expect("valid");
    assert_eq!(p.name, "Tiny launch");
    assert_eq!(p.people.len(), 2);
    assert_eq!(p.teams[0].members.len(), 2);
    assert_eq!(p.people[1].availability, 0.5);
    assert_eq!(p.people[0].day_rate, tiller_core::Money::from_units(800.0));
    let build = p.task(p.find_task("build").expect("build"));
    assert!(matches!(build.work, Some(Work::Effort(e)) if e.likely == 4.0));
    assert!(matches!(&build.assignment, Assignment::People(v) if v.len() == 1));
    let copy = p.task(p.find_task("copy").expect("copy"));
    assert_eq!(copy.deps[0].kind, DepKind::StartToStart);
    assert_eq!(copy.deps[0].lag.days, 1);
    let launch = p.task(p.find_task("launch").expect("launch"));
    assert_eq!(launch.kind, TaskKind::Milestone);
    assert!(launch.promised.is_some());
}

#[test]
fn includes_defaults_and_hierarchy_combine_across_files() {
    let root = r#"
include = ["teams/pay.toml"]

[program]
name = "Multi-file"
start = 2027-01-04

[[task]]
id = "program"
name = "The whole program"

[[milestone]]
id = "beta"
after = ["pay.api"]
"#;
    let pay = r#"
[defaults]
team = "payments"
parent = "pay"

[team.payments]
lead = "ana"

[person.ana]
team = "payments"

[person.bo]
team = "payments"
availability = 0.5

[[task]]
id = "pay"
name = "Payments workstream"
parent = "program"

[[task]]
id = "pay.api"
effort = "3d/5d/9d"
people = 2
"#;
    let loaded = load_str("plan.toml", root, &[("teams/pay.toml", pay)]);
    let codes: Vec<Code> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.is_empty(), "{:?}", loaded.diagnostics);
    let p = loaded.program.expect("valid");
    let api = p.task(p.find_task("pay.api").expect("api"));
    assert!(matches!(api.assignment, Assignment::Team { people: 2, .. }));
    let pay_idx = p.find_task("pay").expect("pay");
    assert_eq!(api.parent, Some(pay_idx));
    assert_eq!(p.task(pay_idx).kind, TaskKind::Summary);
    assert_eq!(p.task(pay_idx).parent, p.find_task("program"));
    assert_eq!(loaded.sources.files().len(), 2);
}

#[test]
fn a_workstream_named_by_the_file_defaults_is_not_its_own_parent() {
    let plan = r#"
[program]
name = "x"
start = 2027-01-04

[defaults]
parent = "ws"

[[task]]
id = "ws"

[[task]]
id = "a"
duration = "1d"
"#;
    let loaded = load_str("p.toml", plan, &[]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let p = loaded.program.expect("valid");
    assert_eq!(p.tasks[0].kind, TaskKind::Summary);
    assert_eq!(p.tasks[0].parent, None);
}

#[test]
fn empty_and_blank_files_are_plan_errors() {
    for text in ["", "\n\n   \n", "# only a comment\n"] {
        let loaded = load_str("p.toml", text, &[]);
        assert!(loaded.program.is_none());
        assert_eq!(loaded.diagnostics.len(), 1);
        assert_eq!(loaded.diagnostics[0].code, Code::MissingKey);
    }
}

fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for &(pos, op, byte) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = pos % bytes.len();
        match op % 4 {
            0 => bytes[i] = byte,
            1 => {
                bytes.remove(i);
            }
            2 => bytes.insert(i, byte),
            _ => {
                // Duplicate a slice: repeats keys and tables.
                let end = (i + byte as usize).min(bytes.len());
                let chunk = bytes[i..end].to_vec();
                bytes.splice(i..i, chunk);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Random edits of a valid plan never panic, and every diagnostic points inside the
    /// file it names.
    #[test]
    fn mutated_plans_never_panic(edits in prop::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..8)) {
        let bytes = mutate(TINY, &edits);
        let mut none = |_: &str| Err("no includes here".to_string());
        let loaded = tiller_plan::load("p.toml", &bytes, &mut none);
        for d in &loaded.diagnostics {
            if let Some(at) = d.at {
                let file = loaded.sources.get(at.file).expect("file exists");
                prop_assert!(at.start <= at.end && (at.end as usize) <= file.text.len());
            }
        }
        let rendered = tiller_plan::render(&loaded.diagnostics, &loaded.sources, tiller_plan::Style::Plain);
        prop_assert!(loaded.diagnostics.is_empty() || !rendered.is_empty());
        if let Some(program) = &loaded.program {
            // Whatever survived validation schedules or fails cleanly.
            let _ = tiller_engine_free_check(program);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut none = |_: &str| Err("no includes here".to_string());
        let loaded = tiller_plan::load("p.toml", &bytes, &mut none);
        prop_assert!(loaded.program.is_none() || loaded.diagnostics.iter().all(|d| !d.is_error()));
    }
}

/// Cross-checks that need no engine: every index in a valid program is in range.
fn tiller_engine_free_check(p: &tiller_core::Program) -> bool {
    p.tasks.iter().all(|t| {
        t.deps.iter().all(|d| d.pred.index() < p.tasks.len())
            && t.parent.is_none_or(|x| x.index() < p.tasks.len())
            && t.children.iter().all(|c| c.index() < p.tasks.len())
    })
}
