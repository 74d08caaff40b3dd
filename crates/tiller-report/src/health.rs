//! Health rules: a RAG colour per dimension (schedule, budget, scope, risk, resources),
//! per workstream and per milestone, each set by an explicit threshold on a figure
//! from the evidence. The overall colour is the worst dimension, never an average, and
//! every colour carries the rule and the figure that set it.
//!
//! The rules and their defaults are listed in `docs/reports.md`; the plan overrides any
//! threshold in `[health]`.

use chrono::NaiveDate;
use serde::{Serialize, Serializer};
use tiller_core::{HealthDimension, IssueStatus, Program, Rag, RiskKind, Severity, TaskIdx};

use crate::evidence::{Evidence, Outlook};
use crate::raid;
use crate::util::{money, pct, rag_label, ratio, wdays};

/// The thresholds of every rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    pub amber_probability: f64,
    pub red_probability: f64,
    pub amber_slip_days: f64,
    pub red_slip_days: f64,
    pub amber_float_days: f64,
    pub amber_spi_t: f64,
    pub red_spi_t: f64,
    pub amber_cpi: f64,
    pub red_cpi: f64,
    pub amber_overrun: f64,
    pub red_overrun: f64,
    pub amber_scope_growth: f64,
    pub red_scope_growth: f64,
    pub high_risk_score: f64,
    pub red_overdue_high_risks: f64,
    pub amber_overdue_items: f64,
    pub red_critical_issues: f64,
    pub amber_high_issues: f64,
    pub amber_load: f64,
    pub red_load: f64,
    pub load_weeks: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            amber_probability: 0.8,
            red_probability: 0.5,
            amber_slip_days: 5.0,
            red_slip_days: 10.0,
            amber_float_days: 5.0,
            amber_spi_t: 0.95,
            red_spi_t: 0.90,
            amber_cpi: 0.95,
            red_cpi: 0.90,
            amber_overrun: 0.0,
            red_overrun: 0.10,
            amber_scope_growth: 0.05,
            red_scope_growth: 0.10,
            high_risk_score: 10.0,
            red_overdue_high_risks: 1.0,
            amber_overdue_items: 1.0,
            red_critical_issues: 1.0,
            amber_high_issues: 1.0,
            amber_load: 1.0,
            red_load: 1.25,
            load_weeks: 6.0,
        }
    }
}

impl Thresholds {
    /// The field behind a `[health]` key.
    fn field(&mut self, key: &str) -> Option<&mut f64> {
        Some(match key {
            "amber_probability" => &mut self.amber_probability,
            "red_probability" => &mut self.red_probability,
            "amber_slip_days" => &mut self.amber_slip_days,
            "red_slip_days" => &mut self.red_slip_days,
            "amber_float_days" => &mut self.amber_float_days,
            "amber_spi_t" => &mut self.amber_spi_t,
            "red_spi_t" => &mut self.red_spi_t,
            "amber_cpi" => &mut self.amber_cpi,
            "red_cpi" => &mut self.red_cpi,
            "amber_overrun" => &mut self.amber_overrun,
            "red_overrun" => &mut self.red_overrun,
            "amber_scope_growth" => &mut self.amber_scope_growth,
            "red_scope_growth" => &mut self.red_scope_growth,
            "high_risk_score" => &mut self.high_risk_score,
            "red_overdue_high_risks" => &mut self.red_overdue_high_risks,
            "amber_overdue_items" => &mut self.amber_overdue_items,
            "red_critical_issues" => &mut self.red_critical_issues,
            "amber_high_issues" => &mut self.amber_high_issues,
            "amber_load" => &mut self.amber_load,
            "red_load" => &mut self.red_load,
            "load_weeks" => &mut self.load_weeks,
            _ => return None,
        })
    }

    /// The defaults with the plan's `[health]` values on top.
    pub fn for_program(program: &Program) -> Thresholds {
        let mut t = Thresholds::default();
        for (k, v) in &program.reporting.health {
            if let Some(f) = t.field(k) {
                *f = *v;
            }
        }
        t
    }

    /// Every key with its value, in `[health]` order.
    pub fn entries(&self) -> Vec<(&'static str, f64)> {
        let mut copy = self.clone();
        tiller_core::HEALTH_KEYS
            .iter()
            .filter_map(|k| copy.field(k).map(|v| (*k, *v)))
            .collect()
    }
}

