//! Analyses of a plan revision: the revision's files with the program's records and
//! baselines merged in (the same merge `tiller pull` writes to files), loaded and
//! scheduled by `tiller_app`, rendered as the CLI's JSON, and cached in the database.
//!
//! The cache key is the SHA-256 of the view and its parameters, the revision's bundle
//! hash (itself a hash of every file's content) and the program's record state (a
//! counter moved by every record or baseline write), so an entry is never stale and
//! any server process can use an entry another one wrote.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};
use tiller_app::analysis::{Analysis, Rejected};
use tiller_app::bundle::{self, BaselineText, Bundle, BundleIndex, Layout, RecordKind};
use tiller_app::{output, tracking};
use tiller_store::{Program, Revision};

use crate::App;
use crate::error::ApiError;

/// A milestone's chance of meeting its promised date.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MilestoneOdds {
    pub id: String,
    pub probability: f64,
}

/// The forecast hook: when set on the [`App`], its probabilities appear in the health
/// view and drive the `milestone.at_risk` webhook event. Implementations must be
/// deterministic (same plan, same answer) because results are cached by content.
pub trait Forecaster: Send + Sync {
    fn milestone_odds(
        &self,
        program: &tiller_core::Program,
        schedule: &tiller_engine::Schedule,
    ) -> Vec<MilestoneOdds>;
}

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    Schedule {
        baseline: Option<String>,
        as_of: Option<NaiveDate>,
    },
    Evm {
        baseline: Option<String>,
        as_of: Option<NaiveDate>,
    },
    Health,
    Diff {
        against: i64,
    },
}

impl View {
    fn key(&self) -> String {
        match self {
            View::Schedule { baseline, as_of } => format!("schedule|{baseline:?}|{as_of:?}"),
            View::Evm { baseline, as_of } => format!("evm|{baseline:?}|{as_of:?}"),
            View::Health => "health".to_string(),
            View::Diff { against } => format!("diff|{against}"),
        }
    }

    fn as_of(&self) -> Option<NaiveDate> {
        match self {
            View::Schedule { as_of, .. } | View::Evm { as_of, .. } => *as_of,
            _ => None,
        }
    }
}

/// Diagnostics as the CLI's `check --json` lists them.
pub fn diagnostics(r: &Rejected) -> Value {
    json!(output::warning_rows(&r.diagnostics, &r.sources))
}

/// The hash of a bundle: of the root's path and every (path, content hash) pair.
pub fn bundle_hash(b: &Bundle) -> String {
    let mut s = format!("root {}\n", b.root);
    for (path, text) in &b.files {
        s.push_str(&format!(
            "{} {}\n",
            crate::sha256_hex(text.as_bytes()),
            path
        ));
    }
    crate::sha256_hex(s.as_bytes())
}

/// The files of a stored revision.
pub async fn revision_bundle(app: &App, rev: &Revision) -> Result<Bundle, ApiError> {
    let mut files = std::collections::BTreeMap::new();
    for (path, hash) in app.store.revision_files(rev.id).await? {
        files.insert(path, app.blob(&hash).await?.to_string());
    }
    Ok(Bundle {
        root: rev.root.clone(),
        files,
    })
}

/// The program's records as plan entries.
pub fn plan_records(records: &[tiller_store::Record]) -> Vec<bundle::Record> {
    records
        .iter()
        .filter_map(|r| {
            Some(bundle::Record {
                kind: RecordKind::parse(&r.kind)?,
                body: r.body.as_object()?.clone(),
            })
        })
        .collect()
}

/// Everything merged into a revision's files on the server.
pub struct Overlay {
    pub records: Vec<bundle::Record>,
    pub baselines: Vec<BaselineText>,
}

pub async fn overlay(app: &App, program: &Program) -> Result<Overlay, ApiError> {
    let records = app.store.records(program.id, None).await?;
    let baselines = app
        .store
        .baselines(program.id)
        .await?
        .into_iter()
        .map(|b| BaselineText {
            name: b.name,
            text: b.content,
        })
        .collect();
    Ok(Overlay {
        records: plan_records(&records),
        baselines,
    })
}

pub fn index_of(rev: &Revision) -> BundleIndex {
    serde_json::from_str(&rev.index_json).unwrap_or_default()
}

/// Merges and analyses; `Err` carries the diagnostics.
pub fn analyze_merged(
    base: &Bundle,
    index: &BundleIndex,
    overlay: &Overlay,
    as_of: Option<NaiveDate>,
) -> Result<Analysis, ApiError> {
    let merged = bundle::merge(
        base,
        index,
        &overlay.records,
        &overlay.baselines,
        Layout::Analysis,
    )
    .map_err(|e| ApiError::Invalid {
        message: format!("the records on the server cannot be merged into the plan: {e}"),
        diagnostics: json!([]),
    })?;
    tiller_app::analysis::analyze_as_of(merged.load(), as_of).map_err(|r| ApiError::Invalid {
        message: if overlay.records.is_empty() && overlay.baselines.is_empty() {
            "the plan does not check".to_string()
        } else {
            "the plan with the records entered on the server does not check".to_string()
        },
        diagnostics: diagnostics(&r),
    })
}

