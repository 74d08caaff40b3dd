//! Storage for the Tiller server: users, sessions and tokens, programs and their
//! members, plan revisions (content-addressed files, never overwritten), progress and
//! RAID records with their history, baselines, the analysis cache, webhooks and their
//! deliveries, and the audit trail.
//!
//! One implementation serves both backends through sqlx's `Any` driver: every query is
//! written once, in the SQL that SQLite and PostgreSQL share (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`), with its parameters bound, never spliced into the text.
//! What differs per backend is the [`Dialect`]: the migrations (one folder per
//! backend), how a write transaction starts and how migrations are serialised between
//! processes. Times are milliseconds since the Unix epoch, supplied by the caller, so
//! the store never reads a clock.
//!
//! Every mutable row carries a `version`. Updates name the version they read and fail
//! with [`StoreError::Stale`] when it changed: a stale write never overwrites.

use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

mod migrate;

pub use migrate::MIGRATIONS;

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("already exists: {0}")]
    Exists(String),
    /// The row changed since the caller read it (its version differs).
    #[error("the record was changed by someone else")]
    Stale,
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    BadUrl(String),
    #[error(
        "the database schema is at version {found}, newer than this server knows ({known}); upgrade the server"
    )]
    TooNew { found: i64, known: i64 },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    fn from_insert(e: sqlx::Error, what: &str) -> StoreError {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Exists(what.to_string())
            }
            _ => StoreError::Db(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Options {
    pub max_connections: u32,
    /// SQLite only: `FULL` (the default) makes every acknowledged commit durable
    /// against power loss too; `NORMAL` only against a crash of the process.
    pub sqlite_synchronous: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_connections: 16,
            sqlite_synchronous: "FULL",
        }
    }
}

/// A connection pool to the server's database.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
}

/// Advisory-lock key space of program write locks.
const LOCK_SPACE: i32 = 0x746c; // "tl"

/// A held program write lock (see [`Store::lock_program`]).
pub struct ProgramLock {
    conn: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
}

impl ProgramLock {
    pub async fn release(mut self) {
        if let Some(mut conn) = self.conn.take()
            && sqlx::query("SELECT pg_advisory_unlock_all()")
                .execute(&mut *conn)
                .await
                .is_err()
        {
            conn.close_on_drop();
        }
    }
}

