//! `tiller`: the command-line shell around the application layer.
//!
//! Exit codes: 0 success (warnings allowed), 1 the plan has errors, 2 usage or IO error.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use tiller_app::analysis::Rejected;
use tiller_app::{examples, output, workspace};
use tiller_plan::{Diagnostic, SourceMap, Style};

mod forecast_cmd;
mod interop_cmd;
mod level_cmd;
mod report_cmd;
mod server_cmd;
mod track_cmd;

#[derive(Parser)]
#[command(
    name = "tiller",
    version,
    about = "Plans, schedules and forecasts multi-team programs from plan files",
    after_help = "Exit codes: 0 success (warnings allowed), 1 the plan has errors, 2 usage or IO error, 3 `diff --fail-on-slip` found a larger slip."
)]
struct Cli {
    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a plan (and that it can be scheduled) and report every problem.
    Check {
        /// The plan's root .toml file.
        plan: String,
        /// Print diagnostics as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Schedule a plan with the critical path method and print the dates.
    Schedule {
        /// The plan's root .toml file.
        plan: String,
        /// Print JSON instead of a table.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print CSV instead of a table.
        #[arg(long)]
        csv: bool,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<String>,
        /// Schedule as of this date instead of the plan's status date.
        #[arg(long, value_parser = track_cmd::parse_date)]
        as_of: Option<chrono::NaiveDate>,
        /// Compare with this baseline: baseline dates and variance per task.
        #[arg(long)]
        baseline: Option<String>,
        #[command(flatten)]
        level: level_cmd::LevelArgs,
    },
    /// Print the JSON Schema of the plan format (for editor validation and completion).
    Schema,
    /// Generate a synthetic program with N tasks (for benchmarks and experiments).
    Generate {
        /// Number of tasks (milestones and workstreams come on top).
        #[arg(long)]
        tasks: usize,
        /// Random seed: the same seed gives the same program.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Number of people (default: one per 20 tasks, at least 5).
        #[arg(long)]
        people: Option<usize>,
        /// Average dependencies per task.
        #[arg(long, default_value_t = 3.0)]
        links: f64,
        /// Risks in the register (default: one per 300 tasks).
        #[arg(long)]
        risks: Option<usize>,
        /// Write to this file instead of standard output.
        #[arg(short, long)]
        output: Option<String>,
    },
    /// Schedule the bundled example program, print the result and write its status
    /// report to tiller-report.html.
    Demo {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Instead, start a server on 127.0.0.1 with the example program loaded into a
        /// fresh embedded SQLite database (prints a user, password and API token).
        #[arg(long, conflicts_with = "json")]
        serve: bool,
        /// With --serve: the address to listen on (default 127.0.0.1:8080).
        #[arg(long, requires = "serve")]
        bind: Option<String>,
    },
    /// Monte Carlo forecast: P-dates per milestone, probability of meeting promises, cost
    /// distribution, what drives the finish, and the risk tornado.
    Forecast(forecast_cmd::ForecastArgs),
    /// Throughput forecast for an agile team: when N items will be done, or how many
    /// will be done by a date, from the team's weekly history.
    Throughput(forecast_cmd::ThroughputArgs),
    /// Calibration backtest: how often synthetic programs finish by their forecast
    /// P50/P80/P95, next to the critical-path date.
    Backtest(forecast_cmd::BacktestArgs),
    /// What-if: the plan and its scenarios forecast side by side, or the levers that
    /// most improve a milestone's P80.
    Compare(forecast_cmd::CompareArgs),
    /// Earned value and earned schedule against a baseline.
    Evm(track_cmd::EvmArgs),
    /// Compare two versions of a plan: scope, estimates, links, dates, critical path,
    /// budget and risks.
    Diff(track_cmd::DiffArgs),
    /// Record, list and choose baselines.
    Baseline {
        #[command(subcommand)]
        command: track_cmd::BaselineCommand,
    },
    /// Import a Microsoft Project XML, Primavera XER, GanttProject or Jira CSV file as a plan.
    Import(interop_cmd::ImportArgs),
    /// Export a plan's schedule as Microsoft Project XML, iCalendar, CSV or JSON.
    Export(interop_cmd::ExportArgs),
    /// Run the multi-user server: JSON API and webhooks over SQLite or PostgreSQL.
    Serve(server_cmd::ServeArgs),
    /// Create a new server's administrator with its one-time setup token.
    Setup(server_cmd::SetupArgs),
    /// Log in to a server and print a new API token.
    Token(server_cmd::TokenArgs),
    /// Upload a plan to a server as a new revision (rejected with diagnostics if it
    /// does not check).
    Push(server_cmd::PushArgs),
    /// Write a program from a server, with the progress and RAID entered there, to files.
    Pull(server_cmd::PullArgs),
    /// Weekly load per person, team and shared resource, with over-allocations.
    Load(level_cmd::LoadArgs),
    /// Benchmarks of the scheduling kernel.
    Bench {
        #[command(subcommand)]
        command: level_cmd::BenchCommand,
    },
    /// Status report drafted from the evidence: health colours with the rule behind
    /// each, milestones, risks, dependencies, decisions, budget, the ask and what
    /// changed (Markdown, self-contained HTML with charts, or JSON).
    Report(report_cmd::ReportArgs),
    /// The RAID log: risks (scored and with exposure), issues, decisions and
    /// assumptions, filtered, with overdue entries flagged.
    Raid(report_cmd::RaidArgs),
    /// Schedule-quality checks (DCMA 14-point style); exits with 4 when one fails.
    Lint(report_cmd::LintArgs),
    /// Post-program evaluation: planned against actual, estimate accuracy per team,
    /// slip causes, risks that occurred, lessons, and a calibration file.
    Retro(report_cmd::RetroArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let style = match cli.color {
        ColorChoice::Always => Style::Color,
        ColorChoice::Never => Style::Plain,
        ColorChoice::Auto if std::io::stderr().is_terminal() => Style::Color,
        ColorChoice::Auto => Style::Plain,
    };
    match run(cli.command, style) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn print_diagnostics(diags: &[Diagnostic], sources: &SourceMap, style: Style) {
    if diags.is_empty() {
        return;
    }
    let text = tiller_plan::render(diags, sources, style);
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

fn write_output(path: Option<&str>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(p) => std::fs::write(p, text).map_err(|e| anyhow::anyhow!("cannot write `{p}`: {e}")),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (e.g. `| head`) is not an error worth reporting.
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
                _ => Ok(()),
            }
        }
    }
}

fn rejected(r: Rejected, style: Style) -> ExitCode {
    print_diagnostics(&r.diagnostics, &r.sources, style);
    ExitCode::from(1)
}

fn run(command: Command, style: Style) -> anyhow::Result<ExitCode> {
    match command {
        Command::Check { plan, json } => {
            let loaded = workspace::load_plan(&plan)?;
            let (diags, sources, ok, summary) = match tiller_app::analyze(loaded) {
                Ok(a) => {
                    let tasks = a.program.tasks.len();
                    let summary = format!(
                        "{plan}: ok ({tasks} tasks and milestones, {} people; finish {})",
                        a.program.people.len(),
                        a.schedule.finish_date_of_program()
                    );
                    (a.warnings, a.sources, true, summary)
                }
                Err(r) => (r.diagnostics, r.sources, false, String::new()),
            };
            if json {
                let rows = output::warning_rows(&diags, &sources);
                let doc = serde_json::json!({ "ok": ok, "diagnostics": rows });
                write_output(None, &format!("{doc:#}\n"))?;
            } else {
                print_diagnostics(&diags, &sources, style);
                if ok {
                    eprintln!("{summary}");
                }
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Schedule {
            plan,
            json,
            csv,
            output: out,
            as_of,
            baseline,
            level,
        } => {
            if level.level {
                let out = out.as_deref();
                let base = baseline.as_deref();
                return level_cmd::schedule(&plan, json, csv, out, as_of, base, &level, style);
            }
            let loaded = workspace::load_plan(&plan)?;
            let a = match tiller_app::analysis::analyze_as_of(loaded, as_of) {
                Ok(a) => a,
                Err(r) => return Ok(rejected(r, style)),
            };
            print_diagnostics(&a.warnings, &a.sources, style);
            let variance = match baseline.as_deref() {
                Some(name) => {
                    let b = tiller_app::tracking::pick_baseline(&a.program, Some(name))?;
                    b.map(|b| {
                        (
                            b.name.clone(),
                            tiller_app::tracking::variance(&a.program, &a.schedule, b),
                        )
                    })
                }
                None => None,
            };
            let text = if json {
                let mut doc =
                    output::schedule_doc(&a.program, &a.schedule, &a.warnings, &a.sources);
                doc.baseline = variance.map(|(name, rows)| output::BaselineDoc {
                    name,
                    variance: rows,
                });
                level_cmd::json_with_over_allocations(&a.program, &doc)
            } else if csv {
                output::schedule_csv(&a.program, &a.schedule)?
            } else {
                let mut t = level_cmd::table_with_over_allocations(
                    &a.program,
                    output::schedule_table(&a.program, &a.schedule),
                );
                if let Some((name, rows)) = &variance {
                    t.push_str(&output::variance_table(name, rows));
                }
                t
            };
            write_output(out.as_deref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            write_output(None, tiller_plan::schema::PLAN_SCHEMA)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            tasks,
            seed,
            people,
            links,
            risks,
            output: out,
        } => {
            let options = tiller_plan::generate::Options {
                tasks,
                seed,
                people: people.unwrap_or((tasks / 20).max(5)),
                links_per_task: links,
                risks,
            };
            let text = tiller_plan::generate::generate(&options)?;
            write_output(out.as_deref(), &text)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            serve: true, bind, ..
        } => server_cmd::demo_serve(bind),
        Command::Demo { json, .. } => {
            let example = &examples::DEMO;
            let a = match tiller_app::analyze(examples::load(example)) {
                Ok(a) => a,
                Err(r) => return Ok(rejected(r, style)),
            };
            print_diagnostics(&a.warnings, &a.sources, style);
            let text = if json {
                output::schedule_json(&output::schedule_doc(
                    &a.program,
                    &a.schedule,
                    &a.warnings,
                    &a.sources,
                ))
            } else {
                output::schedule_table(&a.program, &a.schedule)
            };
            write_output(None, &text)?;
            if !json {
                report_cmd::demo(&a)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Forecast(args) => forecast_cmd::forecast(args, style),
        Command::Throughput(args) => forecast_cmd::throughput(args, style),
        Command::Backtest(args) => forecast_cmd::backtest(args),
        Command::Compare(args) => forecast_cmd::compare(args, style),
        Command::Evm(args) => track_cmd::evm(args, style),
        Command::Diff(args) => track_cmd::diff(args, style),
        Command::Baseline { command } => track_cmd::baseline(command, style),
        Command::Import(args) => interop_cmd::import(args),
        Command::Export(args) => interop_cmd::export(args, style),
        Command::Serve(args) => server_cmd::serve(args),
        Command::Setup(args) => server_cmd::setup(args),
        Command::Token(args) => server_cmd::token(args),
        Command::Push(args) => server_cmd::push(args),
        Command::Pull(args) => server_cmd::pull(args),
        Command::Load(args) => level_cmd::load(args, style),
        Command::Bench { command } => level_cmd::bench(command),
        Command::Report(args) => report_cmd::report(args, style),
        Command::Raid(args) => report_cmd::raid(args, style),
        Command::Lint(args) => report_cmd::lint(args, style),
        Command::Retro(args) => report_cmd::retro(args, style),
    }
}
