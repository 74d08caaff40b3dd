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
    let options = forecasting::options(
        &a.program,
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
    let f = match forecasting::run(&a.program, &options, &report) {
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
        forecasting::table(&a.program, &f)
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
