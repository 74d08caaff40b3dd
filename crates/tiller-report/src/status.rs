//! The status report: drafted from the evidence and the health rules, per audience.
//! [`build`] assembles it; `markdown` and `html` render it.

use chrono::{Days, NaiveDate};
use serde::Serialize;
use tiller_app::Analysis;
use tiller_core::{
    Audience, DecisionStatus, IssueStatus, Rag, RiskStatus, TaskIdx, TaskKind, TaskStatus,
};
use tiller_engine::diff::PlanDiff;

use crate::charts::{self, Chart};
use crate::evidence::{Evidence, EvidenceError, Options};
use crate::health::{self, Health, Previous, SubjectHealth};
use crate::raid::{self, DecisionView, IssueView, RiskView};
use crate::stakeholders::{self, StakeholderRow};
use crate::util::{money, pct, ratio, team_name, wdays};

/// An earlier version of the plan to compare with (`--since`).
pub struct Since<'a> {
    /// How to name it: "examples/checkout/program.toml at HEAD~1".
    pub label: String,
    pub analysis: &'a Analysis,
}

/// What to report and for whom.
pub struct ReportOptions<'a> {
    pub evidence: Options,
    pub audience: Audience,
    /// A stakeholder id (or a person id of one): picks their audience and adds their part.
    pub stakeholder: Option<String>,
    pub since: Option<Since<'a>>,
    /// Earlier versions (git revisions, say) whose forecasts become points of the
    /// forecast-drift chart, besides the plan's report history.
    pub drift: Vec<Since<'a>>,
    /// Draw the SVG charts (the HTML report embeds them).
    pub charts: bool,
}

impl ReportOptions<'static> {
    /// `tiller report` with no options: the team's report with the plan's forecast
    /// iterations and seed, nothing to compare with, charts drawn.
    pub fn for_program(program: &tiller_core::Program) -> Self {
        ReportOptions {
            evidence: Options::for_program(program),
            audience: Audience::Team,
            stakeholder: None,
            since: None,
            drift: Vec::new(),
            charts: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error("no stakeholder `{0}` in the plan; {1}")]
    UnknownStakeholder(String, String),
}

