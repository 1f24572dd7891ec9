//! `/api/v1/requests` and a consent's withdrawal.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::model::{
    CompleteInput, DataRequest, Filter, RefuseInput, RequestInput, RequestKind, RequestStatus,
};
use super::service;
use crate::auth::{ClientIp, CurrentUser};
use crate::children::model::Consent;
use crate::web::error::AppError;
use crate::web::json::ApiJson;
use crate::web::paging::{Filters, PageRequest, Paging};
use crate::web::{AppState, Prefs, Query, export, parse_id};

/// Query of the request list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// `open`, `done` or `refused`.
    pub status: Option<String>,
    /// `access`, `correction`, `deletion` or `withdrawal`.
    pub kind: Option<String>,
    /// `true`: open ones past their due day only.
    pub overdue: Option<String>,
    pub child_id: Option<String>,
    pub volunteer_id: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

impl ListQuery {
    /// Checks filters and paging.
    pub fn checked(&self) -> Result<(Filter, PageRequest), AppError> {
        let mut check = Filters::default();
        let filter = Filter {
            status: check.choice("status", &self.status, RequestStatus::parse),
            kind: check.choice("kind", &self.kind, RequestKind::parse),
            overdue: check
                .choice("overdue", &self.overdue, |o| match o {
                    "true" | "1" => Some(true),
                    "false" | "0" => Some(false),
                    _ => None,
                })
                .unwrap_or(false),
            child_id: check.id("child_id", &self.child_id, "error.not_found"),
            volunteer_id: check.id("volunteer_id", &self.volunteer_id, "error.not_found"),
        };
        check.finish(filter, &self.paging)
    }
}

/// `GET /api/v1/requests`: the requests the caller may see, open ones first by due day.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = q.checked()?;
    let (items, total) =
        service::list(&state.db, &user, &filter, (paging.limit(), paging.offset())).await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `POST /api/v1/requests`: 201 with the request.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<RequestInput>,
) -> Result<(StatusCode, Json<DataRequest>), AppError> {
    let due = state.config.request_due_days;
    let r = service::create(&state.db, &state.cipher, &user, &input, due, ip).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// `GET /api/v1/requests/{id}`.
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<DataRequest>, AppError> {
    service::find(&state.db, &user, parse_id(&id)?)
        .await
        .map(Json)
}

/// `POST /api/v1/requests/{id}/complete` (`version`): carries it out.
pub async fn complete(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CompleteInput>,
) -> Result<Json<DataRequest>, AppError> {
    service::complete(&state.db, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}

/// `POST /api/v1/requests/{id}/refuse` (`version`, `reason`).
pub async fn refuse(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RefuseInput>,
) -> Result<Json<DataRequest>, AppError> {
    service::refuse(&state.db, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}

/// Query of the access copy.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CopyQuery {
    /// `xlsx` (default) or `json`.
    pub format: Option<String>,
    /// `true`: include the descriptions of abuse or safety concerns (staff, deliberately).
    pub include_sensitive: Option<String>,
}

/// `GET /api/v1/requests/{id}/export?format=xlsx`: the access copy, audited.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    exporting: export::Export,
    prefs: Prefs,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Query(q): Query<CopyQuery>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let xlsx = exporting.wanted(Some(q.format.as_deref().unwrap_or("xlsx")))?;
    let sensitive = matches!(
        q.include_sensitive.as_deref().map(str::trim),
        Some("true" | "1")
    );
    let _running = exporting.start()?;
    let format = if xlsx { "xlsx" } else { "json" };
    let how = (prefs.lang, sensitive, format);
    let (request, sections) =
        service::access_copy(&state.db, &state.cipher, &user, id, how, ip).await?;
    if !xlsx {
        return Ok(
            Json(serde_json::json!({ "request": request, "sections": sections })).into_response(),
        );
    }
    let title = format!(
        "{} · {}",
        prefs.lang.t("access.title"),
        request.subject_name
    );
    let bytes = super::sheet::workbook(prefs.lang, &title, &sections)?;
    Ok(export::download("access-copy", bytes))
}

/// Body of a withdrawal.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WithdrawBody {
    withdrawn_on: Option<String>,
}

/// `POST /api/v1/consents/{id}/withdraw`: records the withdrawal (today unless dated) and its
/// effects.
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Consent>, AppError> {
    // The body is optional: an empty one withdraws as of today.
    let body: WithdrawBody = if body.is_empty() {
        WithdrawBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| AppError::BadRequest("the body is not valid JSON".into()))?
    };
    let due = state.config.request_due_days;
    let on = body.withdrawn_on.as_deref();
    service::withdraw_consent(&state.db, &state.cipher, &user, parse_id(&id)?, on, due, ip)
        .await
        .map(Json)
}
