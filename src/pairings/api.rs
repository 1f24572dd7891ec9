//! `/api/v1/pairings` and `/api/v1/children/{id}/match-suggestions`.

use crate::web::Query;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::check_in::{CheckIn, CheckInInput};
use super::follow_up::{
    self,
    model::{DoneInput, FollowUp, FollowUpInput},
};
use super::model::{
    BatchInput, CloseInput, ListQuery, Pairing, PairingInput, PairingView, TransferInput,
};
use super::service::{self, Suggestion};
use super::standard::{RegionStandard, StandardInput};
use super::survey::{Survey, SurveyInput, Surveys};
use crate::auth::{ClientIp, CurrentUser};
use crate::children::service::ChildDetail;
use crate::volunteers::model::Volunteer;
use crate::web::AppState;
use crate::web::Prefs;
use crate::web::error::AppError;
use crate::web::export;
use crate::web::json::ApiJson;
use crate::web::paging::{Filters, Paging};
use crate::web::parse_id;

/// `GET /api/v1/pairings` (`format=xlsx`: the whole list as a spreadsheet, audited; not for a
/// volunteer, who reads her active pairings as her portal shows them).
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    exporting: export::Export,
    prefs: Prefs,
    ClientIp(ip): ClientIp,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = q.checked()?;
    let lang = prefs.lang;
    if exporting.wanted(q.format.as_deref())? {
        let _running = exporting.start()?;
        let items =
            service::export(&state.db, &user, &filter, exporting.fetch_limit(), lang).await?;
        exporting.check(&items)?;
        let t = |k: &str| prefs.lang.t(k);
        let headers = [
            t("pairing.child"),
            t("pairing.volunteer"),
            t("pairing.station"),
            t("pairing.started_on"),
            t("pairing.status_label"),
            t("pairing.health_label"),
            t("pairing.health_reasons"),
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
                    lang.list(&p.health_reasons),
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
            (false, q.filters()),
        )
        .await;
    }
    let (items, total) = service::view_list(
        &state.db,
        &user,
        &filter,
        (paging.limit(), paging.offset()),
        lang,
    )
    .await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `POST /api/v1/pairings`: 201 with the pairing.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    prefs: Prefs,
    ApiJson(input): ApiJson<PairingInput>,
) -> Result<(StatusCode, Json<Pairing>), AppError> {
    let pairing = service::create(&state.db, &user, &input, ip, prefs.lang).await?;
    Ok((StatusCode::CREATED, Json(pairing)))
}

/// `POST /api/v1/pairings/batch`: every pair or none; 201 with the pairings made.
pub async fn batch(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    prefs: Prefs,
    ApiJson(input): ApiJson<BatchInput>,
) -> Result<Response, AppError> {
    let ids = service::batch(&state.db, &user, &input, ip).await?;
    let items = service::find_all(&state.db, &user, &ids, prefs.lang).await?;
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
    prefs: Prefs,
    Path(id): Path<String>,
) -> Result<Json<PairingView>, AppError> {
    service::view(&state.db, &user, parse_id(&id)?, prefs.lang)
        .await
        .map(Json)
}

/// `POST /api/v1/pairings/{id}/close`: 200 with the closed pairing.
pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    prefs: Prefs,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CloseInput>,
) -> Result<Json<Pairing>, AppError> {
    service::close(&state.db, &user, parse_id(&id)?, &input, ip, prefs.lang)
        .await
        .map(Json)
}

/// `POST /api/v1/pairings/{id}/close/confirm`: a second person confirms a safeguarding
/// closure; 200 with the closed pairing.
pub async fn confirm_close(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    prefs: Prefs,
    Path(id): Path<String>,
) -> Result<Json<Pairing>, AppError> {
    let what = service::Suspension::Confirm;
    service::settle_suspension(&state.db, &user, parse_id(&id)?, what, ip, prefs.lang)
        .await
        .map(Json)
}

/// `POST /api/v1/pairings/{id}/close/cancel`: the suspended pairing runs again; 200 with it.
pub async fn cancel_close(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    prefs: Prefs,
    Path(id): Path<String>,
) -> Result<Json<Pairing>, AppError> {
    let what = service::Suspension::Cancel;
    service::settle_suspension(&state.db, &user, parse_id(&id)?, what, ip, prefs.lang)
        .await
        .map(Json)
}

