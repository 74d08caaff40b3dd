//! `tiller report`, `tiller raid`, `tiller lint` and `tiller retro`: status reports,
//! the RAID log, schedule quality and the post-program evaluation (tiller-report), and
//! the status report `tiller demo` writes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use tiller_app::analysis::Analysis;
use tiller_app::{tracking, workspace};
use tiller_core::Audience;
use tiller_plan::Style;
use tiller_report::{calibration, evidence, html, lint, markdown, png, raid, retro, status};

use crate::{print_diagnostics, rejected, write_output};

/// Exit code when `tiller lint` finds a failing check: the plan is valid, its schedule
/// is not good enough.
pub const LINT_FAILED: u8 = 4;

/// Where `tiller demo` writes its status report.
pub const DEMO_REPORT: &str = "tiller-report.html";

#[derive(Clone, Copy, ValueEnum)]
pub enum AudienceArg {
    /// The short report for leadership.
    Exec,
    /// The full report, with workstreams, dependencies and every chart.
    Team,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Md,
    Html,
    Json,
}

#[derive(Args)]
pub struct ReportArgs {
    /// The plan's root .toml file.
    plan: String,
    /// Who the report is for.
    #[arg(long, value_enum, default_value_t = AudienceArg::Team)]
    audience: AudienceArg,
    /// A stakeholder id (or the person id of one): their audience, and their part.
    #[arg(long = "for", value_name = "STAKEHOLDER")]
    stakeholder: Option<String>,
    /// Compare with an earlier version: a git revision of the plan (HEAD~1) or another
    /// plan file.
    #[arg(long, value_name = "REV|PLAN")]
    since: Option<String>,
    /// An earlier version whose forecast becomes a point of the forecast-drift chart
    /// (repeatable): a git revision of the plan (HEAD~4) or another plan file.
    #[arg(long, value_name = "REV|PLAN")]
    drift: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<String>,
    /// Also write every chart to this folder, as SVG and PNG.
    #[arg(long, value_name = "DIR")]
    charts: Option<PathBuf>,
    /// Record the report's colours and forecasts in the plan's history
    /// (`reports/DATE.toml`, included from the plan), for the next report's transitions
    /// and drift.
    #[arg(long)]
    record: bool,
    /// With --record: replace a report already recorded for this date.
    #[arg(long, requires = "record")]
    force: bool,
    /// Baseline to measure against (default: the most recently saved).
    #[arg(long)]
    baseline: Option<String>,
    /// Forecast iterations (default: `[forecast] iterations`, else 5,000; 0 skips the
    /// forecast).
    #[arg(long)]
    iterations: Option<usize>,
    /// Forecast seed (default: `[forecast] seed`, else 1).
    #[arg(long)]
    seed: Option<u64>,
    /// Report as of this date instead of the plan's status date.
    #[arg(long, value_parser = crate::track_cmd::parse_date)]
    as_of: Option<NaiveDate>,
}

#[derive(Args)]
pub struct RaidArgs {
    /// The plan's root .toml file.
    plan: String,
    /// Only these kinds: risk, issue, decision, assumption (repeatable).
    #[arg(long, value_parser = parse_kind)]
    kind: Vec<raid::RaidKind>,
    /// Only open entries.
    #[arg(long)]
    open: bool,
    /// Only entries past their date (mitigation due, due, needed by, validate by).
    #[arg(long)]
    overdue: bool,
    /// Only entries owned by this person id.
    #[arg(long)]
    owner: Option<String>,
    /// Only entries about this task, milestone or workstream (or anything inside it).
    #[arg(long)]
    affects: Option<String>,
    /// Only risks of this level or above: medium or high.
    #[arg(long, value_parser = ["medium", "high"])]
    level: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// As of this date instead of the plan's status date.
    #[arg(long, value_parser = crate::track_cmd::parse_date)]
    as_of: Option<NaiveDate>,
}

fn parse_kind(s: &str) -> Result<raid::RaidKind, String> {
    raid::RaidKind::parse(s)
        .ok_or_else(|| format!("expected risk, issue, decision or assumption, found `{s}`"))
}