fn colour_rank(c: &str) -> u8 {
    match c {
        "red" => 2,
        "amber" => 1,
        _ => 0,
    }
}

/// Thresholds of the health colour. Red: a promised milestone late by more than
/// [`RED_SLIP_DAYS`] working days, or SPI or CPI under [`RED_INDEX`]. Amber: any
/// promised milestone late, or SPI or CPI under [`AMBER_INDEX`]. Green otherwise.
pub const RED_SLIP_DAYS: i64 = 5;
pub const RED_INDEX: f64 = 0.8;
pub const AMBER_INDEX: f64 = 0.95;

/// Programme health: a colour with the reasons behind it, milestone dates against
/// promises (with odds when a forecaster is installed), and the open RAID entries
/// that have a due date (for overdue notices).
pub fn health(a: &Analysis, odds: Option<&[MilestoneOdds]>) -> Value {
    let doc = output::schedule_doc(&a.program, &a.schedule, &[], &a.sources);
    let mut colour = "green";
    let mut reasons: Vec<String> = Vec::new();
    let mut raise = |c: &'static str, why: String, colour: &mut &'static str| {
        if colour_rank(c) > colour_rank(colour) {
            *colour = c;
        }
        reasons.push(why);
    };
    let mut milestones = Vec::new();
    for m in &doc.milestones {
        if let (Some(p), false) = (m.promised, m.on_time.unwrap_or(true)) {
            let late = -m.float;
            let c = if late > RED_SLIP_DAYS { "red" } else { "amber" };
            raise(
                c,
                format!(
                    "milestone `{}` forecast {} misses its promise {p} by {late} working days",
                    m.id, m.date
                ),
                &mut colour,
            );
        }
        let probability = odds.and_then(|o| o.iter().find(|x| x.id == m.id).map(|x| x.probability));
        milestones.push(json!({
            "id": m.id, "name": m.name, "date": m.date, "promised": m.promised,
            "float": m.float, "on_time": m.on_time, "probability": probability,
        }));
    }
    let mut evm = Value::Null;
    if a.program.status_date.is_some()
        && let Ok(b) = tracking::pick_baseline(&a.program, None)
        && let Ok(r) = tracking::evm(&a.program, b, None)
    {
        for (name, v) in [("SPI", r.program.spi), ("CPI", r.program.cpi)] {
            if let Some(v) = v {
                if v < RED_INDEX {
                    raise(
                        "red",
                        format!("{name} {v:.2} is under {RED_INDEX}"),
                        &mut colour,
                    );
                } else if v < AMBER_INDEX {
                    raise(
                        "amber",
                        format!("{name} {v:.2} is under {AMBER_INDEX}"),
                        &mut colour,
                    );
                }
            }
        }
        evm = json!({ "as_of": r.as_of, "baseline": r.baseline, "spi": r.program.spi, "cpi": r.program.cpi });
    }
    let p = &a.program;
    let mut due = Vec::new();
    for r in &p.risks {
        if r.status == tiller_core::RiskStatus::Open
            && let Some(d) = r.mitigation_due
        {
            due.push(json!({"id": r.id, "kind": "risk", "title": r.title, "due": d}));
        }
    }
    for i in &p.issues {
        if i.status == tiller_core::IssueStatus::Open
            && let Some(d) = i.due
        {
            due.push(json!({"id": i.id, "kind": "issue", "title": i.title, "due": d}));
        }
    }
    for d in &p.decisions {
        if d.status == tiller_core::DecisionStatus::Open
            && let Some(n) = d.needed_by
        {
            due.push(json!({"id": d.id, "kind": "decision", "title": d.title, "due": n}));
        }
    }
    for x in &p.assumptions {
        if x.status == tiller_core::AssumptionStatus::Open
            && let Some(n) = x.validate_by
        {
            due.push(json!({"id": x.id, "kind": "assumption", "title": x.title, "due": n}));
        }
    }
    let open_risks: Vec<&str> = p
        .risks
        .iter()
        .filter(|r| r.status == tiller_core::RiskStatus::Open)
        .map(|r| r.id.as_str())
        .collect();
    json!({
        "program": doc.program,
        "finish": doc.finish,
        "colour": colour,
        "reasons": reasons,
        "thresholds": { "red_slip_days": RED_SLIP_DAYS, "red_index": RED_INDEX, "amber_index": AMBER_INDEX },
        "milestones": milestones,
        "evm": evm,
        "open_risks": open_risks,
        "raid_due": due,
    })
}

