//! Integration tests of the scheduling kernel (one file: one test binary).

use std::time::Duration;

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use tiller_rcpsp::bench::{Baseline, BenchOptions, NamedInstance, run_set};
use tiller_rcpsp::psplib::{Reference, parse_sm};
use tiller_rcpsp::{
    Activity, ForwardBackward, Instance, ParallelScheme, Precedence, PrecedenceKind, PriorityRule,
    Reason, Resource, Schedule, Scheduler, Search as SearchScheduler, SerialScheme, SolveOptions,
    Strategy as Search, Violation, explain, justify, parallel_sgs, priority_list, serial_sgs,
    solve, verify,
};

// ---------------------------------------------------------------- helpers

fn sched(inst: &Instance, starts: &[u32]) -> Schedule {
    Schedule::new(inst, starts.to_vec()).expect("length matches")
}

fn violations(inst: &Instance, starts: &[u32]) -> Vec<Violation> {
    verify(inst, &sched(inst, starts)).err().unwrap_or_default()
}

/// Every scheduler on one instance: each result must pass `verify` and
/// respect the critical-path bound. Returns the schedules.
fn all_schedulers(inst: &Instance, seed: u64) -> Vec<(String, Schedule)> {
    let mut out = Vec::new();
    let rules = [
        PriorityRule::Lft,
        PriorityRule::Lst,
        PriorityRule::Mts,
        PriorityRule::Grpw,
        PriorityRule::MinSlack,
        PriorityRule::Random,
    ];
    for rule in rules {
        let list = priority_list(inst, rule, seed);
        let s = serial_sgs(inst, &list).expect("serial SGS");
        out.push((format!("serial {rule:?}"), s.clone()));
        let p = parallel_sgs(inst, &list).expect("parallel SGS");
        out.push((format!("parallel {rule:?}"), p));
        let j = justify(inst, &s).expect("justify");
        assert!(
            j.makespan() <= s.makespan(),
            "justification made {rule:?} worse"
        );
        out.push((format!("justified {rule:?}"), j));
    }
    for strategy in [Search::Genetic, Search::PriorityRules] {
        let sol = solve(
            inst,
            &SolveOptions {
                max_schedules: 300,
                time_limit: None,
                seed,
                strategy,
            },
        )
        .expect("solvable");
        assert_eq!(sol.makespan, sol.schedule.makespan());
        assert!(sol.schedules_generated <= 300);
        out.push((format!("solve {strategy:?}"), sol.schedule));
    }
    for (name, s) in &out {
        if let Err(v) = verify(inst, s) {
            panic!("{name}: infeasible schedule {:?}: {v:?}", s.starts());
        }
        assert!(
            s.makespan() >= inst.critical_path_bound(),
            "{name}: makespan {} below critical path {}",
            s.makespan(),
            inst.critical_path_bound()
        );
    }
    out
}

/// The shared suite every [`Scheduler`] implementation must pass on an
/// instance: a complete placement, feasible by `verify`, consistent
/// makespan, never below the critical-path bound.
fn scheduler_suite<S: Scheduler>(s: &S, inst: &Instance) -> Schedule {
    let name = s.name();
    let p = s.run(inst).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(p.starts.len(), inst.num_activities(), "{name}");
    assert_eq!(p.modes.iter().filter(|&&m| m != 0).count(), 0, "{name}");
    let starts: Vec<u32> = p
        .starts
        .iter()
        .map(|&x| u32::try_from(x).expect("non-negative"))
        .collect();
    let sched = Schedule::new(inst, starts).expect("length");
    if let Err(v) = verify(inst, &sched) {
        panic!("{name}: infeasible {:?}: {v:?}", sched.starts());
    }
    let finishes: Vec<u32> = p.finishes.iter().map(|&x| x as u32).collect();
    assert_eq!(sched.finishes(), finishes.as_slice(), "{name}");
    assert_eq!(sched.makespan() as i32, p.makespan.max(0), "{name}");
    assert!(sched.makespan() >= inst.critical_path_bound(), "{name}");
    assert!(
        p.makespan >= p.lower_bound || inst.num_activities() == 0,
        "{name}"
    );
    sched
}

