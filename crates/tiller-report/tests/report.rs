//! Tests of the reports: every health threshold at its boundary, the RAID views, the
//! status report on the example program against reviewed snapshots, every lint check
//! on a fixture made to fail it, the retrospective and calibration, PNG export, and the
//! HTML report in a real headless browser.
//!
//! Snapshots live in `tests/fixtures/expected/`. After an intended change, regenerate
//! them with `TILLER_BLESS=1 cargo test -p tiller-report` and review the diff like code.

use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use tiller_app::Analysis;
use tiller_core::{Audience, HealthDimension, Rag};
use tiller_report::evidence::{Evidence, Options};
use tiller_report::health::{self, Finding, Health};
use tiller_report::{calibration, html, lint, markdown, raid, retro, status};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn example() -> Analysis {
    let path = root().join("examples/checkout/program.toml");
    let loaded =
        tiller_app::workspace::load_plan(path.to_str().expect("UTF-8 path")).expect("read");
    tiller_app::analyze(loaded).expect("the example checks")
}

fn plan(text: &str) -> Analysis {
    tiller_app::analyze(tiller_plan::load_str("plan.toml", text, &[])).unwrap_or_else(|r| {
        panic!(
            "plan does not check: {}",
            tiller_plan::render(&r.diagnostics, &r.sources, tiller_plan::Style::Plain)
        )
    })
}

fn no_forecast() -> Options {
    Options {
        baseline: None,
        iterations: 0,
        seed: 1,
        tornado: false,
    }
}

/// Compares with the file, or rewrites it when blessing.
fn assert_matches_file(name: &str, actual: &str) {
    let path = fixtures().join("expected").join(name);
    if std::env::var_os("TILLER_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, actual).expect("write expected output");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing {}; run with TILLER_BLESS=1", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "the length".to_string(), |i| format!("line {}", i + 1));
        panic!(
            "output differs from {} at {line}; rerun with TILLER_BLESS=1 and review the diff",
            path.display()
        );
    }
}

// ---------------------------------------------------------------------------------
// Health rules: every threshold at its boundary.

const RULES: &str = r#"
[program]
name = "Rules"
start = 2027-01-04
status_date = 2027-01-15
budget = 100000

[team.t]

[person.ana]
team = "t"
rate = "1000/day"

[[task]]
id = "ws"
name = "Workstream"

[[task]]
id = "a"
parent = "ws"
effort = "5d"
assignee = "ana"

[[task]]
id = "b"
parent = "ws"
effort = "B_EFFORT"
assignee = "ana"
after = ["a"]

[[milestone]]
id = "m"
after = ["b"]
promised = 2027-03-01

[[progress]]
task = "a"
date = 2027-01-08
started = 2027-01-04
finished = 2027-01-08

[baseline.plan]
saved = 2027-01-01
tasks = [
  { id = "a", start = 2027-01-04, finish = 2027-01-08, work = "5d", cost = 5000 },
  { id = "b", start = 2027-01-11, finish = 2027-01-22, work = "10d", cost = 10000 },
  { id = "m", start = 2027-01-22, finish = 2027-01-22, work = "0d", cost = 0 },
]
"#;

fn rules(extra: &str) -> Analysis {
    plan(&format!("{}\n{extra}", RULES.replace("B_EFFORT", "10d")))
}

fn findings(h: &Health) -> Vec<&Finding> {
    h.dimensions
        .iter()
        .flat_map(|d| &d.findings)
        .chain(h.milestones.iter().flat_map(|m| &m.findings))
        .chain(h.workstreams.iter().flat_map(|w| &w.findings))
        .collect()
}

fn colour(h: &Health, rule: &str, subject: &str) -> Rag {
    findings(h)
        .into_iter()
        .find(|f| f.rule == rule && f.subject == subject)
        .unwrap_or_else(|| panic!("no `{rule}` finding for `{subject}`"))
        .colour
}

fn milestone(e: &Evidence<'_>) -> usize {
    e.outlook
        .iter()
        .position(|o| o.id == "m")
        .expect("milestone m")
}

/// The date `n` working days after (or before, when negative) `d`.
fn shift(e: &Evidence<'_>, d: NaiveDate, n: i64) -> NaiveDate {
    let mut x = d;
    while e.wd(d, x) != n {
        x = if n > e.wd(d, x) {
            x.succ_opt().expect("date")
        } else {
            x.pred_opt().expect("date")
        };
    }
    x
}

#[test]
fn promise_probability_thresholds() {
    let a = rules("");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    let m = milestone(&e);
    for (p, c) in [
        (0.8, Rag::Green),
        (0.79, Rag::Amber),
        (0.5, Rag::Amber),
        (0.49, Rag::Red),
    ] {
        e.outlook[m].probability = Some(p);
        assert_eq!(
            colour(&health::assess(&e, None), "promise-probability", "m"),
            c,
            "P = {p}"
        );
    }
    let a = rules("[health]\namber_probability = 0.9\nred_probability = 0.6\n");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    for (p, c) in [(0.9, Rag::Green), (0.85, Rag::Amber), (0.59, Rag::Red)] {
        e.outlook[m].probability = Some(p);
        assert_eq!(
            colour(&health::assess(&e, None), "promise-probability", "m"),
            c,
            "P = {p}"
        );
    }
}

