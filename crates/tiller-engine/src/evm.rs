//! Earned value (PMI) and earned schedule (Lipke) against a baseline.
//!
//! Definitions, for a task with baseline cost `B` spread evenly over its baseline
//! working days (program calendar):
//! - PV (planned value) at a date: `B` × the fraction of its baseline days elapsed.
//! - EV (earned value): `B` × its fraction complete (reported `done`; 1 when done; from
//!   reported remaining work otherwise).
//! - AC (actual cost): the cost reported in its progress; where none is reported, the
//!   work done at the current plan's rates (so CPI is 1 for that task).
//! - ETC (bottom-up): the current plan's cost of the work remaining.
//!
//! Roll-ups sum PV, EV, AC, BAC and ETC first and derive every index from the sums.
//!
//! Every ratio whose denominator is zero is `None` ("undefined"), never infinity or a
//! made-up value; `docs/evm.md` lists each case.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Serialize;
use tiller_core::{Baseline, Program, TaskIdx, TaskKind, TaskProgress, TaskStatus};

use crate::cost::{labour_per_day, planned_cost, planned_work};
use crate::profile::Profile;
use crate::tick::date_of;

/// The earned-value figures of a task, a workstream or the program.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    /// Budget at completion: baseline cost.
    pub bac: f64,
    pub pv: f64,
    pub ev: f64,
    pub ac: f64,
    /// SV = EV − PV.
    pub sv: f64,
    /// CV = EV − AC.
    pub cv: f64,
    /// SPI = EV / PV.
    pub spi: Option<f64>,
    /// CPI = EV / AC.
    pub cpi: Option<f64>,
    /// Bottom-up estimate to complete: the current plan's cost of the remaining work.
    pub etc: f64,
    /// EAC = AC + bottom-up ETC.
    pub eac_bottom_up: f64,
    /// EAC = AC + (BAC − EV): the remaining work at its budget.
    pub eac_atypical: f64,
    /// EAC = BAC / CPI.
    pub eac_cpi: Option<f64>,
    /// EAC = AC + (BAC − EV) / (CPI × SPI).
    pub eac_composite: Option<f64>,
    /// VAC = BAC − EAC, with EAC = BAC / CPI.
    pub vac: Option<f64>,
    /// TCPI to meet the BAC: (BAC − EV) / (BAC − AC).
    pub tcpi_bac: Option<f64>,
    /// TCPI to meet the EAC: (BAC − EV) / (EAC − AC), with EAC = BAC / CPI.
    pub tcpi_eac: Option<f64>,
    /// Percent complete by value: EV / BAC.
    pub percent_complete: Option<f64>,
    #[serde(flatten)]
    pub schedule: Option<EarnedSchedule>,
}

/// Earned schedule (Lipke), in working days of the program calendar counted from the
/// baseline's first day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EarnedSchedule {
    /// ES: the time at which the current EV was planned to be earned.
    pub es: f64,
    /// AT: the time elapsed up to the as-of date.
    pub at: f64,
    /// PD: planned duration of the baseline.
    pub pd: f64,
    /// SV(t) = ES − AT.
    pub sv_t: f64,
    /// SPI(t) = ES / AT.
    pub spi_t: Option<f64>,
    /// TSPI = (PD − ES) / (PD − AT): the efficiency needed to finish on the planned date
    /// (after PD has passed: (PD − ES) / (IEAC(t) − AT)).
    pub tspi: Option<f64>,
    /// IEAC(t) = PD / SPI(t): forecast duration.
    pub ieac_t: Option<f64>,
    /// The date ES falls on.
    pub es_date: Option<NaiveDate>,
    /// The finish date IEAC(t) forecasts.
    pub ieac_t_date: Option<NaiveDate>,
}

