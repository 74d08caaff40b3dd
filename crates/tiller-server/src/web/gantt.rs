//! The Gantt page. The page is a shell; its script fetches the rows once as compact
//! JSON (`gantt.json`: one array per task in outline order, dates as day offsets
//! from the program start) and keeps in the document only the rows in view, so a
//! 5,000-task plan scrolls as smoothly as a small one. Clicking a bar asks
//! `gantt/explain` why the task starts when it does (the leveling explanation of
//! `tiller level --explain`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ctx, WebResult, digest, program_page};
use crate::App;
use crate::auth::{Auth, Role};
use crate::error::ApiError;

#[derive(Template, WebTemplate)]
#[template(path = "gantt.html")]
struct GanttPage {
    ctx: Ctx,
}

pub async fn page(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> WebResult {
    let (_, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "/gantt").await?;
    Ok(GanttPage { ctx }.into_response())
}

/// The rows: `[id, name, depth, kind (0 task, 1 summary, 2 milestone), start, finish,
/// critical (0/1), done %, baseline start, baseline finish (null without a
/// baseline), parent row (-1 at the top), [predecessor rows]]`; `finish` is the
/// day after the last working day, so a bar spans `[start, finish)`.
pub async fn rows(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
) -> WebResult {
    let (program, _, _, _) = program_page(&app, &auth, &p, Role::Viewer, "/gantt").await?;
    let d = digest::of(&app, &program).await?;
    let body = tokio::task::spawn_blocking(move || gantt_json(&d.analysis).to_string())
        .await
        .map_err(|e| ApiError::internal(format!("gantt task: {e}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}

fn gantt_json(a: &tiller_app::analysis::Analysis) -> Value {
    let p = &a.program;
    let s = &a.schedule;
    let origin = p.start;
    let day = |d: chrono::NaiveDate| (d - origin).num_days();
    let outline = tiller_report::charts::gantt::outline(p);
    let mut row_of = vec![-1i64; p.tasks.len()];
    for (row, (t, _)) in outline.iter().enumerate() {
        row_of[t.index()] = row as i64;
    }
    let doc = tiller_app::output::schedule_doc(p, s, &[], &a.sources);
    let done: std::collections::HashMap<&str, f64> =
        doc.tasks.iter().map(|r| (r.id.as_str(), r.done)).collect();
    let baseline = tiller_app::tracking::pick_baseline(p, None).ok().flatten();
    let mut base: Vec<Option<(i64, i64)>> = vec![None; p.tasks.len()];
    if let Some(b) = baseline {
        for bt in &b.tasks {
            if let Some(t) = bt.task {
                base[t.index()] = Some((day(bt.start), day(bt.finish) + 1));
            }
        }
    }
    let mut rows = Vec::with_capacity(outline.len());
    for (t, depth) in &outline {
        let task = p.task(*t);
        let times = &s.times[t.index()];
        let kind = match task.kind {
            tiller_core::TaskKind::Leaf => 0,
            tiller_core::TaskKind::Summary => 1,
            tiller_core::TaskKind::Milestone => 2,
        };
        let start = day(s.start_date(*t));
        let finish = if kind == 2 {
            day(s.finish_date(*t))
        } else {
            day(s.finish_date(*t)) + 1
        };
        let preds: Vec<i64> = task.deps.iter().map(|d| row_of[d.pred.index()]).collect();
        let (bs, bf) = match base[t.index()] {
            Some((a, b)) => (json!(a), json!(b)),
            None => (Value::Null, Value::Null),
        };
        rows.push(json!([
            task.id,
            task.name,
            depth,
            kind,
            start,
            finish,
            i32::from(times.critical),
            (done.get(task.id.as_str()).copied().unwrap_or(0.0) * 100.0).round(),
            bs,
            bf,
            task.parent.map_or(-1, |x| row_of[x.index()]),
            preds,
        ]));
    }
    json!({
        "program": p.name,
        "origin": origin,
        "status": p.status_date.map(day),
        "finish": day(s.finish_date_of_program()) + 1,
        "baseline": baseline.map(|b| b.name.clone()),
        "rows": rows,
    })
}

#[derive(Deserialize)]
pub struct ExplainQuery {
    task: String,
}

/// Why a task starts when it does: its critical-path figures and the leveling
/// explanation (`tiller level --explain TASK`).
pub async fn explain(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    Query(q): Query<ExplainQuery>,
) -> WebResult {
    let (program, _, _, _) = program_page(&app, &auth, &p, Role::Viewer, "/gantt").await?;
    let d = digest::of(&app, &program).await?;
    let Some(t) = d.analysis.program.find_task(&q.task) else {
        return Err(ApiError::NotFound.into());
    };
    let s = &d.analysis.schedule;
    let times = &s.times[t.index()];
    let mut text = format!(
        "{}  {}\n  critical path  {} → {}, total float {} working days{}\n",
        d.analysis.program.task(t).id,
        d.analysis.program.task(t).name,
        s.start_date(t),
        s.finish_date(t),
        times.total_float,
        if times.critical { " (critical)" } else { "" }
    );
    match d.leveling().await {
        Ok(lv) => {
            let a = &d.analysis;
            text.push_str(&tiller_app::leveling::explain_text(a, &lv, t));
        }
        Err(_) => text.push_str(
            "  leveling: the plan cannot be leveled, so there is no resource explanation\n",
        ),
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}