#[test]
fn p80_slip_thresholds() {
    let a = rules("");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    let m = milestone(&e);
    let base = e.outlook[m].baseline.expect("baselined");
    for (n, c) in [
        (5, Rag::Green),
        (6, Rag::Amber),
        (10, Rag::Amber),
        (11, Rag::Red),
    ] {
        e.outlook[m].p80 = Some(shift(&e, base, n));
        assert_eq!(
            colour(&health::assess(&e, None), "p80-slip", "m"),
            c,
            "slip {n}"
        );
    }
    let a = rules("[health]\namber_slip_days = 2\nred_slip_days = 3\n");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    for (n, c) in [(2, Rag::Green), (3, Rag::Amber), (4, Rag::Red)] {
        e.outlook[m].p80 = Some(shift(&e, base, n));
        assert_eq!(
            colour(&health::assess(&e, None), "p80-slip", "m"),
            c,
            "slip {n}"
        );
    }
}

#[test]
fn promise_float_thresholds() {
    let a = rules("");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    let m = milestone(&e);
    let promised = e.outlook[m].promised.expect("promised");
    for (float, c) in [
        (5, Rag::Green),
        (4, Rag::Amber),
        (0, Rag::Amber),
        (-1, Rag::Red),
    ] {
        e.outlook[m].cpm = shift(&e, promised, -float);
        assert_eq!(
            colour(&health::assess(&e, None), "promise-float", "m"),
            c,
            "float {float}"
        );
    }
    let a = rules("[health]\namber_float_days = 1\n");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    e.outlook[m].cpm = shift(&e, promised, -1);
    assert_eq!(
        colour(&health::assess(&e, None), "promise-float", "m"),
        Rag::Green
    );
}

#[test]
fn spi_t_and_cpi_thresholds() {
    let a = rules("");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    for (v, c) in [
        (0.95, Rag::Green),
        (0.949, Rag::Amber),
        (0.9, Rag::Amber),
        (0.899, Rag::Red),
    ] {
        let evm = e.evm.as_mut().expect("earned value");
        evm.program
            .schedule
            .as_mut()
            .expect("earned schedule")
            .spi_t = Some(v);
        evm.program.cpi = Some(v);
        let h = health::assess(&e, None);
        assert_eq!(colour(&h, "spi-t", "program"), c, "SPI(t) {v}");
        assert_eq!(colour(&h, "cpi", "program"), c, "CPI {v}");
    }
    let a =
        rules("[health]\namber_spi_t = 0.8\nred_spi_t = 0.7\namber_cpi = 1.0\nred_cpi = 0.99\n");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    let evm = e.evm.as_mut().expect("earned value");
    evm.program
        .schedule
        .as_mut()
        .expect("earned schedule")
        .spi_t = Some(0.85);
    evm.program.cpi = Some(0.985);
    let h = health::assess(&e, None);
    assert_eq!(colour(&h, "spi-t", "program"), Rag::Green);
    assert_eq!(colour(&h, "cpi", "program"), Rag::Red);
}

#[test]
fn estimate_at_completion_overrun_thresholds() {
    let a = rules("");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    for (eac, c) in [
        (1000.0, Rag::Green),
        (1000.5, Rag::Amber),
        (1100.0, Rag::Amber),
        (1100.5, Rag::Red),
    ] {
        let evm = e.evm.as_mut().expect("earned value");
        evm.budget = Some(1000.0);
        evm.program.eac_bottom_up = eac;
        evm.program.eac_cpi = None;
        assert_eq!(
            colour(&health::assess(&e, None), "eac-overrun", "program"),
            c,
            "EAC {eac}"
        );
    }
    // The larger of the two estimates at completion counts.
    let evm = e.evm.as_mut().expect("earned value");
    evm.program.eac_bottom_up = 900.0;
    evm.program.eac_cpi = Some(1200.0);
    assert_eq!(
        colour(&health::assess(&e, None), "eac-overrun", "program"),
        Rag::Red
    );
    let a = rules("[health]\namber_overrun = 0.2\nred_overrun = 0.3\n");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    let evm = e.evm.as_mut().expect("earned value");
    evm.budget = Some(1000.0);
    evm.program.eac_bottom_up = 1250.0;
    evm.program.eac_cpi = None;
    assert_eq!(
        colour(&health::assess(&e, None), "eac-overrun", "program"),
        Rag::Amber
    );
}

#[test]
fn scope_growth_thresholds() {
    // Baseline work is 15 days; the plan's work is 5 + b.
    for (b, c) in [
        ("10.75d", Rag::Green),
        ("10.9d", Rag::Amber),
        ("11.5d", Rag::Amber),
        ("11.6d", Rag::Red),
    ] {
        let a = plan(&RULES.replace("B_EFFORT", b));
        let e = Evidence::gather(&a, &no_forecast()).expect("evidence");
        assert_eq!(
            colour(&health::assess(&e, None), "scope-growth", "program"),
            c,
            "b = {b}"
        );
    }
    let a = plan(&format!(
        "{}\n[health]\namber_scope_growth = 0.5\nred_scope_growth = 0.6\n",
        RULES.replace("B_EFFORT", "11.6d")
    ));
    let e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    assert_eq!(
        colour(&health::assess(&e, None), "scope-growth", "program"),
        Rag::Green
    );
}

const HIGH_RISK: &str = r#"
[[risk]]
id = "R-1"
title = "A high risk whose mitigation is late"
probability = 0.3
impact = 4
mitigation_due = 2027-01-10
affects = ["b"]
"#;

