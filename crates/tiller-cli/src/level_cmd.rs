//! `tiller schedule --level`, `tiller load` and `tiller bench psplib`:
//! resource leveling, load and the scheduling-quality benchmark.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use tiller_app::{leveling, output, workspace};
use tiller_engine::level::LevelOptions;
use tiller_engine::level::kernel::bench::{
    Baseline, BenchOptions, InstanceResult, NamedInstance, SetSummary, run_set_threads,
};
use tiller_engine::level::kernel::psplib::{
    Reference, instance_name, natural_key, parse_sm, references,
};
use tiller_engine::level::kernel::{SolveOptions, Strategy};
use tiller_plan::Style;

use crate::{print_diagnostics, rejected, write_output};

/// Leveling options of `tiller schedule` and `tiller load`.
#[derive(Args, Clone, Debug, Default)]
pub struct LevelArgs {
    /// Level resources: no person, team or shared resource is over-allocated on
    /// any day. Without it the schedule is resource-free and over-allocations are
    /// listed.
    #[arg(long)]
    pub level: bool,
    /// With --level: explain why TASK starts when it does (and what drives it).
    #[arg(long, value_name = "TASK", requires = "level")]
    pub explain: Option<String>,
    /// With --level: schedules the search may generate (every pass counts,
    /// justification passes included). Default: 1,000 up to 300 activities,
    /// fewer in proportion above, at least 20.
    #[arg(long, value_name = "N", requires = "level")]
    pub schedules: Option<u64>,
    /// With --level: stop the search after this many seconds (the result then
    /// depends on the machine's speed).
    #[arg(long, value_name = "S", requires = "level")]
    pub time_limit: Option<f64>,
    /// With --level: seed of the search; the same seed gives the same schedule.
    #[arg(long, value_name = "S", default_value_t = 1, requires = "level")]
    pub seed: u64,
}

impl LevelArgs {
    fn options(&self, program: &tiller_core::Program) -> anyhow::Result<LevelOptions> {
        let mut o = LevelOptions::for_program(program);
        if let Some(n) = self.schedules {
            if n == 0 {
                anyhow::bail!("--schedules must be at least 1");
            }
            o.max_schedules = n;
        }
        o.time_limit = time_limit(self.time_limit)?;
        o.seed = self.seed;
        Ok(o)
    }
}

fn time_limit(s: Option<f64>) -> anyhow::Result<Option<Duration>> {
    match s {
        None => Ok(None),
        Some(x) if x.is_finite() && x > 0.0 && x < 1e7 => Ok(Some(Duration::from_secs_f64(x))),
        Some(x) => anyhow::bail!("--time-limit must be a positive number of seconds, found {x}"),
    }
}

/// `tiller schedule PLAN --level [--explain TASK]`.
#[allow(clippy::too_many_arguments)]
pub fn schedule(
    plan: &str,
    json: bool,
    csv: bool,
    out: Option<&str>,
    as_of: Option<NaiveDate>,
    baseline: Option<&str>,
    args: &LevelArgs,
    style: Style,
) -> anyhow::Result<ExitCode> {
    if baseline.is_some() {
        anyhow::bail!(
            "--baseline compares the resource-free schedule; it cannot be combined with --level"
        );
    }
    let loaded = workspace::load_plan(plan)?;
    let a = match tiller_app::analysis::analyze_as_of(loaded, as_of) {
        Ok(a) => a,
        Err(r) => return Ok(rejected(r, style)),
    };
    let explain = match &args.explain {
        Some(id) => Some(leveling::find_task(&a.program, id).map_err(|e| anyhow::anyhow!(e))?),
        None => None,
    };
    let options = args.options(&a.program)?;
    let lv = match leveling::level(&a, &options) {
        Ok(lv) => lv,
        Err(d) => {
            print_diagnostics(&[d], &a.sources, style);
            return Ok(ExitCode::from(1));
        }
    };
    print_diagnostics(&lv.warnings, &a.sources, style);
    let text = if let Some(t) = explain {
        if json {
            explain_json(&a, &lv, t)
        } else {
            leveling::explain_text(&a, &lv, t)
        }
    } else if json {
        leveling::to_json(&leveling::leveled_doc(&a, &lv))
    } else if csv {
        leveling::leveled_csv(&a.program, &lv)?
    } else {
        leveling::leveled_table(&a, &lv)
    };
    write_output(out, &text)?;
    Ok(ExitCode::SUCCESS)
}

