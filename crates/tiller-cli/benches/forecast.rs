//! Forecast benchmark: 10,000 iterations on the checkout example and on a generated
//! 1,000-task program with 30 risks, on one and on two threads, plus the risk tornado.
//!
//! `cargo bench -p tiller-cli --bench forecast`. `FORECAST_ITERATIONS` changes the
//! iteration count, `FORECAST_RUNS` the repetitions (median reported).

use std::time::{Duration, Instant};

use tiller_engine::Network;
use tiller_engine::forecast::{ForecastOptions, forecast};

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
        "{:<34} {:>7} {:>6} {:>10} {:>10} {:>9} {:>12}",
        "program", "tasks", "risks", "1 thread", "2 threads", "speed-up", "ns/task-iter"
    );
    for (name, program) in &programs {
        let net = Network::build(program).expect("schedules");
        let tasks = program.tasks.len();
        let options = ForecastOptions {
            iterations,
            seed: 1,
            latin_hypercube: false,
            mitigated: false,
            tornado: false,
        };
        let mut times = [Vec::new(), Vec::new()];
        for (k, threads) in [1usize, 2].into_iter().enumerate() {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("pool");
            for _ in 0..runs {
                let t = Instant::now();
                let f = pool.install(|| forecast(program, &net, &options, &|_| {}));
                times[k].push(t.elapsed());
                std::hint::black_box(f);
            }
        }
        let (one, two) = (median(times[0].clone()), median(times[1].clone()));
        println!(
            "{:<34} {:>7} {:>6} {:>8.0}ms {:>8.0}ms {:>8.2}x {:>12.0}",
            name,
            tasks,
            program.risks.len(),
            one.as_secs_f64() * 1e3,
            two.as_secs_f64() * 1e3,
            one.as_secs_f64() / two.as_secs_f64(),
            one.as_secs_f64() * 1e9 / (tasks * iterations) as f64
        );
        let with_tornado = ForecastOptions {
            tornado: true,
            ..options
        };
        let t = Instant::now();
        std::hint::black_box(forecast(program, &net, &with_tornado, &|_| {}));
        println!(
            "{:<34} with the risk tornado, 2 threads: {:.0} ms",
            "",
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    println!("({iterations} iterations, resource-free, median of {runs})");
}
