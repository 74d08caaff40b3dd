//! The RAID log as reports show it: risks scored on a probability × impact matrix with
//! their exposure, issues, decisions and assumptions, each with its owner, due date and
//! whether it is overdue as of the status date; filtering for `tiller raid`.

use chrono::NaiveDate;
use serde::Serialize;
use tiller_core::{
    AssumptionStatus, DecisionStatus, IssueStatus, Program, RaidLink, Risk, RiskKind, RiskResponse,
    RiskStatus, Severity, TaskIdx,
};
use tiller_engine::forecast::Forecast;

use crate::util::{money, person_name, within};

/// Probability band of the risk matrix, 1 to 5: up to 10 %, 25 %, 50 %, 75 %, above.
pub fn probability_band(p: f64) -> u8 {
    match p {
        p if p <= 0.10 => 1,
        p if p <= 0.25 => 2,
        p if p <= 0.50 => 3,
        p if p <= 0.75 => 4,
        _ => 5,
    }
}

/// Impact band of a schedule delay (its likely value in working days), 1 to 5: under
/// 2 days, 5, 10, 20, then 20 or more.
pub fn delay_band(days: f64) -> u8 {
    match days {
        d if d < 2.0 => 1,
        d if d < 5.0 => 2,
        d if d < 10.0 => 3,
        d if d < 20.0 => 4,
        _ => 5,
    }
}

/// Impact band of a cost, as a share of the budget, 1 to 5: under 1 %, 2.5 %, 5 %,
/// 10 %, then 10 % or more.
pub fn cost_band(cost: f64, budget: f64) -> u8 {
    if cost <= 0.0 {
        return 1;
    }
    if budget <= 0.0 {
        return 5;
    }
    match cost / budget {
        s if s < 0.01 => 1,
        s if s < 0.025 => 2,
        s if s < 0.05 => 3,
        s if s < 0.10 => 4,
        _ => 5,
    }
}

/// What the impact bands of costs are measured against: the program budget, else the
/// planned cost of all work.
pub fn cost_scale(program: &Program) -> f64 {
    program.budget.map(|b| b.as_units()).unwrap_or_else(|| {
        program
            .tasks
            .iter()
            .map(|t| {
                tiller_engine::cost::planned_cost(program, t)
                    + t.fixed_cost.map_or(0.0, |c| c.as_units())
            })
            .sum()
    })
}

/// A risk's impact band and where it came from.
pub fn impact(risk: &Risk, scale: f64) -> (u8, &'static str) {
    if let Some(level) = risk.impact_level {
        return (level, "stated");
    }
    let d = delay_band(risk.impact.delay.map_or(0.0, |e| e.likely));
    let c = cost_band(risk.impact.cost.map_or(0.0, |m| m.as_units()), scale);
    match (risk.impact.delay.is_some(), risk.impact.cost.is_some()) {
        (false, false) => (1, "none stated"),
        _ if d >= c => (d, "from the delay"),
        _ => (c, "from the cost"),
    }
}