fn explain_json(
    a: &tiller_app::Analysis,
    lv: &leveling::Leveling,
    t: tiller_core::TaskIdx,
) -> String {
    let doc = leveling::leveled_doc(a, lv);
    let id = &a.program.task(t).id;
    let chain: Vec<String> = lv
        .leveled
        .driving_chain(t)
        .iter()
        .map(|c| a.program.task(*c).id.clone())
        .collect();
    let task = doc
        .tasks
        .iter()
        .find(|r| &r.base.id == id)
        .map(|r| serde_json::to_value(r).unwrap_or_default())
        .or_else(|| {
            doc.milestones
                .iter()
                .find(|r| &r.base.id == id)
                .map(|r| serde_json::to_value(r).unwrap_or_default())
        })
        .unwrap_or_default();
    leveling::to_json(&serde_json::json!({
        "task": task,
        "driven_by": chain,
    }))
}

/// The resource-free schedule's table with its over-allocations appended.
pub fn table_with_over_allocations(program: &tiller_core::Program, table: String) -> String {
    match leveling::resource_free_load(program) {
        Ok(report) => table + &leveling::over_allocation_section(program, &report),
        Err(_) => table,
    }
}

/// The resource-free schedule's JSON with `leveled: false` and its
/// over-allocations.
pub fn json_with_over_allocations(
    program: &tiller_core::Program,
    doc: &output::ScheduleDoc,
) -> String {
    leveling::to_json(&leveling::with_over_allocations(program, doc))
}

#[derive(Args)]
pub struct LoadArgs {
    /// The plan's root .toml file.
    plan: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    output: Option<String>,
    /// Load as of this date instead of the plan's status date.
    #[arg(long, value_parser = crate::track_cmd::parse_date)]
    as_of: Option<NaiveDate>,
    #[command(flatten)]
    level: LevelArgs,
}

/// `tiller load PLAN [--level] [--json]`.
pub fn load(args: LoadArgs, style: Style) -> anyhow::Result<ExitCode> {
    let loaded = workspace::load_plan(&args.plan)?;
    let a = match tiller_app::analysis::analyze_as_of(loaded, args.as_of) {
        Ok(a) => a,
        Err(r) => return Ok(rejected(r, style)),
    };
    let report = if args.level.level {
        let options = args.level.options(&a.program)?;
        let lv = match leveling::level(&a, &options) {
            Ok(lv) => lv,
            Err(d) => {
                print_diagnostics(&[d], &a.sources, style);
                return Ok(ExitCode::from(1));
            }
        };
        print_diagnostics(&lv.warnings, &a.sources, style);
        leveling::leveled_load(&a.program, &lv)
    } else {
        print_diagnostics(&a.warnings, &a.sources, style);
        leveling::resource_free_load(&a.program)
    };
    let report = match report {
        Ok(r) => r,
        Err(d) => {
            print_diagnostics(&[d], &a.sources, style);
            return Ok(ExitCode::from(1));
        }
    };
    let text = if args.json {
        leveling::to_json(&leveling::load_doc(&a.program, &report))
    } else {
        leveling::load_table(&a.program, &report)
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Run the scheduling kernel on PSPLIB single-mode instances and report its
    /// quality the way the literature does.
    #[command(after_long_help = PSPLIB_HELP)]
    Psplib(PsplibArgs),
}

const PSPLIB_HELP: &str = "\
DIR is either a PSPLIB data directory holding one directory per set (j30/, j60/,
j120/, ...) and solutions/, or one set's directory of .sm files (its name is the
set's name; solutions/ is then looked for next to it, or inside it).

Reference makespans come from the set's solution files in solutions/:
  bounds_<set>.csv  per instance: cpm_lb (critical-path bound) and best_ub_hrs
                    (best-known makespan)
  <set>opt.sm       proven optima (J30): they override the CSV and count as optimal
  <set>hrs.sm       best-known makespans, used where the CSV has none
Instances without a cpm_lb use their critical path computed from the file (and a
cpm_lb that disagrees with the file is an error).

Reported per set: instances; average deviation of the makespan from the optimum
(J30) or from cpm_lb (every other set), over all instances; instances matching
the best-known makespan; mean and maximum seconds per instance. Every schedule
is checked by the kernel's independent verifier; `infeasible` counts failures
(the command then exits with 1). Each instance is solved single-threaded; with
the same seed and budget the results do not depend on --threads.";