#[derive(Args)]
pub struct LintArgs {
    /// The plan's root .toml file.
    plan: String,
    /// Baseline to measure against (default: the most recently saved).
    #[arg(long)]
    baseline: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// As of this date instead of the plan's status date.
    #[arg(long, value_parser = crate::track_cmd::parse_date)]
    as_of: Option<NaiveDate>,
}

#[derive(Args)]
pub struct RetroArgs {
    /// The plan's root .toml file.
    plan: String,
    /// Baseline to measure against (default: the most recently saved).
    #[arg(long)]
    baseline: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Write the measured estimate calibration to this file (TOML), for
    /// `tiller forecast --calibration FILE` on later plans.
    #[arg(long, value_name = "FILE")]
    calibration_out: Option<PathBuf>,
    /// As of this date instead of the plan's status date.
    #[arg(long, value_parser = crate::track_cmd::parse_date)]
    as_of: Option<NaiveDate>,
}

fn load(
    plan: &str,
    as_of: Option<NaiveDate>,
    style: Style,
) -> anyhow::Result<Result<Analysis, ExitCode>> {
    let loaded = workspace::load_plan(plan)?;
    match tiller_app::analysis::analyze_as_of(loaded, as_of) {
        Ok(a) => {
            print_diagnostics(&a.warnings, &a.sources, style);
            Ok(Ok(a))
        }
        Err(r) => Ok(Err(rejected(r, style))),
    }
}

/// The earlier version `--since` names: a plan file, or a git revision of `plan`.
fn since_version(plan: &str, since: &str) -> anyhow::Result<(tiller_plan::Loaded, String)> {
    if Path::new(since).is_file() {
        Ok((workspace::load_plan(since)?, since.to_string()))
    } else {
        Ok((
            tiller_app::diff::load_at_revision(plan, since)?,
            format!("{plan} at {since}"),
        ))
    }
}