/// Every scheduler implementation, through the shared suite.
fn every_scheduler(inst: &Instance, seed: u64) {
    let rules = [
        PriorityRule::Lft,
        PriorityRule::Lst,
        PriorityRule::Mts,
        PriorityRule::Grpw,
        PriorityRule::MinSlack,
        PriorityRule::Random,
    ];
    for rule in rules {
        scheduler_suite(&SerialScheme { rule, seed }, inst);
        scheduler_suite(&ParallelScheme { rule, seed }, inst);
        scheduler_suite(
            &ForwardBackward {
                rule,
                max_schedules: 30,
            },
            inst,
        );
    }
    for strategy in [Search::Auto, Search::Genetic, Search::PriorityRules] {
        let s = SearchScheduler(SolveOptions {
            max_schedules: 250,
            time_limit: None,
            seed,
            strategy,
        });
        let sched = scheduler_suite(&s, inst);
        // Searches end left-justified: every late activity has a cause.
        for (j, r) in explain(inst, &sched).into_iter().enumerate() {
            assert!(r != Some(Reason::Unforced), "{} activity {j}", s.name());
        }
    }
}

fn fixture(name: &str) -> Instance {
    let path = format!("{}/tests/fixtures/{name}.sm", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("fixture present");
    parse_sm(&text).expect("valid fixture")
}

const FIXTURES: [(&str, u32, u32); 5] = [
    ("j305_3", 76, 54),
    ("j309_6", 59, 47),
    ("j3029_7", 73, 41),
    ("j3041_4", 78, 47),
    ("j3045_6", 129, 70),
];

// ----------------------------------------------------------------- verify

#[test]
fn verify_accepts_a_feasible_schedule() {
    let inst = Instance::new(
        vec![
            Activity::new(2).with_demand(0, 1),
            Activity::new(3).with_demand(0, 1),
        ],
        vec![Resource::constant(1)],
        vec![Precedence::fs(0, 1)],
    )
    .expect("valid");
    assert_eq!(violations(&inst, &[0, 2]), vec![]);
    assert_eq!(sched(&inst, &[0, 2]).makespan(), 5);
}

#[test]
fn verify_catches_each_precedence_kind() {
    // Durations 4 and 2; lag 1 for every kind.
    let acts = || vec![Activity::new(4), Activity::new(2)];
    let cases = [
        // kind, latest violating start of succ, first feasible (pred at 0)
        (PrecedenceKind::FinishStart, 4, 5),  // S1 >= 0 + 4 + 1
        (PrecedenceKind::StartStart, 0, 1),   // S1 >= 0 + 1
        (PrecedenceKind::FinishFinish, 2, 3), // S1 + 2 >= 4 + 1
        (PrecedenceKind::StartFinish, 0, 0),  // S1 + 2 >= 1 (always holds)
    ];
    for (kind, bad, good) in cases {
        let inst =
            Instance::new(acts(), vec![], vec![Precedence::new(0, 1, kind, 1)]).expect("valid");
        assert_eq!(violations(&inst, &[0, good]), vec![], "{kind:?} at {good}");
        if good > 0 {
            let v = violations(&inst, &[0, bad]);
            assert!(
                matches!(v.as_slice(), [Violation::Precedence { index: 0, kind: k, .. }] if *k == kind),
                "{kind:?}: {v:?}"
            );
        }
    }
    // A negative lag allows overlap but not more.
    let inst = Instance::new(
        acts(),
        vec![],
        vec![Precedence::new(0, 1, PrecedenceKind::FinishStart, -3)],
    )
    .expect("valid");
    assert_eq!(violations(&inst, &[0, 1]), vec![]);
    assert_eq!(violations(&inst, &[0, 0]).len(), 1);
}

#[test]
fn verify_catches_release_overload_calendar_and_length() {
    let inst = Instance::new(
        vec![
            Activity::new(2).with_demand(0, 2).with_release(1),
            Activity::new(2).with_demand(0, 1),
        ],
        // Capacity 2, down to 0 in periods 5..7 (a holiday), then 2.
        vec![Resource::with_profile(vec![(0, 2), (5, 0), (7, 2)])],
        vec![],
    )
    .expect("valid");
    assert_eq!(violations(&inst, &[1, 3]), vec![]);
    assert_eq!(
        violations(&inst, &[0, 3]),
        vec![Violation::BeforeRelease {
            activity: 0,
            start: 0,
            release: 1
        }]
    );
    assert_eq!(
        violations(&inst, &[1, 2]),
        vec![Violation::Overload {
            resource: 0,
            period: 2,
            used: 3,
            capacity: 2
        }]
    );
    // Activity 1 running into the holiday at period 5.
    assert_eq!(
        violations(&inst, &[1, 4]),
        vec![Violation::Overload {
            resource: 0,
            period: 5,
            used: 1,
            capacity: 0
        }]
    );
    let other = Instance::new(vec![Activity::new(1)], vec![], vec![]).expect("valid");
    assert_eq!(
        verify(&inst, &sched(&other, &[0])),
        Err(vec![Violation::WrongLength {
            expected: 2,
            found: 1
        }])
    );
}

// ------------------------------------------------------------- schedulers

#[test]
fn schedulers_on_generalized_calendar_instance() {
    // Two people (capacity 1) with a holiday each, overlapping work via
    // SS/FF/SF relations and negative lags, release dates.
    let inst = Instance::new(
        vec![
            Activity::new(3).with_demand(0, 1),
            Activity::new(2).with_demand(1, 1),
            Activity::new(4).with_demand(0, 1).with_release(2),
            Activity::new(0),
            Activity::new(2).with_demand(1, 1).with_demand(0, 1),
            Activity::new(1).with_demand(1, 1),
        ],
        vec![
            Resource::with_profile(vec![(0, 1), (4, 0), (6, 1)]),
            Resource::with_profile(vec![(1, 1), (8, 0), (9, 1)]),
        ],
        vec![
            Precedence::new(0, 1, PrecedenceKind::StartStart, 1),
            Precedence::new(0, 2, PrecedenceKind::FinishStart, -1),
            Precedence::new(1, 3, PrecedenceKind::FinishFinish, 0),
            Precedence::new(2, 4, PrecedenceKind::StartFinish, 3),
            Precedence::new(3, 5, PrecedenceKind::FinishStart, 2),
        ],
    )
    .expect("valid");
    for seed in 0..5 {
        all_schedulers(&inst, seed);
        every_scheduler(&inst, seed);
    }
}

#[test]
fn fixtures_parse_and_schedule() {
    for (name, _, cpm) in FIXTURES {
        let inst = fixture(name);
        assert_eq!(inst.num_activities(), 32);
        assert_eq!(inst.critical_path_bound(), cpm, "{name}");
        all_schedulers(&inst, 7);
        every_scheduler(&inst, 7);
    }
}

#[test]
fn genetic_search_reaches_known_optima() {
    for (name, optimum, _) in FIXTURES {
        let inst = fixture(name);
        let lft = serial_sgs(&inst, &priority_list(&inst, PriorityRule::Lft, 0)).expect("lft");
        assert!(lft.makespan() > optimum, "{name} should not be trivial");
        let sol = solve(
            &inst,
            &SolveOptions {
                max_schedules: 5000,
                time_limit: None,
                seed: 1,
                strategy: Search::Auto,
            },
        )
        .expect("solvable");
        verify(&inst, &sol.schedule).expect("feasible");
        assert_eq!(sol.makespan, optimum, "{name}");
        assert!(sol.schedules_generated <= 5000);
    }
}

#[test]
fn schedule_budget_is_respected_and_counted() {
    let inst = fixture("j3041_4");
    for budget in [1, 2, 3, 10, 57, 400] {
        let sol = solve(
            &inst,
            &SolveOptions {
                max_schedules: budget,
                ..Default::default()
            },
        )
        .expect("solvable");
        assert!(
            sol.schedules_generated <= budget,
            "{budget}: {}",
            sol.schedules_generated
        );
        // One schedule is held back for the final left justification and
        // only spent when needed.
        assert!(
            sol.schedules_generated + 1 >= budget,
            "{budget}: {}",
            sol.schedules_generated
        );
        verify(&inst, &sol.schedule).expect("feasible");
    }
    // With a single schedule, the result is the serial LFT schedule.
    let one = solve(
        &inst,
        &SolveOptions {
            max_schedules: 1,
            ..Default::default()
        },
    )
    .expect("solvable");
    let lft = serial_sgs(&inst, &priority_list(&inst, PriorityRule::Lft, 0)).expect("lft");
    assert_eq!(one.schedule, lft);
}

#[test]
fn same_seed_same_result_whatever_the_thread_count() {
    let instances: Vec<NamedInstance> = FIXTURES
        .iter()
        .map(|(name, _, _)| NamedInstance {
            name: name.to_string(),
            instance: fixture(name),
        })
        .collect();
    let refs = std::collections::BTreeMap::<String, Reference>::new();
    let options = BenchOptions {
        solve: SolveOptions {
            max_schedules: 800,
            seed: 42,
            ..Default::default()
        },
        baseline: Baseline::CpmLowerBound,
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| run_set("fixtures", &instances, &refs, &options, &|_| {}))
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.infeasible, 0);
    let key = |s: &tiller_rcpsp::bench::SetSummary| {
        s.rows
            .iter()
            .map(|r| (r.name.clone(), r.makespan, r.schedules_generated))
            .collect::<Vec<_>>()
    };
    assert_eq!(key(&one), key(&two));
    // And the schedules themselves, solving directly.
    for item in &instances {
        let opts = SolveOptions {
            max_schedules: 800,
            seed: 9,
            ..Default::default()
        };
        let a = solve(&item.instance, &opts).expect("solvable");
        let b = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("pool")
            .install(|| solve(&item.instance, &opts).expect("solvable"));
        assert_eq!(a, b);
    }
}

