//! The Tiller server: a versioned JSON API (`/api/v1`, described by the OpenAPI
//! document at `/api/v1/openapi.json`) over [`tiller_store`], with the same application
//! layer as the command line (`tiller_app`) doing every load, analysis and render.
//!
//! - [`api`]: the routes and handlers; [`error`]: the one mapping from errors to
//!   responses; [`auth`]: passwords, sessions, API tokens, CSRF and roles.
//! - [`views`]: plan revisions merged with the records entered on the server, analysed
//!   and cached in the database by content hash.
//! - [`webhooks`]: events worth telling stakeholders about, and their signed, retried
//!   delivery; [`http`]: the small HTTP client it (and `tiller push`/`pull`) uses.
//! - [`openapi`]: the endpoint table (also used by the authorization tests) and the
//!   OpenAPI document built from it.
//!
//! A server process keeps no state that another process sharing the database needs:
//! sessions, caches, event marks and the delivery queue all live in the database, so
//! several processes can serve one PostgreSQL database.

#![recursion_limit = "512"]

pub mod api;
pub mod auth;
pub mod cli;
pub mod error;
pub mod http;
pub mod openapi;
pub mod validate;
pub mod views;
pub mod web;
pub mod webhooks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tiller_store::Store;

pub use views::{Forecaster, MilestoneOdds};

/// Settings of a server process.
#[derive(Clone)]
pub struct Config {
    /// Argon2 parameters for new password hashes (memory KiB, passes, lanes).
    pub argon2: (u32, u32, u32),
    /// Largest request body accepted, in bytes (plan bundles are the largest).
    pub max_body: usize,
    /// Largest progress or RAID record, in bytes.
    pub max_record: usize,
    pub session_ttl: Duration,
    /// Mark session cookies `Secure` (browsers send them over HTTPS, and to
    /// `localhost`, only).
    pub secure_cookies: bool,
    /// How often the webhook worker looks for due deliveries.
    pub delivery_poll: Duration,
    /// First retry delay of a failed delivery; doubled at every attempt.
    pub retry_base: Duration,
    pub max_attempts: i64,
    /// How often every program is checked for events (overdue RAID entries).
    pub sweep_every: Duration,
    pub webhook_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            argon2: (19 * 1024, 2, 1),
            max_body: 32 * 1024 * 1024,
            max_record: 64 * 1024,
            session_ttl: Duration::from_secs(12 * 3600),
            secure_cookies: true,
            delivery_poll: Duration::from_secs(1),
            retry_base: Duration::from_secs(2),
            max_attempts: 8,
            sweep_every: Duration::from_secs(60),
            webhook_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Cheap password hashing and fast webhook retries, for tests only.
    pub fn for_tests() -> Config {
        Config {
            argon2: (256, 1, 1),
            delivery_poll: Duration::from_millis(50),
            retry_base: Duration::from_millis(50),
            webhook_timeout: Duration::from_secs(2),
            ..Config::default()
        }
    }
}

/// Milliseconds since the Unix epoch.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    })
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub forecaster: Option<Arc<dyn Forecaster>>,
    /// Plan file contents by content hash. Content-addressed and immutable, so this
    /// cache is never stale, whichever process wrote the revision.
    blobs: Arc<Mutex<BlobCache>>,
    /// One lock per program for this process's writers (see [`App::lock_program`]).
    program_locks: Arc<Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>>,
    /// Computed views (see [`views::Analyses`]).
    pub(crate) analyses: Arc<views::Analyses>,
    /// Per program, the model records are checked against (see [`validate`]); tagged
    /// with the revision and record state it is of, so never used for another.
    models: Arc<Mutex<HashMap<i64, validate::Model>>>,
}

/// A program's write lock, held while a write is validated and stored.
pub struct ProgramGuard {
    _local: tokio::sync::OwnedMutexGuard<()>,
    shared: Option<tiller_store::ProgramLock>,
}

