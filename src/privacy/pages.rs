//! The privacy pages: the requests list, a new request, one request and its answer, the
//! printable access copy, the retention page, the privacy notice, and a consent's withdrawal
//! from the child's page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::api::ListQuery;
use super::model::{
    Channel, CompleteInput, DataRequest, RefuseInput, RequestInput, RequestKind, RequestStatus,
    RequesterRelation,
};
use super::read::Section;
use super::service::{self, retention};
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::web::error::AppError;
use crate::web::paging::{ListView, PageRequest};
use crate::web::{AppState, Errors, PageContext, Query, flash, localise, parse_id, render};

#[derive(Template)]
#[template(path = "privacy/list.html")]
struct ListPage {
    ctx: PageContext,
    requests: Vec<DataRequest>,
    total: i64,
    paging: PageRequest,
    query: ListQuery,
    is_volunteer: bool,
}

impl ListPage {
    fn statuses(&self) -> &'static [RequestStatus] {
        RequestStatus::ALL
    }
    fn kinds(&self) -> &'static [RequestKind] {
        RequestKind::ALL
    }
}

impl ListView for ListPage {
    const PATH: &'static str = "/requests";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("status", self.value(&self.query.status)),
            ("kind", self.value(&self.query.kind)),
            ("overdue", self.value(&self.query.overdue)),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.total)
    }
}

/// `GET /requests`: open ones first, by due day.
pub async fn list(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    let (requests, total) =
        service::list(&state.db, &user, &filter, (paging.limit(), paging.offset())).await?;
    Ok(render(&ListPage {
        ctx,
        requests,
        total,
        paging,
        query,
        is_volunteer: user.role == Role::Volunteer,
    }))
}

#[derive(Template)]
#[template(path = "privacy/new.html")]
struct NewPage {
    ctx: PageContext,
    form: RequestForm,
    /// Whom it is about: the child's or volunteer's name.
    subject_name: String,
    errors: Errors,
}

impl NewPage {
    fn kinds(&self) -> &'static [RequestKind] {
        RequestKind::ALL
    }
    fn relations(&self) -> &'static [RequesterRelation] {
        RequesterRelation::ALL
    }
    fn channels(&self) -> &'static [Channel] {
        Channel::ALL
    }
}

/// The new-request form, as typed (kept when it is refused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    kind: String,
    child_id: String,
    volunteer_id: String,
    requester_name: String,
    requester_relation: String,
    channel: String,
    received_on: String,
    identity_check: String,
    note: String,
}

impl RequestForm {
    fn input(&self) -> RequestInput {
        let some = |s: &str| Some(s.to_owned());
        RequestInput {
            kind: some(&self.kind),
            child_id: some(&self.child_id),
            volunteer_id: some(&self.volunteer_id),
            requester_name: some(&self.requester_name),
            requester_relation: some(&self.requester_relation),
            channel: some(&self.channel),
            received_on: some(&self.received_on),
            identity_check: some(&self.identity_check),
            note: some(&self.note),
        }
    }
}

/// The name of the child or volunteer a request will be about (404 beyond the user's scope).
async fn subject_name(
    state: &AppState,
    user: &CurrentUser,
    form: &RequestForm,
) -> Result<String, AppError> {
    if let Ok(child) = form.child_id.trim().parse::<Uuid>() {
        let detail =
            crate::children::service::detail(&state.db, &state.cipher, user, child).await?;
        return Ok(detail.child.name);
    }
    if user.role == Role::Volunteer {
        // Her own request, about herself.
        return Ok(user.display_name.clone());
    }
    if let Ok(volunteer) = form.volunteer_id.trim().parse::<Uuid>() {
        let row = crate::volunteers::service::find(&state.db, &user.scope, volunteer)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(row.name().to_owned());
    }
    Err(AppError::NotFound)
}

/// `GET /requests/new?child_id=…` (or `volunteer_id`): the form, for the child's or the
/// volunteer's record, with what a phone call needs filled in.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(mut form): Query<RequestForm>,
) -> Result<Response, AppError> {
    let subject_name = subject_name(&state, &user, &form).await?;
    if form.channel.is_empty() {
        form.channel = Channel::Phone.as_str().to_owned();
    }
    if form.received_on.is_empty() {
        form.received_on = crate::domain::today().to_string();
    }
    Ok(render(&NewPage {
        ctx,
        form,
        subject_name,
        errors: Errors::new(),
    }))
}