/// One point of the weekly S-curves (cumulative values at the end of the week).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeekPoint {
    pub week_ending: NaiveDate,
    pub pv: f64,
    /// `None` after the as-of date (no progress is known then).
    pub ev: Option<f64>,
    pub ac: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskEvm {
    pub task: String,
    /// Whether the task has a baseline entry; work without one earns no value.
    pub baselined: bool,
    /// The budget the plan gives this task or workstream, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<f64>,
    #[serde(flatten)]
    pub metrics: Metrics,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvmReport {
    pub as_of: NaiveDate,
    /// The baseline used; `None` when the plan has none and its own dates (scheduled
    /// without progress) stand in.
    pub baseline: Option<String>,
    pub currency: String,
    /// The program's authorised budget and management reserve, as planned.
    pub budget: Option<f64>,
    pub reserve: Option<f64>,
    pub program: Metrics,
    pub workstreams: Vec<TaskEvm>,
    pub tasks: Vec<TaskEvm>,
    /// Baseline entries for tasks no longer in the plan: their budget stays in BAC and
    /// PV, and they earn nothing.
    pub removed_from_plan: Vec<String>,
    pub weekly: Vec<WeekPoint>,
}

/// One task's part in the program's earned value.
#[derive(Debug, Clone, Copy, Default)]
struct Line {
    bac: f64,
    /// Baseline span in working-day coordinates: [first, last) of the W axis.
    from: f64,
    to: f64,
    done: f64,
    ac: f64,
    etc: f64,
}

impl Line {
    /// PV at working-day coordinate `w` (end of that much working time).
    fn pv_at(&self, w: f64) -> f64 {
        if self.bac == 0.0 || w <= self.from {
            return 0.0;
        }
        if w >= self.to || self.to <= self.from {
            return self.bac;
        }
        self.bac * (w - self.from) / (self.to - self.from)
    }
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den != 0.0).then(|| num / den)
}

/// Money to the cent and indices to six decimals: enough for any report, and outputs
/// that do not depend on floating-point noise in the last digits.
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn six(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

impl Metrics {
    fn rounded(mut self) -> Metrics {
        for m in [
            &mut self.bac,
            &mut self.pv,
            &mut self.ev,
            &mut self.ac,
            &mut self.sv,
            &mut self.cv,
            &mut self.etc,
            &mut self.eac_bottom_up,
            &mut self.eac_atypical,
        ] {
            *m = cents(*m);
        }
        for m in [&mut self.eac_cpi, &mut self.eac_composite, &mut self.vac] {
            *m = m.map(cents);
        }
        for r in [
            &mut self.spi,
            &mut self.cpi,
            &mut self.tcpi_bac,
            &mut self.tcpi_eac,
            &mut self.percent_complete,
        ] {
            *r = r.map(six);
        }
        if let Some(es) = &mut self.schedule {
            for v in [&mut es.es, &mut es.at, &mut es.pd, &mut es.sv_t] {
                *v = six(*v);
            }
            for r in [&mut es.spi_t, &mut es.tspi, &mut es.ieac_t] {
                *r = r.map(six);
            }
        }
        self
    }
}

/// Fraction complete from a task's progress and its planned work.
pub fn fraction_done(progress: Option<&TaskProgress>, planned: f64) -> f64 {
    let Some(p) = progress else { return 0.0 };
    match p.status {
        TaskStatus::Done => 1.0,
        TaskStatus::NotStarted => 0.0,
        TaskStatus::InProgress => match (p.done, p.remaining) {
            (Some(d), _) => d,
            (None, Some(r)) if planned > 0.0 => (1.0 - r / planned).clamp(0.0, 1.0),
            _ => 0.0,
        },
    }
}

/// What the evaluation needs that the engine computes elsewhere.
pub struct EvmInput<'a> {
    pub program: &'a Program,
    /// The baseline to measure against; `None` to use `plan_dates`.
    pub baseline: Option<&'a Baseline>,
    /// Per task: (start, finish) of the plan as written, scheduled without progress;
    /// stands in for a baseline.
    pub plan_dates: &'a [(NaiveDate, NaiveDate)],
    pub as_of: NaiveDate,
    /// The program calendar at rate 1 per working day.
    pub calendar: &'a Profile,
}

