//! `/api/v1/children/{id}/wishes` and `/api/v1/wishes/{id}/claim|fulfil|cancel`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgPool;

use super::model::{CancelInput, ClaimInput, FulfilInput, Wish, WishInput, WishStatus};
use super::store::{self, Filter};
use crate::auth::{ClientIp, CurrentUser};
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::json::ApiJson;
use crate::web::paging::{PageRequest, Paging};
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
        let mut fields = FieldErrors::new();
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let status = nonempty(&self.status).and_then(|s| {
            WishStatus::parse(&s).or_else(|| {
                fields.insert("status".into(), FieldError::new("error.choice"));
                None
            })
        });
        let station_id = nonempty(&self.station_id).and_then(|s| {
            uuid::Uuid::parse_str(&s)
                .map_err(|_| {
                    fields.insert(
                        "station_id".into(),
                        FieldError::new("error.station_unknown"),
                    )
                })
                .ok()
        });
        let paging = self.paging.checked();
        if !fields.is_empty() {
            return Err(AppError::validation(fields));
        }
        Ok((
            Filter {
                child_id: None,
                station_id,
                status,
            },
            paging?,
        ))
    }
}

/// `GET /api/v1/children/{id}/wishes`: the child's wishes, open ones first.
pub async fn list(
    State(db): State<PgPool>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let child = store::child(&db, &user.scope, parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let (mut filter, paging) = query.checked()?;
    filter.child_id = Some(child.id);
    let (items, total) =
        store::list(&db, &user.scope, &filter, paging.limit(), paging.offset()).await?;
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
    let wish = super::service::create(&db, &user, parse_id(&id)?, &input, ip).await?;
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
    super::service::claim(&db, &user, parse_id(&id)?, &input, ip)
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
    super::service::fulfil(&db, &user, parse_id(&id)?, &input, ip)
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
    super::service::cancel(&db, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}