#[test]
fn overdue_high_risk_thresholds() {
    let h = |extra: &str| {
        let a = rules(&format!("{HIGH_RISK}\n{extra}"));
        let e = Evidence::gather(&a, &no_forecast()).expect("evidence");
        health::assess(&e, None)
    };
    // Score 3 x 4 = 12: high at the default 10.
    let d = h("");
    assert_eq!(colour(&d, "overdue-high-risks", "program"), Rag::Red);
    assert_eq!(
        colour(&d, "overdue-high-risks", "ws"),
        Rag::Red,
        "it affects the workstream"
    );
    assert_eq!(d.dimension(HealthDimension::Risk).colour, Some(Rag::Red));
    assert_eq!(
        colour(
            &h("[health]\nhigh_risk_score = 13\n"),
            "overdue-high-risks",
            "program"
        ),
        Rag::Green
    );
    assert_eq!(
        colour(
            &h("[health]\nhigh_risk_score = 12\n"),
            "overdue-high-risks",
            "program"
        ),
        Rag::Red
    );
    assert_eq!(
        colour(
            &h("[health]\nred_overdue_high_risks = 2\n"),
            "overdue-high-risks",
            "program"
        ),
        Rag::Green
    );
}

#[test]
fn overdue_items_thresholds() {
    let issue = "[[issue]]\nid = \"I-1\"\ntitle = \"late\"\nseverity = \"low\"\ndue = 2027-01-10\n";
    let h = |extra: &str| {
        let a = rules(extra);
        let e = Evidence::gather(&a, &no_forecast()).expect("evidence");
        health::assess(&e, None)
    };
    assert_eq!(colour(&h(""), "overdue-items", "program"), Rag::Green);
    assert_eq!(colour(&h(issue), "overdue-items", "program"), Rag::Amber);
    // Due on the status date is not overdue.
    assert_eq!(
        colour(
            &h(&issue.replace("2027-01-10", "2027-01-15")),
            "overdue-items",
            "program"
        ),
        Rag::Green
    );
    assert_eq!(
        colour(
            &h(&format!("{issue}\n[health]\namber_overdue_items = 2\n")),
            "overdue-items",
            "program"
        ),
        Rag::Green
    );
    assert_eq!(
        colour(
            &h(&format!("{issue}\n[health]\namber_overdue_items = 0\n")),
            "overdue-items",
            "program"
        ),
        Rag::Green
    );
}

#[test]
fn open_issue_thresholds() {
    let issue =
        |sev: &str| format!("[[issue]]\nid = \"I-{sev}\"\ntitle = \"x\"\nseverity = \"{sev}\"\n");
    let h = |extra: &str| {
        let a = rules(extra);
        let e = Evidence::gather(&a, &no_forecast()).expect("evidence");
        health::assess(&e, None)
    };
    assert_eq!(
        colour(&h(&issue("medium")), "open-issues", "program"),
        Rag::Green
    );
    assert_eq!(
        colour(&h(&issue("high")), "open-issues", "program"),
        Rag::Amber
    );
    assert_eq!(
        colour(&h(&issue("critical")), "open-issues", "program"),
        Rag::Red
    );
    assert_eq!(
        colour(
            &h(&format!(
                "{}\n[health]\nred_critical_issues = 2\n",
                issue("critical")
            )),
            "open-issues",
            "program"
        ),
        Rag::Green
    );
    assert_eq!(
        colour(
            &h(&format!(
                "{}\n[health]\namber_high_issues = 0\n",
                issue("high")
            )),
            "open-issues",
            "program"
        ),
        Rag::Green
    );
    let resolved = format!("{}status = \"resolved\"\n", issue("critical"));
    assert_eq!(colour(&h(&resolved), "open-issues", "program"), Rag::Green);
}

#[test]
fn peak_load_thresholds() {
    let run = |extra: &str, cell: (i64, i64)| -> Option<Rag> {
        let a = rules(extra);
        let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
        let status_day = (e.status_date - e.program.start).num_days();
        let load = e.load.as_mut().expect("load");
        let w = load
            .weeks
            .iter()
            .position(|d| *d + 6 > status_day)
            .expect("a week after the status date");
        for row in &mut load.rows {
            for wk in &mut row.weeks {
                wk.assigned = 0;
            }
        }
        load.rows[0].weeks[w].assigned = cell.0;
        load.rows[0].weeks[w].capacity = cell.1;
        findings(&health::assess(&e, None))
            .into_iter()
            .find(|f| f.rule == "peak-load" && f.subject == "program")
            .map(|f| f.colour)
    };
    assert_eq!(run("", (1000, 1000)), Some(Rag::Green));
    assert_eq!(run("", (1001, 1000)), Some(Rag::Amber));
    assert_eq!(run("", (1250, 1000)), Some(Rag::Amber));
    assert_eq!(run("", (1251, 1000)), Some(Rag::Red));
    assert_eq!(
        run("", (1, 0)),
        Some(Rag::Red),
        "work with no capacity at all"
    );
    assert_eq!(
        run("[health]\namber_load = 1.1\nred_load = 2\n", (1050, 1000)),
        Some(Rag::Green)
    );
    assert_eq!(
        run("[health]\nload_weeks = 0\n", (2000, 1000)),
        None,
        "rule off"
    );
}