/// Red below `red`, amber below `amber`, else green: for figures where lower is worse
/// (probabilities, SPI(t), CPI).
pub fn lower_is_worse(value: f64, amber: f64, red: f64) -> Rag {
    if value < red {
        Rag::Red
    } else if value < amber {
        Rag::Amber
    } else {
        Rag::Green
    }
}

/// Red above `red`, amber above `amber`, else green: for figures where higher is worse
/// (slips, overruns, growth, load).
pub fn higher_is_worse(value: f64, amber: f64, red: f64) -> Rag {
    if value > red {
        Rag::Red
    } else if value > amber {
        Rag::Amber
    } else {
        Rag::Green
    }
}

/// `colour` when `count` reaches `threshold` (a threshold of 0 turns the rule off).
pub fn count_reaches(count: usize, threshold: f64, colour: Rag) -> Rag {
    if threshold > 0.0 && count as f64 >= threshold {
        colour
    } else {
        Rag::Green
    }
}

fn ser_rag<S: Serializer>(c: &Rag, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.key())
}

fn ser_opt_rag<S: Serializer>(c: &Option<Rag>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_str(c.key()),
        None => s.serialize_none(),
    }
}

fn ser_opt_dim<S: Serializer>(d: &Option<HealthDimension>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(d.key()),
        None => s.serialize_none(),
    }
}

fn ser_dim<S: Serializer>(d: &HealthDimension, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.key())
}

/// One rule applied to one subject: the colour it gives, the figure and the threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    #[serde(serialize_with = "ser_dim")]
    pub dimension: HealthDimension,
    /// The rule's name, e.g. `promise-probability` (see docs/reports.md).
    pub rule: &'static str,
    /// What it is about: `program`, a milestone, a workstream or a team.
    pub subject: String,
    #[serde(serialize_with = "ser_rag")]
    pub colour: Rag,
    /// The figure, e.g. `P(on time) 12%`.
    pub figure: String,
    /// The thresholds, e.g. `amber below 80%, red below 50%`.
    pub threshold: String,
    /// A sentence a report can quote.
    pub message: String,
}

/// A dimension's colour: the worst of its findings (the first such in rule order).
#[derive(Debug, Clone, Serialize)]
pub struct DimensionHealth {
    #[serde(serialize_with = "ser_dim")]
    pub dimension: HealthDimension,
    /// `None` when no rule could be applied (the evidence is missing).
    #[serde(serialize_with = "ser_opt_rag")]
    pub colour: Option<Rag>,
    /// Why it has this colour: the deciding finding's message, or why it is not assessed.
    pub reason: String,
    pub findings: Vec<Finding>,
}

/// The colour of a workstream or a milestone.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectHealth {
    pub id: String,
    pub name: String,
    #[serde(serialize_with = "ser_opt_rag")]
    pub colour: Option<Rag>,
    pub reason: String,
    pub findings: Vec<Finding>,
}

/// The colours of an earlier report.
#[derive(Debug, Clone, Serialize)]
pub struct Previous {
    pub date: NaiveDate,
    /// Where they come from: "the report of 2027-01-29", "the plan at HEAD~1".
    pub source: String,
    #[serde(serialize_with = "ser_opt_rag")]
    pub overall: Option<Rag>,
    #[serde(skip)]
    pub dimensions: Vec<(HealthDimension, Rag)>,
}

impl Previous {
    pub fn dimension(&self, d: HealthDimension) -> Option<Rag> {
        self.dimensions
            .iter()
            .find(|(x, _)| *x == d)
            .map(|(_, c)| *c)
    }
}

/// The health of a program as of its status date.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    pub as_of: NaiveDate,
    /// The worst dimension; `None` when no dimension could be assessed.
    #[serde(serialize_with = "ser_opt_rag")]
    pub overall: Option<Rag>,
    pub overall_reason: String,
    /// The dimension that set the overall colour (the first of the worst).
    #[serde(serialize_with = "ser_opt_dim")]
    pub deciding: Option<HealthDimension>,
    pub dimensions: Vec<DimensionHealth>,
    pub milestones: Vec<SubjectHealth>,
    pub workstreams: Vec<SubjectHealth>,
    /// Rules that could not be applied, and why.
    pub not_assessed: Vec<String>,
    pub thresholds: Thresholds,
    pub previous: Option<Previous>,
}

