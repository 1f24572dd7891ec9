//! Pairing pages: the list, children waiting, pairing a child (suggestions and the form), the
//! batch page after an ice-breaking event, the pairing record and closing it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::api::ListQuery;
use super::model::{CloseInput, ClosureReason, Health, Pairing, PairingInput, PairingStatus};
use super::service::{BatchInput, BatchPair, Suggestion};
use super::store::{self, WaitingChild};
use crate::auth::{ClientIp, CurrentUser};
use crate::children::model::ConsentScope;
use crate::children::service::ChildDetail;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::paging::{PageRequest, Paging};
use crate::web::{Errors, PageContext, flash, localise, parse_id, render};

type Choice = (Uuid, String);

#[derive(Template)]
#[template(path = "pairings/list.html")]
struct ListPage {
    ctx: PageContext,
    pairings: Vec<Pairing>,
    total: i64,
    paging: PageRequest,
    query: ListQuery,
    stations: Vec<Choice>,
}

impl ListPage {
    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }

    fn statuses(&self) -> &'static [PairingStatus] {
        PairingStatus::ALL
    }

    fn healths(&self) -> &'static [Health] {
        Health::ALL
    }

    fn page_link(&self, page: u32) -> String {
        let enc = crate::web::urlencode;
        format!(
            "/pairings?q={}&station_id={}&status={}&health={}&page={page}",
            enc(self.value(&self.query.q)),
            enc(self.value(&self.query.station_id)),
            enc(self.value(&self.query.status)),
            enc(self.value(&self.query.health)),
        )
    }

    fn export_link(&self) -> String {
        crate::web::export::link(&self.page_link(1), "/api/v1/pairings")
    }

    fn last_page(&self) -> u32 {
        self.paging.last_page(self.total)
    }
}

/// `GET /pairings`.
pub async fn list(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    let (pairings, total) = store::list(
        &state.db,
        &user.scope,
        &filter,
        (paging.limit(), paging.offset()),
        (crate::domain::today(), state.config.check_in_days),
    )
    .await?;
    let stations = crate::stations::service::choices(&state.db, &user.scope).await?;
    Ok(render(&ListPage {
        ctx,
        pairings,
        total,
        paging,
        query,
        stations,
    }))
}

#[derive(Template)]
#[template(path = "pairings/waiting.html")]
struct WaitingPage {
    ctx: PageContext,
    children: Vec<WaitingChild>,
    total: i64,
    paging: PageRequest,
    station_id: Option<Uuid>,
    stations: Vec<Choice>,
}

impl WaitingPage {
    fn page_link(&self, page: u32) -> String {
        match self.station_id {
            Some(s) => format!("/pairings/waiting?station_id={s}&page={page}"),
            None => format!("/pairings/waiting?page={page}"),
        }
    }

    fn last_page(&self) -> u32 {
        self.paging.last_page(self.total)
    }

    fn chosen(&self, id: &Uuid) -> bool {
        self.station_id == Some(*id)
    }
}

/// Query of the waiting list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WaitingQuery {
    station_id: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// `GET /pairings/waiting`: children waiting for a pairing, longest first.
pub async fn waiting(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<WaitingQuery>,
) -> Result<Response, AppError> {
    let mut check = crate::web::paging::Filters::default();
    let station_id = check.id("station_id", &query.station_id, "error.station_unknown");
    let (_, paging) = check.finish((), &query.paging)?;
    let (children, total) = store::waiting(
        &state.db,
        &user.scope,
        station_id,
        (paging.limit(), paging.offset()),
        crate::domain::today(),
    )
    .await?;
    let stations = crate::stations::service::choices(&state.db, &user.scope).await?;
    Ok(render(&WaitingPage {
        ctx,
        children,
        total,
        paging,
        station_id,
        stations,
    }))
}

/// The pairing form as posted (and as the new-pairing page reads its query).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct PairingForm {
    child_id: String,
    volunteer_id: String,
    started_on: String,
    agreement_signed_on: String,
    first_activity_id: String,
    /// A volunteer's name to look for (the search on the page).
    q: String,
}

impl PairingForm {
    fn input(&self) -> PairingInput {
        let some = |s: &str| Some(s.to_owned());
        PairingInput {
            child_id: some(&self.child_id),
            volunteer_id: some(&self.volunteer_id),
            started_on: some(&self.started_on),
            agreement_signed_on: some(&self.agreement_signed_on),
            first_activity_id: some(&self.first_activity_id),
        }
    }
}

