//! Analyses of a plan revision: the revision's files with the program's records and
//! baselines merged in (the same merge `tiller pull` writes to files), loaded and
//! scheduled by `tiller_app`, rendered as the CLI's JSON, and cached in the database.
//!
//! The cache key is the SHA-256 of the view and its parameters, the revision's bundle
//! hash (itself a hash of every file's content) and the program's record state (a
//! counter moved by every record or baseline write), so an entry is never stale and
//! any server process can use an entry another one wrote. The records are read with
//! the state in one transaction, so an analysis is always of one consistent state.
//!
//! A process also keeps computed views in memory as bytes ready to send (and gzipped
//! once), computes each at most once however many requests wait for it, and keeps the
//! newest snapshot of the hot views (head schedule and health): writes do not compute
//! analyses, they start a background refresh, and reads serve the newest snapshot
//! until the refresh replaces it (`X-Tiller-State` says which state a response shows;
//! `min_state` waits for a given one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Value, json};
use tiller_app::analysis::{Analysis, Rejected};
use tiller_app::bundle::{self, BaselineText, Bundle, BundleIndex, Layout, RecordKind};
use tiller_app::{output, tracking};
use tiller_store::{Program, ProgramState, Revision};

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
#[derive(Default)]
pub struct Overlay {
    pub records: Vec<bundle::Record>,
    pub baselines: Vec<BaselineText>,
}

/// The records and baselines of a program's state.
pub fn overlay_of(st: &ProgramState) -> Overlay {
    Overlay {
        records: plan_records(&st.records),
        baselines: st
            .baselines
            .iter()
            .map(|b| BaselineText {
                name: b.name.clone(),
                text: b.content.clone(),
            })
            .collect(),
    }
}