/// Renders a view of an analysis as the CLI's JSON (same fields, same order).
pub fn render(
    view: &View,
    a: &Analysis,
    forecaster: Option<&dyn crate::Forecaster>,
) -> Result<String, ApiError> {
    let bad = |e: tracking::TrackingError| ApiError::BadRequest(e.to_string());
    let ser = |r: serde_json::Result<String>| r.map_err(|e| ApiError::internal(e.to_string()));
    match view {
        View::Schedule { baseline, .. } => {
            let mut doc = output::schedule_doc(&a.program, &a.schedule, &a.warnings, &a.sources);
            if let Some(name) = baseline {
                let b = tracking::pick_baseline(&a.program, Some(name)).map_err(bad)?;
                doc.baseline = b.map(|b| output::BaselineDoc {
                    name: b.name.clone(),
                    variance: tracking::variance(&a.program, &a.schedule, b),
                });
            }
            ser(serde_json::to_string(&doc))
        }
        View::Evm { baseline, as_of } => {
            let b = tracking::pick_baseline(&a.program, baseline.as_deref()).map_err(bad)?;
            let report = tracking::evm(&a.program, b, *as_of).map_err(bad)?;
            ser(serde_json::to_string(&report))
        }
        View::Health => {
            let odds = forecaster.map(|f| f.milestone_odds(&a.program, &a.schedule));
            Ok(health(a, odds.as_deref()).to_string())
        }
        View::Diff { .. } => Err(ApiError::internal("diff is rendered from two analyses")),
    }
}

fn cache_key(view: &View, rev: &Revision, seq: Option<i64>, other: Option<&Revision>) -> String {
    crate::sha256_hex(
        format!(
            "{}|{}|{:?}|{:?}|{}",
            view.key(),
            rev.bundle_hash,
            seq,
            other.map(|o| &o.bundle_hash),
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    )
}

/// A cached response: status and JSON text.
pub struct Cached {
    pub status: u16,
    pub body: String,
}

fn encode(status: u16, body: &str) -> String {
    format!("{status}\n{body}")
}

fn decode(text: &str) -> Option<Cached> {
    let (status, body) = text.split_once('\n')?;
    Some(Cached {
        status: status.parse().ok()?,
        body: body.to_string(),
    })
}

fn to_cached(result: Result<String, ApiError>) -> Result<Cached, ApiError> {
    match result {
        Ok(body) => Ok(Cached { status: 200, body }),
        Err(ApiError::Invalid {
            message,
            diagnostics,
        }) => Ok(Cached {
            status: 422,
            body: json!({"error": {"code": "invalid_plan", "message": message, "diagnostics": diagnostics}})
                .to_string(),
        }),
        Err(e) => Err(e),
    }
}

/// A view of a revision, from the cache or computed (and cached).
pub async fn view(
    app: &App,
    program: &Program,
    rev: &Revision,
    view: View,
    with_records: bool,
) -> Result<Cached, ApiError> {
    let other = match &view {
        View::Diff { against } => Some(app.store.revision(program.id, *against).await?),
        _ => None,
    };
    let seq = with_records.then_some(program.state_seq);
    let key = cache_key(&view, rev, seq, other.as_ref());
    if let Some(hit) = app.store.cached(&key).await?.as_deref().and_then(decode) {
        return Ok(hit);
    }
    let overlay = if with_records {
        overlay(app, program).await?
    } else {
        Overlay {
            records: Vec::new(),
            baselines: Vec::new(),
        }
    };
    let base = revision_bundle(app, rev).await?;
    let index = index_of(rev);
    let other_base = match &other {
        Some(o) => Some((revision_bundle(app, o).await?, index_of(o))),
        None => None,
    };
    let forecaster = app.forecaster.clone();
    let computed = tokio::task::spawn_blocking(move || {
        let a = analyze_merged(&base, &index, &overlay, view.as_of());
        let result = match (&view, other_base) {
            (View::Diff { .. }, Some((ob, oi))) => a.and_then(|new| {
                let old = analyze_merged(&ob, &oi, &overlay, None)?;
                serde_json::to_string(&tiller_app::diff::diff(&old, &new))
                    .map_err(|e| ApiError::internal(e.to_string()))
            }),
            _ => a.and_then(|a| render(&view, &a, forecaster.as_deref())),
        };
        to_cached(result)
    })
    .await
    .map_err(|e| ApiError::internal(format!("analysis task: {e}")))??;
    if computed.status == 200 || computed.status == 422 {
        app.store
            .cache(&key, &encode(computed.status, &computed.body), app.now())
            .await?;
    }
    Ok(computed)
}

/// The views a write computes while it validates (blocking: call off the async
/// runtime), to store with [`store_primed`] once the write is committed.
pub fn prerender(a: &Analysis, forecaster: Option<&dyn Forecaster>) -> Vec<(View, Cached)> {
    [
        View::Schedule {
            baseline: None,
            as_of: None,
        },
        View::Health,
    ]
    .into_iter()
    .filter_map(|view| {
        let cached = to_cached(render(&view, a, forecaster)).ok()?;
        Some((view, cached))
    })
    .collect()
}

/// Stores views computed during a write, so the next reads hit the cache.
pub async fn store_primed(
    app: &App,
    rev: &Revision,
    seq: i64,
    views: &[(View, Cached)],
) -> Result<(), ApiError> {
    for (view, cached) in views {
        let key = cache_key(view, rev, Some(seq), None);
        app.store
            .cache(&key, &encode(cached.status, &cached.body), app.now())
            .await?;
    }
    Ok(())
}
