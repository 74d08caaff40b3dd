//! `tiller forecast`: Monte Carlo dates, costs and what drives them.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Args;
use tiller_app::{forecasting, workspace};
use tiller_plan::Style;

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
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn forecast(args: ForecastArgs, style: Style) -> anyhow::Result<ExitCode> {
    let loaded = workspace::load_plan(&args.plan)?;
    let a = match tiller_app::analysis::analyze_as_of(loaded, args.as_of) {
        Ok(a) => a,
        Err(r) => return Ok(rejected(r, style)),
    };
    print_diagnostics(&a.warnings, &a.sources, style);
    let program = match &args.scenario {
        Some(name) => forecasting::with_scenario(&a.program, name)?,
        None => a.program.clone(),
    };
    let options = forecasting::options(
        &program,
        args.iterations,
        args.seed,
        args.lhs,
        args.mitigated,
        !args.no_tornado,
    );
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
        Err(errors) => {
            let diags: Vec<_> = errors
                .iter()
                .map(|e| tiller_app::analysis::schedule_error(&a.program, e))
                .collect();
            print_diagnostics(&diags, &a.sources, style);
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
             critical-path date {:>5.1}%\nLargest gap from nominal: {:.1} points\n",
            c.programs,
            c.tasks_per_program,
            c.iterations,
            c.correlation,
            c.p50 * 100.0,
            c.p80 * 100.0,
            c.p95 * 100.0,
            c.deterministic * 100.0,
            c.worst_gap_points()
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
