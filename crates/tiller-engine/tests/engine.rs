//! Boundary tests of the engine: exact schedules for hand-checked networks, and
//! properties of random networks checked against an independent day-by-day scheduler.

use chrono::NaiveDate;
use proptest::prelude::*;
use tiller_core::{
    Assignment, Calendar, CalendarIdx, DateRange, DepKind, Dependency, Estimate, Lag, Located,
    Person, PersonIdx, Program, SourceRef, Task, TaskIdx, TaskKind, Work, WorkWeek,
};
use tiller_engine::tick::{WorkAxis, day_of, end_of, is_end, start_of};
use tiller_engine::{Network, ScheduleError};

fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 4).expect("valid date")
}

fn day(n: i64) -> NaiveDate {
    monday() + chrono::Duration::days(n)
}

fn program(tasks: Vec<Task>) -> Program {
    Program {
        name: "test".into(),
        description: None,
        start: monday(),
        currency: "USD".into(),
        status_date: None,
        default_calendar: CalendarIdx(0),
        calendars: vec![Calendar::standard()],
        teams: vec![],
        people: vec![],
        resources: vec![],
        tasks,
        goals: vec![],
        deliverables: vec![],
        risks: vec![],
        issues: vec![],
        decisions: vec![],
        assumptions: vec![],
        budget: None,
        reserve: None,
        progress: vec![],
        baselines: vec![],
        forecast: Default::default(),
        scenarios: vec![],
        reporting: Default::default(),
    }
}

fn task(id: &str, kind: TaskKind, work: Option<Work>) -> Task {
    Task {
        id: id.into(),
        name: id.into(),
        kind,
        parent: None,
        children: vec![],
        work,
        team: None,
        assignment: Assignment::Unassigned,
        deps: vec![],
        not_before: None,
        deadline: None,
        promised: None,
        priority: 500,
        tags: vec![],
        goals: vec![],
        deliverables: vec![],
        uses: vec![],
        fixed_cost: None,
        budget: None,
        distribution: None,
        description: None,
        src: SourceRef::default(),
    }
}

fn leaf(id: &str, days: f64) -> Task {
    task(
        id,
        TaskKind::Leaf,
        Some(Work::Duration(Estimate::exact(days))),
    )
}

fn milestone(id: &str) -> Task {
    task(id, TaskKind::Milestone, None)
}

fn dep(pred: u32, kind: DepKind, lag: i32) -> Dependency {
    Dependency {
        pred: TaskIdx(pred),
        kind,
        lag: Lag {
            days: lag,
            elapsed: false,
        },
        src: SourceRef::default(),
    }
}

fn dates(p: &Program) -> Vec<(NaiveDate, NaiveDate)> {
    let s = tiller_engine::schedule(p).expect("schedules");
    (0..p.tasks.len())
        .map(|i| {
            let t = TaskIdx(i as u32);
            (s.start_date(t), s.finish_date(t))
        })
        .collect()
}

#[test]
fn all_four_link_types_with_lags_on_a_working_week() {
    // a: Mon-Wed. b FS+1d: Fri. c SS+2d: Wed-Thu. d FF-1d (3 days): must finish by
    // end of Tue+... finish >= end of Tue, so Mon-Tue? It has 3 days: earliest start
    // Mon finishing Wed, which is >= Tue: Mon-Wed. e SF+5d (2 days): finish >= start of
    // a + 5 working days = start of next Mon, so finishing the end of Mon: Fri-Mon.
    let mut a = leaf("a", 3.0);
    a.deps = vec![];
    let mut b = leaf("b", 1.0);
    b.deps = vec![dep(0, DepKind::FinishToStart, 1)];
    let mut c = leaf("c", 2.0);
    c.deps = vec![dep(0, DepKind::StartToStart, 2)];
    let mut d = leaf("d", 3.0);
    d.deps = vec![dep(0, DepKind::FinishToFinish, -1)];
    let mut e = leaf("e", 2.0);
    e.deps = vec![dep(0, DepKind::StartToFinish, 5)];
    let p = program(vec![a, b, c, d, e]);
    assert_eq!(
        dates(&p),
        vec![
            (day(0), day(2)),
            (day(4), day(4)),
            (day(2), day(3)),
            (day(0), day(2)),
            (day(4), day(7)),
        ]
    );
}

#[test]
fn holidays_and_weekends_stretch_durations_and_floats_count_working_days() {
    let mut p = program(vec![
        leaf("long", 10.0),
        leaf("short", 2.0),
        milestone("end"),
    ]);
    p.calendars[0].holidays = vec![DateRange::single(day(7))]; // second Monday
    p.tasks[2].deps = vec![
        dep(0, DepKind::FinishToStart, 0),
        dep(1, DepKind::FinishToStart, 0),
    ];
    let s = tiller_engine::schedule(&p).expect("schedules");
    // Ten working days from Monday, skipping two weekends and the holiday: the Monday
    // of week 3.
    assert_eq!(s.finish_date(TaskIdx(0)), day(14));
    assert_eq!(s.start_date(TaskIdx(2)), day(14));
    let short = s.times[1];
    assert_eq!(short.total_float, 8);
    assert_eq!(short.free_float, 8);
    assert!(!short.critical);
    assert!(s.times[0].critical && s.times[2].critical);
    assert_eq!(s.critical_paths.len(), 1);
    assert_eq!(s.critical_paths[0], vec![TaskIdx(0), TaskIdx(2)]);
}

