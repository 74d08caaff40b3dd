//! `tiller forecast`: Monte Carlo dates, costs and what drives them.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;
use tiller_app::{forecasting, workspace};
use tiller_plan::Style;
use tiller_report::calibration;

use crate::{print_diagnostics, rejected, write_output};

#[derive(Args)]
pub struct ForecastArgs {
    /// The plan's root .toml file.
    plan: String,
    /// Iterations (default: `[forecast] iterations`, else 10,000).
    #[arg(long)]
    iterations: Option<usize>,
    /// Random seed: the same seed gives the same forecast (default: `[forecast] seed`, else 1).
    #[arg(long)]
    seed: Option<u64>,
    /// Latin hypercube sampling of the estimates.
    #[arg(long)]
    lhs: bool,
    /// Use the risks' post-mitigation probabilities and impacts.
    #[arg(long)]
    mitigated: bool,
    /// Skip the risk tornado (one re-run per risk).
    #[arg(long)]
    no_tornado: bool,
    /// Forecast as of this date instead of the plan's status date.
    #[arg(long, value_parser = crate::track_cmd::parse_date)]
    as_of: Option<chrono::NaiveDate>,
    /// Forecast the plan with this what-if scenario (`[scenario.NAME]`) applied.
    #[arg(long)]
    scenario: Option<String>,
    /// Level resources in every iteration: the plan is leveled once (as by
    /// `tiller schedule --level`) and every iteration replays that schedule's order.
    #[arg(long)]
    level: bool,
    /// Calibrate the estimates first with this file (written by `tiller retro
    /// --calibration-out`): per team, a bias on estimates and a factor on their spread.
    #[arg(long, value_name = "FILE")]
    calibration: Option<std::path::PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// Reads a calibration file; a problem names the file and the line.
fn load_calibration(path: &std::path::Path) -> anyhow::Result<calibration::Calibration> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read calibration file `{shown}`: {e}"))?;
    calibration::parse(&text).map_err(|e| {
        let (line, message) = locate(&text, &e);
        anyhow::anyhow!("{shown}:{line}: invalid calibration file: {message}")
    })
}