/// The program's records and baselines now, and the state they make.
pub async fn overlay(app: &App, program_id: i64) -> Result<(Overlay, i64), ApiError> {
    let st = app.store.program_state(program_id).await?;
    Ok((overlay_of(&st), st.state_seq))
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

/// Programme health, by the health rules of `tiller report` (see docs/reports.md): the
/// overall colour (the worst dimension) with the reasons behind it, each dimension,
/// workstream and milestone with the rule and figure that set its colour, milestone
/// dates against promises (with odds when a forecaster is installed), and the open
/// RAID entries that have a due date (for overdue notices). No Monte Carlo forecast
/// runs here: rules that need one apply only to the odds a forecaster supplies.
pub fn health(a: &Analysis, odds: Option<&[MilestoneOdds]>) -> Value {
    let doc = output::schedule_doc(&a.program, &a.schedule, &[], &a.sources);
    let pairs: Vec<(String, f64)> = odds
        .unwrap_or_default()
        .iter()
        .map(|o| (o.id.clone(), o.probability))
        .collect();
    let h = match tiller_report::health::assess_without_forecast(&a.program, &a.schedule, &pairs) {
        Ok(h) => h,
        Err(e) => {
            return json!({
                "program": doc.program, "finish": doc.finish, "colour": Value::Null,
                "reasons": [format!("health cannot be assessed: {e}")],
            });
        }
    };
    let reasons: Vec<String> = h
        .dimensions
        .iter()
        .filter(|d| d.colour.is_some_and(|c| c > tiller_core::Rag::Green))
        .map(|d| {
            format!(
                "{} {}: {}",
                d.dimension.key(),
                tiller_report::util::rag_label(d.colour),
                d.reason
            )
        })
        .collect();
    let mut milestones = Vec::new();
    for m in &doc.milestones {
        let probability = odds.and_then(|o| o.iter().find(|x| x.id == m.id).map(|x| x.probability));
        let sh = h.milestones.iter().find(|x| x.id == m.id);
        milestones.push(json!({
            "id": m.id, "name": m.name, "date": m.date, "promised": m.promised,
            "float": m.float, "on_time": m.on_time, "probability": probability,
            "colour": sh.and_then(|x| x.colour).map(|c| c.key()),
            "reason": sh.map(|x| x.reason.clone()),
        }));
    }
    let mut evm = Value::Null;
    if a.program.status_date.is_some()
        && let Ok(b) = tracking::pick_baseline(&a.program, None)
        && let Ok(r) = tracking::evm(&a.program, b, None)
    {
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
        "colour": h.overall.map(|c| c.key()),
        "reasons": reasons,
        "overall_reason": h.overall_reason,
        "previous": h.previous,
        "dimensions": h.dimensions,
        "workstreams": h.workstreams,
        "not_assessed": h.not_assessed,
        "thresholds": h.thresholds,
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
            ser(serde_json::to_string(
                &tiller_app::leveling::with_over_allocations(&a.program, &doc),
            ))
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

/// The key of a view: of its content, so that it is never stale and any process may
/// use it. A view with the records is of one program's record state: record states are
/// numbered per program, so the program is part of the key (two programs may hold the
/// same plan files with different records at the same state number). A view without
/// them depends on the files only and is shared.
fn cache_key(
    view: &View,
    program_id: i64,
    rev: &Revision,
    seq: Option<i64>,
    other: Option<&Revision>,
) -> String {
    crate::sha256_hex(
        format!(
            "{}|{}|{:?}|{:?}|{}",
            view.key(),
            rev.bundle_hash,
            seq.map(|s| (program_id, s)),
            other.map(|o| &o.bundle_hash),
            env!("CARGO_PKG_VERSION")
        )
        .as_bytes(),
    )
}

/// A computed view: status (200, or 422 when the plan with the records does not check)
/// and JSON bytes, served as they are. Immutable; shared by every request for it.
pub struct Snapshot {
    pub status: u16,
    pub body: Bytes,
    /// The program's record state it reflects (`None`: computed without the records).
    pub state: Option<i64>,
    /// Its cache key, also its entity tag.
    pub key: String,
    /// When this process made or loaded it (bounds how stale a served view may be).
    made: Instant,
    gzip: OnceLock<Bytes>,
    parsed: OnceLock<Option<Value>>,
}

impl Snapshot {
    fn new(status: u16, body: Bytes, state: Option<i64>, key: String) -> Snapshot {
        Snapshot {
            status,
            body,
            state,
            key,
            made: Instant::now(),
            gzip: OnceLock::new(),
            parsed: OnceLock::new(),
        }
    }

    /// The body gzipped (once; blocking for large bodies, so call it off the runtime).
    pub fn gzip(&self) -> Bytes {
        self.gzip.get_or_init(|| gzip(&self.body)).clone()
    }

    pub fn has_gzip(&self) -> bool {
        self.gzip.get().is_some()
    }

    /// The body as a JSON value (once; for the derived forms of a view).
    pub fn parsed(&self) -> Option<&Value> {
        self.parsed
            .get_or_init(|| serde_json::from_slice(&self.body).ok())
            .as_ref()
    }

    pub fn has_parsed(&self) -> bool {
        self.parsed.get().is_some()
    }
}

/// Gzip at a level that keeps a 2 MB schedule well under the time of one read.
pub fn gzip(bytes: &[u8]) -> Bytes {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 6 + 64),
        flate2::Compression::new(3),
    );
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    Bytes::from(enc.finish().unwrap_or_default())
}

fn encode(status: u16, body: &[u8]) -> String {
    format!("{status}\n{}", String::from_utf8_lossy(body))
}

fn decode(text: String) -> Option<(u16, Bytes)> {
    let (status, body) = text.split_once('\n')?;
    let status = status.parse().ok()?;
    let at = text.len() - body.len();
    let mut bytes = text.into_bytes();
    bytes.drain(..at);
    Some((status, Bytes::from(bytes)))
}

fn rendered(result: Result<String, ApiError>) -> Result<(u16, String), ApiError> {
    match result {
        Ok(body) => Ok((200, body)),
        Err(ApiError::Invalid {
            message,
            diagnostics,
        }) => Ok((
            422,
            json!({"error": {"code": "invalid_plan", "message": message, "diagnostics": diagnostics}})
                .to_string(),
        )),
        Err(e) => Err(e),
    }
}

/// The views every write makes stale and the background refresh recomputes: the
/// schedule and the health of the head revision with the records, as read by
/// dashboards. Computed together from one analysis.
fn hot_views() -> [View; 2] {
    [
        View::Schedule {
            baseline: None,
            as_of: None,
        },
        View::Health,
    ]
}

fn is_hot(view: &View) -> bool {
    hot_views().contains(view)
}

/// Computed views held by a server process: every snapshot by cache key (bounded by
/// size), the newest snapshot of each hot view per program and revision (served while
/// a newer one is computed), one computation at a time per key, and the state of
/// each program's background refresh.
#[derive(Default)]
pub struct Analyses {
    entries: Mutex<Entries>,
    latest: Mutex<HashMap<(i64, i64, String), Arc<Snapshot>>>,
    flights: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    refresh: Mutex<HashMap<i64, Refresh>>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Snapshot>>,
    bytes: usize,
}

#[derive(Default)]
struct Refresh {
    running: bool,
    again: bool,
    /// How long the last refresh took, and when it ended.
    cost: Duration,
    ended: Option<Instant>,
}

/// The bound on the bodies held (their gzipped and parsed forms come on top, when
/// made).
const ANALYSES_BYTES: usize = 64 * 1024 * 1024;

impl Analyses {
    fn get(&self, key: &str) -> Option<Arc<Snapshot>> {
        self.entries.lock().ok()?.map.get(key).cloned()
    }

    fn put(&self, snapshot: &Arc<Snapshot>) {
        self.alias(&snapshot.key, snapshot);
    }

    fn latest(&self, program_id: i64, rev_id: i64, view: &View) -> Option<Arc<Snapshot>> {
        self.latest
            .lock()
            .ok()?
            .get(&(program_id, rev_id, view.key()))
            .cloned()
    }

    fn set_latest(&self, program_id: i64, rev_id: i64, view: &View, s: &Arc<Snapshot>) {
        let superseded = {
            let Ok(mut l) = self.latest.lock() else {
                return;
            };
            let k = (program_id, rev_id, view.key());
            if l.get(&k).is_some_and(|old| old.state >= s.state) {
                return;
            }
            // One revision per program is kept: the one last computed.
            l.retain(|(p, r, _), _| *p != program_id || *r == rev_id);
            l.insert(k, s.clone())
        };
        // The older state's snapshot is no longer needed, under its own key or under
        // the older keys it answered: requests naming an older state get the newest
        // one (see `view`). Dropping every entry of it keeps a busy program's stream of
        // superseded snapshots from accumulating.
        if let Some(old) = superseded
            && old.key != s.key
            && let Ok(mut e) = self.entries.lock()
        {
            let before = e.map.len();
            e.map.retain(|_, v| !Arc::ptr_eq(v, &old));
            let dropped = before - e.map.len();
            e.bytes = e.bytes.saturating_sub(old.body.len() * dropped);
        }
    }

    /// Files a snapshot under a key that is not its own (an older state's that it
    /// answered); counted like an entry so that the size bound holds.
    fn alias(&self, key: &str, snapshot: &Arc<Snapshot>) {
        if let Ok(mut e) = self.entries.lock() {
            if e.bytes + snapshot.body.len() > ANALYSES_BYTES {
                e.map.clear();
                e.bytes = 0;
            }
            e.bytes += snapshot.body.len();
            if let Some(prev) = e.map.insert(key.to_string(), snapshot.clone()) {
                e.bytes = e.bytes.saturating_sub(prev.body.len());
            }
        }
    }

    fn flight(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut f = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        f.entry(key.to_string()).or_default().clone()
    }

    fn land(&self, key: &str) {
        if let Ok(mut f) = self.flights.lock() {
            f.remove(key);
        }
    }
}

/// How long a newest-known snapshot of a hot view may stand in for the program's
/// current state while the background refresh computes it. Refreshes of a busy
/// program end every few seconds, so this only matters after a quiet spell.
const STALE_MAX: Duration = Duration::from_secs(10);

/// How fresh a read must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// The newest snapshot this process has of a hot view, even if records were
    /// written since (a background refresh is then started), if it was made in the
    /// last [`STALE_MAX`]: never waits for an analysis when such a one exists.
    Latest,
    /// At least this record state (read-your-writes: the `X-Tiller-State` of a write).
    AtLeast(i64),
    /// The program's current state.
    Current,
}

