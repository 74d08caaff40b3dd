//! PSPLIB benchmark runner.
//!
//! Environment:
//! - `PSPLIB_DIR`: data directory (default `/work/shared/data/psplib`)
//! - `PSPLIB_SETS`: comma-separated sets (default `j30,j60,j120`)
//! - `PSPLIB_SCHEDULES`: schedule budget per instance (default 1000)
//! - `PSPLIB_TIME_LIMIT`: seconds per instance (optional)
//! - `PSPLIB_SEED`: base seed (default 1)
//! - `PSPLIB_LIMIT`: use only the first N instances of each set
//! - `PSPLIB_STRIDE`: use every k-th instance (spread subset)
//! - `PSPLIB_THREADS`: rayon threads (default: rayon's choice)
//! - `PSPLIB_JSON`: write the summaries as JSON to this path
//! - `PSPLIB_WORST`: print the N instances with the largest gap to best known
//! - `PSPLIB_LARGE`: also time the 10,000-activity synthetic instance
//!   (`PSPLIB_LARGE_WINDOW`: predecessors drawn from the previous N
//!   activities only, for deeper precedence chains)

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use tiller_rcpsp::bench::{Baseline, BenchOptions, NamedInstance, SetSummary, run_set};
use tiller_rcpsp::psplib::{Reference, instance_name, natural_key, parse_sm, references};
use tiller_rcpsp::{
    Activity, Instance, Precedence, Resource, SolveOptions, Strategy, solve, verify,
};

fn env<T: std::str::FromStr>(key: &str) -> Option<T> {
    std::env::var(key).ok().and_then(|v| v.parse().ok())
}

fn load_set(
    dir: &Path,
    set: &str,
) -> Result<(Vec<NamedInstance>, BTreeMap<String, Reference>), String> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join(set))
        .map_err(|e| format!("{}: {e}", dir.join(set).display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".sm"))
        .collect();
    files.sort_by_key(|f| natural_key(f));
    let mut instances = Vec::with_capacity(files.len());
    for f in &files {
        let path = dir.join(set).join(f);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let instance = parse_sm(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        instances.push(NamedInstance {
            name: instance_name(f).to_string(),
            instance,
        });
    }
    let sol = dir.join("solutions");
    let read = |name: String| std::fs::read_to_string(sol.join(name)).ok();
    let refs = references(
        set,
        read(format!("bounds_{set}.csv")).as_deref(),
        read(format!("{set}opt.sm")).as_deref(),
        read(format!("{set}hrs.sm")).as_deref(),
    )
    .map_err(|e| format!("{}: {e}", sol.display()))?;
    // The critical-path bound must agree with the reference file.
    for item in &instances {
        if let Some(r) = refs.get(&item.name) {
            let cp = item.instance.critical_path_bound();
            if r.cpm_lb != 0 && r.cpm_lb != cp {
                return Err(format!(
                    "{}: cpm_lb {} but computed {cp}",
                    item.name, r.cpm_lb
                ));
            }
        }
    }
    Ok((instances, refs))
}

fn large_instance(seed: u64, window: usize) -> Instance {
    let n: usize = 10_000;
    let nr = 500;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let acts: Vec<Activity> = (0..n)
        .map(|_| Activity::new(rng.random_range(1..=10)).with_demand(rng.random_range(0..nr), 1))
        .collect();
    let mut prec = Vec::new();
    for j in 1..n {
        for _ in 0..rng.random_range(0..=2) {
            let i = rng.random_range(j.saturating_sub(window)..j);
            prec.push(Precedence::fs(i, j));
        }
    }
    let res = (0..nr).map(|_| Resource::constant(1)).collect();
    Instance::new(acts, res, prec).expect("valid synthetic instance")
}

fn print_summary(s: &SetSummary) {
    println!(
        "{:<5} {:>5} inst  {:>6} sched  avg dev {:>7.3} %  best-known hits {:>3}  mean {:>7.4} s  max {:>7.4} s  infeasible {}",
        s.set,
        s.instances,
        s.schedules,
        s.avg_deviation_pct,
        s.best_known_hits,
        s.mean_seconds,
        s.max_seconds,
        s.infeasible
    );
}

