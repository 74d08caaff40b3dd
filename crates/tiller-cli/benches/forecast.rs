//! Forecast benchmark: 10,000 iterations on the checkout example and on a generated
//! 1,000-task program with 30 risks, on one and on two threads, resource-free and
//! leveled in every iteration (the time includes the one deterministic leveling
//! search), plus the risk tornado.
//!
//! `cargo bench -p tiller-cli --bench forecast`. `FORECAST_ITERATIONS` changes the
//! iteration count, `FORECAST_RUNS` the repetitions (median reported), `FORECAST_ONLY`
//! keeps the rows whose name contains it (e.g. `leveled`), `FORECAST_SKIP` drops those
//! whose name contains it, `FORECAST_TORNADO=0` skips the runs with the tornado.

use std::time::{Duration, Instant};

use tiller_engine::Network;
use tiller_engine::forecast::{ForecastOptions, forecast};
use tiller_engine::level::LevelOptions;

/// Processor time used by this process so far (Linux; zero elsewhere): on a shared
/// machine, the one-thread figure that other processes do not inflate.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the command name (which is in parentheses): utime and stime are
    // the 12th and 13th, in clock ticks of 1/100 s.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    Duration::from_millis(fields.iter().sum::<u64>() * 10)
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let iterations: usize = std::env::var("FORECAST_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let runs: usize = std::env::var("FORECAST_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let only = std::env::var("FORECAST_ONLY").ok();
    let skip = std::env::var("FORECAST_SKIP").ok();
    let tornado = std::env::var("FORECAST_TORNADO").map_or(true, |v| v != "0");
    let generated = tiller_plan::generate::generate(&tiller_plan::generate::Options {
        tasks: 1_000,
        seed: 1,
        people: 50,
        links_per_task: 3.0,
        risks: Some(30),
    })
    .expect("valid options");
    let programs = [
        (
            "checkout example",
            tiller_app::examples::load(&tiller_app::examples::CHECKOUT)
                .program
                .expect("valid example"),
        ),
        (
            "generated 1,000 tasks, 30 risks",
            tiller_plan::load_str("generated.toml", &generated, &[])
                .program
                .expect("valid plan"),
        ),
    ];
    println!(
        "{:<40} {:>5} {:>5} {:>10} {:>10} {:>9} {:>12} {:>10}",
        "program",
        "tasks",
        "risks",
        "1 thread",
        "2 threads",
        "speed-up",
        "ns/task-iter",
        "1-thr CPU"
    );
    for (name, program) in &programs {
        let net = Network::build(program).expect("schedules");
        let tasks = program.tasks.len();
        for leveled in [false, true] {
            let row = format!("{name}{}", if leveled { ", leveled" } else { "" });
            if only.as_ref().is_some_and(|o| !row.contains(o.as_str()))
                || skip.as_ref().is_some_and(|s| row.contains(s.as_str()))
            {
                continue;
            }
            let options = ForecastOptions {
                iterations,
                seed: 1,
                latin_hypercube: false,
                mitigated: false,
                tornado: false,
                level: leveled.then(|| LevelOptions::for_program(program)),
            };
            let mut times = [Vec::new(), Vec::new()];
            let mut cpu = Vec::new();
            let mut outputs = Vec::new();
            for (k, threads) in [1usize, 2].into_iter().enumerate() {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .expect("pool");
                for _ in 0..runs {
                    let (t, c) = (Instant::now(), cpu_time());
                    let f = pool.install(|| forecast(program, &net, &options, &|_| {}));
                    times[k].push(t.elapsed());
                    if threads == 1 {
                        cpu.push(cpu_time().saturating_sub(c));
                    }
                    outputs.push(serde_json::to_string(&f.expect("forecasts")).expect("JSON"));
                }
            }
            assert!(
                outputs.windows(2).all(|w| w[0] == w[1]),
                "{name}: results differ between runs or thread counts"
            );
            let (one, two) = (median(times[0].clone()), median(times[1].clone()));
            let cpu = median(cpu);
            println!(
                "{:<40} {:>5} {:>5} {:>8.0}ms {:>8.0}ms {:>8.2}x {:>12.0} {:>8.0}ms",
                row,
                tasks,
                program.risks.len(),
                one.as_secs_f64() * 1e3,
                two.as_secs_f64() * 1e3,
                one.as_secs_f64() / two.as_secs_f64(),
                one.as_secs_f64() * 1e9 / (tasks * iterations) as f64,
                cpu.as_secs_f64() * 1e3
            );
            if !tornado {
                continue;
            }
            let with_tornado = ForecastOptions {
                tornado: true,
                ..options
            };
            let t = Instant::now();
            std::hint::black_box(
                forecast(program, &net, &with_tornado, &|_| {}).expect("forecasts"),
            );
            println!(
                "{:<40} with the risk tornado, 2 threads: {:.0} ms",
                "",
                t.elapsed().as_secs_f64() * 1e3
            );
        }
        let t = Instant::now();
        std::hint::black_box(tiller_engine::level::level(
            program,
            &LevelOptions::for_program(program),
        ))
        .expect("levels");
        println!(
            "{:<40} the deterministic leveling search alone: {:.0} ms",
            "",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    println!("({iterations} iterations, median of {runs}; ns per task-iteration on 1 thread)");
}