/// A view of a revision: from this process's memory, the database cache, or computed
/// (once, however many requests wait for it) and cached in both.
pub async fn view(
    app: &App,
    program: &Program,
    rev: &Revision,
    view: View,
    with_records: bool,
    fresh: Freshness,
) -> Result<Arc<Snapshot>, ApiError> {
    let other = match &view {
        View::Diff { against } => Some(app.store.revision(program.id, *against).await?),
        _ => None,
    };
    let seq = with_records.then_some(program.state_seq);
    let key = cache_key(&view, program.id, rev, seq, other.as_ref());
    if let Some(hit) = app.analyses.get(&key) {
        return Ok(hit);
    }
    if with_records
        && is_hot(&view)
        && let Some(s) = app.analyses.latest(program.id, rev.id, &view)
    {
        let enough = match fresh {
            // Records were written since (or the key would have matched): serve the
            // newest analysis while the refresh runs, unless it is too old to stand
            // in for the current state (a process that saw no reads for a while).
            Freshness::Latest => s.made.elapsed() < STALE_MAX,
            Freshness::AtLeast(n) => s.state.is_some_and(|st| st >= n),
            Freshness::Current => false,
        };
        if enough {
            refresh(app, program.id);
            return Ok(s);
        }
    }
    compute(
        app,
        program.id,
        rev,
        &view,
        with_records,
        other.as_ref(),
        &key,
    )
    .await
}

