//! Monte Carlo forecasts: running them for a plan and rendering the result.

use tiller_core::Program;
use tiller_engine::Network;
use tiller_engine::forecast::{Forecast, ForecastOptions};

/// Default iterations when neither the command line nor `[forecast]` sets them.
pub const DEFAULT_ITERATIONS: usize = 10_000;

/// Options from the command line over the plan's `[forecast]` defaults.
pub fn options(
    program: &Program,
    iterations: Option<usize>,
    seed: Option<u64>,
    latin_hypercube: bool,
    mitigated: bool,
    tornado: bool,
) -> ForecastOptions {
    ForecastOptions {
        iterations: iterations
            .or(program.forecast.iterations.map(|n| n as usize))
            .unwrap_or(DEFAULT_ITERATIONS),
        seed: seed.or(program.forecast.seed).unwrap_or(1),
        latin_hypercube,
        mitigated,
        tornado,
    }
}

/// Forecasts a program as of its status date.
pub fn run(
    program: &Program,
    options: &ForecastOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Forecast, Vec<tiller_engine::ScheduleError>> {
    let net = Network::build(program)?;
    Ok(tiller_engine::forecast::forecast(
        program, &net, options, progress,
    ))
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "-".to_string(), |p| format!("{:.0}%", p * 100.0))
}

fn money(x: f64) -> String {
    tiller_core::Money::from_units(x.round()).map_or_else(|| format!("{x:.0}"), |m| m.to_string())
}

/// The forecast for a terminal.
pub fn table(program: &Program, f: &Forecast) -> String {
    let mut out = format!(
        "{} — Monte Carlo forecast: {} iterations, seed {}{}{}\n{} estimates{}; open risks {}\n\n",
        program.name,
        f.iterations,
        f.seed,
        if f.latin_hypercube {
            ", Latin hypercube"
        } else {
            ""
        },
        program
            .status_date
            .map(|d| format!(", as of {d}"))
            .unwrap_or_default(),
        f.distribution,
        if f.correlation > 0.0 {
            format!(", team correlation {}", f.correlation)
        } else {
            String::new()
        },
        if f.mitigated {
            "after mitigation"
        } else {
            "before mitigation"
        },
    );
    out.push_str(&format!(
        "{:<28} {:<10}  {:<10}  {:<10}  {:<10}  {:<10}  {:>9}\n",
        "MILESTONE", "CPM", "P50", "P80", "P95", "PROMISED", "ON TIME"
    ));
    for m in &f.milestones {
        out.push_str(&format!(
            "{:<28} {}  {}  {}  {}  {:<10}  {:>9}\n",
            m.id,
            m.deterministic,
            m.p50,
            m.p80,
            m.p95,
            m.promised
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".to_string()),
            pct(m.probability_on_time)
        ));
    }
    let c = &f.cost;
    if let Some(p) = c.probability_all_promises {
        out.push_str(&format!("\nEvery promise kept: {}\n", pct(Some(p))));
    }
    out.push_str(&format!(
        "\nCost: P50 {}, P80 {} (plan {}){}\n",
        money(c.p50),
        money(c.p80),
        money(c.deterministic),
        match (c.budget, c.probability_within_budget) {
            (Some(b), Some(p)) => format!(
                "; {} within the budget of {}{}",
                pct(Some(p)),
                money(b),
                c.joint_probability
                    .map(|j| format!("; {} keep every promise and the budget", pct(Some(j))))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        }
    ));
    let mut drivers: Vec<_> = f.tasks.iter().filter(|t| t.criticality > 0.0).collect();
    drivers.sort_by(|a, b| {
        b.ssi
            .total_cmp(&a.ssi)
            .then(b.criticality.total_cmp(&a.criticality))
    });
    if !drivers.is_empty() {
        out.push_str(&format!(
            "\n{:<28} {:>11} {:>11} {:>7}\n",
            "WHAT DRIVES THE FINISH", "CRITICALITY", "CRUCIALITY", "SSI"
        ));
        for t in drivers.iter().take(12) {
            out.push_str(&format!(
                "{:<28} {:>10.0}% {:>11.2} {:>7.2}\n",
                t.id,
                t.criticality * 100.0,
                t.cruciality,
                t.ssi
            ));
        }
    }
    if !f.tornado.is_empty() {
        out.push_str(&format!(
            "\n{:<28} {:>9} {:>13} {:>12}\n",
            "RISK (P80 SAVED WITHOUT IT)", "OCCURS", "WORKDAYS", "COST"
        ));
        for t in f.tornado.iter().take(10) {
            out.push_str(&format!(
                "{:<28} {:>9} {:>13} {:>12}\n",
                t.risk,
                pct(Some(t.occurred)),
                t.p80_days,
                money(t.p80_cost)
            ));
        }
    }
    out
}