#[derive(Template)]
#[template(path = "pairings/new.html")]
struct NewPage {
    ctx: PageContext,
    d: ChildDetail,
    active: Option<Pairing>,
    has_consent: bool,
    suggestions: Vec<Suggestion>,
    ice_breakers: Vec<(Uuid, String, time::Date)>,
    form: PairingForm,
    errors: Errors,
    message: Option<String>,
}

impl NewPage {
    fn need_list(&self) -> String {
        let t = |k| self.ctx.t(k);
        self.d
            .child
            .needs
            .iter()
            .map(|n| t(n.label_key()))
            .collect::<Vec<_>>()
            .join("、")
    }

    fn chosen(&self, id: &Uuid) -> bool {
        self.form.volunteer_id == id.to_string()
    }

    fn activity_chosen(&self, id: &Uuid) -> bool {
        self.form.first_activity_id == id.to_string()
    }

    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

async fn new_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    mut form: PairingForm,
    (errors, message): (Errors, Option<String>),
) -> Result<NewPage, AppError> {
    let child = parse_id(&form.child_id)?;
    let d = crate::children::service::detail(&state.db, &state.cipher, user, child).await?;
    let today = crate::domain::today();
    let active = store::of_child(&state.db, child, today, state.config.check_in_days)
        .await?
        .into_iter()
        .find(|p| p.status == PairingStatus::Active);
    let has_consent = d
        .consents
        .iter()
        .any(|c| c.scope == ConsentScope::Pairing && c.withdrawn_on.is_none());
    let q = form.q.trim().to_owned();
    let mut suggestions = super::service::suggestions(
        &state.db,
        user,
        &d.child,
        (!q.is_empty()).then_some(q.as_str()),
        ctx.lang,
    )
    .await?;
    suggestions.truncate(if q.is_empty() { 10 } else { 50 });
    let ice_breakers = store::ice_breakers(&state.db, d.child.station_id).await?;
    if form.started_on.is_empty() {
        form.started_on = today.to_string();
    }
    Ok(NewPage {
        ctx,
        d,
        active,
        has_consent,
        suggestions,
        ice_breakers,
        form,
        errors,
        message,
    })
}

/// `GET /pairings/new?child_id=…[&q=name]`: ranked volunteers for a child and the form.
pub async fn new_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(form): Query<PairingForm>,
) -> Result<Response, AppError> {
    let page = new_page(&state, ctx, &user, form, (Errors::new(), None)).await?;
    Ok(render(&page))
}

