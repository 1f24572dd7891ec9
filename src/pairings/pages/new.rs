//! Pairing one child: the volunteers suggested for her, the form, and its refusals.

use crate::web::Query;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::explain;
use crate::auth::{ClientIp, CurrentUser};
use crate::children::service::ChildDetail;
use crate::pairings::model::{Pairing, PairingInput};
use crate::pairings::service::{self, Suggestion};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{Errors, PageContext, flash, parse_id, render};

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
        self.ctx.labels(&self.d.child.needs)
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
    let q = form.q.trim().to_owned();
    let to_pair = service::child_to_pair(
        &state.db,
        &state.cipher,
        user,
        child,
        (!q.is_empty()).then_some(q.as_str()),
        ctx.lang,
    )
    .await?;
    let mut suggestions = to_pair.suggestions;
    suggestions.truncate(if q.is_empty() { 10 } else { 50 });
    if form.started_on.is_empty() {
        form.started_on = crate::domain::today().to_string();
    }
    Ok(NewPage {
        ctx,
        d: to_pair.detail,
        active: to_pair.active,
        has_consent: to_pair.has_consent,
        suggestions,
        ice_breakers: to_pair.ice_breakers,
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
    match service::create(&state.db, &user, &form.input(), ip, ctx.lang).await {
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
