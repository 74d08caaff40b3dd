//! Tests of leveling: every scheduler on plan problems through the
//! independent checker, agreement with the critical-path schedule when
//! resources do not bind, team choices, calendars, priorities, and exact
//! explanations on small programs.

use std::path::Path;

use proptest::prelude::*;
use tiller_core::{Program, TaskIdx};
use tiller_rcpsp::{
    ForwardBackward, ParallelScheme, PriorityRule, Scheduler, Search, SerialScheme, SolveOptions,
    Strategy,
};

use super::*;

fn load_dir(root: &Path) -> Program {
    let text = std::fs::read(root).expect("plan file");
    let mut fetch = |p: &str| std::fs::read(p).map_err(|e| e.to_string());
    let loaded = tiller_plan::load(root.to_str().expect("utf-8 path"), &text, &mut fetch);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.program.expect("valid plan")
}

fn checkout() -> Program {
    load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/checkout/program.toml"))
}

fn plan(text: &str) -> Program {
    let loaded = tiller_plan::load_str("plan.toml", text, &[]);
    assert!(!loaded.has_errors(), "{:?}", loaded.diagnostics);
    loaded.program.expect("valid plan")
}

fn generated(tasks: usize, people: usize, seed: u64) -> Program {
    generated_with(tasks, people, seed, 2.0)
}

fn generated_with(tasks: usize, people: usize, seed: u64, links: f64) -> Program {
    let text = tiller_plan::generate::generate(&tiller_plan::generate::Options {
        tasks,
        seed,
        people,
        links_per_task: links,
        risks: None,
    })
    .expect("generates");
    plan(&text)
}

fn id(p: &Program, t: TaskIdx) -> &str {
    &p.task(t).id
}

fn task(p: &Program, id: &str) -> TaskIdx {
    p.find_task(id).expect("task exists")
}

fn opts(max_schedules: u64, seed: u64) -> LevelOptions {
    LevelOptions {
        max_schedules,
        time_limit: None,
        seed,
        strategy: Strategy::Auto,
    }
}

fn checked(program: &Program, l: &Leveled) {
    if let Err(v) = verify(program, &l.placed()) {
        let names: Vec<String> = v.iter().take(10).map(|x| format!("{x:?}")).collect();
        panic!("infeasible leveled schedule: {}", names.join("\n"));
    }
}

/// Every scheduler behind the kernel's interface, on one program: each
/// result must pass the independent checker and finish no earlier than the
/// resource-free lower bound.
fn all_schedulers(program: &Program, seed: u64) -> Vec<(String, Leveled)> {
    let o = opts(200, seed);
    let rules = [
        PriorityRule::Lft,
        PriorityRule::Lst,
        PriorityRule::Mts,
        PriorityRule::Grpw,
        PriorityRule::MinSlack,
        PriorityRule::Random,
    ];
    let mut out = Vec::new();
    let mut run = |name: String, r: Result<Leveled, LevelError>| {
        let l = r.unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push((name, l));
    };
    for rule in rules {
        let s = SerialScheme { rule, seed };
        run(s.name(), level_with(program, &s, &o));
        let p = ParallelScheme { rule, seed };
        run(p.name(), level_with(program, &p, &o));
    }
    let fb = ForwardBackward {
        rule: PriorityRule::Lft,
        max_schedules: 20,
    };
    run(fb.name(), level_with(program, &fb, &o));
    for strategy in [Strategy::Genetic, Strategy::PriorityRules] {
        let s = Search(SolveOptions {
            max_schedules: 200,
            time_limit: None,
            seed,
            strategy,
        });
        run(s.name(), level_with(program, &s, &o));
    }
    let model = PlanModel::build(program, false).expect("model");
    let lb = tiller_rcpsp::Model::lower_bound(&model);
    for (name, l) in &out {
        if let Err(v) = verify(program, &l.placed()) {
            panic!("{name}: infeasible: {:?}", &v[..v.len().min(5)]);
        }
        assert!(l.finish >= i64::from(lb), "{name}: below the lower bound");
    }
    out
}

