//! Forecast, resources, budget, the status report and history. Charts are the status
//! report's own SVG charts (`tiller_report::charts`, drawn by `status::build`), so a
//! page shows exactly what `tiller report` would; tables next to them carry the same
//! figures as text.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use tiller_core::Audience;
use tiller_report::status::StatusReport;

use super::{Ctx, WebError, WebResult, digest, money, pct, program_page};
use crate::App;
use crate::auth::{Auth, Role};
use crate::error::ApiError;

/// A chart of the report: its SVG (drawn by tiller-report from plan data, with
/// every text escaped there) and caption.
pub struct ChartView {
    pub id: String,
    pub title: String,
    pub caption: String,
    pub svg: String,
}

fn charts(r: &digest::Reported, keep: impl Fn(&str) -> bool) -> Vec<ChartView> {
    r.report
        .charts
        .iter()
        .filter(|c| keep(&c.id))
        .map(|c| ChartView {
            id: c.id.clone(),
            title: c.title.clone(),
            caption: c.caption.clone(),
            svg: c.svg.clone(),
        })
        .collect()
}

// ---------------------------------------------------------------------- forecast

pub struct Bar {
    pub id: String,
    pub label: String,
    pub value: String,
    /// Width in percent of the largest.
    pub width: f64,
}

#[derive(Template, WebTemplate)]
#[template(path = "forecast.html")]
struct ForecastPage {
    ctx: Ctx,
    settings: String,
    rows: Vec<(String, String, String, String, String, String)>,
    charts: Vec<ChartView>,
    criticality: Vec<Bar>,
    tornado: Vec<Bar>,
}

pub async fn forecast(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "/forecast").await?;
    let d = digest::of(&app, &program).await?;
    let r = d.reported().await?;
    let mut rows = Vec::new();
    let mut criticality = Vec::new();
    let mut tornado = Vec::new();
    let mut settings = "No forecast was run.".to_string();
    if let Some(f) = &r.forecast {
        settings = r.report.forecast.clone().unwrap_or_default();
        for m in &f.milestones {
            rows.push((
                format!("{} ({})", m.name, m.id),
                m.deterministic.to_string(),
                m.p50.to_string(),
                m.p80.to_string(),
                m.promised
                    .map_or_else(|| "–".to_string(), |d| d.to_string()),
                pct(m.probability_on_time),
            ));
        }
        let mut tasks: Vec<&tiller_engine::forecast::TaskSensitivity> =
            f.tasks.iter().filter(|t| t.criticality > 0.0).collect();
        // Most critical first; ties in plan order (a stable sort).
        tasks.sort_by(|a, b| b.criticality.total_cmp(&a.criticality));
        criticality = tasks
            .iter()
            .take(15)
            .map(|t| Bar {
                id: t.id.clone(),
                label: t.id.clone(),
                value: format!("{:.0}% · SSI {:.2}", t.criticality * 100.0, t.ssi),
                width: t.criticality * 100.0,
            })
            .collect();
        let max = f
            .tornado
            .iter()
            .map(|b| b.p80_days.abs())
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        tornado = f
            .tornado
            .iter()
            .take(15)
            .map(|b| Bar {
                id: b.risk.clone(),
                label: format!("{} {}", b.risk, b.title),
                value: format!(
                    "{} working days · occurs in {:.0}% · P80 cost {}",
                    b.p80_days,
                    b.occurred * 100.0,
                    money(b.p80_cost)
                ),
                width: b.p80_days.abs() as f64 / max * 100.0,
            })
            .collect();
    }
    Ok(ForecastPage {
        ctx,
        settings,
        rows,
        charts: charts(&r, |id| id.starts_with("forecast-") || id == "drift"),
        criticality,
        tornado,
    }
    .into_response())
}

// ---------------------------------------------------------------------- resources

