//! The portfolio (every program the caller may see) and the program overview. Both
//! show the status report's figures (`tiller_report::status::build`, the function
//! behind `tiller report`): colours by the health rules, milestone forecasts, risks,
//! decisions and what changed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::response::IntoResponse;

use super::{Ctx, WebResult, date, digest, money, pct, program_page, rag_class, rag_label};
use crate::App;
use crate::auth::{Auth, Role};

/// A colour as the pages show it: a label, a class for the colour, and the reason.
pub struct Rag {
    pub label: &'static str,
    pub class: &'static str,
}

impl Rag {
    pub fn of(key: Option<&str>) -> Rag {
        Rag {
            label: rag_label(key),
            class: rag_class(key),
        }
    }
}

/// How long the portfolio waits for one program's report before showing the others.
const PORTFOLIO_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

pub struct PortfolioRow {
    pub slug: String,
    pub name: String,
    pub role: String,
    pub overall: Rag,
    pub overall_reason: String,
    pub milestone: String,
    pub milestone_date: String,
    pub probability: String,
    pub budget: Rag,
    pub budget_text: String,
    pub problem: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "portfolio.html")]
struct PortfolioPage {
    ctx: Ctx,
    rows: Vec<PortfolioRow>,
}

pub async fn portfolio(State(app): State<App>, Extension(auth): Extension<Auth>) -> WebResult {
    let (caller, ctx) = super::session(&app, &auth, "/programs").await?;
    let programs = app
        .store
        .list_programs(caller.user.id, caller.user.is_admin)
        .await?;
    let mut rows = Vec::new();
    for (program, role) in programs {
        let role = if caller.user.is_admin {
            "administrator".to_string()
        } else {
            role.unwrap_or_default()
        };
        let mut row = PortfolioRow {
            slug: program.slug.clone(),
            name: program.name.clone(),
            role,
            overall: Rag::of(None),
            overall_reason: String::new(),
            milestone: "–".to_string(),
            milestone_date: "–".to_string(),
            probability: "–".to_string(),
            budget: Rag::of(None),
            budget_text: "–".to_string(),
            problem: None,
        };
        let reported = match digest::of(&app, &program).await {
            Ok(d) => d.reported_within(PORTFOLIO_WAIT).await,
            Err(e) => Some(Err(e)),
        };
        let Some(reported) = reported else {
            row.problem = Some("the forecast is being computed: reload in a moment".to_string());
            rows.push(row);
            continue;
        };
        match reported {
            Ok(r) => {
                let rep = &r.report;
                row.overall = Rag::of(rep.health.overall.map(|c| c.key()));
                row.overall_reason = rep.health.overall_reason.clone();
                // The next milestone: the first open one by its critical-path date.
                if let Some(m) = rep
                    .milestones
                    .iter()
                    .filter(|m| !m.done && m.id != "program")
                    .min_by_key(|m| m.forecast)
                {
                    row.milestone = format!("{} ({})", m.name, m.id);
                    row.milestone_date = match m.promised {
                        Some(p) => format!("P80 {} · promised {p}", date(m.p80)),
                        None => format!("P80 {}", date(m.p80)),
                    };
                    row.probability = pct(m.probability);
                }
                let budget = rep
                    .health
                    .dimensions
                    .iter()
                    .find(|d| d.dimension == tiller_core::HealthDimension::Budget);
                row.budget = Rag::of(budget.and_then(|d| d.colour).map(|c| c.key()));
                row.budget_text = match &rep.budget {
                    Some(b) => format!(
                        "EAC {} of {} {}",
                        money(b.eac),
                        money(b.budget.unwrap_or(b.bac)),
                        b.currency
                    ),
                    None => budget.map(|d| d.reason.clone()).unwrap_or_default(),
                };
            }
            Err(e) => {
                row.problem = Some(match e {
                    crate::error::ApiError::Invalid { message, .. } => message,
                    _ => "cannot be analysed now".to_string(),
                });
            }
        }
        rows.push(row);
    }
    Ok(PortfolioPage { ctx, rows }.into_response())
}