#[test]
fn overall_is_the_worst_dimension_and_every_colour_has_its_rule() {
    let a = rules("[[issue]]\nid = \"I-1\"\ntitle = \"x\"\nseverity = \"critical\"\n");
    let mut e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    // On schedule and on budget: only the open critical issue is red.
    let evm = e.evm.as_mut().expect("earned value");
    evm.program
        .schedule
        .as_mut()
        .expect("earned schedule")
        .spi_t = Some(1.0);
    evm.program.cpi = Some(1.0);
    let h = health::assess(&e, None);
    let colours: Vec<Option<Rag>> = h.dimensions.iter().map(|d| d.colour).collect();
    assert_eq!(
        colours,
        [
            Some(Rag::Green),
            Some(Rag::Green),
            Some(Rag::Green),
            Some(Rag::Red),
            Some(Rag::Green)
        ]
    );
    assert_eq!(
        h.overall,
        Some(Rag::Red),
        "one red dimension makes the program red, four greens do not average it away"
    );
    assert_eq!(h.deciding, Some(HealthDimension::Risk));
    assert!(
        h.overall_reason
            .starts_with("risk is RED: open critical issues: `I-1`"),
        "{}",
        h.overall_reason
    );

    let a = example();
    let e = Evidence::gather(&a, &Options::for_program(&a.program)).expect("evidence");
    let h = health::assess(&e, None);
    let subjects = h
        .dimensions
        .iter()
        .map(|d| (d.colour, &d.reason, &d.findings))
        .chain(
            h.milestones
                .iter()
                .map(|m| (m.colour, &m.reason, &m.findings)),
        )
        .chain(
            h.workstreams
                .iter()
                .map(|w| (w.colour, &w.reason, &w.findings)),
        );
    for (c, reason, fs) in subjects {
        let Some(c) = c else { continue };
        let f = fs
            .iter()
            .find(|f| f.colour == c && &f.message == reason)
            .unwrap_or_else(|| panic!("no finding sets `{reason}`"));
        assert!(!f.rule.is_empty() && !f.figure.is_empty() && !f.threshold.is_empty());
        assert!(
            fs.iter().all(|x| x.colour <= c),
            "a colour is its worst finding"
        );
    }
}

#[test]
fn previous_colours_come_from_the_report_history() {
    let a = rules(
        "[[report]]\ndate = 2027-01-08\noverall = \"green\"\nrisk = \"green\"\n\n[[report]]\ndate = 2027-01-15\noverall = \"red\"\n\n[[issue]]\nid = \"I-1\"\ntitle = \"x\"\nseverity = \"critical\"\n",
    );
    let e = Evidence::gather(&a, &no_forecast()).expect("evidence");
    let prev = health::previous_from_history(&a.program, e.status_date).expect("history");
    assert_eq!(
        prev.date,
        NaiveDate::from_ymd_opt(2027, 1, 8).expect("date"),
        "a report of the status date itself is not the previous one"
    );
    let h = health::assess(&e, Some(prev));
    assert_eq!(h.headline(), "RED (was GREEN on 2027-01-08: worse)");
    assert_eq!(
        h.previous
            .as_ref()
            .and_then(|p| p.dimension(HealthDimension::Risk)),
        Some(Rag::Green)
    );
}

// ---------------------------------------------------------------------------------
// The status report on the example program.

fn report(
    a: &Analysis,
    audience: Audience,
    stakeholder: Option<&str>,
    charts: bool,
) -> status::StatusReport {
    status::build(
        a,
        &status::ReportOptions {
            evidence: Options::for_program(&a.program),
            audience,
            stakeholder: stakeholder.map(str::to_string),
            since: None,
            drift: Vec::new(),
            charts,
        },
    )
    .expect("report")
}

#[test]
fn the_example_reports_match_their_reviewed_snapshots() {
    let a = example();
    assert_matches_file(
        "checkout-team.md",
        &markdown::render(&report(&a, Audience::Team, None, false)),
    );
    assert_matches_file(
        "checkout-hannah.md",
        &markdown::render(&report(&a, Audience::Team, Some("hannah"), false)),
    );
    assert_matches_file(
        "checkout-exec.html",
        &html::render(&report(&a, Audience::Exec, None, true)),
    );
}

#[test]
fn the_example_report_says_what_it_is_asked() {
    let a = example();
    let r = report(&a, Audience::Team, None, false);
    // Red with the transition from the recorded report of 2027-01-29.
    assert_eq!(r.health.overall, Some(Rag::Red));
    assert!(
        r.headline.starts_with("RED (was AMBER on 2027-01-29"),
        "{}",
        r.headline
    );
    // The ask: the open issue's and the open decision's.
    let asks: Vec<&str> = r.asks.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(asks, ["I-SANDBOX", "DEC-3DS"]);
    // Milestones with baseline, P50/P80 and the chance of keeping the promise.
    let ga = r.milestones.iter().find(|m| m.id == "m.ga").expect("m.ga");
    assert!(ga.baseline.is_some() && ga.p50.is_some() && ga.p80.is_some());
    assert!(ga.probability.is_some_and(|p| p < 0.5));
    assert_eq!(ga.colour, Some("red"));
    // Accomplishments since the previous report.
    assert_eq!(
        r.accomplishments.since,
        NaiveDate::from_ymd_opt(2027, 1, 29).expect("date")
    );
    assert!(
        r.accomplishments
            .finished
            .iter()
            .any(|f| f.id == "web.cart")
    );
    // Cross-team dependencies: a team waiting on another.
    assert!(!r.dependencies.is_empty());
    assert!(
        r.dependencies
            .iter()
            .all(|d| d.waiting != d.upstream && !d.reasons.is_empty())
    );
    // Changes against the recorded report: the P80 of m.ga moved.
    assert!(
        r.changes
            .items
            .iter()
            .any(|c| c.starts_with("`m.ga` P80 2027-07-13 →")),
        "{:?}",
        r.changes.items
    );
    // Budget from earned value.
    let b = r.budget.as_ref().expect("budget");
    assert!(b.spent > 0.0 && b.eac > b.bac * 0.9);
}

