//! `/api/v1/children`, guardians, consent.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{
    Category, ChildInput, ChildOrder, ChildStatus, Consent, ConsentInput, Filter, Guardian,
    GuardianInput, GuardianPatch,
};
use super::service::ChildDetail;
use crate::auth::{ClientIp, CurrentUser};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::export;
use crate::web::json::ApiJson;
use crate::web::paging::{Filters, PageRequest, Paging};
use crate::web::{Prefs, parse_id};

/// Query of the child list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Part of the name.
    pub q: Option<String>,
    /// At this station.
    pub station_id: Option<String>,
    /// In this status.
    pub status: Option<String>,
    /// In this category.
    pub category: Option<String>,
    /// Within this region.
    pub region_code: Option<String>,
    /// `name` (default), `newest` or `birth_date` (oldest first).
    pub sort: Option<String>,
    /// `xlsx` for a spreadsheet of the whole list.
    pub format: Option<String>,
    /// With `format=xlsx`, admins may ask for full ID numbers (audited).
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
            status: check.choice("status", &self.status, ChildStatus::parse),
            category: check.choice("category", &self.category, Category::parse),
            region_code: check.region(&self.region_code),
            sort: check
                .choice("sort", &self.sort, ChildOrder::parse)
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
            ("category", self.category.as_deref()),
            ("region_code", self.region_code.as_deref()),
        ])
    }
}

/// `GET /api/v1/children` (`format=xlsx`: the whole list as a spreadsheet, audited).
pub async fn list(
    State(state): State<AppState>,
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
            super::service::list(&state.db, &user.scope, &filter, exporting.fetch_limit(), 0)
                .await?;
        exporting.check(&items)?;
        let ids: Vec<Uuid> = items.iter().map(|c| c.id).collect();
        let mut id_numbers = if full {
            super::service::full_id_numbers(&state.db, &state.cipher, &ids).await?
        } else {
            Default::default()
        };
        let t = |k: &str| prefs.lang.t(k);
        let mut headers = vec![
            t("children.name"),
            t("volunteers.gender"),
            t("children.birth_date"),
            t("children.category"),
            t("children.station"),
            t("children.status"),
        ];
        if full {
            headers.push(t("volunteers.id_number"));
        }
        let mut rows = Vec::with_capacity(items.len());
        for c in items {
            let gender = if c.gender == crate::domain::Gender::Female {
                "gender.female"
            } else {
                "gender.male"
            };
            let id_number = id_numbers.remove(&c.id).unwrap_or_default();
            let mut row = vec![
                c.name,
                t(gender).to_owned(),
                c.birth_date.to_string(),
                t(c.category.label_key()).to_owned(),
                c.station_name,
                t(c.status.label_key()).to_owned(),
            ];
            if full {
                row.push(id_number);
            }
            rows.push(row);
        }
        return export::audited(
            &state.db,
            &user,
            ip,
            "children",
            (t("children.title"), &headers, rows),
            (full, q.filters()),
        )
        .await;
    }
    let (items, total) = super::service::list(
        &state.db,
        &user.scope,
        &filter,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `POST /api/v1/children`: 201 with the child, guardians and consents.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<ChildInput>,
) -> Result<Response, AppError> {
    let child = super::service::create(&state.db, &state.cipher, &user, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(child)).into_response())
}

/// `GET /api/v1/children/{id}` (the view is audited).
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Json<ChildDetail>, AppError> {
    super::service::view(&state.db, &state.cipher, &user, parse_id(&id)?, ip)
        .await
        .map(Json)
}

/// `PATCH /api/v1/children/{id}`.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ChildInput>,
) -> Result<Json<ChildDetail>, AppError> {
    super::service::update(&state.db, &state.cipher, &user, parse_id(&id)?, input, ip)
        .await
        .map(Json)
}

/// `POST /api/v1/children/{id}/guardians`: 201 with the guardian.
pub async fn add_guardian(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<GuardianInput>,
) -> Result<(StatusCode, Json<Guardian>), AppError> {
    let g =
        super::service::add_guardian(&state.db, &state.cipher, &user, parse_id(&id)?, &input, ip)
            .await?;
    Ok((StatusCode::CREATED, Json(g)))
}

/// `POST /api/v1/children/{id}/consents`: 201 with the consent.
pub async fn add_consent(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ConsentInput>,
) -> Result<(StatusCode, Json<Consent>), AppError> {
    let c =
        super::service::add_consent(&state.db, &state.cipher, &user, parse_id(&id)?, &input, ip)
            .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// `PATCH /api/v1/guardians/{id}`: the guardian as edited (a field left out stays).
pub async fn update_guardian(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<GuardianPatch>,
) -> Result<Json<Guardian>, AppError> {
    let id = parse_id(&id)?;
    super::service::update_guardian(&state.db, &state.cipher, &user, id, &patch, ip)
        .await
        .map(Json)
}

/// `DELETE /api/v1/guardians/{id}`: 204; she is removed from the child's record, her
/// consents stay.
pub async fn remove_guardian(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = parse_id(&id)?;
    super::service::remove_guardian(&state.db, &state.cipher, &user, id, ip).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of a reveal.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevealBody {
    field: String,
    guardian_id: Option<String>,
}

/// The revealed value.
#[derive(Debug, Serialize)]
pub struct Revealed {
    field: String,
    value: Option<String>,
}

/// `POST /api/v1/children/{id}/reveal` `{"field": "id_number"}` or
/// `{"field": "guardian_phone", "guardian_id": …}`: the full value, audited.
pub async fn reveal(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RevealBody>,
) -> Result<Json<Revealed>, AppError> {
    let value = super::service::reveal(
        &state.db,
        &state.cipher,
        &user,
        parse_id(&id)?,
        &body.field,
        body.guardian_id.as_deref(),
        ip,
    )
    .await?;
    Ok(Json(Revealed {
        field: body.field,
        value,
    }))
}