#[test]
fn bench_summary_uses_the_requested_baseline() {
    let instances = vec![NamedInstance {
        name: "j3041_4".into(),
        instance: fixture("j3041_4"),
    }];
    let mut refs = std::collections::BTreeMap::new();
    refs.insert(
        "j3041_4".to_string(),
        Reference {
            cpm_lb: 47,
            best_known: Some(78),
            optimal: true,
        },
    );
    let options = |baseline| BenchOptions {
        solve: SolveOptions {
            max_schedules: 1,
            ..Default::default()
        },
        baseline,
    };
    let vs_opt = run_set(
        "j30",
        &instances,
        &refs,
        &options(Baseline::Optimum),
        &|_| {},
    );
    let vs_lb = run_set(
        "j30",
        &instances,
        &refs,
        &options(Baseline::CpmLowerBound),
        &|_| {},
    );
    let mk = f64::from(vs_opt.rows[0].makespan.expect("solved"));
    assert!((vs_opt.avg_deviation_pct - (mk - 78.0) / 78.0 * 100.0).abs() < 1e-9);
    assert!((vs_lb.avg_deviation_pct - (mk - 47.0) / 47.0 * 100.0).abs() < 1e-9);
    assert_eq!(vs_opt.best_known_hits, 0);
    assert_eq!(vs_opt.infeasible, 0);
    assert!(vs_opt.rows[0].feasible);
}