#[test]
fn the_ask_is_never_omitted() {
    let a = rules("");
    let r = report(&a, Audience::Exec, None, false);
    assert!(r.asks.is_empty());
    let md = markdown::render(&r);
    assert!(md.contains("## The ask\n\nNone.\n"), "{md}");
    assert!(
        r.summary
            .iter()
            .any(|s| s == "Ask of leadership: none this week.")
    );
    let page = html::render(&r);
    assert!(page.contains("<section id=\"ask\" class=\"ask\"><h2>The ask</h2>\n<p>None.</p>"));
}

#[test]
fn a_stakeholder_gets_their_audience_and_their_part() {
    let a = example();
    let r = report(&a, Audience::Team, Some("hannah"), false);
    assert_eq!(r.audience, "exec", "hannah reads the exec report");
    let pf = r.prepared_for.as_ref().expect("prepared for");
    assert_eq!(pf.name, "Hannah Okafor");
    assert!(pf.raci.iter().any(|l| l.role == "A" && l.id == "m.ga"));
    assert!(r.risks.len() <= status::EXEC_TOP);
    // By person id too; and an unknown one is an error naming the known ones.
    assert!(
        status::build(
            &a,
            &status::ReportOptions {
                evidence: no_forecast(),
                audience: Audience::Team,
                stakeholder: Some("nobody".to_string()),
                since: None,
                drift: Vec::new(),
                charts: false,
            }
        )
        .is_err_and(|e| e.to_string().contains("hannah"))
    );
}

#[test]
fn since_an_earlier_version_shows_the_changes() {
    let ex = &tiller_app::examples::CHECKOUT;
    let old_web = ex
        .files
        .iter()
        .find(|(n, _)| n.ends_with("web.toml"))
        .expect("web team file")
        .1
        .replace("effort = \"6d/8d/12d\"", "effort = \"4d/5d/8d\"");
    let files: Vec<(&str, &str)> = ex
        .files
        .iter()
        .map(|(n, t)| {
            if n.ends_with("web.toml") {
                (*n, old_web.as_str())
            } else {
                (*n, *t)
            }
        })
        .collect();
    let old = tiller_app::analyze(tiller_plan::load_str(ex.name, ex.root, &files))
        .expect("old version checks");
    let new = tiller_app::analyze(tiller_app::examples::load(ex)).expect("checks");
    // An earlier version as of two weeks before: a point of the drift chart.
    let early_root = ex
        .root
        .replace("status_date = 2027-02-15", "status_date = 2027-02-01");
    let two_weeks =
        tiller_app::analyze(tiller_plan::load_str(ex.name, &early_root, ex.files)).expect("checks");
    let r = status::build(
        &new,
        &status::ReportOptions {
            evidence: Options::for_program(&new.program),
            audience: Audience::Team,
            stakeholder: None,
            since: Some(status::Since {
                label: "last week's plan".to_string(),
                analysis: &old,
            }),
            drift: vec![status::Since {
                label: "two weeks ago".to_string(),
                analysis: &two_weeks,
            }],
            charts: true,
        },
    )
    .expect("report");
    assert_eq!(r.changes.against, "last week's plan");
    assert!(
        r.changes
            .items
            .iter()
            .any(|c| c.starts_with("re-estimated (likely):")),
        "{:?}",
        r.changes.items
    );
    let drift = r
        .charts
        .iter()
        .find(|c| c.id == "drift")
        .expect("drift chart");
    assert!(
        drift
            .svg
            .contains("at 3 reports from 2027-01-29 to 2027-02-15"),
        "the recorded report, the earlier version and this report are drawn: {}",
        drift.caption
    );
}

#[test]
fn reports_are_deterministic() {
    let a = example();
    let one = html::render(&report(&a, Audience::Team, None, true));
    let two = html::render(&report(&a, Audience::Team, None, true));
    assert!(one == two, "the same plan and seed give the same bytes");
    assert!(!one.contains("<script"), "no scripts");
    assert!(
        !one.contains("http://") || !one.contains("src=\"http"),
        "nothing fetched"
    );
}

#[test]
fn recorded_reports_read_back_as_history() {
    let a = rules("");
    let r = report(&a, Audience::Exec, None, false);
    let record = status::record_toml(&r);
    let again = plan(&format!("{}\n{record}", RULES.replace("B_EFFORT", "10d")));
    let h = &again.program.reporting.history;
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].date, r.as_of);
    assert_eq!(h[0].overall, r.health.overall);
    assert_eq!(h[0].dimensions.len(), 5);
}

// ---------------------------------------------------------------------------------
// RAID.

