//! Imports and exports of `tiller-interop`, on small real and hand-written files in
//! `tests/fixtures/` (see the README there for where each comes from): the mapping of
//! each format, round trips through MSPDI, iCalendar's strictness, hostile inputs, and
//! importers run over mutated files.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use tiller_core::{Assignment, DepKind, Program, TaskKind, Work};
use tiller_interop::{Format, ImportOptions, Imported, detect, import};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn imp(name: &str) -> Imported {
    imp_with(name, &ImportOptions::default())
}

fn imp_with(name: &str, options: &ImportOptions) -> Imported {
    match import(&fixture(name), options) {
        Ok(i) => i,
        Err(e) => panic!("{name}: {e}"),
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn task<'a>(p: &'a Program, id: &str) -> &'a tiller_core::Task {
    p.tasks
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("no task {id}"))
}

fn deps(p: &Program, id: &str) -> Vec<(String, DepKind, i32, bool)> {
    task(p, id)
        .deps
        .iter()
        .map(|d| (p.task(d.pred).id.clone(), d.kind, d.lag.days, d.lag.elapsed))
        .collect()
}

fn people_of(p: &Program, id: &str) -> Vec<String> {
    match &task(p, id).assignment {
        Assignment::People(v) => v.iter().map(|i| p.person(*i).id.clone()).collect(),
        _ => Vec::new(),
    }
}

fn dates(p: &Program, id: &str) -> (NaiveDate, NaiveDate) {
    let s = tiller_engine::schedule(p).expect("schedules");
    let i = p.find_task(id).unwrap();
    (s.start_date(i), s.finish_date(i))
}

/// Every import must be a plan the reader accepts, unchanged.
fn reread(i: &Imported) -> Program {
    let loaded = tiller_plan::load_str("imported.toml", &i.toml, &[]);
    assert!(
        !loaded.has_errors(),
        "{}",
        tiller_plan::render(
            &loaded.diagnostics,
            &loaded.sources,
            tiller_plan::Style::Plain
        )
    );
    loaded.program.unwrap()
}

// ----------------------------------------------------------------------------- detection

#[test]
fn formats_are_recognised_from_content() {
    for (name, f) in [
        ("handmade.mspdi.xml", Format::Mspdi),
        ("mspdirelations.xml", Format::Mspdi),
        ("resource-rates-test.xer", Format::Xer),
        ("HouseBuildingSample.gan", Format::GanttProject),
        ("poinz-testJiraIssueExport.csv", Format::JiraCsv),
        ("handmade-jira.csv", Format::JiraCsv),
    ] {
        assert_eq!(detect(&fixture(name)).unwrap(), f, "{name}");
    }
    let planner =
        b"<?xml version=\"1.0\"?>\n<project name=\"x\" mrproject-version=\"2\"></project>";
    assert!(detect(planner).unwrap_err().message.contains("Planner"));
    let e = detect(b"just some text\n").unwrap_err();
    assert!(e.expected.unwrap().contains("ERMHDR"));
    assert!(
        detect(b"\xD0\xCF\x11\xE0rest")
            .unwrap_err()
            .message
            .contains(".mpp")
    );
}

// ----------------------------------------------------------------------------- MSPDI

