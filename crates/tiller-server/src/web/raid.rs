//! The RAID log page (filter, sort, create, edit) and the progress form. Entries are
//! listed as `tiller raid` lists them (`tiller_report::raid::raid_log` on the plan
//! with the server's records merged); every write goes through the JSON API's record
//! writer, so a form is validated exactly like `POST …/raid` and a stale edit is a
//! conflict, never an overwrite.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::body::Body;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use serde_json::{Map, Value};
use tiller_store::Record;

use super::{Ctx, WebError, WebResult, date, diagnostic_lines, digest, encode, program_page};
use crate::App;
use crate::api::{Ns, write_record};
use crate::auth::{Auth, Role};
use crate::error::ApiError;

pub const KINDS: [&str; 4] = ["risk", "issue", "decision", "assumption"];

/// The statuses the plan reader accepts per kind.
fn statuses(kind: &str) -> &'static [&'static str] {
    match kind {
        "risk" => &["open", "occurred", "closed"],
        "issue" => &["open", "resolved"],
        "decision" => &["open", "decided"],
        _ => &["open", "validated", "invalid"],
    }
}

/// An editable key of a RAID entry.
struct FieldSpec {
    key: &'static str,
    label: &'static str,
    input: &'static str,
    kinds: &'static [&'static str],
}

const FIELDS: [FieldSpec; 14] = [
    FieldSpec {
        key: "title",
        label: "Title",
        input: "text",
        kinds: &KINDS,
    },
    FieldSpec {
        key: "owner",
        label: "Owner (person id)",
        input: "text",
        kinds: &KINDS,
    },
    FieldSpec {
        key: "status",
        label: "Status",
        input: "select",
        kinds: &KINDS,
    },
    FieldSpec {
        key: "probability",
        label: "Probability (0 to 1)",
        input: "number",
        kinds: &["risk"],
    },
    FieldSpec {
        key: "mitigation",
        label: "Mitigation",
        input: "text",
        kinds: &["risk"],
    },
    FieldSpec {
        key: "mitigation_due",
        label: "Mitigation due",
        input: "date",
        kinds: &["risk"],
    },
    FieldSpec {
        key: "severity",
        label: "Severity",
        input: "select",
        kinds: &["issue"],
    },
    FieldSpec {
        key: "due",
        label: "Due",
        input: "date",
        kinds: &["issue"],
    },
    FieldSpec {
        key: "resolution",
        label: "Resolution",
        input: "text",
        kinds: &["issue"],
    },
    FieldSpec {
        key: "needed_by",
        label: "Needed by",
        input: "date",
        kinds: &["decision"],
    },
    FieldSpec {
        key: "decided_by",
        label: "Decided by",
        input: "text",
        kinds: &["decision"],
    },
    FieldSpec {
        key: "rationale",
        label: "Rationale",
        input: "text",
        kinds: &["decision"],
    },
    FieldSpec {
        key: "validate_by",
        label: "Validate by",
        input: "date",
        kinds: &["assumption"],
    },
    FieldSpec {
        key: "ask",
        label: "Ask of leadership",
        input: "text",
        kinds: &["risk", "issue", "decision"],
    },
];

/// A form field as a template shows it.
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub input: &'static str,
    pub value: String,
    pub options: Vec<&'static str>,
    /// The kinds it applies to, space-separated (the page's script hides the others).
    pub kinds: String,
}

fn fields_for(kind: Option<&str>, body: &Map<String, Value>) -> Vec<Field> {
    FIELDS
        .iter()
        .filter(|f| kind.is_none_or(|k| f.kinds.contains(&k)))
        .map(|f| Field {
            key: f.key,
            label: f.label,
            input: f.input,
            value: match body.get(f.key) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            },
            options: match f.key {
                "status" => {
                    let mut o = vec![""];
                    match kind {
                        Some(k) => o.extend(statuses(k)),
                        None => {
                            for k in KINDS {
                                for s in statuses(k) {
                                    if !o.contains(s) {
                                        o.push(s);
                                    }
                                }
                            }
                        }
                    }
                    o
                }
                "severity" => vec!["", "low", "medium", "high", "critical"],
                _ => Vec::new(),
            },
            kinds: f.kinds.join(" "),
        })
        .collect()
}