impl Health {
    pub fn dimension(&self, d: HealthDimension) -> &DimensionHealth {
        &self.dimensions[HealthDimension::ALL
            .iter()
            .position(|x| *x == d)
            .unwrap_or_default()]
    }

    /// `RED (was AMBER on 2027-01-29: worse)`, or just the label without history.
    pub fn headline(&self) -> String {
        let now = rag_label(self.overall);
        match &self.previous {
            Some(p) => format!(
                "{now} (was {} on {}: {})",
                rag_label(p.overall),
                p.date,
                crate::util::transition(self.overall, p.overall)
            ),
            None => now.to_string(),
        }
    }
}

/// Figures are compared at six decimals, so a value shown at a threshold is on it.
fn six(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn worst(findings: &[Finding]) -> Option<&Finding> {
    let mut best: Option<&Finding> = None;
    for f in findings {
        if best.is_none_or(|b| f.colour > b.colour) {
            best = Some(f);
        }
    }
    best
}

fn probability_threshold(t: &Thresholds) -> String {
    format!(
        "amber below {}, red below {}",
        pct(t.amber_probability),
        pct(t.red_probability)
    )
}

fn slip_threshold(t: &Thresholds) -> String {
    format!(
        "amber above {} working days, red above {}",
        t.amber_slip_days, t.red_slip_days
    )
}

struct Rules<'e, 'a> {
    e: &'e Evidence<'a>,
    t: &'e Thresholds,
    not_assessed: Vec<String>,
}

impl Rules<'_, '_> {
    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        dimension: HealthDimension,
        rule: &'static str,
        subject: &str,
        colour: Rag,
        figure: String,
        threshold: String,
        message: String,
    ) -> Finding {
        Finding {
            dimension,
            rule,
            subject: subject.to_string(),
            colour,
            figure,
            threshold,
            message,
        }
    }

    /// promise-met, promise-probability and promise-float for a promised milestone.
    fn promise(&self, o: &Outlook, out: &mut Vec<Finding>) {
        let Some(promised) = o.promised else { return };
        let t = self.t;
        let s = HealthDimension::Schedule;
        if o.done {
            let late = self.e.wd(promised, o.cpm);
            let colour = if late > 0 { Rag::Red } else { Rag::Green };
            out.push(self.finding(
                s,
                "promise-met",
                &o.id,
                colour,
                format!("reached {}", o.cpm),
                "red when reached after the promise".to_string(),
                if late > 0 {
                    format!(
                        "`{}` was reached on {}, {} after its promise {promised}",
                        o.id,
                        o.cpm,
                        wdays(late)
                    )
                } else {
                    format!("`{}` was reached on {}, promised {promised}", o.id, o.cpm)
                },
            ));
            return;
        }
        if let Some(p) = o.probability {
            let colour = lower_is_worse(p, t.amber_probability, t.red_probability);
            out.push(self.finding(
                s,
                "promise-probability",
                &o.id,
                colour,
                format!("P(on time) {}", pct(p)),
                probability_threshold(t),
                format!(
                    "`{}` has a {} chance of meeting its promise {promised}{}",
                    o.id,
                    pct(p),
                    o.p80.map(|d| format!(" (P80 {d})")).unwrap_or_default()
                ),
            ));
        }
        let float = self.e.wd(o.cpm, promised);
        let colour = if float < 0 {
            Rag::Red
        } else if (float as f64) < t.amber_float_days {
            Rag::Amber
        } else {
            Rag::Green
        };
        out.push(self.finding(
            s,
            "promise-float",
            &o.id,
            colour,
            format!("float {float}"),
            format!(
                "red when the critical-path date misses the promise, amber below {} working days of float",
                t.amber_float_days
            ),
            if float < 0 {
                format!(
                    "`{}` is on the critical path to {}, {} after its promise {promised}",
                    o.id,
                    o.cpm,
                    wdays(-float)
                )
            } else {
                format!(
                    "`{}` has {} of float to its promise {promised} (critical-path date {})",
                    o.id,
                    wdays(float),
                    o.cpm
                )
            },
        ));
    }

    /// p80-slip: the P80 date (or the actual date) against the baseline.
    fn slip(&self, o: &Outlook, out: &mut Vec<Finding>) {
        let Some(base) = o.baseline else { return };
        let (date, what) = if o.done {
            (o.cpm, "reached")
        } else if let Some(p80) = o.p80 {
            (p80, "P80")
        } else {
            return;
        };
        let slip = self.e.wd(base, date);
        let t = self.t;
        out.push(self.finding(
            HealthDimension::Schedule,
            "p80-slip",
            &o.id,
            higher_is_worse(slip as f64, t.amber_slip_days, t.red_slip_days),
            format!("{what} {date}, {slip:+} working days"),
            slip_threshold(t),
            format!(
                "`{}` {what} {date} is {} {} its baseline {base}",
                o.id,
                wdays(slip.abs()),
                if slip >= 0 { "after" } else { "before" }
            ),
        ));
    }

    fn spi_t(
        &self,
        subject: &str,
        es: Option<&tiller_engine::evm::EarnedSchedule>,
        out: &mut Vec<Finding>,
    ) {
        let Some(es) = es else { return };
        let Some(v) = es.spi_t else { return };
        let t = self.t;
        out.push(self.finding(
            HealthDimension::Schedule,
            "spi-t",
            subject,
            lower_is_worse(v, t.amber_spi_t, t.red_spi_t),
            format!("SPI(t) {}", ratio(v)),
            format!("amber below {}, red below {}", t.amber_spi_t, t.red_spi_t),
            format!(
                "`{subject}` runs at SPI(t) {}: the work planned for its first {:.1} working days took {:.1}",
                ratio(v),
                es.es,
                es.at
            ),
        ));
    }

    fn cpi(&self, subject: &str, cpi: Option<f64>, out: &mut Vec<Finding>) {
        let Some(v) = cpi else { return };
        let t = self.t;
        out.push(self.finding(
            HealthDimension::Budget,
            "cpi",
            subject,
            lower_is_worse(v, t.amber_cpi, t.red_cpi),
            format!("CPI {}", ratio(v)),
            format!("amber below {}, red below {}", t.amber_cpi, t.red_cpi),
            format!(
                "`{subject}` earns {} of value per unit spent (CPI {})",
                ratio(v),
                ratio(v)
            ),
        ));
    }

    fn overrun(&self, subject: &str, eac: f64, budget: f64, what: &str, out: &mut Vec<Finding>) {
        if budget <= 0.0 {
            return;
        }
        let t = self.t;
        let over = six(eac / budget - 1.0);
        out.push(self.finding(
            HealthDimension::Budget,
            "eac-overrun",
            subject,
            higher_is_worse(over, t.amber_overrun, t.red_overrun),
            format!("EAC {} of {} {what}", money(eac), money(budget)),
            format!(
                "amber above {} over budget, red above {}",
                pct(t.amber_overrun),
                pct(t.red_overrun)
            ),
            format!(
                "`{subject}` is estimated to cost {} at completion against its {what} of {} ({}{})",
                money(eac),
                money(budget),
                if over >= 0.0 { "+" } else { "" },
                pct(over)
            ),
        ));
    }

    fn program_rules(&mut self) -> Vec<Finding> {
        let e = self.e;
        let t = self.t;
        let mut out = Vec::new();
        // Schedule.
        // Promises first: when several findings are equally bad, a promise to
        // stakeholders is what the report leads with.
        for o in &e.outlook {
            self.promise(o, &mut out);
        }
        for o in &e.outlook {
            self.slip(o, &mut out);
        }
        if e.forecast.is_none() {
            self.not_assessed
                .push("promise-probability and p80-slip: no forecast was run".to_string());
        }
        match e.evm.as_ref().and_then(|r| r.program.schedule.as_ref()) {
            Some(es) if es.spi_t.is_some() => self.spi_t("program", Some(es), &mut out),
            _ => self.not_assessed.push(
                "spi-t: earned schedule needs a baseline, a status date after the baseline start and budgeted work"
                    .to_string(),
            ),
        }
        // Budget.
        match &e.evm {
            Some(r) => {
                let m = &r.program;
                if m.cpi.is_none() {
                    self.not_assessed
                        .push("cpi: nothing has been spent yet (AC = 0)".to_string());
                }
                self.cpi("program", m.cpi, &mut out);
                let eac = m.eac_cpi.unwrap_or(m.eac_bottom_up).max(m.eac_bottom_up);
                let (budget, what) = match r.budget {
                    Some(b) => (b, "budget"),
                    None => (m.bac, "budget at completion (BAC)"),
                };
                self.overrun("program", eac, budget, what, &mut out);
            }
            None => self.not_assessed.push(
                "cpi and eac-overrun: earned value needs a baseline and a status date".to_string(),
            ),
        }
        if let Some(f) = &e.forecast
            && let Some(p) = f.cost.probability_within_budget
        {
            out.push(self.finding(
                HealthDimension::Budget,
                "cost-probability",
                "program",
                lower_is_worse(p, t.amber_probability, t.red_probability),
                format!("P(within budget) {}", pct(p)),
                probability_threshold(t),
                format!(
                    "the forecast gives a {} chance of finishing within the budget of {} (P80 cost {})",
                    pct(p),
                    money(f.cost.budget.unwrap_or_default()),
                    money(f.cost.p80)
                ),
            ));
        }
        // Scope.
        match e.baseline {
            Some(b) => {
                let base: f64 = b.tasks.iter().map(|bt| bt.work).sum();
                let now: f64 = e
                    .program
                    .tasks
                    .iter()
                    .map(tiller_engine::cost::planned_work)
                    .sum();
                let added = e
                    .program
                    .tasks
                    .iter()
                    .enumerate()
                    .filter(|(i, t)| {
                        t.kind == tiller_core::TaskKind::Leaf
                            && e.baseline_of(TaskIdx(*i as u32)).is_none()
                    })
                    .count();
                if base > 0.0 {
                    let growth = six(now / base - 1.0);
                    out.push(self.finding(
                        HealthDimension::Scope,
                        "scope-growth",
                        "program",
                        higher_is_worse(growth, t.amber_scope_growth, t.red_scope_growth),
                        format!("{}{} planned work", if growth >= 0.0 { "+" } else { "" }, pct(growth)),
                        format!(
                            "amber above {} growth since the baseline, red above {}",
                            pct(t.amber_scope_growth),
                            pct(t.red_scope_growth)
                        ),
                        format!(
                            "planned work is {:.0} days against {:.0} in baseline `{}` ({}{}; {} task{} added since)",
                            now,
                            base,
                            b.name,
                            if growth >= 0.0 { "+" } else { "" },
                            pct(growth),
                            added,
                            if added == 1 { "" } else { "s" }
                        ),
                    ));
                } else {
                    self.not_assessed
                        .push("scope-growth: the baseline records no work".to_string());
                }
            }
            None => self
                .not_assessed
                .push("scope-growth: no baseline to compare the scope with".to_string()),
        }
        // Risk.
        out.extend(self.risk_rules("program", None));
        // Resources.
        match &e.load {
            Some(_) => {
                if let Some(f) = self.peak_load("program", None) {
                    out.push(f);
                }
            }
            None => self
                .not_assessed
                .push("peak-load: the weekly load could not be computed".to_string()),
        }
        out
    }

    /// The risk rules for the program (`within` = None) or a workstream.
    fn risk_rules(&self, subject: &str, within: Option<TaskIdx>) -> Vec<Finding> {
        let e = self.e;
        let p = e.program;
        let t = self.t;
        let touches = |links: &[tiller_core::RaidLink]| match within {
            None => true,
            Some(w) => raid::touches(p, links, w),
        };
        let scale = raid::cost_scale(p);
        let overdue: Vec<raid::Overdue> = raid::overdue(p, e.status_date)
            .into_iter()
            .filter(|o| touches(&o.affects))
            .collect();
        let overdue_high: Vec<&raid::Overdue> = overdue
            .iter()
            .filter(|o| {
                o.kind == raid::RaidKind::Risk
                    && p.risks.iter().any(|r| {
                        r.id == o.id
                            && r.kind == RiskKind::Threat
                            && f64::from(
                                raid::probability_band(r.impact.probability)
                                    * raid::impact(r, scale).0,
                            ) >= t.high_risk_score
                    })
            })
            .collect();
        let ids = |v: &[&raid::Overdue]| {
            v.iter()
                .map(|o| format!("`{}` (due {})", o.id, o.due))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut out = Vec::new();
        let risk = HealthDimension::Risk;
        let n = overdue_high.len();
        out.push(self.finding(
            risk,
            "overdue-high-risks",
            subject,
            count_reaches(n, t.red_overdue_high_risks, Rag::Red),
            format!("{n} overdue high risk{}", if n == 1 { "" } else { "s" }),
            format!(
                "red at {} open high risk(s) (score at least {}) past their mitigation date",
                t.red_overdue_high_risks, t.high_risk_score
            ),
            if n == 0 {
                "no high risk is past its mitigation date".to_string()
            } else {
                format!(
                    "high risks past their mitigation date: {}",
                    ids(&overdue_high)
                )
            },
        ));
        let all: Vec<&raid::Overdue> = overdue.iter().collect();
        let n = all.len();
        out.push(self.finding(
            risk,
            "overdue-items",
            subject,
            count_reaches(n, t.amber_overdue_items, Rag::Amber),
            format!("{n} overdue RAID entr{}", if n == 1 { "y" } else { "ies" }),
            format!(
                "amber at {} open entries past their date",
                t.amber_overdue_items
            ),
            if n == 0 {
                "no open RAID entry is past its date".to_string()
            } else {
                format!("open RAID entries past their date: {}", ids(&all))
            },
        ));
        let open_issues = |sev: Severity| {
            p.issues
                .iter()
                .filter(|i| {
                    i.status == IssueStatus::Open && i.severity == sev && touches(&i.affects)
                })
                .map(|i| format!("`{}`", i.id))
                .collect::<Vec<_>>()
        };
        let critical = open_issues(Severity::Critical);
        let high = open_issues(Severity::High);
        let colour = count_reaches(critical.len(), t.red_critical_issues, Rag::Red)
            .max(count_reaches(high.len(), t.amber_high_issues, Rag::Amber));
        out.push(self.finding(
            risk,
            "open-issues",
            subject,
            colour,
            format!(
                "{} critical, {} high open issues",
                critical.len(),
                high.len()
            ),
            format!(
                "red at {} open critical issue(s), amber at {} open high ones",
                t.red_critical_issues, t.amber_high_issues
            ),
            match (critical.is_empty(), high.is_empty()) {
                (true, true) => "no critical or high issue is open".to_string(),
                (false, true) => format!("open critical issues: {}", critical.join(", ")),
                (true, false) => format!("open high-severity issues: {}", high.join(", ")),
                (false, false) => format!(
                    "open critical issues: {}; open high-severity issues: {}",
                    critical.join(", "),
                    high.join(", ")
                ),
            },
        ));
        out
    }

    /// peak-load: the highest weekly load (assigned ÷ capacity) of a person, team or
    /// shared resource in the weeks after the status date; `team` restricts it to one
    /// team and its members.
    fn peak_load(&self, subject: &str, team: Option<tiller_core::TeamIdx>) -> Option<Finding> {
        let e = self.e;
        let t = self.t;
        let load = e.load.as_ref()?;
        if t.load_weeks <= 0.0 {
            return None;
        }
        let p = e.program;
        let status_day = (e.status_date - p.start).num_days();
        let weeks: Vec<usize> = load
            .weeks
            .iter()
            .enumerate()
            .filter(|(_, w)| **w + 6 > status_day)
            .map(|(i, _)| i)
            .take(t.load_weeks as usize)
            .collect();
        let mut peak: Option<(f64, String, usize)> = None;
        for row in &load.rows {
            let (name, in_team) = match row.holder {
                tiller_engine::level::LoadHolder::Person(x) => (
                    p.person(x).id.clone(),
                    team.is_none_or(|tm| p.person(x).team == Some(tm)),
                ),
                tiller_engine::level::LoadHolder::Team(x) => {
                    (p.team(x).id.clone(), team.is_none_or(|tm| tm == x))
                }
                tiller_engine::level::LoadHolder::Shared(x) => {
                    (p.resources[x.index()].id.clone(), team.is_none())
                }
            };
            if !in_team {
                continue;
            }
            for &w in &weeks {
                let cell = row.weeks[w];
                if cell.assigned <= 0 {
                    continue;
                }
                let l = if cell.capacity > 0 {
                    cell.assigned as f64 / cell.capacity as f64
                } else {
                    f64::INFINITY
                };
                if peak.as_ref().is_none_or(|(best, _, _)| l > *best) {
                    peak = Some((l, name.clone(), w));
                }
            }
        }
        let threshold = format!(
            "amber above {}, red above {} of capacity in any of the {} weeks after the status date",
            pct(t.amber_load),
            pct(t.red_load),
            t.load_weeks
        );
        Some(match peak {
            None => self.finding(
                HealthDimension::Resources,
                "peak-load",
                subject,
                Rag::Green,
                "no work assigned".to_string(),
                threshold,
                format!(
                    "nobody has work assigned in the {} weeks after the status date",
                    t.load_weeks
                ),
            ),
            Some((l, who, w)) => {
                let week = crate::util::date_after(p.start, load.weeks[w]);
                let figure = if l.is_finite() {
                    pct(l)
                } else {
                    "work with no capacity".to_string()
                };
                self.finding(
                    HealthDimension::Resources,
                    "peak-load",
                    subject,
                    higher_is_worse(l, t.amber_load, t.red_load),
                    format!("`{who}` at {figure} in the week of {week}"),
                    threshold,
                    format!(
                        "the busiest week is {week}: `{who}` is asked for {figure} of its capacity (critical-path schedule, not leveled)"
                    ),
                )
            }
        })
    }

    fn milestone(&self, o: &Outlook) -> SubjectHealth {
        let mut findings = Vec::new();
        self.promise(o, &mut findings);
        self.slip(o, &mut findings);
        subject(&o.id, &o.name, findings)
    }

    fn workstream(&self, ws: TaskIdx) -> SubjectHealth {
        let e = self.e;
        let p = e.program;
        let task = p.task(ws);
        let t = self.t;
        let mut out = Vec::new();
        // Schedule: the workstream's finish against its baseline, and its SPI(t).
        if !e.is_done(ws)
            && let Some((_, base)) = e.baseline_span(ws)
        {
            let finish = e.schedule.finish_date(ws);
            let slip = e.wd(base, finish);
            out.push(self.finding(
                HealthDimension::Schedule,
                "finish-slip",
                &task.id,
                higher_is_worse(slip as f64, t.amber_slip_days, t.red_slip_days),
                format!("finish {finish}, {slip:+} working days"),
                slip_threshold(t),
                format!(
                    "`{}` finishes {finish} on the critical-path schedule, {} {} its baseline {base}",
                    task.id,
                    wdays(slip.abs()),
                    if slip >= 0 { "after" } else { "before" }
                ),
            ));
        }
        let evm = e
            .evm
            .as_ref()
            .and_then(|r| r.workstreams.iter().find(|w| w.task == task.id));
        if let Some(w) = evm {
            self.spi_t(&task.id, w.metrics.schedule.as_ref(), &mut out);
            self.cpi(&task.id, w.metrics.cpi, &mut out);
            if let Some(b) = task.budget {
                let m = &w.metrics;
                let eac = m.eac_cpi.unwrap_or(m.eac_bottom_up).max(m.eac_bottom_up);
                self.overrun(&task.id, eac, b.as_units(), "budget", &mut out);
            }
        }
        out.extend(
            self.risk_rules(&task.id, Some(ws))
                .into_iter()
                .filter(|f| f.colour != Rag::Green),
        );
        if let Some(team) = task.team
            && let Some(f) = self.peak_load(&task.id, Some(team))
        {
            out.push(f);
        }
        subject(&task.id, &task.name, out)
    }
}

fn subject(id: &str, name: &str, findings: Vec<Finding>) -> SubjectHealth {
    let w = worst(&findings);
    SubjectHealth {
        id: id.to_string(),
        name: name.to_string(),
        colour: w.map(|f| f.colour),
        reason: w.map_or_else(|| "no rule applies".to_string(), |f| f.message.clone()),
        findings,
    }
}

/// Applies every rule to the evidence.
pub fn assess(e: &Evidence<'_>, previous: Option<Previous>) -> Health {
    let t = Thresholds::for_program(e.program);
    let mut rules = Rules {
        e,
        t: &t,
        not_assessed: Vec::new(),
    };
    let findings = rules.program_rules();
    let dimensions: Vec<DimensionHealth> = HealthDimension::ALL
        .iter()
        .map(|&d| {
            let fs: Vec<Finding> = findings
                .iter()
                .filter(|f| f.dimension == d)
                .cloned()
                .collect();
            let w = worst(&fs);
            DimensionHealth {
                dimension: d,
                colour: w.map(|f| f.colour),
                reason: w.map_or_else(
                    || format!("not assessed: no {} rule could be applied", d.key()),
                    |f| f.message.clone(),
                ),
                findings: fs,
            }
        })
        .collect();
    let milestones = e
        .outlook
        .iter()
        .filter(|o| o.task.is_some())
        .map(|o| rules.milestone(o))
        .collect();
    let workstreams = crate::util::workstreams(e.program)
        .into_iter()
        .map(|w| rules.workstream(w))
        .collect();
    let deciding = dimensions.iter().filter(|d| d.colour.is_some()).fold(
        None::<&DimensionHealth>,
        |best, d| match best {
            Some(b) if b.colour >= d.colour => Some(b),
            _ => Some(d),
        },
    );
    let overall = deciding.and_then(|d| d.colour);
    let overall_reason = match deciding {
        Some(d) => format!(
            "{} is {}: {}",
            d.dimension.key(),
            rag_label(d.colour),
            d.reason
        ),
        None => "no dimension could be assessed".to_string(),
    };
    Health {
        as_of: e.status_date,
        overall,
        overall_reason,
        deciding: deciding.map(|d| d.dimension),
        dimensions,
        milestones,
        workstreams,
        not_assessed: rules.not_assessed,
        thresholds: t,
        previous,
    }
}

/// Health without a Monte Carlo forecast (for views that must answer quickly, like
/// the server's), with milestone probabilities supplied by the caller when it has
/// them: `(milestone id, probability of meeting its promise)`.
pub fn assess_without_forecast(
    program: &Program,
    schedule: &tiller_engine::Schedule,
    odds: &[(String, f64)],
) -> Result<Health, crate::evidence::EvidenceError> {
    let options = crate::evidence::Options {
        baseline: None,
        iterations: 0,
        seed: 1,
        tornado: false,
    };
    let mut e = Evidence::gather_from(program, schedule, &options)?;
    for o in &mut e.outlook {
        if let Some((_, p)) = odds.iter().find(|(id, _)| *id == o.id) {
            o.probability = Some(*p);
        }
    }
    Ok(assess(&e, previous_from_history(program, e.status_date)))
}

/// The previous report in the plan's history: the latest one dated before `as_of`.
pub fn previous_from_history(program: &Program, as_of: NaiveDate) -> Option<Previous> {
    let r = program
        .reporting
        .history
        .iter()
        .rev()
        .find(|r| r.date < as_of)?;
    Some(Previous {
        date: r.date,
        source: format!("the report of {}", r.date),
        overall: r.overall,
        dimensions: r.dimensions.clone(),
    })
}

/// The colours of another health assessment (an earlier version of the plan) as the
/// previous report.
pub fn previous_from(h: &Health, source: String) -> Previous {
    Previous {
        date: h.as_of,
        source,
        overall: h.overall,
        dimensions: h
            .dimensions
            .iter()
            .filter_map(|d| d.colour.map(|c| (d.dimension, c)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_is_worse_boundaries_are_strict() {
        assert_eq!(lower_is_worse(0.80, 0.8, 0.5), Rag::Green);
        assert_eq!(lower_is_worse(0.79, 0.8, 0.5), Rag::Amber);
        assert_eq!(lower_is_worse(0.50, 0.8, 0.5), Rag::Amber);
        assert_eq!(lower_is_worse(0.49, 0.8, 0.5), Rag::Red);
    }

    #[test]
    fn higher_is_worse_boundaries_are_strict() {
        assert_eq!(higher_is_worse(5.0, 5.0, 10.0), Rag::Green);
        assert_eq!(higher_is_worse(6.0, 5.0, 10.0), Rag::Amber);
        assert_eq!(higher_is_worse(10.0, 5.0, 10.0), Rag::Amber);
        assert_eq!(higher_is_worse(11.0, 5.0, 10.0), Rag::Red);
    }

    #[test]
    fn count_rules_turn_off_at_zero() {
        assert_eq!(count_reaches(0, 1.0, Rag::Red), Rag::Green);
        assert_eq!(count_reaches(1, 1.0, Rag::Red), Rag::Red);
        assert_eq!(count_reaches(2, 3.0, Rag::Amber), Rag::Green);
        assert_eq!(count_reaches(5, 0.0, Rag::Red), Rag::Green);
    }

    #[test]
    fn every_health_key_has_a_threshold() {
        let mut t = Thresholds::default();
        for k in tiller_core::HEALTH_KEYS {
            assert!(t.field(k).is_some(), "no threshold for `{k}`");
        }
        assert_eq!(t.entries().len(), tiller_core::HEALTH_KEYS.len());
    }
}
