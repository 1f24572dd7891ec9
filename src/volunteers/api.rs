//! `/api/v1/volunteers`.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Filter, Volunteer, VolunteerInput, VolunteerOrder, VolunteerStatus};
use super::service::RevealField;
use crate::auth::{ClientIp, CurrentUser};
use crate::crypto::Cipher;
use crate::web::error::AppError;
use crate::web::export;
use crate::web::json::ApiJson;
use crate::web::paging::{Filters, PageRequest, Paging};
use crate::web::{Prefs, parse_id};

/// Query of the volunteer list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Part of the name, or a whole mobile number.
    pub q: Option<String>,
    /// At this station.
    pub station_id: Option<String>,
    /// In this status.
    pub status: Option<String>,
    /// Within this region.
    pub region_code: Option<String>,
    /// With this skill.
    pub skill: Option<String>,
    /// `name` (default), `newest` or `background_check_on` (oldest check first).
    pub sort: Option<String>,
    /// `xlsx` for a spreadsheet of the whole list.
    pub format: Option<String>,
    /// With `format=xlsx`, admins may ask for full ID and phone numbers (audited).
    pub full: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

impl ListQuery {
    /// Checks filters and paging.
    pub fn checked(&self) -> Result<(Filter, PageRequest), AppError> {
        let mut check = Filters::default();
        let filter = Filter {
            q: Filters::text(&self.q),
            station_id: check.id("station_id", &self.station_id, "error.station_unknown"),
            status: check.choice("status", &self.status, VolunteerStatus::parse),
            region_code: check.region(&self.region_code),
            skill: Filters::text(&self.skill),
            sort: check
                .choice("sort", &self.sort, VolunteerOrder::parse)
                .unwrap_or_default(),
        };
        check.finish(filter, &self.paging)
    }

    /// The filters asked for, as an export's audit event records them.
    pub fn filters(&self) -> serde_json::Value {
        export::filters(&[
            ("q", self.q.as_deref()),
            ("station_id", self.station_id.as_deref()),
            ("status", self.status.as_deref()),
            ("region_code", self.region_code.as_deref()),
            ("skill", self.skill.as_deref()),
        ])
    }
}

/// `GET /api/v1/volunteers` (`format=xlsx`: the whole list as a spreadsheet, phones masked,
/// audited).
pub async fn list(
    State(db): State<PgPool>,
    State(cipher): State<Cipher>,
    user: CurrentUser,
    exporting: export::Export,
    prefs: Prefs,
    ClientIp(ip): ClientIp,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = q.checked()?;
    if exporting.wanted(q.format.as_deref())? {
        let _running = exporting.start()?;
        let full = export::full_values(q.full.as_deref(), user.role)?;
        let (items, _) =
            super::service::list(&db, &user.scope, &filter, exporting.fetch_limit(), 0).await?;
        exporting.check(&items)?;
        let ids: Vec<Uuid> = items.iter().map(|v| v.id).collect();
        let mut full_values = if full {
            super::service::full_values(&db, &cipher, &ids).await?
        } else {
            Default::default()
        };
        let t = |k: &str| prefs.lang.t(k);
        let mut headers = vec![
            t("volunteers.name"),
            t("volunteers.phone"),
            t("volunteers.station"),
            t("volunteers.skills"),
            t("volunteers.status"),
            t("volunteers.paired"),
        ];
        if full {
            headers.push(t("volunteers.id_number"));
        }
        let mut rows = Vec::with_capacity(items.len());
        for v in items {
            let (phone, id_number) = match full_values.remove(&v.id) {
                Some((phone, id)) => (phone, Some(id)),
                None => (v.phone_masked, None),
            };
            let mut row = vec![
                v.name,
                phone,
                v.station_name.unwrap_or_default(),
                crate::domain::skill::list(prefs.lang, &v.skills),
                t(v.status.label_key()).to_owned(),
                format!("{} / {}", v.active_pairings, v.capacity),
            ];
            row.extend(id_number);
            rows.push(row);
        }
        return export::audited(
            &db,
            &user,
            ip,
            "volunteers",
            (t("volunteers.title"), &headers, rows),
            (full, q.filters()),
        )
        .await;
    }
    let (items, total) =
        super::service::list(&db, &user.scope, &filter, paging.limit(), paging.offset()).await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `POST /api/v1/volunteers`: 201 with the volunteer (ID and phone masked).
pub async fn create(
    State(db): State<PgPool>,
    State(cipher): State<Cipher>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<VolunteerInput>,
) -> Result<Response, AppError> {
    let v = super::service::create(&db, &cipher, &user, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `GET /api/v1/volunteers/{id}` (the view is audited).
pub async fn get(
    State(db): State<PgPool>,
    State(cipher): State<Cipher>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Json<Volunteer>, AppError> {
    let id = parse_id(&id)?;
    super::service::view(&db, &cipher, &user, id, ip)
        .await
        .map(Json)
}

/// `PATCH /api/v1/volunteers/{id}`: the fields to change, `version`; a status change brings
/// what the new status needs.
pub async fn update(
    State(db): State<PgPool>,
    State(cipher): State<Cipher>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<VolunteerInput>,
) -> Result<Json<Volunteer>, AppError> {
    let id = parse_id(&id)?;
    super::service::update(&db, &cipher, &user, id, input, ip)
        .await
        .map(Json)
}

/// Which value to reveal.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevealBody {
    field: String,
}

/// The revealed value.
#[derive(Debug, Serialize)]
pub struct Revealed {
    field: RevealField,
    value: Option<String>,
}

impl Serialize for RevealField {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            RevealField::IdNumber => "id_number",
            RevealField::Phone => "phone",
        })
    }
}

/// `POST /api/v1/volunteers/{id}/reveal` `{"field": "id_number" | "phone"}`: the full value,
/// audited.
pub async fn reveal(
    State(db): State<PgPool>,
    State(cipher): State<Cipher>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RevealBody>,
) -> Result<Json<Revealed>, AppError> {
    let id = parse_id(&id)?;
    let (field, value) = super::service::reveal(&db, &cipher, &user, id, &body.field, ip).await?;
    Ok(Json(Revealed { field, value }))
}

/// `POST /api/v1/volunteers/{id}/account`: 201 with the account and its one-time password.
pub async fn create_account(
    State(db): State<PgPool>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<crate::auth::accounts::Created>), AppError> {
    let id = parse_id(&id)?;
    let created = super::service::create_account(&db, &user, id, ip).await?;
    Ok((StatusCode::CREATED, Json(created)))
}