#[test]
fn resource_free_schedule_is_the_critical_path_schedule() {
    let programs = [
        checkout(),
        load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tiny.toml")),
        generated(400, 30, 3),
    ];
    for program in &programs {
        let cpm = crate::schedule(program).expect("schedules");
        let free = resource_free(program).expect("levels");
        for (i, t) in cpm.times.iter().enumerate() {
            let l = &free.tasks[i];
            assert_eq!(
                (l.start, l.finish),
                (t.early_start, t.early_finish),
                "{}",
                program.tasks[i].id
            );
            assert_eq!(
                (l.free_start, l.free_finish),
                (t.early_start, t.early_finish)
            );
        }
        assert_eq!(free.finish, cpm.finish);
    }
}

#[test]
fn every_scheduler_levels_the_example_feasibly() {
    let program = checkout();
    all_schedulers(&program, 5);
}

#[test]
fn leveling_is_deterministic_for_a_seed() {
    let program = generated(300, 12, 9);
    let a = level(&program, &opts(300, 4)).expect("levels");
    let b = level(&program, &opts(300, 4)).expect("levels");
    assert_eq!(a.tasks, b.tasks);
    assert_eq!(a.critical_chain, b.critical_chain);
    checked(&program, &a);
}

#[test]
fn generated_programs_level_feasibly() {
    for seed in 0..3 {
        let program = generated(250, 10, seed);
        let l = level(&program, &opts(100, seed)).expect("levels");
        checked(&program, &l);
        let free = resource_free(&program).expect("free");
        assert!(l.finish >= free.finish);
    }
}

const TWO_ON_ONE: &str = r#"
[program]
name = "Two tasks, one person"
start = 2027-01-04

[person.ana]

[[task]]
id = "a"
effort = "3d"
assignee = "ana"

[[task]]
id = "b"
effort = "2d"
assignee = "ana"
priority = 900
"#;

#[test]
fn a_person_works_on_one_task_at_a_time_and_priority_decides() {
    let program = plan(TWO_ON_ONE);
    let l = level(&program, &opts(1, 1)).expect("levels");
    checked(&program, &l);
    let (a, b) = (task(&program, "a"), task(&program, "b"));
    let d = |t: i64| l.date(t).to_string();
    // b has the higher priority: Monday-Tuesday; a follows.
    assert_eq!(
        (d(l.tasks[b.index()].start), d(l.tasks[b.index()].finish)),
        ("2027-01-04".into(), "2027-01-05".into())
    );
    assert_eq!(
        (d(l.tasks[a.index()].start), d(l.tasks[a.index()].finish)),
        ("2027-01-06".into(), "2027-01-08".into())
    );
    assert_eq!(l.tasks[a.index()].delay_days, 2);
    assert_eq!(
        l.tasks[a.index()].delay,
        Some(Delay::Resource {
            holder: Holder::Person(tiller_core::PersonIdx(0)),
            day: 1,
            tasks: vec![b]
        })
    );
    assert_eq!(l.critical_chain, vec![b, a]);
    assert!(l.tasks[a.index()].critical_chain && l.tasks[b.index()].critical_chain);
    let _ = id(&program, a);
}

fn dates(l: &Leveled, t: TaskIdx) -> (String, String) {
    let lt = &l.tasks[t.index()];
    (l.date(lt.start).to_string(), l.date(lt.finish).to_string())
}

fn people_of(p: &Program, l: &Leveled, t: TaskIdx) -> Vec<String> {
    l.tasks[t.index()]
        .assigned
        .iter()
        .map(|x| p.person(*x).id.clone())
        .collect()
}