#[test]
fn part_time_effort_and_time_off_pause_the_work() {
    let mut p = program(vec![task(
        "work",
        TaskKind::Leaf,
        Some(Work::Effort(Estimate::exact(4.0))),
    )]);
    p.people = vec![Person {
        id: "ann".into(),
        name: None,
        email: None,
        team: None,
        calendar: CalendarIdx(0),
        availability: 0.5,
        time_off: vec![DateRange {
            first: day(2),
            last: day(4),
        }],
        day_rate: None,
        src: SourceRef::default(),
    }];
    p.tasks[0].assignment = Assignment::People(vec![PersonIdx(0)]);
    // 4 person-days at half time = 8 working days: Mon, Tue, (off Wed-Fri), then
    // Mon-Fri of week 2 and Mon of week 3.
    assert_eq!(dates(&p), vec![(day(0), day(14))]);
}

#[test]
fn deadlines_give_negative_float_and_are_reported() {
    let mut a = leaf("a", 5.0);
    a.deadline = Some(Located::new(day(2), SourceRef::default()));
    let mut m = milestone("m");
    m.deps = vec![dep(0, DepKind::FinishToStart, 0)];
    m.promised = Some(Located::new(day(1), SourceRef::default()));
    let p = program(vec![a, m]);
    let s = tiller_engine::schedule(&p).expect("schedules");
    assert_eq!(s.times[0].total_float, -3);
    assert_eq!(s.times[1].total_float, -3);
    assert_eq!(s.missed.len(), 2);
    assert_eq!(s.missed[0].late_days, 2);
    assert_eq!(s.missed[1].late_days, 3);
    assert!(s.missed[1].promised);
    assert_eq!(s.due_slack[1], Some(-3));
}

#[test]
fn summaries_roll_up_and_links_to_them_reach_every_child() {
    // [0] ws summary with children [1] x (2d) and [2] y (4d); [3] z after ws FS.
    let mut ws = task("ws", TaskKind::Summary, None);
    ws.children = vec![TaskIdx(1), TaskIdx(2)];
    ws.not_before = Some(Located::new(day(1), SourceRef::default()));
    let mut x = leaf("x", 2.0);
    x.parent = Some(TaskIdx(0));
    let mut y = leaf("y", 4.0);
    y.parent = Some(TaskIdx(0));
    let mut z = leaf("z", 1.0);
    z.deps = vec![dep(0, DepKind::FinishToStart, 0)];
    let p = program(vec![ws, x, y, z]);
    let d = dates(&p);
    assert_eq!(d[1], (day(1), day(2)));
    assert_eq!(d[2], (day(1), day(4)));
    assert_eq!(d[0], (day(1), day(4)));
    assert_eq!(d[3], (day(7), day(7)));
}

#[test]
fn start_links_from_a_summary_follow_its_first_task() {
    // [0] gate (3d). [1] ws summary with [2] child (2d) after gate. [3] x SS after ws:
    // ws starts when its first task starts (Thursday, after the gate), so x starts then.
    let gate = leaf("gate", 3.0);
    let mut ws = task("ws", TaskKind::Summary, None);
    ws.children = vec![TaskIdx(2)];
    let mut child = leaf("child", 2.0);
    child.parent = Some(TaskIdx(1));
    child.deps = vec![dep(0, DepKind::FinishToStart, 0)];
    let mut x = leaf("x", 1.0);
    x.deps = vec![dep(1, DepKind::StartToStart, 0)];
    let p = program(vec![gate, ws, child, x]);
    let s = tiller_engine::schedule(&p).expect("schedules");
    assert_eq!(s.start_date(TaskIdx(2)), day(3));
    assert_eq!(s.start_date(TaskIdx(3)), day(3));
    // x is not critical (the child finishes later), but the child carries x's late
    // start back to the gate, which stays critical.
    assert!(s.times[0].critical && s.times[2].critical && !s.times[3].critical);
    assert_eq!(s.critical_paths, vec![vec![TaskIdx(0), TaskIdx(2)]]);
}