/// The record body a form makes: `base` (the entry as it stands) with the form's
/// fields for the kind set, and emptied ones removed.
fn body_from_form(
    kind: &str,
    id: &str,
    base: Map<String, Value>,
    form: &[(String, String)],
) -> Map<String, Value> {
    let mut body = base;
    body.insert("id".to_string(), Value::String(id.to_string()));
    for f in FIELDS.iter().filter(|f| f.kinds.contains(&kind)) {
        let Some((_, v)) = form.iter().find(|(k, _)| k == f.key) else {
            continue;
        };
        let v = v.trim();
        if v.is_empty() {
            body.remove(f.key);
        } else if f.input == "number" {
            // A number the reader can check; text it cannot parse stays text so the
            // reader names the problem.
            match v.parse::<f64>() {
                Ok(x) => body.insert(
                    f.key.to_string(),
                    serde_json::Number::from_f64(x)
                        .map_or(Value::String(v.to_string()), Value::Number),
                ),
                Err(_) => body.insert(f.key.to_string(), Value::String(v.to_string())),
            };
        } else {
            body.insert(f.key.to_string(), Value::String(v.to_string()));
        }
    }
    body
}

fn field<'a>(form: &'a [(String, String)], key: &str) -> &'a str {
    form.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

// ---------------------------------------------------------------------- the log

pub struct Row {
    pub kind: &'static str,
    pub id: String,
    pub title: String,
    pub status: String,
    pub owner: String,
    pub level: String,
    pub score: u8,
    pub date: String,
    pub overdue: bool,
    pub source: String,
}

#[derive(Deserialize, Default)]
pub struct LogQuery {
    kind: Option<String>,
    status: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    saved: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "raid.html")]
struct LogPage {
    ctx: Ctx,
    as_of: String,
    rows: Vec<Row>,
    total: usize,
    kind: String,
    status: String,
    q: String,
    sort: String,
    saved: Option<String>,
    kinds: [&'static str; 4],
    new_fields: Vec<Field>,
    new_kind: String,
    new_id: String,
    error: Option<String>,
    diagnostics: Vec<String>,
}

const SORTS: [(&str, &str); 6] = [
    ("", "Kind, then plan order"),
    ("id", "Id"),
    ("date", "Date (soonest first)"),
    ("score", "Score (highest first)"),
    ("owner", "Owner"),
    ("status", "Status"),
];

pub fn sorts() -> &'static [(&'static str, &'static str)] {
    &SORTS
}

async fn rows_of(
    app: &App,
    program: &tiller_store::Program,
) -> Result<(String, Vec<Row>), WebError> {
    let d = digest::of(app, program).await?;
    let p = &d.analysis.program;
    let as_of = p.status_date.unwrap_or(p.start);
    let high = tiller_report::health::Thresholds::for_program(p).high_risk_score;
    let log = tiller_report::raid::raid_log(p, as_of, high, None);
    let records = app.store.records(program.id, Some("raid")).await?;
    let source = |id: &str| match records.iter().find(|r| r.key == id) {
        Some(r) => format!("server v{} ({})", r.version, r.updated_by),
        None => "plan file".to_string(),
    };
    let mut rows = Vec::new();
    for r in &log.risks {
        rows.push(Row {
            kind: "risk",
            id: r.id.clone(),
            title: r.title.clone(),
            status: r.status.to_string(),
            owner: r.owner.clone().unwrap_or_default(),
            level: format!("{} ({})", r.level, r.score),
            score: r.score,
            date: date(r.mitigation_due),
            overdue: r.overdue,
            source: source(&r.id),
        });
    }
    for r in &log.issues {
        rows.push(Row {
            kind: "issue",
            id: r.id.clone(),
            title: r.title.clone(),
            status: r.status.to_string(),
            owner: r.owner.clone().unwrap_or_default(),
            level: r.severity.to_string(),
            score: 0,
            date: date(r.due),
            overdue: r.overdue,
            source: source(&r.id),
        });
    }
    for r in &log.decisions {
        rows.push(Row {
            kind: "decision",
            id: r.id.clone(),
            title: r.title.clone(),
            status: r.status.to_string(),
            owner: r.owner.clone().unwrap_or_default(),
            level: String::new(),
            score: 0,
            date: date(r.needed_by),
            overdue: r.overdue,
            source: source(&r.id),
        });
    }
    for r in &log.assumptions {
        rows.push(Row {
            kind: "assumption",
            id: r.id.clone(),
            title: r.title.clone(),
            status: r.status.to_string(),
            owner: r.owner.clone().unwrap_or_default(),
            level: String::new(),
            score: 0,
            date: date(r.validate_by),
            overdue: r.overdue,
            source: source(&r.id),
        });
    }
    Ok((as_of.to_string(), rows))
}