#[test]
fn mspdi_maps_hierarchy_links_calendars_resources_progress_and_baselines() {
    let i = imp("handmade.mspdi.xml");
    let p = reread(&i);
    assert_eq!(p, i.program);
    assert_eq!(p.name, "Payments & Checkout");
    assert_eq!(p.currency, "EUR");
    assert_eq!(p.status_date, Some(d("2027-01-15")));
    // Hierarchy and kinds.
    assert_eq!(task(&p, "payments-api").kind, TaskKind::Summary);
    assert_eq!(task(&p, "api-live").kind, TaskKind::Milestone);
    let parent = task(&p, "build-the-api")
        .parent
        .map(|x| p.task(x).id.clone());
    assert_eq!(parent.as_deref(), Some("payments-api"));
    // All four link types, working and elapsed lags, a percentage lag.
    assert_eq!(
        deps(&p, "build-the-api"),
        vec![("design-the-api".into(), DepKind::FinishToStart, 0, false)]
    );
    assert_eq!(
        deps(&p, "security-review"),
        vec![("build-the-api".into(), DepKind::StartToStart, 2, false)]
    );
    assert_eq!(
        deps(&p, "write-the-docs"),
        vec![
            ("build-the-api".into(), DepKind::FinishToFinish, 3, false),
            ("security-review".into(), DepKind::FinishToStart, 2, true),
        ]
    );
    assert_eq!(
        deps(&p, "pen-test-window"),
        vec![("security-review".into(), DepKind::StartToFinish, 0, false)]
    );
    assert!(
        i.toml
            .contains("lag after \"Build the API\" is 2.5 days in the source; rounded to 3")
    );
    // Effort-driven work at 100% units is effort over the named people.
    assert!(matches!(task(&p, "build-the-api").work, Some(Work::Effort(e)) if e.likely == 10.0));
    assert_eq!(
        people_of(&p, "build-the-api"),
        vec!["ana-lima", "ben-okafor"]
    );
    assert!(matches!(task(&p, "write-the-docs").work, Some(Work::Duration(e)) if e.likely == 2.5));
    // Constraints and deadlines.
    assert_eq!(
        task(&p, "security-review")
            .not_before
            .as_ref()
            .map(|x| x.value),
        Some(d("2027-01-20"))
    );
    assert_eq!(
        task(&p, "write-the-docs")
            .deadline
            .as_ref()
            .map(|x| x.value),
        Some(d("2027-02-05"))
    );
    assert!(
        i.toml
            .contains("\"As Late As Possible\" constraint in the source dropped")
    );
    // Calendars: a dated holiday and a recurring one (first Friday of February),
    // vacations from a resource calendar, rates per hour and per day.
    let cal = p.calendar(p.default_calendar);
    for h in ["2027-01-18", "2027-02-05", "2028-02-04", "2029-02-02"] {
        assert!(cal.is_holiday(d(h)), "{h} should be a holiday");
    }
    let ana = p.people.iter().find(|x| x.id == "ana-lima").unwrap();
    assert_eq!(ana.time_off.len(), 1);
    assert_eq!(ana.time_off[0].first, d("2027-01-25"));
    assert_eq!(ana.day_rate.map(|m| m.as_units()), Some(800.0));
    assert_eq!(ana.email.as_deref(), Some("ana@example.com"));
    let ben = p.people.iter().find(|x| x.id == "ben-okafor").unwrap();
    assert_eq!(ben.day_rate.map(|m| m.as_units()), Some(720.0));
    // The material resource is dropped with a comment.
    assert_eq!(p.people.len(), 2);
    assert!(
        i.toml
            .contains("material resource \"Test devices\" dropped")
    );
    // Progress and the baseline.
    assert!(!i.summary.progress_commented, "{}", i.toml);
    assert_eq!(i.summary.progress, 2);
    assert_eq!(i.summary.baseline_tasks, 2);
    assert!(i.toml.contains("[baseline.baseline]"));
    assert!(i.toml.contains("remaining = \"6d\""));
    // Dates: design is done on its actual dates; the rest follows.
    assert_eq!(
        dates(&p, "design-the-api"),
        (d("2027-01-04"), d("2027-01-08"))
    );
}

#[test]
fn mspdi_real_file_with_all_link_types() {
    let i = imp("mspdirelations.xml");
    let p = reread(&i);
    assert_eq!(i.summary.tasks, 5);
    assert_eq!(i.summary.links, 4);
    let kinds: BTreeSet<&str> = p
        .tasks
        .iter()
        .flat_map(|t| t.deps.iter().map(|d| d.kind.code()))
        .collect();
    assert_eq!(kinds, BTreeSet::from(["FF", "FS", "SF", "SS"]));
    assert_eq!(i.summary.finish, Some(d("2006-09-25")));
}

// ----------------------------------------------------------------------------- XER

