//! Recording the guardian's relationship survey from the pairing's page.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use tower_sessions::Session;
use uuid::Uuid;

use super::explain;
use super::record::{CloseForm, detail_page};
use crate::auth::{ClientIp, CurrentUser};
use crate::pairings::survey::{self, SurveyForm};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{Errors, PageContext, flash, parse_id, render};

/// `POST /pairings/{id}/surveys`: back to the pairing's surveys; a refused one comes back on
/// its page with what was typed.
pub async fn record_survey(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<SurveyForm>,
) -> Result<Response, AppError> {
    let id: Uuid = parse_id(&id)?;
    match survey::create(&state.db, &user, id, &form.input(), ip).await {
        Ok(_) => {
            flash(&session, "flash.survey_saved").await;
            Ok(Redirect::to(&format!("/pairings/{id}#surveys")).into_response())
        }
        Err(e @ (AppError::Unprocessable { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let (fields, message) = explain(&ctx, &e);
            let errors: Errors = fields
                .into_iter()
                .map(|(k, v)| (SurveyForm::field(&k), v))
                .collect();
            let mut page = detail_page(
                &state,
                ctx,
                &user,
                id,
                (CloseForm::default(), errors, Some(message)),
            )
            .await?;
            page.survey = form;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}