/// The line (1-based) a calibration error is on, and its message on one line.
fn locate(text: &str, e: &calibration::CalibrationError) -> (usize, String) {
    use calibration::CalibrationError as E;
    // A table header's name without brackets, spaces or quotes: `[ team."web" ]`
    // is `team.web`.
    let header = |line: &str| -> Option<String> {
        let t = line.trim();
        let inner = t.strip_prefix('[')?.split(']').next()?;
        Some(
            inner
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '"')
                .collect(),
        )
    };
    let header_line = |table: &str| {
        text.lines()
            .position(|l| header(l).as_deref() == Some(table))
            .map(|i| i + 1)
    };
    let key_line = |table: &str, key: &str| {
        let from = header_line(table)?;
        text.lines()
            .enumerate()
            .skip(from)
            .take_while(|(_, l)| header(l).is_none())
            .find(|(_, l)| {
                l.trim()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
            .map(|(i, _)| i + 1)
            .or(Some(from))
    };
    match e {
        E::Toml(message) => {
            // The parser's message reads "TOML parse error at line N, column C", a
            // picture of the line, then what is wrong.
            let line = message
                .split("at line ")
                .nth(1)
                .and_then(|rest| {
                    rest.split(|c: char| !c.is_ascii_digit())
                        .next()
                        .and_then(|n| n.parse().ok())
                })
                .unwrap_or(1);
            let what = message
                .lines()
                .rev()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("not valid TOML");
            (line, format!("not valid TOML: {what}"))
        }
        E::Value { table, key, .. } => (key_line(table, key).unwrap_or(1), e.to_string()),
        E::UnknownKey { table, key } => (key_line(table, key).unwrap_or(1), e.to_string()),
        E::UnknownTable(table) => {
            let line = header_line(table)
                .or_else(|| {
                    // `team.x` that is not a table: the line naming it.
                    let name = table.rsplit('.').next().unwrap_or(table);
                    text.lines()
                        .position(|l| l.trim_start().starts_with(name))
                        .map(|i| i + 1)
                })
                .unwrap_or(1);
            (line, e.to_string())
        }
    }
}

pub fn forecast(args: ForecastArgs, style: Style) -> anyhow::Result<ExitCode> {
    let loaded = workspace::load_plan(&args.plan)?;
    let a = match tiller_app::analysis::analyze_as_of(loaded, args.as_of) {
        Ok(a) => a,
        Err(r) => return Ok(rejected(r, style)),
    };
    print_diagnostics(&a.warnings, &a.sources, style);
    let mut program = match &args.scenario {
        Some(name) => forecasting::with_scenario(&a.program, name)?,
        None => a.program.clone(),
    };
    // Calibrated after the scenario, so a scenario's new estimates are calibrated too.
    let calibrated = match &args.calibration {
        Some(path) => {
            let cal = load_calibration(path)?;
            let applied = calibration::apply(&mut program, &cal);
            if !applied.unknown_teams.is_empty() {
                eprintln!(
                    "warning: {}: no team {} in the plan; its factors are not used",
                    path.display(),
                    applied.unknown_teams.join(", ")
                );
            }
            Some((path.display().to_string(), applied))
        }
        None => None,
    };
    let mut options = forecasting::options(
        &program,
        args.iterations,
        args.seed,
        args.lhs,
        args.mitigated,
        !args.no_tornado,
    );
    if args.level {
        options.level = Some(forecasting::level_options(&program));
    }
    // A progress bar on standard error, only for a person watching.
    let bar = (std::io::stderr().is_terminal() && options.iterations >= 2_000).then(|| {
        let b = indicatif::ProgressBar::new(options.iterations as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} iterations")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let report = |done: u64| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    };
    let f = match forecasting::run(&program, &options, &report) {
        Ok(f) => f,
        Err(e) => {
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            print_diagnostics(&e.diagnostics(&program), &a.sources, style);
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&f)?;
        s.push('\n');
        s
    } else {
        let mut t = forecasting::table(&program, &f);
        if let Some((path, applied)) = &calibrated {
            let teams: Vec<String> = applied
                .by_team
                .iter()
                .map(|(team, n)| format!("{team} {n}"))
                .collect();
            t = format!(
                "Estimates calibrated with {path} (tasks re-estimated: {})\n{t}",
                if teams.is_empty() {
                    "none".to_string()
                } else {
                    teams.join(", ")
                }
            );
        }
        if let Some(name) = &args.scenario {
            t = format!("Scenario `{name}`\n{t}");
        }
        t
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct ThroughputArgs {
    /// The plan's root .toml file.
    plan: String,
    /// The team whose `throughput` history to sample.
    #[arg(long)]
    team: String,
    /// When will this many items be done?
    #[arg(long, conflicts_with = "by", required_unless_present = "by")]
    items: Option<f64>,
    /// How many items will be done by this date?
    #[arg(long, value_parser = crate::track_cmd::parse_date)]
    by: Option<chrono::NaiveDate>,
    #[arg(long, default_value_t = 10_000)]
    iterations: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn throughput(args: ThroughputArgs, style: Style) -> anyhow::Result<ExitCode> {
    use tiller_app::throughput::{how_many, when_done};
    let loaded = workspace::load_plan(&args.plan)?;
    let a = match tiller_app::analyze(loaded) {
        Ok(a) => a,
        Err(r) => return Ok(rejected(r, style)),
    };
    let text = match (args.items, args.by) {
        (Some(items), _) => {
            let w = when_done(&a.program, &args.team, items, args.iterations, args.seed)?;
            if args.json {
                format!("{}\n", serde_json::to_string_pretty(&w)?)
            } else {
                format!(
                    "{} items for team {} from {} ({} iterations of its weekly throughput):\n  \
                     50% by {}\n  70% by {}\n  85% by {}\n  95% by {}\n",
                    w.items, w.team, w.from, args.iterations, w.p50, w.p70, w.p85, w.p95
                )
            }
        }
        (None, Some(by)) => {
            let h = how_many(&a.program, &args.team, by, args.iterations, args.seed)?;
            if args.json {
                format!("{}\n", serde_json::to_string_pretty(&h)?)
            } else {
                format!(
                    "Team {} from {} to {} ({} whole weeks):\n  50% confidence: at least {}\n  \
                     70%: at least {}\n  85%: at least {}\n  95%: at least {}\n",
                    h.team, h.from, h.by, h.weeks, h.p50, h.p70, h.p85, h.p95
                )
            }
        }
        (None, None) => anyhow::bail!("give --items N or --by DATE"),
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct BacktestArgs {
    /// Synthetic programs to forecast and then "run".
    #[arg(long, default_value_t = 1_000)]
    programs: usize,
    /// Tasks per synthetic program.
    #[arg(long, default_value_t = 30)]
    tasks: usize,
    /// Forecast iterations per program.
    #[arg(long, default_value_t = 1_000)]
    iterations: usize,
    /// Team estimation correlation in the synthetic programs.
    #[arg(long, default_value_t = 0.3)]
    correlation: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn backtest(args: BacktestArgs) -> anyhow::Result<ExitCode> {
    use tiller_app::backtest::{BacktestOptions, run};
    if !(0.0..=1.0).contains(&args.correlation) {
        anyhow::bail!("--correlation must be between 0 and 1");
    }
    let options = BacktestOptions {
        programs: args.programs.max(1),
        tasks: args.tasks.clamp(2, 10_000),
        iterations: args.iterations.max(1),
        seed: args.seed,
        correlation: args.correlation,
    };
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(options.programs as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} programs")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let report = |done: u64| {
        if let Some(b) = &bar {
            b.set_position(done);
        }
    };
    let c = run(&options, &report)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&c)?)
    } else {
        format!(
            "Calibration backtest: {} synthetic programs of {} tasks, {} iterations each, \
             team correlation {}\nShare of programs finishing on or before the forecast date:\n  \
             P50 {:>5.1}%  (nominal 50)\n  P80 {:>5.1}%  (nominal 80)\n  P95 {:>5.1}%  (nominal 95)\n  \
             critical-path date {:>5.1}%\nLargest gap from nominal: {:.1} points\n\
             With a finish on the forecast date counted as half (whole-day dates tie):\n  \
             P50 {:>5.1}%  P80 {:>5.1}%  P95 {:>5.1}%  largest gap {:.1} points\n",
            c.programs,
            c.tasks_per_program,
            c.iterations,
            c.correlation,
            c.p50 * 100.0,
            c.p80 * 100.0,
            c.p95 * 100.0,
            c.deterministic * 100.0,
            c.worst_gap_points(),
            c.p50_mid * 100.0,
            c.p80_mid * 100.0,
            c.p95_mid * 100.0,
            c.worst_mid_gap_points()
        )
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct CompareArgs {
    /// The plan's root .toml file.
    plan: String,
    /// Scenarios to forecast side by side with the plan (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Rank the levers (mitigating each risk, one more person per team, cutting each
    /// often-critical task) by how much they bring the milestone's P80 forward.
    #[arg(long)]
    levers: bool,
    /// The milestone compared (default: the program finish).
    #[arg(long, default_value = "program")]
    milestone: String,
    #[arg(long)]
    iterations: Option<usize>,
    #[arg(long)]
    seed: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn compare(args: CompareArgs, style: Style) -> anyhow::Result<ExitCode> {
    let loaded = workspace::load_plan(&args.plan)?;
    let a = match tiller_app::analyze(loaded) {
        Ok(a) => a,
        Err(r) => return Ok(rejected(r, style)),
    };
    if args.scenarios.is_empty() && !args.levers {
        anyhow::bail!("give --scenarios A,B or --levers");
    }
    // Levers are many forecasts: fewer iterations by default.
    let default_iterations = if args.levers { 2_000 } else { 10_000 };
    let options = forecasting::options(
        &a.program,
        args.iterations.or(Some(default_iterations)),
        args.seed,
        false,
        false,
        false,
    );
    let rows = if args.levers {
        let mut rows =
            forecasting::compare(&a.program, &args.scenarios, &args.milestone, &options)?;
        rows.extend(forecasting::rank_levers(
            &a.program,
            &args.milestone,
            &options,
        )?);
        rows
    } else {
        forecasting::compare(&a.program, &args.scenarios, &args.milestone, &options)?
    };
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&rows)?)
    } else {
        forecasting::comparison_table(&args.milestone, &rows)
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}