#[test]
fn the_raid_log_scores_filters_and_flags_overdue_entries() {
    let a = example();
    let p = &a.program;
    let as_of = p.status_date.expect("status date");
    let log = raid::raid_log(p, as_of, 10.0, None);
    let pci = log.risks.iter().find(|r| r.id == "R-PCI").expect("R-PCI");
    // 30 % is band 3; a 10-day likely delay is impact band 4.
    assert_eq!(
        (pci.probability_band, pci.impact, pci.score, pci.level),
        (3, 4, 12, "high")
    );
    assert!((pci.exposure_days - 3.0).abs() < 1e-9 && (pci.exposure_cost - 7500.0).abs() < 1e-6);
    let ids = |l: &raid::RaidLog| -> Vec<String> {
        l.risks
            .iter()
            .map(|r| r.id.clone())
            .chain(l.issues.iter().map(|x| x.id.clone()))
            .chain(l.decisions.iter().map(|x| x.id.clone()))
            .chain(l.assumptions.iter().map(|x| x.id.clone()))
            .collect()
    };
    let f = |filter: raid::Filter| ids(&raid::filter(p, &log, &filter));
    assert_eq!(
        f(raid::Filter {
            kinds: vec![raid::RaidKind::Issue],
            open: true,
            ..Default::default()
        }),
        ["I-SANDBOX"]
    );
    assert_eq!(
        f(raid::Filter {
            min_level: Some("high".into()),
            ..Default::default()
        }),
        ["R-PCI"]
    );
    assert_eq!(
        f(raid::Filter {
            owner: Some("alice".into()),
            ..Default::default()
        }),
        ["R-ADYEN", "R-STAFF", "I-SANDBOX", "DEC-PSP"]
    );
    let pay = p.find_task("pay").expect("pay");
    let about_pay = f(raid::Filter {
        affects: Some(pay),
        ..Default::default()
    });
    for id in ["R-ADYEN", "R-MIGRATION", "R-STAFF", "I-SANDBOX", "DEC-PSP"] {
        assert!(
            about_pay.iter().any(|x| x == id),
            "{id} is about payments: {about_pay:?}"
        );
    }
    assert!(!about_pay.iter().any(|x| x == "R-APPSTORE"));
    // Three weeks later the Adyen issue and mitigation are overdue.
    let later = NaiveDate::from_ymd_opt(2027, 3, 8).expect("date");
    let late = raid::raid_log(p, later, 10.0, None);
    let overdue = ids(&raid::filter(
        p,
        &late,
        &raid::Filter {
            overdue: true,
            ..Default::default()
        },
    ));
    assert_eq!(overdue, ["R-ADYEN", "I-SANDBOX", "DEC-3DS"]);
    assert!(raid::table(p, &late).contains("OVERDUE"));
    assert_matches_file("checkout-raid.txt", &raid::table(p, &log));
}

// ---------------------------------------------------------------------------------
// Lint.

fn lint_fixture(name: &str) -> lint::LintReport {
    let path = fixtures().join("lint").join(name);
    let loaded = tiller_app::workspace::load_plan(path.to_str().expect("UTF-8")).expect("read");
    let a = tiller_app::analyze(loaded).unwrap_or_else(|r| panic!("{name}: {:?}", r.diagnostics));
    let b = tiller_app::tracking::pick_baseline(&a.program, None).expect("baseline");
    lint::lint(&a.program, &a.schedule, b)
}

#[test]
fn every_lint_check_fails_on_its_fixture_and_passes_on_a_clean_plan() {
    let clean = lint_fixture("clean.toml");
    assert_eq!(clean.checks.len(), 14);
    for c in &clean.checks {
        assert_eq!(
            c.outcome,
            lint::Outcome::Pass,
            "clean.toml: {} {}",
            c.name,
            c.measure
        );
    }
    for name in tiller_core::LINT_CHECKS {
        let r = lint_fixture(&format!("{name}.toml"));
        let c = r.checks.iter().find(|c| c.name == *name).expect("check");
        assert_eq!(c.outcome, lint::Outcome::Fail, "{name}.toml: {}", c.measure);
        assert!(r.failed >= 1);
        assert!(
            c.offenders_total > 0 || c.value.is_some(),
            "{name}: says what fails"
        );
    }
}

#[test]
fn lint_thresholds_and_skips_come_from_the_plan() {
    let text = std::fs::read_to_string(fixtures().join("lint/lags.toml")).expect("read");
    let a = plan(&format!(
        "{text}\n[lint]\nmax_lags = 0.5\nskip = [\"logic\"]\n"
    ));
    let r = lint::lint(&a.program, &a.schedule, None);
    let get = |n: &str| {
        r.checks
            .iter()
            .find(|c| c.name == n)
            .expect("check")
            .outcome
    };
    assert_eq!(get("lags"), lint::Outcome::Pass);
    assert_eq!(get("logic"), lint::Outcome::Skipped);
    let bad = tiller_plan::load_str(
        "p.toml",
        &format!("{text}\n[lint]\nskip = [\"lagz\"]\nmax_lags = 2\n"),
        &[],
    );
    let codes: Vec<&str> = bad.diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes,
        ["E0104", "E0104"],
        "an unknown check and a share above 1"
    );
}

#[test]
fn the_example_lint_matches_its_snapshot() {
    let a = example();
    let b = tiller_app::tracking::pick_baseline(&a.program, None).expect("baseline");
    assert_matches_file(
        "checkout-lint.txt",
        &lint::table(&lint::lint(&a.program, &a.schedule, b)),
    );
}

// ---------------------------------------------------------------------------------
// Retrospective and calibration.

const FINISHED: &str = r#"
[program]
name = "Finished"
start = 2027-01-04
status_date = 2027-01-29

[team.x]
[person.ana]
team = "x"

[[task]]
id = "t1"
effort = "2d"
assignee = "ana"

[[task]]
id = "t2"
effort = "2d"
assignee = "ana"
after = ["t1"]

[[milestone]]
id = "m"
after = ["t2"]

[[progress]]
task = "t1"
date = 2027-01-07
started = 2027-01-04
finished = 2027-01-07

[[progress]]
task = "t2"
date = 2027-01-11
started = 2027-01-08
finished = 2027-01-11

[[progress]]
task = "m"
date = 2027-01-11
status = "done"