fn metrics(
    lines: &[&Line],
    at_w: f64,
    with_schedule: Option<(&Profile, NaiveDate, f64)>,
) -> Metrics {
    let bac: f64 = lines.iter().map(|l| l.bac).sum();
    let pv: f64 = lines.iter().map(|l| l.pv_at(at_w)).sum();
    let ev: f64 = lines.iter().map(|l| l.bac * l.done).sum();
    let ac: f64 = lines.iter().map(|l| l.ac).sum();
    let etc: f64 = lines.iter().map(|l| l.etc).sum();
    let spi = ratio(ev, pv);
    let cpi = ratio(ev, ac);
    let eac_cpi = cpi.and_then(|c| ratio(bac, c));
    let eac_composite = match (cpi, spi) {
        (Some(c), Some(s)) => ratio(bac - ev, c * s).map(|x| ac + x),
        _ => None,
    };
    let schedule = with_schedule.and_then(|(cal, origin, start_w)| {
        earned_schedule(lines, ev, bac, at_w, start_w, cal, origin)
    });
    Metrics {
        bac,
        pv,
        ev,
        ac,
        sv: ev - pv,
        cv: ev - ac,
        spi,
        cpi,
        etc,
        eac_bottom_up: ac + etc,
        eac_atypical: ac + (bac - ev),
        eac_cpi,
        eac_composite,
        vac: eac_cpi.map(|e| bac - e),
        tcpi_bac: ratio(bac - ev, bac - ac),
        tcpi_eac: eac_cpi.and_then(|e| ratio(bac - ev, e - ac)),
        percent_complete: ratio(ev, bac),
        schedule,
    }
    .rounded()
}

