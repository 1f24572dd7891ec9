//! `/api/v1/stations/{id}/activities` and `/api/v1/activities/{id}`.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgPool;

use super::model::{Activity, ActivityInput, Filter, Kind};
use super::service;
use crate::auth::{ClientIp, CurrentUser};
use crate::web::error::AppError;
use crate::web::paging::{Filters, PageRequest, Paging};
use crate::web::{Prefs, export, json::ApiJson, parse_id};

/// Query of an activity list.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// At this station (the page's filter; the API takes it from the path).
    pub station_id: Option<String>,
    /// Of this kind.
    pub kind: Option<String>,
    /// On or after this day.
    pub from: Option<String>,
    /// On or before this day.
    pub to: Option<String>,
    /// Part of the title.
    pub q: Option<String>,
    /// `xlsx` for a spreadsheet of the whole list.
    pub format: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

impl ListQuery {
    /// Checks filters and paging.
    pub fn checked(&self) -> Result<(Filter, PageRequest), AppError> {
        let mut check = Filters::default();
        let filter = Filter {
            station_id: check.id("station_id", &self.station_id, "error.station_unknown"),
            kind: check.choice("kind", &self.kind, Kind::parse),
            from: check.date("from", &self.from),
            to: check.date("to", &self.to),
            q: Filters::text(&self.q),
        };
        check.finish(filter, &self.paging)
    }
}

/// `GET /api/v1/stations/{id}/activities`: the station's sessions, newest first (counts, not
/// names: volunteers read their station's schedule here too). `format=xlsx`: the whole list
/// as a spreadsheet, audited.
pub async fn list(
    State(db): State<PgPool>,
    user: CurrentUser,
    exporting: export::Export,
    prefs: Prefs,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let station = crate::stations::service::find(&db, &user.scope, parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let (mut filter, paging) = query.checked()?;
    filter.station_id = Some(station.id);
    if exporting.wanted(query.format.as_deref())? {
        let _running = exporting.start()?;
        let items = service::list(&db, &user, &filter, (exporting.fetch_limit(), 0))
            .await?
            .items;
        exporting.check(&items)?;
        let t = |k: &str| prefs.lang.t(k);
        let headers = [
            t("activity.held_on"),
            t("activities.starts_at"),
            t("activities.ends_at"),
            t("activities.kind"),
            t("activities.topic"),
            t("activity.title"),
            t("activity.children"),
            t("activity.volunteers"),
            t("activity.guardians"),
            t("activity.others"),
            t("activity.person_visits"),
        ];
        let rows = items
            .into_iter()
            .map(|a| {
                vec![
                    a.held_on.to_string(),
                    a.starts_at.unwrap_or_default(),
                    a.ends_at.unwrap_or_default(),
                    t(a.kind.label_key()).to_owned(),
                    a.topic
                        .map(|x| t(x.label_key()).to_owned())
                        .unwrap_or_default(),
                    a.title,
                    a.child_count.to_string(),
                    a.volunteer_count.to_string(),
                    a.guardian_count.to_string(),
                    a.other_count.to_string(),
                    a.person_visits.to_string(),
                ]
            })
            .collect();
        let sheet = (t("activities.title"), &headers[..], rows);
        let filters = export::filters(&[
            ("station_id", Some(&station.id.to_string())),
            ("kind", query.kind.as_deref()),
            ("from", query.from.as_deref()),
            ("to", query.to.as_deref()),
            ("q", query.q.as_deref()),
        ]);
        return export::audited(&db, &user, ip, "activities", sheet, (false, filters)).await;
    }
    let page = service::list(&db, &user, &filter, (paging.limit(), paging.offset())).await?;
    Ok(Json(paging.page(page.items, page.total)).into_response())
}

/// `POST /api/v1/stations/{id}/activities`: 201 with the activity as a GET returns it.
pub async fn create(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<Response, AppError> {
    let activity = service::create(&db, &user, parse_id(&id)?, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(activity)).into_response())
}

/// `GET /api/v1/activities/{id}`: the activity with who came and its person-visits.
pub async fn get(
    State(db): State<PgPool>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Activity>, AppError> {
    service::find(&db, &user, parse_id(&id)?).await.map(Json)
}

/// `PATCH /api/v1/activities/{id}`: the fields to correct and `version`.
pub async fn update(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<Json<Activity>, AppError> {
    service::update(&db, &user, parse_id(&id)?, input, ip)
        .await
        .map(Json)
}