/// `POST /requests`: staff record a request; a volunteer asks to see what is held about her.
pub async fn create(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<RequestForm>,
) -> Result<Response, AppError> {
    let due = state.config.request_due_days;
    match service::create(&state.db, &state.cipher, &user, &form.input(), due, ip).await {
        Ok(r) => {
            flash(&session, "flash.request_recorded").await;
            Ok(Redirect::to(&format!("/requests/{}", r.id)).into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) => {
            let subject_name = subject_name(&state, &user, &form).await?;
            let errors = localise(&ctx, &fields);
            let page = NewPage {
                ctx,
                form,
                subject_name,
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "privacy/detail.html")]
struct DetailPage {
    ctx: PageContext,
    r: DataRequest,
    is_volunteer: bool,
    errors: Errors,
}

impl DetailPage {
    /// What carrying out the request does, for its button's hint.
    fn complete_hint(&self) -> &'static str {
        match self.r.kind {
            RequestKind::Access => "requests.complete_access_hint",
            RequestKind::Correction => "requests.complete_correction_hint",
            RequestKind::Deletion => "requests.complete_deletion_hint",
            RequestKind::Withdrawal => "requests.complete_withdrawal_hint",
        }
    }

    fn complete_label(&self) -> &'static str {
        match self.r.kind {
            RequestKind::Deletion => "requests.delete_now",
            _ => "requests.mark_done",
        }
    }
}

async fn detail_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    id: Uuid,
    errors: Errors,
) -> Result<DetailPage, AppError> {
    let r = service::find(&state.db, user, id).await?;
    Ok(DetailPage {
        ctx,
        r,
        is_volunteer: user.role == Role::Volunteer,
        errors,
    })
}

/// `GET /requests/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let page = detail_page(&state, ctx, &user, parse_id(&id)?, Errors::new()).await?;
    Ok(render(&page))
}

/// The answer forms: the version, a refusal's reason.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    version: Option<i32>,
    reason: String,
}

/// `POST /requests/{id}/complete`.
pub async fn complete(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let input = CompleteInput {
        version: form.version,
    };
    answered(&state, ctx, &session, &user, id, async {
        service::complete(&state.db, &user, id, &input, ip).await
    })
    .await
}

/// `POST /requests/{id}/refuse`.
pub async fn refuse(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let input = RefuseInput {
        version: form.version,
        reason: Some(form.reason),
    };
    answered(&state, ctx, &session, &user, id, async {
        service::refuse(&state.db, &user, id, &input, ip).await
    })
    .await
}

/// Back to the request after an answer; a refusal of the input shows beside the form.
async fn answered(
    state: &AppState,
    ctx: PageContext,
    session: &Session,
    user: &CurrentUser,
    id: Uuid,
    answer: impl Future<Output = Result<DataRequest, AppError>>,
) -> Result<Response, AppError> {
    match answer.await {
        Ok(_) => {
            flash(session, "flash.request_answered").await;
            Ok(Redirect::to(&format!("/requests/{id}")).into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) => {
            let errors = localise(&ctx, &fields);
            let page = detail_page(state, ctx, user, id, errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "privacy/copy.html")]
struct CopyPage {
    ctx: PageContext,
    r: DataRequest,
    sections: Vec<Section>,
    sensitive: bool,
}

/// Whether to include the descriptions of abuse and safety concerns.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CopyQuery {
    include_sensitive: Option<String>,
}

/// `GET /requests/{id}/copy`: the access copy as a page to print, audited.
pub async fn copy(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Query(q): Query<CopyQuery>,
) -> Result<Response, AppError> {
    let sensitive = matches!(q.include_sensitive.as_deref(), Some("true" | "1"));
    let how = (ctx.lang, sensitive, "page");
    let (r, sections) =
        service::access_copy(&state.db, &state.cipher, &user, parse_id(&id)?, how, ip).await?;
    Ok(render(&CopyPage {
        ctx,
        r,
        sections,
        sensitive,
    }))
}

#[derive(Template)]
#[template(path = "privacy/retention.html")]
struct RetentionPage {
    ctx: PageContext,
    months: u16,
    due: retention::Due,
    runs: Vec<super::store::Run>,
}

impl RetentionPage {
    fn started_by(&self, run: &super::store::Run) -> &'static str {
        if run.started_by == "schedule" {
            "retention.by_schedule"
        } else {
            "retention.by_command"
        }
    }
}

/// `GET /admin/retention`: what the next run will anonymise in the admin's region, and what
/// the past runs did.
pub async fn retention_page(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let months = state.config.retention_months;
    let like = user.scope.region_like();
    let due = retention::due(&state.db, months, like.as_deref()).await?;
    let runs = retention::runs(&state.db).await?;
    Ok(render(&RetentionPage {
        ctx,
        months,
        due,
        runs,
    }))
}

#[derive(Template)]
#[template(path = "privacy/notice.html")]
struct NoticePage {
    ctx: PageContext,
    officer: Option<String>,
    months: u16,
    due_days: u16,
}

/// `GET /privacy`: what is held, why, who sees it, how long, and how to ask about it.
pub async fn notice(State(state): State<AppState>, ctx: PageContext) -> Response {
    render(&NoticePage {
        ctx,
        officer: state.config.privacy_officer.clone(),
        months: state.config.retention_months,
        due_days: state.config.request_due_days,
    })
}

/// The withdrawal form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WithdrawForm {
    withdrawn_on: String,
}

/// `POST /consents/{id}/withdraw`: back to the child's page, which shows the effects.
pub async fn withdraw(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Result<Response, AppError> {
    let consent = service::withdraw_consent(
        &state.db,
        &state.cipher,
        &user,
        parse_id(&id)?,
        Some(&form.withdrawn_on),
        state.config.request_due_days,
        ip,
    )
    .await?;
    flash(&session, "flash.consent_withdrawn").await;
    Ok(Redirect::to(&format!("/children/{}", consent.child_id)).into_response())
}
