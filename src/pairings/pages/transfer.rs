//! Transferring a child or a volunteer from her record page: the small form there posts here.
//! A transfer that succeeds returns to her record with a message; one that is refused shows the
//! form again on a page of its own, with what was typed and why.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Choice, explain};
use crate::auth::{ClientIp, CurrentUser};
use crate::pairings::model::TransferInput;
use crate::pairings::service::transfer;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{Errors, PageContext, flash, parse_id, render};

/// The transfer form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TransferForm {
    station_id: String,
    region_code: String,
    version: Option<i32>,
}

impl TransferForm {
    fn input(&self) -> TransferInput {
        TransferInput {
            station_id: Some(self.station_id.clone()),
            region_code: Some(self.region_code.clone()),
            version: self.version,
        }
    }
}

/// The form again, after a refusal.
#[derive(Template)]
#[template(path = "pairings/transfer.html")]
struct TransferPage {
    ctx: PageContext,
    /// `/children/{id}` or `/volunteers/{id}`.
    record: String,
    name: String,
    stations: Vec<Choice>,
    form: TransferForm,
    errors: Errors,
    message: String,
}

impl TransferPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    fn station_chosen(&self, id: &Uuid) -> bool {
        self.form.station_id == id.to_string()
    }
}

/// Who is transferred.
enum Who {
    Child,
    Volunteer,
}

/// `POST /children/{id}/transfer`.
pub async fn transfer_child(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<TransferForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let done = transfer::child(&state.db, &state.cipher, &user, id, &form.input(), ip)
        .await
        .map(|_| ());
    answer(&state, ctx, &session, &user, (Who::Child, id), form, done).await
}

/// `POST /volunteers/{id}/transfer`.
pub async fn transfer_volunteer(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<TransferForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let done = transfer::volunteer(&state.db, &state.cipher, &user, id, &form.input(), ip)
        .await
        .map(|_| ());
    answer(
        &state,
        ctx,
        &session,
        &user,
        (Who::Volunteer, id),
        form,
        done,
    )
    .await
}

/// Back to her record, or the form again with the refusal.
async fn answer(
    state: &AppState,
    ctx: PageContext,
    session: &Session,
    user: &CurrentUser,
    (who, id): (Who, Uuid),
    mut form: TransferForm,
    done: Result<(), AppError>,
) -> Result<Response, AppError> {
    let record = match who {
        Who::Child => format!("/children/{id}"),
        Who::Volunteer => format!("/volunteers/{id}"),
    };
    let e = match done {
        Ok(()) => {
            flash(session, "flash.transferred").await;
            return Ok(Redirect::to(&record).into_response());
        }
        Err(
            e @ (AppError::Unprocessable { .. }
            | AppError::Conflict { .. }
            | AppError::Stale { .. }),
        ) => e,
        Err(e) => return Err(e),
    };
    let status = e.status();
    let (errors, message) = explain(&ctx, &e);
    // Her record as it is now: its name, and the version to send again after a stale copy.
    let (name, version) = match who {
        Who::Child => {
            let d = crate::children::service::detail(&state.db, &state.cipher, user, id).await?;
            (d.child.name, d.child.version)
        }
        Who::Volunteer => {
            let v = crate::volunteers::service::detail(&state.db, &state.cipher, user, id).await?;
            (v.name, v.version)
        }
    };
    if matches!(e, AppError::Stale { .. }) {
        form.version = Some(version);
    }
    let stations = crate::stations::service::choices(&state.db, &user.scope).await?;
    let page = TransferPage {
        ctx,
        record,
        name,
        stations,
        form,
        errors,
        message,
    };
    Ok((status, render(&page)).into_response())
}