#[derive(Args)]
pub struct PsplibArgs {
    /// PSPLIB data directory, or one set's directory (see below).
    dir: PathBuf,
    /// Schedules generated per instance (every pass counts, justification included).
    #[arg(long, default_value_t = 1000)]
    schedules: u64,
    /// Seconds per instance, on top of the schedule budget.
    #[arg(long, value_name = "S")]
    time_limit: Option<f64>,
    /// Base seed (each instance's seed mixes in its name).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sets to run, comma-separated (default: every set directory found).
    #[arg(long, value_delimiter = ',')]
    sets: Vec<String>,
    /// Only the first N instances of each set (in PSPLIB order).
    #[arg(long)]
    limit: Option<usize>,
    /// Worker threads, one instance each (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print one JSON object per set instead of text.
    #[arg(long)]
    json: bool,
    /// Write per-instance results as CSV: to this file, or, for a directory,
    /// one `<set>.csv` per set in it.
    #[arg(long, value_name = "FILE|DIR")]
    csv: Option<PathBuf>,
}

/// Where a set's instances and solution files are.
struct SetDir {
    name: String,
    dir: PathBuf,
    solutions: PathBuf,
}

fn has_instances(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut it| {
        it.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".sm")))
    })
}

fn find_sets(dir: &Path, only: &[String]) -> anyhow::Result<Vec<SetDir>> {
    let mut sets = Vec::new();
    if has_instances(dir) {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "set".to_string());
        let solutions = [dir.join("solutions"), dir.join("../solutions")]
            .into_iter()
            .find(|p| p.is_dir())
            .unwrap_or_else(|| dir.join("solutions"));
        sets.push(SetDir {
            name,
            dir: dir.to_path_buf(),
            solutions,
        });
    } else {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", dir.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name() != "solutions" && e.path().is_dir() && has_instances(&e.path())
            })
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort_by_key(|n| natural_key(n));
        for name in names {
            sets.push(SetDir {
                dir: dir.join(&name),
                solutions: dir.join("solutions"),
                name,
            });
        }
    }
    if !only.is_empty() {
        sets.retain(|s| only.iter().any(|o| o.eq_ignore_ascii_case(&s.name)));
        for o in only {
            if !sets.iter().any(|s| s.name.eq_ignore_ascii_case(o)) {
                anyhow::bail!("no set `{o}` in `{}`", dir.display());
            }
        }
    }
    if sets.is_empty() {
        anyhow::bail!(
            "no PSPLIB .sm files in `{}` or its subdirectories",
            dir.display()
        );
    }
    Ok(sets)
}

fn load_set(
    set: &SetDir,
    limit: Option<usize>,
) -> anyhow::Result<(Vec<NamedInstance>, BTreeMap<String, Reference>)> {
    let mut files: Vec<String> = std::fs::read_dir(&set.dir)
        .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", set.dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".sm"))
        .collect();
    files.sort_by_key(|f| natural_key(f));
    if let Some(l) = limit {
        files.truncate(l);
    }
    let mut instances = Vec::with_capacity(files.len());
    for f in &files {
        let path = set.dir.join(f);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read `{}`: {e}", path.display()))?;
        let instance = parse_sm(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        instances.push(NamedInstance {
            name: instance_name(f).to_string(),
            instance,
        });
    }
    let read = |name: String| std::fs::read_to_string(set.solutions.join(name)).ok();
    let prefix = set.name.to_ascii_lowercase();
    let refs = references(
        &prefix,
        read(format!("bounds_{prefix}.csv")).as_deref(),
        read(format!("{prefix}opt.sm")).as_deref(),
        read(format!("{prefix}hrs.sm")).as_deref(),
    )
    .map_err(|e| anyhow::anyhow!("{}: {e}", set.solutions.display()))?;
    for item in &instances {
        if let Some(r) = refs.get(&item.name) {
            let cp = item.instance.critical_path_bound();
            if r.cpm_lb != 0 && r.cpm_lb != cp {
                anyhow::bail!(
                    "{}: the reference cpm_lb is {} but the instance's critical path is {cp}",
                    item.name,
                    r.cpm_lb
                );
            }
        }
    }
    Ok((instances, refs))
}

fn baseline_name(b: Baseline) -> &'static str {
    match b {
        Baseline::Optimum => "optimum",
        Baseline::CpmLowerBound => "cpm_lb",
    }
}

