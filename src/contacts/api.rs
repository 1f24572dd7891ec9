//! `/api/v1/pairings/{id}/contacts`, `/api/v1/contacts/{id}…`, `/api/v1/concerns`.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::model::{ConcernStatus, ConcernsQuery, OpenConcern};
use super::model::{Contact, ContactInput};
use crate::auth::{ClientIp, CurrentUser};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::json::ApiJson;
use crate::web::paging::Page;
use crate::web::parse_id;

/// `GET /api/v1/pairings/{id}/contacts`: newest first.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let items = super::service::of_pairing(&state.db, &user, parse_id(&id)?).await?;
    Ok(Json(serde_json::json!({ "items": items })))
}

/// `POST /api/v1/pairings/{id}/contacts`: 201 with the contact.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<(StatusCode, Json<Contact>), AppError> {
    let contact = super::service::create(&state.db, &user, parse_id(&id)?, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// One entry for several of the volunteer's children: the contact's fields and the pairings.
#[derive(Debug, Default, Deserialize)]
pub struct ManyInput {
    #[serde(default)]
    pub pairing_ids: Vec<String>,
    #[serde(flatten)]
    pub contact: ContactInput,
}

/// `POST /api/v1/me/contacts`: one visit to several of her children, stored once for each
/// pairing in one transaction; 201 with `{"items": [contact, …]}`.
pub async fn create_many(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ManyInput>,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    let mut ids = Vec::with_capacity(input.pairing_ids.len());
    for id in &input.pairing_ids {
        ids.push(uuid::Uuid::parse_str(id.trim()).map_err(|_| {
            AppError::validation(crate::web::error::FieldErrors::from([(
                "pairing_ids".to_owned(),
                crate::web::error::FieldError::new("error.unknown_person"),
            )]))
        })?);
    }
    let items = super::service::create_many(&state.db, &user, &ids, &input.contact, ip).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "items": items })),
    ))
}

/// `PATCH /api/v1/contacts/{id}`: the volunteer's correction, within 24 hours.
pub async fn correct(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactInput>,
) -> Result<Json<Contact>, AppError> {
    super::service::correct(&state.db, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}

/// `POST /api/v1/contacts/{id}/seen`.
pub async fn mark_seen(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Contact>, AppError> {
    super::service::mark_seen(&state.db, &user, parse_id(&id)?)
        .await
        .map(Json)
}

/// Body of a resolution.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResolveInput {
    /// What was done.
    pub resolution: Option<String>,
}

/// `POST /api/v1/contacts/{id}/resolve`.
pub async fn resolve(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ResolveInput>,
) -> Result<Json<Contact>, AppError> {
    super::service::resolve(
        &state.db,
        &user,
        parse_id(&id)?,
        input.resolution.as_deref(),
        ip,
    )
    .await
    .map(Json)
}

/// `GET /api/v1/concerns`: the open concerns in scope, the gravest first and the newest first
/// within each category; `status=resolved`: the resolved ones, the latest resolved first.
pub async fn concerns(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ConcernsQuery>,
) -> Result<Json<Page<OpenConcern>>, AppError> {
    let paging = q.paging.checked()?;
    let status = ConcernStatus::parse(q.status.as_deref())?;
    let (items, total) = super::service::concerns(
        &state.db,
        &user.scope,
        status,
        (paging.limit(), paging.offset()),
    )
    .await?;
    Ok(Json(paging.page(items, total)))
}