[[risk]]
id = "R-1"
title = "happened"
status = "occurred"
probability = 0.5
affects = ["t1"]

[[risk]]
id = "R-2"
title = "did not"
status = "closed"
probability = 0.2

[[lesson]]
id = "L-1"
title = "Estimate integration work with the team that owns it"
recommendation = "Pair the estimate"

[baseline.plan]
saved = 2027-01-01
tasks = [
  { id = "t1", start = 2027-01-04, finish = 2027-01-05, work = "2d", cost = 0 },
  { id = "t2", start = 2027-01-06, finish = 2027-01-07, work = "2d", cost = 0 },
  { id = "m", start = 2027-01-07, finish = 2027-01-07, work = "0d", cost = 0 },
]
"#;

#[test]
fn the_retrospective_measures_accuracy_slips_and_risks() {
    let a = plan(FINISHED);
    let b = tiller_app::tracking::pick_baseline(&a.program, None).expect("baseline");
    let r = retro::evaluate(&a.program, &a.schedule, b);
    assert!(r.complete);
    // t1 took 4 working days for 2 planned, t2 2 for 2: bias √2, spread e^(ln 2 / √2).
    let x = &r.teams[0];
    assert_eq!(x.tasks, 2);
    assert_eq!(x.bias, Some(1.414));
    assert_eq!(x.spread, Some(1.633));
    assert_eq!(x.on_time, Some(0.0));
    let m = &r.milestones[0];
    assert_eq!(m.slip, Some(2));
    assert_eq!(m.chain, ["t1", "t2", "m"]);
    assert_eq!(m.causes.len(), 1);
    assert_eq!((m.causes[0].task.as_str(), m.causes[0].days), ("t1", 2));
    assert_eq!(m.causes[0].risks, ["R-1"], "the risk that occurred on it");
    let rc = &r.risk_calibration;
    assert_eq!((rc.resolved, rc.occurred), (2, 1));
    assert!((rc.expected - 0.7).abs() < 1e-9);
    assert_eq!(rc.brier, Some(0.145));
    assert_eq!(r.lessons[0].id, "L-1");
    // Two tasks: too few for a spread, so it stays 1; single-value estimates: bias only.
    let f = r.calibration.teams[0].1;
    assert_eq!((f.bias, f.spread, f.tasks), (1.414, 1.0, 2));
    let md = retro::markdown(&r);
    assert!(
        md.contains(
            "| `m` m | 2027-01-07 | 2027-01-11 (reached) | +2d | - | `t1` +2d (risk R-1) |"
        ),
        "{md}"
    );
}

#[test]
fn calibration_files_apply_to_a_later_plan() {
    let a = plan(FINISHED);
    let b = tiller_app::tracking::pick_baseline(&a.program, None).expect("baseline");
    let r = retro::evaluate(&a.program, &a.schedule, b);
    let text = calibration::to_toml(&r.calibration);
    let cal = calibration::parse(&text).expect("reads back");
    assert_eq!(cal, {
        let mut c = r.calibration.clone();
        c.source = Some("Finished".into());
        c
    });
    // A later plan of team x, with three-point estimates.
    let mut later = plan(
        "[program]\nname = \"Later\"\nstart = 2027-03-01\n[team.x]\n[team.y]\n[person.bo]\nteam = \"x\"\n[person.cy]\nteam = \"y\"\n\
         [[task]]\nid = \"u\"\neffort = \"4d/5d/8d\"\nassignee = \"bo\"\n[[task]]\nid = \"v\"\neffort = \"5d\"\nassignee = \"cy\"\n",
    )
    .program;
    let cal = calibration::parse("[team.x]\nbias = 1.2\nspread = 2\n[team.z]\nbias = 1.1\n")
        .expect("parses");
    let applied = calibration::apply(&mut later, &cal);
    assert_eq!(applied.by_team, [("x".to_string(), 1)]);
    assert_eq!(applied.unknown_teams, ["z"]);
    let e = later.tasks[0].work.expect("work");
    let e = e.estimate();
    assert!(
        (e.likely - 6.0).abs() < 1e-9
            && (e.optimistic - 3.6).abs() < 1e-9
            && (e.pessimistic - 13.2).abs() < 1e-9
    );
    assert_eq!(
        later.tasks[1].work.expect("work").estimate().likely,
        5.0,
        "team y is not calibrated"
    );
    // The forecast's mean moves by the bias.
    let (before, _) = tiller_engine::forecast::moments(
        &tiller_core::Estimate {
            optimistic: 4.0,
            likely: 5.0,
            pessimistic: 8.0,
        },
        tiller_core::Distribution::Pert { shape: 4.0 },
    );
    let scaled = calibration::calibrate(
        &tiller_core::Estimate {
            optimistic: 4.0,
            likely: 5.0,
            pessimistic: 8.0,
        },
        &calibration::Factors {
            bias: 1.2,
            spread: 1.0,
            tasks: 1,
        },
    );
    let (after, _) =
        tiller_engine::forecast::moments(&scaled, tiller_core::Distribution::Pert { shape: 4.0 });
    assert!((after / before - 1.2).abs() < 1e-9);
}

#[test]
fn the_example_retrospective_matches_its_snapshot() {
    let a = example();
    let b = tiller_app::tracking::pick_baseline(&a.program, None).expect("baseline");
    let r = retro::evaluate(&a.program, &a.schedule, b);
    assert_matches_file("checkout-retro.md", &retro::markdown(&r));
    assert_matches_file(
        "checkout-calibration.toml",
        &calibration::to_toml(&r.calibration),
    );
}

