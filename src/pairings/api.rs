//! `/api/v1/pairings` and `/api/v1/children/{id}/match-suggestions`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::model::{CloseInput, Health, Pairing, PairingInput, PairingStatus};
use super::service::{BatchInput, Suggestion};
use super::store::{self, Filter};
use crate::auth::{ClientIp, CurrentUser};
use crate::web::AppState;
use crate::web::Prefs;
use crate::web::error::AppError;
use crate::web::export;
use crate::web::json::ApiJson;
use crate::web::paging::{Filters, PageRequest, Paging};
use crate::web::parse_id;

/// Query of the pairing list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Part of the child's or the volunteer's name.
    pub q: Option<String>,
    /// At this station.
    pub station_id: Option<String>,
    /// Of this child.
    pub child_id: Option<String>,
    /// Of this volunteer.
    pub volunteer_id: Option<String>,
    /// `active` or `closed`.
    pub status: Option<String>,
    /// `new`, `on_track` or `needs_check_in`.
    pub health: Option<String>,
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
            q: Filters::text(&self.q),
            station_id: check.id("station_id", &self.station_id, "error.station_unknown"),
            child_id: check.id("child_id", &self.child_id, "error.child_unknown"),
            volunteer_id: check.id(
                "volunteer_id",
                &self.volunteer_id,
                "error.volunteer_unknown",
            ),
            status: check.choice("status", &self.status, PairingStatus::parse),
            health: check.choice("health", &self.health, Health::parse),
        };
        check.finish(filter, &self.paging)
    }
}

/// `GET /api/v1/pairings` (`format=xlsx`: the whole list as a spreadsheet, audited).
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    prefs: Prefs,
    ClientIp(ip): ClientIp,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = q.checked()?;
    let today = crate::domain::today();
    let days = state.config.check_in_days;
    if export::wanted(q.format.as_deref())? {
        let (items, _) = store::list(
            &state.db,
            &user.scope,
            &filter,
            (export::MAX_ROWS, 0),
            (today, days),
        )
        .await?;
        let t = |k: &str| prefs.lang.t(k);
        let headers = [
            t("pairing.child"),
            t("pairing.volunteer"),
            t("pairing.station"),
            t("pairing.started_on"),
            t("pairing.status_label"),
            t("pairing.health_label"),
            t("pairing.contacts"),
            t("pairing.last_contact_on"),
            t("pairing.ended_on"),
            t("pairing.closure_reason"),
        ];
        let rows = items
            .into_iter()
            .map(|p| {
                vec![
                    p.child_name,
                    p.volunteer_name,
                    p.station_name,
                    p.started_on.to_string(),
                    t(p.status.label_key()).to_owned(),
                    p.health.map(|h| t(h.label_key())).unwrap_or("").to_owned(),
                    p.contact_count.to_string(),
                    p.last_contact_on.map(|d| d.to_string()).unwrap_or_default(),
                    p.ended_on.map(|d| d.to_string()).unwrap_or_default(),
                    p.closure_reason
                        .map(|r| t(r.label_key()))
                        .unwrap_or("")
                        .to_owned(),
                ]
            })
            .collect();
        return export::audited(
            &state.db,
            &user,
            ip,
            "pairings",
            (t("pairings.title"), &headers, rows),
            false,
        )
        .await;
    }
    let (items, total) = store::list(
        &state.db,
        &user.scope,
        &filter,
        (paging.limit(), paging.offset()),
        (today, days),
    )
    .await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `POST /api/v1/pairings`: 201 with the pairing.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<PairingInput>,
) -> Result<(StatusCode, Json<Pairing>), AppError> {
    let pairing =
        super::service::create(&state.db, &user, &input, ip, state.config.check_in_days).await?;
    Ok((StatusCode::CREATED, Json(pairing)))
}

/// `POST /api/v1/pairings/batch`: every pair or none; 201 with the pairings made.
pub async fn batch(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<BatchInput>,
) -> Result<Response, AppError> {
    let ids = super::service::batch(&state.db, &user, &input, ip).await?;
    let today = crate::domain::today();
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = store::find(
            &state.db,
            &user.scope,
            id,
            today,
            state.config.check_in_days,
        )
        .await?
        {
            items.push(p);
        }
    }
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "items": items })),
    )
        .into_response())
}

/// `GET /api/v1/pairings/{id}`.
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Pairing>, AppError> {
    store::find(
        &state.db,
        &user.scope,
        parse_id(&id)?,
        crate::domain::today(),
        state.config.check_in_days,
    )
    .await?
    .map(Json)
    .ok_or(AppError::NotFound)
}

/// `POST /api/v1/pairings/{id}/close`: 200 with the closed pairing.
pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CloseInput>,
) -> Result<Json<Pairing>, AppError> {
    super::service::close(
        &state.db,
        &user,
        parse_id(&id)?,
        &input,
        ip,
        state.config.check_in_days,
    )
    .await
    .map(Json)
}

/// Query of the suggestions.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SuggestionQuery {
    /// A volunteer's name (or part of it): show her even when she cannot be paired, and why.
    pub q: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// `GET /api/v1/children/{id}/match-suggestions`: ranked volunteers, each with her reasons.
pub async fn suggestions(
    State(state): State<AppState>,
    user: CurrentUser,
    prefs: Prefs,
    Path(id): Path<String>,
    Query(query): Query<SuggestionQuery>,
) -> Result<Response, AppError> {
    let paging = query.paging.checked()?;
    let detail =
        crate::children::service::detail(&state.db, &state.cipher, &user, parse_id(&id)?).await?;
    let q = Filters::text(&query.q);
    let all: Vec<Suggestion> =
        super::service::suggestions(&state.db, &user, &detail.child, q.as_deref(), prefs.lang)
            .await?;
    let total = all.len() as i64;
    let items: Vec<Suggestion> = all
        .into_iter()
        .skip(paging.offset() as usize)
        .take(paging.limit() as usize)
        .collect();
    let mut page = serde_json::to_value(paging.page(items, total)).unwrap_or_default();
    page["child_id"] = serde_json::json!(detail.child.id);
    Ok(Json(page).into_response())
}
