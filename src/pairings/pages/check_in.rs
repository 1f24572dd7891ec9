//! Logging a staff check-in from the pairing's page, and the queue of check-ins due.

use askama::Template;
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
use crate::web::Query;
use crate::web::error::AppError;
use crate::web::paging::{PageRequest, Paging};
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

#[derive(Template)]
#[template(path = "pairings/check_ins_due.html")]
struct DuePage {
    ctx: PageContext,
    items: Vec<check_in::DueCheckIn>,
    total: i64,
    paging: PageRequest,
    station_id: Option<Uuid>,
    stations: Vec<super::Choice>,
}

impl DuePage {
    fn page_link(&self, page: u32) -> String {
        match self.station_id {
            Some(s) => format!("/check-ins/due?station_id={s}&page={page}"),
            None => format!("/check-ins/due?page={page}"),
        }
    }

    fn last_page(&self) -> u32 {
        self.paging.last_page(self.total)
    }

    fn chosen(&self, id: &Uuid) -> bool {
        self.station_id == Some(*id)
    }
}

/// Query of the check-ins due.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DueQuery {
    station_id: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

impl DueQuery {
    /// The station asked for and the page.
    pub fn checked(&self) -> Result<(Option<Uuid>, PageRequest), AppError> {
        let mut check = crate::web::paging::Filters::default();
        let station_id = check.id("station_id", &self.station_id, "error.station_unknown");
        check.finish(station_id, &self.paging)
    }
}

/// `GET /check-ins/due`: the pairings in the reader's scope whose staff check-in is overdue or
/// due within the week, by the standard, the longest overdue first.
pub async fn due(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<DueQuery>,
) -> Result<Response, AppError> {
    let (station_id, paging) = query.checked()?;
    let (items, total) = check_in::due(
        &state.db,
        &user,
        station_id,
        (paging.limit(), paging.offset()),
    )
    .await?;
    let stations = crate::stations::service::choices(&state.db, &user.scope).await?;
    Ok(render(&DuePage {
        ctx,
        items,
        total,
        paging,
        station_id,
        stations,
    }))
}
