//! The database: the connection pool, the embedded cluster, migrations and region data.

pub mod embedded;
pub mod regions;

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::config::Config;
use embedded::{Cluster, Durability};

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// The service's database: a pool, and the embedded cluster when the service runs its own.
pub struct Database {
    /// The connection pool every request uses.
    pub pool: PgPool,
    /// The private cluster, when `DATABASE_URL` is unset.
    pub cluster: Option<Cluster>,
}

/// What [`prepare`] did to bring a database up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepared {
    /// Migrations applied by this call (0 when the schema was already current).
    pub migrations_applied: usize,
    /// Regions loaded by this call (0 when they were already there).
    pub regions_loaded: u64,
}

impl Database {
    /// Connects to `DATABASE_URL` (creating its database when missing), or starts or reuses the
    /// embedded cluster under the data directory.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let (options, cluster) = match &config.database_url {
            Some(url) => {
                let options: PgConnectOptions = url
                    .parse()
                    .context("DATABASE_URL is not a valid PostgreSQL URL")?;
                (options, None)
            }
            None => {
                let dir = config.data_dir.join("pg");
                let cluster = tokio::task::spawn_blocking(move || {
                    Cluster::ensure_running(&dir, Durability::Durable)
                })
                .await??;
                (cluster.connect_options("aixin"), Some(cluster))
            }
        };
        create_database_if_missing(&options).await?;
        let pool = pool_options(config.db_max_connections)
            .connect_with(session_settings(options, config))
            .await
            .context("connecting to PostgreSQL")?;
        Ok(Database { pool, cluster })
    }

    /// Closes the pool, then stops the embedded cluster if this process started it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || cluster.stop_if_started_here()).await??;
        }
        Ok(())
    }
}

/// Pool settings shared by the service and the tests.
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        // A request waits briefly for a connection, then answers 503 rather than hanging.
        .acquire_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(600))
        // An idle connection is pinged before it is handed out: one the server ended while it
        // sat in the pool (a restart of PostgreSQL) is replaced by a fresh one before anything
        // is sent on it.
        .test_before_acquire(true)
}

/// What every connection of the service runs with: the statement timeout
/// (`AIXIN_DB_STATEMENT_TIMEOUT_MS`; a statement past it is cancelled and its request answers
/// 503), and the service's name in `pg_stat_activity`.
pub fn session_settings(options: PgConnectOptions, config: &Config) -> PgConnectOptions {
    options
        .application_name("aixin")
        .options([("statement_timeout", config.db_statement_timeout_ms)])
}

/// Runs `read` — statements that write nothing — and once more, on a fresh connection, when
/// its connection was lost. Never for a write: a write whose connection was lost may have been
/// made, and is answered 503 for its caller to decide.
pub async fn retry_read<T, F, Fut>(read: F) -> sqlx::Result<T>
where
    F: Fn() -> Fut,
    Fut: Future<Output = sqlx::Result<T>>,
{
    match read().await {
        Err(e) if outage(&e) == Some(Outage::ConnectionLost) => {
            tracing::warn!(error = %e, "a read lost its connection: trying once more");
            read().await
        }
        done => done,
    }
}

/// Why a statement failed, where the database and not the request is the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outage {
    /// The connection was lost or could not be made (the server restarting, the network): the
    /// statement may or may not have run.
    ConnectionLost,
    /// No connection came free in time, or the pool is closed: nothing was sent.
    NoConnection,
    /// The statement ran past the statement timeout and was cancelled.
    StatementTimeout,
}

/// Whether `err` says the database is unavailable rather than that the request is wrong.
pub fn outage(err: &sqlx::Error) -> Option<Outage> {
    match err {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Some(Outage::NoConnection),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => {
            Some(Outage::ConnectionLost)
        }
        sqlx::Error::Database(db) => match db.code().as_deref() {
            // query_canceled: the statement timeout
            Some("57014") => Some(Outage::StatementTimeout),
            // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, and
            // class 08, connection exceptions
            Some("57P01" | "57P02" | "57P03" | "53300") => Some(Outage::ConnectionLost),
            Some(code) if code.starts_with("08") => Some(Outage::ConnectionLost),
            _ => None,
        },
        _ => None,
    }
}