#[test]
fn xer_reads_windows_1252_rates_and_repeated_assignments() {
    let i = imp("resource-rates-test.xer");
    let p = reread(&i);
    assert_eq!(i.summary.encoding, "Windows-1252");
    assert_eq!(p.currency, "USD");
    assert_eq!(p.name, "Resource Rates Test");
    // WBS project node → summary; activity A1000 → task of 240 h = 30 days of 8 h.
    assert_eq!(task(&p, "NEWPROJ").kind, TaskKind::Summary);
    assert!(matches!(task(&p, "A1000").work, Some(Work::Duration(e)) if e.likely == 30.0));
    // Five assignments of the same resource collapse into one, with a comment.
    assert_eq!(people_of(&p, "A1000"), vec!["r1"]);
    assert!(
        i.toml
            .contains("the same resource is assigned more than once")
    );
    // The rate in force at the program start (2022-08-22) is the 2022 one: 1/hour.
    assert_eq!(p.people[0].day_rate.map(|m| m.as_units()), Some(8.0));
    assert_eq!(dates(&p, "A1000"), (d("2022-08-22"), d("2022-09-30")));
}

#[test]
fn xer_with_an_unreadable_calendar_still_imports() {
    let i = imp("invalid-8.4.xer");
    reread(&i);
    assert!(
        i.toml.contains("cannot be read: Monday to Friday assumed"),
        "{}",
        i.toml
    );
    assert_eq!(i.summary.tasks, 13);
    assert!(i.summary.progress > 0);
}

#[test]
fn xer_errors_name_the_line() {
    let e = import(
        b"ERMHDR\t8.1\n%T\tTASK\n%R\t1\t2\n",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.to_string().contains("before its field names"), "{e}");
    let e = import(
        b"ERMHDR\t8.1\n%T\tTASK\n%F\ttask_id\n%R\t1\n",
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("PROJECT"), "{e}");
}

// ----------------------------------------------------------------------------- GanttProject

#[test]
fn gan_dependencies_sit_on_the_predecessor() {
    let i = imp("task-with-dependencies.gan");
    let p = reread(&i);
    assert_eq!(
        deps(&p, "task-b"),
        vec![("task-a".into(), DepKind::StartToStart, 0, false)]
    );
    assert_eq!(
        deps(&p, "task-c"),
        vec![("task-b".into(), DepKind::FinishToStart, 0, false)]
    );
    assert_eq!(
        deps(&p, "task-d"),
        vec![("task-c".into(), DepKind::FinishToFinish, -1, false)]
    );
    assert_eq!(
        deps(&p, "task-e"),
        vec![("task-d".into(), DepKind::StartToFinish, 0, false)]
    );
    // 2024-01-03 is a holiday; GanttProject's dates for A, B, C, D.
    assert!(p.calendar(p.default_calendar).is_holiday(d("2024-01-03")));
    assert_eq!(dates(&p, "task-a"), (d("2024-01-04"), d("2024-01-05")));
    assert_eq!(dates(&p, "task-b"), (d("2024-01-04"), d("2024-01-04")));
    assert_eq!(dates(&p, "task-c"), (d("2024-01-05"), d("2024-01-08")));
    assert_eq!(dates(&p, "task-d"), (d("2024-01-04"), d("2024-01-05")));
}

#[test]
fn gan_nested_tasks_resources_and_allocations() {
    let i = imp("HouseBuildingSample.gan");
    let p = reread(&i);
    assert_eq!(
        (i.summary.tasks, i.summary.summaries, i.summary.milestones),
        (20, 4, 4)
    );
    assert_eq!(i.summary.links, 17);
    assert_eq!(p.people.len(), 7);
    assert_eq!(
        people_of(&p, "pre-design"),
        vec!["jack-house", "michelangelo"]
    );
    let john = p.people.iter().find(|x| x.id == "john-black").unwrap();
    assert_eq!(john.day_rate.map(|m| m.as_units()), Some(40.0));
    assert!(i.toml.contains("allocated at 50% in GanttProject"));
    assert_eq!(
        dates(&p, "foundation-building"),
        (d("2024-07-01"), d("2024-07-19"))
    );
}

