//! `/api/v1/stations/{id}/activities` and `/api/v1/activities/{id}`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgPool;

use super::model::{Activity, ActivityInput, Kind};
use super::store::{self, Filter};
use crate::auth::{ClientIp, CurrentUser};
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::paging::{PageRequest, Paging};
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
        let mut fields = FieldErrors::new();
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
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
        let kind = nonempty(&self.kind).and_then(|k| {
            Kind::parse(&k).or_else(|| {
                fields.insert("kind".into(), FieldError::new("error.choice"));
                None
            })
        });
        let mut date = |value: &Option<String>, name: &str| {
            nonempty(value).and_then(|d| {
                crate::domain::parse_date(&d)
                    .map_err(|e| fields.insert(name.to_owned(), e))
                    .ok()
            })
        };
        let from = date(&self.from, "from");
        let to = date(&self.to, "to");
        let paging = self.paging.checked();
        if !fields.is_empty() {
            return Err(AppError::validation(fields));
        }
        Ok((
            Filter {
                station_id,
                kind,
                from,
                to,
                q: nonempty(&self.q),
            },
            paging?,
        ))
    }
}

/// `GET /api/v1/stations/{id}/activities`: the station's sessions, newest first (counts, not
/// names: volunteers read their station's schedule here too). `format=xlsx`: the whole list
/// as a spreadsheet, audited.
pub async fn list(
    State(db): State<PgPool>,
    user: CurrentUser,
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
    if export::wanted(query.format.as_deref())? {
        let (items, _, _) = store::list(&db, &user.scope, &filter, export::MAX_ROWS, 0).await?;
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
        return export::audited(&db, &user, ip, "activities", sheet, false).await;
    }
    let (items, total, _) =
        store::list(&db, &user.scope, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `POST /api/v1/stations/{id}/activities`: 201 with the activity as a GET returns it.
pub async fn create(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<Response, AppError> {
    let activity = super::service::create(&db, &user, parse_id(&id)?, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(activity)).into_response())
}

/// `GET /api/v1/activities/{id}`: the activity with who came and its person-visits.
pub async fn get(
    State(db): State<PgPool>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Activity>, AppError> {
    store::find(&db, &user.scope, parse_id(&id)?)
        .await?
        .ok_or(AppError::NotFound)
        .map(Json)
}

/// `PATCH /api/v1/activities/{id}`: the fields to correct and `version`.
pub async fn update(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ActivityInput>,
) -> Result<Json<Activity>, AppError> {
    super::service::update(&db, &user, parse_id(&id)?, input, ip)
        .await
        .map(Json)
}
