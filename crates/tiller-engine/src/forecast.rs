//! Monte Carlo schedule and cost risk analysis.
//!
//! Each iteration draws every uncertain task's work from its three-point estimate,
//! decides which open risks occur and how much they delay and cost, and runs the same
//! forward pass as the critical-path schedule (calendars, time off, link types, lags,
//! constraints and progress all apply) on tabulated calendars. From the iterations come
//! the percentile dates of every milestone and of the program finish, the probability of
//! meeting each promise, the cost distribution, each task's criticality, cruciality and
//! schedule sensitivity, and a tornado of what each risk does to the P80.
//!
//! With leveling ([`ForecastOptions::level`]) the plan is leveled once and every
//! iteration replays that schedule's priority order and assignments with its own draws
//! ([`crate::level::Replay`]): one serial pass per iteration instead of a search, so a
//! certain plan gives the deterministic leveled schedule in every iteration. A task's
//! criticality is then its share of iterations on the resource-constrained critical
//! chain (dependencies and the people and resources it waits for).
//!
//! Randomness is counter-based: every draw is a hash of (seed, iteration, stream,
//! index), so an iteration's result does not depend on which thread runs it or in what
//! order, and a re-run of one iteration (for the tornado) sees exactly the same draws.
//!
//! Distributions: beta-PERT with shape λ (α = 1 + λ·m, β = 1 + λ·(1 − m) on the
//! standardised range, m the mode's position; λ = 4 is classic PERT) sampled by inverse
//! transform from a 4,097-point quantile table, or triangular (closed-form inverse).
//! Correlation: a Gaussian copula with one shared factor per team — a task's normal
//! score is √ρ·Z_team + √(1−ρ)·ε_task — which is a valid correlation structure for any
//! ρ in [0, 1] by construction.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;
use tiller_core::{
    Distribution, Estimate, Program, RaidLink, RiskKind, RiskStatus, TaskIdx, TaskKind, Work,
};

use crate::calendars::FULL_DAY;
use crate::cost::labour_per_day;
use crate::cpm::{Network, NodeProgress, NodeRole, Times};
use crate::level::{LevelError, LevelOptions, Replay, Session};
use crate::profile::{DenseProfile, WorkCalendar};
use crate::tick::{Tick, date_of, day_of, end_of};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct ForecastOptions {
    pub iterations: usize,
    pub seed: u64,
    /// Latin hypercube sampling of the task estimates.
    pub latin_hypercube: bool,
    /// Use each risk's post-mitigation probability and impact where the plan gives them.
    pub mitigated: bool,
    /// Re-run the iterations each risk occurred in without it, for the tornado.
    pub tornado: bool,
    /// Level resources in every iteration: the plan is leveled once with these
    /// options and each iteration replays that schedule's priority order.
    pub level: Option<LevelOptions>,
}

impl Default for ForecastOptions {
    fn default() -> Self {
        ForecastOptions {
            iterations: 10_000,
            seed: 1,
            latin_hypercube: false,
            mitigated: false,
            tornado: true,
            level: None,
        }
    }
}