/// The pool figures are read from: the replica of `AIXIN_READ_DATABASE_URL`, or else the
/// database of `db`; its connections plan every statement with its actual parameters
/// (`plan_cache_mode = force_custom_plan`). Half the size of the main pool; it connects when
/// first used.
pub fn figures_pool(db: &PgPool, config: &Config) -> anyhow::Result<PgPool> {
    let options = match &config.read_database_url {
        Some(url) => session_settings(
            url.parse()
                .context("AIXIN_READ_DATABASE_URL is not a valid PostgreSQL URL")?,
            config,
        ),
        None => (*db.connect_options()).clone(),
    }
    .options([("plan_cache_mode", "force_custom_plan")]);
    Ok(pool_options(config.db_max_connections.div_ceil(2).max(2)).connect_lazy_with(options))
}

/// How many seconds the database behind `figures` is behind the primary: 0 for the primary
/// itself and for a replica that has replayed all it received, `None` when it cannot say.
pub async fn replica_lag(figures: &PgPool) -> Option<f64> {
    sqlx::query_scalar::<_, Option<f64>>(
        "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
                     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END",
    )
    .fetch_one(figures)
    .await
    .ok()
    .flatten()
}

/// Creates the database named in `options` when the server does not have it yet.
pub async fn create_database_if_missing(options: &PgConnectOptions) -> anyhow::Result<()> {
    let name = options
        .get_database()
        .context("the database URL names no database")?
        .to_owned();
    let mut admin = options
        .clone()
        .database("postgres")
        .connect()
        .await
        .context("connecting to PostgreSQL to check that the database exists")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        tracing::info!(database = %name, "creating the database");
        let sql = format!("CREATE DATABASE {}", quote_ident(&name));
        match sqlx::raw_sql(&sql).execute(&mut admin).await {
            Ok(_) => {}
            // Another process created it a moment ago.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => return Err(e).context("creating the database"),
        }
    }
    admin.close().await?;
    Ok(())
}

/// Applies pending migrations and loads region data on first start. Safe to run from several
/// processes at once: the migrator and the region loader each take an advisory lock.
pub async fn prepare(pool: &PgPool) -> anyhow::Result<Prepared> {
    let before = applied_migrations(pool).await?;
    // Migrations (a backfill, an index build, the wait for another instance's migrator) are not
    // bound by the statement timeout of requests: they run on a connection of their own, closed
    // afterwards rather than handed back to the pool without its timeout.
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut conn)
        .await?;
    let migrated = MIGRATOR.run(&mut conn).await;
    let _ = sqlx::Connection::close(conn).await;
    migrated.map_err(|e| match e {
        // The schema was squashed into one baseline per area on 2026-12-01, before anything was
        // deployed: a database made by the migrations before that cannot be brought up to date.
        sqlx::migrate::MigrateError::VersionMissing(version) => anyhow::anyhow!(
            "this database was made by migration {version}, from before the schema baseline of \
             2026-12-01, and cannot be upgraded: start with an empty database (for the embedded \
             one, remove <data dir>/pg)"
        ),
        e => anyhow::Error::new(e).context("applying migrations"),
    })?;
    let after = applied_migrations(pool).await?;
    let regions_loaded = regions::load_if_empty(pool).await?;
    Ok(Prepared {
        migrations_applied: after.saturating_sub(before),
        regions_loaded,
    })
}

async fn applied_migrations(pool: &PgPool) -> anyhow::Result<usize> {
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await?;
    if table.is_none() {
        return Ok(0);
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await?;
    Ok(n as usize)
}

/// Quotes an SQL identifier (database names cannot be bound as parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A fingerprint of the schema and the region data this binary ships: test harnesses key their
/// template database by it, so a changed migration builds a new template.
pub fn schema_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for migration in MIGRATOR.iter() {
        hasher.update(migration.version.to_le_bytes());
        hasher.update(&*migration.checksum);
    }
    for file in regions::data() {
        hasher.update(file.as_bytes());
    }
    hex::encode(&hasher.finalize()[..6])
}

/// Escapes `%`, `_` and `\` for a `LIKE` pattern.
pub fn escape_like(text: &str) -> String {
    text.trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