pub struct DimensionRow {
    pub name: String,
    pub rag: Rag,
    pub previous: String,
    pub reason: String,
}

pub struct MilestoneLine {
    pub id: String,
    pub name: String,
    pub promised: String,
    pub baseline: String,
    pub forecast: String,
    pub p50: String,
    pub p80: String,
    pub probability: String,
    pub variance: String,
    /// `None` when no rule colours it (the program finish has no promise).
    pub rag: Option<Rag>,
    pub reason: String,
}

pub struct RiskLine {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub level: String,
    pub score: u8,
    pub p80_days: String,
    pub mitigation: String,
}

pub struct DecisionLine {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub needed_by: String,
    pub overdue: bool,
    pub ask: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "overview.html")]
struct OverviewPage {
    ctx: Ctx,
    name: String,
    as_of: String,
    revision: i64,
    overall: Rag,
    overall_reason: String,
    summary: Vec<String>,
    dimensions: Vec<DimensionRow>,
    milestones: Vec<MilestoneLine>,
    risks: Vec<RiskLine>,
    decisions: Vec<DecisionLine>,
    asks: Vec<String>,
    changes_against: String,
    changes: Vec<String>,
}

pub async fn overview(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "").await?;
    let d = digest::of(&app, &program).await?;
    let r = d.reported().await?;
    let rep = &r.report;
    let previous = |dim: tiller_core::HealthDimension| {
        rep.health
            .previous
            .as_ref()
            .and_then(|p| p.dimension(dim))
            .map(|c| rag_label(Some(c.key())))
            .unwrap_or("–")
            .to_string()
    };
    let page = OverviewPage {
        name: program.name.clone(),
        as_of: rep.as_of.to_string(),
        revision: d.revision.number,
        overall: Rag::of(rep.health.overall.map(|c| c.key())),
        overall_reason: rep.health.overall_reason.clone(),
        summary: rep.summary.clone(),
        dimensions: rep
            .health
            .dimensions
            .iter()
            .map(|x| DimensionRow {
                name: capitalise(x.dimension.key()),
                rag: Rag::of(x.colour.map(|c| c.key())),
                previous: previous(x.dimension),
                reason: x.reason.clone(),
            })
            .collect(),
        milestones: rep
            .milestones
            .iter()
            .map(|m| MilestoneLine {
                id: m.id.clone(),
                name: m.name.clone(),
                promised: date(m.promised),
                baseline: date(m.baseline),
                forecast: m.forecast.to_string(),
                p50: date(m.p50),
                p80: date(m.p80),
                probability: pct(m.probability),
                variance: m
                    .variance
                    .map_or_else(|| "–".to_string(), |v| format!("{v:+}d")),
                rag: m.colour.map(|c| Rag::of(Some(c))),
                reason: m.reason.clone(),
            })
            .collect(),
        risks: rep
            .risks
            .iter()
            .filter(|x| x.status == "open")
            .take(5)
            .map(|x| RiskLine {
                id: x.id.clone(),
                title: x.title.clone(),
                owner: x.owner.clone().unwrap_or_default(),
                level: x.level.to_uppercase(),
                score: x.score,
                p80_days: x
                    .p80_days
                    .map_or_else(|| "–".to_string(), |d| format!("{d}d")),
                mitigation: x.mitigation.clone().unwrap_or_default(),
            })
            .collect(),
        decisions: rep
            .decisions
            .iter()
            .filter(|x| x.status == "open")
            .map(|x| DecisionLine {
                id: x.id.clone(),
                title: x.title.clone(),
                owner: x.owner.clone().unwrap_or_default(),
                needed_by: date(x.needed_by),
                overdue: x.overdue,
                ask: x.ask.clone().unwrap_or_default(),
            })
            .collect(),
        asks: rep
            .asks
            .iter()
            .map(|a| match a.by {
                Some(by) => format!("{} (by {by}): {}", a.id, a.text),
                None => format!("{}: {}", a.id, a.text),
            })
            .collect(),
        changes_against: rep.changes.against.clone(),
        changes: rep.changes.items.clone(),
        ctx,
    };
    Ok(page.into_response())
}

pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