/// Low (score under 5), medium, or high (at least `high`).
pub fn level(score: u8, high: f64) -> &'static str {
    if f64::from(score) >= high {
        "high"
    } else if score >= 5 {
        "medium"
    } else {
        "low"
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RaidKind {
    Risk,
    Issue,
    Decision,
    Assumption,
}

impl RaidKind {
    pub fn parse(s: &str) -> Option<RaidKind> {
        match s.trim().to_ascii_lowercase().trim_end_matches('s') {
            "risk" => Some(RaidKind::Risk),
            "issue" => Some(RaidKind::Issue),
            "decision" => Some(RaidKind::Decision),
            "assumption" => Some(RaidKind::Assumption),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RiskView {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub owner: Option<String>,
    pub probability: f64,
    /// Matrix bands, 1 to 5, and the score (their product).
    pub probability_band: u8,
    pub impact: u8,
    pub impact_source: &'static str,
    pub score: u8,
    /// low, medium or high.
    pub level: &'static str,
    /// Expected delay: probability × likely delay, working days.
    pub exposure_days: f64,
    /// Expected cost: probability × cost.
    pub exposure_cost: f64,
    pub response: Option<&'static str>,
    pub mitigation: Option<String>,
    pub mitigation_due: Option<NaiveDate>,
    pub overdue: bool,
    pub contingency: Option<String>,
    pub trigger: Option<String>,
    pub ask: Option<String>,
    pub affects: Vec<String>,
    /// Working days the program's P80 finish moves earlier without this risk.
    pub p80_days: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IssueView {
    pub id: String,
    pub title: String,
    pub severity: &'static str,
    pub status: &'static str,
    pub owner: Option<String>,
    pub raised: Option<NaiveDate>,
    pub due: Option<NaiveDate>,
    pub overdue: bool,
    pub resolution: Option<String>,
    pub ask: Option<String>,
    pub affects: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub owner: Option<String>,
    pub needed_by: Option<NaiveDate>,
    pub overdue: bool,
    pub decided_by: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub rationale: Option<String>,
    pub ask: Option<String>,
    pub affects: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AssumptionView {
    pub id: String,
    pub title: String,
    pub status: &'static str,
    pub owner: Option<String>,
    pub validate_by: Option<NaiveDate>,
    pub overdue: bool,
    pub affects: Vec<String>,
}

/// The RAID log as of a date.
#[derive(Debug, Clone, Serialize)]
pub struct RaidLog {
    pub as_of: NaiveDate,
    pub risks: Vec<RiskView>,
    pub issues: Vec<IssueView>,
    pub decisions: Vec<DecisionView>,
    pub assumptions: Vec<AssumptionView>,
}

/// The id a RAID link points at.
pub fn link_id(program: &Program, l: &RaidLink) -> String {
    match *l {
        RaidLink::Task(t) => program.task(t).id.clone(),
        RaidLink::Risk(i) => program.risks[i].id.clone(),
        RaidLink::Issue(i) => program.issues[i].id.clone(),
        RaidLink::Decision(i) => program.decisions[i].id.clone(),
        RaidLink::Assumption(i) => program.assumptions[i].id.clone(),
    }
}

fn response_name(r: RiskResponse) -> &'static str {
    match r {
        RiskResponse::Avoid => "avoid",
        RiskResponse::Mitigate => "mitigate",
        RiskResponse::Transfer => "transfer",
        RiskResponse::Accept => "accept",
        RiskResponse::Exploit => "exploit",
        RiskResponse::Enhance => "enhance",
        RiskResponse::Share => "share",
    }
}

pub fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Low => "low",
        Severity::Medium => "medium",
        Severity::High => "high",
        Severity::Critical => "critical",
    }
}

/// A risk's view, scored; `high` is the score at which a risk counts as high.
pub fn risk_view(
    program: &Program,
    risk: &Risk,
    as_of: NaiveDate,
    high: f64,
    forecast: Option<&Forecast>,
) -> RiskView {
    let scale = cost_scale(program);
    let band = probability_band(risk.impact.probability);
    let (impact, impact_source) = impact(risk, scale);
    let score = band * impact;
    let open = risk.status == RiskStatus::Open;
    RiskView {
        id: risk.id.clone(),
        title: risk.title.clone(),
        kind: match risk.kind {
            RiskKind::Threat => "threat",
            RiskKind::Opportunity => "opportunity",
        },
        status: match risk.status {
            RiskStatus::Open => "open",
            RiskStatus::Occurred => "occurred",
            RiskStatus::Closed => "closed",
        },
        owner: person_name(program, risk.owner),
        probability: risk.impact.probability,
        probability_band: band,
        impact,
        impact_source,
        score,
        level: level(score, high),
        exposure_days: risk.impact.probability * risk.impact.delay.map_or(0.0, |e| e.likely),
        exposure_cost: risk.impact.probability * risk.impact.cost.map_or(0.0, |m| m.as_units()),
        response: risk.response.map(response_name),
        mitigation: risk.mitigation.clone(),
        mitigation_due: risk.mitigation_due,
        overdue: open && risk.mitigation_due.is_some_and(|d| d < as_of),
        contingency: risk.contingency.clone(),
        trigger: risk.trigger.clone(),
        ask: risk.ask.clone(),
        affects: risk.affects.iter().map(|l| link_id(program, l)).collect(),
        p80_days: forecast.and_then(|f| {
            f.tornado
                .iter()
                .find(|t| t.risk == risk.id)
                .map(|t| t.p80_days)
        }),
    }
}

/// Every RAID entry as of `as_of`.
pub fn raid_log(
    program: &Program,
    as_of: NaiveDate,
    high: f64,
    forecast: Option<&Forecast>,
) -> RaidLog {
    let affects = |links: &[RaidLink]| links.iter().map(|l| link_id(program, l)).collect();
    RaidLog {
        as_of,
        risks: program
            .risks
            .iter()
            .map(|r| risk_view(program, r, as_of, high, forecast))
            .collect(),
        issues: program
            .issues
            .iter()
            .map(|i| IssueView {
                id: i.id.clone(),
                title: i.title.clone(),
                severity: severity_name(i.severity),
                status: match i.status {
                    IssueStatus::Open => "open",
                    IssueStatus::Resolved => "resolved",
                },
                owner: person_name(program, i.owner),
                raised: i.raised,
                due: i.due,
                overdue: i.status == IssueStatus::Open && i.due.is_some_and(|d| d < as_of),
                resolution: i.resolution.clone(),
                ask: i.ask.clone(),
                affects: affects(&i.affects),
            })
            .collect(),
        decisions: program
            .decisions
            .iter()
            .map(|d| DecisionView {
                id: d.id.clone(),
                title: d.title.clone(),
                status: match d.status {
                    DecisionStatus::Open => "open",
                    DecisionStatus::Decided => "decided",
                },
                owner: person_name(program, d.owner),
                needed_by: d.needed_by,
                overdue: d.status == DecisionStatus::Open && d.needed_by.is_some_and(|n| n < as_of),
                decided_by: person_name(program, d.decided_by),
                decided_on: d.decided_on,
                rationale: d.rationale.clone(),
                ask: d.ask.clone(),
                affects: affects(&d.affects),
            })
            .collect(),
        assumptions: program
            .assumptions
            .iter()
            .map(|x| AssumptionView {
                id: x.id.clone(),
                title: x.title.clone(),
                status: match x.status {
                    AssumptionStatus::Open => "open",
                    AssumptionStatus::Validated => "validated",
                    AssumptionStatus::Invalid => "invalid",
                },
                owner: person_name(program, x.owner),
                validate_by: x.validate_by,
                overdue: x.status == AssumptionStatus::Open
                    && x.validate_by.is_some_and(|v| v < as_of),
                affects: affects(&x.affects),
            })
            .collect(),
    }
}

/// An open RAID entry past its date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Overdue {
    pub kind: RaidKind,
    pub id: String,
    pub title: String,
    /// Mitigation due, issue due, decision needed by, or assumption to validate by.
    pub due: NaiveDate,
    /// The entry's links, for per-workstream views.
    #[serde(skip)]
    pub affects: Vec<RaidLink>,
}

/// Open entries whose date is before `as_of`, in RAID order.
pub fn overdue(program: &Program, as_of: NaiveDate) -> Vec<Overdue> {
    let mut out = Vec::new();
    let mut push =
        |kind, id: &str, title: &str, due: Option<NaiveDate>, open: bool, affects: &[RaidLink]| {
            if let Some(d) = due
                && open
                && d < as_of
            {
                out.push(Overdue {
                    kind,
                    id: id.to_string(),
                    title: title.to_string(),
                    due: d,
                    affects: affects.to_vec(),
                });
            }
        };
    for r in &program.risks {
        push(
            RaidKind::Risk,
            &r.id,
            &r.title,
            r.mitigation_due,
            r.status == RiskStatus::Open,
            &r.affects,
        );
    }
    for i in &program.issues {
        push(
            RaidKind::Issue,
            &i.id,
            &i.title,
            i.due,
            i.status == IssueStatus::Open,
            &i.affects,
        );
    }
    for d in &program.decisions {
        push(
            RaidKind::Decision,
            &d.id,
            &d.title,
            d.needed_by,
            d.status == DecisionStatus::Open,
            &d.affects,
        );
    }
    for x in &program.assumptions {
        push(
            RaidKind::Assumption,
            &x.id,
            &x.title,
            x.validate_by,
            x.status == AssumptionStatus::Open,
            &x.affects,
        );
    }
    out
}

/// Whether a RAID entry's links touch `task` or anything inside it (through other RAID
/// entries too, one level deep).
pub fn touches(program: &Program, links: &[RaidLink], task: TaskIdx) -> bool {
    let direct = |links: &[RaidLink]| {
        links.iter().any(|l| match *l {
            RaidLink::Task(t) => within(program, t, task) || within(program, task, t),
            _ => false,
        })
    };
    direct(links)
        || links.iter().any(|l| match *l {
            RaidLink::Risk(i) => direct(&program.risks[i].affects),
            RaidLink::Issue(i) => direct(&program.issues[i].affects),
            RaidLink::Decision(i) => direct(&program.decisions[i].affects),
            RaidLink::Assumption(i) => direct(&program.assumptions[i].affects),
            RaidLink::Task(_) => false,
        })
}

/// What `tiller raid` lists.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Kinds to list (all when empty).
    pub kinds: Vec<RaidKind>,
    /// Only open entries (open risks, issues, decisions and assumptions).
    pub open: bool,
    /// Only entries past their date.
    pub overdue: bool,
    /// Only entries owned by this person id.
    pub owner: Option<String>,
    /// Only entries about this task, milestone or workstream (or inside it).
    pub affects: Option<TaskIdx>,
    /// Only risks of this level or above (`medium`, `high`).
    pub min_level: Option<String>,
}

fn level_rank(l: &str) -> u8 {
    match l {
        "high" => 2,
        "medium" => 1,
        _ => 0,
    }
}

/// The log filtered; `program` resolves owners and links.
pub fn filter(program: &Program, log: &RaidLog, f: &Filter) -> RaidLog {
    let kind_ok = |k| f.kinds.is_empty() || f.kinds.contains(&k);
    let owner_ok = |owner: Option<tiller_core::PersonIdx>| match &f.owner {
        None => true,
        Some(id) => owner.is_some_and(|p| &program.person(p).id == id),
    };
    let affects_ok = |links: &[RaidLink]| match f.affects {
        None => true,
        Some(t) => touches(program, links, t),
    };
    let mut out = RaidLog {
        as_of: log.as_of,
        risks: Vec::new(),
        issues: Vec::new(),
        decisions: Vec::new(),
        assumptions: Vec::new(),
    };
    if kind_ok(RaidKind::Risk) {
        for (r, v) in program.risks.iter().zip(&log.risks) {
            let level_ok = f
                .min_level
                .as_deref()
                .is_none_or(|m| level_rank(v.level) >= level_rank(m));
            if (!f.open || v.status == "open")
                && (!f.overdue || v.overdue)
                && owner_ok(r.owner)
                && affects_ok(&r.affects)
                && level_ok
            {
                out.risks.push(v.clone());
            }
        }
    }
    if kind_ok(RaidKind::Issue) && f.min_level.is_none() {
        for (i, v) in program.issues.iter().zip(&log.issues) {
            if (!f.open || v.status == "open")
                && (!f.overdue || v.overdue)
                && owner_ok(i.owner)
                && affects_ok(&i.affects)
            {
                out.issues.push(v.clone());
            }
        }
    }
    if kind_ok(RaidKind::Decision) && f.min_level.is_none() {
        for (d, v) in program.decisions.iter().zip(&log.decisions) {
            if (!f.open || v.status == "open")
                && (!f.overdue || v.overdue)
                && owner_ok(d.owner)
                && affects_ok(&d.affects)
            {
                out.decisions.push(v.clone());
            }
        }
    }
    if kind_ok(RaidKind::Assumption) && f.min_level.is_none() {
        for (x, v) in program.assumptions.iter().zip(&log.assumptions) {
            if (!f.open || v.status == "open")
                && (!f.overdue || v.overdue)
                && owner_ok(x.owner)
                && affects_ok(&x.affects)
            {
                out.assumptions.push(v.clone());
            }
        }
    }
    out
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("-")
}

fn date(d: Option<NaiveDate>) -> String {
    d.map_or_else(|| "-".to_string(), |d| d.to_string())
}

fn flag(overdue: bool) -> &'static str {
    if overdue { "  OVERDUE" } else { "" }
}