/// `POST /pairings`.
pub async fn create(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<PairingForm>,
) -> Result<Response, AppError> {
    match super::service::create(
        &state.db,
        &user,
        &form.input(),
        ip,
        state.config.check_in_days,
    )
    .await
    {
        Ok(p) => {
            flash(&session, "flash.pairing_created").await;
            Ok(Redirect::to(&format!("/pairings/{}", p.id)).into_response())
        }
        Err(e @ (AppError::Unprocessable { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let (errors, message) = explain(&ctx, &e);
            let page = new_page(&state, ctx, &user, form, (errors, Some(message))).await?;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// A refused write's field messages and its headline, in the page's language.
fn explain(ctx: &PageContext, e: &AppError) -> (Errors, String) {
    let fields = match e {
        AppError::Unprocessable { fields, .. } | AppError::Conflict { fields, .. } => {
            localise(ctx, fields)
        }
        _ => Errors::new(),
    };
    let headline = ctx.t(&format!("error.{}", e.code())).to_owned();
    (fields, headline)
}

#[derive(Template)]
#[template(path = "pairings/detail.html")]
struct DetailPage {
    ctx: PageContext,
    p: Pairing,
    contacts: Vec<crate::contacts::model::Contact>,
    check_in_days: u16,
    close: CloseForm,
    errors: Errors,
    message: Option<String>,
}

impl DetailPage {
    fn reasons(&self) -> &'static [ClosureReason] {
        ClosureReason::ALL
    }

    fn reason_chosen(&self, r: &ClosureReason) -> bool {
        self.close.closure_reason == r.as_str()
    }

    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn topic_list(&self, topics: &[crate::contacts::model::Topic]) -> String {
        topics
            .iter()
            .map(|t| self.ctx.t(t.label_key()))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The closing form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    ended_on: String,
    closure_reason: String,
    closure_note: String,
    version: Option<i32>,
    /// The box that confirms the closing.
    confirm: String,
}

async fn detail_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    id: Uuid,
    (close, errors, message): (CloseForm, Errors, Option<String>),
) -> Result<DetailPage, AppError> {
    let p = store::find(
        &state.db,
        &user.scope,
        id,
        crate::domain::today(),
        state.config.check_in_days,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let contacts = crate::contacts::service::of_pairing(&state.db, user, id).await?;
    let close = CloseForm {
        ended_on: if close.ended_on.is_empty() {
            crate::domain::today().to_string()
        } else {
            close.ended_on
        },
        ..close
    };
    Ok(DetailPage {
        ctx,
        p,
        contacts,
        check_in_days: state.config.check_in_days,
        close,
        errors,
        message,
    })
}

/// `GET /pairings/{id}`: the pairing record.
pub async fn detail(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let page = detail_page(
        &state,
        ctx,
        &user,
        parse_id(&id)?,
        (CloseForm::default(), Errors::new(), None),
    )
    .await?;
    Ok(render(&page))
}

/// `POST /pairings/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<CloseForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let result = if form.confirm.is_empty() {
        Err(AppError::validation(crate::web::error::FieldErrors::from(
            [(
                "confirm".to_owned(),
                crate::web::error::FieldError::new("error.confirm_close"),
            )],
        )))
    } else {
        let input = CloseInput {
            ended_on: Some(form.ended_on.clone()),
            closure_reason: Some(form.closure_reason.clone()),
            closure_note: Some(form.closure_note.clone()),
            version: form.version,
        };
        super::service::close(&state.db, &user, id, &input, ip, state.config.check_in_days)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) => {
            flash(&session, "flash.pairing_closed").await;
            Ok(Redirect::to(&format!("/pairings/{id}")).into_response())
        }
        Err(
            e @ (AppError::Unprocessable { .. }
            | AppError::Conflict { .. }
            | AppError::Stale { .. }),
        ) => {
            let status = e.status();
            let (errors, message) = explain(&ctx, &e);
            let page = detail_page(&state, ctx, &user, id, (form, errors, Some(message))).await?;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Query of the batch page.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct BatchQuery {
    station_id: String,
    activity_id: String,
}

/// The batch form as posted: one `child_id` and one `volunteer_id` per row, in order.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct BatchForm {
    station_id: String,
    activity_id: String,
    started_on: String,
    agreement_signed_on: String,
    child_id: Vec<String>,
    volunteer_id: Vec<String>,
}

/// A child row of the batch page.
struct BatchRow {
    child: WaitingChild,
    came: bool,
    chosen: String,
    error: Option<String>,
}

/// A volunteer the batch page offers.
struct BatchVolunteer {
    id: Uuid,
    name: String,
    places: i64,
    came: bool,
}

#[derive(Template)]
#[template(path = "pairings/batch.html")]
struct BatchPage {
    ctx: PageContext,
    stations: Vec<Choice>,
    station_id: Option<Uuid>,
    events: Vec<(Uuid, String, time::Date)>,
    activity_id: Option<Uuid>,
    rows: Vec<BatchRow>,
    volunteers: Vec<BatchVolunteer>,
    started_on: String,
    agreement_signed_on: String,
    errors: Errors,
    message: Option<String>,
}

impl BatchPage {
    fn station_chosen(&self, id: &Uuid) -> bool {
        self.station_id == Some(*id)
    }

    fn event_chosen(&self, id: &Uuid) -> bool {
        self.activity_id == Some(*id)
    }
}

/// Builds the batch page for a station (and event), with the rows' choices and refusals.
async fn batch_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    form: &BatchForm,
    (errors, message): (Errors, Option<String>),
) -> Result<BatchPage, AppError> {
    let stations = crate::stations::service::choices(&state.db, &user.scope).await?;
    let station_id = Uuid::parse_str(form.station_id.trim())
        .ok()
        .filter(|id| stations.iter().any(|(s, _)| s == id));
    let mut page = BatchPage {
        ctx,
        stations,
        station_id,
        events: Vec::new(),
        activity_id: None,
        rows: Vec::new(),
        volunteers: Vec::new(),
        started_on: if form.started_on.is_empty() {
            crate::domain::today().to_string()
        } else {
            form.started_on.clone()
        },
        agreement_signed_on: form.agreement_signed_on.clone(),
        errors,
        message,
    };
    let Some(station) = station_id else {
        return Ok(page);
    };
    page.events = store::ice_breakers(&state.db, station).await?;
    page.activity_id = Uuid::parse_str(form.activity_id.trim())
        .ok()
        .filter(|id| page.events.iter().any(|(e, ..)| e == id));
    let (came_children, came_volunteers) = match page.activity_id {
        Some(a) => store::attendees(&state.db, a).await?,
        None => Default::default(),
    };
    let (waiting, _) = store::waiting(
        &state.db,
        &user.scope,
        Some(station),
        (500, 0),
        crate::domain::today(),
    )
    .await?;
    let chosen: std::collections::HashMap<&str, &str> = form
        .child_id
        .iter()
        .map(String::as_str)
        .zip(form.volunteer_id.iter().map(String::as_str))
        .collect();
    let mut rows: Vec<BatchRow> = waiting
        .into_iter()
        .filter(|c| c.has_pairing_consent)
        .map(|child| {
            let id = child.id.to_string();
            let n = form.child_id.iter().position(|c| *c == id);
            BatchRow {
                came: came_children.contains(&child.id),
                chosen: chosen.get(id.as_str()).unwrap_or(&"").to_string(),
                error: n.and_then(|n| page.errors.get(&format!("pairs.{}", n + 1)).cloned()),
                child,
            }
        })
        .collect();
    rows.sort_by_key(|r| !r.came);
    page.rows = rows;
    let filter = crate::volunteers::service::Filter {
        station_id: Some(station),
        status: Some(crate::volunteers::model::VolunteerStatus::Active),
        ..Default::default()
    };
    let (volunteers, _) =
        crate::volunteers::service::list(&state.db, &user.scope, &filter, 500, 0).await?;
    let mut volunteers: Vec<BatchVolunteer> = volunteers
        .into_iter()
        .map(|v| BatchVolunteer {
            came: came_volunteers.contains(&v.id),
            places: (i64::from(v.capacity) - v.active_pairings).max(0),
            id: v.id,
            name: v.name,
        })
        .filter(|v| v.places > 0)
        .collect();
    volunteers.sort_by_key(|v| !v.came);
    page.volunteers = volunteers;
    Ok(page)
}

/// `GET /pairings/batch?station_id=…&activity_id=…`.
pub async fn batch_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<BatchQuery>,
) -> Result<Response, AppError> {
    let form = BatchForm {
        station_id: q.station_id,
        activity_id: q.activity_id,
        ..Default::default()
    };
    let page = batch_page(&state, ctx, &user, &form, (Errors::new(), None)).await?;
    Ok(render(&page))
}

/// `POST /pairings/batch`: all the chosen pairs, or none.
pub async fn batch(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<BatchForm>,
) -> Result<Response, AppError> {
    let input = BatchInput {
        station_id: Some(form.station_id.clone()),
        activity_id: Some(form.activity_id.clone()),
        started_on: Some(form.started_on.clone()),
        agreement_signed_on: Some(form.agreement_signed_on.clone()),
        pairs: form
            .child_id
            .iter()
            .zip(&form.volunteer_id)
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(c, v)| BatchPair {
                child_id: Some(c.clone()),
                volunteer_id: Some(v.clone()),
            })
            .collect(),
    };
    // Row numbers in refusals count the chosen pairs; map them back to the posted rows.
    let posted_rows: Vec<usize> = form
        .volunteer_id
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(i, _)| i)
        .collect();
    match super::service::batch(&state.db, &user, &input, ip).await {
        Ok(_) => {
            flash(&session, "flash.pairings_created").await;
            let target = format!(
                "/pairings?station_id={}&status=active",
                form.station_id.trim()
            );
            Ok(Redirect::to(&target).into_response())
        }
        Err(e @ (AppError::Unprocessable { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let (fields, message) = explain(&ctx, &e);
            let errors = fields
                .into_iter()
                .map(
                    |(k, v)| match k.strip_prefix("pairs.").map(str::parse::<usize>) {
                        Some(Ok(n)) => (
                            format!("pairs.{}", posted_rows.get(n - 1).map_or(n, |r| r + 1)),
                            v,
                        ),
                        _ => (k, v),
                    },
                )
                .collect();
            let page = batch_page(&state, ctx, &user, &form, (errors, Some(message))).await?;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}