pub struct HeatRow {
    pub kind: &'static str,
    pub id: String,
    pub team: String,
    /// (text, class) per week.
    pub cells: Vec<(String, &'static str)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "resources.html")]
struct ResourcesPage {
    ctx: Ctx,
    weeks: Vec<String>,
    rows: Vec<HeatRow>,
    over: Vec<(String, String, String, String, String)>,
    leveled: bool,
}

pub async fn resources(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "/resources").await?;
    let d = digest::of(&app, &program).await?;
    let r = d.reported().await?;
    let (mut weeks, mut rows, mut over, mut leveled) = (Vec::new(), Vec::new(), Vec::new(), false);
    if let Some(load) = &r.load {
        let doc = tiller_app::leveling::load_doc(&d.analysis.program, load);
        leveled = doc.leveled;
        weeks = doc
            .weeks
            .iter()
            .map(|w| w.format("%m-%d").to_string())
            .collect();
        rows = doc
            .rows
            .iter()
            .map(|row| HeatRow {
                kind: row.kind,
                id: row.id.clone(),
                team: row.team.clone().unwrap_or_default(),
                cells: row
                    .weeks
                    .iter()
                    .map(|c| match c.load_pct {
                        Some(p) => (
                            format!("{p:.0}%{}", if c.over { " over" } else { "" }),
                            match p {
                                p if p > 125.0 => "l4",
                                p if p > 100.0 => "l3",
                                p if p > 50.0 => "l2",
                                p if p > 0.0 => "l1",
                                _ => "l0",
                            },
                        ),
                        None => ("–".to_string(), "l0"),
                    })
                    .collect(),
            })
            .collect();
        over = doc
            .over_allocations
            .iter()
            .map(|o| {
                (
                    format!("{} {}", o.kind, o.id),
                    o.from.to_string(),
                    o.to.to_string(),
                    o.days.to_string(),
                    format!("{} of {}", o.demand, o.capacity),
                )
            })
            .collect();
    }
    Ok(ResourcesPage {
        ctx,
        weeks,
        rows,
        over,
        leveled,
    }
    .into_response())
}

// ---------------------------------------------------------------------- budget

#[derive(Template, WebTemplate)]
#[template(path = "budget.html")]
struct BudgetPage {
    ctx: Ctx,
    figures: Vec<(&'static str, String)>,
    workstreams: Vec<(String, String, String, String, String, String)>,
    charts: Vec<ChartView>,
    missing: String,
}

fn ratio(x: Option<f64>) -> String {
    x.map_or_else(|| "–".to_string(), |x| format!("{x:.2}"))
}

pub async fn budget(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "/budget").await?;
    let d = digest::of(&app, &program).await?;
    let r = d.reported().await?;
    let mut figures = Vec::new();
    let mut missing = String::new();
    match &r.report.budget {
        Some(b) => {
            let c = &b.currency;
            let m = |x: f64| format!("{} {c}", money(x));
            figures.push((
                "Authorised budget",
                b.budget.map_or_else(|| "–".to_string(), m),
            ));
            figures.push(("Reserve", b.reserve.map_or_else(|| "–".to_string(), m)));
            figures.push(("Budget at completion (BAC)", m(b.bac)));
            figures.push(("Spent (AC)", m(b.spent)));
            figures.push(("Earned (EV)", m(b.earned)));
            figures.push(("CPI", ratio(b.cpi)));
            figures.push(("SPI", ratio(b.spi)));
            figures.push(("EAC (larger of the two)", m(b.eac)));
            figures.push(("EAC bottom-up", m(b.eac_bottom_up)));
            figures.push((
                "EAC = BAC ÷ CPI",
                b.eac_cpi.map_or_else(|| "–".to_string(), m),
            ));
            figures.push(("Variance (budget − EAC)", m(b.variance)));
            figures.push((
                "Forecast P80 cost",
                b.p80_cost.map_or_else(|| "–".to_string(), m),
            ));
            figures.push(("P(within budget)", pct(b.probability_within_budget)));
        }
        None => {
            missing = "Earned value needs a baseline and a status date.".to_string();
        }
    }
    let workstreams = r
        .evm
        .as_ref()
        .map(|e| {
            e.workstreams
                .iter()
                .map(|w| {
                    (
                        w.task.clone(),
                        money(w.metrics.bac),
                        money(w.metrics.ev),
                        money(w.metrics.ac),
                        ratio(w.metrics.cpi),
                        ratio(w.metrics.spi),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(BudgetPage {
        ctx,
        figures,
        workstreams,
        charts: charts(&r, |id| id == "evm" || id == "burn-up"),
        missing,
    }
    .into_response())
}

// ---------------------------------------------------------------------- report

#[derive(Template, WebTemplate)]
#[template(path = "report.html")]
struct ReportPage {
    ctx: Ctx,
    as_of: String,
    headline: String,
    /// `exec` or `team`.
    audience: &'static str,
}

type Query = axum::extract::Query<std::collections::BTreeMap<String, String>>;

/// The audience a report request asks for (`?audience=exec|team`, team when absent),
/// as `tiller report --audience`.
fn audience_of(q: &std::collections::BTreeMap<String, String>) -> Result<Audience, WebError> {
    match q.get("audience") {
        None => Ok(Audience::Team),
        Some(a) => match Audience::parse(a) {
            Some(a) => Ok(a),
            None => Err(WebError::Api(ApiError::bad(format!(
                "unknown audience `{a}` (expected exec or team)"
            )))),
        },
    }
}

/// Renders the report for the requested audience with `render`.
async fn render_report<T>(
    d: &std::sync::Arc<digest::Digest>,
    audience: Audience,
    render: impl FnOnce(&StatusReport) -> T,
) -> Result<T, WebError> {
    Ok(match audience {
        Audience::Exec => render(&*d.exec_report().await?),
        Audience::Team => render(&d.reported().await?.report),
    })
}

pub async fn report(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    axum::extract::Query(q): Query,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "/report").await?;
    let audience = audience_of(&q)?;
    let d = digest::of(&app, &program).await?;
    let (as_of, headline) =
        render_report(&d, audience, |r| (r.as_of.to_string(), r.headline.clone())).await?;
    Ok(ReportPage {
        ctx,
        as_of,
        headline,
        audience: audience.key(),
    }
    .into_response())
}

fn attachment(name: String) -> String {
    // Slugs are lower-case letters, digits and `-`: safe in a header as they are.
    format!("attachment; filename=\"{name}\"")
}

/// `tiller report PLAN` (Markdown), byte for byte.
pub async fn report_markdown(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    axum::extract::Query(q): Query,
) -> WebResult {
    let (program, _, _, _) = program_page(&app, &auth, &p, Role::Viewer, "/report").await?;
    let audience = audience_of(&q)?;
    let d = digest::of(&app, &program).await?;
    let (text, as_of) = render_report(&d, audience, |r| {
        (tiller_report::markdown::render(r), r.as_of)
    })
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/markdown; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                attachment(format!("{}-{}.md", program.slug, as_of)),
            ),
        ],
        text,
    )
        .into_response())
}

/// `tiller report PLAN --format html`, byte for byte: one self-contained file (shown
/// in the report page's frame, or downloaded with `?download=1`).
pub async fn report_html(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    axum::extract::Query(q): Query,
) -> WebResult {
    let (program, _, _, _) = program_page(&app, &auth, &p, Role::Viewer, "/report").await?;
    let audience = audience_of(&q)?;
    let d = digest::of(&app, &program).await?;
    let (text, as_of) =
        render_report(&d, audience, |r| (tiller_report::html::render(r), r.as_of)).await?;
    let disposition = if q.contains_key("download") {
        attachment(format!("{}-{}.html", program.slug, as_of))
    } else {
        "inline".to_string()
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            // The report has no scripts and fetches nothing: say so to the browser.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:".to_string(),
            ),
        ],
        text,
    )
        .into_response())
}