#[test]
fn gan_recurring_holidays_repeat_every_year() {
    let i = imp("task-crossing-recurring-holiday.gan");
    let p = reread(&i);
    let cal = p.calendar(p.default_calendar);
    for y in [2023, 2024, 2025] {
        assert!(
            cal.is_holiday(NaiveDate::from_ymd_opt(y, 1, 3).unwrap()),
            "{y}"
        );
    }
}

// ----------------------------------------------------------------------------- Jira

#[test]
fn jira_keeps_repeated_columns_links_hierarchy_estimates_and_status() {
    let i = imp("handmade-jira.csv");
    let p = reread(&i);
    assert_eq!(p.name, "Payments");
    assert_eq!(p.start, d("2027-01-04"));
    // Epic and an issue with a sub-task become summaries.
    assert_eq!(task(&p, "PAY-1").kind, TaskKind::Summary);
    assert_eq!(task(&p, "PAY-5").kind, TaskKind::Summary);
    assert_eq!(p.task(task(&p, "PAY-2").parent.unwrap()).id, "PAY-1");
    assert_eq!(p.task(task(&p, "PAY-6").parent.unwrap()).id, "PAY-5");
    // Repeated Labels and Sprint columns are all kept as tags.
    assert_eq!(
        task(&p, "PAY-3").tags,
        vec!["api", "PAY Sprint 1", "PAY Sprint 2"]
    );
    assert_eq!(
        task(&p, "PAY-2").tags,
        vec!["api", "design", "PAY Sprint 1"]
    );
    // Blocks links from both sides, once each.
    assert_eq!(
        deps(&p, "PAY-3"),
        vec![("PAY-2".into(), DepKind::FinishToStart, 0, false)]
    );
    assert_eq!(
        deps(&p, "PAY-4"),
        vec![("PAY-2".into(), DepKind::FinishToStart, 0, false)]
    );
    assert_eq!(
        deps(&p, "PAY-5"),
        vec![("PAY-3".into(), DepKind::FinishToStart, 0, false)]
    );
    assert!(
        i.toml
            .contains("blocked by PAY-99, which is not in the export")
    );
    // Estimates: 144000 s = 40 h = 5 person-days; 5 story points = 5 days at 1/day.
    assert!(matches!(task(&p, "PAY-2").work, Some(Work::Effort(e)) if e.likely == 5.0));
    assert!(matches!(task(&p, "PAY-4").work, Some(Work::Duration(e)) if e.likely == 5.0));
    assert_eq!(people_of(&p, "PAY-3"), vec!["ben-okafor"]);
    // Status: Done → progress done.
    assert!(
        i.toml
            .contains("task = \"PAY-2\"\ndate = 2027-01-08\nstatus = \"done\""),
        "{}",
        i.toml
    );
    // Story points at another rate.
    let two = imp_with(
        "handmade-jira.csv",
        &ImportOptions {
            points_per_day: 2.0,
            ..ImportOptions::default()
        },
    );
    assert!(matches!(task(&two.program, "PAY-4").work, Some(Work::Duration(e)) if e.likely == 2.5));
}

#[test]
fn jira_date_format_is_configurable() {
    let text = String::from_utf8(fixture("handmade-jira.csv")).unwrap();
    // Re-date the export as a user with a German locale would get it.
    let german = text
        .replace("04/Jan/27 09:15", "04.01.2027 09:15")
        .replace("/Jan/27 ", ".01.2027 ")
        .replace("/Feb/27 ", ".02.2027 ");
    let options = ImportOptions {
        date_format: Some("%d.%m.%Y %H:%M".into()),
        ..ImportOptions::default()
    };
    let i = import(german.as_bytes(), &options).unwrap();
    assert_eq!(i.program.start, d("2027-01-04"));
    // The wrong format is an error naming the row, the column and the value.
    let wrong = ImportOptions {
        date_format: Some("%Y-%m-%d".into()),
        ..ImportOptions::default()
    };
    let e = import(german.as_bytes(), &wrong).unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(
        e.message
            .contains("\"04.01.2027 09:15\" in column \"Created\""),
        "{e}"
    );
}

