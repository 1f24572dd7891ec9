//! What every handler can reach: the pools, the configuration and the keys.

use std::sync::Arc;

use axum::extract::FromRef;
use sqlx::PgPool;

use crate::config::Config;
use crate::crypto::Cipher;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: PgPool,
    /// Connections for the dashboard and reports — on the read replica when there is one, else
    /// on the same database: their queries' best
    /// plans depend on the size of the focus (a province or a station), so these connections
    /// plan each statement with its parameters rather than reuse a generic plan; and figures
    /// never take the connections the pages people work in need.
    pub figures: PgPool,
    /// The configuration the service started with.
    pub config: Arc<Config>,
    /// Keys for ID numbers.
    pub cipher: Cipher,
    /// The spreadsheet exports running now, per user.
    pub exports: super::export::Running,
}

impl AppState {
    /// The state for a pool and a configuration; fails only on an `AIXIN_READ_DATABASE_URL`
    /// that is not a PostgreSQL URL.
    pub fn new(db: PgPool, config: Config) -> anyhow::Result<AppState> {
        let cipher = Cipher::new(&config.secret_key);
        let figures = crate::db::figures_pool(&db, &config)?;
        Ok(AppState {
            db,
            figures,
            config: Arc::new(config),
            cipher,
            exports: Default::default(),
        })
    }
}

impl FromRef<AppState> for Cipher {
    fn from_ref(state: &AppState) -> Cipher {
        state.cipher.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> PgPool {
        state.db.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Arc<Config> {
        state.config.clone()
    }
}