fn filter_and_sort(rows: Vec<Row>, q: &LogQuery) -> Vec<Row> {
    let kind = q.kind.as_deref().unwrap_or_default();
    let status = q.status.as_deref().unwrap_or_default();
    let text = q.q.as_deref().unwrap_or_default().trim().to_lowercase();
    let mut rows: Vec<Row> = rows
        .into_iter()
        .filter(|r| kind.is_empty() || r.kind == kind)
        .filter(|r| status.is_empty() || r.status == status || (status == "overdue" && r.overdue))
        .filter(|r| {
            text.is_empty()
                || r.id.to_lowercase().contains(&text)
                || r.title.to_lowercase().contains(&text)
                || r.owner.to_lowercase().contains(&text)
        })
        .collect();
    // Stable sorts: ties keep the plan order.
    match q.sort.as_deref().unwrap_or_default() {
        "id" => rows.sort_by(|a, b| a.id.cmp(&b.id)),
        "date" => rows.sort_by(|a, b| (a.date == "–", &a.date).cmp(&(b.date == "–", &b.date))),
        "score" => rows.sort_by_key(|r| std::cmp::Reverse(r.score)),
        "owner" => rows.sort_by(|a, b| a.owner.cmp(&b.owner)),
        "status" => rows.sort_by(|a, b| a.status.cmp(&b.status)),
        _ => {}
    }
    rows
}

pub async fn log(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    Query(q): Query<LogQuery>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "/raid").await?;
    let (as_of, rows) = rows_of(&app, &program).await?;
    let total = rows.len();
    let saved = q.saved.clone();
    let rows = filter_and_sort(rows, &q);
    Ok(LogPage {
        ctx,
        as_of,
        rows,
        total,
        kind: q.kind.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        q: q.q.unwrap_or_default(),
        sort: q.sort.unwrap_or_default(),
        saved,
        kinds: KINDS,
        new_fields: fields_for(None, &Map::new()),
        new_kind: "risk".to_string(),
        new_id: String::new(),
        error: None,
        diagnostics: Vec::new(),
    }
    .into_response())
}

/// An API refusal as a message and diagnostics for a form.
fn refusal(e: ApiError) -> Result<(StatusCode, String, Vec<String>), WebError> {
    match e {
        ApiError::Invalid {
            message,
            diagnostics,
        } => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Not saved: {message}."),
            diagnostic_lines(&diagnostics),
        )),
        ApiError::BadRequest(m) => Ok((
            StatusCode::BAD_REQUEST,
            format!("Not saved: {m}."),
            Vec::new(),
        )),
        ApiError::Conflict { message, .. } => Ok((
            StatusCode::CONFLICT,
            format!("Not saved: {message}."),
            Vec::new(),
        )),
        other => Err(other.into()),
    }
}

