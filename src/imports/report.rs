//! The error report of a refused import: kept a week, downloadable by whoever uploaded the file.

use axum::extract::{Path, State};
use axum::response::Response;
use sqlx::PgPool;
use uuid::Uuid;

use super::sheet::RowError;
use crate::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::{Prefs, export};

/// Saves a refused import's errors; returns the report's id.
pub async fn save(
    db: &PgPool,
    user: &CurrentUser,
    entity: &str,
    errors: &[RowError],
) -> Result<Uuid, AppError> {
    let json = serde_json::to_value(errors).map_err(anyhow::Error::from)?;
    Ok(sqlx::query_scalar!(
        "INSERT INTO import_report (user_id, entity, errors) VALUES ($1, $2, $3) RETURNING id",
        user.id,
        entity,
        json
    )
    .fetch_one(db)
    .await?)
}

/// `GET /imports/{id}/report`: the error report as `.xlsx`, to its author only.
pub async fn report(
    State(db): State<PgPool>,
    user: CurrentUser,
    prefs: Prefs,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let errors = sqlx::query_scalar!(
        "SELECT errors FROM import_report WHERE id = $1 AND user_id = $2 AND created_at > now() - interval '7 days'",
        id,
        user.id
    )
    .fetch_optional(&db)
    .await?
    .ok_or(AppError::NotFound)?;
    let errors: Vec<serde_json::Value> = serde_json::from_value(errors).unwrap_or_default();
    let t = |k: &str| prefs.lang.t(k);
    let rows: Vec<Vec<String>> = errors
        .iter()
        .map(|e| {
            vec![
                e["row"].to_string(),
                e["column"].as_str().unwrap_or("").to_owned(),
                e["message"].as_str().unwrap_or("").to_owned(),
            ]
        })
        .collect();
    let bytes = export::xlsx(
        t("import.report"),
        &[t("import.row"), t("import.column"), t("import.message")],
        &rows,
    )?;
    Ok(export::download("import-errors", bytes))
}
