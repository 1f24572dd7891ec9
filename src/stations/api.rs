//! `/api/v1/stations`.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::model::{BuildMode, Filter, Station, StationInput, StationOrder, StationStatus};
use super::service;
use crate::auth::{ClientIp, CurrentUser};
use crate::web::Prefs;
use crate::web::error::AppError;
use crate::web::export;
use crate::web::json::ApiJson;
use crate::web::paging::{Filters, Paging};

/// Query of the station list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Within this region.
    pub region_code: Option<String>,
    /// `standalone`, `joint`, `embedded`.
    pub build_mode: Option<String>,
    /// `active`, `paused`, `closed`.
    pub status: Option<String>,
    /// Part of the name.
    pub q: Option<String>,
    /// `region` (default), `name` or `opened_on` (newest first).
    pub sort: Option<String>,
    /// `xlsx` for a spreadsheet of the whole list.
    pub format: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

impl ListQuery {
    /// Checks the filters and paging.
    pub fn checked(&self) -> Result<(Filter, crate::web::paging::PageRequest), AppError> {
        let mut check = Filters::default();
        let filter = Filter {
            region_code: check.region(&self.region_code),
            build_mode: check.choice("build_mode", &self.build_mode, BuildMode::parse),
            status: check.choice("status", &self.status, StationStatus::parse),
            q: Filters::text(&self.q),
            sort: check
                .choice("sort", &self.sort, StationOrder::parse)
                .unwrap_or_default(),
        };
        check.finish(filter, &self.paging)
    }

    /// The filters asked for, as an export's audit event records them.
    pub fn filters(&self) -> serde_json::Value {
        export::filters(&[
            ("region_code", self.region_code.as_deref()),
            ("build_mode", self.build_mode.as_deref()),
            ("status", self.status.as_deref()),
            ("q", self.q.as_deref()),
        ])
    }
}

/// `GET /api/v1/stations` (`format=xlsx`: the whole list as a spreadsheet, audited).
pub async fn list(
    State(db): State<PgPool>,
    user: CurrentUser,
    exporting: export::Export,
    prefs: Prefs,
    ClientIp(ip): ClientIp,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    if exporting.wanted(query.format.as_deref())? {
        let _running = exporting.start()?;
        let (items, _) = service::list(&db, &user, &filter, (exporting.fetch_limit(), 0)).await?;
        exporting.check(&items)?;
        let t = |k: &str| prefs.lang.t(k);
        let headers = [
            t("stations.name"),
            t("stations.region"),
            t("stations.build_mode"),
            t("stations.open_days"),
            t("stations.volunteers"),
            t("stations.children"),
            t("stations.status"),
        ];
        let rows = items
            .into_iter()
            .map(|s| {
                vec![
                    s.name,
                    s.region_name,
                    t(s.build_mode.label_key()).to_owned(),
                    s.open_days_per_week.to_string(),
                    s.volunteers.to_string(),
                    s.children.to_string(),
                    t(s.status.label_key()).to_owned(),
                ]
            })
            .collect();
        return export::audited(
            &db,
            &user,
            ip,
            "stations",
            (t("stations.title"), &headers, rows),
            (false, query.filters()),
        )
        .await;
    }
    let (items, total) =
        service::list(&db, &user, &filter, (paging.limit(), paging.offset())).await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `POST /api/v1/stations`: 201 with the station.
pub async fn create(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<StationInput>,
) -> Result<Response, AppError> {
    let station = service::create(&db, &user, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(station)).into_response())
}

/// `GET /api/v1/stations/{id}`.
pub async fn get(
    State(db): State<PgPool>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Station>, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    service::get(&db, &user, id).await.map(Json)
}

/// `PATCH /api/v1/stations/{id}`: the fields to change and `version`.
pub async fn update(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<StationInput>,
) -> Result<Json<Station>, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    service::update(&db, &user, id, input, ip).await.map(Json)
}
