//! `tiller import` and `tiller export`: the shell around `tiller-interop`.
//!
//! Exit codes as elsewhere: 0 success, 1 the input cannot be imported (or the plan to
//! export has errors), 2 usage or IO error.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use tiller_app::{output, workspace};
use tiller_interop::{Format, ImportOptions};
use tiller_plan::Style;

#[derive(Args)]
pub struct ImportArgs {
    /// The file to import: Microsoft Project XML (MSPDI), Primavera P6 XER, GanttProject
    /// (.gan) or a Jira CSV export. The format is recognised from the content.
    pub file: String,
    /// Write the plan to this file instead of standard output.
    #[arg(short, long)]
    pub output: Option<String>,
    /// Read the file as this format instead of recognising it.
    #[arg(long, value_enum)]
    pub from: Option<SourceFormat>,
    /// Jira: format of the date columns, strftime-style (e.g. "%d/%b/%y %H:%M" for
    /// 25/Jun/20 12:44, "%d/%b/%y %l:%M %p" for 25/Jun/20 12:44 PM). Default: the usual
    /// Jira export formats are tried.
    #[arg(long)]
    pub date_format: Option<String>,
    /// Jira: story points per person-day, for issues with points but no time estimate.
    #[arg(long, default_value_t = 1.0)]
    pub points_per_day: f64,
    /// Jira: the program start date (default: the earliest issue creation date).
    #[arg(long)]
    pub start: Option<String>,
    /// Leave out progress (percent complete, actuals) and baselines.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SourceFormat {
    Mspdi,
    Xer,
    Gan,
    Jira,
}

#[derive(Args)]
pub struct ExportArgs {
    /// The plan's root .toml file.
    pub plan: String,
    /// What to write.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    pub output: Option<String>,
    /// iCalendar: which tasks to add as events besides the milestones.
    #[arg(long, value_enum, default_value_t = TaskEvents::None)]
    pub tasks: TaskEvents,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// Microsoft Project XML, readable by Microsoft Project, ProjectLibre, MPXJ.
    Mspdi,
    /// iCalendar (RFC 5545): milestones (and optionally tasks) as all-day events.
    Ical,
    /// The schedule as CSV (as `tiller schedule --csv`).
    Csv,
    /// The schedule as JSON (as `tiller schedule --json`).
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TaskEvents {
    None,
    Critical,
    All,
}

fn write_out(path: Option<&str>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).with_context(|| format!("cannot write `{p}`")),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    }
}

pub fn import(args: ImportArgs) -> anyhow::Result<ExitCode> {
    let start = match &args.start {
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
                anyhow::anyhow!("--start: expected a date such as 2027-01-11, found `{s}`")
            })?,
        ),
        None => None,
    };
    if !(args.points_per_day.is_finite() && args.points_per_day > 0.0) {
        anyhow::bail!("--points-per-day must be a positive number");
    }
    let meta =
        std::fs::metadata(&args.file).with_context(|| format!("cannot read `{}`", args.file))?;
    if meta.is_dir() {
        anyhow::bail!("`{}` is a directory; give the file to import", args.file);
    }
    let options = ImportOptions {
        format: args.from.map(|f| match f {
            SourceFormat::Mspdi => Format::Mspdi,
            SourceFormat::Xer => Format::Xer,
            SourceFormat::Gan => Format::GanttProject,
            SourceFormat::Jira => Format::JiraCsv,
        }),
        source_name: std::path::Path::new(&args.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
        date_format: args.date_format.clone(),
        points_per_day: args.points_per_day,
        start,
        progress: !args.no_progress,
        ..ImportOptions::default()
    };
    // Refuse oversized inputs before reading them into memory.
    if meta.len() > options.max_bytes as u64 {
        eprintln!(
            "error: {}: the file is {} MB; imports are limited to {} MB",
            args.file,
            meta.len() / (1024 * 1024),
            options.max_bytes / (1024 * 1024)
        );
        return Ok(ExitCode::from(1));
    }
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("cannot read `{}`", args.file))?;
    let imported = match tiller_interop::import(&bytes, &options) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {}: {e}", args.file);
            return Ok(ExitCode::from(1));
        }
    };
    write_out(args.output.as_deref(), &imported.toml)?;
    eprint!("{}: {}", args.file, imported.summary.render());
    Ok(ExitCode::SUCCESS)
}

pub fn export(args: ExportArgs, style: Style) -> anyhow::Result<ExitCode> {
    let loaded = workspace::load_plan(&args.plan)?;
    let a = match tiller_app::analyze(loaded) {
        Ok(a) => a,
        Err(r) => {
            let text = tiller_plan::render(&r.diagnostics, &r.sources, style);
            let _ = std::io::stderr().lock().write_all(text.as_bytes());
            return Ok(ExitCode::from(1));
        }
    };
    if !a.warnings.is_empty() {
        let text = tiller_plan::render(&a.warnings, &a.sources, style);
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
    let text = match args.format {
        ExportFormat::Mspdi => tiller_interop::export_mspdi::write(&a.program, &a.schedule),
        ExportFormat::Ical => {
            let tasks = match args.tasks {
                TaskEvents::None => tiller_interop::ical::Tasks::None,
                TaskEvents::Critical => tiller_interop::ical::Tasks::Critical,
                TaskEvents::All => tiller_interop::ical::Tasks::All,
            };
            tiller_interop::ical::write(&a.program, &a.schedule, tasks)
        }
        ExportFormat::Csv => output::schedule_csv(&a.program, &a.schedule)?,
        ExportFormat::Json => output::schedule_json(&output::schedule_doc(
            &a.program,
            &a.schedule,
            &a.warnings,
            &a.sources,
        )),
    };
    write_out(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}
