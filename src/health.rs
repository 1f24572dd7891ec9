//! `GET /healthz` (the process is alive) and `GET /readyz` (it can serve: the database answers).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sqlx::PgPool;

use crate::web::{Access, Routes};

/// The health routes.
pub fn routes() -> Routes {
    Routes::new()
        .get("/healthz", Access::PUBLIC, healthz)
        .get("/readyz", Access::PUBLIC, readyz)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "alive" }))
}

/// 200 when the database answers within two seconds; 503 with `Retry-After` otherwise.
async fn readyz(State(db): State<PgPool>) -> Response {
    let check = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&db);
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(_)) => Json(json!({ "status": "ready" })).into_response(),
        outcome => {
            let why = match outcome {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".to_owned(),
            };
            tracing::warn!(error = %why, "not ready: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "5")],
                Json(json!({ "status": "unavailable", "error": {
                    "code": "database_unavailable",
                    "message": "the database does not answer / 数据库无响应"
                }})),
            )
                .into_response()
        }
    }
}
