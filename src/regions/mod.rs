//! The administrative region tree (province → city → county → township → village) that every
//! record hangs from, and the prefix match that scopes what a user may see.

pub mod api;
pub mod model;
pub mod store;

use axum::Router;
use axum::routing::get;

use crate::app::AppState;

/// The region routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/regions", get(api::list))
        .route("/api/v1/regions/{code}", get(api::get))
}