pub async fn create(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Editor, "/raid").await?;
    let kind = field(&form, "kind").to_string();
    let id = field(&form, "id").trim().to_string();
    let mut body = body_from_form(&kind, &id, Map::new(), &form);
    body.insert("kind".to_string(), Value::String(kind.clone()));
    let json = Value::Object(body.clone()).to_string();
    match write_record(&app, &auth, &program.slug, Ns::Raid, Body::from(json), None).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/programs/{}/raid?saved={}",
            program.slug,
            encode(&id)
        ))
        .into_response()),
        Err(e) => {
            let (status, error, diagnostics) = refusal(e)?;
            let (as_of, rows) = rows_of(&app, &program).await?;
            let total = rows.len();
            let mut page = LogPage {
                ctx,
                as_of,
                rows,
                total,
                kind: String::new(),
                status: String::new(),
                q: String::new(),
                sort: String::new(),
                saved: None,
                kinds: KINDS,
                new_fields: fields_for(None, &body),
                new_kind: kind,
                new_id: id,
                error: Some(error),
                diagnostics,
            };
            page.rows = filter_and_sort(std::mem::take(&mut page.rows), &LogQuery::default());
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------------- one entry

#[derive(Template, WebTemplate)]
#[template(path = "raid_edit.html")]
struct EditPage {
    ctx: Ctx,
    kind: String,
    id: String,
    /// The record version the form edits; 0 for an entry only in the plan files.
    version: i64,
    source: String,
    fields: Vec<Field>,
    error: Option<String>,
    diagnostics: Vec<String>,
    /// Set after a refused stale edit: what the entry is now, and what the refused
    /// form said (so nothing typed is lost).
    conflict: Option<Vec<(String, String)>>,
    mine: Vec<(String, String)>,
    history: Vec<(i64, String, String)>,
}

/// The entry `id` as it stands: its server record, else its plan-file entry.
async fn current(
    app: &App,
    program: &tiller_store::Program,
    id: &str,
) -> Result<(String, Map<String, Value>, Option<Record>), WebError> {
    if let Some(r) = app.store.record_by_key(program.id, "raid", id).await? {
        let body = r.body.as_object().cloned().unwrap_or_default();
        return Ok((r.kind.clone(), body, Some(r)));
    }
    let d = digest::of(app, program).await?;
    let bundle = crate::views::revision_bundle(app, &d.revision).await?;
    for kind in KINDS {
        if let Some(body) = plan_entry(&bundle, kind, id) {
            return Ok((kind.to_string(), body, None));
        }
    }
    Err(ApiError::NotFound.into())
}

/// A `[[risk]]` (…) entry of the plan files with this id, as record keys.
fn plan_entry(
    bundle: &tiller_app::bundle::Bundle,
    kind: &str,
    id: &str,
) -> Option<Map<String, Value>> {
    for text in bundle.files.values() {
        let Ok(doc) = text.parse::<toml_edit::DocumentMut>() else {
            continue;
        };
        let Some(entries) = doc.get(kind).and_then(toml_edit::Item::as_array_of_tables) else {
            continue;
        };
        for t in entries.iter() {
            if t.get("id").and_then(toml_edit::Item::as_str) == Some(id) {
                return Some(
                    t.iter()
                        .filter_map(|(k, v)| Some((k.to_string(), json_of(v.as_value()?))))
                        .collect(),
                );
            }
        }
    }
    None
}

fn json_of(v: &toml_edit::Value) -> Value {
    use toml_edit::Value as T;
    match v {
        T::String(s) => Value::String(s.value().clone()),
        T::Integer(i) => Value::from(*i.value()),
        T::Float(f) => serde_json::Number::from_f64(*f.value()).map_or(Value::Null, Value::Number),
        T::Boolean(b) => Value::Bool(*b.value()),
        T::Datetime(d) => Value::String(d.value().to_string()),
        T::Array(a) => Value::Array(a.iter().map(json_of).collect()),
        T::InlineTable(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.to_string(), json_of(v))).collect())
        }
    }
}

async fn history_of(
    app: &App,
    record: Option<&Record>,
) -> Result<Vec<(i64, String, String)>, WebError> {
    let Some(r) = record else {
        return Ok(Vec::new());
    };
    Ok(app
        .store
        .record_history(r.id)
        .await?
        .into_iter()
        .rev()
        .map(|h| (h.version, h.author, super::time(h.at)))
        .collect())
}

fn source_of(record: Option<&Record>) -> String {
    match record {
        Some(r) => format!("server record, version {} by {}", r.version, r.updated_by),
        None => "plan file (saving makes a server record that replaces it)".to_string(),
    }
}

pub async fn edit(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Viewer, "/raid").await?;
    let (kind, body, record) = current(&app, &program, &id).await?;
    let history = history_of(&app, record.as_ref()).await?;
    Ok(EditPage {
        ctx,
        fields: fields_for(Some(&kind), &body),
        kind,
        id,
        version: record.as_ref().map_or(0, |r| r.version),
        source: source_of(record.as_ref()),
        error: None,
        diagnostics: Vec::new(),
        conflict: None,
        mine: Vec::new(),
        history,
    }
    .into_response())
}

