//! The evidence a report is drafted from: the schedule as of the status date, the
//! baseline and its variance, earned value, a Monte Carlo forecast with a fixed seed,
//! and the weekly load. Everything a colour or a sentence says is traced to these.

use chrono::NaiveDate;
use tiller_app::Analysis;
use tiller_app::tracking::{self, Variance};
use tiller_core::{Baseline, Program, TaskIdx, TaskKind, TaskProgress, TaskStatus};
use tiller_engine::Schedule;
use tiller_engine::evm::EvmReport;
use tiller_engine::forecast::{Forecast, ForecastOptions};
use tiller_engine::level::LoadReport;

use crate::util::WorkDays;

/// Iterations of the forecast behind a report when neither the command line nor
/// `[forecast] iterations` sets them.
pub const DEFAULT_ITERATIONS: usize = 5_000;

/// How to gather the evidence.
#[derive(Debug, Clone)]
pub struct Options {
    /// Baseline to measure against (default: the most recently saved).
    pub baseline: Option<String>,
    /// Monte Carlo iterations; 0 skips the forecast.
    pub iterations: usize,
    pub seed: u64,
    /// Re-run iterations without each risk (the P80 effect of every risk).
    pub tornado: bool,
}

impl Options {
    /// The plan's `[forecast]` defaults, else [`DEFAULT_ITERATIONS`] and seed 1.
    pub fn for_program(program: &Program) -> Options {
        Options {
            baseline: None,
            iterations: program
                .forecast
                .iterations
                .map_or(DEFAULT_ITERATIONS, |n| n as usize),
            seed: program.forecast.seed.unwrap_or(1),
            tornado: true,
        }
    }
}

/// Where a milestone (or the program finish) stands and is forecast to land.
#[derive(Debug, Clone)]
pub struct Outlook {
    /// The milestone's id, or `program` for the program finish.
    pub id: String,
    pub task: Option<TaskIdx>,
    pub name: String,
    /// The critical-path date.
    pub cpm: NaiveDate,
    pub baseline: Option<NaiveDate>,
    pub promised: Option<NaiveDate>,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    pub probability: Option<f64>,
    /// Reached as of the status date (its date is then the actual one).
    pub done: bool,
}

/// Everything a report is drafted from.
pub struct Evidence<'a> {
    pub program: &'a Program,
    pub schedule: &'a Schedule,
    /// The "as of" date: the plan's status date, else its start.
    pub status_date: NaiveDate,
    pub baseline: Option<&'a Baseline>,
    /// Per task and milestone (not summaries), when there is a baseline.
    pub variance: Vec<Variance>,
    pub evm: Option<EvmReport>,
    pub forecast: Option<Forecast>,
    /// The program finish first, then every milestone in plan order.
    pub outlook: Vec<Outlook>,
    pub load: Option<LoadReport>,
    /// Progress of every task as of the status date.
    pub progress: Vec<Option<TaskProgress>>,
    pub days: WorkDays,
    /// Why some evidence is missing (no baseline, no status date, ...).
    pub gaps: Vec<String>,
}

/// Problems that stop a report (as opposed to gaps in the evidence).
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error(transparent)]
    Tracking(#[from] tracking::TrackingError),
}

impl<'a> Evidence<'a> {
    /// Gathers the evidence for an analysed plan.
    pub fn gather(a: &'a Analysis, options: &Options) -> Result<Evidence<'a>, EvidenceError> {
        Self::gather_from(&a.program, &a.schedule, options)
    }

    pub fn gather_from(
        program: &'a Program,
        schedule: &'a Schedule,
        options: &Options,
    ) -> Result<Evidence<'a>, EvidenceError> {
        let mut gaps = Vec::new();
        let status_date = program.status_date.unwrap_or(program.start);
        if program.status_date.is_none() {
            gaps.push(format!(
                "the plan has no status date: the report is as of the program start ({status_date}), and earned value is not measured"
            ));
        }
        let baseline = tracking::pick_baseline(program, options.baseline.as_deref())?;
        if baseline.is_none() {
            gaps.push(
                "no baseline is recorded: slips, scope growth and earned value are not measured (record one with `tiller baseline save`)"
                    .to_string(),
            );
        }
        let variance = baseline.map_or_else(Vec::new, |b| tracking::variance(program, schedule, b));
        let evm = match (baseline, program.status_date) {
            (Some(b), Some(_)) => Some(tracking::evm(program, Some(b), None)?),
            _ => None,
        };
        let forecast = if options.iterations > 0 {
            let opts = ForecastOptions {
                iterations: options.iterations,
                seed: options.seed,
                tornado: options.tornado,
                ..ForecastOptions::default()
            };
            match tiller_app::forecasting::run(program, &opts, &|_| {}) {
                Ok(f) => Some(f),
                Err(_) => {
                    gaps.push("the forecast could not be run".to_string());
                    None
                }
            }
        } else {
            gaps.push("no forecast was run: probabilities and P80 dates are not shown".to_string());
            None
        };
        let load = match tiller_engine::level::load(program) {
            Ok(l) => Some(l),
            Err(e) => {
                gaps.push(format!("the weekly load could not be computed: {e}"));
                None
            }
        };
        let progress = program.progress_as_of(status_date);
        let days = WorkDays::new(program);
        let outlook = outlook(
            program,
            schedule,
            baseline,
            forecast.as_ref(),
            &progress,
            status_date,
        );
        Ok(Evidence {
            program,
            schedule,
            status_date,
            baseline,
            variance,
            evm,
            forecast,
            outlook,
            load,
            progress,
            days,
            gaps,
        })
    }