/// The deterministic leveled schedule behind a leveled forecast.
#[derive(Debug, Clone, Serialize)]
pub struct LevelingSummary {
    /// Its program finish.
    pub finish: NaiveDate,
    /// The resource-free (critical-path) finish, for comparison.
    pub resource_free_finish: NaiveDate,
    /// Schedules its search generated, of the budget.
    pub schedules: u64,
    pub max_schedules: u64,
    pub seed: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bin {
    pub date: NaiveDate,
    pub count: u32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub date: NaiveDate,
    /// Probability of finishing on or before `date`.
    pub probability: f64,
}

/// Percentile dates of a milestone or of the program finish (`id` = `program`).
#[derive(Debug, Clone, Serialize)]
pub struct DateForecast {
    pub id: String,
    pub name: String,
    pub p10: NaiveDate,
    pub p50: NaiveDate,
    pub p80: NaiveDate,
    pub p90: NaiveDate,
    pub p95: NaiveDate,
    pub mean: NaiveDate,
    /// The critical-path (deterministic) date, for comparison.
    pub deterministic: NaiveDate,
    pub promised: Option<NaiveDate>,
    pub probability_on_time: Option<f64>,
    pub histogram: Vec<Bin>,
    pub s_curve: Vec<CurvePoint>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CostForecast {
    pub mean: f64,
    pub p10: f64,
    pub p50: f64,
    pub p80: f64,
    pub p90: f64,
    pub deterministic: f64,
    pub budget: Option<f64>,
    pub probability_within_budget: Option<f64>,
    /// Probability of meeting every promised milestone date.
    pub probability_all_promises: Option<f64>,
    /// Probability of meeting every promise and staying within `budget` together.
    pub joint_probability: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaskSensitivity {
    pub id: String,
    /// Fraction of iterations in which the task was on the critical path (leveled:
    /// on the resource-constrained critical chain).
    pub criticality: f64,
    /// Spearman rank correlation between the task's duration draw and the program
    /// finish.
    pub cruciality: f64,
    /// Schedule sensitivity index: criticality × σ(task) / σ(program finish).
    pub ssi: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TornadoBar {
    pub risk: String,
    pub title: String,
    /// Fraction of iterations in which it occurred.
    pub occurred: f64,
    /// Working days the program P80 moves earlier when the risk is removed.
    pub p80_days: i64,
    /// How much the P80 cost falls when the risk is removed.
    pub p80_cost: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    pub iterations: usize,
    pub seed: u64,
    pub latin_hypercube: bool,
    pub mitigated: bool,
    /// Resources were leveled in every iteration (`deterministic` dates are
    /// then the leveled schedule's).
    pub leveled: bool,
    /// With leveling: the deterministic leveled schedule the iterations
    /// replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leveling: Option<LevelingSummary>,
    pub distribution: String,
    pub correlation: f64,
    /// The program finish first, then every milestone in plan order.
    pub milestones: Vec<DateForecast>,
    pub cost: CostForecast,
    pub tasks: Vec<TaskSensitivity>,
    /// Largest P80 effect first.
    pub tornado: Vec<TornadoBar>,
}

// ---------------------------------------------------------------------------------
// Counter-based randomness.

const STREAM_TASK: u64 = 1;
const STREAM_TEAM: u64 = 2;
const STREAM_RISK: u64 = 3;
const STREAM_RISK_DELAY: u64 = 4;
const STREAM_LHS: u64 = 5;
/// Backlog draws use streams from here up, one per simulated week.
const STREAM_THROUGHPUT: u64 = 1 << 20;

fn mix(mut z: u64) -> u64 {
    // SplitMix64's finaliser: a bijective avalanche mix.
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform draw in (0, 1) determined by its coordinates alone.
fn unit(seed: u64, iteration: u64, stream: u64, index: u64) -> f64 {
    let h = mix(
        mix(mix(seed ^ 0x9e37_79b9_7f4a_7c15).wrapping_add(iteration)
            ^ stream.wrapping_mul(0x632b_e59b_d9b4_e019))
        .wrapping_add(index),
    );
    // 53 random bits, offset by half a step so 0 and 1 never occur.
    ((h >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Standard normal CDF (Abramowitz & Stegun 7.1.26 via erfc; |error| < 1.5e-7).
fn norm_cdf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs() / std::f64::consts::SQRT_2);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erfc = poly * (-(x * x) / 2.0).exp();
    if x >= 0.0 {
        1.0 - erfc / 2.0
    } else {
        erfc / 2.0
    }
}

/// Inverse standard normal CDF (Acklam's rational approximation, relative error 1e-9).
fn norm_inv(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

// ---------------------------------------------------------------------------------
// Distributions on the standardised range [0, 1].

const TABLE: usize = 1024;
/// Modes are tabulated at 1/64 steps of the range; a draw interpolates between the two
/// tables either side of its mode.
const MODES: usize = 64;

/// Beta-PERT quantiles at `k / TABLE` for one mode, as fractions of the range in
/// 1/65,535 steps: small enough that a program's tables stay in cache.
fn pert_table(mode: f64, shape: f64) -> Vec<u16> {
    let alpha = 1.0 + shape * mode;
    let beta = 1.0 + shape * (1.0 - mode);
    // CDF on a fine grid by integrating the density (no singularities: α, β ≥ 1),
    // then inverted by linear interpolation.
    const GRID: usize = 2_048;
    let pdf = |x: f64| x.powf(alpha - 1.0) * (1.0 - x).powf(beta - 1.0);
    let mut cdf = vec![0.0f64; GRID + 1];
    for i in 1..=GRID {
        let (a, b) = ((i - 1) as f64 / GRID as f64, i as f64 / GRID as f64);
        let m = (a + b) / 2.0;
        // Simpson's rule on each cell.
        cdf[i] = cdf[i - 1] + (b - a) / 6.0 * (pdf(a) + 4.0 * pdf(m) + pdf(b));
    }
    let total = cdf[GRID];
    let mut table = Vec::with_capacity(TABLE + 1);
    let mut j = 0usize;
    for k in 0..=TABLE {
        let target = k as f64 / TABLE as f64 * total;
        while j < GRID && cdf[j + 1] < target {
            j += 1;
        }
        let (c0, c1) = (cdf[j], cdf[(j + 1).min(GRID)]);
        let frac = if c1 > c0 {
            (target - c0) / (c1 - c0)
        } else {
            0.0
        };
        let x = (j as f64 + frac.clamp(0.0, 1.0)) / GRID as f64;
        table.push((x.clamp(0.0, 1.0) * 65_535.0).round() as u16);
    }
    table
}

/// The quantile function of a standardised three-point distribution.
#[derive(Debug, Clone, Copy)]
enum Quantile {
    /// Beta-PERT: interpolate tables `lower` and `lower + 1` (in the shape's bank) by
    /// `weight`.
    Pert {
        bank: usize,
        lower: usize,
        weight: f64,
    },
    Triangular {
        mode: f64,
    },
}

/// Tables shared by every task of a forecast, per PERT shape.
struct Tables {
    shapes: Vec<f64>,
    /// Per shape: `MODES + 1` tables, built when first used.
    banks: Vec<Vec<Option<Vec<u16>>>>,
}

impl Tables {
    fn new() -> Tables {
        Tables {
            shapes: Vec::new(),
            banks: Vec::new(),
        }
    }

    fn get(&mut self, d: Distribution, mode: f64) -> Quantile {
        let mode = mode.clamp(0.0, 1.0);
        let shape = match d {
            Distribution::Triangular => return Quantile::Triangular { mode },
            Distribution::Pert { shape } => shape,
        };
        let bank = match self.shapes.iter().position(|&s| s == shape) {
            Some(b) => b,
            None => {
                self.shapes.push(shape);
                self.banks.push(vec![None; MODES + 1]);
                self.shapes.len() - 1
            }
        };
        let x = mode * MODES as f64;
        let lower = (x as usize).min(MODES - 1);
        for k in [lower, lower + 1] {
            if self.banks[bank][k].is_none() {
                self.banks[bank][k] = Some(pert_table(k as f64 / MODES as f64, shape));
            }
        }
        Quantile::Pert {
            bank,
            lower,
            weight: x - lower as f64,
        }
    }

    /// The built tables, flattened: bank `b`, mode `k` starts at `(b * (MODES + 1) + k)
    /// * (TABLE + 1)`.
    fn flatten(&self) -> Vec<u16> {
        let mut out = Vec::new();
        for bank in &self.banks {
            for t in bank {
                match t {
                    Some(t) => out.extend_from_slice(t),
                    None => out.extend(std::iter::repeat_n(0, TABLE + 1)),
                }
            }
        }
        out
    }
}

impl Quantile {
    #[inline]
    fn at(&self, tables: &[u16], u: f64) -> f64 {
        match *self {
            Quantile::Pert {
                bank,
                lower,
                weight,
            } => {
                let x = u * TABLE as f64;
                let k = (x as usize).min(TABLE - 1);
                let f = x - k as f64;
                let base = (bank * (MODES + 1) + lower) * (TABLE + 1) + k;
                let q = |i: usize| tables[i] as f64 * (1.0 - f) + tables[i + 1] as f64 * f;
                let (a, b) = (q(base), q(base + TABLE + 1));
                (a * (1.0 - weight) + b * weight) / 65_535.0
            }
            Quantile::Triangular { mode } => {
                if u < mode {
                    (u * mode).sqrt()
                } else {
                    1.0 - ((1.0 - u) * (1.0 - mode)).sqrt()
                }
            }
        }
    }
}

/// Mean and variance of a three-point estimate under a distribution, in days.
pub fn moments(e: &Estimate, d: Distribution) -> (f64, f64) {
    let (a, m, b) = (e.optimistic, e.likely, e.pessimistic);
    match d {
        Distribution::Pert { shape } => {
            let r = b - a;
            if r <= 0.0 {
                return (m, 0.0);
            }
            let mode = (m - a) / r;
            let alpha = 1.0 + shape * mode;
            let beta = 1.0 + shape * (1.0 - mode);
            let mean = a + r * alpha / (alpha + beta);
            let var = r * r * alpha * beta / ((alpha + beta).powi(2) * (alpha + beta + 1.0));
            (mean, var)
        }
        Distribution::Triangular => (
            (a + m + b) / 3.0,
            (a * a + m * m + b * b - a * m - a * b - m * b) / 18.0,
        ),
    }
}

// ---------------------------------------------------------------------------------
// The model of one program.

/// How one node's work is drawn.
#[derive(Debug, Clone, Copy)]
struct Draw {
    node: u32,
    low: f64,
    range: f64,
    quantile: Quantile,
    /// Work units per day drawn: the full work, or the remaining work's share of it.
    scale: f64,
    /// Correlation group (team), if the plan correlates estimates.
    group: Option<u32>,
}

/// A backlog worked through at a team's sampled weekly throughput.
#[derive(Debug, Clone)]
struct Backlog {
    node: u32,
    /// Items (or points) still to do.
    count: f64,
    history: Vec<f64>,
    /// Working days in the team's week.
    per_week: f64,
    /// Work units per day of duration.
    scale: f64,
}

/// Weeks to finish `count` items, sampling a week's throughput from `history` per
/// draw (the last week counts in part). `draw(j)` gives the j-th uniform.
pub fn weeks_to_finish(count: f64, history: &[f64], mut draw: impl FnMut(u64) -> f64) -> f64 {
    if count <= 0.0 || history.iter().all(|&t| t <= 0.0) {
        return 0.0;
    }
    let mut done = 0.0;
    // A cap far beyond any plan: 100 years of weeks.
    for j in 0..5_200u64 {
        let t = history[((draw(j) * history.len() as f64) as usize).min(history.len() - 1)];
        if t > 0.0 && done + t >= count {
            return j as f64 + (count - done) / t;
        }
        done += t;
    }
    5_200.0
}

/// Items finished in `weeks` whole weeks, sampling each week from `history`.
pub fn items_in_weeks(weeks: u64, history: &[f64], mut draw: impl FnMut(u64) -> f64) -> f64 {
    if history.is_empty() {
        return 0.0;
    }
    (0..weeks)
        .map(|j| history[((draw(j) * history.len() as f64) as usize).min(history.len() - 1)])
        .sum()
}

#[derive(Debug, Clone)]
struct RiskModel {
    id: String,
    title: String,
    probability: f64,
    /// Three-point delay in days: low, range and quantile function.
    delay: Option<(f64, f64, Quantile)>,
    cost: f64,
    /// +1 for threats, −1 for opportunities.
    sign: f64,
    /// Affected nodes and the work units one day of delay adds to each.
    nodes: Vec<(u32, f64)>,
}

/// Everything fixed across iterations.
struct Model<'n> {
    net: &'n Network,
    dense: Vec<DenseProfile>,
    axis: DenseProfile,
    base_req: Vec<i64>,
    draws: Vec<Draw>,
    backlogs: Vec<Backlog>,
    tables: Vec<u16>,
    risks: Vec<RiskModel>,
    /// √ρ and √(1−ρ) of the estimate correlation ρ, and the number of correlation
    /// groups (team scores drawn per iteration).
    team_weight: f64,
    own_weight: f64,
    groups: usize,
    /// Per node: labour cost per unit of work (per 1/1000 day), and costs already fixed.
    cost_per_unit: Vec<f64>,
    fixed_cost: f64,
    /// Real nodes (tasks and milestones) and the milestone nodes reported.
    real: Vec<u32>,
    milestones: Vec<(TaskIdx, u32)>,
    /// Per task: the node counted for its criticality.
    task_node: Vec<Option<u32>>,
    /// Per task: the node carrying its work (a summary's start node, which risk delays
    /// hold up).
    task_start: Vec<u32>,
    live: Vec<bool>,
}

/// One worker's memory for an iteration's draws: the work per node and the team
/// scores.
struct DrawScratch {
    reqs: Vec<i64>,
    teams: Vec<f64>,
}

impl DrawScratch {
    fn new(nodes: usize) -> DrawScratch {
        DrawScratch {
            reqs: Vec::with_capacity(nodes),
            teams: Vec::new(),
        }
    }
}

/// What one iteration produces.
#[derive(Debug, Clone)]
struct Outcome {
    finish: Tick,
    milestones: Vec<Tick>,
    cost: f64,
}

impl<'n> Model<'n> {
    fn new(program: &Program, net: &'n Network, options: &ForecastOptions) -> Model<'n> {
        let settings = &program.forecast;
        let mut tables = Tables::new();
        let n = net.nodes.len();
        let base_req: Vec<i64> = net.nodes.iter().map(|x| x.req).collect();

        // Correlation groups: one per team.
        let group_of = |t: TaskIdx| program.task(t).team.map(|tm| tm.0);

        let mut draws = Vec::new();
        let mut backlogs = Vec::new();
        let mut cost_per_unit = vec![0.0; n];
        let mut fixed_cost = 0.0;
        let mut nominal_rate = vec![FULL_DAY as f64; n];
        for (v, node) in net.nodes.iter().enumerate() {
            if node.role != NodeRole::Task {
                continue;
            }
            let task = program.task(node.task);
            let profile = &net.profiles[node.profile as usize];
            nominal_rate[v] = profile.mean_working_rate().max(1.0);
            let per_day = labour_per_day(program, task);
            let fixed = task.fixed_cost.map_or(0.0, |m| m.as_units());
            let work = match (&task.kind, &task.work) {
                (TaskKind::Leaf, Some(w)) => Some(w),
                _ => None,
            };
            // Known costs: actuals of finished and started work.
            let progress = program
                .status_date
                .map(|d| program.progress_as_of(d))
                .and_then(|p| p[node.task.index()]);
            let actual = progress.and_then(|p| p.cost).map(|m| m.as_units());
            match node.progress {
                NodeProgress::Finished { .. } => {
                    let planned = work.map_or(0.0, |w| w.estimate().likely);
                    fixed_cost += actual.unwrap_or(per_day * planned + fixed);
                    continue;
                }
                NodeProgress::Started { .. } => {
                    let done = progress.and_then(|p| p.done).unwrap_or(0.0);
                    let planned = work.map_or(0.0, |w| w.estimate().likely);
                    fixed_cost +=
                        actual.unwrap_or(done * (per_day * planned + fixed)) + (1.0 - done) * fixed;
                }
                NodeProgress::Planned => fixed_cost += fixed,
            }
            // Labour per work unit: work units are thousandths of a day of the task's
            // effort or duration, both costed per day.
            cost_per_unit[v] = per_day / FULL_DAY as f64;
            let Some(w) = work else { continue };
            if let Work::Items { count, .. } = w {
                let team = task.team.map(|t| program.team(t));
                let history = team.map_or_else(Vec::new, |t| t.throughput.clone());
                let cal = program.calendar(
                    task.team
                        .map_or(program.default_calendar, |t| program.team_calendar(t)),
                );
                let done = match node.progress {
                    NodeProgress::Started { .. } => progress.and_then(|p| p.done).unwrap_or(0.0),
                    _ => 0.0,
                };
                backlogs.push(Backlog {
                    node: v as u32,
                    count: count * (1.0 - done),
                    history,
                    per_week: cal.workweek.days_per_week().max(1) as f64,
                    scale: FULL_DAY as f64,
                });
                continue;
            }
            let e = w.estimate();
            if e.is_exact()
                || node.req == 0 && matches!(node.progress, NodeProgress::Started { .. })
            {
                continue;
            }
            let dist = task.distribution.unwrap_or(settings.distribution);
            let range = e.pessimistic - e.optimistic;
            if range <= 0.0 {
                continue;
            }
            let quantile = tables.get(dist, (e.likely - e.optimistic) / range);
            // A task in progress draws its remaining work in proportion: remaining ×
            // (drawn / likely).
            let scale = match node.progress {
                NodeProgress::Started { .. } if e.likely > 0.0 => node.req as f64 / e.likely,
                _ => FULL_DAY as f64,
            };
            draws.push(Draw {
                node: v as u32,
                low: e.optimistic,
                range,
                quantile,
                scale,
                group: (settings.correlation > 0.0)
                    .then(|| group_of(node.task))
                    .flatten(),
            });
        }

        // Open risks and the nodes they hit.
        let mut risks = Vec::new();
        for r in &program.risks {
            if r.status != RiskStatus::Open {
                continue;
            }
            let impact = match (&r.mitigated, options.mitigated) {
                (Some(m), true) => m,
                _ => &r.impact,
            };
            let delay = impact.delay.map(|d| {
                let range = d.pessimistic - d.optimistic;
                let quantile = if range > 0.0 {
                    tables.get(settings.distribution, (d.likely - d.optimistic) / range)
                } else {
                    tables.get(settings.distribution, 0.5)
                };
                (d.optimistic, range.max(0.0), quantile)
            });
            let mut nodes = Vec::new();
            for link in &r.affects {
                if let RaidLink::Task(t) = link {
                    // On a summary, the delay holds up its start: all its work waits.
                    let v = net.task_nodes[t.index()].start;
                    if !matches!(
                        net.nodes[v as usize].progress,
                        NodeProgress::Finished { .. }
                    ) {
                        nodes.push((v, nominal_rate[v as usize]));
                    }
                }
            }
            risks.push(RiskModel {
                id: r.id.clone(),
                title: r.title.clone(),
                probability: impact.probability,
                delay,
                cost: impact.cost.map_or(0.0, |m| m.as_units()),
                sign: if r.kind == RiskKind::Opportunity {
                    -1.0
                } else {
                    1.0
                },
                nodes,
            });
        }

        // Tabulate every calendar over the span the iterations can plausibly reach:
        // from well before the start to three times the deterministic span plus every
        // risk's worst delay. Beyond it the compact profiles answer (slower, same).
        let det_finish = net
            .schedule()
            .map(|s| day_of(s.finish))
            .unwrap_or(365)
            .max(30);
        let worst_risk: f64 = risks
            .iter()
            .filter_map(|r| r.delay.map(|d| d.0 + d.1))
            .sum();
        let lo = -60;
        let hi = 3 * det_finish + worst_risk.ceil() as i64 + 120;
        let dense = net
            .profiles
            .iter()
            .map(|p| DenseProfile::new(p, lo, hi))
            .collect();
        let axis = DenseProfile::new(&net.axis, lo, hi);

        let real: Vec<u32> = (0..n as u32)
            .filter(|&v| net.nodes[v as usize].role == NodeRole::Task)
            .collect();
        let milestones = program
            .tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.kind == TaskKind::Milestone)
            .map(|(i, _)| (TaskIdx(i as u32), net.task_nodes[i].start))
            .collect();
        let task_node = program
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.kind == TaskKind::Leaf).then_some(net.task_nodes[i].start))
            .collect();
        let groups = draws
            .iter()
            .filter_map(|d| d.group)
            .max()
            .map_or(0, |g| g as usize + 1);
        Model {
            net,
            dense,
            axis,
            base_req,
            draws,
            backlogs,
            tables: tables.flatten(),
            risks,
            team_weight: settings.correlation.max(0.0).sqrt(),
            own_weight: (1.0 - settings.correlation.max(0.0)).sqrt(),
            groups,
            cost_per_unit,
            fixed_cost,
            real,
            milestones,
            task_node,
            task_start: net.task_nodes.iter().map(|t| t.start).collect(),
            live: net.live_nodes(),
        }
    }

    /// Iteration `i`'s score of each correlation group (team), which every draw of
    /// the group shares.
    fn team_scores(&self, seed: u64, i: u64, out: &mut Vec<f64>) {
        out.clear();
        out.extend((0..self.groups).map(|g| norm_inv(unit(seed, i, STREAM_TEAM, g as u64))));
    }

    /// The uniform driving draw `d` in iteration `i` (after correlation), given the
    /// iteration's [`Model::team_scores`].
    fn task_uniform(
        &self,
        seed: u64,
        i: u64,
        d: usize,
        lhs: Option<&[Vec<u32>]>,
        n: usize,
        teams: &[f64],
    ) -> f64 {
        let draw = &self.draws[d];
        let u = match lhs {
            Some(perms) => {
                let stratum = perms[d][i as usize] as f64;
                (stratum + unit(seed, i, STREAM_LHS, d as u64)) / n as f64
            }
            None => unit(seed, i, STREAM_TASK, d as u64),
        };
        match draw.group.and_then(|g| teams.get(g as usize)) {
            Some(&z) => norm_cdf(self.team_weight * z + self.own_weight * norm_inv(u)),
            None => u,
        }
    }

    /// One iteration; `without` leaves one risk out (for the tornado). Fills `reqs`,
    /// `es`, `ef` and `first_child` and returns the outcome, or `None` if the network
    /// cannot be scheduled with these draws.
    #[allow(clippy::too_many_arguments)]
    fn iterate(
        &self,
        seed: u64,
        i: u64,
        lhs: Option<&[Vec<u32>]>,
        n: usize,
        without: Option<usize>,
        scratch: &mut DrawScratch,
        es: &mut [Tick],
        ef: &mut [Tick],
        first_child: &mut [u32],
    ) -> Option<Outcome> {
        let cost = self.sample(seed, i, lhs, n, without, scratch);
        self.net
            .forward(
                &self.dense,
                &self.axis,
                &scratch.reqs,
                Some(&self.live),
                es,
                ef,
                first_child,
            )
            .ok()?;
        let finish = self.real.iter().map(|&v| ef[v as usize]).max().unwrap_or(0);
        Some(Outcome {
            finish,
            milestones: self
                .milestones
                .iter()
                .map(|&(_, v)| ef[v as usize])
                .collect(),
            cost,
        })
    }

    /// One iteration leveled: the same draws as [`Model::iterate`], replayed in the
    /// deterministic leveled schedule's priority order by `session`. `task_reqs` is
    /// scratch (the work per task). `None` if the draws cannot be leveled.
    #[allow(clippy::too_many_arguments)]
    fn iterate_leveled(
        &self,
        seed: u64,
        i: u64,
        lhs: Option<&[Vec<u32>]>,
        n: usize,
        without: Option<usize>,
        scratch: &mut DrawScratch,
        task_reqs: &mut Vec<i64>,
        session: &mut Session<'_, '_>,
    ) -> Option<Outcome> {
        let cost = self.sample(seed, i, lhs, n, without, scratch);
        task_reqs.clear();
        task_reqs.extend(self.task_start.iter().map(|&v| scratch.reqs[v as usize]));
        session.run(task_reqs).ok()?;
        Some(Outcome {
            finish: session.program_finish(),
            milestones: self
                .milestones
                .iter()
                .map(|&(t, _)| session.finish(t))
                .collect(),
            cost,
        })
    }

    /// Draws iteration `i`'s work into `scratch.reqs` (per node) and returns its cost.
    fn sample(
        &self,
        seed: u64,
        i: u64,
        lhs: Option<&[Vec<u32>]>,
        n: usize,
        without: Option<usize>,
        scratch: &mut DrawScratch,
    ) -> f64 {
        self.team_scores(seed, i, &mut scratch.teams);
        let reqs = &mut scratch.reqs;
        reqs.clear();
        reqs.extend_from_slice(&self.base_req);
        for (d, draw) in self.draws.iter().enumerate() {
            let u = self.task_uniform(seed, i, d, lhs, n, &scratch.teams);
            let days = draw.low + draw.range * draw.quantile.at(&self.tables, u);
            // Non-negative, so truncating after adding a half rounds to nearest.
            reqs[draw.node as usize] = (days * draw.scale + 0.5).max(0.0) as i64;
        }
        for (b, backlog) in self.backlogs.iter().enumerate() {
            let weeks = weeks_to_finish(backlog.count, &backlog.history, |j| {
                unit(seed, i, STREAM_THROUGHPUT + j, b as u64)
            });
            // Whole working days, as the deterministic schedule counts them.
            let days = (weeks * backlog.per_week).ceil();
            reqs[backlog.node as usize] = (days * backlog.scale) as i64;
        }
        let mut cost = self.fixed_cost;
        for (r, risk) in self.risks.iter().enumerate() {
            if Some(r) == without || unit(seed, i, STREAM_RISK, r as u64) >= risk.probability {
                continue;
            }
            cost += risk.sign * risk.cost;
            if let Some((low, range, quantile)) = risk.delay {
                let days = low
                    + range * quantile.at(&self.tables, unit(seed, i, STREAM_RISK_DELAY, r as u64));
                for &(v, rate) in &risk.nodes {
                    let add = (risk.sign * days * rate).round() as i64;
                    let req = &mut reqs[v as usize];
                    *req = (*req + add).max(0);
                }
            }
        }
        for &v in &self.real {
            cost += self.cost_per_unit[v as usize] * reqs[v as usize] as f64;
        }
        cost
    }

    /// Marks the nodes on a driving chain into the program finish.
    fn critical(&self, reqs: &[i64], t: &Times<'_>, finish: Tick, marks: &mut [bool]) {
        marks.iter_mut().for_each(|m| *m = false);
        for &v in &self.real {
            if t.ef[v as usize] == finish {
                marks[v as usize] = true;
            }
        }
        for &v in self.net.order.iter().rev() {
            let v = v as usize;
            if !marks[v] {
                continue;
            }
            for link in self.net.links_in(v) {
                let p = link.node as usize;
                if !marks[p] && self.net.drives(&self.dense, &self.axis, reqs, t, v, link) {
                    marks[p] = true;
                }
            }
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile<T: Copy>(sorted: &[T], p: f64) -> T {
    let k = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

/// Ranks (1-based, ties averaged) of the values.
fn ranks(values: &[Tick]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by_key(|&i| values[i]);
    let mut out = vec![0.0; values.len()];
    let mut a = 0;
    while a < idx.len() {
        let mut b = a;
        while b + 1 < idx.len() && values[idx[b + 1]] == values[idx[a]] {
            b += 1;
        }
        let r = (a + b) as f64 / 2.0 + 1.0;
        for &k in &idx[a..=b] {
            out[k] = r;
        }
        a = b + 1;
    }
    out
}

const CHUNK: usize = 256;

/// Why a forecast could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForecastError {
    /// The deterministic leveled schedule (whose order every iteration replays)
    /// could not be found.
    #[error("cannot level the plan: {0}")]
    Level(#[from] LevelError),
}

/// Runs the iterations of one chunk: `one(i, marks)` runs iteration `i`, marks the
/// nodes on its driving chain and returns its outcome. Returns the outcomes and how
/// often each node was marked.
fn run_chunk(
    c: usize,
    n: usize,
    nodes: usize,
    mut one: impl FnMut(u64, &mut [bool]) -> Option<Outcome>,
) -> (Vec<Outcome>, Vec<u32>) {
    let mut marks = vec![false; nodes];
    let mut critical_counts = vec![0u32; nodes];
    let mut outs = Vec::with_capacity(CHUNK);
    for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
        let Some(out) = one(i as u64, &mut marks) else {
            continue;
        };
        for (v, m) in marks.iter().enumerate() {
            critical_counts[v] += u32::from(*m);
        }
        outs.push(out);
    }
    (outs, critical_counts)
}

/// Runs the simulation. `progress` is called with the number of iterations done.
///
/// With `options.level`, the plan is leveled once (the deterministic leveled
/// schedule) and every iteration replays its priority order with the iteration's
/// draws; that first leveling is the only step that can fail.
pub fn forecast(
    program: &Program,
    net: &Network,
    options: &ForecastOptions,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Forecast, ForecastError> {
    let model = Model::new(program, net, options);
    let n = options.iterations.max(1);
    let seed = options.seed;
    let nodes = net.nodes.len();

    // Leveling: the iterations hand the replay each task's work in the network's
    // units, so it is told the plan's own work in those units to scale from.
    let replay = match &options.level {
        Some(level) => {
            let reference: Vec<i64> = model
                .task_start
                .iter()
                .map(|&v| model.base_req[v as usize])
                .collect();
            Some(Replay::level(program, level, &reference)?)
        }
        None => None,
    };

    // Latin hypercube: each draw gets a shuffled stratum per iteration.
    let lhs: Option<Vec<Vec<u32>>> = options.latin_hypercube.then(|| {
        (0..model.draws.len())
            .map(|d| {
                let mut perm: Vec<u32> = (0..n as u32).collect();
                for k in (1..n).rev() {
                    let j =
                        (unit(seed, k as u64, STREAM_LHS + 1, d as u64) * (k + 1) as f64) as usize;
                    perm.swap(k, j.min(k));
                }
                perm
            })
            .collect()
    });
    let lhs_ref = lhs.as_deref();

    let done = AtomicU64::new(0);
    let chunks: Vec<(Vec<Outcome>, Vec<u32>)> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut scratch = DrawScratch::new(nodes);
            let (outs, counts) = match &replay {
                None => {
                    let mut es = vec![0; nodes];
                    let mut ef = vec![0; nodes];
                    let mut first = vec![u32::MAX; nodes];
                    run_chunk(c, n, nodes, |i, marks| {
                        let out = model.iterate(
                            seed,
                            i,
                            lhs_ref,
                            n,
                            None,
                            &mut scratch,
                            &mut es,
                            &mut ef,
                            &mut first,
                        )?;
                        let t = Times {
                            es: &es,
                            ef: &ef,
                            first_child: &first,
                        };
                        model.critical(&scratch.reqs, &t, out.finish, marks);
                        Some(out)
                    })
                }
                // One session per chunk: its cells and scratch memory are this
                // worker's alone, and a chunk's results do not depend on the thread.
                Some(replay) => replay.with_session(|session| {
                    let mut task_reqs = Vec::with_capacity(model.task_start.len());
                    run_chunk(c, n, nodes, |i, marks| {
                        let out = model.iterate_leveled(
                            seed,
                            i,
                            lhs_ref,
                            n,
                            None,
                            &mut scratch,
                            &mut task_reqs,
                            session,
                        )?;
                        marks.iter_mut().for_each(|m| *m = false);
                        session.critical(|t| marks[model.task_start[t.index()] as usize] = true);
                        Some(out)
                    })
                }),
            };
            progress(done.fetch_add(outs.len() as u64, Ordering::Relaxed) + outs.len() as u64);
            (outs, counts)
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    let mut critical = vec![0u64; nodes];
    for (outs, counts) in chunks {
        outcomes.extend(outs);
        for (c, k) in critical.iter_mut().zip(counts) {
            *c += k as u64;
        }
    }
    let runs = outcomes.len().max(1);

    let deterministic = net.schedule().ok();
    let leveled = replay.as_ref().map(Replay::leveled);
    let origin = net.origin;
    let date = |t: Tick| date_of(origin, day_of(t)).unwrap_or(origin);

    // Dates.
    let summarise =
        |id: &str, name: &str, ticks: Vec<Tick>, det: Tick, promised: Option<NaiveDate>| {
            let mut sorted = ticks.clone();
            sorted.sort_unstable();
            let mean_day =
                ticks.iter().map(|&t| day_of(t) as f64).sum::<f64>() / ticks.len().max(1) as f64;
            let on_time = promised.map(|p| {
                let due = end_of((p - origin).num_days());
                ticks.iter().filter(|&&t| t <= due).count() as f64 / ticks.len().max(1) as f64
            });
            let mut histogram: Vec<Bin> = Vec::new();
            for &t in &sorted {
                let d = date(t);
                match histogram.last_mut() {
                    Some(b) if b.date == d => b.count += 1,
                    _ => histogram.push(Bin { date: d, count: 1 }),
                }
            }
            let mut acc = 0u32;
            let s_curve = histogram
                .iter()
                .map(|b| {
                    acc += b.count;
                    CurvePoint {
                        date: b.date,
                        probability: acc as f64 / sorted.len().max(1) as f64,
                    }
                })
                .collect();
            DateForecast {
                id: id.to_string(),
                name: name.to_string(),
                p10: date(percentile(&sorted, 0.10)),
                p50: date(percentile(&sorted, 0.50)),
                p80: date(percentile(&sorted, 0.80)),
                p90: date(percentile(&sorted, 0.90)),
                p95: date(percentile(&sorted, 0.95)),
                mean: date_of(origin, mean_day.round() as i64).unwrap_or(origin),
                deterministic: date(det),
                promised,
                probability_on_time: on_time,
                histogram,
                s_curve,
            }
        };
    let finishes: Vec<Tick> = outcomes.iter().map(|o| o.finish).collect();
    // The deterministic dates: the leveled schedule's when leveling, else the
    // critical-path schedule's.
    let free_finish = deterministic.as_ref().map_or(0, |s| s.finish);
    let mut milestones = vec![summarise(
        "program",
        &program.name,
        finishes.clone(),
        leveled.map_or(free_finish, |l| l.finish),
        None,
    )];
    for (k, &(t, _)) in model.milestones.iter().enumerate() {
        let task = program.task(t);
        let det = match leveled {
            Some(l) => l.tasks[t.index()].finish,
            None => deterministic
                .as_ref()
                .map_or(0, |s| s.times[t.index()].early_finish),
        };
        milestones.push(summarise(
            &task.id,
            &task.name,
            outcomes.iter().map(|o| o.milestones[k]).collect(),
            det,
            task.promised.as_ref().map(|p| p.value),
        ));
    }

    // Cost.
    let mut costs: Vec<f64> = outcomes.iter().map(|o| o.cost).collect();
    costs.sort_by(f64::total_cmp);
    let budget = program.budget.map(|m| m.as_units());
    let round = |x: f64| (x * 100.0).round() / 100.0;
    let det_cost = model.fixed_cost
        + model
            .real
            .iter()
            .map(|&v| model.cost_per_unit[v as usize] * model.base_req[v as usize] as f64)
            .sum::<f64>();
    // Per iteration: were all promises kept?
    let promises: Vec<(usize, Tick)> = model
        .milestones
        .iter()
        .enumerate()
        .filter_map(|(k, &(t, _))| {
            program
                .task(t)
                .promised
                .as_ref()
                .map(|p| (k, end_of((p.value - origin).num_days())))
        })
        .collect();
    let kept = |o: &Outcome| promises.iter().all(|&(k, due)| o.milestones[k] <= due);
    let share = |count: usize| count as f64 / runs as f64;
    let cost = CostForecast {
        mean: round(costs.iter().sum::<f64>() / runs as f64),
        p10: round(percentile(&costs, 0.10)),
        p50: round(percentile(&costs, 0.50)),
        p80: round(percentile(&costs, 0.80)),
        p90: round(percentile(&costs, 0.90)),
        deterministic: round(det_cost),
        budget,
        probability_within_budget: budget
            .map(|b| share(outcomes.iter().filter(|o| o.cost <= b).count())),
        probability_all_promises: (!promises.is_empty())
            .then(|| share(outcomes.iter().filter(|o| kept(o)).count())),
        joint_probability: budget
            .filter(|_| !promises.is_empty())
            .map(|b| share(outcomes.iter().filter(|o| o.cost <= b && kept(o)).count())),
    };

    // Sensitivity: criticality, cruciality (rank correlation of each task's draw with
    // the program finish; the draws are regenerated from their coordinates), SSI.
    let finish_ranks = ranks(&finishes);
    let mean_rank = (runs as f64 + 1.0) / 2.0;
    let var_rank = finish_ranks
        .iter()
        .map(|r| (r - mean_rank).powi(2))
        .sum::<f64>();
    let finish_days: Vec<f64> = finishes.iter().map(|&t| day_of(t) as f64).collect();
    let mean_finish = finish_days.iter().sum::<f64>() / runs as f64;
    let sd_finish = (finish_days
        .iter()
        .map(|d| (d - mean_finish).powi(2))
        .sum::<f64>()
        / runs as f64)
        .sqrt();
    let draw_of: HashMap<u32, usize> = model
        .draws
        .iter()
        .enumerate()
        .map(|(d, x)| (x.node, d))
        .collect();
    // Only iterations that scheduled are in `outcomes`; regenerate draws for the same
    // iteration numbers (all of them, unless a draw made the network unschedulable).
    let iteration_ids: Vec<u64> = if outcomes.len() == n {
        (0..n as u64).collect()
    } else {
        Vec::new()
    };
    // Each iteration's team scores, drawn once rather than once per task.
    let mut team_scores = Vec::with_capacity(iteration_ids.len() * model.groups);
    let mut teams = Vec::new();
    for &it in &iteration_ids {
        model.team_scores(seed, it, &mut teams);
        team_scores.extend_from_slice(&teams);
    }
    let teams_of = |k: usize| &team_scores[k * model.groups..(k + 1) * model.groups];
    let tasks = program
        .tasks
        .par_iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let v = model.task_node[i]?;
            let criticality = critical[v as usize] as f64 / runs as f64;
            let (cruciality, ssi) = match draw_of.get(&v) {
                Some(&d) if var_rank > 0.0 && !iteration_ids.is_empty() => {
                    // Spearman = Pearson on ranks; the draw's uniform score is its rank
                    // up to a constant, and the duration is monotone in it.
                    let mut cov = 0.0;
                    let mut var_u = 0.0;
                    for (k, &it) in iteration_ids.iter().enumerate() {
                        let u = model.task_uniform(seed, it, d, lhs_ref, n, teams_of(k)) - 0.5;
                        cov += u * (finish_ranks[k] - mean_rank);
                        var_u += u * u;
                    }
                    let rho = if var_u > 0.0 {
                        cov / (var_u * var_rank).sqrt()
                    } else {
                        0.0
                    };
                    let est = t.work.as_ref().map(Work::estimate).copied();
                    let sd_task = est
                        .map(|e| {
                            moments(&e, t.distribution.unwrap_or(program.forecast.distribution))
                                .1
                                .sqrt()
                        })
                        .unwrap_or(0.0);
                    let ssi = if sd_finish > 0.0 {
                        criticality * sd_task / sd_finish
                    } else {
                        0.0
                    };
                    (rho, ssi)
                }
                _ => (0.0, 0.0),
            };
            let six = |x: f64| (x * 1e6).round() / 1e6;
            Some(TaskSensitivity {
                id: t.id.clone(),
                criticality: six(criticality),
                cruciality: six(cruciality),
                ssi: six(ssi),
            })
        })
        .collect();

    // Tornado: each risk's effect on the program P80, re-running only the iterations
    // it occurred in.
    let mut tornado = Vec::new();
    if options.tornado && outcomes.len() == n {
        let base_p80 = percentile(
            &{
                let mut f = finishes.clone();
                f.sort_unstable();
                f
            },
            0.8,
        );
        let base_cost_p80 = percentile(&costs, 0.8);
        let axis_days = |a: Tick, b: Tick| {
            let (da, db) = (day_of(a), day_of(b));
            model.axis.cum(db + 1) - model.axis.cum(da + 1)
        };
        for (r, risk) in model.risks.iter().enumerate() {
            let hits: Vec<usize> = (0..n)
                .filter(|&i| unit(seed, i as u64, STREAM_RISK, r as u64) < risk.probability)
                .collect();
            let reruns: Vec<(usize, Option<Outcome>)> = hits
                .par_chunks(CHUNK)
                .flat_map_iter(|chunk| {
                    let mut scratch = DrawScratch::new(nodes);
                    match &replay {
                        None => {
                            let mut es = vec![0; nodes];
                            let mut ef = vec![0; nodes];
                            let mut first = vec![u32::MAX; nodes];
                            chunk
                                .iter()
                                .map(|&i| {
                                    let out = model.iterate(
                                        seed,
                                        i as u64,
                                        lhs_ref,
                                        n,
                                        Some(r),
                                        &mut scratch,
                                        &mut es,
                                        &mut ef,
                                        &mut first,
                                    );
                                    (i, out)
                                })
                                .collect::<Vec<_>>()
                        }
                        Some(replay) => replay.with_session(|session| {
                            let mut task_reqs = Vec::with_capacity(model.task_start.len());
                            chunk
                                .iter()
                                .map(|&i| {
                                    let out = model.iterate_leveled(
                                        seed,
                                        i as u64,
                                        lhs_ref,
                                        n,
                                        Some(r),
                                        &mut scratch,
                                        &mut task_reqs,
                                        session,
                                    );
                                    (i, out)
                                })
                                .collect::<Vec<_>>()
                        }),
                    }
                })
                .collect();
            let mut f = finishes.clone();
            let mut c: Vec<f64> = outcomes.iter().map(|o| o.cost).collect();
            for (i, out) in reruns {
                if let Some(o) = out {
                    f[i] = o.finish;
                    c[i] = o.cost;
                }
            }
            f.sort_unstable();
            c.sort_by(f64::total_cmp);
            tornado.push(TornadoBar {
                risk: risk.id.clone(),
                title: risk.title.clone(),
                occurred: hits.len() as f64 / n as f64,
                p80_days: axis_days(percentile(&f, 0.8), base_p80),
                p80_cost: round(base_cost_p80 - percentile(&c, 0.8)),
            });
        }
        tornado.sort_by(|a, b| {
            b.p80_days
                .cmp(&a.p80_days)
                .then(b.p80_cost.total_cmp(&a.p80_cost))
                .then(a.risk.cmp(&b.risk))
        });
    }

    let distribution = match program.forecast.distribution {
        Distribution::Pert { shape } => format!("beta-PERT (shape {shape})"),
        Distribution::Triangular => "triangular".to_string(),
    };
    let leveling = leveled.map(|l| LevelingSummary {
        finish: date(l.finish),
        resource_free_finish: date(free_finish),
        schedules: l.search.schedules,
        max_schedules: l.search.max_schedules,
        seed: l.search.seed,
    });
    Ok(Forecast {
        iterations: n,
        seed,
        latin_hypercube: options.latin_hypercube,
        mitigated: options.mitigated,
        leveled: leveling.is_some(),
        leveling,
        distribution,
        correlation: program.forecast.correlation,
        milestones,
        cost,
        tasks,
        tornado,
    })
}

/// Simulated weeks a team needs to finish `items` at its historical throughput,
/// sorted (one per iteration).
pub fn weeks_for_items(history: &[f64], items: f64, iterations: usize, seed: u64) -> Vec<f64> {
    let mut weeks: Vec<f64> = (0..iterations as u64)
        .into_par_iter()
        .map(|i| weeks_to_finish(items, history, |j| unit(seed, i, STREAM_THROUGHPUT + j, 0)))
        .collect();
    weeks.sort_by(f64::total_cmp);
    weeks
}

/// Simulated items a team finishes in `weeks` whole weeks, sorted.
pub fn items_in(history: &[f64], weeks: u64, iterations: usize, seed: u64) -> Vec<f64> {
    let mut items: Vec<f64> = (0..iterations as u64)
        .into_par_iter()
        .map(|i| items_in_weeks(weeks, history, |j| unit(seed, i, STREAM_THROUGHPUT + j, 1)))
        .collect();
    items.sort_by(f64::total_cmp);
    items
}

/// Nearest-rank percentile of sorted values, `p` in (0, 1].
pub fn percentile_of(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    percentile(sorted, p)
}
