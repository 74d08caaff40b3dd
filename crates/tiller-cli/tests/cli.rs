//! End-to-end tests of the `tiller` binary: exact diagnostics for bad plans, exact
//! schedules for the examples, exit codes, and robustness against hostile input.
//!
//! Expected outputs live next to their inputs (`*.stderr`, `*.expected.*`). After an
//! intended change, regenerate them with `TILLER_BLESS=1 cargo test -p tiller-cli` and
//! review the diff like code.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn tiller() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tiller"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    tiller()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("tiller runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// Compares `actual` with the file at `path`, or rewrites the file when blessing.
fn assert_matches_file(path: &Path, actual: &str) {
    if std::env::var_os("TILLER_BLESS").is_some() {
        std::fs::write(path, actual).expect("write expected output");
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|_| panic!("missing {}; run with TILLER_BLESS=1", path.display()));
    if expected != actual {
        panic!(
            "output differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

#[test]
fn diagnostics_are_exact_for_every_bad_plan() {
    let dir = fixtures().join("diagnostics");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.push(dir.join("include/root.toml"));
    cases.sort();
    assert!(cases.len() >= 10);
    for case in cases {
        let rel = case.strip_prefix(&dir).expect("inside fixtures");
        let rel = rel.to_str().expect("UTF-8 path");
        let out = run(&dir, &["check", "--color", "never", rel]);
        let expected_code = if rel.starts_with("missed") { 0 } else { 1 };
        assert_eq!(
            out.status.code(),
            Some(expected_code),
            "{rel}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).is_empty(),
            "{rel}: diagnostics go to stderr"
        );
        assert_matches_file(&case.with_extension("stderr"), &text(&out.stderr));
    }
}

#[test]
fn check_reports_every_problem_not_only_the_first() {
    let dir = fixtures().join("diagnostics");
    let out = run(&dir, &["check", "--json", "references.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| d["code"].as_str().expect("code"))
        .collect();
    assert_eq!(doc["ok"], false);
    assert!(codes.len() >= 8, "{codes:?}");
    assert!(codes.contains(&"E0201") && codes.contains(&"E0105") && codes.contains(&"E0202"));
    let first = &doc["diagnostics"][0];
    assert_eq!(first["file"], "references.toml");
    assert!(first["line"].as_u64().is_some() && first["column"].as_u64().is_some());
}

#[test]
fn the_tiny_example_schedules_to_hand_checked_dates() {
    let out = run(&repo(), &["schedule", "--json", "examples/tiny.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let task = |id: &str| {
        doc["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .find(|t| t["id"] == id)
            .cloned()
            .expect("task present")
    };
    // design: 3 person-days by Ana at full time from Monday 4 January: Mon-Wed.
    let design = task("design");
    assert_eq!(
        (design["start"].as_str(), design["finish"].as_str()),
        (Some("2027-01-04"), Some("2027-01-06"))
    );
    // build: 4 person-days by Ben at half time = 8 working days from Thursday 7,
    // skipping the weekends and the holiday on Monday 18: Tuesday 19.
    let build = task("build");
    assert_eq!(
        (build["start"].as_str(), build["finish"].as_str()),
        (Some("2027-01-07"), Some("2027-01-19"))
    );
    assert_eq!(build["critical"], true);
    // copy: SS+1d after design starts Tuesday 5, two days; it may slip until the
    // launch on the 19th: 8 working days of float.
    let copy = task("copy");
    assert_eq!(
        (copy["start"].as_str(), copy["finish"].as_str()),
        (Some("2027-01-05"), Some("2027-01-06"))
    );
    assert_eq!(copy["late_start"], "2027-01-15");
    assert_eq!(copy["late_finish"], "2027-01-19");
    assert_eq!(
        (copy["total_float"].as_i64(), copy["free_float"].as_i64()),
        (Some(8), Some(8))
    );
    assert_eq!(copy["critical"], false);
    let launch = &doc["milestones"][0];
    assert_eq!(launch["id"], "launch");
    assert_eq!(launch["date"], "2027-01-19");
    assert_eq!(launch["promised"], "2027-01-22");
    // Wednesday to Friday: three working days of slack before the promise.
    assert_eq!(launch["float"], 3);
    assert_eq!(doc["finish"], "2027-01-19");
    assert_eq!(
        doc["critical_path"],
        serde_json::json!(["design", "build", "launch"])
    );
}

/// Every root plan under `examples/`: `*.toml` at the top and `*/program.toml`.
fn example_roots() -> Vec<String> {
    let mut roots = Vec::new();
    for entry in std::fs::read_dir(repo().join("examples")).expect("examples") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            roots.push(path);
        } else if path.join("program.toml").is_file() {
            roots.push(path.join("program.toml"));
        }
    }
    roots.sort();
    roots
        .iter()
        .map(|p| {
            p.strip_prefix(repo())
                .expect("in repo")
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[test]
fn every_example_checks_and_its_schedule_is_exactly_as_recorded() {
    let roots = example_roots();
    assert!(roots.len() >= 2, "{roots:?}");
    let expected_dir = fixtures().join("schedules");
    for root in roots {
        let out = run(&repo(), &["check", "--color", "never", &root]);
        assert_eq!(out.status.code(), Some(0), "{root}: {}", text(&out.stderr));
        let stem = root.replace(['/', '.'], "_");
        for (flag, ext) in [("--json", "json"), ("--csv", "csv"), ("", "txt")] {
            let mut args = vec!["schedule", "--color", "never", &root];
            if !flag.is_empty() {
                args.push(flag);
            }
            let out = run(&repo(), &args);
            assert_eq!(out.status.code(), Some(0), "{root}");
            assert_matches_file(
                &expected_dir.join(format!("{stem}.{ext}")),
                &text(&out.stdout),
            );
        }
    }
}

#[test]
fn the_demo_runs_on_the_bundled_example() {
    let out = run(&repo(), &["demo"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("Critical path:"), "{table}");
    let json = run(&repo(), &["demo", "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert!(doc["tasks"].as_array().is_some_and(|t| !t.is_empty()));
}

#[test]
fn exit_codes_distinguish_plan_errors_from_usage_and_io() {
    let dir = fixtures().join("diagnostics");
    assert_eq!(run(&dir, &["check", "cycles.toml"]).status.code(), Some(1));
    let missing = run(&dir, &["check", "no-such-plan.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no-such-plan.toml"));
    assert_eq!(run(&dir, &["check", "."]).status.code(), Some(2));
    assert_eq!(run(&dir, &["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&dir, &["schedule"]).status.code(), Some(2));
    assert_eq!(
        run(&dir, &["generate", "--tasks", "0"]).status.code(),
        Some(2)
    );
}

#[test]
fn schema_is_json_and_generated_plans_check() {
    let out = run(&repo(), &["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("schema is JSON");
    assert!(schema["properties"]["task"].is_object());

    let tmp = std::env::temp_dir().join(format!("tiller-gen-{}.toml", std::process::id()));
    let tmp_s = tmp.to_string_lossy().into_owned();
    let gen_args = ["generate", "--tasks", "500", "--seed", "3", "-o", &tmp_s];
    assert_eq!(run(&repo(), &gen_args).status.code(), Some(0));
    let first = std::fs::read(&tmp).expect("generated");
    assert_eq!(run(&repo(), &gen_args).status.code(), Some(0));
    assert_eq!(
        first,
        std::fs::read(&tmp).expect("generated"),
        "deterministic"
    );
    let check = run(&repo(), &["check", &tmp_s]);
    let a = run(&repo(), &["schedule", "--json", &tmp_s]);
    let b = run(&repo(), &["schedule", "--json", &tmp_s]);
    let _ = std::fs::remove_file(&tmp);
    assert_eq!(check.status.code(), Some(0), "{}", text(&check.stderr));
    assert_eq!(a.stdout, b.stdout, "byte-identical schedules");
}

#[test]
fn hostile_files_give_errors_not_panics() {
    let dir = std::env::temp_dir().join(format!("tiller-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("deep.toml", "a = ".bytes().chain(std::iter::repeat_n(b'[', 100_000)).collect()),
        ("nul.toml", vec![0u8; 1000]),
        ("binary.toml", (0..=255u8).cycle().take(10_000).collect()),
        (
            "huge-number.toml",
            b"[program]\nname=\"x\"\nstart=2027-01-04\n[[task]]\nid=\"a\"\neffort=\"99999999999999999999999d\"\n"
                .to_vec(),
        ),
        (
            "year.toml",
            b"[program]\nname=\"x\"\nstart=9999-12-31\n[[task]]\nid=\"a\"\neffort=\"1d\"\n".to_vec(),
        ),
        (
            "many-keys.toml",
            (0..20_000)
                .map(|i| format!("k{i} = {i}\n"))
                .collect::<String>()
                .into_bytes(),
        ),
    ];
    for (name, bytes) in &cases {
        std::fs::write(dir.join(name), bytes).expect("write case");
        let out = run(&dir, &["check", "--color", "never", name]);
        let code = out.status.code();
        assert!(
            code == Some(1) || code == Some(0),
            "{name}: exit {code:?}\n{}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"), "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn earned_value_of_the_example_is_as_recorded_and_internally_consistent() {
    let out = run(
        &repo(),
        &["evm", "--json", "examples/checkout/program.toml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json = text(&out.stdout);
    assert_matches_file(&fixtures().join("schedules/checkout.evm.json"), &json);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["baseline"], "plan-of-record");
    assert_eq!(doc["as_of"], "2027-02-15");
    let p = &doc["program"];
    let f = |k: &str| p[k].as_f64().unwrap_or_else(|| panic!("{k} missing"));
    // Roll-ups: the program's PV/EV/AC/BAC are the sums over its tasks.
    for key in ["pv", "ev", "ac", "bac"] {
        let sum: f64 = doc["tasks"]
            .as_array()
            .expect("tasks")
            .iter()
            .map(|t| t[key].as_f64().expect("number"))
            .sum();
        assert!((sum - f(key)).abs() < 0.05, "{key}: {sum} vs {}", f(key));
    }
    // Indices come from the sums, not averages of the tasks' indices.
    assert!((f("spi") - f("ev") / f("pv")).abs() < 1e-5);
    assert!((f("cpi") - f("ev") / f("ac")).abs() < 1e-5);
    assert!((f("eac_cpi") - f("bac") / (f("ev") / f("ac"))).abs() < 0.05);
    for key in ["es", "spi_t", "ieac_t", "tcpi_bac", "eac_composite"] {
        assert!(p[key].is_number(), "{key}");
    }
    let weeks = doc["weekly"].as_array().expect("weekly series");
    assert!(
        weeks
            .windows(2)
            .all(|w| w[0]["pv"].as_f64() <= w[1]["pv"].as_f64())
    );
    let table = run(&repo(), &["evm", "examples/checkout/program.toml"]);
    assert!(text(&table.stdout).contains("SPI(t)"));
}

#[test]
fn baselines_are_saved_next_to_the_plan_never_silently_replaced() {
    let dir = std::env::temp_dir().join(format!("tiller-baseline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::copy(repo().join("examples/tiny.toml"), dir.join("plan.toml")).expect("copy");
    let save = |extra: &[&str]| {
        let mut args = vec!["baseline", "save", "v1", "plan.toml"];
        args.extend_from_slice(extra);
        run(&dir, &args)
    };
    let first = save(&[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let plan = std::fs::read_to_string(dir.join("plan.toml")).expect("plan");
    assert!(plan.contains("include = [\"baselines/v1.toml\"]"), "{plan}");
    assert!(plan.contains("# A tiny program"), "comments kept");
    let again = save(&[]);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists"));
    assert_eq!(save(&["--force"]).status.code(), Some(0));
    let list = run(&dir, &["baseline", "list", "plan.toml"]);
    assert!(
        text(&list.stdout).starts_with("v1 "),
        "{}",
        text(&list.stdout)
    );
    // Against its own baseline a plan has no variance and an SPI of 1 where work was due.
    let sched = run(
        &dir,
        &["schedule", "--json", "--baseline", "v1", "plan.toml"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&sched.stdout).expect("JSON");
    let rows = doc["baseline"]["variance"].as_array().expect("variance");
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| r["finish_variance"] == 0));
    let unknown = run(&dir, &["evm", "--baseline", "nope", "plan.toml"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("available: v1"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diff_reports_every_kind_of_change_and_fails_ci_on_slips() {
    let dir = fixtures().join("diff");
    let out = run(&dir, &["diff", "old.toml", "new.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_matches_file(&dir.join("expected.txt"), &text(&out.stdout));
    let json = run(&dir, &["diff", "--json", "old.toml", "new.toml"]);
    let d: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(d["tasks_added"][0]["id"], "seo");
    assert_eq!(
        d["reestimated"][0]["old"],
        serde_json::json!([4.0, 4.0, 4.0])
    );
    assert_eq!(
        d["reestimated"][0]["new"],
        serde_json::json!([3.0, 5.0, 8.0])
    );
    assert_eq!(d["links_changed"][0]["old"], "SS+1d");
    assert_eq!(d["milestones"][0]["slip"], 2);
    assert_eq!(d["finish"]["slip"], 2);
    // Forecasts of both versions give the P80s: later in the new plan, whose build
    // estimate became uncertain.
    let p80 = |side: &str| {
        d["milestones"][0][side]
            .as_str()
            .expect("P80 date")
            .to_string()
    };
    assert!(p80("p80_new") > p80("p80_old"), "{}", d["milestones"][0]);
    assert_eq!(d["risks_opened"], serde_json::json!(["R-CDN"]));
    assert_eq!(d["risks_closed"], serde_json::json!(["R-COPY"]));
    assert_eq!(d["budget"]["planned_cost_old"], 4800.0);
    assert_eq!(d["budget"]["planned_cost_new"], 5900.0);
    let gate = |limit: &str| {
        run(
            &dir,
            &["diff", "--fail-on-slip", limit, "old.toml", "new.toml"],
        )
        .status
        .code()
    };
    assert_eq!(gate("2"), Some(0));
    assert_eq!(gate("1"), Some(3));
    let same = run(&dir, &["diff", "old.toml", "old.toml"]);
    assert!(text(&same.stdout).contains("No changes"));
}

#[test]
fn diff_reads_the_old_side_from_a_git_revision() {
    let dir = std::env::temp_dir().join(format!("tiller-git-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("teams")).expect("temp dir");
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .current_dir(&dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    let root = "include = [\"teams/a.toml\"]\n[program]\nname = \"g\"\nstart = 2027-01-04\n";
    std::fs::write(dir.join("plan.toml"), root).expect("write");
    std::fs::write(
        dir.join("teams/a.toml"),
        "[[task]]\nid = \"a\"\nduration = \"2d\"\n",
    )
    .expect("write");
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    // The included file changes in the working copy only.
    std::fs::write(
        dir.join("teams/a.toml"),
        "[[task]]\nid = \"a\"\nduration = \"5d\"\n",
    )
    .expect("write");
    let out = run(&dir, &["diff", "--json", "plan.toml", "--git", "HEAD"]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(d["reestimated"][0]["id"], "a");
    assert_eq!(d["finish"]["slip"], 3);
}

#[test]
fn forecast_json_has_the_promised_fields_and_is_reproducible() {
    let args = [
        "forecast",
        "--json",
        "--iterations",
        "2000",
        "--seed",
        "42",
        "examples/checkout/program.toml",
    ];
    let a = run(&repo(), &args);
    assert_eq!(a.status.code(), Some(0), "{}", text(&a.stderr));
    let b = run(&repo(), &args);
    assert_eq!(a.stdout, b.stdout, "same seed, same bytes");
    let doc: serde_json::Value = serde_json::from_slice(&a.stdout).expect("JSON");
    let milestones = doc["milestones"].as_array().expect("milestones");
    assert_eq!(milestones[0]["id"], "program");
    for m in milestones {
        for key in ["p10", "p50", "p80", "p90", "p95", "mean"] {
            assert!(m[key].is_string(), "{key} in {m}");
        }
        assert!(m.get("probability_on_time").is_some() && m.get("promised").is_some());
        assert!(m["p10"].as_str() <= m["p50"].as_str() && m["p50"].as_str() <= m["p95"].as_str());
    }
    let ga = milestones.iter().find(|m| m["id"] == "m.ga").expect("GA");
    assert_eq!(ga["promised"], "2027-06-25");
    let tasks = doc["tasks"].as_array().expect("tasks");
    assert!(tasks.iter().all(|t| t["criticality"].is_number()
        && t["cruciality"].is_number()
        && t["ssi"].is_number()));
    assert!(doc["cost"]["p80"].as_f64() >= doc["cost"]["p50"].as_f64());
    assert!(!doc["tornado"].as_array().expect("tornado").is_empty());
    let table = run(
        &repo(),
        &[
            "forecast",
            "--iterations",
            "500",
            "examples/checkout/program.toml",
        ],
    );
    assert!(text(&table.stdout).contains("WHAT DRIVES THE FINISH"));
}

#[test]
fn leveled_forecasts_of_the_example_are_exactly_as_recorded() {
    let root = "examples/checkout/program.toml";
    let args = [
        "forecast",
        "--level",
        "--json",
        "--iterations",
        "300",
        "--seed",
        "7",
        root,
    ];
    let out = run(&repo(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_matches_file(
        &fixtures().join("forecast/checkout.level.json"),
        &text(&out.stdout),
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["leveled"], true);
    // The deterministic dates are the leveled schedule's, as `schedule --level`
    // gives them.
    let schedule = run(&repo(), &["schedule", "--level", "--json", root]);
    let s: serde_json::Value = serde_json::from_slice(&schedule.stdout).expect("JSON");
    assert_eq!(doc["leveling"]["finish"], s["finish"]);
    assert_eq!(
        doc["leveling"]["resource_free_finish"],
        s["resource_free_finish"]
    );
    assert_eq!(doc["milestones"][0]["deterministic"], s["finish"]);
    assert!(!doc["tornado"].as_array().expect("tornado").is_empty());
    // With a scenario, and as text: says it is leveled, with both finishes.
    let table = run(
        &repo(),
        &[
            "forecast",
            "--level",
            "--iterations",
            "200",
            "--scenario",
            "early-pentest",
            root,
        ],
    );
    assert_eq!(table.status.code(), Some(0), "{}", text(&table.stderr));
    let t = text(&table.stdout);
    assert!(t.starts_with("Scenario `early-pentest`"), "{t}");
    assert!(t.contains("Leveled in every iteration"), "{t}");
    assert!(t.contains("Deterministic finish: leveled 2027-"), "{t}");
    assert!(t.contains(", resource-free 2027-"), "{t}");
    assert!(t.contains("LEVELED"), "{t}");
}

#[test]
fn calibration_files_move_the_forecast_and_bad_ones_are_located() {
    let dir = std::env::temp_dir().join(format!("tiller-calibration-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let root = repo().join("examples/checkout/program.toml");
    let root = root.to_str().expect("UTF-8 path");
    let slow = dir.join("slow.toml");
    let mut cal = String::from("[calibration]\nsource = \"an earlier program\"\n");
    for team in ["mobile", "payments", "platform", "qa", "security", "web"] {
        cal.push_str(&format!("\n[team.{team}]\nbias = 1.2\nspread = 1.0\n"));
    }
    std::fs::write(&slow, cal).expect("write");
    let forecast = |extra: &[&str]| {
        let mut args = vec!["forecast", "--json", "--iterations", "500", "--no-tornado"];
        args.extend_from_slice(extra);
        args.push(root);
        let out = run(&dir, &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON")
    };
    let slow_path = slow.to_str().expect("UTF-8 path");
    let plain = forecast(&[]);
    let calibrated = forecast(&["--calibration", slow_path]);
    let p50 = |d: &serde_json::Value| d["milestones"][0]["p50"].as_str().map(str::to_string);
    // Estimates 20 % longer: a later program finish, and a higher cost.
    assert!(
        p50(&calibrated) > p50(&plain),
        "{:?} vs {:?}",
        p50(&calibrated),
        p50(&plain)
    );
    assert!(calibrated["cost"]["p50"].as_f64() > plain["cost"]["p50"].as_f64());
    // Leveled too, and the text says the estimates were calibrated.
    let leveled = forecast(&["--calibration", slow_path, "--level"]);
    assert!(p50(&leveled) > p50(&forecast(&["--level"])));
    let out = run(
        &dir,
        &[
            "forecast",
            "--iterations",
            "200",
            "--calibration",
            slow_path,
            root,
        ],
    );
    assert!(
        text(&out.stdout).contains(&format!("Estimates calibrated with {slow_path}")),
        "{}",
        text(&out.stdout)
    );

    // A bad value: the file and line of the key.
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[default]\nbias = 1.1\n\n[team.web]\nspread = 1.0\nbias = 9\n",
    )
    .expect("write");
    let out = run(&dir, &["forecast", "--calibration", "bad.toml", root]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("bad.toml:6:"), "{err}");
    assert!(
        err.contains("`bias` in `[team.web]` must be between"),
        "{err}"
    );
    assert!(text(&out.stdout).is_empty());
    // Not TOML: the line the parser stopped at.
    std::fs::write(&bad, "[default]\nbias = 1.1\nspread = = 2\n").expect("write");
    let out = run(&dir, &["forecast", "--calibration", "bad.toml", root]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.toml:3: invalid calibration file: not valid TOML"),
        "{err}"
    );
    // An unknown key, and a missing file.
    std::fs::write(&bad, "[default]\nbias = 1.1\nbiass = 2\n").expect("write");
    let out = run(&dir, &["forecast", "--calibration", "bad.toml", root]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.toml:3:"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&dir, &["forecast", "--calibration", "missing.toml", root]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read calibration file `missing.toml`"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn throughput_answers_when_and_how_many() {
    let plan = "examples/checkout/program.toml";
    let when = run(
        &repo(),
        &[
            "throughput",
            plan,
            "--team",
            "web",
            "--items",
            "24",
            "--json",
        ],
    );
    assert_eq!(when.status.code(), Some(0), "{}", text(&when.stderr));
    let w: serde_json::Value = serde_json::from_slice(&when.stdout).expect("JSON");
    assert!(w["p50"].as_str() <= w["p85"].as_str() && w["p85"].as_str() <= w["p95"].as_str());
    assert_eq!(w["from"], "2027-02-16");
    let many = run(
        &repo(),
        &[
            "throughput",
            plan,
            "--team",
            "web",
            "--by",
            "2027-04-30",
            "--json",
        ],
    );
    let h: serde_json::Value = serde_json::from_slice(&many.stdout).expect("JSON");
    // Confidence costs items: "at least X" falls as the confidence rises.
    assert!(h["p50"].as_f64() >= h["p85"].as_f64() && h["p85"].as_f64() >= h["p95"].as_f64());
    assert_eq!(h["weeks"], 10);
    let no_history = run(
        &repo(),
        &["throughput", plan, "--team", "qa", "--items", "5"],
    );
    assert_eq!(no_history.status.code(), Some(2));
    assert!(text(&no_history.stderr).contains("no throughput history"));
}

#[test]
fn scenarios_and_levers_compare_against_the_plan() {
    let plan = "examples/checkout/program.toml";
    let out = run(
        &repo(),
        &[
            "compare",
            plan,
            "--scenarios",
            "early-pentest,descope-polish",
            "--milestone",
            "m.ga",
            "--iterations",
            "800",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let names: Vec<&str> = rows
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["base", "early-pentest", "descope-polish"]);
    assert_eq!(rows[0]["p80_gain_days"], 0);
    // Fixing the pentest findings faster brings GA's P80 forward.
    assert!(rows[1]["p80_gain_days"].as_i64() > Some(0), "{}", rows[1]);
    let levers = run(
        &repo(),
        &[
            "compare",
            plan,
            "--levers",
            "--milestone",
            "m.ga",
            "--iterations",
            "300",
            "--json",
        ],
    );
    let rows: serde_json::Value = serde_json::from_slice(&levers.stdout).expect("JSON");
    let gains: Vec<i64> = rows.as_array().expect("rows")[1..]
        .iter()
        .map(|r| r["p80_gain_days"].as_i64().expect("gain"))
        .collect();
    assert!(gains.windows(2).all(|w| w[0] >= w[1]), "ranked: {gains:?}");
    let unknown = run(&repo(), &["forecast", plan, "--scenario", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown.stderr).contains("available: payments-contractor"));
}

#[test]
fn the_backtest_reports_coverage_near_nominal() {
    let out = run(
        &repo(),
        &[
            "backtest",
            "--programs",
            "60",
            "--iterations",
            "400",
            "--json",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let f = |k: &str| c[k].as_f64().expect("number");
    // With 60 programs the standard error of a coverage is up to 6.5 points.
    assert!((f("p50") - 0.50).abs() < 0.15, "{c}");
    assert!((f("p80") - 0.80).abs() < 0.12, "{c}");
    assert!((f("p95") - 0.95).abs() < 0.08, "{c}");
    // Ties on the forecast date count half in the mid-distribution coverage.
    for level in ["p50", "p80", "p95"] {
        let mid = f(&format!("{level}_mid"));
        assert!(mid <= f(level) && mid > f(level) - 0.1, "{c}");
    }
    assert!((f("p50_mid") - 0.50).abs() < 0.15, "{c}");
    // The critical-path date ignores uncertainty and merge bias: met far less often.
    assert!(f("deterministic") < f("p50"), "{c}");
}

// ---------------------------------------------------------------- leveling

#[test]
fn leveling_the_example_is_exactly_as_recorded() {
    let dir = fixtures().join("leveling");
    let root = "examples/checkout/program.toml";
    for (flag, file) in [
        ("", "checkout.level.txt"),
        ("--json", "checkout.level.json"),
        ("--csv", "checkout.level.csv"),
    ] {
        let mut args = vec!["schedule", "--color", "never", "--level", root];
        if !flag.is_empty() {
            args.push(flag);
        }
        let out = run(&repo(), &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_matches_file(&dir.join(file), &text(&out.stdout));
    }
    // The JSON carries the leveling fields on top of the schedule's.
    let out = run(&repo(), &["schedule", "--level", "--json", root]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["leveled"], true);
    let tasks = doc["tasks"].as_array().expect("tasks");
    for key in [
        "assigned_to",
        "delay_reason",
        "critical_chain",
        "early_start",
        "total_float",
    ] {
        assert!(tasks.iter().all(|t| t.get(key).is_some()), "{key}");
    }
    assert!(
        tasks
            .iter()
            .any(|t| t["delay_reason"]["kind"] == "resource")
    );
    assert!(
        tasks
            .iter()
            .any(|t| t["delay_reason"]["kind"] == "calendar")
    );
    assert!(
        tasks
            .iter()
            .any(|t| t["delay_reason"]["kind"] == "predecessor")
    );
    assert!(!doc["critical_chain"].as_array().expect("chain").is_empty());
    // Same seed, same bytes.
    let again = run(&repo(), &["schedule", "--level", "--json", root]);
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn explanations_of_the_example_are_exactly_as_recorded() {
    let root = "examples/checkout/program.toml";
    let mut all = String::new();
    for task in [
        "pay.idempotency",
        "pay.ops.card-migration",
        "qa.cert.devices",
        "qa.regression",
        "m.ga",
        "pay.api",
    ] {
        let out = run(
            &repo(),
            &[
                "schedule",
                "--level",
                "--explain",
                task,
                "--color",
                "never",
                root,
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{task}: {}", text(&out.stderr));
        all.push_str(&text(&out.stdout));
        all.push('\n');
    }
    assert_matches_file(&fixtures().join("leveling/checkout.explain.txt"), &all);
    // A misspelt task is a usage error with a suggestion; --explain needs --level.
    let out = run(
        &repo(),
        &["schedule", "--level", "--explain", "pay.ap", root],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("did you mean `pay.api`?"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&repo(), &["schedule", "--explain", "pay.api", root]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn load_and_over_allocations_of_the_example_are_as_recorded() {
    let dir = fixtures().join("leveling");
    let root = "examples/checkout/program.toml";
    for (args, file) in [
        (vec!["load", "--color", "never", root], "checkout.load.txt"),
        (
            vec!["load", "--color", "never", "--level", "--json", root],
            "checkout.load-leveled.json",
        ),
    ] {
        let out = run(&repo(), &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_matches_file(&dir.join(file), &text(&out.stdout));
    }
    // Resource-free: over-allocations listed; leveled: none left.
    let out = run(&repo(), &["load", "--json", root]);
    let free: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        !free["over_allocations"]
            .as_array()
            .expect("list")
            .is_empty()
    );
    let out = run(&repo(), &["load", "--level", "--json", root]);
    let leveled: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(leveled["over_allocations"], serde_json::json!([]));
    assert!(leveled["rows"].as_array().expect("rows").iter().all(|r| {
        r["weeks"]
            .as_array()
            .expect("weeks")
            .iter()
            .all(|w| w["over"] == false)
    }));
    // `schedule` without --level lists the same over-allocations.
    let out = run(&repo(), &["schedule", "--json", root]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["leveled"], false);
    assert_eq!(doc["over_allocations"], free["over_allocations"]);
}

#[test]
fn bench_psplib_verifies_and_reports_a_small_set() {
    let dir = fixtures().join("psplib");
    let csv = std::env::temp_dir().join(format!("tiller-bench-{}.csv", std::process::id()));
    let out = run(
        &repo(),
        &[
            "bench",
            "psplib",
            dir.to_str().expect("utf-8"),
            "--schedules",
            "300",
            "--seed",
            "3",
            "--json",
            "--csv",
            csv.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    assert_eq!(line.lines().count(), 1, "one object per set: {line}");
    let s: serde_json::Value = serde_json::from_str(line.trim()).expect("JSON");
    assert_eq!(s["set"], "j30");
    assert_eq!(s["instances"], 3);
    assert_eq!(s["schedules"], 300);
    assert_eq!(s["infeasible"], 0);
    assert_eq!(s["baseline"], "optimum");
    for key in [
        "avg_deviation_pct",
        "best_known_hits",
        "mean_seconds",
        "max_seconds",
    ] {
        assert!(s[key].is_number(), "{key}");
    }
    let dev = s["avg_deviation_pct"].as_f64().expect("number");
    assert!((0.0..10.0).contains(&dev), "{dev}");
    let rows = std::fs::read_to_string(&csv).expect("CSV written");
    let _ = std::fs::remove_file(&csv);
    assert!(
        rows.starts_with("set,instance,makespan,best_known,cpm_lb"),
        "{rows}"
    );
    assert_eq!(rows.lines().count(), 4);
    assert!(
        rows.contains("j30,j305_3,") && rows.contains(",76,54,"),
        "{rows}"
    );
    // The set directory itself works too, and results do not depend on threads.
    let one = run(
        &repo(),
        &[
            "bench",
            "psplib",
            dir.join("j30").to_str().expect("utf-8"),
            "--schedules",
            "300",
            "--seed",
            "3",
            "--json",
            "--threads",
            "1",
        ],
    );
    let two = run(
        &repo(),
        &[
            "bench",
            "psplib",
            dir.join("j30").to_str().expect("utf-8"),
            "--schedules",
            "300",
            "--seed",
            "3",
            "--json",
            "--threads",
            "2",
        ],
    );
    let strip = |o: &Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        (v["avg_deviation_pct"].clone(), v["best_known_hits"].clone())
    };
    assert_eq!(strip(&one), strip(&two));
    assert_eq!(
        strip(&one),
        (s["avg_deviation_pct"].clone(), s["best_known_hits"].clone())
    );
}
