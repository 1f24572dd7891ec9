//! The administrative region tree (province → city → county → township → village) that every
//! record hangs from, and the prefix match that scopes what a user may see.

pub mod api;
pub mod model;
pub mod store;

use crate::app::Routes;

/// The region routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/regions", api::list)
        .get("/api/v1/regions/{code}", api::get)
}
