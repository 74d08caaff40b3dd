//! Monte Carlo forecasts: running them for a plan and rendering the result.

use tiller_core::Program;
use tiller_engine::Network;
use tiller_engine::forecast::{Forecast, ForecastError, ForecastOptions};
use tiller_engine::level::LevelOptions;
use tiller_plan::Diagnostic;

use crate::output::money;

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
        level: None,
    }
}

/// Leveling for a leveled forecast: the default search budget of `tiller schedule
/// --level` and its seed (1), with no time limit, so the deterministic leveled
/// schedule the iterations replay is the one `tiller schedule --level` shows.
pub fn level_options(program: &Program) -> LevelOptions {
    LevelOptions::for_program(program)
}

/// Why a forecast could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{} scheduling problem(s)", .0.len())]
    Schedule(Vec<tiller_engine::ScheduleError>),
    #[error(transparent)]
    Forecast(#[from] ForecastError),
}

impl RunError {
    /// The problems as plan diagnostics.
    pub fn diagnostics(&self, program: &Program) -> Vec<Diagnostic> {
        match self {
            RunError::Schedule(errors) => errors
                .iter()
                .map(|e| crate::analysis::schedule_error(program, e))
                .collect(),
            RunError::Forecast(ForecastError::Level(e)) => {
                vec![crate::leveling::level_error(program, e)]
            }
        }
    }
}