/// Computes (or finds) the view under `key`; concurrent callers for the same key wait
/// for one computation.
async fn compute(
    app: &App,
    program_id: i64,
    rev: &Revision,
    view: &View,
    with_records: bool,
    other: Option<&Revision>,
    key: &str,
) -> Result<Arc<Snapshot>, ApiError> {
    let flight = app.analyses.flight(key);
    let _guard = flight.lock().await;
    // Landed on drop: also when the request is dropped mid-computation (its client
    // went away), so the table of flights does not keep its key.
    let _landing = Landing(&app.analyses, key);
    compute_once(app, program_id, rev, view, with_records, other, key).await
}

struct Landing<'a>(&'a Analyses, &'a str);

impl Drop for Landing<'_> {
    fn drop(&mut self) {
        self.0.land(self.1);
    }
}

async fn compute_once(
    app: &App,
    program_id: i64,
    rev: &Revision,
    view: &View,
    with_records: bool,
    other: Option<&Revision>,
    key: &str,
) -> Result<Arc<Snapshot>, ApiError> {
    if let Some(hit) = app.analyses.get(key) {
        return Ok(hit);
    }
    let (overlay, seq) = if with_records {
        let st = app.store.program_state(program_id).await?;
        (overlay_of(&st), Some(st.state_seq))
    } else {
        (Overlay::default(), None)
    };
    // The state read may be newer than the one asked for: the result is filed under
    // the state it reflects, and also answers the request.
    let key_now = cache_key(view, program_id, rev, seq, other);
    if let Some(text) = app.store.cached(&key_now).await?
        && let Some((status, body)) = decode(text)
    {
        let s = Arc::new(Snapshot::new(status, body, seq, key_now));
        keep(app, program_id, rev, view, &s, key);
        return Ok(s);
    }
    let base = revision_bundle(app, rev).await?;
    let index = index_of(rev);
    let other_base = match other {
        Some(o) => Some((revision_bundle(app, o).await?, index_of(o))),
        None => None,
    };
    // Hot views come from one analysis: computing one computes both.
    let views: Vec<View> = if with_records && is_hot(view) {
        hot_views().to_vec()
    } else {
        vec![view.clone()]
    };
    let forecaster = app.forecaster.clone();
    let as_of = view.as_of();
    let wanted = view.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let a = analyze_merged(&base, &index, &overlay, as_of);
        let mut out = Vec::new();
        for v in views {
            let result = match (&v, &other_base) {
                (View::Diff { .. }, Some((ob, oi))) => {
                    a.as_ref().map_err(clone_err).and_then(|new| {
                        let old = analyze_merged(ob, oi, &overlay, None)?;
                        serde_json::to_string(&tiller_app::diff::diff(&old, new))
                            .map_err(|e| ApiError::internal(e.to_string()))
                    })
                }
                _ => a
                    .as_ref()
                    .map_err(clone_err)
                    .and_then(|a| render(&v, a, forecaster.as_deref())),
            };
            match rendered(result) {
                Ok((status, body)) => {
                    let body = Bytes::from(body);
                    // Large hot views are gzipped here, off the request path.
                    let gz = (is_hot(&v) && body.len() > 64 * 1024).then(|| gzip(&body));
                    out.push((v, Ok((status, body, gz))));
                }
                Err(e) if v == wanted => out.push((v, Err(e))),
                Err(_) => {}
            }
        }
        out
    })
    .await
    .map_err(|e| ApiError::internal(format!("analysis task: {e}")))?;
    let mut answer = None;
    for (v, result) in rendered {
        let is_wanted = v == *view;
        let (status, body, gz) = match result {
            Ok(r) => r,
            Err(e) => return Err(e),
        };
        let k = cache_key(&v, program_id, rev, seq, other);
        store_cached(app, program_id, rev, &v, seq, other, &k, status, &body).await?;
        let s = Arc::new(Snapshot::new(status, body, seq, k));
        if let Some(gz) = gz {
            let _ = s.gzip.set(gz);
        }
        keep(
            app,
            program_id,
            rev,
            &v,
            &s,
            if is_wanted { key } else { "" },
        );
        if is_wanted {
            answer = Some(s);
        }
    }
    answer.ok_or_else(|| ApiError::internal("the analysis produced no view"))
}

