//! Adding, editing and removing a guardian on the child's page, and adding a consent (its
//! withdrawal, which has effects beyond the child's record, is the privacy area's).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;

use super::child::detail_page;
use crate::auth::{ClientIp, CurrentUser};
use crate::children::model::{ConsentInput, GuardianInput, GuardianPatch};
use crate::children::service;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{PageContext, flash, parse_id, render};

/// The add-guardian form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GuardianForm {
    name: String,
    relation: String,
    phone: String,
    share: Option<String>,
}

/// `POST /children/{id}/guardians`.
pub async fn add_guardian(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<GuardianForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let input = GuardianInput {
        name: Some(form.name),
        relation: Some(form.relation),
        phone: Some(form.phone),
        share_contact_with_volunteer: form.share.is_some(),
    };
    match service::add_guardian(&state.db, &state.cipher, &user, id, &input, ip).await {
        Ok(_) => {
            flash(&session, "flash.guardian_added").await;
            Ok(Redirect::to(&format!("/children/{id}")).into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) => {
            let errors = fields
                .iter()
                .map(|(k, e)| (format!("guardian.{k}"), e.message(ctx.lang)))
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&detail_page(&state, ctx, (&user, ip), id, errors).await?),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// The add-consent form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConsentForm {
    guardian_id: String,
    scope: String,
    given_on: String,
    method: String,
}

/// `POST /children/{id}/consents`.
pub async fn add_consent(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<ConsentForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let input = ConsentInput {
        guardian_id: Some(form.guardian_id),
        scope: Some(form.scope),
        given_on: Some(form.given_on),
        method: Some(form.method),
    };
    match service::add_consent(&state.db, &state.cipher, &user, id, &input, ip).await {
        Ok(_) => {
            flash(&session, "flash.consent_recorded").await;
            Ok(Redirect::to(&format!("/children/{id}")).into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) => {
            let errors = fields
                .iter()
                .map(|(k, e)| (format!("consent.{k}"), e.message(ctx.lang)))
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&detail_page(&state, ctx, (&user, ip), id, errors).await?),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// The edit form of a guardian on the child's page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GuardianEditForm {
    name: String,
    relation: String,
    /// A new number; empty keeps the one on record.
    phone: String,
    remove_phone: Option<String>,
    share: Option<String>,
    version: Option<i32>,
}

/// `POST /guardians/{id}/edit`.
pub async fn update_guardian(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<GuardianEditForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let patch = GuardianPatch {
        name: Some(form.name),
        relation: Some(form.relation),
        phone: match (form.remove_phone.is_some(), form.phone.trim().is_empty()) {
            (true, _) => Some(String::new()),
            (false, true) => None,
            (false, false) => Some(form.phone),
        },
        share_contact_with_volunteer: Some(form.share.is_some()),
        version: form.version,
    };
    match service::update_guardian(&state.db, &state.cipher, &user, id, &patch, ip).await {
        Ok(g) => {
            flash(&session, "flash.guardian_saved").await;
            Ok(Redirect::to(&format!("/children/{}", g.child_id)).into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) => {
            let child = service::guardian_child(&state.db, id).await?;
            let errors = fields
                .iter()
                .map(|(k, e)| (format!("guardian.{k}"), e.message(ctx.lang)))
                .collect();
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                render(&detail_page(&state, ctx, (&user, ip), child, errors).await?),
            )
                .into_response())
        }
        Err(e) => Err(e),
    }
}

/// `POST /guardians/{id}/remove`.
pub async fn remove_guardian(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let child =
        service::remove_guardian(&state.db, &state.cipher, &user, parse_id(&id)?, ip).await?;
    flash(&session, "flash.guardian_removed").await;
    Ok(Redirect::to(&format!("/children/{child}")).into_response())
}
