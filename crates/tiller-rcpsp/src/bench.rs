//! Benchmark driver: solves a set of instances in parallel (one instance per
//! rayon worker, each solve single-threaded), verifies every schedule and
//! summarizes deviations the way the PSPLIB literature reports them.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::instance::Instance;
use crate::psplib::Reference;
use crate::schedule::verify;
use crate::solve::{SolveOptions, solve};

/// A benchmark instance and its name (e.g. `j301_1`).
#[derive(Clone, Debug)]
pub struct NamedInstance {
    pub name: String,
    pub instance: Instance,
}

/// What the average deviation is measured against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Baseline {
    /// The reference makespan (proven optima for J30).
    Optimum,
    /// The critical-path lower bound (J60 and J120 protocol).
    CpmLowerBound,
}

impl Baseline {
    /// The literature's choice for a PSPLIB set name: optimum for J30,
    /// critical-path bound for the others.
    pub fn for_set(set: &str) -> Self {
        if set.eq_ignore_ascii_case("j30") {
            Baseline::Optimum
        } else {
            Baseline::CpmLowerBound
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchOptions {
    pub solve: SolveOptions,
    pub baseline: Baseline,
}

/// Result for one instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InstanceResult {
    pub name: String,
    /// `None` if the solver failed.
    pub makespan: Option<u32>,
    /// Best known (or optimal) makespan from the references.
    pub reference: Option<u32>,
    pub cpm_lb: u32,
    /// Deviation from the baseline in percent.
    pub deviation_pct: Option<f64>,
    pub schedules_generated: u64,
    pub seconds: f64,
    /// Solved and accepted by `verify`.
    pub feasible: bool,
    /// Solver error or verification failures, if any.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetSummary {
    pub set: String,
    pub instances: usize,
    /// Schedule budget per instance.
    pub schedules: u64,
    pub time_limit_seconds: Option<f64>,
    pub seed: u64,
    pub baseline: Baseline,
    /// Average deviation over feasible instances with a baseline value.
    pub avg_deviation_pct: f64,
    /// Instances with makespan at most the best known one.
    pub best_known_hits: usize,
    pub mean_seconds: f64,
    pub max_seconds: f64,
    pub mean_schedules: f64,
    pub infeasible: usize,
    pub rows: Vec<InstanceResult>,
}

/// Per-instance seed: the base seed mixed with the instance name, so each
/// instance gets its own stream independent of processing order.
fn instance_seed(seed: u64, name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    seed ^ h
}

/// Solves one instance and checks the result.
pub fn run_instance(
    item: &NamedInstance,
    reference: Option<&Reference>,
    options: &BenchOptions,
) -> InstanceResult {
    let opts = SolveOptions {
        seed: instance_seed(options.solve.seed, &item.name),
        ..options.solve.clone()
    };
    let cpm_lb = reference.map_or_else(|| item.instance.critical_path_bound(), |r| r.cpm_lb);
    let best_known = reference.and_then(|r| r.best_known);
    let t0 = Instant::now();
    let result = solve(&item.instance, &opts);
    let seconds = t0.elapsed().as_secs_f64();
    let (makespan, schedules_generated, feasible, error) = match result {
        Ok(sol) => match verify(&item.instance, &sol.schedule) {
            Ok(()) => (Some(sol.makespan), sol.schedules_generated, true, None),
            Err(v) => (
                Some(sol.makespan),
                sol.schedules_generated,
                false,
                Some(format!("{} violations, first: {:?}", v.len(), v.first())),
            ),
        },
        Err(e) => (None, 0, false, Some(e.to_string())),
    };
    let base = match options.baseline {
        Baseline::Optimum => best_known,
        Baseline::CpmLowerBound => Some(cpm_lb),
    };
    let deviation_pct = match (makespan, base) {
        (Some(m), Some(b)) if feasible && b > 0 => {
            Some((f64::from(m) - f64::from(b)) / f64::from(b) * 100.0)
        }
        _ => None,
    };
    InstanceResult {
        name: item.name.clone(),
        makespan,
        reference: best_known,
        cpm_lb,
        deviation_pct,
        schedules_generated,
        seconds,
        feasible,
        error,
    }
}

/// Solves every instance (in parallel across instances on the current rayon
/// pool), calling `on_done` as each finishes, and summarizes.
pub fn run_set(
    set: &str,
    instances: &[NamedInstance],
    references: &BTreeMap<String, Reference>,
    options: &BenchOptions,
    on_done: &(dyn Fn(&InstanceResult) + Sync),
) -> SetSummary {
    let rows: Vec<InstanceResult> = instances
        .par_iter()
        .with_max_len(1)
        .map(|item| {
            let r = run_instance(item, references.get(&item.name), options);
            on_done(&r);
            r
        })
        .collect();
    summarize(set, rows, options)
}

/// [`run_set`] on a pool of `threads` worker threads (0: one per core).
/// Results do not depend on the number of threads.
pub fn run_set_threads(
    threads: usize,
    set: &str,
    instances: &[NamedInstance],
    references: &BTreeMap<String, Reference>,
    options: &BenchOptions,
    on_done: &(dyn Fn(&InstanceResult) + Sync),
) -> Result<SetSummary, String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(pool.install(|| run_set(set, instances, references, options, on_done)))
}

/// Builds the summary from per-instance rows.
pub fn summarize(set: &str, rows: Vec<InstanceResult>, options: &BenchOptions) -> SetSummary {
    let devs: Vec<f64> = rows.iter().filter_map(|r| r.deviation_pct).collect();
    let n = rows.len().max(1) as f64;
    SetSummary {
        set: set.to_string(),
        instances: rows.len(),
        schedules: options.solve.max_schedules,
        time_limit_seconds: options.solve.time_limit.map(|t: Duration| t.as_secs_f64()),
        seed: options.solve.seed,
        baseline: options.baseline,
        avg_deviation_pct: if devs.is_empty() {
            0.0
        } else {
            devs.iter().sum::<f64>() / devs.len() as f64
        },
        best_known_hits: rows
            .iter()
            .filter(|r| {
                r.feasible && matches!((r.makespan, r.reference), (Some(m), Some(b)) if m <= b)
            })
            .count(),
        mean_seconds: rows.iter().map(|r| r.seconds).sum::<f64>() / n,
        max_seconds: rows.iter().map(|r| r.seconds).fold(0.0, f64::max),
        mean_schedules: rows
            .iter()
            .map(|r| r.schedules_generated as f64)
            .sum::<f64>()
            / n,
        infeasible: rows.iter().filter(|r| !r.feasible).count(),
        rows,
    }
}