/// The log for a terminal: one section per kind, overdue entries flagged.
pub fn table(program: &Program, log: &RaidLog) -> String {
    let mut out = format!("{} — RAID log as of {}\n", program.name, log.as_of);
    let total = log.risks.len() + log.issues.len() + log.decisions.len() + log.assumptions.len();
    if total == 0 {
        out.push_str("\nNo entries match.\n");
        return out;
    }
    if !log.risks.is_empty() {
        out.push_str(&format!(
            "\nRISKS\n{:<14} {:<9} {:>5} {:>3} {:>3} {:>5} {:<7} {:>9} {:>10}  {:<18} {:<10}  TITLE\n",
            "ID", "STATUS", "PROB", "P", "I", "SCORE", "LEVEL", "EXP DAYS", "EXP COST", "OWNER", "MIT. DUE"
        ));
        for r in &log.risks {
            out.push_str(&format!(
                "{:<14} {:<9} {:>5} {:>3} {:>3} {:>5} {:<7} {:>9.1} {:>10}  {:<18} {:<10}  {}{}\n",
                r.id,
                r.status,
                crate::util::pct(r.probability),
                r.probability_band,
                r.impact,
                r.score,
                r.level,
                r.exposure_days,
                money(r.exposure_cost),
                opt(&r.owner),
                date(r.mitigation_due),
                r.title,
                flag(r.overdue),
            ));
            if r.kind == "opportunity" {
                out.push_str("               (opportunity: its impact is a gain)\n");
            }
            if let Some(m) = &r.mitigation {
                out.push_str(&format!("               mitigation: {m}\n"));
            }
            if let Some(a) = &r.ask {
                out.push_str(&format!("               ask: {a}\n"));
            }
        }
    }
    if !log.issues.is_empty() {
        out.push_str(&format!(
            "\nISSUES\n{:<14} {:<9} {:<9} {:<18} {:<10}  TITLE\n",
            "ID", "STATUS", "SEVERITY", "OWNER", "DUE"
        ));
        for i in &log.issues {
            out.push_str(&format!(
                "{:<14} {:<9} {:<9} {:<18} {:<10}  {}{}\n",
                i.id,
                i.status,
                i.severity,
                opt(&i.owner),
                date(i.due),
                i.title,
                flag(i.overdue)
            ));
            if let Some(a) = &i.ask {
                out.push_str(&format!("               ask: {a}\n"));
            }
        }
    }
    if !log.decisions.is_empty() {
        out.push_str(&format!(
            "\nDECISIONS\n{:<14} {:<9} {:<18} {:<10}  TITLE\n",
            "ID", "STATUS", "OWNER", "NEEDED BY"
        ));
        for d in &log.decisions {
            out.push_str(&format!(
                "{:<14} {:<9} {:<18} {:<10}  {}{}\n",
                d.id,
                d.status,
                opt(&d.owner),
                date(d.needed_by),
                d.title,
                flag(d.overdue)
            ));
            if let (Some(by), Some(on)) = (&d.decided_by, d.decided_on) {
                out.push_str(&format!("               decided by {by} on {on}\n"));
            }
            if let Some(a) = &d.ask {
                out.push_str(&format!("               ask: {a}\n"));
            }
        }
    }
    if !log.assumptions.is_empty() {
        out.push_str(&format!(
            "\nASSUMPTIONS\n{:<14} {:<9} {:<18} {:<10}  TITLE\n",
            "ID", "STATUS", "OWNER", "CHECK BY"
        ));
        for x in &log.assumptions {
            out.push_str(&format!(
                "{:<14} {:<9} {:<18} {:<10}  {}{}\n",
                x.id,
                x.status,
                opt(&x.owner),
                date(x.validate_by),
                x.title,
                flag(x.overdue)
            ));
        }
    }
    out.push_str(
        "\nP and I are the probability and impact bands (1-5) of the risk matrix; SCORE = P × I. EXP = probability × impact.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_bands_have_inclusive_upper_bounds() {
        assert_eq!(probability_band(0.0), 1);
        assert_eq!(probability_band(0.10), 1);
        assert_eq!(probability_band(0.11), 2);
        assert_eq!(probability_band(0.25), 2);
        assert_eq!(probability_band(0.5), 3);
        assert_eq!(probability_band(0.75), 4);
        assert_eq!(probability_band(0.76), 5);
    }

    #[test]
    fn impact_bands_of_delays_and_costs() {
        assert_eq!(delay_band(0.0), 1);
        assert_eq!(delay_band(2.0), 2);
        assert_eq!(delay_band(9.9), 3);
        assert_eq!(delay_band(10.0), 4);
        assert_eq!(delay_band(20.0), 5);
        assert_eq!(cost_band(0.0, 100.0), 1);
        assert_eq!(cost_band(0.9, 100.0), 1);
        assert_eq!(cost_band(1.0, 100.0), 2);
        assert_eq!(cost_band(4.9, 100.0), 3);
        assert_eq!(cost_band(9.9, 100.0), 4);
        assert_eq!(cost_band(10.0, 100.0), 5);
        assert_eq!(cost_band(1.0, 0.0), 5);
    }

    #[test]
    fn levels_follow_the_score() {
        assert_eq!(level(4, 10.0), "low");
        assert_eq!(level(5, 10.0), "medium");
        assert_eq!(level(9, 10.0), "medium");
        assert_eq!(level(10, 10.0), "high");
        assert_eq!(level(12, 15.0), "medium");
    }
}