pub async fn update(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path((p, id)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult {
    let (program, _, _, ctx) = program_page(&app, &auth, &p, Role::Editor, "/raid").await?;
    let version: i64 = field(&form, "version").parse().unwrap_or(-1);
    let (kind, base, record) = current(&app, &program, &id).await?;
    let body = body_from_form(&kind, &id, base.clone(), &form);
    let result = match (&record, version) {
        // Someone saved this entry since the form was opened from the plan file.
        (Some(r), 0) => Err(ApiError::Conflict {
            message: format!("{} saved this entry meanwhile", r.updated_by),
            current: Value::Null,
        }),
        (Some(r), v) => {
            let json = Value::Object({
                let mut b = body.clone();
                b.insert("kind".to_string(), Value::String(kind.clone()));
                b
            })
            .to_string();
            write_record(
                &app,
                &auth,
                &program.slug,
                Ns::Raid,
                Body::from(json),
                Some((r.id, v)),
            )
            .await
        }
        (None, 0) => {
            let mut b = body.clone();
            b.insert("kind".to_string(), Value::String(kind.clone()));
            write_record(
                &app,
                &auth,
                &program.slug,
                Ns::Raid,
                Body::from(Value::Object(b).to_string()),
                None,
            )
            .await
        }
        (None, _) => Err(ApiError::bad(
            "the form does not match this entry: reload the page",
        )),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!(
            "/programs/{}/raid?saved={}",
            program.slug,
            encode(&id)
        ))
        .into_response()),
        Err(ApiError::Conflict { message, .. }) => {
            // Refused: show the entry as it is now, with its version, so the editor
            // can redo their change on top of it.
            let (kind, now, record) = current(&app, &program, &id).await?;
            let history = history_of(&app, record.as_ref()).await?;
            let shown: Vec<(String, String)> = fields_for(Some(&kind), &now)
                .into_iter()
                .filter(|f| !f.value.is_empty())
                .map(|f| (f.label.to_string(), f.value))
                .collect();
            let current: Vec<Field> = fields_for(Some(&kind), &now);
            let mine: Vec<(String, String)> = fields_for(Some(&kind), &body)
                .into_iter()
                .zip(&current)
                .filter(|(m, c)| m.value != c.value)
                .map(|(m, _)| {
                    let v = if m.value.is_empty() {
                        "(empty)".to_string()
                    } else {
                        m.value
                    };
                    (m.label.to_string(), v)
                })
                .collect();
            let page = EditPage {
                ctx,
                fields: fields_for(Some(&kind), &now),
                kind,
                id,
                version: record.as_ref().map_or(0, |r| r.version),
                source: source_of(record.as_ref()),
                error: Some(format!(
                    "Not saved: {message}. The entry below is the current one; your changes were not applied."
                )),
                diagnostics: Vec::new(),
                conflict: Some(shown),
                mine,
                history,
            };
            Ok((StatusCode::CONFLICT, page).into_response())
        }
        Err(e) => {
            let (status, error, diagnostics) = refusal(e)?;
            let history = history_of(&app, record.as_ref()).await?;
            let page = EditPage {
                ctx,
                fields: fields_for(Some(&kind), &body),
                kind,
                id,
                version,
                source: source_of(record.as_ref()),
                error: Some(error),
                diagnostics,
                conflict: None,
                mine: Vec::new(),
                history,
            };
            Ok((status, page).into_response())
        }
    }
}

// ---------------------------------------------------------------------- progress

pub struct ProgressRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub done: String,
    pub finish: String,
    pub critical: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "progress.html")]
struct ProgressPage {
    ctx: Ctx,
    teams: Vec<(String, String)>,
    team: String,
    date: String,
    rows: Vec<ProgressRow>,
    saved: usize,
    errors: Vec<String>,
    diagnostics: Vec<String>,
}

#[derive(Deserialize)]
pub struct ProgressQuery {
    team: Option<String>,
    saved: Option<usize>,
}

/// The team whose tasks the form lists: the asked one, else the one the user leads
/// (a person whose id is the user name), else the first.
fn pick_team(p: &tiller_core::Program, asked: Option<&str>, user: &str) -> Option<usize> {
    if let Some(a) = asked
        && let Some(i) = p.teams.iter().position(|t| t.id == a)
    {
        return Some(i);
    }
    p.teams
        .iter()
        .position(|t| t.lead.is_some_and(|l| p.person(l).id == user))
        .or(if p.teams.is_empty() { None } else { Some(0) })
}