pub fn report(args: ReportArgs, style: Style) -> anyhow::Result<ExitCode> {
    let a = match load(&args.plan, args.as_of, style)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let old = match &args.since {
        Some(s) => {
            let (loaded, label) = since_version(&args.plan, s)?;
            match tiller_app::analyze(loaded) {
                Ok(old) => Some((old, label)),
                Err(r) => {
                    eprintln!("the plan given to --since does not check:");
                    return Ok(rejected(r, style));
                }
            }
        }
        None => None,
    };
    let mut drift = Vec::new();
    for d in &args.drift {
        let (loaded, label) = since_version(&args.plan, d)?;
        match tiller_app::analyze(loaded) {
            Ok(x) => drift.push((x, label)),
            Err(r) => {
                eprintln!("the plan given to --drift ({d}) does not check:");
                return Ok(rejected(r, style));
            }
        }
    }
    let mut ev = evidence::Options::for_program(&a.program);
    ev.baseline = args.baseline.clone();
    if let Some(n) = args.iterations {
        ev.iterations = n;
    }
    if let Some(s) = args.seed {
        ev.seed = s;
    }
    let options = status::ReportOptions {
        evidence: ev,
        audience: match args.audience {
            AudienceArg::Exec => Audience::Exec,
            AudienceArg::Team => Audience::Team,
        },
        stakeholder: args.stakeholder.clone(),
        since: old.as_ref().map(|(analysis, label)| status::Since {
            label: label.clone(),
            analysis,
        }),
        drift: drift
            .iter()
            .map(|(analysis, label)| status::Since {
                label: label.clone(),
                analysis,
            })
            .collect(),
        charts: args.format == Format::Html || args.charts.is_some(),
    };
    let r = status::build(&a, &options)?;
    let text = match args.format {
        Format::Md => markdown::render(&r),
        Format::Html => html::render(&r),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&r)?;
            s.push('\n');
            s
        }
    };
    write_output(args.output.as_deref(), &text)?;
    if let Some(dir) = &args.charts {
        let n = write_charts(dir, &r.charts)?;
        eprintln!("wrote {n} charts (SVG and PNG) to {}", dir.display());
    }
    if args.record {
        let file = record(Path::new(&args.plan), &r, args.force)?;
        eprintln!("recorded the report of {} in {}", r.as_of, file.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes each chart as `ID.svg` and `ID.png`; returns how many.
pub fn write_charts(dir: &Path, charts: &[tiller_report::charts::Chart]) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", dir.display()))?;
    let fonts = png::Fonts::system()?;
    for c in charts {
        let svg = dir.join(format!("{}.svg", c.id));
        std::fs::write(&svg, &c.svg)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", svg.display()))?;
        let file = dir.join(format!("{}.png", c.id));
        std::fs::write(&file, png::render(&c.svg, &fonts, 2.0)?)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", file.display()))?;
    }
    Ok(charts.len())
}

/// Saves the report in the plan's history: `reports/DATE.toml` next to the root plan,
/// included from it (comments and layout kept).
pub fn record(root: &Path, r: &status::StatusReport, force: bool) -> anyhow::Result<PathBuf> {
    let dir = root.parent().unwrap_or(Path::new("")).join("reports");
    let name = format!("{}.toml", r.as_of);
    let file = dir.join(&name);
    if file.exists() && !force {
        anyhow::bail!(
            "a report of {} is already recorded in `{}`; use --force to replace it",
            r.as_of,
            file.display()
        );
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", dir.display()))?;
    std::fs::write(&file, status::record_toml(r))
        .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", file.display()))?;
    let text = std::fs::read_to_string(root)
        .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", root.display()))?;
    let updated = tracking::add_include(&text, &format!("reports/{name}"))
        .map_err(|e| anyhow::anyhow!("cannot add the report to `{}`: {e}", root.display()))?;
    if let Some(updated) = updated {
        std::fs::write(root, updated)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", root.display()))?;
    }
    Ok(file)
}

pub fn raid(args: RaidArgs, style: Style) -> anyhow::Result<ExitCode> {
    let a = match load(&args.plan, args.as_of, style)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let p = &a.program;
    let affects = match &args.affects {
        Some(id) => Some(
            p.find_task(id)
                .ok_or_else(|| anyhow::anyhow!("no task or milestone `{id}` in the plan"))?,
        ),
        None => None,
    };
    if let Some(owner) = &args.owner
        && !p.people.iter().any(|x| &x.id == owner)
    {
        anyhow::bail!("no person `{owner}` in the plan");
    }
    let as_of = p.status_date.unwrap_or(p.start);
    let high = tiller_report::health::Thresholds::for_program(p).high_risk_score;
    let log = raid::raid_log(p, as_of, high, None);
    let filtered = raid::filter(
        p,
        &log,
        &raid::Filter {
            kinds: args.kind.clone(),
            open: args.open,
            overdue: args.overdue,
            owner: args.owner.clone(),
            affects,
            min_level: args.level.clone(),
        },
    );
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&filtered)?;
        s.push('\n');
        s
    } else {
        raid::table(p, &filtered)
    };
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}

