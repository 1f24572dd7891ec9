//! The batch page: after an ice-breaking event, a station's pairs confirmed together, all or
//! none, each refused pair explained on its row.

use std::collections::HashMap;

use crate::web::Query;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::{Choice, explain};
use crate::auth::{ClientIp, CurrentUser};
use crate::pairings::model::{BatchInput, BatchPair, WaitingChild};
use crate::pairings::service::{self, BatchVolunteer};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{Errors, PageContext, flash, render};

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
    let choices =
        service::batch_choices(&state.db, user, &form.station_id, &form.activity_id).await?;
    let chosen: HashMap<&str, &str> = form
        .child_id
        .iter()
        .map(String::as_str)
        .zip(form.volunteer_id.iter().map(String::as_str))
        .collect();
    let rows = choices
        .children
        .into_iter()
        .map(|(child, came)| {
            let id = child.id.to_string();
            let n = form.child_id.iter().position(|c| *c == id);
            BatchRow {
                came,
                chosen: chosen.get(id.as_str()).unwrap_or(&"").to_string(),
                error: n.and_then(|n| errors.get(&format!("pairs.{}", n + 1)).cloned()),
                child,
            }
        })
        .collect();
    Ok(BatchPage {
        ctx,
        stations: choices.stations,
        station_id: choices.station_id,
        events: choices.events,
        activity_id: choices.activity_id,
        rows,
        volunteers: choices.volunteers,
        started_on: if form.started_on.is_empty() {
            crate::domain::today().to_string()
        } else {
            form.started_on.clone()
        },
        agreement_signed_on: form.agreement_signed_on.clone(),
        errors,
        message,
    })
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
    match service::batch(&state.db, &user, &input, ip).await {
        Ok(created) => {
            flash(&session, "flash.pairings_created").await;
            // The list offers the new pairings' registration forms to print.
            let ids: Vec<String> = created.iter().map(Uuid::to_string).collect();
            let target = format!(
                "/pairings?station_id={}&status=active&forms={}",
                form.station_id.trim(),
                ids.join(",")
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
