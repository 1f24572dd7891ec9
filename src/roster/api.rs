//! `POST /api/v1/roster/imports` and `GET /api/v1/roster`.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::import::Outcome;
use super::model::RosterStatus;
use super::service;
use crate::auth::{ClientIp, CurrentUser};
use crate::domain::FieldError;
use crate::imports::{Upload, read_form, read_off_the_workers};
use crate::web::error::AppError;
use crate::web::paging::{Filters, Paging};
use crate::web::{AppState, Prefs, Query};

/// `POST /api/v1/roster/imports` (`multipart/form-data`: `file`, and `county` for a user above
/// a county): 201 with the import's counts; 422 `import_refused` with the problems by row and
/// column (`rows`) and nothing written.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    prefs: Prefs,
    ClientIp(ip): ClientIp,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let form = read_form(&mut multipart).await?;
    let county = service::county(
        &state.db,
        &user,
        form.fields.get("county").map(String::as_str),
    )
    .await?;
    let file_error = |error: FieldError| {
        let mut fields = crate::domain::FieldErrors::new();
        fields.insert("file".into(), error);
        AppError::validation(fields)
    };
    let bytes = match form.file {
        Upload::Missing => return Err(file_error(FieldError::new("import.no_file"))),
        Upload::TooLarge => return Err(AppError::PayloadTooLarge),
        Upload::File(bytes) => bytes,
    };
    let rows = read_off_the_workers(bytes).await?.map_err(|e| {
        let error = FieldError::new(e.key());
        file_error(match e.limit() {
            Some(max) => error.with("max", prefs.lang.number(max as i64)),
            None => error,
        })
    })?;
    let outcome = service::import(
        &state.db,
        &state.cipher,
        &user,
        &county,
        &rows,
        form.file_name.as_deref(),
        prefs.lang,
        ip,
    )
    .await?;
    Ok(match outcome {
        Outcome::Imported(done) => (StatusCode::CREATED, Json(done)).into_response(),
        Outcome::Refused {
            errors,
            unknown_columns,
        } => {
            let message = prefs.lang.tf(
                "import.refused",
                &[("n", &prefs.lang.number(errors.len() as i64))],
            );
            let body = serde_json::json!({ "error": {
                "code": "import_refused",
                "message": message,
                "fields": {},
                "rows": errors,
                "unknown_columns": unknown_columns,
            }});
            (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
        }
    })
}

/// Query of the roster list.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// `not_registered`, `registered_waiting` or `paired`.
    pub status: Option<String>,
    /// A county, township or village in the caller's region (default: her region).
    pub region: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// `GET /api/v1/roster?status=&region=`: the roster's children, by village and name, their ID
/// numbers and phones masked.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let mut check = Filters::default();
    let status = check.choice("status", &query.status, RosterStatus::parse);
    let region = query
        .region
        .clone()
        .unwrap_or_else(|| user.region_code.clone().unwrap_or_default());
    let (status, paging) = check.finish(status, &query.paging)?;
    let (items, total) = service::list(
        &state.db,
        &state.cipher,
        &user,
        region.trim(),
        status,
        (paging.limit(), paging.offset()),
    )
    .await?;
    Ok(Json(paging.page(items, total)).into_response())
}