// ---------------------------------------------------------------------------------
// Charts: PNG export, and the HTML report in a real browser.

#[cfg(feature = "png")]
#[test]
fn png_export_draws_the_labels() {
    let a = example();
    let r = report(&a, Audience::Exec, None, true);
    let fonts = tiller_report::png::Fonts::system()
        .expect("a chart font: install fonts-dejavu-core (scripts/test does)");
    let chart = r
        .charts
        .iter()
        .find(|c| c.id == "risk-matrix")
        .expect("risk matrix");
    let png = tiller_report::png::render(&chart.svg, &fonts, 1.0).expect("renders");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // Without its text the image differs: the labels were drawn, not silently dropped.
    let mut bare = String::new();
    let mut rest = chart.svg.as_str();
    while let Some(i) = rest.find("<text") {
        bare.push_str(&rest[..i]);
        let end = rest[i..].find("</text>").expect("closed") + i + "</text>".len();
        rest = &rest[end..];
    }
    bare.push_str(rest);
    let without = tiller_report::png::render(&bare, &fonts, 1.0).expect("renders");
    assert_ne!(png, without, "text is drawn with {}", fonts.family());
}

fn chromium() -> Option<PathBuf> {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
}

/// Opens the team and exec reports of the example in headless Chromium: the page
/// renders without console errors, every chart is in the DOM, and a screenshot is
/// kept under `artifacts/`. Without Chromium the test is skipped, unless
/// TILLER_BROWSER_TESTS=1 (as in scripts/test), where that is a failure.
#[test]
fn the_html_report_renders_in_a_real_browser() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("TILLER_BROWSER_TESTS").is_none(),
            "TILLER_BROWSER_TESTS is set but no Chromium is installed"
        );
        eprintln!("skipped: no Chromium (apt-get install chromium)");
        return;
    };
    let a = example();
    let artifacts = root().join("artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts folder");
    for audience in [Audience::Team, Audience::Exec] {
        let r = report(&a, audience, None, true);
        let page = artifacts.join(format!("report-{}.html", audience.key()));
        std::fs::write(&page, html::render(&r)).expect("write the report");
        let profile = std::env::temp_dir().join(format!(
            "tiller-chromium-{}-{}",
            std::process::id(),
            audience.key()
        ));
        let _ = std::fs::remove_dir_all(&profile);
        let run = |extra: &[String]| {
            let out = Command::new(&browser)
                .args([
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--enable-logging=stderr",
                    "--v=0",
                ])
                .arg(format!("--user-data-dir={}", profile.display()))
                .args(extra)
                .arg(format!("file://{}", page.display()))
                .output()
                .expect("chromium runs");
            assert!(
                out.status.success(),
                "chromium failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out
        };
        let dom = run(&["--dump-dom".to_string()]);
        let dom_text = String::from_utf8_lossy(&dom.stdout);
        let log = String::from_utf8_lossy(&dom.stderr);
        let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
        assert!(console.is_empty(), "console messages: {console:?}");
        assert!(dom_text.contains("id=\"overall\""), "the page rendered");
        assert!(!r.charts.is_empty());
        for c in &r.charts {
            assert!(
                dom_text.contains(&format!("id=\"chart-{}\"", c.id)),
                "chart `{}` is in the {} report",
                c.id,
                audience.key()
            );
        }
        let shot = artifacts.join(format!("report-{}.png", audience.key()));
        let _ = std::fs::remove_file(&shot);
        run(&[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".to_string(),
            "--hide-scrollbars".to_string(),
        ]);
        let png = std::fs::read(&shot).expect("a screenshot");
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 50_000,
            "a real page was drawn"
        );
        let _ = std::fs::remove_dir_all(&profile);
    }
}

#[test]
fn the_reporting_tables_are_validated_like_the_rest_of_the_plan() {
    let text = std::fs::read_to_string(fixtures().join("bad-reporting.toml")).expect("read");
    let loaded = tiller_plan::load_str("bad-reporting.toml", &text, &[]);
    let found: Vec<(&str, String)> = loaded
        .diagnostics
        .iter()
        .map(|d| (d.code.as_str(), d.message.clone()))
        .collect();
    let expected = [
        (
            "E0104",
            "`red_probability` is on the wrong side of `amber_probability`",
        ),
        ("E0104", "`red_load` in `[health]` is out of range"),
        ("E0101", "unknown key `amber_lod` in `[health]`"),
        ("E0201", "unknown person `anna` in stakeholder `boss`"),
        ("E0104", "unknown audience \"boss\""),
        ("E0104", "unknown cadence \"hourly\""),
        ("E0104", "unknown interest \"very\""),
        ("E0201", "unknown task `b` in stakeholder `boss`"),
        ("E0103", "lesson #1 has no `title`"),
        ("E0104", "unknown colour \"purple\""),
        (
            "E0104",
            "probability in a forecast of report #1 must be between 0 and 1",
        ),
        ("E0104", "invalid `impact` in risk `R`"),
    ];
    let found: Vec<(&str, &str)> = found.iter().map(|(c, m)| (*c, m.as_str())).collect();
    assert_eq!(found, expected);
    // The example uses every reporting table, and checks.
    let p = example().program;
    assert_eq!(p.reporting.stakeholders.len(), 4);
    assert_eq!(p.reporting.lessons.len(), 1);
    assert_eq!(p.reporting.history.len(), 1);
    assert!(
        p.issues.iter().any(|i| i.ask.is_some()) && p.decisions.iter().any(|d| d.ask.is_some())
    );
}