/// Lipke's earned schedule over whole working days: ES = C + (EV − PV_C) / (PV_{C+1} −
/// PV_C), where C is the last day whose cumulative PV does not exceed EV.
fn earned_schedule(
    lines: &[&Line],
    ev: f64,
    bac: f64,
    at_w: f64,
    start_w: f64,
    cal: &Profile,
    origin: NaiveDate,
) -> Option<EarnedSchedule> {
    let finish_w = lines
        .iter()
        .filter(|l| l.bac > 0.0)
        .map(|l| l.to)
        .fold(f64::NAN, f64::max);
    if !finish_w.is_finite() || bac <= 0.0 {
        return None;
    }
    let pd = finish_w - start_w;
    let pv = |t: f64| -> f64 { lines.iter().map(|l| l.pv_at(start_w + t)).sum() };
    // At completion ES is the planned duration, however late (PV is flat after it).
    let es = if ev >= bac - 1e-9 {
        pd
    } else {
        let mut c = 0.0f64;
        let whole = pd.ceil() as i64;
        // PV is non-decreasing, so search for the last whole day with PV <= EV.
        let (mut lo, mut hi) = (0i64, whole);
        while lo < hi {
            let mid = (lo + hi + 1) / 2;
            if pv(mid as f64) <= ev + 1e-9 {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        c += lo as f64;
        let (a, b) = (pv(c), pv(c + 1.0));
        if b > a { c + (ev - a) / (b - a) } else { c }
    };
    let at = at_w - start_w;
    let spi_t = ratio(es, at);
    let ieac_t = spi_t.and_then(|s| ratio(pd, s));
    // Lipke: the efficiency needed on the remaining work to finish at PD; once PD has
    // passed, to finish at IEAC(t) instead. Undefined once all the work is earned, or
    // when no time remains to finish in.
    let complete = ev >= bac - 1e-9;
    let tspi = if complete {
        None
    } else if at < pd {
        ratio(pd - es, pd - at)
    } else {
        ieac_t.filter(|&i| i > at).map(|i| (pd - es) / (i - at))
    };
    let to_date = |t: f64| -> Option<NaiveDate> {
        // The day on which the t-th working day (counting from the start) ends.
        let target = (start_w + t).ceil() as i64;
        let day = cal.first_reaching(target.max(start_w as i64 + 1))? - 1;
        date_of(origin, day)
    };
    Some(EarnedSchedule {
        es,
        at,
        pd,
        sv_t: es - at,
        spi_t,
        tspi,
        ieac_t,
        es_date: to_date(es),
        ieac_t_date: ieac_t.and_then(to_date),
    })
}

/// Evaluates earned value and earned schedule as of `input.as_of`.
pub fn evaluate(input: &EvmInput<'_>) -> EvmReport {
    let program = input.program;
    let origin = program.start;
    let cal = input.calendar;
    let day = |d: NaiveDate| (d - origin).num_days();
    // Working-day coordinate of the end of a day / the start of a day.
    let w_end = |d: NaiveDate| cal.cum(day(d) + 1) as f64;
    let w_start = |d: NaiveDate| cal.cum(day(d)) as f64;
    let progress = program.progress_as_of(input.as_of);
    let at_w = w_end(input.as_of);

    let mut lines = vec![Line::default(); program.tasks.len()];
    let mut baselined = vec![false; program.tasks.len()];
    let mut removed = Vec::new();
    let mut removed_lines = Vec::new();
    match input.baseline {
        Some(b) => {
            for bt in &b.tasks {
                let line = Line {
                    bac: bt.cost.as_units(),
                    from: w_start(bt.start),
                    to: w_end(bt.finish),
                    ..Line::default()
                };
                match bt.task {
                    Some(t) if program.task(t).kind != TaskKind::Summary => {
                        lines[t.index()] = line;
                        baselined[t.index()] = true;
                    }
                    Some(_) => {}
                    None => {
                        removed.push(bt.id.clone());
                        removed_lines.push(line);
                    }
                }
            }
        }
        None => {
            for (i, t) in program.tasks.iter().enumerate() {
                if t.kind == TaskKind::Summary {
                    continue;
                }
                let (s, f) = input.plan_dates[i];
                lines[i] = Line {
                    bac: planned_cost(program, t),
                    from: w_start(s),
                    to: w_end(f),
                    ..Line::default()
                };
                baselined[i] = true;
            }
        }
    }
    for (i, t) in program.tasks.iter().enumerate() {
        if t.kind == TaskKind::Summary {
            continue;
        }
        let planned = planned_work(t);
        let done = fraction_done(progress[i].as_ref(), planned);
        let fixed = t.fixed_cost.map_or(0.0, |m| m.as_units());
        let per_day = labour_per_day(program, t);
        let reported = progress[i].as_ref().and_then(|p| p.cost);
        let remaining_work = match progress[i].as_ref() {
            Some(p) if p.status == TaskStatus::Done => 0.0,
            Some(p) if p.status == TaskStatus::InProgress => {
                p.remaining.unwrap_or((1.0 - done) * planned)
            }
            _ => planned,
        };
        let line = &mut lines[i];
        line.done = if baselined[i] { done } else { 0.0 };
        line.ac = match reported {
            Some(c) => c.as_units(),
            None => done * (per_day * planned + fixed),
        };
        line.etc = remaining_work * per_day + (1.0 - done) * fixed;
    }

    let baseline_start = lines
        .iter()
        .chain(removed_lines.iter())
        .filter(|l| l.bac > 0.0)
        .map(|l| l.from)
        .fold(f64::NAN, f64::min);
    let sched = baseline_start
        .is_finite()
        .then_some((cal, origin, baseline_start));

    let all: Vec<&Line> = lines.iter().chain(removed_lines.iter()).collect();
    let program_metrics = metrics(&all, at_w, sched);

    // Workstreams: every summary, over the leaves beneath it.
    let mut workstreams = Vec::new();
    for (i, t) in program.tasks.iter().enumerate() {
        if t.kind != TaskKind::Summary {
            continue;
        }
        let mut leaves = Vec::new();
        let mut stack = vec![TaskIdx(i as u32)];
        while let Some(s) = stack.pop() {
            for &c in &program.task(s).children {
                if program.task(c).kind == TaskKind::Summary {
                    stack.push(c);
                } else {
                    leaves.push(&lines[c.index()]);
                }
            }
        }
        let start = leaves
            .iter()
            .filter(|l| l.bac > 0.0)
            .map(|l| l.from)
            .fold(f64::NAN, f64::min);
        let sched = start.is_finite().then_some((cal, origin, start));
        workstreams.push(TaskEvm {
            task: t.id.clone(),
            baselined: true,
            budget: t.budget.map(|m| m.as_units()),
            metrics: metrics(&leaves, at_w, sched),
        });
    }
    let tasks = program
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.kind != TaskKind::Summary)
        .map(|(i, t)| TaskEvm {
            task: t.id.clone(),
            baselined: baselined[i],
            budget: t.budget.map(|m| m.as_units()),
            metrics: metrics(&[&lines[i]], at_w, None),
        })
        .collect();

    // Weekly S-curves, at the end of each week (the last day of the workweek).
    let weekly = weekly_series(input, &all, &lines, &baselined, at_w);

    EvmReport {
        as_of: input.as_of,
        baseline: input.baseline.map(|b| b.name.clone()),
        currency: program.currency.clone(),
        budget: program.budget.map(|m| m.as_units()),
        reserve: program.reserve.map(|m| m.as_units()),
        program: program_metrics,
        workstreams,
        tasks,
        removed_from_plan: removed,
        weekly,
    }
}

fn weekly_series(
    input: &EvmInput<'_>,
    all: &[&Line],
    lines: &[Line],
    baselined: &[bool],
    at_w: f64,
) -> Vec<WeekPoint> {
    let program = input.program;
    let origin = program.start;
    let cal = input.calendar;
    let first = all
        .iter()
        .filter(|l| l.bac > 0.0)
        .map(|l| l.from)
        .fold(f64::NAN, f64::min);
    let last = all
        .iter()
        .filter(|l| l.bac > 0.0)
        .map(|l| l.to)
        .fold(f64::NAN, f64::max)
        .max(at_w);
    if !first.is_finite() {
        return Vec::new();
    }
    // Start at the first Sunday on or after the baseline start; weeks end on Sundays,
    // which counts every working day of the week however the workweek is set.
    let start_day = cal.first_reaching(first as i64 + 1).unwrap_or(0) - 1;
    let mut day = start_day;
    while date_of(origin, day).is_some_and(|d| d.weekday() != Weekday::Sun) {
        day += 1;
    }
    let mut out = Vec::new();
    for _ in 0..2000 {
        let Some(date) = date_of(origin, day) else {
            break;
        };
        let w = cal.cum(day + 1) as f64;
        let pv = all.iter().map(|l| l.pv_at(w)).sum();
        let (ev, ac) = if date <= input.as_of {
            let progress = program.progress_as_of(date);
            let mut ev = 0.0;
            let mut ac = 0.0;
            for (i, t) in program.tasks.iter().enumerate() {
                if t.kind == TaskKind::Summary {
                    continue;
                }
                let planned = planned_work(t);
                let done = fraction_done(progress[i].as_ref(), planned);
                if baselined[i] {
                    ev += lines[i].bac * done;
                }
                let fixed = t.fixed_cost.map_or(0.0, |m| m.as_units());
                ac += match progress[i].as_ref().and_then(|p| p.cost) {
                    Some(c) => c.as_units(),
                    None => done * (labour_per_day(program, t) * planned + fixed),
                };
            }
            (Some(ev), Some(ac))
        } else {
            (None, None)
        };
        out.push(WeekPoint {
            week_ending: date,
            pv: cents(pv),
            ev: ev.map(cents),
            ac: ac.map(cents),
        });
        if w >= last {
            break;
        }
        day += 7;
    }
    out
}