/// Stores a computed view in the database cache, for the other processes sharing the
/// database. A view of a record state is superseded by the view of the next state: it
/// replaces the older ones of its slot (program, revision, view and parameters), so
/// the cache does not grow with every record written.
#[allow(clippy::too_many_arguments)]
async fn store_cached(
    app: &App,
    program_id: i64,
    rev: &Revision,
    view: &View,
    seq: Option<i64>,
    other: Option<&Revision>,
    key: &str,
    status: u16,
    body: &[u8],
) -> Result<(), ApiError> {
    if seq.is_some() && app.store.dialect() == tiller_store::Dialect::Sqlite {
        // One process serves an SQLite database, and it keeps its analyses in memory:
        // writing each record state's (a 5,000-task schedule is 2 MB) would hold up
        // record writes behind SQLite's single writer for nothing but a restart.
        return Ok(());
    }
    let text = encode(status, body);
    if let Some(seq) = seq {
        let slot = crate::sha256_hex(
            format!(
                "{program_id}|{}|{}|{:?}",
                rev.bundle_hash,
                view.key(),
                other.map(|o| &o.bundle_hash)
            )
            .as_bytes(),
        );
        app.store
            .cache_in_slot(key, &text, app.now(), &slot, seq)
            .await?;
    } else {
        app.store.cache(key, &text, app.now()).await?;
    }
    Ok(())
}