// ---------------------------------------------------------------------- history

#[derive(Template, WebTemplate)]
#[template(path = "history.html")]
struct HistoryPage {
    ctx: Ctx,
    revisions: Vec<(i64, String, String, String)>,
    changes: Vec<(String, String, String, String)>,
    charts: Vec<ChartView>,
}

pub async fn history(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "/history").await?;
    let revisions = app
        .store
        .revisions(program.id)
        .await?
        .into_iter()
        .rev()
        .map(|r| {
            (
                r.number,
                r.author,
                super::time(r.created_at),
                r.message.unwrap_or_default(),
            )
        })
        .collect();
    // Who changed what: the record writes (with what they set) from the audit trail,
    // readable by every member; the rest of the trail stays with the owners (API).
    let changes = app
        .store
        .audit_log(Some(program.id), None, 200)
        .await?
        .into_iter()
        .filter(|e| {
            ["progress.", "raid.", "revision.", "baseline."]
                .iter()
                .any(|p| e.action.starts_with(p))
        })
        .map(|e| {
            (
                super::time(e.at),
                e.user.unwrap_or_default(),
                format!("{} {}", e.action, e.target),
                summarise(&e.detail),
            )
        })
        .collect();
    let charts = match digest::of(&app, &program).await {
        Ok(d) => match d.reported().await {
            Ok(r) => charts(&r, |id| id == "drift"),
            Err(_) => Vec::new(),
        },
        Err(_) => Vec::new(),
    };
    Ok(HistoryPage {
        ctx,
        revisions,
        changes,
        charts,
    }
    .into_response())
}

/// A short line of what a write set: its keys and values.
fn summarise(v: &serde_json::Value) -> String {
    let body = v.get("body").unwrap_or(v);
    match body.as_object() {
        Some(o) => o
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => String::new(),
    }
}