#[test]
fn large_instance_takes_the_cheap_path_and_stays_feasible() {
    let n: usize = 10_000;
    let nr = 500;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
    let acts: Vec<Activity> = (0..n)
        .map(|_| Activity::new(rng.random_range(1..=10)).with_demand(rng.random_range(0..nr), 1))
        .collect();
    let mut prec = Vec::new();
    for j in 1..n {
        // Predecessors drawn from all earlier activities: a shallow DAG, so
        // the resources rather than the precedences decide the makespan.
        for _ in 0..rng.random_range(0..=2) {
            prec.push(Precedence::fs(rng.random_range(0..j), j));
        }
    }
    let inst =
        Instance::new(acts, (0..nr).map(|_| Resource::constant(1)).collect(), prec).expect("valid");
    let sol = solve(
        &inst,
        &SolveOptions {
            max_schedules: u64::MAX,
            time_limit: Some(Duration::from_millis(1500)),
            seed: 1,
            strategy: Search::Auto,
        },
    )
    .expect("solvable");
    assert_eq!(sol.strategy, Search::PriorityRules);
    verify(&inst, &sol.schedule).expect("feasible");
    assert!(sol.makespan >= inst.critical_path_bound());
    let reasons = explain(&inst, &sol.schedule);
    assert_eq!(reasons.len(), n);
}

#[test]
fn unschedulable_capacity_is_reported() {
    // The only unit leaves at period 3; the activity needs 4 periods.
    let inst = Instance::new(
        vec![Activity::new(4).with_demand(0, 1)],
        vec![Resource::with_profile(vec![(0, 1), (3, 0)])],
        vec![],
    )
    .expect("validation only checks the maximum capacity");
    assert!(solve(&inst, &SolveOptions::default()).is_err());
    assert!(serial_sgs(&inst, &[0]).is_err());
    assert!(parallel_sgs(&inst, &[0]).is_err());
}

#[test]
fn empty_and_trivial_projects() {
    let empty = Instance::new(vec![], vec![], vec![]).expect("valid");
    let sol = solve(&empty, &SolveOptions::default()).expect("solvable");
    assert_eq!(sol.makespan, 0);
    assert!(sol.schedule.starts().is_empty());
    let one =
        Instance::new(vec![Activity::new(0)], vec![Resource::constant(0)], vec![]).expect("valid");
    let sol = solve(&one, &SolveOptions::default()).expect("solvable");
    assert_eq!(sol.schedule.starts(), &[0]);
}