/// Files a snapshot in memory: under its key, under the key it was asked for (if
/// another), and as the newest of its view.
fn keep(app: &App, program_id: i64, rev: &Revision, view: &View, s: &Arc<Snapshot>, asked: &str) {
    app.analyses.put(s);
    if !asked.is_empty() && asked != s.key {
        // Asked for an older state, given the newer one read.
        app.analyses.alias(asked, s);
    }
    if s.state.is_some() && is_hot(view) {
        app.analyses.set_latest(program_id, rev.id, view, s);
    }
}

fn clone_err(e: &ApiError) -> ApiError {
    match e {
        ApiError::Invalid {
            message,
            diagnostics,
        } => ApiError::Invalid {
            message: message.clone(),
            diagnostics: diagnostics.clone(),
        },
        other => ApiError::internal(format!("{other:?}")),
    }
}

/// Stores the hot views a revision push computed while checking the revision, so the
/// first reads of the new head do not wait for an analysis.
pub async fn store_primed(
    app: &App,
    program_id: i64,
    rev: &Revision,
    seq: i64,
    views: Vec<(View, u16, String)>,
) -> Result<(), ApiError> {
    for (view, status, body) in views {
        let key = cache_key(&view, program_id, rev, Some(seq), None);
        let body = Bytes::from(body);
        store_cached(
            app,
            program_id,
            rev,
            &view,
            Some(seq),
            None,
            &key,
            status,
            &body,
        )
        .await?;
        let s = Arc::new(Snapshot::new(status, body, Some(seq), key));
        keep(app, program_id, rev, &view, &s, "");
    }
    Ok(())
}

/// The hot views of an analysis (blocking: call off the async runtime).
pub fn prerender(a: &Analysis, forecaster: Option<&dyn Forecaster>) -> Vec<(View, u16, String)> {
    hot_views()
        .into_iter()
        .filter_map(|view| {
            let (status, body) = rendered(render(&view, a, forecaster)).ok()?;
            Some((view, status, body))
        })
        .collect()
}

/// Asks for the program's hot views to be recomputed for its newest state in the
/// background, and its webhook events evaluated on them. Refreshes of one program
/// run one at a time, back to back while writes keep coming, and pause between runs
/// for four times as long as the last one took (at most two seconds), so that
/// analyses take at most a fifth of a core per program however fast records arrive.
pub fn refresh(app: &App, program_id: i64) {
    {
        let Ok(mut r) = app.analyses.refresh.lock() else {
            return;
        };
        let entry = r.entry(program_id).or_default();
        if entry.running {
            entry.again = true;
            return;
        }
        entry.running = true;
        entry.again = false;
    }
    let app = app.clone();
    tokio::spawn(async move {
        loop {
            let wait = {
                let r = app.analyses.refresh.lock().ok();
                r.and_then(|r| {
                    let e = r.get(&program_id)?;
                    let gap = (e.cost * 4).min(Duration::from_secs(2));
                    let ready = e.ended? + gap;
                    ready.checked_duration_since(Instant::now())
                })
            };
            if let Some(w) = wait {
                tokio::time::sleep(w).await;
            }
            if let Ok(mut r) = app.analyses.refresh.lock()
                && let Some(e) = r.get_mut(&program_id)
            {
                e.again = false;
            }
            let started = Instant::now();
            if let Err(e) = crate::webhooks::evaluate(&app, program_id).await {
                eprintln!("tiller-server: evaluating events of program {program_id}: {e}");
            }
            let Ok(mut r) = app.analyses.refresh.lock() else {
                return;
            };
            let e = r.entry(program_id).or_default();
            e.cost = started.elapsed();
            e.ended = Some(Instant::now());
            if !e.again {
                e.running = false;
                return;
            }
        }
    });
}
