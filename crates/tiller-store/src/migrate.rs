//! Forward-only migrations, embedded in the binary and applied at start.
//!
//! Each backend has its own folder (`migrations/sqlite`, `migrations/postgres`) with the
//! same numbered files. Applied migrations are recorded in `schema_migrations`; a
//! database that records a migration this build does not know is refused rather than
//! used. Several processes may start at once: PostgreSQL serialises them with an
//! advisory lock, SQLite with its write lock.

use sqlx::Row;

use crate::{Dialect, Result, Store, StoreError};

/// (version, name, SQLite text, PostgreSQL text)
pub const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "initial",
        include_str!("../migrations/sqlite/0001_initial.sql"),
        include_str!("../migrations/postgres/0001_initial.sql"),
    ),
    (
        2,
        "analysis_cache_slot",
        include_str!("../migrations/sqlite/0002_analysis_cache_slot.sql"),
        include_str!("../migrations/postgres/0002_analysis_cache_slot.sql"),
    ),
];

const LOCK_ID: i64 = 0x7469_6c6c_6572; // "tiller"

pub(crate) async fn run(store: &Store) -> Result<()> {
    let mut conn = store.pool.acquire().await?;
    if store.dialect == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(LOCK_ID)
            .execute(&mut *conn)
            .await?;
    }
    let result = apply(store.dialect, &mut conn).await;
    if store.dialect == Dialect::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(LOCK_ID)
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply(dialect: Dialect, conn: &mut sqlx::AnyConnection) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    for (version, name, sqlite, postgres) in MIGRATIONS {
        let begin = match dialect {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        sqlx::raw_sql(begin).execute(&mut *conn).await?;
        let outcome: Result<()> = async {
            let found: i64 =
                sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get("v")?;
            if found > known {
                return Err(StoreError::TooNew { found, known });
            }
            if found >= *version {
                return Ok(());
            }
            let sql = match dialect {
                Dialect::Sqlite => *sqlite,
                Dialect::Postgres => *postgres,
            };
            sqlx::raw_sql(sql).execute(&mut *conn).await?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64);
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(*version)
            .bind(*name)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
            }
            Err(e) => {
                let _ = sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await;
                return Err(e);
            }
        }
    }
    Ok(())
}