    /// Whether a task is done as of the status date.
    pub fn is_done(&self, t: TaskIdx) -> bool {
        self.schedule.times[t.index()].status == TaskStatus::Done
    }

    /// The baseline entry of a task, if any.
    pub fn baseline_of(&self, t: TaskIdx) -> Option<&tiller_core::BaselineTask> {
        self.baseline?.tasks.iter().find(|b| b.task == Some(t))
    }

    /// The baseline's first start and last finish of a task's leaves (a summary's
    /// baseline span), if any of them is baselined.
    pub fn baseline_span(&self, t: TaskIdx) -> Option<(NaiveDate, NaiveDate)> {
        let b = self.baseline?;
        let mut span: Option<(NaiveDate, NaiveDate)> = None;
        for bt in &b.tasks {
            if let Some(x) = bt.task
                && crate::util::within(self.program, x, t)
            {
                span = Some(match span {
                    None => (bt.start, bt.finish),
                    Some((s, f)) => (s.min(bt.start), f.max(bt.finish)),
                });
            }
        }
        span
    }

    /// The outlook of a milestone (or `program`).
    pub fn outlook_of(&self, id: &str) -> Option<&Outlook> {
        self.outlook.iter().find(|o| o.id == id)
    }

    /// Working days from `a` to `b`.
    pub fn wd(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        self.days.between(a, b)
    }
}

fn outlook(
    program: &Program,
    schedule: &Schedule,
    baseline: Option<&Baseline>,
    forecast: Option<&Forecast>,
    progress: &[Option<TaskProgress>],
    status_date: NaiveDate,
) -> Vec<Outlook> {
    let forecast_of = |id: &str| forecast.and_then(|f| f.milestones.iter().find(|m| m.id == id));
    let mut out = Vec::new();
    let program_baseline = baseline.and_then(|b| b.tasks.iter().map(|t| t.finish).max());
    let fp = forecast_of("program");
    out.push(Outlook {
        id: "program".to_string(),
        task: None,
        name: format!("{} (program finish)", program.name),
        cpm: schedule.finish_date_of_program(),
        baseline: program_baseline,
        promised: None,
        p50: fp.map(|f| f.p50),
        p80: fp.map(|f| f.p80),
        probability: None,
        done: schedule.finish_date_of_program() <= status_date
            && schedule.times.iter().all(|t| t.status == TaskStatus::Done),
    });
    for (i, t) in program.tasks.iter().enumerate() {
        if t.kind != TaskKind::Milestone {
            continue;
        }
        let idx = TaskIdx(i as u32);
        let f = forecast_of(&t.id);
        let done = schedule.times[i].status == TaskStatus::Done
            || progress[i].is_some_and(|p| p.status == TaskStatus::Done);
        out.push(Outlook {
            id: t.id.clone(),
            task: Some(idx),
            name: t.name.clone(),
            cpm: schedule.finish_date(idx),
            baseline: baseline
                .and_then(|b| b.tasks.iter().find(|bt| bt.task == Some(idx)))
                .map(|bt| bt.finish),
            promised: t.promised.as_ref().map(|p| p.value),
            p50: f.map(|f| f.p50),
            p80: f.map(|f| f.p80),
            probability: f.and_then(|f| f.probability_on_time),
            done,
        });
    }
    out
}