#[test]
fn jira_real_export() {
    let i = imp("poinz-testJiraIssueExport.csv");
    reread(&i);
    assert_eq!(i.summary.tasks, 4);
    assert_eq!(i.program.start, d("2018-01-12"));
}

// ----------------------------------------------------------------------------- round trips

/// The structure of a program, by name, for comparing round trips.
fn structure(p: &Program) -> Vec<String> {
    let name = |i: tiller_core::TaskIdx| p.task(i).name.clone();
    let mut out: Vec<String> = p
        .tasks
        .iter()
        .map(|t| {
            let mut deps: Vec<String> = t
                .deps
                .iter()
                .map(|d| {
                    format!(
                        "{} {}{:+}{}",
                        name(d.pred),
                        d.kind.code(),
                        d.lag.days,
                        if d.lag.elapsed { "e" } else { "" }
                    )
                })
                .collect();
            deps.sort();
            let people = match &t.assignment {
                Assignment::People(v) => v
                    .iter()
                    .map(|i| p.person(*i).name.clone().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join("+"),
                _ => String::new(),
            };
            format!(
                "{} <{}> {:?} [{}] {{{}}}",
                t.name,
                t.parent.map(name).unwrap_or_default(),
                t.kind,
                deps.join(", "),
                people
            )
        })
        .collect();
    out.sort();
    out
}

fn schedule_by_name(p: &Program) -> Vec<(String, NaiveDate, NaiveDate)> {
    let s = tiller_engine::schedule(p).unwrap();
    let mut v: Vec<_> = (0..p.tasks.len())
        .map(|i| {
            let idx = tiller_core::TaskIdx(i as u32);
            (
                p.task(idx).name.clone(),
                s.start_date(idx),
                s.finish_date(idx),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn round_trips_through_mspdi_keep_structure_and_dates() {
    for name in [
        "handmade.mspdi.xml",
        "mspdirelations.xml",
        "HouseBuildingSample.gan",
        "task-with-dependencies.gan",
        "resource-rates-test.xer",
        "handmade-jira.csv",
    ] {
        let first = imp(name);
        let s1 = tiller_engine::schedule(&first.program).unwrap();
        let xml = tiller_interop::export_mspdi::write(&first.program, &s1);
        let second = import(xml.as_bytes(), &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: re-import: {e}"));
        assert_eq!(second.format, Format::Mspdi);
        assert_eq!(
            structure(&first.program),
            structure(&second.program),
            "{name}: structure"
        );
        assert_eq!(
            schedule_by_name(&first.program),
            schedule_by_name(&second.program),
            "{name}: dates"
        );
        let people = |p: &Program| {
            p.people
                .iter()
                .map(|x| (x.name.clone(), x.day_rate, x.time_off.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            people(&first.program),
            people(&second.program),
            "{name}: people"
        );
        // A second round trip changes nothing more.
        let s2 = tiller_engine::schedule(&second.program).unwrap();
        let xml2 = tiller_interop::export_mspdi::write(&second.program, &s2);
        let third = import(xml2.as_bytes(), &ImportOptions::default()).unwrap();
        assert_eq!(
            structure(&second.program),
            structure(&third.program),
            "{name}: second round trip"
        );
        assert_eq!(third.toml, second.toml, "{name}: second round trip text");
    }
}

#[test]
fn examples_export_and_reimport() {
    for example in [&tiller_app::examples::TINY, &tiller_app::examples::CHECKOUT] {
        let a =
            tiller_app::analyze(tiller_app::examples::load(example)).expect("example schedules");
        let xml = tiller_interop::export_mspdi::write(&a.program, &a.schedule);
        let back = import(xml.as_bytes(), &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", example.name));
        assert_eq!(back.program.tasks.len(), a.program.tasks.len());
        let links = |p: &Program| p.tasks.iter().map(|t| t.deps.len()).sum::<usize>();
        assert_eq!(links(&back.program), links(&a.program), "{}", example.name);
        // MSPDI has no team assignments and no per-person availability on durations,
        // so per-task dates may move where those matter; the finish and everything in
        // the small example stay.
        let finish = |p: &Program| tiller_engine::schedule(p).unwrap().finish_date_of_program();
        assert_eq!(
            finish(&back.program),
            finish(&a.program),
            "{}",
            example.name
        );
        if example.name == tiller_app::examples::TINY.name {
            assert_eq!(
                schedule_by_name(&back.program),
                schedule_by_name(&a.program)
            );
        }
    }
}

// ----------------------------------------------------------------------------- iCalendar

#[test]
fn icalendar_is_strict_and_deterministic() {
    let a =
        tiller_app::analyze(tiller_app::examples::load(&tiller_app::examples::CHECKOUT)).unwrap();
    for tasks in [
        tiller_interop::ical::Tasks::None,
        tiller_interop::ical::Tasks::Critical,
        tiller_interop::ical::Tasks::All,
    ] {
        let ics = tiller_interop::ical::write(&a.program, &a.schedule, tasks);
        assert_eq!(
            ics,
            tiller_interop::ical::write(&a.program, &a.schedule, tasks)
        );
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        let events = unfolded.matches("BEGIN:VEVENT").count();
        assert_eq!(
            events,
            unfolded.matches("DTSTAMP:20270215T000000Z").count(),
            "DTSTAMP from the status date"
        );
        assert_eq!(events, unfolded.matches("\r\nUID:").count());
        let milestones = a
            .program
            .tasks
            .iter()
            .filter(|t| t.kind == TaskKind::Milestone)
            .count();
        assert!(events >= milestones);
        // All-day events end the day after (DTEND is exclusive).
        for ev in unfolded.split("BEGIN:VEVENT").skip(1) {
            let get = |k: &str| {
                ev.lines()
                    .find_map(|l| l.strip_prefix(k))
                    .map(|v| NaiveDate::parse_from_str(v, "%Y%m%d").unwrap())
                    .unwrap()
            };
            assert!(get("DTEND;VALUE=DATE:") > get("DTSTART;VALUE=DATE:"));
        }
    }
}

// ----------------------------------------------------------------------------- hostile input

fn err(bytes: &[u8]) -> tiller_interop::ImportError {
    match import(bytes, &ImportOptions::default()) {
        Ok(_) => panic!(
            "imported: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        ),
        Err(e) => e,
    }
}

#[test]
fn hostile_and_broken_files_give_clear_errors() {
    let good = fixture("handmade.mspdi.xml");
    // Truncated XML: where it ends and what was open.
    let e = err(&good[..good.len() / 2]);
    assert!(
        e.message.contains("truncated") || e.message.contains("malformed"),
        "{e}"
    );
    assert!(e.line.is_some());
    // Entity expansion ("billion laughs") is refused up front.
    let bomb = b"<?xml version=\"1.0\"?>\n<!DOCTYPE Project [\n<!ENTITY a \"aaaaaaaaaa\">\n<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\n]>\n<Project xmlns=\"http://schemas.microsoft.com/project\"><Name>&b;</Name></Project>";
    let e = err(bomb);
    assert!(e.message.contains("entit"), "{e}");
    assert_eq!(e.line, Some(2));
    // Undefined entities.
    let e = err(
        b"<Project xmlns=\"http://schemas.microsoft.com/project\">\n<Name>&nope;</Name></Project>",
    );
    assert!(e.message.contains("undefined entity"), "{e}");
    // Not UTF-8 although it says nothing else.
    let mut latin = good.clone();
    let at = latin.windows(8).position(|w| w == b"Checkout").unwrap();
    latin[at] = 0xE9;
    let e = err(&latin);
    assert!(
        e.message.contains("not valid UTF-8") && e.line == Some(5),
        "{e}"
    );
    // UTF-16 with a byte-order mark is fine.
    let text = String::from_utf8(good.clone()).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert_eq!(
        import(&utf16, &ImportOptions::default())
            .unwrap()
            .summary
            .tasks,
        7
    );
    // Deep nesting.
    let deep = format!(
        "<project name=\"x\"><tasks>{}</tasks></project>",
        "<task id=\"1\" name=\"a\" start=\"2024-01-01\" duration=\"1\">".repeat(5000)
    );
    assert!(err(deep.as_bytes()).message.contains("nested"));
    // A link to a task that is not there is dropped with a comment, not an error.
    let dangling = text.replace(
        "<PredecessorUID>2</PredecessorUID>",
        "<PredecessorUID>99</PredecessorUID>",
    );
    let i = import(dangling.as_bytes(), &ImportOptions::default()).unwrap();
    assert!(
        i.toml
            .contains("link from task UID 99, which is not in the file")
    );
    // Duplicate GanttProject ids and Jira keys.
    let e = err(b"<project name=\"x\"><tasks><task id=\"1\" name=\"a\" start=\"2024-01-01\" duration=\"1\"/><task id=\"1\" name=\"b\" start=\"2024-01-01\" duration=\"1\"/></tasks></project>");
    assert!(e.message.contains("two tasks have id 1"), "{e}");
    let e = err(b"Summary,Issue key,Created\na,K-1,25/Jun/20 12:44\nb,K-1,25/Jun/20 12:44\n");
    assert_eq!(e.line, Some(3));
    // Size limit, empty input, binary noise.
    let small = ImportOptions {
        max_bytes: 1000,
        ..ImportOptions::default()
    };
    assert!(
        import(&good, &small)
            .unwrap_err()
            .message
            .contains("limited to")
    );
    assert!(err(b"").message.contains("empty"));
    assert!(err(b"   \n\t").message.contains("empty"));
    err(&[0x00, 0x9F, 0x92, 0x96, 0xFF, 0x00]);
}

#[test]
fn cycles_in_the_source_are_reported_not_hung_on() {
    let text = String::from_utf8(fixture("task-with-dependencies.gan")).unwrap();
    // task E (id 4) → task A (id 0) closes a loop A → B → C → D → E → A.
    let looped = text.replace("name=\"task E\" meeting=\"false\" start=\"2024-01-02\" duration=\"1\" complete=\"0\" expand=\"true\"/>", "name=\"task E\" meeting=\"false\" start=\"2024-01-02\" duration=\"1\" complete=\"0\" expand=\"true\"><depend id=\"0\" type=\"2\" difference=\"0\" hardness=\"Strong\"/></task>");
    assert_ne!(looped, text);
    let e = err(looped.as_bytes());
    assert!(e.message.contains("cycle"), "{e}");
}

// ----------------------------------------------------------------------------- mutations

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"\"",
    b"\t",
    b"\n",
    b"%R\t",
    b"%T\tTASK\n",
    b"(0||",
    b")",
    b"-1",
    b"99999999999",
    b"PT",
    b"<Task>",
    b"</Task>",
    b"<task id=\"0\">",
    b"\xFF",
    b"\xC3",
    b",",
    b"\"\"",
    b"0",
    b"NaN",
    b"1e309",
];

/// One mutation: flip, delete, duplicate, insert a token, or truncate.
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len().max(1);
        match rng.below(6) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] ^= 1 << rng.below(8);
            }
            1 if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = (a + rng.below(64)).min(v.len());
                v.drain(a..b);
            }
            2 if !v.is_empty() => {
                let a = rng.below(v.len());
                let b = (a + rng.below(256)).min(v.len());
                let chunk = v[a..b].to_vec();
                let at = rng.below(v.len());
                v.splice(at..at, chunk);
            }
            3 => {
                let tok = INTERESTING[rng.below(INTERESTING.len())];
                let at = rng.below(len);
                let at = at.min(v.len());
                v.splice(at..at, tok.iter().copied());
            }
            4 => {
                let at = rng.below(len);
                v.truncate(at);
            }
            _ => {
                // Replace a number-looking digit with a huge or negative value.
                if let Some(i) = (0..8)
                    .map(|_| rng.below(len))
                    .find(|i| v.get(*i).is_some_and(u8::is_ascii_digit))
                {
                    let tok: &[u8] = if rng.below(2) == 0 {
                        b"-4000000000"
                    } else {
                        b"9999999999999"
                    };
                    v.splice(i..i + 1, tok.iter().copied());
                }
            }
        }
    }
    v
}

fn run_mutations(name: &str, input: &[u8], format: Format, count: usize, seed: u64) {
    let mut rng = Rng(seed | 1);
    for n in 0..count {
        let m = mutate(&mut rng, input);
        let started = Instant::now();
        let result = std::panic::catch_unwind(|| tiller_interop::fuzz_one(format, &m));
        if result.is_err() {
            let path = std::env::temp_dir().join(format!("tiller-interop-crash-{name}-{n}"));
            let _ = std::fs::write(&path, &m);
            panic!(
                "{name}: mutant {n} panicked; input saved to {}",
                path.display()
            );
        }
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(20),
            "{name}: mutant {n} took {took:?}"
        );
    }
}

fn format_of(name: &str) -> Format {
    match name.rsplit('.').next() {
        Some("xer") => Format::Xer,
        Some("gan") => Format::GanttProject,
        Some("csv") => Format::JiraCsv,
        _ => Format::Mspdi,
    }
}

/// A few hundred mutants of every fixture on each `cargo test`.
#[test]
fn mutated_fixtures_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md"))
        .collect();
    names.sort();
    for (k, name) in names.iter().enumerate() {
        run_mutations(
            name,
            &fixture(name),
            format_of(name),
            150,
            0x9E37_79B9_7F4A_7C15 ^ k as u64,
        );
    }
}

/// Mutants of the real sample files in `../shared/data/interop` when they are there:
/// `TILLER_INTEROP_MUTATIONS` per file, default 2 on a plain `cargo test`;
/// `scripts/interop-suite` asks for 100 (about 3,800 inputs, six minutes in a debug
/// build). Files over 200 KB are skipped.
#[test]
fn mutated_real_samples() {
    let count: usize = std::env::var("TILLER_INTEROP_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/interop");
    let mut total = 0;
    for kind in ["mspdi", "xer", "gan", "jira"] {
        let Ok(dir) = std::fs::read_dir(data.join(kind)) else {
            continue;
        };
        let mut paths: Vec<_> = dir.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for (k, p) in paths.iter().enumerate() {
            let bytes = std::fs::read(p).unwrap();
            if bytes.len() > 200_000 {
                continue;
            }
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            run_mutations(
                &name,
                &bytes,
                format_of(&name),
                count,
                0xD1B5_4A32_D192_ED03 ^ (k as u64 + 1),
            );
            total += count;
        }
    }
    eprintln!("{total} mutated inputs imported without a panic or a hang");
}

mod prop {
    use proptest::prelude::*;
    use tiller_interop::Format;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Arbitrary bytes, forced through each importer.
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048), f in 0usize..4) {
            let format = [Format::Mspdi, Format::Xer, Format::GanttProject, Format::JiraCsv][f];
            tiller_interop::fuzz_one(format, &data);
        }

        /// Structured-looking XER tables with random content.
        #[test]
        fn random_xer_tables_never_panic(rows in proptest::collection::vec(proptest::collection::vec("[0-9A-Za-z_ :.|()-]{0,12}", 0..8), 0..20)) {
            let mut s = String::from("ERMHDR\t8.1\n%T\tPROJECT\n%F\tproj_id\tplan_start_date\tclndr_id\n%R\t1\t2024-01-01 00:00\t1\n%T\tTASK\n%F\ttask_id\tproj_id\twbs_id\tclndr_id\ttask_code\ttask_name\ttask_type\ttarget_drtn_hr_cnt\n");
            for r in &rows {
                s.push_str("%R\t");
                s.push_str(&r.join("\t"));
                s.push('\n');
            }
            tiller_interop::fuzz_one(Format::Xer, s.as_bytes());
        }
    }
}