pub fn lint(args: LintArgs, style: Style) -> anyhow::Result<ExitCode> {
    let a = match load(&args.plan, args.as_of, style)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let b = tracking::pick_baseline(&a.program, args.baseline.as_deref())?;
    let r = lint::lint(&a.program, &a.schedule, b);
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&r)?;
        s.push('\n');
        s
    } else {
        lint::table(&r)
    };
    write_output(None, &text)?;
    Ok(if r.failed > 0 {
        ExitCode::from(LINT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

pub fn retro(args: RetroArgs, style: Style) -> anyhow::Result<ExitCode> {
    let a = match load(&args.plan, args.as_of, style)? {
        Ok(a) => a,
        Err(code) => return Ok(code),
    };
    let b = tracking::pick_baseline(&a.program, args.baseline.as_deref())?;
    let r = retro::evaluate(&a.program, &a.schedule, b);
    let text = if args.json {
        let mut s = serde_json::to_string_pretty(&r)?;
        s.push('\n');
        s
    } else {
        retro::markdown(&r)
    };
    write_output(None, &text)?;
    if let Some(file) = &args.calibration_out {
        std::fs::write(file, calibration::to_toml(&r.calibration))
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", file.display()))?;
        eprintln!(
            "wrote the calibration of {} finished tasks to {}",
            r.calibration.tasks,
            file.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `tiller demo`: the team status report of the example program, as HTML in the
/// current folder.
pub fn demo(a: &Analysis) -> anyhow::Result<()> {
    let r = status::build(a, &status::ReportOptions::for_program(&a.program))?;
    std::fs::write(DEMO_REPORT, html::render(&r))
        .map_err(|e| anyhow::anyhow!("cannot write `{DEMO_REPORT}`: {e}"))?;
    eprintln!(
        "wrote the status report to {DEMO_REPORT} (overall {}); open it in a browser",
        r.headline
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tiller-report/tests/fixtures/lint")
            .join(name)
            .display()
            .to_string()
    }

    fn temp(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tiller-report-cmd-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    fn lint_of(plan: String) -> ExitCode {
        lint(
            LintArgs {
                plan,
                baseline: None,
                json: true,
                as_of: None,
            },
            Style::Plain,
        )
        .expect("runs")
    }

    #[test]
    fn lint_exits_with_4_when_a_check_fails() {
        assert_eq!(lint_of(fixture("clean.toml")), ExitCode::SUCCESS);
        assert_eq!(lint_of(fixture("leads.toml")), ExitCode::from(LINT_FAILED));
    }

    fn report_args(plan: String, out: &Path) -> ReportArgs {
        ReportArgs {
            plan,
            audience: AudienceArg::Exec,
            stakeholder: None,
            since: None,
            drift: Vec::new(),
            format: Format::Html,
            output: Some(out.display().to_string()),
            charts: None,
            record: false,
            force: false,
            baseline: None,
            iterations: Some(200),
            seed: None,
            as_of: None,
        }
    }

    #[test]
    fn reports_are_recorded_in_the_plan_history_and_charts_written() {
        let dir = temp("record");
        let plan = dir.join("plan.toml");
        std::fs::copy(fixture("clean.toml"), &plan).expect("copy");
        let plan_s = plan.display().to_string();
        let mut args = report_args(plan_s.clone(), &dir.join("status.html"));
        args.record = true;
        args.charts = Some(dir.join("charts"));
        assert_eq!(report(args, Style::Plain).expect("runs"), ExitCode::SUCCESS);
        let page = std::fs::read_to_string(dir.join("status.html")).expect("report written");
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(dir.join("charts/risk-matrix.svg").is_file());
        assert!(dir.join("charts/risk-matrix.png").is_file());
        assert!(dir.join("reports/2027-01-05.toml").is_file());
        let root = std::fs::read_to_string(&plan).expect("plan");
        assert!(root.contains("reports/2027-01-05.toml"), "{root}");
        // The plan with its history still checks, and a second record needs --force.
        let a = tiller_app::analyze(workspace::load_plan(&plan_s).expect("read")).expect("checks");
        assert_eq!(a.program.reporting.history.len(), 1);
        let mut again = report_args(plan_s.clone(), &dir.join("again.html"));
        again.record = true;
        assert!(report(again, Style::Plain).is_err());
        let mut forced = report_args(plan_s, &dir.join("again.html"));
        forced.record = true;
        forced.force = true;
        assert_eq!(
            report(forced, Style::Plain).expect("runs"),
            ExitCode::SUCCESS
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn since_a_plan_file_and_an_unknown_stakeholder() {
        let dir = temp("since");
        let mut args = report_args(fixture("clean.toml"), &dir.join("r.md"));
        args.format = Format::Md;
        args.since = Some(fixture("lags.toml"));
        assert_eq!(report(args, Style::Plain).expect("runs"), ExitCode::SUCCESS);
        let md = std::fs::read_to_string(dir.join("r.md")).expect("written");
        assert!(md.contains("lags.toml"), "{md}");
        assert!(
            md.contains("dependencies: 0 added, 0 removed, 1 changed"),
            "{md}"
        );
        let mut args = report_args(fixture("clean.toml"), &dir.join("r.md"));
        args.stakeholder = Some("nobody".to_string());
        assert!(report(args, Style::Plain).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn retro_writes_a_calibration_file_forecasts_can_read() {
        let dir = temp("retro");
        let file = dir.join("cal.toml");
        let code = retro(
            RetroArgs {
                plan: fixture("clean.toml"),
                baseline: None,
                json: true,
                calibration_out: Some(file.clone()),
                as_of: None,
            },
            Style::Plain,
        )
        .expect("runs");
        assert_eq!(code, ExitCode::SUCCESS);
        let cal =
            calibration::parse(&std::fs::read_to_string(&file).expect("written")).expect("parses");
        assert_eq!(cal.source.as_deref(), Some("Clean"));
        assert_eq!(cal.tasks, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
