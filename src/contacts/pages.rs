//! Staff pages of contacts: the open concerns, resolving one, marking a contact as read.

use crate::web::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::model::OpenConcern;
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::paging::{PageRequest, Paging};
use crate::web::{PageContext, flash, parse_id, render};

#[derive(Template)]
#[template(path = "contacts/concerns.html")]
struct ConcernsPage {
    ctx: PageContext,
    concerns: Vec<OpenConcern>,
    total: i64,
    paging: PageRequest,
    may_resolve: bool,
}

impl ConcernsPage {
    fn page_link(&self, page: u32) -> String {
        format!("/concerns?page={page}")
    }

    fn last_page(&self) -> u32 {
        self.paging.last_page(self.total)
    }
}

/// `GET /concerns`: the open concerns in scope, oldest first.
pub async fn concerns(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(paging): Query<Paging>,
) -> Result<Response, AppError> {
    let paging = paging.checked()?;
    let (concerns, total) =
        super::service::open_concerns(&state.db, &user.scope, (paging.limit(), paging.offset()))
            .await?;
    Ok(render(&ConcernsPage {
        ctx,
        concerns,
        total,
        paging,
        may_resolve: matches!(user.role, Role::Admin | Role::Staff),
    }))
}

/// The resolution form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResolveForm {
    resolution: String,
}

/// `POST /concerns/{id}/resolve`.
pub async fn resolve(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ResolveForm>,
) -> Result<Response, AppError> {
    super::service::resolve(&state.db, &user, parse_id(&id)?, Some(&form.resolution), ip).await?;
    flash(&session, "flash.concern_resolved").await;
    Ok(Redirect::to("/concerns").into_response())
}

/// `POST /contacts/{id}/seen`: back to the pairing's record.
pub async fn mark_seen(
    State(state): State<AppState>,
    session: Session,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let contact = super::service::mark_seen(&state.db, &user, parse_id(&id)?).await?;
    flash(&session, "flash.contact_seen").await;
    Ok(Redirect::to(&format!("/pairings/{}", contact.pairing_id)).into_response())
}