fn csv_rows(set: &str, rows: &[InstanceResult], with_set: bool) -> String {
    let mut out = String::new();
    if with_set {
        out.push_str("set,");
    }
    out.push_str(
        "instance,makespan,best_known,cpm_lb,deviation_pct,schedules,seconds,feasible,error\n",
    );
    for r in rows {
        if with_set {
            out.push_str(set);
            out.push(',');
        }
        let opt = |v: Option<u32>| v.map_or_else(String::new, |x| x.to_string());
        out.push_str(&format!(
            "{},{},{},{},{},{},{:.6},{},{}\n",
            r.name,
            opt(r.makespan),
            opt(r.reference),
            r.cpm_lb,
            r.deviation_pct
                .map_or_else(String::new, |d| format!("{d:.4}")),
            r.schedules_generated,
            r.seconds,
            r.feasible,
            r.error
                .as_deref()
                .map(|e| format!("\"{}\"", e.replace('"', "'")))
                .unwrap_or_default()
        ));
    }
    out
}

/// `tiller bench psplib DIR`.
pub fn bench(command: BenchCommand) -> anyhow::Result<ExitCode> {
    let BenchCommand::Psplib(args) = command;
    if args.schedules == 0 {
        anyhow::bail!("--schedules must be at least 1");
    }
    let sets = find_sets(&args.dir, &args.sets)?;
    let csv_dir = args
        .csv
        .as_ref()
        .filter(|p| p.is_dir() || p.to_string_lossy().ends_with('/'));
    if let Some(d) = csv_dir {
        std::fs::create_dir_all(d)
            .map_err(|e| anyhow::anyhow!("cannot create `{}`: {e}", d.display()))?;
    }
    let mut all_rows = String::new();
    let mut infeasible = 0;
    for set in &sets {
        let (instances, refs) = load_set(set, args.limit)?;
        let options = BenchOptions {
            solve: SolveOptions {
                max_schedules: args.schedules,
                time_limit: time_limit(args.time_limit)?,
                seed: args.seed,
                strategy: Strategy::Auto,
            },
            baseline: Baseline::for_set(&set.name),
        };
        let summary: SetSummary = run_set_threads(
            args.threads,
            &set.name,
            &instances,
            &refs,
            &options,
            &|_| {},
        )
        .map_err(|e| anyhow::anyhow!("cannot start worker threads: {e}"))?;
        infeasible += summary.infeasible;
        let line = if args.json {
            // One object per set, keys in a fixed order.
            let j = serde_json::json!({
                "set": summary.set,
                "instances": summary.instances,
                "schedules": summary.schedules,
                "time_limit_seconds": summary.time_limit_seconds,
                "seed": summary.seed,
                "baseline": baseline_name(summary.baseline),
                "avg_deviation_pct": summary.avg_deviation_pct,
                "best_known_hits": summary.best_known_hits,
                "mean_seconds": summary.mean_seconds,
                "max_seconds": summary.max_seconds,
                "mean_schedules": summary.mean_schedules,
                "infeasible": summary.infeasible,
            });
            format!("{}\n", serde_json::to_string(&j)?)
        } else {
            format!(
                "{:<5} {:>4} instances  {:>6} schedules  avg deviation {:>7.3} % (vs {})  best-known hits {:>3}/{}  mean {:.4} s  max {:.4} s  infeasible {}\n",
                summary.set,
                summary.instances,
                summary.schedules,
                summary.avg_deviation_pct,
                baseline_name(summary.baseline),
                summary.best_known_hits,
                summary.instances,
                summary.mean_seconds,
                summary.max_seconds,
                summary.infeasible
            )
        };
        write_output(None, &line)?;
        for r in summary.rows.iter().filter(|r| !r.feasible) {
            eprintln!(
                "{}: infeasible: {}",
                r.name,
                r.error.as_deref().unwrap_or("-")
            );
        }
        match (&args.csv, csv_dir) {
            (_, Some(d)) => {
                let p = d.join(format!("{}.csv", set.name));
                std::fs::write(&p, csv_rows(&set.name, &summary.rows, false))
                    .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", p.display()))?;
            }
            (Some(_), None) => {
                let body = csv_rows(&set.name, &summary.rows, true);
                if all_rows.is_empty() {
                    all_rows.push_str(&body);
                } else {
                    all_rows.push_str(body.split_once('\n').map_or("", |x| x.1));
                }
            }
            _ => {}
        }
    }
    if let (Some(p), None) = (&args.csv, csv_dir) {
        std::fs::write(p, &all_rows)
            .map_err(|e| anyhow::anyhow!("cannot write `{}`: {e}", p.display()))?;
    }
    Ok(if infeasible > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