/// `POST /api/v1/children/{id}/transfer`: 200 with the child, now at the new station; her
/// active pairing is closed as `transferred`.
pub async fn transfer_child(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TransferInput>,
) -> Result<Json<ChildDetail>, AppError> {
    service::transfer::child(&state.db, &state.cipher, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}

/// `POST /api/v1/volunteers/{id}/transfer`: 200 with the volunteer, now at the new station;
/// her active pairings are closed as `transferred`.
pub async fn transfer_volunteer(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TransferInput>,
) -> Result<Json<Volunteer>, AppError> {
    service::transfer::volunteer(&state.db, &state.cipher, &user, parse_id(&id)?, &input, ip)
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
    let child = parse_id(&id)?;
    let q = Filters::text(&query.q);
    let all: Vec<Suggestion> = service::suggestions(
        &state.db,
        &state.cipher,
        &user,
        child,
        q.as_deref(),
        prefs.lang,
    )
    .await?;
    let total = all.len() as i64;
    let items: Vec<Suggestion> = all
        .into_iter()
        .skip(paging.offset() as usize)
        .take(paging.limit() as usize)
        .collect();
    let mut page = serde_json::to_value(paging.page(items, total)).unwrap_or_default();
    page["child_id"] = serde_json::json!(child);
    Ok(Json(page).into_response())
}

/// `GET /api/v1/regions/{code}/contact-standard`: the standard the region's pairings are held
/// to, and where it comes from (`own`, `inherited` with `set_in`, or `default`).
pub async fn standard(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(code): Path<String>,
) -> Result<Json<RegionStandard>, AppError> {
    super::standard::read(&state.db, &user, &code, state.config.check_in_days)
        .await
        .map(Json)
}

/// `PUT /api/v1/regions/{code}/contact-standard`: sets a province's, city's or county's own
/// standard (`version` of the one it replaces; none for the first).
pub async fn set_standard(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<StandardInput>,
) -> Result<Json<RegionStandard>, AppError> {
    super::standard::set(
        &state.db,
        &user,
        &code,
        &input,
        (state.config.check_in_days, ip),
    )
    .await
    .map(Json)
}

/// `GET /api/v1/pairings/{id}/check-ins`: staff's check-ins on the pairing, the latest first.
pub async fn check_ins(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let items = super::check_in::of_pairing(&state.db, &user, parse_id(&id)?).await?;
    Ok(Json(serde_json::json!({ "items": items })))
}

/// `POST /api/v1/pairings/{id}/check-ins`: 201 with the check-in.
pub async fn log_check_in(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CheckInInput>,
) -> Result<(StatusCode, Json<CheckIn>), AppError> {
    let created = super::check_in::create(&state.db, &user, parse_id(&id)?, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/check-ins/due`: the pairings in scope whose staff check-in is overdue or due
/// within the week (`station_id` to narrow), the longest overdue first.
pub async fn check_ins_due(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<super::pages::DueQuery>,
) -> Result<Response, AppError> {
    let (station, paging) = query.checked()?;
    let (items, total) =
        super::check_in::due(&state.db, &user, station, (paging.limit(), paging.offset())).await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `GET /api/v1/pairings/{id}/surveys`: the pairing's relationship surveys, the latest first,
/// with `due` (the volunteer's next survey), `drop` (the latest is a sharp drop) and `score`
/// (the latest score). A volunteer reads her own answers only.
pub async fn surveys(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Surveys>, AppError> {
    super::survey::of_pairing(&state.db, &user, parse_id(&id)?)
        .await
        .map(Json)
}

/// `POST /api/v1/pairings/{id}/surveys`: 201 with the survey.
pub async fn answer_survey(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SurveyInput>,
) -> Result<(StatusCode, Json<Survey>), AppError> {
    let created = super::survey::create(&state.db, &user, parse_id(&id)?, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/follow-ups`: the follow-ups the caller reaches (`status=open|overdue|done`,
/// `assignee=me`, `pairing_id`), the open first by due day, then the done, the latest first.
pub async fn follow_ups(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<follow_up::model::ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = q.checked()?;
    let (items, total) =
        follow_up::list(&state.db, &user, &filter, (paging.limit(), paging.offset())).await?;
    Ok(Json(paging.page(items, total)).into_response())
}

/// `GET /api/v1/follow-ups/{id}`.
pub async fn follow_up(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<FollowUp>, AppError> {
    follow_up::find(&state.db, &user, parse_id(&id)?)
        .await
        .map(Json)
}

/// `POST /api/v1/follow-ups`: 201 with the follow-up.
pub async fn flag_follow_up(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<FollowUpInput>,
) -> Result<(StatusCode, Json<FollowUp>), AppError> {
    let created = follow_up::create(&state.db, &user, None, &input, ip).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `POST /api/v1/follow-ups/{id}/done`: 200 with the follow-up, done.
pub async fn follow_up_done(
    State(state): State<AppState>,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DoneInput>,
) -> Result<Json<FollowUp>, AppError> {
    follow_up::done(&state.db, &user, parse_id(&id)?, &input, ip)
        .await
        .map(Json)
}
