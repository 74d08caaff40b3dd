//! `tiller evm` and `tiller baseline`: tracking a program against its baselines.

use std::path::Path;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use tiller_app::{tracking, workspace};
use tiller_plan::Style;

use crate::{print_diagnostics, rejected, write_output};

/// Parses `YYYY-MM-DD` for `--as-of`.
pub fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("expected a date such as 2027-02-15, found `{s}`"))
}

#[derive(Args)]
pub struct EvmArgs {
    /// The plan's root .toml file.
    plan: String,
    /// Baseline to measure against (default: the most recently saved).
    #[arg(long)]
    baseline: Option<String>,
    /// Evaluate as of this date instead of the plan's status date.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<NaiveDate>,
    /// Print JSON (field names after the standard abbreviations: pv, ev, ac, spi, ...).
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum BaselineCommand {
    /// Record the current schedule (as of the status date) as a named baseline, in
    /// `baselines/NAME.toml` next to the plan, and include it from the plan.
    Save {
        /// Baseline name, e.g. `plan-of-record` or `rebaseline-2027-03`.
        name: String,
        /// The plan's root .toml file.
        plan: String,
        /// Replace an existing baseline of that name.
        #[arg(long)]
        force: bool,
        /// Record as of this date instead of the plan's status date.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<NaiveDate>,
    },
    /// List the plan's baselines.
    List {
        /// The plan's root .toml file.
        plan: String,
    },
}

pub fn evm(args: EvmArgs, style: Style) -> anyhow::Result<ExitCode> {
    let loaded = workspace::load_plan(&args.plan)?;
    let a = match tiller_app::analysis::analyze_as_of(loaded, args.as_of) {
        Ok(a) => a,
        Err(r) => return Ok(rejected(r, style)),
    };
    print_diagnostics(&a.warnings, &a.sources, style);
    let baseline = tracking::pick_baseline(&a.program, args.baseline.as_deref())?;
    let report = tracking::evm(&a.program, baseline, args.as_of)?;
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&report)?;
        s.push('\n');
        s
    } else {
        tracking::evm_table(&a.program, &report)
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn baseline(command: BaselineCommand, style: Style) -> anyhow::Result<ExitCode> {
    match command {
        BaselineCommand::Save {
            name,
            plan,
            force,
            as_of,
        } => {
            let loaded = workspace::load_plan(&plan)?;
            let a = match tiller_app::analysis::analyze_as_of(loaded, as_of) {
                Ok(a) => a,
                Err(r) => return Ok(rejected(r, style)),
            };
            print_diagnostics(&a.warnings, &a.sources, style);
            let saved = as_of.or(a.program.status_date).unwrap_or(a.program.start);
            let file = tracking::save_baseline(
                Path::new(&plan),
                &a.program,
                &a.schedule,
                &name,
                saved,
                force,
            )?;
            eprintln!(
                "saved baseline `{name}` ({} tasks) to {}",
                a.program.tasks.len(),
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        BaselineCommand::List { plan } => {
            let loaded = workspace::load_plan(&plan)?;
            let a = match tiller_app::analyze(loaded) {
                Ok(a) => a,
                Err(r) => return Ok(rejected(r, style)),
            };
            let mut out = String::new();
            if a.program.baselines.is_empty() {
                out.push_str("no baselines (record one with `tiller baseline save NAME PLAN`)\n");
            }
            let latest = tracking::pick_baseline(&a.program, None)?.map(|b| b.name.clone());
            for b in &a.program.baselines {
                out.push_str(&format!(
                    "{:<24} saved {}  {} tasks{}\n",
                    b.name,
                    b.saved
                        .map_or_else(|| "(undated)".to_string(), |d| d.to_string()),
                    b.tasks.len(),
                    if latest.as_deref() == Some(b.name.as_str()) {
                        "  (default)"
                    } else {
                        ""
                    }
                ));
            }
            write_output(None, &out)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Args)]
pub struct DiffArgs {
    /// The old plan's root file, then the new one; with --git, only the plan: the old
    /// side is the plan as it was at REV.
    #[arg(num_args = 1..=2, required = true)]
    plans: Vec<String>,
    /// Compare the plan as it was at this git revision with the working copy.
    #[arg(long)]
    git: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Exit with code 3 when the program finish or a milestone slips by more than this
    /// many working days (for CI).
    #[arg(long)]
    fail_on_slip: Option<i64>,
    /// Forecast iterations per version for the P80 dates (0: no forecast).
    #[arg(long, default_value_t = 2_000)]
    iterations: usize,
    /// Forecast seed (the same for both versions).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Exit code when `--fail-on-slip` trips: the comparison worked, the plan slipped.
pub const SLIPPED: u8 = 3;

pub fn diff(args: DiffArgs, style: Style) -> anyhow::Result<ExitCode> {
    use tiller_app::diff;
    let (old, new, old_label, new_label) = match (&args.git, args.plans.as_slice()) {
        (Some(rev), [plan]) => (
            diff::load_at_revision(plan, rev)?,
            workspace::load_plan(plan)?,
            format!("{plan} at {rev}"),
            format!("{plan} (working copy)"),
        ),
        (None, [old, new]) => (
            workspace::load_plan(old)?,
            workspace::load_plan(new)?,
            old.clone(),
            new.clone(),
        ),
        (Some(_), _) => anyhow::bail!("with --git, give one plan: `tiller diff PLAN --git REV`"),
        (None, _) => anyhow::bail!("give two plans, or one plan and --git REV"),
    };
    let (old, new) = match diff::analyze_pair(old, new) {
        Ok(pair) => pair,
        Err(r) => return Ok(rejected(r, style)),
    };
    let mut d = diff::diff(&old, &new);
    if args.iterations > 0 {
        diff::add_forecasts(&mut d, &old, &new, args.iterations, args.seed);
    }
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&d)?;
        s.push('\n');
        s
    } else {
        diff::render(&d, &old_label, &new_label)
    };
    write_output(None, &text)?;
    match args.fail_on_slip {
        Some(limit) if d.worst_slip() > limit => {
            eprintln!("slipped {} working days (limit {limit})", d.worst_slip());
            Ok(ExitCode::from(SLIPPED))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