#[derive(Debug, Clone, Serialize)]
pub struct PreparedFor {
    pub id: String,
    pub name: String,
    pub role: Option<String>,
    pub cadence: Option<&'static str>,
    pub channel: Option<String>,
    /// Their RACI letters, with where each item stands.
    pub raci: Vec<RaciLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RaciLine {
    pub role: &'static str,
    pub id: String,
    pub name: String,
    pub finish: NaiveDate,
    pub colour: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MilestoneRow {
    pub id: String,
    pub name: String,
    pub baseline: Option<NaiveDate>,
    /// The critical-path date (the actual date once reached).
    pub forecast: NaiveDate,
    pub p50: Option<NaiveDate>,
    pub p80: Option<NaiveDate>,
    /// P80 (or the actual date) against the baseline, working days.
    pub variance: Option<i64>,
    pub promised: Option<NaiveDate>,
    pub probability: Option<f64>,
    pub done: bool,
    pub colour: Option<&'static str>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DoneItem {
    pub id: String,
    pub name: String,
    pub date: NaiveDate,
    pub team: Option<String>,
    pub milestone: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Note {
    pub task: String,
    pub date: NaiveDate,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Accomplishments {
    /// Everything after this date up to the status date counts.
    pub since: NaiveDate,
    pub since_source: String,
    pub finished: Vec<DoneItem>,
    pub decisions: Vec<String>,
    pub notes: Vec<Note>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DependencyAtRisk {
    /// The team that waits.
    pub waiting: String,
    /// The team it waits on.
    pub upstream: String,
    pub task: String,
    pub after: String,
    pub link: String,
    pub upstream_finish: NaiveDate,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BudgetSection {
    pub currency: String,
    pub budget: Option<f64>,
    pub reserve: Option<f64>,
    pub bac: f64,
    pub spent: f64,
    pub earned: f64,
    pub cpi: Option<f64>,
    pub spi: Option<f64>,
    /// The larger of the bottom-up and the CPI-based estimates at completion.
    pub eac: f64,
    pub eac_bottom_up: f64,
    pub eac_cpi: Option<f64>,
    /// Budget (else BAC) minus EAC.
    pub variance: f64,
    pub p80_cost: Option<f64>,
    pub probability_within_budget: Option<f64>,
}

impl BudgetSection {
    /// The budget table as every format shows it: label and formatted
    /// figure, in order, only the figures that exist.
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        use crate::util::{money, pct, ratio};
        let na = || "n/a".to_string();
        let mut rows = Vec::with_capacity(12);
        if let Some(x) = self.budget {
            rows.push(("Authorised budget", money(x)));
        }
        if let Some(x) = self.reserve {
            rows.push(("Management reserve", money(x)));
        }
        rows.push(("Budget at completion (BAC)", money(self.bac)));
        rows.push(("Spent (AC)", money(self.spent)));
        rows.push(("Earned (EV)", money(self.earned)));
        rows.push(("CPI", self.cpi.map_or_else(na, ratio)));
        rows.push(("SPI", self.spi.map_or_else(na, ratio)));
        rows.push(("EAC, bottom-up", money(self.eac_bottom_up)));
        rows.push(("EAC, BAC ÷ CPI", self.eac_cpi.map_or_else(na, money)));
        rows.push((
            if self.budget.is_some() {
                "Variance (budget − EAC)"
            } else {
                "Variance (BAC − EAC)"
            },
            money(self.variance),
        ));
        if let Some(x) = self.p80_cost {
            rows.push(("Forecast P80 cost", money(x)));
        }
        if let Some(x) = self.probability_within_budget {
            rows.push(("Probability within budget", pct(x)));
        }
        rows
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Ask {
    /// The RAID entry it comes from.
    pub id: String,
    pub text: String,
    pub owner: Option<String>,
    pub by: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    /// What the comparison is with, or why there is none.
    pub against: String,
    pub items: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpcomingTask {
    pub id: String,
    pub name: String,
    pub team: Option<String>,
    pub start: NaiveDate,
    pub finish: NaiveDate,
    pub float: i64,
    pub critical: bool,
}

/// A status report, ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub program: String,
    pub as_of: NaiveDate,
    pub audience: &'static str,
    pub prepared_for: Option<PreparedFor>,
    pub currency: String,
    pub baseline: Option<String>,
    pub forecast: Option<String>,
    pub headline: String,
    pub health: Health,
    pub summary: Vec<String>,
    pub milestones: Vec<MilestoneRow>,
    pub accomplishments: Accomplishments,
    pub risks: Vec<RiskView>,
    pub issues: Vec<IssueView>,
    pub dependencies: Vec<DependencyAtRisk>,
    pub decisions: Vec<DecisionView>,
    pub budget: Option<BudgetSection>,
    /// The leadership ask: never omitted, empty means "none".
    pub asks: Vec<Ask>,
    pub changes: Changes,
    pub workstreams: Vec<SubjectHealth>,
    pub upcoming: Vec<UpcomingTask>,
    pub critical_path: Vec<String>,
    pub stakeholders: Vec<StakeholderRow>,
    /// What the evidence lacks, and the rules that could not be applied.
    pub gaps: Vec<String>,
    #[serde(skip)]
    pub charts: Vec<Chart>,
}

impl StatusReport {
    pub fn is_exec(&self) -> bool {
        self.audience == "exec"
    }
}

/// How many risks and issues the exec report lists.
pub const EXEC_TOP: usize = 5;

/// Drafts the status report of an analysed plan.
pub fn build(a: &Analysis, o: &ReportOptions<'_>) -> Result<StatusReport, ReportError> {
    let p = &a.program;
    let stakeholder = match &o.stakeholder {
        Some(id) => Some(stakeholders::find(p, id).ok_or_else(|| {
            let known: Vec<&str> = p
                .reporting
                .stakeholders
                .iter()
                .map(|s| s.id.as_str())
                .collect();
            ReportError::UnknownStakeholder(
                id.clone(),
                if known.is_empty() {
                    "the plan has no `[stakeholder.*]` tables".to_string()
                } else {
                    format!("known: {}", known.join(", "))
                },
            )
        })?),
        None => None,
    };
    let audience = stakeholder.map_or(o.audience, stakeholders::audience_of);
    let e = Evidence::gather(a, &o.evidence)?;

    // The previous report: the plan's history first, else the `--since` version.
    let old = match &o.since {
        Some(s) => {
            let oe = Evidence::gather(s.analysis, &o.evidence)?;
            let oh = health::assess(&oe, None);
            Some((s, oe, oh))
        }
        None => None,
    };
    let previous: Option<Previous> =
        health::previous_from_history(p, e.status_date).or_else(|| {
            old.as_ref()
                .map(|(s, _, oh)| health::previous_from(oh, s.label.clone()))
        });
    let h = health::assess(&e, previous);

    let milestones = milestone_rows(&e, &h);
    let since = accomplishments_since(&e, old.as_ref().map(|(s, oe, _)| (s, oe.status_date)));
    let log = raid::raid_log(
        p,
        e.status_date,
        h.thresholds.high_risk_score,
        e.forecast.as_ref(),
    );
    let mut risks: Vec<RiskView> = log
        .risks
        .iter()
        .filter(|r| r.status == "open" && r.kind == "threat")
        .cloned()
        .collect();
    risks.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.p80_days.unwrap_or(0).cmp(&a.p80_days.unwrap_or(0)))
            .then(b.exposure_days.total_cmp(&a.exposure_days))
            .then(a.id.cmp(&b.id))
    });
    let mut issues: Vec<IssueView> = log
        .issues
        .iter()
        .filter(|i| i.status == "open")
        .cloned()
        .collect();
    issues.sort_by(|a, b| {
        severity_rank(b.severity)
            .cmp(&severity_rank(a.severity))
            .then(a.due.cmp(&b.due))
            .then(a.id.cmp(&b.id))
    });
    let mut decisions: Vec<DecisionView> = log
        .decisions
        .iter()
        .filter(|d| d.status == "open")
        .cloned()
        .collect();
    decisions.sort_by(|a, b| {
        a.needed_by
            .is_none()
            .cmp(&b.needed_by.is_none())
            .then(a.needed_by.cmp(&b.needed_by))
            .then(a.id.cmp(&b.id))
    });
    let exec = audience == Audience::Exec;
    if exec {
        risks.truncate(EXEC_TOP);
        issues.truncate(EXEC_TOP);
    }
    let dependencies = dependencies_at_risk(&e, &h);
    let budget = budget_section(&e);
    let asks = asks(&e);
    let changes = changes(&e, &h, old.as_ref().map(|(s, oe, _)| (*s, oe)), a);
    let upcoming = if exec { Vec::new() } else { upcoming(&e) };
    let critical_path = a
        .schedule
        .critical_paths
        .first()
        .map(|cp| cp.iter().map(|t| p.task(*t).id.clone()).collect())
        .unwrap_or_default();
    let prepared_for = stakeholder.map(|s| PreparedFor {
        id: s.id.clone(),
        name: stakeholders::name(p, s),
        role: s.role.clone(),
        cadence: s.cadence.map(|c| c.key()),
        channel: s.channel.clone(),
        raci: stakeholders::letters_of(s)
            .into_iter()
            .map(|(t, role)| RaciLine {
                role,
                id: p.task(t).id.clone(),
                name: p.task(t).name.clone(),
                finish: a.schedule.finish_date(t),
                colour: h
                    .workstreams
                    .iter()
                    .chain(&h.milestones)
                    .find(|w| w.id == p.task(t).id)
                    .map(|w| w.colour)
                    .or_else(|| {
                        // The summary of the whole program carries the overall colour.
                        let task = p.task(t);
                        (task.parent.is_none() && task.kind == TaskKind::Summary)
                            .then_some(h.overall)
                    })
                    .flatten()
                    .map(Rag::key),
            })
            .collect(),
    });
    let mut gaps = e.gaps.clone();
    gaps.extend(h.not_assessed.iter().map(|n| format!("not assessed: {n}")));
    let summary = summary(&e, &h, &milestones, budget.as_ref(), &asks);
    let charts = if o.charts {
        let point = |label: &str, oe: &Evidence<'_>| charts::drift::DriftPoint {
            date: oe.status_date,
            label: label.to_string(),
            p80: oe
                .outlook
                .iter()
                .filter_map(|x| Some((x.id.clone(), x.p80?)))
                .collect(),
        };
        let mut extra = Vec::new();
        for d in &o.drift {
            extra.push(point(&d.label, &Evidence::gather(d.analysis, &o.evidence)?));
        }
        if let Some((s, oe, _)) = &old {
            extra.push(point(&s.label, oe));
        }
        charts::for_report(&e, &h, audience, &extra)
    } else {
        Vec::new()
    };
    Ok(StatusReport {
        program: p.name.clone(),
        as_of: e.status_date,
        audience: audience.key(),
        prepared_for,
        currency: p.currency.clone(),
        baseline: e.baseline.map(|b| b.name.clone()),
        forecast: e.forecast.as_ref().map(|f| {
            format!(
                "{} iterations, seed {}, {} estimates, risks before mitigation",
                f.iterations, f.seed, f.distribution
            )
        }),
        headline: h.headline(),
        workstreams: if exec {
            Vec::new()
        } else {
            h.workstreams.clone()
        },
        health: h,
        summary,
        milestones,
        accomplishments: since,
        risks,
        issues,
        dependencies,
        decisions,
        budget,
        asks,
        changes,
        upcoming,
        critical_path,
        stakeholders: if exec {
            Vec::new()
        } else {
            stakeholders::register(p)
        },
        gaps,
        charts,
    })
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 3,
        "high" => 2,
        "medium" => 1,
        _ => 0,
    }
}

fn milestone_rows(e: &Evidence<'_>, h: &Health) -> Vec<MilestoneRow> {
    e.outlook
        .iter()
        .map(|o| {
            let sh = h.milestones.iter().find(|m| m.id == o.id);
            let reference = if o.done { Some(o.cpm) } else { o.p80 };
            MilestoneRow {
                id: o.id.clone(),
                name: o.name.clone(),
                baseline: o.baseline,
                forecast: o.cpm,
                p50: o.p50,
                p80: o.p80,
                variance: o
                    .baseline
                    .zip(reference.or(Some(o.cpm)))
                    .map(|(b, d)| e.wd(b, d)),
                promised: o.promised,
                probability: o.probability,
                done: o.done,
                colour: sh.and_then(|s| s.colour.map(Rag::key)),
                reason: sh.map_or_else(String::new, |s| s.reason.clone()),
            }
        })
        .collect()
}

fn accomplishments_since(
    e: &Evidence<'_>,
    since_plan: Option<(&&Since<'_>, NaiveDate)>,
) -> Accomplishments {
    let p = e.program;
    let (since, since_source) = match health::previous_from_history(p, e.status_date) {
        Some(prev) => (prev.date, format!("the report of {}", prev.date)),
        None => match since_plan {
            Some((s, d)) if d < e.status_date => (d, format!("{} (as of {d})", s.label)),
            _ => {
                let d = e.status_date - Days::new(7);
                (
                    d,
                    "a week before the status date (no earlier report)".to_string(),
                )
            }
        },
    };
    let in_window = |d: NaiveDate| d > since && d <= e.status_date;
    let mut finished = Vec::new();
    for (i, t) in p.tasks.iter().enumerate() {
        if t.kind == TaskKind::Summary {
            continue;
        }
        if let Some(pr) = e.progress[i]
            && pr.status == TaskStatus::Done
            && let Some(f) = pr.finished
            && in_window(f)
        {
            finished.push(DoneItem {
                id: t.id.clone(),
                name: t.name.clone(),
                date: f,
                team: t.team.map(|tm| team_name(p, tm)),
                milestone: t.kind == TaskKind::Milestone,
            });
        }
    }
    finished.sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
    let decisions = p
        .decisions
        .iter()
        .filter(|d| d.status == DecisionStatus::Decided && d.decided_on.is_some_and(in_window))
        .map(|d| {
            format!(
                "`{}` decided{}: {}",
                d.id,
                d.decided_on.map(|x| format!(" on {x}")).unwrap_or_default(),
                d.title
            )
        })
        .collect();
    let notes = p
        .progress
        .iter()
        .filter(|u| in_window(u.date))
        .filter_map(|u| {
            Some(Note {
                task: p.task(u.task).id.clone(),
                date: u.date,
                note: u.note.clone()?,
            })
        })
        .collect();
    Accomplishments {
        since,
        since_source,
        finished,
        decisions,
        notes,
    }
}

/// Working days of slack on a link: how far the predecessor can move before the
/// link starts to push its successor.
fn link_slack(e: &Evidence<'_>, pred: TaskIdx, succ: TaskIdx, d: &tiller_core::Dependency) -> i64 {
    let s = e.schedule;
    let lag = if d.lag.elapsed {
        0
    } else {
        i64::from(d.lag.days)
    };
    let (from, to) = match d.kind {
        tiller_core::DepKind::FinishToStart => (s.finish_date(pred), s.start_date(succ)),
        tiller_core::DepKind::StartToStart => (s.start_date(pred), s.start_date(succ)),
        tiller_core::DepKind::FinishToFinish => (s.finish_date(pred), s.finish_date(succ)),
        tiller_core::DepKind::StartToFinish => (s.start_date(pred), s.finish_date(succ)),
    };
    // A finish is the end of its day: the next day starts one working day later.
    let end_to_start = i64::from(d.kind.from_finish() && !d.kind.to_finish());
    (e.wd(from, to) - end_to_start - lag).max(0)
}

fn dependencies_at_risk(e: &Evidence<'_>, h: &Health) -> Vec<DependencyAtRisk> {
    let p = e.program;
    let s = e.schedule;
    let t = &h.thresholds;
    let scale = raid::cost_scale(p);
    let mut out = Vec::new();
    for (i, task) in p.tasks.iter().enumerate() {
        let succ = TaskIdx(i as u32);
        if e.is_done(succ) {
            continue;
        }
        for d in &task.deps {
            let pred = d.pred;
            if e.is_done(pred) {
                continue;
            }
            let (Some(ts), Some(tp)) = (task.team, p.task(pred).team) else {
                continue;
            };
            if ts == tp {
                continue;
            }
            // Only links that would pass a slip on: little slack on the link, and a
            // waiting task without much float of its own.
            let slack = link_slack(e, pred, succ, d);
            let waiting_float = s.times[i].total_float;
            if (slack as f64) >= t.amber_float_days || (waiting_float as f64) >= t.red_slip_days {
                continue;
            }
            let times = &s.times[pred.index()];
            let mut reasons = Vec::new();
            if times.total_float < 0 {
                reasons.push(format!(
                    "upstream is behind a missed date ({} of float)",
                    wdays(times.total_float)
                ));
            } else if times.critical {
                reasons.push("upstream is on the critical path".to_string());
            }
            let behind = e
                .variance
                .iter()
                .find(|v| v.id == p.task(pred).id)
                .and_then(|v| v.finish_variance)
                .or_else(|| {
                    e.baseline_span(pred)
                        .map(|(_, f)| e.wd(f, s.finish_date(pred)))
                });
            if let Some(v) = behind
                && v > 0
            {
                reasons.push(format!("upstream is {} behind its baseline", wdays(v)));
            }
            for issue in &p.issues {
                if issue.status == IssueStatus::Open
                    && issue.severity >= tiller_core::Severity::High
                    && raid::touches(p, &issue.affects, pred)
                {
                    reasons.push(format!(
                        "{} issue `{}` is open upstream",
                        raid::severity_name(issue.severity),
                        issue.id
                    ));
                }
            }
            for r in &p.risks {
                let score = raid::probability_band(r.impact.probability) * raid::impact(r, scale).0;
                if r.status == RiskStatus::Open
                    && r.kind == tiller_core::RiskKind::Threat
                    && f64::from(score) >= t.high_risk_score
                    && raid::touches(p, &r.affects, pred)
                {
                    reasons.push(format!("high risk `{}` is open upstream", r.id));
                }
            }
            if reasons.is_empty() {
                continue;
            }
            reasons.push(format!(
                "{} of slack on the link, {} of float downstream",
                wdays(slack),
                wdays(waiting_float)
            ));
            let lag = match d.lag.days {
                0 => String::new(),
                n => format!("{n:+}{}", if d.lag.elapsed { "ed" } else { "d" }),
            };
            out.push(DependencyAtRisk {
                waiting: team_name(p, ts),
                upstream: team_name(p, tp),
                task: task.id.clone(),
                after: p.task(pred).id.clone(),
                link: format!("{}{lag}", d.kind.code()),
                upstream_finish: s.finish_date(pred),
                reasons,
            });
        }
    }
    out.sort_by(|a, b| {
        (&a.waiting, &a.upstream, a.upstream_finish, &a.task).cmp(&(
            &b.waiting,
            &b.upstream,
            b.upstream_finish,
            &b.task,
        ))
    });
    out
}

fn budget_section(e: &Evidence<'_>) -> Option<BudgetSection> {
    let r = e.evm.as_ref()?;
    let m = &r.program;
    let eac = m.eac_cpi.unwrap_or(m.eac_bottom_up).max(m.eac_bottom_up);
    Some(BudgetSection {
        currency: r.currency.clone(),
        budget: r.budget,
        reserve: r.reserve,
        bac: m.bac,
        spent: m.ac,
        earned: m.ev,
        cpi: m.cpi,
        spi: m.spi,
        eac,
        eac_bottom_up: m.eac_bottom_up,
        eac_cpi: m.eac_cpi,
        variance: r.budget.unwrap_or(m.bac) - eac,
        p80_cost: e.forecast.as_ref().map(|f| f.cost.p80),
        probability_within_budget: e
            .forecast
            .as_ref()
            .and_then(|f| f.cost.probability_within_budget),
    })
}

/// How far ahead an open decision without an explicit ask becomes one.
pub const DECISION_HORIZON_DAYS: u64 = 14;

fn asks(e: &Evidence<'_>) -> Vec<Ask> {
    let p = e.program;
    let name = |o| crate::util::person_name(p, o);
    let mut out = Vec::new();
    for r in &p.risks {
        if r.status == RiskStatus::Open
            && let Some(a) = &r.ask
        {
            out.push(Ask {
                id: r.id.clone(),
                text: a.clone(),
                owner: name(r.owner),
                by: r.mitigation_due,
            });
        }
    }
    for i in &p.issues {
        if i.status == IssueStatus::Open
            && let Some(a) = &i.ask
        {
            out.push(Ask {
                id: i.id.clone(),
                text: a.clone(),
                owner: name(i.owner),
                by: i.due,
            });
        }
    }
    let horizon = e.status_date + Days::new(DECISION_HORIZON_DAYS);
    for d in &p.decisions {
        if d.status != DecisionStatus::Open {
            continue;
        }
        match (&d.ask, d.needed_by) {
            (Some(a), _) => out.push(Ask {
                id: d.id.clone(),
                text: a.clone(),
                owner: name(d.owner),
                by: d.needed_by,
            }),
            (None, Some(n)) if n <= horizon => out.push(Ask {
                id: d.id.clone(),
                text: format!("Decide: {}", d.title),
                owner: name(d.owner),
                by: Some(n),
            }),
            _ => {}
        }
    }
    out.sort_by(|a, b| {
        a.by.is_none()
            .cmp(&b.by.is_none())
            .then(a.by.cmp(&b.by))
            .then(a.id.cmp(&b.id))
    });
    out
}

fn upcoming(e: &Evidence<'_>) -> Vec<UpcomingTask> {
    let p = e.program;
    let s = e.schedule;
    let horizon = e.status_date + Days::new(14);
    let mut out: Vec<UpcomingTask> = p
        .tasks
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            let idx = TaskIdx(*i as u32);
            t.kind == TaskKind::Leaf
                && !e.is_done(idx)
                && s.times[*i].status == TaskStatus::NotStarted
                && s.start_date(idx) <= horizon
        })
        .map(|(i, t)| {
            let idx = TaskIdx(i as u32);
            UpcomingTask {
                id: t.id.clone(),
                name: t.name.clone(),
                team: t.team.map(|tm| team_name(p, tm)),
                start: s.start_date(idx),
                finish: s.finish_date(idx),
                float: s.times[i].total_float,
                critical: s.times[i].critical,
            }
        })
        .collect();
    out.sort_by(|a, b| a.start.cmp(&b.start).then(a.id.cmp(&b.id)));
    out
}

fn p80_moves(
    e: &Evidence<'_>,
    before: &[(String, Option<NaiveDate>)],
    what: &str,
    out: &mut Vec<String>,
) {
    for o in &e.outlook {
        let Some(now) = o.p80 else { continue };
        let Some((_, Some(then))) = before.iter().find(|(id, _)| *id == o.id) else {
            continue;
        };
        if *then != now {
            out.push(format!(
                "`{}` P80 {then} → {now} ({}{} since {what})",
                o.id,
                if e.wd(*then, now) > 0 { "+" } else { "" },
                wdays(e.wd(*then, now))
            ));
        }
    }
}

fn colour_moves(h: &Health, out: &mut Vec<String>) {
    let Some(prev) = &h.previous else { return };
    if prev.overall != h.overall {
        out.push(format!(
            "overall {} → {}",
            crate::util::rag_label(prev.overall),
            crate::util::rag_label(h.overall)
        ));
    }
    for d in &h.dimensions {
        let before = prev.dimension(d.dimension);
        if before.is_some() && before != d.colour {
            out.push(format!(
                "{} {} → {}",
                d.dimension.key(),
                crate::util::rag_label(before),
                crate::util::rag_label(d.colour)
            ));
        }
    }
}

fn changes(
    e: &Evidence<'_>,
    h: &Health,
    old: Option<(&Since<'_>, &Evidence<'_>)>,
    a: &Analysis,
) -> Changes {
    let mut items = Vec::new();
    colour_moves(h, &mut items);
    match old {
        Some((s, oe)) => {
            let before: Vec<(String, Option<NaiveDate>)> =
                oe.outlook.iter().map(|o| (o.id.clone(), o.p80)).collect();
            p80_moves(e, &before, &s.label, &mut items);
            let d = tiller_app::diff::diff(s.analysis, a);
            items.extend(diff_lines(&d));
            if items.is_empty() {
                items.push(
                    "nothing: no change to scope, estimates, links, dates, budget or risks"
                        .to_string(),
                );
            }
            Changes {
                against: s.label.clone(),
                items,
            }
        }
        None => match e
            .program
            .reporting
            .history
            .iter()
            .rev()
            .find(|r| r.date < e.status_date)
        {
            Some(r) => {
                let before: Vec<(String, Option<NaiveDate>)> =
                    r.forecasts.iter().map(|f| (f.id.clone(), f.p80)).collect();
                p80_moves(e, &before, &format!("the report of {}", r.date), &mut items);
                if items.is_empty() {
                    items.push("no colour or P80 date moved".to_string());
                }
                Changes {
                    against: format!(
                        "the report of {} (compare with a plan version for scope and estimate changes: `--since REV`)",
                        r.date
                    ),
                    items,
                }
            }
            None => Changes {
                against: "nothing: no earlier report is recorded and no `--since` was given"
                    .to_string(),
                items,
            },
        },
    }
}

/// The comparison of two plan versions in a few lines.
pub fn diff_lines(d: &PlanDiff) -> Vec<String> {
    let mut out = Vec::new();
    if d.finish.old != d.finish.new {
        out.push(format!(
            "program finish {} → {} ({:+} working days)",
            d.finish.old, d.finish.new, d.finish.slip
        ));
    }
    for m in &d.milestones {
        out.push(format!(
            "`{}` {} → {} ({:+} working days)",
            m.id, m.old, m.new, m.slip
        ));
    }
    let list = |v: &[String]| {
        v.iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !d.milestones_added.is_empty() {
        out.push(format!("milestones added: {}", list(&d.milestones_added)));
    }
    if !d.milestones_removed.is_empty() {
        out.push(format!(
            "milestones removed: {}",
            list(&d.milestones_removed)
        ));
    }
    let ids =
        |v: &[tiller_engine::diff::TaskRef]| v.iter().map(|t| t.id.clone()).collect::<Vec<_>>();
    if !d.tasks_added.is_empty() {
        out.push(format!("scope added: {}", list(&ids(&d.tasks_added))));
    }
    if !d.tasks_removed.is_empty() {
        out.push(format!("scope removed: {}", list(&ids(&d.tasks_removed))));
    }
    if !d.reestimated.is_empty() {
        let r: Vec<String> = d
            .reestimated
            .iter()
            .map(|r| format!("`{}` {}d → {}d", r.id, r.old[1], r.new[1]))
            .collect();
        out.push(format!("re-estimated (likely): {}", r.join(", ")));
    }
    let links = d.links_added.len() + d.links_removed.len() + d.links_changed.len();
    if links > 0 {
        out.push(format!(
            "dependencies: {} added, {} removed, {} changed",
            d.links_added.len(),
            d.links_removed.len(),
            d.links_changed.len()
        ));
    }
    if d.critical_path_old != d.critical_path_new {
        out.push(format!(
            "critical path now: {}",
            d.critical_path_new.join(" → ")
        ));
    }
    let b = &d.budget;
    if b.planned_cost_old != b.planned_cost_new {
        out.push(format!(
            "planned cost {} → {}",
            money(b.planned_cost_old),
            money(b.planned_cost_new)
        ));
    }
    if b.budget_old != b.budget_new {
        out.push(format!(
            "budget {} → {}",
            b.budget_old.map_or_else(|| "none".to_string(), money),
            b.budget_new.map_or_else(|| "none".to_string(), money)
        ));
    }
    if !d.risks_opened.is_empty() {
        out.push(format!("risks opened: {}", list(&d.risks_opened)));
    }
    if !d.risks_closed.is_empty() {
        out.push(format!("risks closed: {}", list(&d.risks_closed)));
    }
    out
}

fn summary(
    e: &Evidence<'_>,
    h: &Health,
    milestones: &[MilestoneRow],
    budget: Option<&BudgetSection>,
    asks: &[Ask],
) -> Vec<String> {
    let p = e.program;
    let mut out = Vec::new();
    let was = h
        .previous
        .as_ref()
        .map(|prev| {
            format!(
                " (was {} on {})",
                crate::util::rag_label(prev.overall),
                prev.date
            )
        })
        .unwrap_or_default();
    out.push(match h.deciding {
        Some(dim) => format!(
            "{} is {}{was} as of {}, set by {}: {}.",
            p.name,
            crate::util::rag_label(h.overall),
            e.status_date,
            dim.key(),
            h.dimension(dim).reason
        ),
        None => format!(
            "{} cannot be assessed as of {}: {}.",
            p.name, e.status_date, h.overall_reason
        ),
    });
    for d in &h.dimensions {
        if Some(d.dimension) != h.deciding && d.colour.is_some_and(|c| c > Rag::Green) {
            out.push(format!(
                "{} is {}: {}.",
                crate::util::capitalise(d.dimension.key()),
                crate::util::rag_label(d.colour),
                d.reason
            ));
        }
    }
    let open: Vec<&MilestoneRow> = milestones
        .iter()
        .filter(|m| m.promised.is_some() && !m.done)
        .collect();
    if !open.is_empty() {
        let t = &h.thresholds;
        let on_track = |m: &MilestoneRow| match m.probability {
            Some(pr) => pr >= t.amber_probability,
            None => m.promised.is_some_and(|pd| e.wd(m.forecast, pd) >= 0),
        };
        let n = open.iter().filter(|m| on_track(m)).count();
        let mut s = format!(
            "{n} of {} open promised milestones {} on track",
            open.len(),
            if open.len() == 1 { "is" } else { "are" }
        );
        if let Some(worst) = open.iter().filter(|m| !on_track(m)).min_by(|a, b| {
            a.probability
                .unwrap_or(0.0)
                .total_cmp(&b.probability.unwrap_or(0.0))
                .then(a.id.cmp(&b.id))
        }) {
            s.push_str(&format!(
                "; `{}` is at risk: {} against its promise {}{}",
                worst.id,
                match worst.p80 {
                    Some(p80) => format!("P80 {p80}"),
                    None => format!("critical-path date {}", worst.forecast),
                },
                worst.promised.map(|d| d.to_string()).unwrap_or_default(),
                worst
                    .probability
                    .map(|pr| format!(" ({} chance)", pct(pr)))
                    .unwrap_or_default()
            ));
        }
        s.push('.');
        out.push(s);
    }
    if let Some(f) = e.outlook_of("program") {
        out.push(format!(
            "The program finishes {} on the critical path{}{}.",
            f.cpm,
            match (f.p50, f.p80) {
                (Some(a), Some(b)) => format!(" (forecast P50 {a}, P80 {b})"),
                _ => String::new(),
            },
            f.baseline
                .map(|b| format!(" against the baseline {b}"))
                .unwrap_or_default()
        ));
    }
    if let Some(fc) = &e.forecast
        && let Some(top) = fc
            .tasks
            .iter()
            .filter(|t| t.criticality > 0.0)
            .max_by(|a, b| {
                a.ssi
                    .total_cmp(&b.ssi)
                    .then(a.criticality.total_cmp(&b.criticality))
                    .then(b.id.cmp(&a.id))
            })
    {
        out.push(format!(
            "The finish is most sensitive to `{}` (on the critical path in {} of iterations).",
            top.id,
            pct(top.criticality)
        ));
    }
    if let Some(b) = budget {
        out.push(format!(
            "{} {} spent for {} earned ({} of the {} budgeted, CPI {}); estimate at completion {}{}.",
            money(b.spent),
            b.currency,
            money(b.earned),
            pct(if b.bac > 0.0 { b.earned / b.bac } else { 0.0 }),
            money(b.bac),
            b.cpi.map_or_else(|| "n/a".to_string(), ratio),
            money(b.eac),
            b.budget
                .map(|x| format!(" against the authorised {}", money(x)))
                .unwrap_or_default()
        ));
    }
    out.push(if asks.is_empty() {
        "Ask of leadership: none this week.".to_string()
    } else {
        format!(
            "Ask of leadership: {}.",
            asks.iter()
                .map(|a| format!(
                    "{}{}",
                    a.text.trim_end_matches('.'),
                    a.by.map(|d| format!(" (by {d})")).unwrap_or_default()
                ))
                .collect::<Vec<_>>()
                .join("; ")
        )
    });
    out
}

/// The record of a report for the plan's history (`[[report]]`), as TOML.
pub fn record_toml(r: &StatusReport) -> String {
    let mut out = format!(
        "# Status report as issued on {}, recorded by `tiller report --record`.\n# Recorded, not edited: the next report compares its colours and forecasts with these.\n\n[[report]]\ndate = {}\n",
        r.as_of, r.as_of
    );
    if let Some(c) = r.health.overall {
        out.push_str(&format!("overall = \"{}\"\n", c.key()));
    }
    for d in &r.health.dimensions {
        if let Some(c) = d.colour {
            out.push_str(&format!("{} = \"{}\"\n", d.dimension.key(), c.key()));
        }
    }
    let rows: Vec<String> = r
        .milestones
        .iter()
        .filter(|m| m.p50.is_some() || m.p80.is_some())
        .map(|m| {
            let mut s = format!("  {{ id = \"{}\"", m.id);
            if let Some(d) = m.p50 {
                s.push_str(&format!(", p50 = {d}"));
            }
            if let Some(d) = m.p80 {
                s.push_str(&format!(", p80 = {d}"));
            }
            if let Some(pr) = m.probability {
                s.push_str(&format!(
                    ", probability = {}",
                    (pr * 1000.0).round() / 1000.0
                ));
            }
            s.push_str(" },");
            s
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("forecast = [\n");
        for row in rows {
            out.push_str(&row);
            out.push('\n');
        }
        out.push_str("]\n");
    }
    out
}