#[test]
fn team_work_goes_to_the_member_who_finishes_first() {
    // Ana works full time, Ben half time; two 4-day efforts for "any one of
    // the team" from Monday 4 January. The first listed (higher priority)
    // takes Ana: Monday to Thursday. For the second, Ben from Monday would
    // need 8 working days (to Wednesday 13), Ana after the first only 4 (to
    // Wednesday 13 as well): equal finishes, so the earlier start wins.
    let program = plan(
        r#"
[program]
name = "Team"
start = 2027-01-04

[team.web]

[person.ana]
team = "web"

[person.ben]
team = "web"
availability = 0.5

[[task]]
id = "one"
effort = "4d"
team = "web"
priority = 900

[[task]]
id = "two"
effort = "4d"
team = "web"
"#,
    );
    let l = level(&program, &opts(1, 1)).expect("levels");
    checked(&program, &l);
    let (one, two) = (task(&program, "one"), task(&program, "two"));
    assert_eq!(people_of(&program, &l, one), ["ana"]);
    assert_eq!(dates(&l, one), ("2027-01-04".into(), "2027-01-07".into()));
    assert_eq!(people_of(&program, &l, two), ["ben"]);
    assert_eq!(dates(&l, two), ("2027-01-04".into(), "2027-01-13".into()));
    // The resource-free schedule runs both at the team's mean availability
    // (0.75: 5.33 days, so 6): Monday to Monday.
    assert_eq!(
        l.date(l.tasks[one.index()].free_finish).to_string(),
        "2027-01-11"
    );
    // Two people: both members, at 1.5 person-days a day.
    let pair = plan(
        r#"
[program]
name = "Pair"
start = 2027-01-04

[team.web]

[person.ana]
team = "web"

[person.ben]
team = "web"
availability = 0.5

[[task]]
id = "both"
effort = "6d"
team = "web"
people = 2
"#,
    );
    let l = level(&pair, &opts(10, 1)).expect("levels");
    checked(&pair, &l);
    let both = task(&pair, "both");
    assert_eq!(people_of(&pair, &l, both), ["ana", "ben"]);
    assert_eq!(dates(&l, both), ("2027-01-04".into(), "2027-01-07".into()));
}

#[test]
fn time_off_pauses_named_work_and_shows_as_a_calendar_gap() {
    let program = plan(
        r#"
[program]
name = "Time off"
start = 2027-01-04

[team.web]

[person.ana]
team = "web"
off = ["2027-01-06..2027-01-08"]

[person.ben]
team = "web"

[[task]]
id = "named"
effort = "3d"
assignee = "ana"
priority = 800

[[task]]
id = "busy"
effort = "10d"
assignee = "ben"
priority = 900

[[task]]
id = "team"
effort = "2d"
team = "web"
"#,
    );
    let l = level(&program, &opts(20, 1)).expect("levels");
    checked(&program, &l);
    // Ana works Monday and Tuesday, is off Wednesday to Friday, finishes
    // Monday 11 (the resource-free schedule pauses named work too).
    let named = task(&program, "named");
    assert_eq!(dates(&l, named), ("2027-01-04".into(), "2027-01-11".into()));
    assert_eq!(l.tasks[named.index()].delay, None);
    // Ben is busy for two weeks, so the team task waits for Ana: after her
    // own task on Monday 11, Tuesday 12 and Wednesday 13.
    let team = task(&program, "team");
    assert_eq!(people_of(&program, &l, team), ["ana"]);
    assert_eq!(dates(&l, team), ("2027-01-12".into(), "2027-01-13".into()));
    assert_eq!(
        l.tasks[team.index()].delay,
        Some(Delay::Resource {
            holder: Holder::Person(tiller_core::PersonIdx(0)),
            day: 7,
            tasks: vec![named]
        })
    );
}

#[test]
fn shared_resources_limit_parallel_work_and_pause_when_closed() {
    let program = plan(
        r#"
[program]
name = "Lab"
start = 2027-01-04

[calendar.default]

[calendar.lab]
based_on = "default"
holidays = [2027-01-13]

[resource.lab]
capacity = 2
calendar = "lab"

[[task]]
id = "a"
duration = "3d"
uses = ["lab"]

[[task]]
id = "b"
duration = "3d"
uses = ["lab"]

[[task]]
id = "c"
duration = "3d"
uses = ["lab"]

[[task]]
id = "big"
duration = "2d"
uses = { lab = 2 }
after = ["c"]
"#,
    );
    let l = level(&program, &opts(50, 1)).expect("levels");
    checked(&program, &l);
    let id = |s: &str| task(&program, s);
    // Two of a, b, c run Monday to Wednesday, the third Thursday to Monday.
    let mut starts: Vec<String> = ["a", "b", "c"].iter().map(|t| dates(&l, id(t)).0).collect();
    starts.sort();
    assert_eq!(starts, ["2027-01-04", "2027-01-04", "2027-01-07"]);
    // `big` needs both units after c; the lab is closed on Wednesday 13,
    // so its two days pause over it.
    let big = id("big");
    let (s, f) = dates(&l, big);
    assert_eq!(f, {
        let start = chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").expect("date");
        // Two working days of the lab from the start.
        let mut d = start;
        let mut left = 2;
        loop {
            if d != chrono::NaiveDate::from_ymd_opt(2027, 1, 13).expect("date")
                && program.calendar(program.default_calendar).is_working_day(d)
            {
                left -= 1;
                if left == 0 {
                    break d.to_string();
                }
            }
            d = d.succ_opt().expect("date");
        }
    });
}