fn main() {
    let dir = std::env::var("PSPLIB_DIR").unwrap_or_else(|_| "/work/shared/data/psplib".into());
    let sets = std::env::var("PSPLIB_SETS").unwrap_or_else(|_| "j30,j60,j120".into());
    let schedules: u64 = env("PSPLIB_SCHEDULES").unwrap_or(1000);
    let seed: u64 = env("PSPLIB_SEED").unwrap_or(1);
    let limit: Option<usize> = env("PSPLIB_LIMIT");
    let stride: usize = env::<usize>("PSPLIB_STRIDE").unwrap_or(1).max(1);
    let worst: usize = env("PSPLIB_WORST").unwrap_or(0);
    let time_limit = env::<f64>("PSPLIB_TIME_LIMIT").map(Duration::from_secs_f64);
    if let Some(t) = env::<usize>("PSPLIB_THREADS") {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build_global()
            .expect("rayon pool");
    }

    if env::<u8>("PSPLIB_LARGE").unwrap_or(0) == 1 {
        let window = env::<usize>("PSPLIB_LARGE_WINDOW").unwrap_or(usize::MAX);
        let inst = large_instance(seed, window);
        let t0 = Instant::now();
        let sol = solve(
            &inst,
            &SolveOptions {
                max_schedules: u64::MAX,
                time_limit: Some(Duration::from_millis(800)),
                seed,
                ..Default::default()
            },
        )
        .expect("solvable");
        let secs = t0.elapsed().as_secs_f64();
        verify(&inst, &sol.schedule).expect("feasible");
        // Resource lower bound: the busiest unit-capacity resource.
        let mut load = vec![0u64; inst.num_resources()];
        for a in inst.activities() {
            for &(r, _) in &a.demands {
                load[r] += u64::from(a.duration);
            }
        }
        println!(
            "large: busiest resource load {}",
            load.iter().max().copied().unwrap_or(0)
        );
        let t1 = Instant::now();
        let first = solve(
            &inst,
            &SolveOptions {
                max_schedules: 1,
                ..Default::default()
            },
        )
        .expect("solvable");
        println!(
            "large: first serial LFT schedule {} in {:.3} s",
            first.makespan,
            t1.elapsed().as_secs_f64()
        );
        println!(
            "large: n=10000 R=500 makespan {} (critical path {}, lower bound {}) schedules {} in {:.3} s ({:?})",
            sol.makespan,
            inst.critical_path_bound(),
            sol.lower_bound,
            sol.schedules_generated,
            secs,
            sol.strategy
        );
    }

    let mut summaries = Vec::new();
    for set in sets.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (mut instances, refs) = match load_set(Path::new(&dir), set) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("skipping {set}: {e}");
                continue;
            }
        };
        instances = instances.into_iter().step_by(stride).collect();
        if let Some(l) = limit {
            instances.truncate(l);
        }
        let options = BenchOptions {
            solve: SolveOptions {
                max_schedules: schedules,
                time_limit,
                seed,
                strategy: match std::env::var("PSPLIB_STRATEGY").as_deref() {
                    Ok("rules") => Strategy::PriorityRules,
                    Ok("ga") => Strategy::Genetic,
                    _ => Strategy::Auto,
                },
            },
            baseline: Baseline::for_set(set),
        };
        let t0 = Instant::now();
        let summary = run_set(set, &instances, &refs, &options, &|_| {});
        print_summary(&summary);
        eprintln!("  wall {:.1} s", t0.elapsed().as_secs_f64());
        for r in summary.rows.iter().filter(|r| !r.feasible) {
            eprintln!("  INFEASIBLE {}: {:?}", r.name, r.error);
        }
        if worst > 0 {
            let mut gaps: Vec<_> = summary
                .rows
                .iter()
                .filter_map(|r| {
                    Some((
                        r.makespan? as i64 - r.reference? as i64,
                        &r.name,
                        r.makespan?,
                        r.reference?,
                    ))
                })
                .filter(|g| g.0 > 0)
                .collect();
            gaps.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
            let total: i64 = gaps.iter().map(|g| g.0).sum();
            eprintln!("  {} above best known, total gap {total}", gaps.len());
            for g in gaps.iter().take(worst) {
                eprintln!("  {} {} vs {}", g.1, g.2, g.3);
            }
        }
        summaries.push(summary);
    }
    if let Some(path) = std::env::var_os("PSPLIB_JSON") {
        let json = serde_json::to_string_pretty(&summaries).expect("serializable");
        std::fs::write(&path, json).expect("write JSON");
    }
}
