//! Logging a staff check-in from the pairing's page.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use tower_sessions::Session;
use uuid::Uuid;

use super::explain;
use super::record::{CheckInForm, CloseForm, detail_page};
use crate::auth::{ClientIp, CurrentUser};
use crate::pairings::check_in;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{Errors, PageContext, flash, parse_id, render};

/// `POST /pairings/{id}/check-ins`: back to the pairing; a refused one comes back on its page
/// with what was typed.
pub async fn log_check_in(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<CheckInForm>,
) -> Result<Response, AppError> {
    let id: Uuid = parse_id(&id)?;
    match check_in::create(&state.db, &user, id, &form.input(), ip).await {
        Ok(_) => {
            flash(&session, "flash.check_in_logged").await;
            Ok(Redirect::to(&format!("/pairings/{id}#check-ins")).into_response())
        }
        Err(e @ (AppError::Unprocessable { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let (fields, message) = explain(&ctx, &e);
            // The check-in form's fields are named apart from the closing form's.
            let errors: Errors = fields
                .into_iter()
                .map(|(k, v)| (format!("check_in.{k}"), v))
                .collect();
            let mut page = detail_page(
                &state,
                ctx,
                &user,
                id,
                (CloseForm::default(), errors, Some(message)),
            )
            .await?;
            page.check_in = form;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}