#[test]
fn verify_catches_broken_schedules() {
    let program = plan(TWO_ON_ONE);
    let l = level(&program, &opts(1, 1)).expect("levels");
    let good = l.placed();
    assert_eq!(verify(&program, &good), Ok(()));
    let (a, b) = (task(&program, "a").index(), task(&program, "b").index());
    // Both on Monday: Ana on two tasks.
    let mut p = good.clone();
    p[a].start = p[b].start;
    p[a].resume = p[b].start;
    p[a].finish = p[b].start + 5;
    let v = verify(&program, &p).expect_err("overlap");
    assert!(
        v.iter()
            .any(|x| matches!(x, Violation::PersonOverloaded { .. })),
        "{v:?}"
    );
    // A finish that does not match the work.
    let mut p = good.clone();
    p[a].finish += 2;
    let v = verify(&program, &p).expect_err("wrong finish");
    assert!(
        v.iter().any(|x| matches!(x, Violation::Work { .. })),
        "{v:?}"
    );
    // Somebody else.
    let mut p = good.clone();
    p[a].people.clear();
    let v = verify(&program, &p).expect_err("nobody");
    assert!(
        v.iter().any(|x| matches!(x, Violation::People { .. })),
        "{v:?}"
    );
    // Before the program start.
    let mut p = good.clone();
    p[b].start -= 2;
    p[b].resume -= 2;
    p[b].finish -= 2;
    let v = verify(&program, &p).expect_err("too early");
    assert!(
        v.iter().any(|x| matches!(x, Violation::TooEarly { .. })),
        "{v:?}"
    );
    // A dependency broken.
    let linked = plan(
        r#"
[program]
name = "Link"
start = 2027-01-04

[[task]]
id = "x"
duration = "2d"

[[task]]
id = "y"
duration = "1d"
after = ["x FS+1d"]
"#,
    );
    let l = level(&linked, &opts(1, 1)).expect("levels");
    let mut p = l.placed();
    assert_eq!(verify(&linked, &p), Ok(()));
    // y on Wednesday (x ends Tuesday, one day of lag: Thursday at the earliest).
    p[1].start -= 2;
    p[1].resume -= 2;
    p[1].finish -= 2;
    let v = verify(&linked, &p).expect_err("too close");
    assert!(
        v.iter().any(|x| matches!(x, Violation::Dependency { .. })),
        "{v:?}"
    );
}