async fn progress_page(
    app: &App,
    program: &tiller_store::Program,
    ctx: Ctx,
    user: &str,
    team: Option<&str>,
) -> Result<ProgressPage, WebError> {
    let d = digest::of(app, program).await?;
    let a = &d.analysis;
    let p = &a.program;
    let doc = tiller_app::output::schedule_doc(p, &a.schedule, &[], &a.sources);
    let team = pick_team(p, team, user);
    // The schedule document lists tasks in outline order, without milestones.
    let by_id: std::collections::HashMap<&str, &tiller_app::output::TaskRow> =
        doc.tasks.iter().map(|r| (r.id.as_str(), r)).collect();
    let rows = match team {
        Some(ti) => p
            .tasks
            .iter()
            .filter(|t| {
                t.kind == tiller_core::TaskKind::Leaf && t.team.is_some_and(|x| x.index() == ti)
            })
            .filter_map(|t| by_id.get(t.id.as_str()).map(|row| (t, *row)))
            .filter(|(_, row)| row.status != "done")
            .map(|(t, row)| ProgressRow {
                id: t.id.clone(),
                name: t.name.clone(),
                status: row.status.replace('_', " "),
                done: format!("{:.0}", row.done * 100.0),
                finish: row.finish.to_string(),
                critical: row.critical,
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(ProgressPage {
        ctx,
        teams: p
            .teams
            .iter()
            .map(|t| (t.id.clone(), t.name.clone().unwrap_or_else(|| t.id.clone())))
            .collect(),
        team: team.map(|i| p.teams[i].id.clone()).unwrap_or_default(),
        date: p.status_date.unwrap_or(p.start).to_string(),
        rows,
        saved: 0,
        errors: Vec::new(),
        diagnostics: Vec::new(),
    })
}

pub async fn progress_form(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    Query(q): Query<ProgressQuery>,
) -> WebResult {
    let (program, _, caller, ctx) =
        program_page(&app, &auth, &p, Role::Viewer, "/progress").await?;
    let mut page = progress_page(
        &app,
        &program,
        ctx,
        &caller.user.username,
        q.team.as_deref(),
    )
    .await?;
    page.saved = q.saved.unwrap_or(0);
    Ok(page.into_response())
}

/// Records every row whose values changed: one progress record per task (`TASK@DATE`,
/// updated in place when it exists), each through the API's writer.
pub async fn progress_submit(
    State(app): State<App>,
    Extension(auth): Extension<Auth>,
    Path(p): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> WebResult {
    let (program, _, caller, ctx) =
        program_page(&app, &auth, &p, Role::Editor, "/progress").await?;
    let team = field(&form, "team").to_string();
    let day = field(&form, "date").trim().to_string();
    let page = progress_page(&app, &program, ctx, &caller.user.username, Some(&team)).await?;
    let mut saved = 0;
    let mut errors = Vec::new();
    let mut diagnostics = Vec::new();
    for row in &page.rows {
        let done = field(&form, &format!("done.{}", row.id)).trim();
        let note = field(&form, &format!("note.{}", row.id)).trim();
        let remaining = field(&form, &format!("remaining.{}", row.id)).trim();
        let finished = field(&form, &format!("finished.{}", row.id)) == "on";
        if (done.is_empty() || done == row.done)
            && remaining.is_empty()
            && note.is_empty()
            && !finished
        {
            continue;
        }
        let mut body = Map::new();
        body.insert("task".to_string(), Value::String(row.id.clone()));
        body.insert("date".to_string(), Value::String(day.clone()));
        if finished {
            body.insert("status".to_string(), Value::String("done".to_string()));
            body.insert("finished".to_string(), Value::String(day.clone()));
        } else {
            match done.parse::<f64>() {
                Ok(x) if (0.0..=100.0).contains(&x) => {
                    body.insert("done".to_string(), Value::from(x / 100.0));
                }
                _ if done.is_empty() => {}
                _ => {
                    errors.push(format!(
                        "{}: done must be a percentage from 0 to 100, not `{done}`",
                        row.id
                    ));
                    continue;
                }
            }
        }
        if !remaining.is_empty() && !finished {
            // As the plan format writes it ("5d"); the reader checks it.
            body.insert(
                "remaining".to_string(),
                Value::String(remaining.to_string()),
            );
        }
        if !note.is_empty() {
            body.insert("note".to_string(), Value::String(note.to_string()));
        }
        let key = tiller_app::bundle::progress_key(&row.id, &day);
        let existing = app
            .store
            .record_by_key(program.id, "progress", &key)
            .await?;
        let json = Value::Object(body).to_string();
        let replace = existing.map(|r| (r.id, r.version));
        match write_record(
            &app,
            &auth,
            &program.slug,
            Ns::Progress,
            Body::from(json),
            replace,
        )
        .await
        {
            Ok(_) => saved += 1,
            Err(e) => {
                let (_, message, d) = refusal(e)?;
                errors.push(format!("{}: {message}", row.id));
                diagnostics.extend(d);
            }
        }
    }
    if errors.is_empty() {
        return Ok(Redirect::to(&format!(
            "/programs/{}/progress?team={}&saved={saved}",
            program.slug,
            encode(&team)
        ))
        .into_response());
    }
    // Show the form again as it stands now, with what was refused.
    let (_, _, _, ctx) = program_page(&app, &auth, &p, Role::Editor, "/progress").await?;
    let mut page = progress_page(&app, &program, ctx, &caller.user.username, Some(&team)).await?;
    page.saved = saved;
    page.errors = errors;
    page.diagnostics = diagnostics;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}