#[test]
fn cycles_are_reported_with_their_full_path() {
    let mut a = leaf("a", 1.0);
    a.deps = vec![dep(2, DepKind::FinishToStart, 0)];
    let mut b = leaf("b", 1.0);
    b.deps = vec![dep(0, DepKind::StartToStart, 0)];
    let mut c = leaf("c", 1.0);
    c.deps = vec![dep(1, DepKind::FinishToStart, 0)];
    let mut d = leaf("d", 1.0);
    d.deps = vec![dep(3, DepKind::FinishToStart, 0)]; // self-loop, a second cycle
    d.deps[0].pred = TaskIdx(3);
    let p = program(vec![a, b, c, d]);
    let Err(errors) = Network::build(&p) else {
        panic!("cycle not detected");
    };
    let paths: Vec<Vec<u32>> = errors
        .iter()
        .map(|e| match e {
            ScheduleError::Cycle { steps } => steps.iter().map(|s| s.task.0).collect(),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(paths, vec![vec![0, 1, 2], vec![3]]);
}

#[test]
fn a_task_whose_people_never_work_is_an_error_not_a_hang() {
    let mut p = program(vec![task(
        "w",
        TaskKind::Leaf,
        Some(Work::Effort(Estimate::exact(1.0))),
    )]);
    let mut never = Calendar::standard();
    never.workweek = WorkWeek([false; 7]);
    p.calendars.push(never);
    p.people = vec![Person {
        id: "ghost".into(),
        name: None,
        email: None,
        team: None,
        calendar: CalendarIdx(1),
        availability: 1.0,
        time_off: vec![],
        day_rate: None,
        src: SourceRef::default(),
    }];
    p.tasks[0].assignment = Assignment::People(vec![PersonIdx(0)]);
    let Err(errors) = tiller_engine::schedule(&p) else {
        panic!("scheduled without working time");
    };
    assert_eq!(
        errors,
        vec![ScheduleError::NoWorkingTime { task: TaskIdx(0) }]
    );
}

#[test]
fn absurdly_long_chains_are_rejected() {
    let mut tasks = vec![leaf("a0", 36_000.0)];
    let mut next = leaf("a1", 36_000.0);
    next.deps = vec![dep(0, DepKind::FinishToStart, 0)];
    tasks.push(next);
    let p = program(tasks);
    assert!(matches!(
        tiller_engine::schedule(&p),
        Err(e) if matches!(e[0], ScheduleError::TooFar { .. })
    ));
}

// ---------------------------------------------------------------------------------
// Random networks.

/// A reference scheduler written for clarity, not speed: it walks day by day over the
/// program calendar and relaxes every constraint until nothing moves.
fn reference_early_starts(p: &Program) -> Vec<(i64, i64)> {
    let cal = &p.calendars[0];
    let works = |d: i64| cal.is_working_day(day(d));
    let n = p.tasks.len();
    let req: Vec<i64> = p
        .tasks
        .iter()
        .map(|t| match &t.work {
            Some(w) => (w.estimate().likely).ceil() as i64,
            None => 0,
        })
        .collect();
    // Start tick at or after `b` on a working day (milestones stay on working ticks).
    let snap = |b: i64, r: i64| -> i64 {
        if r == 0 {
            if works(day_of(b)) {
                return b;
            }
            let mut d = day_of(b) + 1;
            while !works(d) {
                d += 1;
            }
            return start_of(d);
        }
        let mut d = if is_end(b) { day_of(b) + 1 } else { day_of(b) };
        while !works(d) {
            d += 1;
        }
        start_of(d)
    };
    let finish = |s: i64, r: i64| -> i64 {
        if r == 0 {
            return s;
        }
        let mut d = day_of(s);
        let mut left = r;
        loop {
            if works(d) {
                left -= 1;
                if left == 0 {
                    return end_of(d);
                }
            }
            d += 1;
        }
    };
    // Working-day lag with parity kept, by stepping ticks of the same parity.
    // Completed working days at each day boundary, counted from day -400.
    let mut completed = vec![0i64; 1201];
    for d in -400..800 {
        completed[(d + 401) as usize] = completed[(d + 400) as usize] + i64::from(works(d));
    }
    let wd = |t: i64| -> i64 {
        let boundary = if is_end(t) { day_of(t) + 1 } else { day_of(t) };
        completed[(boundary + 400) as usize]
    };
    let add_lag = |t: i64, lag: i32| -> i64 {
        if lag == 0 {
            return t;
        }
        let target = wd(t) + lag as i64;
        let mut u = t - 2 * 400;
        while wd(u) < target {
            u += 2;
        }
        u
    };
    let mut es = vec![0i64; n];
    let mut ef = vec![0i64; n];
    for i in 0..n {
        es[i] = snap(0, req[i]);
        ef[i] = finish(es[i], req[i]);
    }
    loop {
        let mut changed = false;
        for i in 0..n {
            let mut s = snap(0, req[i]);
            for d in &p.tasks[i].deps {
                let j = d.pred.index();
                let from = if d.kind.from_finish() { ef[j] } else { es[j] };
                let t = add_lag(from, d.lag.days);
                let c = if d.kind.to_finish() {
                    // Earliest start whose finish is at or after t.
                    let mut c = snap(start_of(-400), req[i]);
                    while finish(c, req[i]) < t {
                        c = snap(c + 1, req[i]);
                    }
                    c
                } else {
                    snap(t, req[i])
                };
                s = s.max(c);
            }
            if s != es[i] {
                es[i] = s;
                ef[i] = finish(s, req[i]);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    es.into_iter().zip(ef).collect()
}

#[derive(Debug, Clone)]
struct Spec {
    durations: Vec<u8>,
    links: Vec<(usize, usize, u8, i8)>,
    holidays: Vec<u8>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (2usize..14).prop_flat_map(|n| {
        (
            prop::collection::vec(0u8..6, n),
            prop::collection::vec((0..n, 0..n, 0u8..4, -3i8..4), 0..n * 2),
            prop::collection::vec(0u8..60, 0..6),
        )
            .prop_map(|(durations, links, holidays)| Spec {
                durations,
                links,
                holidays,
            })
    })
}

fn build(spec: &Spec) -> Program {
    let mut tasks: Vec<Task> = spec
        .durations
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if d == 0 {
                milestone(&format!("m{i}"))
            } else {
                leaf(&format!("t{i}"), d as f64)
            }
        })
        .collect();
    for &(a, b, kind, lag) in &spec.links {
        let (pred, succ) = (a.min(b), a.max(b));
        if pred == succ || tasks[succ].deps.iter().any(|d| d.pred.index() == pred) {
            continue;
        }
        let kind = [
            DepKind::FinishToStart,
            DepKind::StartToStart,
            DepKind::FinishToFinish,
            DepKind::StartToFinish,
        ][kind as usize];
        tasks[succ].deps.push(dep(pred as u32, kind, lag as i32));
    }
    let mut p = program(tasks);
    let mut holidays: Vec<DateRange> = spec
        .holidays
        .iter()
        .map(|&d| DateRange::single(day(d as i64)))
        .collect();
    tiller_core::calendar::normalize_ranges(&mut holidays);
    p.calendars[0].holidays = holidays;
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_networks_match_the_reference_and_keep_every_invariant(spec in spec()) {
        let p = build(&spec);
        let s = tiller_engine::schedule(&p).expect("acyclic by construction");
        let reference = reference_early_starts(&p);
        for (i, t) in p.tasks.iter().enumerate() {
            let times = s.times[i];
            prop_assert_eq!((times.early_start, times.early_finish), reference[i], "task {}", t.id);
            prop_assert!(times.late_start >= times.early_start);
            prop_assert!(times.total_float >= 0, "float without deadlines");
            prop_assert!(times.free_float >= 0 && times.free_float <= times.total_float);
            prop_assert!(times.early_finish <= s.finish && times.late_finish <= s.finish);
            prop_assert_eq!(times.critical, times.total_float == 0);
        }
        // Every dependency holds in the early and the late schedule.
        let axis_cal = tiller_engine::calendars::Profiles::new(&p).work_axis();
        let axis = WorkAxis { calendar: &axis_cal };
        for (i, t) in p.tasks.iter().enumerate() {
            for d in &t.deps {
                let j = d.pred.index();
                for (pred_s, pred_f, succ_s, succ_f) in [
                    (s.times[j].early_start, s.times[j].early_finish, s.times[i].early_start, s.times[i].early_finish),
                    (s.times[j].late_start, s.times[j].late_finish, s.times[i].late_start, s.times[i].late_finish),
                ] {
                    let from = if d.kind.from_finish() { pred_f } else { pred_s };
                    let to = if d.kind.to_finish() { succ_f } else { succ_s };
                    let bound = axis.add_lag(from, d.lag).expect("working calendar");
                    prop_assert!(to >= bound, "{} -> {} violated", p.tasks[j].id, t.id);
                }
            }
        }
        // Every critical path is a chain of zero-float tasks joined by dependencies that
        // ends at the program finish, so nothing finishes later: a longest path.
        prop_assert!(!s.critical_paths.is_empty());
        for path in &s.critical_paths {
            let last = *path.last().expect("non-empty");
            prop_assert_eq!(s.times[last.index()].early_finish, s.finish);
            for w in path.windows(2) {
                prop_assert!(p.tasks[w[1].index()].deps.iter().any(|d| d.pred == w[0]));
            }
            for t in path {
                prop_assert_eq!(s.times[t.index()].total_float, 0);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Tracking: scheduling from a status date, earned value and earned schedule.

fn plan(text: &str) -> Program {
    let loaded = tiller_plan::load_str("test.toml", text, &[]);
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    loaded.program.expect("valid plan")
}

const STATUS_PLAN: &str = r#"
[program]
name = "Status"
start = 2027-01-04          # Monday
status_date = 2027-01-13    # Wednesday of week 2

[[task]]
id = "a"
duration = "3d"

[[task]]
id = "b"
duration = "5d"
after = ["a"]

[[task]]
id = "c"
duration = "2d"
after = ["a"]

[[task]]
id = "d"
duration = "2d"
after = ["b", "c"]

[[progress]]
task = "a"
date = 2027-01-08
status = "done"
started = 2027-01-04
finished = 2027-01-08       # two days late

[[progress]]
task = "b"
date = 2027-01-13
started = 2027-01-11
remaining = "4d"            # one day done of five... and four still to go
"#;

#[test]
fn finished_work_is_fixed_in_progress_work_resumes_after_the_status_date() {
    let p = plan(STATUS_PLAN);
    let s = tiller_engine::schedule(&p).expect("schedules");
    let t = |id: &str| p.find_task(id).expect("task");
    // a: actual dates, no float, never critical.
    assert_eq!(
        (s.start_date(t("a")), s.finish_date(t("a"))),
        (day(0), day(4))
    );
    assert_eq!(s.times[0].status, tiller_core::TaskStatus::Done);
    assert!(!s.times[0].critical);
    // b: keeps its actual start; its 4 remaining days run Thu 14 .. Tue 19.
    assert_eq!(
        (s.start_date(t("b")), s.finish_date(t("b"))),
        (day(7), day(15))
    );
    // c: could have started on the 11th, but nothing unfinished goes on or before the
    // status date: Thu 14 - Fri 15.
    assert_eq!(
        (s.start_date(t("c")), s.finish_date(t("c"))),
        (day(10), day(11))
    );
    // d after b: Wed 20 - Thu 21.
    assert_eq!(
        (s.start_date(t("d")), s.finish_date(t("d"))),
        (day(16), day(17))
    );
    assert!(s.times[1].critical && s.times[3].critical && !s.times[2].critical);
    assert_eq!(s.times[2].total_float, 2);
    // Without a status date, the same plan schedules as written.
    let mut plain = p.clone();
    plain.status_date = None;
    let s = tiller_engine::schedule(&plain).expect("schedules");
    assert_eq!(
        (s.start_date(t("b")), s.finish_date(t("b"))),
        (day(3), day(9))
    );
}

/// The fence exercise from Rita Mulcahy's *PMP Exam Prep* (p. 210), as reproduced in
/// "Earned Value Exercise" (studylib.net/doc/5898152): four sides built one a day at
/// $1,000 each; at the end of day 3, sides 1 and 2 are complete (spent $1,000 and
/// $1,200), side 3 is half done ($600 spent) and side 4 not started. Every expected
/// number below is the source's, except where a comment says otherwise.
const FENCE: &str = r#"
[program]
name = "Fence"
start = 2027-01-04
status_date = 2027-01-06     # end of day 3

[person.builder]
rate = "1000/day"

[[task]]
id = "side1"
effort = "1d"
assignee = "builder"

[[task]]
id = "side2"
effort = "1d"
assignee = "builder"
after = ["side1"]

[[task]]
id = "side3"
effort = "1d"
assignee = "builder"
after = ["side2"]

[[task]]
id = "side4"
effort = "1d"
assignee = "builder"
after = ["side3"]

[baseline.plan]
saved = 2027-01-01
tasks = [
  { id = "side1", start = 2027-01-04, finish = 2027-01-04, work = "1d", cost = 1000 },
  { id = "side2", start = 2027-01-05, finish = 2027-01-05, work = "1d", cost = 1000 },
  { id = "side3", start = 2027-01-06, finish = 2027-01-06, work = "1d", cost = 1000 },
  { id = "side4", start = 2027-01-07, finish = 2027-01-07, work = "1d", cost = 1000 },
]

[[progress]]
task = "side1"
date = 2027-01-04
status = "done"
cost = 1000

[[progress]]
task = "side2"
date = 2027-01-05
status = "done"
cost = 1200

[[progress]]
task = "side3"
date = 2027-01-06
done = 0.5
cost = 600
"#;

fn evm_of(p: &Program, baseline: Option<usize>) -> tiller_engine::evm::EvmReport {
    let unprogressed = Network::build_as_of(p, None)
        .and_then(|n| n.schedule())
        .expect("schedules");
    let plan_dates: Vec<_> = (0..p.tasks.len())
        .map(|i| {
            let t = TaskIdx(i as u32);
            (unprogressed.start_date(t), unprogressed.finish_date(t))
        })
        .collect();
    let calendar = tiller_engine::calendars::Profiles::new(p).work_axis();
    tiller_engine::evm::evaluate(&tiller_engine::evm::EvmInput {
        program: p,
        baseline: baseline.map(|b| &p.baselines[b]),
        plan_dates: &plan_dates,
        as_of: p.status_date.expect("status date"),
        calendar: &calendar,
    })
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn earned_value_matches_the_fence_exercise() {
    let p = plan(FENCE);
    let m = evm_of(&p, Some(0)).program;
    assert_eq!((m.pv, m.ev, m.ac, m.bac), (3000.0, 2500.0, 2800.0, 4000.0));
    assert_eq!((m.cv, m.sv), (-300.0, -500.0));
    // The source rounds CPI to .893 and SPI to .833.
    assert!(close(m.cpi.expect("defined"), 0.893, 0.0005));
    assert!(close(m.spi.expect("defined"), 0.833, 0.0005));
    // Source: EAC = 4,000 / .893 = 4,479, ETC = 1,679, VAC = -479 (with CPI rounded;
    // unrounded they are 4,480, 1,680 and -480).
    let eac = m.eac_cpi.expect("defined");
    assert!(close(eac, 4480.0, 0.01));
    assert!(close(eac - m.ac, 1680.0, 0.01));
    assert!(close(m.vac.expect("defined"), -480.0, 0.01));
    // Not in the source, from the PMI definitions: EAC = AC + (BAC - EV) = 4,300;
    // TCPI(BAC) = (4,000 - 2,500) / (4,000 - 2,800) = 1.25.
    assert!(close(m.eac_atypical, 4300.0, 1e-6));
    assert!(close(m.tcpi_bac.expect("defined"), 1.25, 1e-6));
    // Bottom-up: half a side and a side left at $1,000 a day.
    assert!(close(m.etc, 1500.0, 1e-6));
    assert!(close(m.eac_bottom_up, 4300.0, 1e-6));
}

/// Earned schedule (Lipke, "Schedule is Different", The Measurable News, 2003):
/// ES = C + (EV - PV_C) / (PV_C+1 - PV_C). For the fence, C = 2 days (PV 2,000 <= EV
/// 2,500 < PV 3,000), so ES = 2 + 500/1,000 = 2.5; AT = 3, PD = 4: SV(t) = -0.5,
/// SPI(t) = 0.8333, TSPI = 1.5, IEAC(t) = 4 / 0.8333 = 4.8 days.
#[test]
fn earned_schedule_of_the_fence() {
    let p = plan(FENCE);
    let es = evm_of(&p, Some(0))
        .program
        .schedule
        .expect("baseline has a span");
    assert!(close(es.es, 2.5, 1e-6));
    assert!(close(es.at, 3.0, 1e-6));
    assert!(close(es.pd, 4.0, 1e-6));
    assert!(close(es.sv_t, -0.5, 1e-6));
    assert!(close(es.spi_t.expect("defined"), 2.5 / 3.0, 1e-6));
    assert!(close(es.tspi.expect("defined"), 1.5, 1e-6));
    assert!(close(es.ieac_t.expect("defined"), 4.8, 1e-6));
    // ES falls during day 3 (Wednesday); the forecast finish is day 5 (Friday).
    assert_eq!(es.es_date, Some(day(2)));
    assert_eq!(es.ieac_t_date, Some(day(4)));
}

/// "Earned Schedule Management (ESM)", MPUG (mpug.com/articles/earned-schedule-
/// management-esm): ten modules of $100,000 planned over 10 months, finished in 12 at
/// $1.3M. At completion SV = 0 and SPI = 1.0 although the project is two months late;
/// earned schedule gives ES = 10, AT = 12, SV(t) = -2, SPI(t) = 0.83. Here one month is
/// modelled as one working day of a one-day week, so the months are the time unit.
#[test]
fn earned_schedule_at_completion_reports_the_lateness_spi_hides() {
    let mut text = String::from(
        "[program]\nname = \"Modules\"\nstart = 2027-01-04\nstatus_date = 2027-03-22\n\
         [calendar.default]\nworkweek = [\"mon\"]\n[person.dev]\nrate = \"100000/day\"\n",
    );
    let mut baseline = String::from("[baseline.plan]\ntasks = [\n");
    for m in 0..10 {
        let after = if m > 0 {
            format!("after = [\"m{}\"]\n", m - 1)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "[[task]]\nid = \"m{m}\"\neffort = \"1d\"\nassignee = \"dev\"\n{after}"
        ));
        let d = day(7 * m);
        baseline.push_str(&format!(
            "{{ id = \"m{m}\", start = {d}, finish = {d}, work = \"1d\", cost = 100000 }},\n"
        ));
    }
    text.push_str(&baseline);
    text.push_str("]\n");
    // All ten modules done by week 12, at $130,000 each.
    for m in 0..10 {
        text.push_str(&format!(
            "[[progress]]\ntask = \"m{m}\"\ndate = 2027-03-22\nstatus = \"done\"\nstarted = {}\nfinished = {}\ncost = 130000\n",
            day(7 * m + 7 * (m / 5)),
            day(7 * m + 7 * (m / 5)),
        ));
    }
    let p = plan(&text);
    let m = evm_of(&p, Some(0)).program;
    assert_eq!(
        (m.bac, m.pv, m.ev, m.ac),
        (1_000_000.0, 1_000_000.0, 1_000_000.0, 1_300_000.0)
    );
    assert_eq!(m.sv, 0.0);
    assert_eq!(m.spi, Some(1.0));
    assert!(close(m.cv, -300_000.0, 1e-6));
    let es = m.schedule.expect("span");
    assert!(close(es.es, 10.0, 1e-6));
    assert!(close(es.at, 12.0, 1e-6));
    assert!(close(es.sv_t, -2.0, 1e-6));
    assert!(close(es.spi_t.expect("defined"), 10.0 / 12.0, 1e-6));
    // Finished late: planned remaining time is zero, so TSPI is undefined.
    assert_eq!(es.tspi, None);
}

#[test]
fn every_division_by_zero_is_undefined_rather_than_a_number() {
    // As of the day before anything was planned or spent: PV = EV = AC = 0.
    let mut p = plan(FENCE);
    p.status_date = Some(day(-3));
    let m = evm_of(&p, Some(0)).program;
    assert_eq!((m.pv, m.ev, m.ac), (0.0, 0.0, 0.0));
    assert_eq!(
        (m.spi, m.cpi, m.eac_cpi, m.eac_composite, m.vac, m.tcpi_eac),
        (None, None, None, None, None, None)
    );
    assert_eq!(m.tcpi_bac, Some(1.0));
    let es = m.schedule.expect("span");
    assert_eq!(es.es, 0.0);
    assert_eq!(es.spi_t, None, "no time has elapsed");
    assert_eq!(es.ieac_t, None);
}

#[test]
fn without_a_baseline_the_plan_as_written_stands_in_and_unbaselined_work_earns_nothing() {
    let p = plan(FENCE);
    let r = evm_of(&p, None);
    assert_eq!(r.baseline, None);
    // The plan as written has the same dates and costs as the baseline here.
    assert_eq!(
        (r.program.pv, r.program.ev, r.program.bac),
        (3000.0, 2500.0, 4000.0)
    );
    // A baseline missing side4: its work has no budget, so it earns no value.
    let mut p2 = p.clone();
    p2.baselines[0].tasks.pop();
    let r = evm_of(&p2, Some(0));
    assert_eq!(r.program.bac, 3000.0);
    let side4 = r.tasks.iter().find(|t| t.task == "side4").expect("side4");
    assert!(!side4.baselined);
    assert_eq!(side4.metrics.ev, 0.0);
}

// ---------------------------------------------------------------------------------
// Forecasting.

use tiller_engine::forecast::{ForecastOptions, forecast, moments};

fn run_forecast(p: &Program, options: &ForecastOptions) -> tiller_engine::forecast::Forecast {
    let net = Network::build(p).expect("schedules");
    forecast(p, &net, options, &|_| {}).expect("forecasts")
}

fn opts(iterations: usize, seed: u64) -> ForecastOptions {
    ForecastOptions {
        iterations,
        seed,
        latin_hypercube: false,
        mitigated: false,
        tornado: false,
        level: None,
    }
}

/// A plan with one uncertain task (on a seven-day week, so days are working days) and
/// a milestone after it.
fn single(estimate: &str, distribution: &str) -> Program {
    plan(&format!(
        "[program]\nname = \"one\"\nstart = 2027-01-04\n[forecast]\ndistribution = \"{distribution}\"\n\
         [calendar.default]\nworkweek = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]\n\
         [[task]]\nid = \"t\"\nduration = \"{estimate}\"\n[[milestone]]\nid = \"m\"\nafter = [\"t\"]\n"
    ))
}

/// Finish days (1-based: a one-day task finishing on day 0 counts 1) of every iteration.
fn durations(f: &tiller_engine::forecast::Forecast, start: NaiveDate) -> Vec<f64> {
    let m = &f.milestones[1];
    let mut out = Vec::new();
    for b in &m.histogram {
        for _ in 0..b.count {
            out.push(((b.date - start).num_days() + 1) as f64);
        }
    }
    out
}

#[test]
fn samples_match_the_beta_pert_and_triangular_moments() {
    // Durations are whole days (rounded up), so the sample mean of the day count is the
    // distribution's mean plus about half a day; its variance adds about 1/12.
    for (dist, d) in [
        ("pert", tiller_core::Distribution::Pert { shape: 4.0 }),
        ("triangular", tiller_core::Distribution::Triangular),
    ] {
        let p = single("10d/20d/60d", dist);
        let f = run_forecast(&p, &opts(20_000, 7));
        let xs = durations(&f, day(0));
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let (m, v) = moments(
            &tiller_core::Estimate {
                optimistic: 10.0,
                likely: 20.0,
                pessimistic: 60.0,
            },
            d,
        );
        // Beta-PERT mean (a + 4m + b) / 6 = 25; triangular (a + m + b) / 3 = 30.
        assert!(
            (mean - (m + 0.5)).abs() < 0.25,
            "{dist}: mean {mean} vs {m}"
        );
        assert!(
            (var - (v + 1.0 / 12.0)).abs() / v < 0.05,
            "{dist}: var {var} vs {v}"
        );
    }
}

#[test]
fn merging_parallel_paths_shows_merge_bias() {
    // Two equal, independent paths into one milestone: its median is the single
    // path's 70.7th percentile (P(max <= x) = F(x)^2 = 0.5).
    let text = "[program]\nname = \"merge\"\nstart = 2027-01-04\n\
        [calendar.default]\nworkweek = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]\n\
        [[task]]\nid = \"a\"\nduration = \"10d/30d/90d\"\n\
        [[task]]\nid = \"b\"\nduration = \"10d/30d/90d\"\n\
        [[milestone]]\nid = \"both\"\nafter = [\"a\", \"b\"]\n\
        [[milestone]]\nid = \"only-a\"\nafter = [\"a\"]\n";
    let p = plan(text);
    let f = run_forecast(&p, &opts(20_000, 3));
    let both = f.milestones.iter().find(|m| m.id == "both").expect("both");
    let only = f.milestones.iter().find(|m| m.id == "only-a").expect("a");
    assert!(
        both.p50 > only.p50,
        "merge bias: {} vs {}",
        both.p50,
        only.p50
    );
    // The single path's 70.7th percentile from its own S-curve.
    let p707 = only
        .s_curve
        .iter()
        .find(|c| c.probability >= 0.5f64.sqrt())
        .expect("curve")
        .date;
    assert!(
        ((both.p50 - p707).num_days()).abs() <= 1,
        "{} vs {p707}",
        both.p50
    );
    // The deterministic date is the most likely path, earlier than either median.
    assert!(both.deterministic < only.p50);
}

#[test]
fn a_risk_shifts_the_mean_by_its_probability_times_its_delay() {
    let base = "[program]\nname = \"risk\"\nstart = 2027-01-04\n\
        [calendar.default]\nworkweek = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]\n\
        [[task]]\nid = \"t\"\nduration = \"20d\"\n[[milestone]]\nid = \"m\"\nafter = [\"t\"]\n";
    let with_risk = format!(
        "{base}[[risk]]\nid = \"R1\"\ntitle = \"late\"\nprobability = 0.3\ndelay = \"10d\"\naffects = [\"t\"]\n"
    );
    let mean = |text: &str| {
        let f = run_forecast(&plan(text), &opts(20_000, 11));
        let xs = durations(&f, day(0));
        xs.iter().sum::<f64>() / xs.len() as f64
    };
    let shift = mean(&with_risk) - mean(base);
    assert!(
        (shift - 3.0).abs() < 0.15,
        "shift {shift}, expected 0.3 x 10 = 3"
    );
    // The tornado attributes the P80 effect to it: occurring in ~30 % of iterations,
    // the risk pushes P80 from day 20 to day 30.
    let mut o = opts(5_000, 11);
    o.tornado = true;
    let f = run_forecast(&plan(&with_risk), &o);
    assert_eq!(f.tornado[0].risk, "R1");
    assert!((f.tornado[0].occurred - 0.3).abs() < 0.02);
    assert_eq!(f.tornado[0].p80_days, 10);
}

#[test]
fn a_risk_on_a_workstream_holds_up_all_its_work() {
    // Two people, so leveling changes nothing and both passes must agree.
    let base = "[program]\nname = \"risk\"\nstart = 2027-01-04\n\
        [calendar.default]\nworkweek = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]\n\
        [person.ann]\n[person.bob]\n\
        [[task]]\nid = \"ws\"\nname = \"Workstream\"\n\
        [[task]]\nid = \"a\"\nparent = \"ws\"\nduration = \"10d\"\nassignee = \"ann\"\n\
        [[task]]\nid = \"b\"\nparent = \"ws\"\nduration = \"4d\"\nassignee = \"bob\"\n\
        [[task]]\nid = \"c\"\nduration = \"3d\"\nassignee = \"bob\"\n\
        [[milestone]]\nid = \"m\"\nafter = [\"ws\", \"c\"]\n";
    let with_risk = format!(
        "{base}[[risk]]\nid = \"R1\"\ntitle = \"late start\"\nprobability = 1.0\ndelay = \"5d\"\naffects = [\"ws\"]\n"
    );
    // Without the risk the workstream ends after its 10-day task; with a certain
    // five-day delay on the workstream, every iteration ends five days later.
    let p = plan(&with_risk);
    let deterministic = plan(base);
    for level in [false, true] {
        let mut o = opts(200, 3);
        if level {
            o.level = Some(tiller_engine::level::LevelOptions::for_program(&p));
        }
        let f = run_forecast(&p, &o);
        let m = f.milestones.iter().find(|m| m.id == "m").expect("m");
        let plain = run_forecast(&deterministic, &o);
        let before = plain.milestones.iter().find(|m| m.id == "m").expect("m");
        assert_eq!(before.p50, day(9), "leveled: {level}");
        assert_eq!((m.p10, m.p95), (day(14), day(14)), "leveled: {level}");
    }
}

#[test]
fn exact_estimates_forecast_the_critical_path_dates() {
    let p = plan(STATUS_PLAN);
    let f = run_forecast(&p, &opts(50, 1));
    for m in &f.milestones {
        assert_eq!(
            (m.p10, m.p95),
            (m.deterministic, m.deterministic),
            "{}",
            m.id
        );
    }
}

#[test]
fn forecasts_are_identical_whatever_the_thread_count() {
    let text = include_str!("../../../examples/tiny.toml")
        .replace("effort = \"4d\"", "effort = \"2d/4d/9d\"")
        .replace("effort = \"3d\"", "effort = \"2d/3d/6d\"");
    let mut p = plan(&text);
    p.forecast.correlation = 0.5;
    let mut o = opts(3_000, 5);
    o.latin_hypercube = true;
    o.tornado = true;
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| serde_json::to_string(&run_forecast(&p, &o)).expect("json"))
    };
    assert_eq!(run(1), run(2));
    assert_ne!(run(1), {
        let mut o2 = o.clone();
        o2.seed = 6;
        serde_json::to_string(&run_forecast(&p, &o2)).expect("json")
    });
}

#[test]
fn team_correlation_widens_the_spread_of_a_sum() {
    // Ten sequential tasks of one team: positively correlated estimates add up to a
    // wider distribution than independent ones (the variance of a sum grows with the
    // covariances).
    let mut text = String::from(
        "[program]\nname = \"c\"\nstart = 2027-01-04\n[team.t]\n[person.p]\nteam = \"t\"\n\
         [calendar.default]\nworkweek = [\"mon\",\"tue\",\"wed\",\"thu\",\"fri\",\"sat\",\"sun\"]\n",
    );
    for i in 0..10 {
        let after = if i > 0 {
            format!("after = [\"t{}\"]\n", i - 1)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "[[task]]\nid = \"t{i}\"\nduration = \"2d/5d/15d\"\nteam = \"t\"\n{after}"
        ));
    }
    text.push_str("[[milestone]]\nid = \"m\"\nafter = [\"t9\"]\n");
    let spread = |rho: f64| {
        let mut p = plan(&text);
        p.forecast.correlation = rho;
        let f = run_forecast(&p, &opts(10_000, 2));
        let m = &f.milestones[1];
        (m.p90 - m.p10).num_days()
    };
    let (independent, correlated) = (spread(0.0), spread(0.8));
    assert!(
        correlated > independent + 5,
        "{independent} vs {correlated}"
    );
}

#[test]
fn throughput_backlogs_are_forecast_from_the_team_history_and_feed_the_graph() {
    use tiller_engine::forecast::{items_in, percentile_of, weeks_for_items};
    // A team finishing exactly 5 items every week needs exactly 6 weeks for 30.
    let steady = weeks_for_items(&[5.0, 5.0, 5.0], 30.0, 1_000, 1);
    assert!(steady.iter().all(|&w| (w - 6.0).abs() < 1e-12));
    assert_eq!(items_in(&[5.0], 4, 100, 1), vec![20.0; 100]);
    // A variable team: the median lands near items / mean throughput, with spread.
    let history = [2.0, 4.0, 6.0, 8.0];
    let weeks = weeks_for_items(&history, 50.0, 20_000, 3);
    let p50 = percentile_of(&weeks, 0.5);
    assert!(
        (p50 - 10.0).abs() < 0.5,
        "median {p50} weeks, expected about 50 / 5"
    );
    assert!(percentile_of(&weeks, 0.95) > percentile_of(&weeks, 0.05) + 2.0);
    // Sampling with replacement: the count in 10 weeks has mean 10 x 5 = 50.
    let counts = items_in(&history, 10, 20_000, 4);
    let mean = counts.iter().sum::<f64>() / counts.len() as f64;
    assert!((mean - 50.0).abs() < 0.3, "mean {mean}");

    // In a plan: an `items` task feeds the dependency graph like any other task, so
    // the milestone after it inherits the backlog's uncertainty.
    let p = plan(
        "[program]\nname = \"b\"\nstart = 2027-01-04\n\
         [team.web]\nthroughput = [2, 4, 6, 8]\n[person.a]\nteam = \"web\"\n\
         [[task]]\nid = \"backlog\"\nteam = \"web\"\nitems = 50\n\
         [[milestone]]\nid = \"m\"\nafter = [\"backlog\"]\n",
    );
    // Deterministic: 50 / 5 = 10 weeks = 50 working days, ending Friday of week 10.
    let s = tiller_engine::schedule(&p).expect("schedules");
    assert_eq!(s.finish_date(TaskIdx(0)), day(7 * 9 + 4));
    let f = run_forecast(&p, &opts(5_000, 9));
    let m = &f.milestones[1];
    assert!(m.p10 < m.p90, "{} .. {}", m.p10, m.p90);
    assert!(m.p10 <= day(7 * 9 + 4) && m.p90 >= day(7 * 9 + 4));
}

#[test]
fn scenarios_cut_scope_mitigate_risks_re_estimate_and_add_people() {
    let p = plan(
        "[program]\nname = \"s\"\nstart = 2027-01-04\n\
         [team.t]\n[person.a]\nteam = \"t\"\nrate = \"100/day\"\n\
         [[task]]\nid = \"build\"\nteam = \"t\"\neffort = \"10d\"\n\
         [[task]]\nid = \"extra\"\nduration = \"5d\"\nafter = [\"build\"]\n\
         [[milestone]]\nid = \"done\"\nafter = [\"extra\"]\n\
         [[risk]]\nid = \"R1\"\ntitle = \"r\"\nprobability = 0.5\ndelay = \"5d\"\naffects = [\"extra\"]\n\
         mitigated = { probability = 0.1, delay = \"1d\" }\n\
         [scenario.all]\nremove = [\"extra\"]\nmitigate = [\"R1\"]\n\
         estimates = { build = \"8d\" }\nadd_people = { t = 1 }\n",
    );
    let s = &p.scenarios[0];
    let q = tiller_engine::scenario::apply(&p, s);
    let t = |id: &str| p.find_task(id).expect("task");
    // `extra` no longer waits for anything and takes no time; `done` no longer waits
    // for it; build is re-estimated to 8 person-days, now spread over two people.
    assert!(q.task(t("extra")).deps.is_empty());
    assert!(q.task(t("done")).deps.is_empty());
    assert_eq!(q.teams[0].members.len(), 2);
    assert_eq!(q.people[1].day_rate, p.people[0].day_rate);
    assert!(matches!(
        q.task(t("build")).assignment,
        tiller_core::Assignment::Team { people: 2, .. }
    ));
    let sched = tiller_engine::schedule(&q).expect("schedules");
    // 8 person-days over two full-time people: 4 working days.
    assert_eq!(sched.finish_date(t("build")), day(3));
    assert_eq!(q.risks[0].impact.probability, 0.1);
    // The base plan is untouched.
    assert_eq!(p.teams[0].members.len(), 1);
    let levers = tiller_engine::scenario::levers(&p, &[t("extra")]);
    let names: Vec<&str> = levers.iter().map(|l| l.scenario.name.as_str()).collect();
    assert_eq!(names, vec!["mitigate-R1", "add-t", "cut-extra"]);
}
