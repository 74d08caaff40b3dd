//! A program's analysed state for the pages: the head revision with the server's
//! records and baselines merged (the same merge and analysis as the JSON API's
//! views), and, computed on first use, the status report exactly as `tiller report`
//! drafts it (CLI defaults: team audience, the plan's forecast settings), its
//! forecast and weekly load, and the leveled schedule that explains delays.
//!
//! Entries are keyed by content: the SHA-256 of the revision's bundle hash and of
//! every record and baseline merged into it. An entry is therefore never stale, and
//! two servers (or two databases in one test process) can never see each other's.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};

use tiller_app::analysis::Analysis;
use tiller_app::leveling::Leveling;
use tiller_core::Audience;
use tiller_engine::forecast::Forecast;
use tiller_engine::level::LoadReport;
use tiller_report::evidence::Evidence;
use tiller_report::status::{self, StatusReport};
use tiller_store::{Program, Revision};
use tokio::sync::OnceCell;

use crate::App;
use crate::error::ApiError;
use crate::views;

/// Programs' digests kept in memory (a few: they hold whole schedules).
const KEEP: usize = 12;

/// A program's analysed state.
pub struct Digest {
    pub revision: Revision,
    /// The program's record state the digest is of.
    pub state: i64,
    pub analysis: Analysis,
    reported: OnceCell<Result<Arc<Reported>, String>>,
    /// The executive report (`tiller report --audience exec`), on first use.
    exec: OnceCell<Result<Arc<StatusReport>, String>>,
    leveling: OnceCell<Result<Arc<Leveling>, String>>,
}

/// The status report and the evidence behind it that the pages show beyond it.
pub struct Reported {
    pub report: StatusReport,
    pub forecast: Option<Forecast>,
    pub load: Option<LoadReport>,
    pub evm: Option<tiller_engine::evm::EvmReport>,
}

/// Digests by content key, oldest first.
type Cache = Mutex<VecDeque<(String, Arc<Digest>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The digest of a program's head revision with its records now.
pub async fn of(app: &App, program: &Program) -> Result<Arc<Digest>, ApiError> {
    // The records and the head revision of one state, read together.
    let st = app.store.program_state(program.id).await?;
    let head = st
        .head_revision
        .or(program.head_revision)
        .ok_or_else(|| ApiError::Invalid {
            message: "the program has no plan yet: push a revision first".to_string(),
            diagnostics: serde_json::json!([]),
        })?;
    let revision = app.store.revision(program.id, head).await?;
    let mut key = format!("{}\n", revision.bundle_hash);
    for r in &st.records {
        key.push_str(&format!("{} {} {}\n", r.kind, r.key, r.body));
    }
    for b in &st.baselines {
        key.push_str(&format!("baseline {} {}\n", b.name, b.content));
    }
    let key = crate::sha256_hex(key.as_bytes());
    if let Some(d) = cache()
        .lock()
        .ok()
        .and_then(|c| c.iter().find(|(k, _)| *k == key).map(|(_, d)| d.clone()))
    {
        return Ok(d);
    }
    let overlay = views::overlay_of(&st);
    let base = views::revision_bundle(app, &revision).await?;
    let index = views::index_of(&revision);
    let analysis =
        tokio::task::spawn_blocking(move || views::analyze_merged(&base, &index, &overlay, None))
            .await
            .map_err(|e| ApiError::internal(format!("analysis task: {e}")))??;
    let digest = Arc::new(Digest {
        revision,
        state: st.state_seq,
        analysis,
        reported: OnceCell::new(),
        exec: OnceCell::new(),
        leveling: OnceCell::new(),
    });
    if let Ok(mut c) = cache().lock() {
        if !c.iter().any(|(k, _)| *k == key) {
            c.push_back((key, digest.clone()));
        }
        while c.len() > KEEP {
            c.pop_front();
        }
    }
    Ok(digest)
}

impl Digest {
    /// The status report as `tiller report PLAN` drafts it (with its charts), and the
    /// forecast and load it is drafted from.
    pub async fn reported(self: &Arc<Self>) -> Result<Arc<Reported>, ApiError> {
        let me = self.clone();
        let r = self
            .reported
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || build_report(&me.analysis))
                    .await
                    .unwrap_or_else(|e| Err(format!("report task: {e}")))
            })
            .await;
        r.clone().map_err(ApiError::internal)
    }

    /// The report if it is ready within `wait`; its computation goes on in the
    /// background either way (a large program's forecast can take seconds, and a
    /// portfolio should not wait for all of them).
    pub async fn reported_within(
        self: &Arc<Self>,
        wait: std::time::Duration,
    ) -> Option<Result<Arc<Reported>, ApiError>> {
        let me = self.clone();
        let job = tokio::spawn(async move { me.reported().await });
        match tokio::time::timeout(wait, job).await {
            Ok(Ok(r)) => Some(r),
            Ok(Err(e)) => Some(Err(ApiError::internal(format!("report task: {e}")))),
            Err(_) => None,
        }
    }

    /// The status report for executives, as `tiller report --audience exec`.
    pub async fn exec_report(self: &Arc<Self>) -> Result<Arc<StatusReport>, ApiError> {
        let me = self.clone();
        let r = self
            .exec
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    let options = status::ReportOptions {
                        audience: Audience::Exec,
                        ..status::ReportOptions::for_program(&me.analysis.program)
                    };
                    status::build(&me.analysis, &options)
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                })
                .await
                .unwrap_or_else(|e| Err(format!("report task: {e}")))
            })
            .await;
        r.clone().map_err(ApiError::internal)
    }

    /// The leveled schedule (for the Gantt's delay explanations).
    pub async fn leveling(self: &Arc<Self>) -> Result<Arc<Leveling>, ApiError> {
        let me = self.clone();
        let r = self
            .leveling
            .get_or_init(|| async move {
                tokio::task::spawn_blocking(move || {
                    let options =
                        tiller_engine::level::LevelOptions::for_program(&me.analysis.program);
                    tiller_app::leveling::level(&me.analysis, &options)
                        .map(Arc::new)
                        .map_err(|d| d.message.clone())
                })
                .await
                .unwrap_or_else(|e| Err(format!("leveling task: {e}")))
            })
            .await;
        r.clone().map_err(ApiError::bad)
    }
}

fn build_report(a: &Analysis) -> Result<Arc<Reported>, String> {
    let options = status::ReportOptions::for_program(&a.program);
    let report = status::build(a, &options).map_err(|e| e.to_string())?;
    // The forecast page shows more of the forecast than the report: the same
    // evidence (same options, same seed) gives the same draws.
    let e = Evidence::gather(a, &options.evidence).map_err(|e| e.to_string())?;
    Ok(Arc::new(Reported {
        report,
        forecast: e.forecast,
        load: e.load,
        evm: e.evm,
    }))
}