/// Forecasts a program as of its status date.
pub fn run(
    program: &Program,
    options: &ForecastOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Forecast, RunError> {
    let net = Network::build(program).map_err(RunError::Schedule)?;
    Ok(tiller_engine::forecast::forecast(
        program, &net, options, progress,
    )?)
}

fn pct(p: Option<f64>) -> String {
    p.map_or_else(|| "-".to_string(), |p| format!("{:.0}%", p * 100.0))
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
    if let Some(l) = &f.leveling {
        out.push_str(&format!(
            "Leveled in every iteration: the order and assignments of the leveled schedule \
             ({} of {} schedules searched, seed {})\nDeterministic finish: leveled {}, \
             resource-free {}\n\n",
            l.schedules, l.max_schedules, l.seed, l.finish, l.resource_free_finish
        ));
    }
    out.push_str(&format!(
        "{:<28} {:<10}  {:<10}  {:<10}  {:<10}  {:<10}  {:>9}\n",
        "MILESTONE",
        if f.leveled { "LEVELED" } else { "CPM" },
        "P50",
        "P80",
        "P95",
        "PROMISED",
        "ON TIME"
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

/// Problems with a scenario request.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("no scenario `{name}`; {}", if .known.is_empty() { "the plan defines none ([scenario.NAME])".to_string() } else { format!("available: {}", .known.join(", ")) })]
    Unknown { name: String, known: Vec<String> },
    #[error("no milestone `{0}` (use a milestone id, or `program` for the program finish)")]
    UnknownMilestone(String),
    #[error("the scenario `{name}` cannot be scheduled: {message}")]
    Unschedulable { name: String, message: String },
}

/// The plan with a named scenario applied.
pub fn with_scenario(program: &Program, name: &str) -> Result<Program, ScenarioError> {
    let s = program
        .scenarios
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ScenarioError::Unknown {
            name: name.to_string(),
            known: program.scenarios.iter().map(|s| s.name.clone()).collect(),
        })?;
    Ok(tiller_engine::scenario::apply(program, s))
}

/// One row of a comparison: a scenario (or lever) and its forecast of one milestone.
#[derive(Debug, serde::Serialize)]
pub struct Comparison {
    pub name: String,
    pub description: Option<String>,
    pub p50: chrono::NaiveDate,
    pub p80: chrono::NaiveDate,
    pub probability_on_time: Option<f64>,
    pub cost_p80: f64,
    /// Working days the P80 is earlier than the base plan's (negative: later).
    pub p80_gain_days: i64,
}

fn milestone_index(f: &Forecast, id: &str) -> Result<usize, ScenarioError> {
    f.milestones
        .iter()
        .position(|m| m.id == id)
        .ok_or_else(|| ScenarioError::UnknownMilestone(id.to_string()))
}

fn compare_one(
    base: &Program,
    base_p80: chrono::NaiveDate,
    name: &str,
    description: Option<String>,
    program: &Program,
    options: &ForecastOptions,
    milestone: &str,
) -> Result<Comparison, ScenarioError> {
    let f = run(program, options, &|_| {}).map_err(|e| ScenarioError::Unschedulable {
        name: name.to_string(),
        message: e.to_string(),
    })?;
    let m = &f.milestones[milestone_index(&f, milestone)?];
    let cal = tiller_engine::calendars::Profiles::new(base).work_axis();
    let day = |d: chrono::NaiveDate| (d - base.start).num_days();
    Ok(Comparison {
        name: name.to_string(),
        description,
        p50: m.p50,
        p80: m.p80,
        probability_on_time: m.probability_on_time,
        cost_p80: f.cost.p80,
        p80_gain_days: cal.cum(day(base_p80) + 1) - cal.cum(day(m.p80) + 1),
    })
}

/// The base plan and each named scenario, forecast with the same seed.
pub fn compare(
    program: &Program,
    scenarios: &[String],
    milestone: &str,
    options: &ForecastOptions,
) -> Result<Vec<Comparison>, ScenarioError> {
    let options = ForecastOptions {
        tornado: false,
        ..options.clone()
    };
    let base = run(program, &options, &|_| {}).map_err(|e| ScenarioError::Unschedulable {
        name: "base".to_string(),
        message: e.to_string(),
    })?;
    let base_p80 = base.milestones[milestone_index(&base, milestone)?].p80;
    let mut rows = vec![compare_one(
        program,
        base_p80,
        "base",
        Some("the plan as it is".into()),
        program,
        &options,
        milestone,
    )?];
    for name in scenarios {
        let p = with_scenario(program, name)?;
        let description = program
            .scenarios
            .iter()
            .find(|s| &s.name == name)
            .and_then(|s| s.description.clone());
        rows.push(compare_one(
            program,
            base_p80,
            name,
            description,
            &p,
            &options,
            milestone,
        )?);
    }
    Ok(rows)
}

/// Every candidate lever, ranked by how much it brings the milestone's P80 forward.
pub fn rank_levers(
    program: &Program,
    milestone: &str,
    options: &ForecastOptions,
) -> Result<Vec<Comparison>, ScenarioError> {
    let options = ForecastOptions {
        tornado: false,
        ..options.clone()
    };
    let base = run(program, &options, &|_| {}).map_err(|e| ScenarioError::Unschedulable {
        name: "base".to_string(),
        message: e.to_string(),
    })?;
    let base_p80 = base.milestones[milestone_index(&base, milestone)?].p80;
    // Cutting scope is considered for the leaf tasks critical in at least a fifth of
    // the iterations, most critical first, at most ten.
    let mut critical: Vec<(f64, tiller_core::TaskIdx)> = base
        .tasks
        .iter()
        .filter(|t| t.criticality >= 0.2)
        .filter_map(|t| program.find_task(&t.id).map(|i| (t.criticality, i)))
        .collect();
    critical.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let cuttable: Vec<_> = critical.iter().take(10).map(|c| c.1).collect();
    let mut rows = Vec::new();
    for lever in tiller_engine::scenario::levers(program, &cuttable) {
        let p = tiller_engine::scenario::apply(program, &lever.scenario);
        rows.push(compare_one(
            program,
            base_p80,
            &lever.scenario.name,
            Some(lever.description.clone()),
            &p,
            &options,
            milestone,
        )?);
    }
    rows.sort_by(|a, b| {
        b.p80_gain_days
            .cmp(&a.p80_gain_days)
            .then(a.cost_p80.total_cmp(&b.cost_p80))
            .then(a.name.cmp(&b.name))
    });
    Ok(rows)
}

/// Comparison rows for a terminal.
pub fn comparison_table(milestone: &str, rows: &[Comparison]) -> String {
    let mut out = format!(
        "{:<28} {:<10}  {:<10}  {:>8} {:>9} {:>12}  ({milestone})\n",
        "SCENARIO", "P50", "P80", "ON TIME", "P80 GAIN", "COST P80",
    );
    for r in rows {
        out.push_str(&format!(
            "{:<28} {}  {}  {:>8} {:>9} {:>12}  {}\n",
            r.name,
            r.p50,
            r.p80,
            pct(r.probability_on_time),
            format!("{:+}", r.p80_gain_days),
            money(r.cost_p80),
            r.description.as_deref().unwrap_or("")
        ));
    }
    out
}