/// A random small program exercising every feature leveling deals with:
/// calendars (a Sunday-Thursday one too), holidays, part-time people with
/// time off, teams with `people`, named pairs, a shared resource with a
/// calendar, effort and duration, all four link types with leads, lags and
/// elapsed lags, summaries, milestones, `not_before` and priorities.
/// SplitMix64: enough randomness for test programs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn random_range<T: TryFrom<u64> + TryInto<u64> + Copy>(
        &mut self,
        r: impl std::ops::RangeBounds<T>,
    ) -> T {
        use std::ops::Bound::*;
        let lo: u64 = match r.start_bound() {
            Included(x) => (*x).try_into().ok().unwrap_or(0),
            Excluded(x) => (*x).try_into().ok().unwrap_or(0) + 1,
            Unbounded => 0,
        };
        let hi: u64 = match r.end_bound() {
            Included(x) => (*x).try_into().ok().unwrap_or(0) + 1,
            Excluded(x) => (*x).try_into().ok().unwrap_or(0),
            Unbounded => u64::MAX,
        };
        let v = lo + self.next() % (hi - lo).max(1);
        T::try_from(v).ok().expect("in range")
    }
    fn random_bool(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

fn random_program(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut s = String::from(
        "[program]\nname = \"Random\"\nstart = 2027-01-04\n\n[calendar.default]\nholidays = [2027-01-18]\n\n\
         [calendar.mideast]\nworkweek = [\"sun\", \"mon\", \"tue\", \"wed\", \"thu\"]\n\n\
         [calendar.lab]\nbased_on = \"default\"\nholidays = [2027-01-13, \"2027-01-21..2027-01-22\"]\n\n",
    );
    let teams = rng.random_range(1..=2usize);
    let mut members: Vec<Vec<String>> = vec![Vec::new(); teams];
    let mut all_people = Vec::new();
    for (t, team_members) in members.iter_mut().enumerate() {
        s.push_str(&format!("[team.t{t}]\n\n"));
        for k in 0..rng.random_range(1..=3usize) {
            let id = format!("p{t}{k}");
            s.push_str(&format!("[person.{id}]\nteam = \"t{t}\"\n"));
            match rng.random_range(0..4) {
                0 => s.push_str("availability = 0.5\n"),
                1 => s.push_str("availability = 0.8\n"),
                _ => {}
            }
            if rng.random_bool(0.2) {
                s.push_str("calendar = \"mideast\"\n");
            }
            if rng.random_bool(0.4) {
                let d = rng.random_range(5..20);
                s.push_str(&format!(
                    "off = [\"2027-01-{d:02}..2027-01-{:02}\"]\n",
                    d + rng.random_range(0..5)
                ));
            }
            s.push('\n');
            team_members.push(id.clone());
            all_people.push(id);
        }
    }
    let lab = rng.random_bool(0.6);
    let lab_cap = rng.random_range(1..=2u32);
    if lab {
        s.push_str(&format!(
            "[resource.lab]\ncapacity = {lab_cap}\n{}\n",
            if rng.random_bool(0.5) {
                "calendar = \"lab\"\n"
            } else {
                ""
            }
        ));
    }
    let n = rng.random_range(3..=10usize);
    let summary = rng.random_bool(0.5);
    if summary {
        s.push_str("[[task]]\nid = \"ws\"\nname = \"Workstream\"\n\n");
    }
    let kinds = ["FS", "SS", "FF", "SF"];
    let mut milestones = Vec::new();
    for i in 0..n {
        let milestone = i > 0 && rng.random_bool(0.15);
        if milestone {
            s.push_str(&format!("[[milestone]]\nid = \"x{i}\"\n"));
            milestones.push(i);
        } else {
            s.push_str(&format!("[[task]]\nid = \"x{i}\"\n"));
            let len = rng.random_range(1..=5);
            if rng.random_bool(0.7) {
                s.push_str(&format!("effort = \"{len}d\"\n"));
            } else {
                s.push_str(&format!("duration = \"{len}d\"\n"));
            }
            match rng.random_range(0..4) {
                0 => {
                    let p = &all_people[rng.random_range(0..all_people.len())];
                    s.push_str(&format!("assignee = \"{p}\"\n"));
                }
                1 if all_people.len() >= 2 => {
                    let a = rng.random_range(0..all_people.len());
                    let b = (a + 1 + rng.random_range(0..all_people.len() - 1)) % all_people.len();
                    s.push_str(&format!(
                        "assignees = [\"{}\", \"{}\"]\n",
                        all_people[a], all_people[b]
                    ));
                }
                2 => {
                    let t = rng.random_range(0..teams);
                    let k = rng.random_range(1..=members[t].len());
                    s.push_str(&format!("team = \"t{t}\"\npeople = {k}\n"));
                }
                _ => {}
            }
            if lab && rng.random_bool(0.4) {
                s.push_str(&format!(
                    "uses = {{ lab = {} }}\n",
                    rng.random_range(1..=lab_cap)
                ));
            }
            if summary && rng.random_bool(0.5) {
                s.push_str("parent = \"ws\"\n");
            }
        }
        if rng.random_bool(0.2) {
            s.push_str(&format!(
                "not_before = 2027-01-{:02}\n",
                rng.random_range(4..20)
            ));
        }
        s.push_str(&format!("priority = {}\n", rng.random_range(0..=1000)));
        let mut after = Vec::new();
        for j in 0..i {
            if rng.random_bool(0.3) {
                let kind = kinds[rng.random_range(0..4)];
                let lag = match rng.random_range(0..4) {
                    0 => String::new(),
                    1 => format!("+{}d", rng.random_range(1..4)),
                    2 => format!("-{}d", rng.random_range(1..3)),
                    _ => format!("+{}ed", rng.random_range(1..4)),
                };
                after.push(format!("\"x{j} {kind}{lag}\""));
            }
        }
        if summary && i == n - 1 {
            after.push("\"ws\"".to_string());
        }
        if !after.is_empty() {
            s.push_str(&format!("after = [{}]\n", after.join(", ")));
        }
        s.push('\n');
    }
    s
}

/// Levels the random program of `seed` with every scheduler: the
/// resource-free pass reproduces the critical-path schedule, every result
/// passes the checker, and every delay of a left-justified result has a
/// cause.
fn check_random_program(seed: u64) -> Result<(), TestCaseError> {
    let text = random_program(seed);
    let loaded = tiller_plan::load_str("random.toml", &text, &[]);
    prop_assume!(!loaded.has_errors());
    let program = loaded.program.expect("valid");
    prop_assume!(crate::schedule(&program).is_ok());
    let cpm = crate::schedule(&program).expect("schedules");
    let free = resource_free(&program).expect("free");
    for (i, t) in cpm.times.iter().enumerate() {
        prop_assert_eq!(
            (free.tasks[i].start, free.tasks[i].finish),
            (t.early_start, t.early_finish),
            "{}\n{}",
            program.tasks[i].id,
            text
        );
    }
    let results = all_schedulers(&program, seed);
    for (name, l) in &results {
        for (i, t) in l.tasks.iter().enumerate() {
            prop_assert!(
                t.delay != Some(Delay::Unforced),
                "{} {}\n{}",
                name,
                program.tasks[i].id,
                text
            );
            if let Some(Delay::Resource { tasks, .. }) = &t.delay {
                prop_assert!(!tasks.is_empty());
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_programs_level_feasibly_with_every_scheduler(seed in 0u64..1_000_000) {
        check_random_program(seed)?;
    }
}

/// Programs that once exposed a parallel pass holding a task past a start
/// it had room for, or a left-justification that re-chose modes.
#[test]
fn programs_that_once_left_delays_unexplained_level_cleanly() {
    for seed in [189_847, 628_137, 801_342] {
        match check_random_program(seed) {
            Ok(()) => {}
            Err(TestCaseError::Reject(why)) => {
                panic!("seed {seed} no longer makes a usable program: {why}")
            }
            Err(TestCaseError::Fail(why)) => panic!("seed {seed}: {why}"),
        }
    }
}

#[test]
fn random_programs_are_mostly_valid() {
    let valid = (0..40)
        .filter(|&seed| {
            let loaded = tiller_plan::load_str("random.toml", &random_program(seed), &[]);
            if loaded.has_errors() {
                eprintln!("{seed}: {:?}", loaded.diagnostics.first());
            }
            !loaded.has_errors()
        })
        .count();
    assert!(valid >= 30, "only {valid} of 40 random programs are valid");
}

// ------------------------------------------------------------------
// Replays of the leveled order (forecasting with leveling).

/// Replaying the leveled order with the plan's own work gives the
/// leveled schedule back, task by task.
fn assert_replay_reproduces(program: &Program, options: &LevelOptions) {
    let replay = Replay::level(program, options, &[]).expect("levels");
    let l = replay.leveled();
    replay.with_session(|s| {
        s.run(&[]).expect("replays");
        for (i, t) in program.tasks.iter().enumerate() {
            let idx = TaskIdx(i as u32);
            if t.kind == tiller_core::TaskKind::Summary {
                continue;
            }
            assert_eq!(
                (s.start(idx), s.finish(idx)),
                (l.tasks[i].start, l.tasks[i].finish),
                "{}",
                t.id
            );
        }
        assert_eq!(s.program_finish(), l.finish);
    });
}

#[test]
fn replaying_the_leveled_order_gives_the_leveled_schedule_back() {
    let program = checkout();
    assert_replay_reproduces(&program, &LevelOptions::for_program(&program));
    assert_replay_reproduces(&program, &opts(50, 3));
    for seed in 1..=4 {
        let program = generated(120, 8, seed);
        assert_replay_reproduces(&program, &opts(200, seed));
    }
    // Calendars, time off, part time, shared resources, team choices,
    // progress: whatever the search found.
    let mut replayed = 0;
    for seed in 0..40 {
        let loaded = tiller_plan::load_str("random.toml", &random_program(seed), &[]);
        if loaded.has_errors() {
            continue;
        }
        let Some(program) = loaded.program else {
            continue;
        };
        if crate::schedule(&program).is_err() || level(&program, &opts(1, 1)).is_err() {
            continue;
        }
        assert_replay_reproduces(&program, &opts(1, 1));
        assert_replay_reproduces(&program, &opts(100, seed));
        replayed += 1;
    }
    assert!(replayed >= 20, "only {replayed} random programs replayed");
}

// ------------------------------------------------------------------
// Leveled forecasts.

use crate::forecast::{Forecast, ForecastOptions, forecast};

fn forecast_of(program: &Program, iterations: usize, level: Option<LevelOptions>) -> Forecast {
    let net = crate::Network::build(program).expect("schedules");
    let options = ForecastOptions {
        iterations,
        seed: 3,
        latin_hypercube: false,
        mitigated: false,
        tornado: false,
        level,
    };
    forecast(program, &net, &options, &|_| {}).expect("forecasts")
}

/// The program with every estimate certain (backlogs at their mean duration) and
/// every risk closed: a forecast of it has no variance.
fn certain(program: &Program) -> Program {
    let mut p = program.clone();
    for t in &mut p.tasks {
        t.work = match t.work.take() {
            Some(tiller_core::Work::Effort(e)) => Some(tiller_core::Work::Effort(
                tiller_core::Estimate::exact(e.likely),
            )),
            Some(tiller_core::Work::Duration(e)) => Some(tiller_core::Work::Duration(
                tiller_core::Estimate::exact(e.likely),
            )),
            Some(tiller_core::Work::Items { duration, .. }) => Some(tiller_core::Work::Duration(
                tiller_core::Estimate::exact(duration.likely),
            )),
            None => None,
        };
    }
    for r in &mut p.risks {
        r.status = tiller_core::RiskStatus::Closed;
    }
    p
}

/// Without variance every iteration is the deterministic leveled schedule: each
/// milestone's histogram is one bin at its leveled date.
fn assert_every_iteration_is_the_leveled_schedule(program: &Program, level: LevelOptions) {
    let leveled = level_fn(program, &level);
    let f = forecast_of(program, 300, Some(level));
    assert!(f.leveled);
    let summary = f.leveling.as_ref().expect("leveling summary");
    assert_eq!(summary.finish, leveled.date(leveled.finish));
    assert_eq!(
        summary.resource_free_finish,
        leveled.date(leveled.free_finish)
    );
    for m in &f.milestones {
        let expected = if m.id == "program" {
            leveled.date(leveled.finish)
        } else {
            leveled.date(leveled.tasks[task(program, &m.id).index()].finish)
        };
        assert_eq!(m.deterministic, expected, "{}", m.id);
        assert_eq!(m.histogram.len(), 1, "{}: {:?}", m.id, m.histogram);
        assert_eq!(
            (m.histogram[0].date, m.histogram[0].count),
            (expected, 300),
            "{}",
            m.id
        );
    }
}

fn level_fn(program: &Program, options: &LevelOptions) -> Leveled {
    level(program, options).expect("levels")
}

#[test]
fn a_certain_leveled_forecast_is_the_leveled_schedule_in_every_iteration() {
    let program = certain(&checkout());
    assert_every_iteration_is_the_leveled_schedule(&program, LevelOptions::for_program(&program));
    for seed in 1..=3 {
        let program = certain(&generated(150, 8, seed));
        assert_every_iteration_is_the_leveled_schedule(&program, opts(100, seed));
    }
}

/// One person, three uncertain tasks that could run in parallel, then a milestone;
/// a risk delays the first task.
const CONTENDED: &str = r#"
[program]
name = "contended"
start = 2027-01-04

[calendar.default]
workweek = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

[person.ann]

[[task]]
id = "a"
effort = "3d/5d/9d"
assignees = ["ann"]

[[task]]
id = "b"
effort = "4d/5d/8d"
assignees = ["ann"]

[[task]]
id = "c"
effort = "2d/5d/10d"
assignees = ["ann"]

[[milestone]]
id = "done"
after = ["a", "b", "c"]

[[risk]]
id = "R-1"
title = "Rework"
probability = 0.5
delay = "5d"
affects = ["a"]
"#;

#[test]
fn leveling_in_every_iteration_moves_the_forecast_later_where_people_are_shared() {
    let program = plan(CONTENDED);
    let level = LevelOptions::for_program(&program);
    let free = forecast_of(&program, 2_000, None);
    let leveled = forecast_of(&program, 2_000, Some(level.clone()));
    let (f, l) = (&free.milestones[0], &leveled.milestones[0]);
    // Resource-free the three tasks overlap; leveled, Ann does them one after the
    // other: about three times as long.
    assert!(l.p50 > f.p50, "leveled P50 {} vs {}", l.p50, f.p50);
    assert!((l.p50 - f.p50).num_days() >= 8, "{} vs {}", l.p50, f.p50);
    assert!(l.p10 > l.deterministic - chrono::Duration::days(6));
    // Certain estimates: the leveled P50 is exactly the deterministic leveled
    // finish, later than the resource-free one.
    let certain = certain(&program);
    let c = forecast_of(&certain, 500, Some(level));
    let summary = c.leveling.as_ref().expect("summary");
    assert_eq!(c.milestones[0].p50, summary.finish);
    assert_eq!(
        summary.finish - summary.resource_free_finish,
        chrono::Duration::days(10)
    );
    // Criticality follows the person: every task holds Ann in every iteration,
    // so every one is on the chain; resource-free, only the longest is.
    for t in &leveled.tasks {
        assert_eq!(t.criticality, 1.0, "{}", t.id);
    }
    let free_total: f64 = free.tasks.iter().map(|t| t.criticality).sum();
    assert!(free_total < 1.5, "{free_total}");
}

#[test]
fn the_tornado_runs_leveled_too() {
    let program = plan(CONTENDED);
    let net = crate::Network::build(&program).expect("schedules");
    let mut options = ForecastOptions {
        iterations: 1_000,
        seed: 5,
        tornado: true,
        level: Some(LevelOptions::for_program(&program)),
        ..ForecastOptions::default()
    };
    let leveled = forecast(&program, &net, &options, &|_| {}).expect("forecasts");
    options.level = None;
    let free = forecast(&program, &net, &options, &|_| {}).expect("forecasts");
    // Leveled, the risk's five days always reach the finish (Ann does everything);
    // resource-free, `a` is often not the longest task and they are partly absorbed.
    assert_eq!(leveled.tornado.len(), 1);
    let (l, f) = (leveled.tornado[0].p80_days, free.tornado[0].p80_days);
    assert!(l >= 3 && l > f, "leveled {l}, resource-free {f}");
}

#[test]
fn leveled_forecasts_are_identical_whatever_the_thread_count() {
    let mut program = checkout();
    program.forecast.correlation = 0.4;
    let net = crate::Network::build(&program).expect("schedules");
    let options = ForecastOptions {
        iterations: 700,
        seed: 11,
        latin_hypercube: true,
        mitigated: false,
        tornado: true,
        level: Some(LevelOptions::for_program(&program)),
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            let f = forecast(&program, &net, &options, &|_| {}).expect("forecasts");
            serde_json::to_string(&f).expect("json")
        })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert!(one.contains("\"leveled\":true"));
}