impl ProgramGuard {
    pub async fn release(mut self) {
        if let Some(l) = self.shared.take() {
            l.release().await;
        }
    }
}

#[derive(Default)]
struct BlobCache {
    map: HashMap<String, Arc<str>>,
    bytes: usize,
}

const BLOB_CACHE_BYTES: usize = 256 * 1024 * 1024;

impl App {
    pub fn new(store: Store, config: Config) -> App {
        App {
            store,
            config: Arc::new(config),
            clock: system_clock(),
            forecaster: None,
            blobs: Arc::default(),
            program_locks: Arc::default(),
            analyses: Arc::default(),
            models: Arc::default(),
        }
    }

    pub fn with_clock(mut self, clock: Clock) -> App {
        self.clock = clock;
        self
    }

    pub fn with_forecaster(mut self, f: Arc<dyn Forecaster>) -> App {
        self.forecaster = Some(f);
        self
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Today's date (UTC) by the server clock.
    pub fn today(&self) -> chrono::NaiveDate {
        chrono::DateTime::from_timestamp_millis(self.now())
            .map(|t| t.date_naive())
            .unwrap_or_default()
    }

    /// Serialises the writes to one program that validate against its current state
    /// (records, baselines, revisions): in this process with a mutex, across processes
    /// with the store's lock. Writes stay correct without it (they are compare-and-set
    /// on the program's state), but would retry under contention.
    pub async fn lock_program(&self, program_id: i64) -> Result<ProgramGuard, error::ApiError> {
        let local = {
            let mut map = self
                .program_locks
                .lock()
                .map_err(|_| error::ApiError::internal("program lock table poisoned"))?;
            map.entry(program_id).or_default().clone()
        };
        let local = local.lock_owned().await;
        let shared = self.store.lock_program(program_id).await?;
        Ok(ProgramGuard {
            _local: local,
            shared: Some(shared),
        })
    }

    /// Takes the program's record-checking model if it is of this revision and state
    /// (the caller holds the program's write lock, and puts it back with
    /// [`App::put_model`] once its write is stored).
    pub(crate) fn take_model(
        &self,
        program_id: i64,
        rev_id: i64,
        state: i64,
    ) -> Option<validate::Model> {
        let mut m = self.models.lock().ok()?;
        let model = m.remove(&program_id)?;
        (model.rev_id == rev_id && model.state == state).then_some(model)
    }

    pub(crate) fn put_model(&self, program_id: i64, model: validate::Model) {
        if let Ok(mut m) = self.models.lock() {
            m.insert(program_id, model);
        }
    }

    pub(crate) async fn blob(&self, hash: &str) -> Result<Arc<str>, error::ApiError> {
        if let Some(b) = self
            .blobs
            .lock()
            .ok()
            .and_then(|c| c.map.get(hash).cloned())
        {
            return Ok(b);
        }
        let bytes = self.store.blob(hash).await?;
        let text: Arc<str> = String::from_utf8(bytes)
            .map_err(|_| error::ApiError::internal("a stored plan file is not UTF-8"))?
            .into();
        if let Ok(mut c) = self.blobs.lock() {
            if c.bytes + text.len() > BLOB_CACHE_BYTES {
                c.map.clear();
                c.bytes = 0;
            }
            c.bytes += text.len();
            c.map.insert(hash.to_string(), text.clone());
        }
        Ok(text)
    }

    /// Starts the background work of a server process: webhook deliveries and the
    /// periodic event sweep. Safe to run in every process sharing a database.
    pub fn spawn_workers(&self) -> Vec<tokio::task::JoinHandle<()>> {
        vec![
            tokio::spawn(webhooks::delivery_worker(self.clone())),
            tokio::spawn(webhooks::sweeper(self.clone())),
        ]
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A random secret as hex (`n` bytes from the operating system).
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the operating system's random source works");
    hex(&buf)
}

/// Serves the API on `listener` until `shutdown` resolves.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, api::router(app))
        .with_graceful_shutdown(shutdown)
        .await
}