impl Drop for ProgramLock {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut conn = conn;
            conn.close_on_drop();
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
    pub created_at: i64,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Program {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_at: i64,
    pub version: i64,
    pub state_seq: i64,
    pub head_revision: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Member {
    pub user_id: i64,
    pub username: String,
    pub role: String,
    pub version: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Revision {
    #[serde(skip)]
    pub id: i64,
    pub number: i64,
    pub root: String,
    pub bundle_hash: String,
    #[serde(skip)]
    pub index_json: String,
    #[serde(skip)]
    pub summary_json: String,
    pub message: Option<String>,
    pub author: String,
    pub created_at: i64,
}

/// A new revision: files by path, content-addressed by the caller's hash.
pub struct NewRevision<'a> {
    pub root: &'a str,
    pub bundle_hash: &'a str,
    pub index_json: &'a str,
    pub summary_json: &'a str,
    pub message: Option<&'a str>,
    /// (path, blob hash, content)
    pub files: Vec<(&'a str, String, &'a [u8])>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Record {
    pub id: i64,
    pub kind: String,
    pub key: String,
    pub body: serde_json::Value,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_by: String,
    pub updated_at: i64,
}

/// A program's record state with everything it covers (see [`Store::program_state`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramState {
    pub state_seq: i64,
    pub head_revision: Option<i64>,
    pub records: Vec<Record>,
    pub baselines: Vec<Baseline>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordVersion {
    pub version: i64,
    pub kind: String,
    pub body: serde_json::Value,
    pub author: String,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Baseline {
    pub id: i64,
    pub name: String,
    pub revision: i64,
    pub saved: String,
    #[serde(skip)]
    pub content: String,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Webhook {
    pub id: i64,
    #[serde(skip)]
    pub program_id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub events: Vec<String>,
    pub threshold: Option<f64>,
    pub active: bool,
    pub version: i64,
    pub created_at: i64,
}

/// Fields of a webhook that can be set.
#[derive(Debug, Clone)]
pub struct WebhookSpec<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [String],
    pub threshold: Option<f64>,
    pub active: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    #[serde(skip)]
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_code: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub user: Option<String>,
    pub program: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
}

/// Who does a write and when, for the audit trail and the record's history.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user_id: i64,
    pub at: i64,
}

fn user_of(r: &AnyRow) -> Result<User> {
    Ok(User {
        id: r.try_get("id")?,
        username: r.try_get("username")?,
        is_admin: r.try_get::<i64, _>("is_admin")? != 0,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
    })
}

fn program_of(r: &AnyRow) -> Result<Program> {
    Ok(Program {
        id: r.try_get("id")?,
        slug: r.try_get("slug")?,
        name: r.try_get("name")?,
        created_at: r.try_get("created_at")?,
        version: r.try_get("version")?,
        state_seq: r.try_get("state_seq")?,
        head_revision: r.try_get("head_revision")?,
    })
}

fn json_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

fn record_of(r: &AnyRow) -> Result<Record> {
    Ok(Record {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        key: r.try_get("key")?,
        body: json_of(&r.try_get::<String, _>("body")?),
        version: r.try_get("version")?,
        created_by: r.try_get("created_by_name")?,
        created_at: r.try_get("created_at")?,
        updated_by: r.try_get("updated_by_name")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn baseline_of(r: &AnyRow) -> Result<Baseline> {
    Ok(Baseline {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        revision: r.try_get("revision_number")?,
        saved: r.try_get("saved")?,
        content: r.try_get("content")?,
        created_by: r.try_get("username")?,
        created_at: r.try_get("created_at")?,
    })
}

fn revision_of(r: &AnyRow) -> Result<Revision> {
    Ok(Revision {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        root: r.try_get("root")?,
        bundle_hash: r.try_get("bundle_hash")?,
        index_json: r.try_get("index_json")?,
        summary_json: r.try_get("summary_json")?,
        message: r.try_get("message")?,
        author: r.try_get("author")?,
        created_at: r.try_get("created_at")?,
    })
}

fn webhook_of(r: &AnyRow) -> Result<Webhook> {
    Ok(Webhook {
        id: r.try_get("id")?,
        program_id: r.try_get("program_id")?,
        url: r.try_get("url")?,
        secret: r.try_get("secret")?,
        events: serde_json::from_str(&r.try_get::<String, _>("events")?).unwrap_or_default(),
        threshold: r.try_get("threshold")?,
        active: r.try_get::<i64, _>("active")? != 0,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
    })
}

fn delivery_of(r: &AnyRow) -> Result<Delivery> {
    Ok(Delivery {
        id: r.try_get("id")?,
        webhook_id: r.try_get("webhook_id")?,
        event: r.try_get("event")?,
        payload: r.try_get("payload")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_code: r.try_get("last_code")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://...` and applies
    /// any migrations not yet applied.
    pub async fn connect(url: &str, options: &Options) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::BadUrl(url.to_string()));
        };
        let url = if dialect == Dialect::Sqlite && !url.contains('?') && !url.contains(":memory:") {
            format!("{url}?mode=rwc")
        } else {
            url.to_string()
        };
        let connect = AnyConnectOptions::from_str(&url)?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(Duration::from_secs(10));
        if dialect == Dialect::Sqlite {
            let sync: &'static str = match options.sqlite_synchronous {
                "NORMAL" => "PRAGMA synchronous = NORMAL",
                "OFF" => "PRAGMA synchronous = OFF",
                _ => "PRAGMA synchronous = FULL",
            };
            pool = pool.after_connect(move |conn, _| {
                Box::pin(async move {
                    sqlx::raw_sql("PRAGMA journal_mode = WAL")
                        .execute(&mut *conn)
                        .await?;
                    sqlx::raw_sql(sync).execute(&mut *conn).await?;
                    sqlx::raw_sql("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000")
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = pool.connect_with(connect).await?;
        let store = Store { pool, dialect };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// PostgreSQL only: creates another, empty database on the same server (for test
    /// suites and tooling that need a database of their own). `name` is letters,
    /// digits and `_`.
    pub async fn create_database_for_tests(&self, name: &str) -> Result<()> {
        if self.dialect != Dialect::Postgres
            || name.is_empty()
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(StoreError::BadUrl(name.to_string()));
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Serialises writers of one program across processes while they validate and
    /// write (PostgreSQL: a session advisory lock on a connection of its own; SQLite:
    /// nothing, a single process serialises in memory and SQLite's write lock does the
    /// rest). Release with [`ProgramLock::release`]; a lock dropped unreleased closes
    /// its connection, which releases it too.
    pub async fn lock_program(&self, program_id: i64) -> Result<ProgramLock> {
        if self.dialect != Dialect::Postgres {
            return Ok(ProgramLock { conn: None });
        }
        let mut conn = self.pool.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock($1, $2)")
            .bind(LOCK_SPACE)
            .bind(program_id as i32)
            .execute(&mut *conn)
            .await?;
        Ok(ProgramLock { conn: Some(conn) })
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction. SQLite takes the write lock at once, so two writers never
    /// deadlock upgrading read locks.
    async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        })
    }

    // ------------------------------------------------------------------ audit

    async fn audit_in(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        actor: Option<Actor>,
        at: i64,
        program_id: Option<i64>,
        action: &str,
        target: &str,
        detail: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit (at, user_id, program_id, action, target, detail) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(at)
        .bind(actor.map(|a| a.user_id))
        .bind(program_id)
        .bind(action)
        .bind(target)
        .bind(detail.to_string())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Records an action that changes nothing else (a login, a failed login).
    pub async fn audit(
        &self,
        actor: Option<Actor>,
        at: i64,
        program_id: Option<i64>,
        action: &str,
        target: &str,
        detail: &serde_json::Value,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        Self::audit_in(&mut tx, actor, at, program_id, action, target, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The audit trail, newest first: one program's, or everything.
    pub async fn audit_log(
        &self,
        program_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT a.id, a.at, a.action, a.target, a.detail, u.username, p.slug FROM audit a \
             LEFT JOIN users u ON u.id = a.user_id LEFT JOIN programs p ON p.id = a.program_id \
             WHERE ($1 IS NULL OR a.program_id = $1) AND ($2 IS NULL OR a.id < $2) \
             ORDER BY a.id DESC LIMIT $3",
        )
        .bind(program_id)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    user: r.try_get("username")?,
                    program: r.try_get("slug")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: json_of(&r.try_get::<String, _>("detail")?),
                })
            })
            .collect()
    }

    // ------------------------------------------------------------------ users

    pub async fn user_count(&self) -> Result<i64> {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok(n)
    }

    pub async fn add_setup_token(&self, token_hash: &str, at: i64) -> Result<()> {
        sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Creates the first administrator with a one-time setup token: fails with
    /// `NotFound` when the token is unknown or an administrator exists already. Every
    /// setup token is spent.
    pub async fn complete_setup(
        &self,
        token_hash: &str,
        username: &str,
        password_hash: &str,
        at: i64,
    ) -> Result<User> {
        let mut tx = self.write().await?;
        let found = sqlx::query("SELECT token_hash FROM setup_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let users: i64 = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if found.is_none() || users > 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM setup_tokens")
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(
            "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES ($1, $2, 1, $3) \
             RETURNING id, username, is_admin, created_at, version",
        )
        .bind(username)
        .bind(password_hash)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from_insert(e, username))?;
        let user = user_of(&row)?;
        Self::audit_in(
            &mut tx,
            Some(Actor {
                user_id: user.id,
                at,
            }),
            at,
            None,
            "setup",
            &format!("user:{username}"),
            &serde_json::json!({"admin": true}),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn create_user(
        &self,
        actor: Actor,
        username: &str,
        password_hash: &str,
        is_admin: bool,
    ) -> Result<User> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, username, is_admin, created_at, version",
        )
        .bind(username)
        .bind(password_hash)
        .bind(i64::from(is_admin))
        .bind(actor.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from_insert(e, username))?;
        let user = user_of(&row)?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            None,
            "user.create",
            &format!("user:{username}"),
            &serde_json::json!({"admin": is_admin}),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(
            "SELECT id, username, is_admin, created_at, version FROM users ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_of).collect()
    }

    /// A user and their password hash, for logging in.
    pub async fn user_for_login(&self, username: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(
            "SELECT id, username, is_admin, created_at, version, password_hash FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((user_of(&r)?, r.try_get("password_hash")?))),
            None => Ok(None),
        }
    }

    pub async fn user_by_name(&self, username: &str) -> Result<User> {
        let row = sqlx::query(
            "SELECT id, username, is_admin, created_at, version FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        user_of(&row)
    }

    /// Sets a user's password (the version they read must match).
    pub async fn set_password(
        &self,
        actor: Actor,
        user_id: i64,
        version: i64,
        password_hash: &str,
    ) -> Result<User> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "UPDATE users SET password_hash = $1, version = version + 1 WHERE id = $2 AND version = $3 \
             RETURNING id, username, is_admin, created_at, version",
        )
        .bind(password_hash)
        .bind(user_id)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::Stale)?;
        let user = user_of(&row)?;
        // Changing a password ends every session of that user.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            None,
            "user.password",
            &format!("user:{}", user.username),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    // ------------------------------------------------------------------ sessions and tokens

    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf: &str,
        at: i64,
        expires_at: i64,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(at)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        // Expired sessions are dropped as new ones are made.
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(at)
            .execute(&mut *tx)
            .await?;
        Self::audit_in(
            &mut tx,
            Some(Actor { user_id, at }),
            at,
            None,
            "login",
            "session",
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.is_admin, u.created_at, u.version, s.csrf, s.expires_at \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some(Session {
                user: user_of(&r)?,
                csrf: r.try_get("csrf")?,
                expires_at: r.try_get("expires_at")?,
            })),
            None => Ok(None),
        }
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn create_token(
        &self,
        actor: Actor,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiToken> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, created_at, revoked_at",
        )
        .bind(actor.user_id)
        .bind(name)
        .bind(token_hash)
        .bind(actor.at)
        .fetch_one(&mut *tx)
        .await?;
        let token = ApiToken {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            created_at: row.try_get("created_at")?,
            revoked_at: row.try_get("revoked_at")?,
        };
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            None,
            "token.create",
            &format!("token:{}", token.id),
            &serde_json::json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    pub async fn list_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                })
            })
            .collect()
    }

    pub async fn revoke_token(&self, actor: Actor, token_id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(actor.at)
        .bind(token_id)
        .bind(actor.user_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            None,
            "token.revoke",
            &format!("token:{token_id}"),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.is_admin, u.created_at, u.version FROM api_tokens t \
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_of).transpose()
    }

    // ------------------------------------------------------------------ programs and members

    pub async fn create_program(&self, actor: Actor, slug: &str, name: &str) -> Result<Program> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "INSERT INTO programs (slug, name, created_by, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, slug, name, created_at, version, state_seq, head_revision",
        )
        .bind(slug)
        .bind(name)
        .bind(actor.user_id)
        .bind(actor.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from_insert(e, slug))?;
        let program = program_of(&row)?;
        sqlx::query("INSERT INTO members (program_id, user_id, role) VALUES ($1, $2, 'owner')")
            .bind(program.id)
            .bind(actor.user_id)
            .execute(&mut *tx)
            .await?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program.id),
            "program.create",
            &format!("program:{slug}"),
            &serde_json::json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        Ok(program)
    }

    /// A program and the caller's role in it (`None`: not a member).
    pub async fn program_with_role(
        &self,
        slug: &str,
        user_id: i64,
    ) -> Result<Option<(Program, Option<String>)>> {
        let row = sqlx::query(
            "SELECT p.id, p.slug, p.name, p.created_at, p.version, p.state_seq, p.head_revision, m.role \
             FROM programs p LEFT JOIN members m ON m.program_id = p.id AND m.user_id = $2 WHERE p.slug = $1",
        )
        .bind(slug)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(r) => Ok(Some((program_of(&r)?, r.try_get("role")?))),
            None => Ok(None),
        }
    }

    /// Programs the user can see (all of them for an administrator), with their role.
    pub async fn list_programs(
        &self,
        user_id: i64,
        all: bool,
    ) -> Result<Vec<(Program, Option<String>)>> {
        let rows = sqlx::query(
            "SELECT p.id, p.slug, p.name, p.created_at, p.version, p.state_seq, p.head_revision, m.role \
             FROM programs p LEFT JOIN members m ON m.program_id = p.id AND m.user_id = $1 \
             WHERE $2 = 1 OR m.role IS NOT NULL ORDER BY p.slug",
        )
        .bind(user_id)
        .bind(i64::from(all))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((program_of(r)?, r.try_get("role")?)))
            .collect()
    }

    pub async fn all_program_ids(&self) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT id FROM programs ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    pub async fn program_by_id(&self, id: i64) -> Result<Program> {
        let row = sqlx::query(
            "SELECT id, slug, name, created_at, version, state_seq, head_revision FROM programs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        program_of(&row)
    }

    /// Renames a program (the version read must match).
    pub async fn rename_program(
        &self,
        actor: Actor,
        program_id: i64,
        version: i64,
        name: &str,
    ) -> Result<Program> {
        let mut tx = self.write().await?;
        let row = sqlx::query(
            "UPDATE programs SET name = $1, version = version + 1 WHERE id = $2 AND version = $3 \
             RETURNING id, slug, name, created_at, version, state_seq, head_revision",
        )
        .bind(name)
        .bind(program_id)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::Stale)?;
        let program = program_of(&row)?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            "program.update",
            &format!("program:{}", program.slug),
            &serde_json::json!({"name": name}),
        )
        .await?;
        tx.commit().await?;
        Ok(program)
    }

    pub async fn members(&self, program_id: i64) -> Result<Vec<Member>> {
        let rows = sqlx::query(
            "SELECT m.user_id, u.username, m.role, m.version FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.program_id = $1 ORDER BY u.username",
        )
        .bind(program_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Member {
                    user_id: r.try_get("user_id")?,
                    username: r.try_get("username")?,
                    role: r.try_get("role")?,
                    version: r.try_get("version")?,
                })
            })
            .collect()
    }

    /// Grants a role. `version`: `None` to add a member who has none (fails with
    /// `Exists` if they have one), `Some(v)` to change the role of version `v`.
    pub async fn set_member(
        &self,
        actor: Actor,
        program_id: i64,
        user_id: i64,
        role: &str,
        version: Option<i64>,
    ) -> Result<Member> {
        let mut tx = self.write().await?;
        let changed = match version {
            None => sqlx::query(
                "INSERT INTO members (program_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(program_id)
            .bind(user_id)
            .bind(role)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
            Some(v) => sqlx::query(
                "UPDATE members SET role = $1, version = version + 1 WHERE program_id = $2 AND user_id = $3 AND version = $4",
            )
            .bind(role)
            .bind(program_id)
            .bind(user_id)
            .bind(v)
            .execute(&mut *tx)
            .await?
            .rows_affected(),
        };
        if changed == 0 {
            return Err(match version {
                None => StoreError::Exists("member".to_string()),
                Some(_) => StoreError::Stale,
            });
        }
        Self::ensure_an_owner(&mut tx, program_id).await?;
        let row = sqlx::query(
            "SELECT m.user_id, u.username, m.role, m.version FROM members m JOIN users u ON u.id = m.user_id \
             WHERE m.program_id = $1 AND m.user_id = $2",
        )
        .bind(program_id)
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        let member = Member {
            user_id: row.try_get("user_id")?,
            username: row.try_get("username")?,
            role: row.try_get("role")?,
            version: row.try_get("version")?,
        };
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            "member.set",
            &format!("user:{}", member.username),
            &serde_json::json!({"role": role}),
        )
        .await?;
        tx.commit().await?;
        Ok(member)
    }

    pub async fn remove_member(
        &self,
        actor: Actor,
        program_id: i64,
        user_id: i64,
        version: i64,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "DELETE FROM members WHERE program_id = $1 AND user_id = $2 AND version = $3",
        )
        .bind(program_id)
        .bind(user_id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        Self::ensure_an_owner(&mut tx, program_id).await?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            "member.remove",
            &format!("user-id:{user_id}"),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A program always keeps an owner: a change that would leave none is refused.
    async fn ensure_an_owner(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        program_id: i64,
    ) -> Result<()> {
        let owners: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM members WHERE program_id = $1 AND role = 'owner'",
        )
        .bind(program_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
        if owners == 0 {
            return Err(StoreError::Exists(
                "the program must keep at least one owner".to_string(),
            ));
        }
        Ok(())
    }

    // ------------------------------------------------------------------ revisions

    /// Stores a new revision (numbered one after the latest) and makes it the head.
    pub async fn add_revision(
        &self,
        actor: Actor,
        program_id: i64,
        rev: &NewRevision<'_>,
    ) -> Result<Revision> {
        let mut tx = self.write().await?;
        // Serialise pushes to one program (PostgreSQL: row lock; SQLite: the write lock).
        let number: i64 = sqlx::query(
            "UPDATE programs SET head_revision = COALESCE(head_revision, 0) + 1 WHERE id = $1 RETURNING head_revision",
        )
        .bind(program_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("head_revision")?;
        for (_, hash, content) in &rev.files {
            sqlx::query("INSERT INTO blobs (hash, content) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(hash.as_str())
                .bind(content.to_vec())
                .execute(&mut *tx)
                .await?;
        }
        let id: i64 = sqlx::query(
            "INSERT INTO revisions (program_id, number, root, bundle_hash, index_json, summary_json, message, author_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(program_id)
        .bind(number)
        .bind(rev.root)
        .bind(rev.bundle_hash)
        .bind(rev.index_json)
        .bind(rev.summary_json)
        .bind(rev.message)
        .bind(actor.user_id)
        .bind(actor.at)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for (path, hash, _) in &rev.files {
            sqlx::query(
                "INSERT INTO revision_files (revision_id, path, blob_hash) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(*path)
            .bind(hash.as_str())
            .execute(&mut *tx)
            .await?;
        }
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            "revision.push",
            &format!("revision:{number}"),
            &serde_json::json!({"hash": rev.bundle_hash, "files": rev.files.len(), "message": rev.message}),
        )
        .await?;
        let row = sqlx::query(REVISION_BY_ID)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let revision = revision_of(&row)?;
        tx.commit().await?;
        Ok(revision)
    }

    pub async fn revisions(&self, program_id: i64) -> Result<Vec<Revision>> {
        let rows = sqlx::query(REVISIONS_OF_PROGRAM)
            .bind(program_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(revision_of).collect()
    }

    pub async fn revision(&self, program_id: i64, number: i64) -> Result<Revision> {
        let row = sqlx::query(REVISION_BY_NUMBER)
            .bind(program_id)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        revision_of(&row)
    }

    /// The files of a revision: (path, blob hash).
    pub async fn revision_files(&self, revision_id: i64) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT path, blob_hash FROM revision_files WHERE revision_id = $1 ORDER BY path",
        )
        .bind(revision_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("path")?, r.try_get("blob_hash")?)))
            .collect()
    }

    pub async fn blob(&self, hash: &str) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT content FROM blobs WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get("content")?)
    }

    // ------------------------------------------------------------------ records

    /// Every progress or RAID record of a program (`ns`: `progress` or `raid`; `None`
    /// for both), in id order.
    pub async fn records(&self, program_id: i64, ns: Option<&str>) -> Result<Vec<Record>> {
        let rows = sqlx::query(RECORDS_OF_PROGRAM)
            .bind(program_id)
            .bind(ns)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record_of).collect()
    }

    /// A page of a program's records of one namespace: ids after `after`, in id order.
    pub async fn records_page(
        &self,
        program_id: i64,
        ns: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Record>> {
        let rows = sqlx::query(RECORDS_PAGE)
            .bind(program_id)
            .bind(ns)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(record_of).collect()
    }

    /// The record of a namespace with this identity (`TASK@DATE`, or the RAID id).
    pub async fn record_by_key(
        &self,
        program_id: i64,
        ns: &str,
        key: &str,
    ) -> Result<Option<Record>> {
        let row = sqlx::query(RECORD_BY_KEY)
            .bind(program_id)
            .bind(ns)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record_of).transpose()
    }

    /// The program's record state, head revision, records and baselines, read together
    /// in one transaction: a consistent snapshot whatever is written meanwhile.
    pub async fn program_state(&self, program_id: i64) -> Result<ProgramState> {
        let mut tx = self.pool.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query("SELECT state_seq, head_revision FROM programs WHERE id = $1")
            .bind(program_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let state_seq: i64 = row.try_get("state_seq")?;
        let head_revision: Option<i64> = row.try_get("head_revision")?;
        let records = sqlx::query(RECORDS_OF_PROGRAM)
            .bind(program_id)
            .bind(None::<String>)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(record_of)
            .collect::<Result<Vec<_>>>()?;
        let baselines = sqlx::query(BASELINES_OF_PROGRAM)
            .bind(program_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(baseline_of)
            .collect::<Result<Vec<_>>>()?;
        tx.commit().await?;
        Ok(ProgramState {
            state_seq,
            head_revision,
            records,
            baselines,
        })
    }

    pub async fn record(&self, program_id: i64, ns: &str, id: i64) -> Result<Record> {
        let row = sqlx::query(RECORD_BY_ID)
            .bind(program_id)
            .bind(ns)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        record_of(&row)
    }

    pub async fn record_history(&self, record_id: i64) -> Result<Vec<RecordVersion>> {
        let rows = sqlx::query(
            "SELECT h.version, h.kind, h.body, h.at, u.username FROM record_history h \
             JOIN users u ON u.id = h.author_id WHERE h.record_id = $1 ORDER BY h.version",
        )
        .bind(record_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(RecordVersion {
                    version: r.try_get("version")?,
                    kind: r.try_get("kind")?,
                    body: json_of(&r.try_get::<String, _>("body")?),
                    author: r.try_get("username")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// Creates a record; `expected_seq` is the program state the caller validated the
    /// record against: if the program changed since, the write fails with `Stale` and
    /// the caller validates again.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_record(
        &self,
        actor: Actor,
        program_id: i64,
        expected_seq: i64,
        ns: &str,
        kind: &str,
        key: &str,
        body: &serde_json::Value,
    ) -> Result<Record> {
        let mut tx = self.write().await?;
        Self::bump_state(&mut tx, program_id, expected_seq).await?;
        let text = body.to_string();
        let id: i64 = sqlx::query(
            "INSERT INTO records (program_id, ns, kind, key, body, created_by, created_at, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $6, $7) RETURNING id",
        )
        .bind(program_id)
        .bind(ns)
        .bind(kind)
        .bind(key)
        .bind(&text)
        .bind(actor.user_id)
        .bind(actor.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from_insert(e, key))?
        .try_get("id")?;
        Self::history_in(&mut tx, id, 1, kind, &text, actor).await?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            &format!("{ns}.create"),
            &format!("{kind}:{key}"),
            body,
        )
        .await?;
        let row = sqlx::query(RECORD_BY_ID)
            .bind(program_id)
            .bind(ns)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let record = record_of(&row)?;
        tx.commit().await?;
        Ok(record)
    }

    /// Replaces a record's body if it is still at `version` (else `Stale`) and the
    /// program is still at `expected_seq` (else `Stale` too; re-validate and retry).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_record(
        &self,
        actor: Actor,
        program_id: i64,
        expected_seq: i64,
        ns: &str,
        id: i64,
        version: i64,
        kind: &str,
        key: &str,
        body: &serde_json::Value,
    ) -> Result<Record> {
        let mut tx = self.write().await?;
        let text = body.to_string();
        let updated = sqlx::query(
            "UPDATE records SET body = $1, kind = $2, key = $3, version = version + 1, updated_by = $4, updated_at = $5 \
             WHERE id = $6 AND program_id = $7 AND ns = $8 AND version = $9",
        )
        .bind(&text)
        .bind(kind)
        .bind(key)
        .bind(actor.user_id)
        .bind(actor.at)
        .bind(id)
        .bind(program_id)
        .bind(ns)
        .bind(version)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_insert(e, key))?;
        if updated.rows_affected() == 0 {
            let exists =
                sqlx::query("SELECT id FROM records WHERE id = $1 AND program_id = $2 AND ns = $3")
                    .bind(id)
                    .bind(program_id)
                    .bind(ns)
                    .fetch_optional(&mut *tx)
                    .await?;
            return Err(if exists.is_some() {
                StoreError::Stale
            } else {
                StoreError::NotFound
            });
        }
        Self::bump_state(&mut tx, program_id, expected_seq).await?;
        Self::history_in(&mut tx, id, version + 1, kind, &text, actor).await?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            &format!("{ns}.update"),
            &format!("{kind}:{key}"),
            &serde_json::json!({"version": version + 1, "body": body}),
        )
        .await?;
        let row = sqlx::query(RECORD_BY_ID)
            .bind(program_id)
            .bind(ns)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let record = record_of(&row)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn history_in(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        id: i64,
        version: i64,
        kind: &str,
        text: &str,
        actor: Actor,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO record_history (record_id, version, kind, body, author_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(version)
        .bind(kind)
        .bind(text)
        .bind(actor.user_id)
        .bind(actor.at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Moves the program's state on, if it is still at `expected`.
    async fn bump_state(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        program_id: i64,
        expected: i64,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE programs SET state_seq = state_seq + 1 WHERE id = $1 AND state_seq = $2",
        )
        .bind(program_id)
        .bind(expected)
        .execute(&mut **tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        Ok(())
    }

    // ------------------------------------------------------------------ baselines

    pub async fn baselines(&self, program_id: i64) -> Result<Vec<Baseline>> {
        let rows = sqlx::query(BASELINES_OF_PROGRAM)
            .bind(program_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(baseline_of).collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add_baseline(
        &self,
        actor: Actor,
        program_id: i64,
        expected_seq: i64,
        name: &str,
        revision: i64,
        saved: &str,
        content: &str,
    ) -> Result<Baseline> {
        let mut tx = self.write().await?;
        Self::bump_state(&mut tx, program_id, expected_seq).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO baselines (program_id, name, revision_number, saved, content, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(program_id)
        .bind(name)
        .bind(revision)
        .bind(saved)
        .bind(content)
        .bind(actor.user_id)
        .bind(actor.at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from_insert(e, name))?
        .try_get("id")?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            "baseline.save",
            &format!("baseline:{name}"),
            &serde_json::json!({"revision": revision, "saved": saved}),
        )
        .await?;
        tx.commit().await?;
        Ok(Baseline {
            id,
            name: name.to_string(),
            revision,
            saved: saved.to_string(),
            content: content.to_string(),
            created_by: String::new(),
            created_at: actor.at,
        })
    }

    // ------------------------------------------------------------------ analysis cache

    pub async fn cached(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT body FROM analysis_cache WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("body").map_err(StoreError::from))
            .transpose()
    }

    pub async fn cache(&self, key: &str, body: &str, at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO analysis_cache (key, body, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(body)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Caches an analysis of record state `state` in `slot`, where an analysis of a
    /// later state supersedes it: older entries of the slot are dropped, and nothing is
    /// stored if the slot already holds a later state (another process was quicker).
    pub async fn cache_in_slot(
        &self,
        key: &str,
        body: &str,
        at: i64,
        slot: &str,
        state: i64,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM analysis_cache WHERE slot = $1 AND slot_state < $2")
            .bind(slot)
            .bind(state)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO analysis_cache (key, body, created_at, slot, slot_state) \
             SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS \
             (SELECT 1 FROM analysis_cache WHERE slot = $4 AND slot_state > $5) \
             ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(body)
        .bind(at)
        .bind(slot)
        .bind(state)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drops cache entries made before `before` (they are recomputed on demand).
    pub async fn prune_cache(&self, before: i64) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM analysis_cache WHERE created_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    // ------------------------------------------------------------------ marks

    pub async fn mark(&self, program_id: i64, key: &str) -> Result<Option<(String, i64)>> {
        let row =
            sqlx::query("SELECT value, version FROM marks WHERE program_id = $1 AND key = $2")
                .bind(program_id)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some(r) => Ok(Some((r.try_get("value")?, r.try_get("version")?))),
            None => Ok(None),
        }
    }

    /// Sets a mark if it is still as read (`None`: absent). `false` when another
    /// process got there first.
    pub async fn swap_mark(
        &self,
        program_id: i64,
        key: &str,
        read: Option<i64>,
        value: &str,
    ) -> Result<bool> {
        let n = match read {
            None => sqlx::query(
                "INSERT INTO marks (program_id, key, value) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(program_id)
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?
            .rows_affected(),
            Some(v) => sqlx::query(
                "UPDATE marks SET value = $1, version = version + 1 WHERE program_id = $2 AND key = $3 AND version = $4",
            )
            .bind(value)
            .bind(program_id)
            .bind(key)
            .bind(v)
            .execute(&self.pool)
            .await?
            .rows_affected(),
        };
        Ok(n == 1)
    }

    // ------------------------------------------------------------------ webhooks

    pub async fn webhooks(&self, program_id: i64) -> Result<Vec<Webhook>> {
        let rows = sqlx::query(
            "SELECT id, program_id, url, secret, events, threshold, active, version, created_at FROM webhooks \
             WHERE program_id = $1 AND deleted_at IS NULL ORDER BY id",
        )
        .bind(program_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(webhook_of).collect()
    }

    pub async fn webhook(&self, program_id: i64, id: i64) -> Result<Webhook> {
        let row = sqlx::query(
            "SELECT id, program_id, url, secret, events, threshold, active, version, created_at FROM webhooks \
             WHERE program_id = $1 AND id = $2 AND deleted_at IS NULL",
        )
        .bind(program_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        webhook_of(&row)
    }

    pub async fn create_webhook(
        &self,
        actor: Actor,
        program_id: i64,
        spec: &WebhookSpec<'_>,
    ) -> Result<Webhook> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO webhooks (program_id, url, secret, events, threshold, active, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(program_id)
        .bind(spec.url)
        .bind(spec.secret)
        .bind(serde_json::to_string(spec.events).unwrap_or_default())
        .bind(spec.threshold)
        .bind(i64::from(spec.active))
        .bind(actor.user_id)
        .bind(actor.at)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            "webhook.create",
            &format!("webhook:{id}"),
            &serde_json::json!({"url": spec.url, "events": spec.events}),
        )
        .await?;
        tx.commit().await?;
        self.webhook(program_id, id).await
    }

    pub async fn update_webhook(
        &self,
        actor: Actor,
        program_id: i64,
        id: i64,
        version: i64,
        spec: &WebhookSpec<'_>,
    ) -> Result<Webhook> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE webhooks SET url = $1, secret = $2, events = $3, threshold = $4, active = $5, version = version + 1 \
             WHERE program_id = $6 AND id = $7 AND version = $8 AND deleted_at IS NULL",
        )
        .bind(spec.url)
        .bind(spec.secret)
        .bind(serde_json::to_string(spec.events).unwrap_or_default())
        .bind(spec.threshold)
        .bind(i64::from(spec.active))
        .bind(program_id)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Stale);
        }
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            "webhook.update",
            &format!("webhook:{id}"),
            &serde_json::json!({"url": spec.url, "events": spec.events, "active": spec.active}),
        )
        .await?;
        tx.commit().await?;
        self.webhook(program_id, id).await
    }

    pub async fn delete_webhook(
        &self,
        actor: Actor,
        program_id: i64,
        id: i64,
        version: i64,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE webhooks SET deleted_at = $1, active = 0, version = version + 1 \
             WHERE program_id = $2 AND id = $3 AND version = $4 AND deleted_at IS NULL",
        )
        .bind(actor.at)
        .bind(program_id)
        .bind(id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Stale);
        }
        Self::audit_in(
            &mut tx,
            Some(actor),
            actor.at,
            Some(program_id),
            "webhook.delete",
            &format!("webhook:{id}"),
            &serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a delivery of `event` to every active webhook of the program that
    /// subscribes to it (and, with a threshold, whose threshold `value` is under).
    pub async fn enqueue_event(
        &self,
        program_id: i64,
        event: &str,
        payload: &serde_json::Value,
        value: Option<f64>,
        at: i64,
    ) -> Result<usize> {
        let hooks = self.webhooks(program_id).await?;
        let mut n = 0;
        for h in hooks.iter().filter(|h| {
            h.active
                && h.events.iter().any(|e| e == event || e == "*")
                && match (h.threshold, value) {
                    (Some(t), Some(v)) => v < t,
                    _ => true,
                }
        }) {
            sqlx::query(
                "INSERT INTO deliveries (webhook_id, event, payload, status, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, 'pending', $4, $4)",
            )
            .bind(h.id)
            .bind(event)
            .bind(payload.to_string())
            .bind(at)
            .execute(&self.pool)
            .await?;
            n += 1;
        }
        Ok(n)
    }

    /// Queues one delivery to one webhook.
    pub async fn enqueue_delivery(
        &self,
        webhook_id: i64,
        event: &str,
        payload: &serde_json::Value,
        at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO deliveries (webhook_id, event, payload, status, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, 'pending', $4, $4)",
        )
        .bind(webhook_id)
        .bind(event)
        .bind(payload.to_string())
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims up to `limit` deliveries that are due, for `lease_ms`: another process
    /// does not take them until the lease runs out.
    pub async fn claim_deliveries(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<(Delivery, Webhook)>> {
        let rows = sqlx::query(
            "SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
             AND (locked_until IS NULL OR locked_until < $1) ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let claimed = sqlx::query(
                "UPDATE deliveries SET locked_until = $1 WHERE id = $2 AND status = 'pending' \
                 AND (locked_until IS NULL OR locked_until < $3)",
            )
            .bind(now + lease_ms)
            .bind(id)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if claimed == 1 {
                let row = sqlx::query(
                    "SELECT d.id, d.webhook_id, d.event, d.payload, d.status, d.attempts, d.next_attempt_at, \
                     d.last_code, d.last_error, d.created_at, d.delivered_at FROM deliveries d WHERE d.id = $1",
                )
                .bind(id)
                .fetch_one(&self.pool)
                .await?;
                let d = delivery_of(&row)?;
                let hook = sqlx::query(
                    "SELECT id, program_id, url, secret, events, threshold, active, version, created_at \
                     FROM webhooks WHERE id = $1",
                )
                .bind(d.webhook_id)
                .fetch_one(&self.pool)
                .await?;
                out.push((d, webhook_of(&hook)?));
            }
        }
        Ok(out)
    }

    /// Records one attempt; `retry_at`: when to try again (`None`: give up, or done if
    /// `ok`).
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_delivery(
        &self,
        id: i64,
        at: i64,
        ok: bool,
        code: Option<i64>,
        error: Option<&str>,
        duration_ms: i64,
        retry_at: Option<i64>,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let attempt: i64 = sqlx::query(
            "UPDATE deliveries SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("attempts")?;
        sqlx::query(
            "INSERT INTO delivery_attempts (delivery_id, attempt, at, code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(attempt)
        .bind(at)
        .bind(code)
        .bind(error)
        .bind(duration_ms)
        .execute(&mut *tx)
        .await?;
        let (status, next) = match (ok, retry_at) {
            (true, _) => ("delivered", at),
            (false, Some(t)) => ("pending", t),
            (false, None) => ("failed", at),
        };
        sqlx::query(
            "UPDATE deliveries SET status = $1, next_attempt_at = $2, locked_until = NULL, last_code = $3, \
             last_error = $4, delivered_at = $5 WHERE id = $6",
        )
        .bind(status)
        .bind(next)
        .bind(code)
        .bind(error)
        .bind(if ok { Some(at) } else { None })
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn deliveries(&self, webhook_id: i64, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT id, webhook_id, event, payload, status, attempts, next_attempt_at, last_code, last_error, \
             created_at, delivered_at FROM deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_of).collect()
    }
}

const REVISIONS_OF_PROGRAM: &str = "SELECT r.id, r.number, r.root, r.bundle_hash, r.index_json, r.summary_json, \
     r.message, r.created_at, u.username AS author FROM revisions r JOIN users u ON u.id = r.author_id \
     WHERE r.program_id = $1 ORDER BY r.number DESC";
const REVISION_BY_NUMBER: &str = "SELECT r.id, r.number, r.root, r.bundle_hash, r.index_json, r.summary_json, \
     r.message, r.created_at, u.username AS author FROM revisions r JOIN users u ON u.id = r.author_id \
     WHERE r.program_id = $1 AND r.number = $2";
const REVISION_BY_ID: &str = "SELECT r.id, r.number, r.root, r.bundle_hash, r.index_json, r.summary_json, \
     r.message, r.created_at, u.username AS author FROM revisions r JOIN users u ON u.id = r.author_id \
     WHERE r.id = $1";
const RECORDS_OF_PROGRAM: &str = "SELECT r.id, r.kind, r.key, r.body, r.version, r.created_at, r.updated_at, \
     cu.username AS created_by_name, uu.username AS updated_by_name \
     FROM records r JOIN users cu ON cu.id = r.created_by JOIN users uu ON uu.id = r.updated_by \
     WHERE r.program_id = $1 AND ($2 IS NULL OR r.ns = $2) ORDER BY r.id";
const RECORDS_PAGE: &str = "SELECT r.id, r.kind, r.key, r.body, r.version, r.created_at, r.updated_at, \
     cu.username AS created_by_name, uu.username AS updated_by_name \
     FROM records r JOIN users cu ON cu.id = r.created_by JOIN users uu ON uu.id = r.updated_by \
     WHERE r.program_id = $1 AND r.ns = $2 AND r.id > $3 ORDER BY r.id LIMIT $4";
const RECORD_BY_KEY: &str = "SELECT r.id, r.kind, r.key, r.body, r.version, r.created_at, r.updated_at, \
     cu.username AS created_by_name, uu.username AS updated_by_name \
     FROM records r JOIN users cu ON cu.id = r.created_by JOIN users uu ON uu.id = r.updated_by \
     WHERE r.program_id = $1 AND r.ns = $2 AND r.key = $3";
const BASELINES_OF_PROGRAM: &str = "SELECT b.id, b.name, b.revision_number, b.saved, b.content, b.created_at, u.username \
     FROM baselines b JOIN users u ON u.id = b.created_by WHERE b.program_id = $1 ORDER BY b.id";
const RECORD_BY_ID: &str = "SELECT r.id, r.kind, r.key, r.body, r.version, r.created_at, r.updated_at, \
     cu.username AS created_by_name, uu.username AS updated_by_name \
     FROM records r JOIN users cu ON cu.id = r.created_by JOIN users uu ON uu.id = r.updated_by \
     WHERE r.program_id = $1 AND r.ns = $2 AND r.id = $3";