#[test]
fn sgs_rejects_bad_lists() {
    let inst = Instance::new(
        vec![Activity::new(1), Activity::new(1)],
        vec![],
        vec![Precedence::fs(0, 1)],
    )
    .expect("valid");
    assert!(serial_sgs(&inst, &[1, 0]).is_err());
    assert!(serial_sgs(&inst, &[0, 0]).is_err());
    assert!(parallel_sgs(&inst, &[0]).is_err());
    assert_eq!(serial_sgs(&inst, &[0, 1]).expect("ok").starts(), &[0, 1]);
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_names_resource_predecessor_and_calendar() {
    let inst = Instance::new(
        vec![
            Activity::new(3).with_demand(0, 1),
            Activity::new(2).with_demand(0, 1),
            Activity::new(2),
            Activity::new(2).with_demand(1, 1),
        ],
        vec![
            Resource::constant(1),
            // Away in periods 0..4.
            Resource::with_profile(vec![(0, 0), (4, 1)]),
        ],
        vec![Precedence::fs(1, 2)],
    )
    .expect("valid");
    let s = serial_sgs(&inst, &[0, 1, 2, 3]).expect("feasible");
    assert_eq!(s.starts(), &[0, 3, 5, 4]);
    let r = explain(&inst, &s);
    assert_eq!(r[0], None);
    assert_eq!(
        r[1],
        Some(Reason::Resource {
            resource: 0,
            blocking: vec![0]
        })
    );
    assert_eq!(r[2], Some(Reason::Predecessor { pred: 1 }));
    assert_eq!(r[3], Some(Reason::Capacity { resource: 1 }));
    // A needlessly late start is reported as such.
    let late = sched(&inst, &[0, 3, 5, 6]);
    assert_eq!(explain(&inst, &late)[3], Some(Reason::Unforced));
}

// --------------------------------------------------------------- property

/// Random small instances with generalized precedences (forward arcs only,
/// so acyclic), release dates and time-varying capacities whose last value
/// is the maximum (so every activity fits eventually).
fn arb_instance() -> impl Strategy<Value = Instance> {
    (1usize..10, 1usize..4, any::<u64>()).prop_map(|(n, nr, seed)| {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let resources: Vec<Resource> = (0..nr)
            .map(|_| {
                let top = rng.random_range(1..=4u32);
                let mut profile = Vec::new();
                let mut t = 0;
                for _ in 0..rng.random_range(0..3) {
                    profile.push((t, rng.random_range(0..=top)));
                    t += rng.random_range(1..5);
                }
                profile.push((t, top));
                Resource::with_profile(profile)
            })
            .collect();
        let acts: Vec<Activity> = (0..n)
            .map(|_| {
                let mut a =
                    Activity::new(rng.random_range(0..5)).with_release(rng.random_range(0..4));
                for (r, res) in resources.iter().enumerate() {
                    if rng.random_bool(0.6) {
                        a = a.with_demand(r, rng.random_range(1..=res.max_capacity()));
                    }
                }
                a
            })
            .collect();
        let kinds = [
            PrecedenceKind::FinishStart,
            PrecedenceKind::StartStart,
            PrecedenceKind::FinishFinish,
            PrecedenceKind::StartFinish,
        ];
        let mut prec = Vec::new();
        for j in 1..n {
            for i in 0..j {
                if rng.random_bool(0.3) {
                    prec.push(Precedence::new(
                        i,
                        j,
                        kinds[rng.random_range(0..4)],
                        rng.random_range(-3..4),
                    ));
                }
            }
        }
        Instance::new(acts, resources, prec).expect("generated instances are valid")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_scheduler_is_feasible_on_random_instances(inst in arb_instance(), seed in 0u64..1000) {
        every_scheduler(&inst, seed);
        let results = all_schedulers(&inst, seed);
        // Serial SGS output leaves no activity needlessly late, so every
        // delayed activity has a concrete cause.
        for (name, s) in results.iter().filter(|(n, _)| n.starts_with("serial")) {
            for (j, r) in explain(&inst, s).into_iter().enumerate() {
                prop_assert!(r != Some(Reason::Unforced), "{} activity {}", name, j);
                if let Some(Reason::Resource { blocking, .. }) = r {
                    prop_assert!(!blocking.is_empty());
                }
            }
        }
    }

    #[test]
    fn verify_flags_shifted_schedules(inst in arb_instance(), seed in 0u64..1000, who in any::<prop::sample::Index>()) {
        // Moving one activity of a feasible schedule earlier than its
        // precedence-only early start must be caught.
        let s = serial_sgs(&inst, &priority_list(&inst, PriorityRule::Random, seed)).expect("feasible");
        let j = who.index(inst.num_activities());
        let es = inst.precedence_early_starts()[j];
        if es > 0 {
            let mut starts = s.starts().to_vec();
            starts[j] = es - 1;
            prop_assert!(verify(&inst, &sched(&inst, &starts)).is_err());
        }
    }
}
