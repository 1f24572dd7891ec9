//! `/api/v1/children/{id}/wishes` and `/api/v1/wishes/{id}/claim|fulfil|cancel`.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgPool;

use super::model::{CancelInput, ClaimInput, Filter, FulfilInput, Wish, WishInput, WishStatus};
use super::service;
use crate::auth::{ClientIp, CurrentUser};
use crate::web::error::AppError;
use crate::web::json::ApiJson;
use crate::web::paging::{Filters, PageRequest, Paging};
use crate::web::parse_id;

/// Query of a wish list.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// In this status.
    pub status: Option<String>,
    /// Of children at this station (the page's filter).
    pub station_id: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

impl ListQuery {
    /// Checks filters and paging.
    pub fn checked(&self) -> Result<(Filter, PageRequest), AppError> {
        let mut check = Filters::default();
        let filter = Filter {
            child_id: None,
            status: check.choice("status", &self.status, WishStatus::parse),
            station_id: check.id("station_id", &self.station_id, "error.station_unknown"),
        };
        check.finish(filter, &self.paging)
    }
}

/// `GET /api/v1/children/{id}/wishes`: the child's wishes, open ones first.
pub async fn list(
    State(db): State<PgPool>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let child = service::child(&db, &user, parse_id(&id)?).await?;
    let (mut filter, paging) = query.checked()?;
    filter.child_id = Some(child.id);
    let (items, total) =
        service::list(&db, &user, &filter, (paging.limit(), paging.offset())).await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `POST /api/v1/children/{id}/wishes`: 201 with the wish.
pub async fn create(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WishInput>,
) -> Result<Response, AppError> {
    let wish = service::create(&db, &user, parse_id(&id)?, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(wish)).into_response())
}

/// `POST /api/v1/wishes/{id}/claim`: `{"organization": "…"}` or `{"volunteer_id": "…"}`; a
/// volunteer claims for herself with `{}`.
pub async fn claim(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ClaimInput>,
) -> Result<Json<Wish>, AppError> {
    service::claim(&db, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}

/// `POST /api/v1/wishes/{id}/fulfil`: `{"fulfilled_on": "…", "fulfilment_note": "…"}`.
pub async fn fulfil(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<FulfilInput>,
) -> Result<Json<Wish>, AppError> {
    service::fulfil(&db, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}

/// `POST /api/v1/wishes/{id}/cancel`.
pub async fn cancel(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CancelInput>,
) -> Result<Json<Wish>, AppError> {
    service::cancel(&db, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}
