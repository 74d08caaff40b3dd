//! Calibration backtest: are the forecast's P50/P80/P95 honest?
//!
//! For each of many synthetic programs (random dependency networks with three-point
//! estimates, team correlation and risk events), the "actual" outcome is drawn from the
//! very distributions the plan states — an independent draw, with its own seed — and
//! the program is forecast from its estimates as usual. Over many programs, the actual
//! finish should fall on or before the P50 half the time, the P80 80 % of the time and
//! so on; the deterministic critical-path date, which ignores uncertainty and merge
//! bias, is met far less often.

use serde::Serialize;
use tiller_engine::Network;
use tiller_engine::forecast::{ForecastOptions, forecast};

#[derive(Debug, Clone)]
pub struct BacktestOptions {
    pub programs: usize,
    pub tasks: usize,
    pub iterations: usize,
    pub seed: u64,
    /// Team estimation correlation written into every synthetic program.
    pub correlation: f64,
}

impl Default for BacktestOptions {
    fn default() -> Self {
        BacktestOptions {
            programs: 1_000,
            tasks: 30,
            iterations: 1_000,
            seed: 1,
            correlation: 0.3,
        }
    }
}

/// Share of programs whose actual finish fell on or before each forecast date.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub programs: usize,
    pub tasks_per_program: usize,
    pub iterations: usize,
    pub correlation: f64,
    pub p50: f64,
    pub p80: f64,
    pub p95: f64,
    /// Share meeting the deterministic critical-path date.
    pub deterministic: f64,
    /// The same shares with an actual finish *on* the forecast date counted
    /// as half a hit (mid-distribution coverage). Finishes are whole working
    /// days, so several iterations share the P-date and "on or before" runs
    /// above nominal by about half the probability of that one day; these
    /// remove that bias of the discrete dates and are the figures to compare
    /// with 50/80/95.
    pub p50_mid: f64,
    pub p80_mid: f64,
    pub p95_mid: f64,
}

impl Coverage {
    /// The largest gap between a P-level's coverage ("on or before") and its
    /// nominal level, in points.
    pub fn worst_gap_points(&self) -> f64 {
        worst_gap([self.p50, self.p80, self.p95])
    }

    /// The largest gap of the mid-distribution coverages, in points.
    pub fn worst_mid_gap_points(&self) -> f64 {
        worst_gap([self.p50_mid, self.p80_mid, self.p95_mid])
    }
}

fn worst_gap(coverage: [f64; 3]) -> f64 {
    coverage
        .iter()
        .zip([0.5, 0.8, 0.95])
        .map(|(c, n)| (c - n).abs() * 100.0)
        .fold(0.0, f64::max)
}

#[derive(Debug, thiserror::Error)]
pub enum BacktestError {
    #[error("generating a synthetic program failed: {0}")]
    Generate(#[from] tiller_plan::generate::GenerateError),
    #[error("synthetic program {0} did not check or schedule")]
    Invalid(usize),
}

/// Runs the backtest; `progress` is called with the number of programs done.
pub fn run(
    options: &BacktestOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Coverage, BacktestError> {
    let mut hits = [0usize; 4];
    let mut ties = [0usize; 3];
    for k in 0..options.programs {
        let text = tiller_plan::generate::generate(&tiller_plan::generate::Options {
            tasks: options.tasks,
            seed: options.seed.wrapping_mul(1_000_003).wrapping_add(k as u64),
            people: (options.tasks / 5).max(4),
            links_per_task: 1.5,
            risks: Some(2),
        })?;
        let mut program = tiller_plan::load_str("synthetic.toml", &text, &[])
            .program
            .ok_or(BacktestError::Invalid(k))?;
        program.forecast.correlation = options.correlation;
        let net = Network::build(&program).map_err(|_| BacktestError::Invalid(k))?;
        let base = ForecastOptions {
            iterations: options.iterations,
            seed: options.seed.wrapping_add(k as u64),
            latin_hypercube: false,
            mitigated: false,
            tornado: false,
            level: None,
        };
        let forecast_of =
            forecast(&program, &net, &base, &|_| {}).map_err(|_| BacktestError::Invalid(k))?;
        // The actual outcome: one draw from the same model, with a seed no forecast
        // uses.
        let truth = ForecastOptions {
            iterations: 1,
            seed: (1u64 << 62) ^ options.seed.wrapping_mul(7_919).wrapping_add(k as u64),
            ..base
        };
        let actual = forecast(&program, &net, &truth, &|_| {})
            .map_err(|_| BacktestError::Invalid(k))?
            .milestones[0]
            .p50;
        let f = &forecast_of.milestones[0];
        for (slot, date) in [f.p50, f.p80, f.p95, f.deterministic]
            .into_iter()
            .enumerate()
        {
            hits[slot] += usize::from(actual <= date);
            if let Some(t) = ties.get_mut(slot) {
                *t += usize::from(actual == date);
            }
        }
        progress(k as u64 + 1);
    }
    let n = options.programs.max(1) as f64;
    Ok(Coverage {
        programs: options.programs,
        tasks_per_program: options.tasks,
        iterations: options.iterations,
        correlation: options.correlation,
        p50: hits[0] as f64 / n,
        p80: hits[1] as f64 / n,
        p95: hits[2] as f64 / n,
        deterministic: hits[3] as f64 / n,
        p50_mid: (hits[0] as f64 - ties[0] as f64 / 2.0) / n,
        p80_mid: (hits[1] as f64 - ties[1] as f64 / 2.0) / n,
        p95_mid: (hits[2] as f64 - ties[2] as f64 / 2.0) / n,
    })
}
