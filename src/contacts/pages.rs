//! Staff pages of contacts: the concerns (open and resolved), resolving one, marking a contact
//! as read.

use crate::web::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::model::{ConcernStatus, ConcernsQuery, OpenConcern};
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::paging::{PageRequest, Paging};
use crate::web::{PageContext, flash, parse_id, render};

#[derive(Template)]
#[template(path = "contacts/concerns.html")]
struct ConcernsPage {
    ctx: PageContext,
    status: ConcernStatus,
    concerns: Vec<OpenConcern>,
    total: i64,
    paging: PageRequest,
    may_resolve: bool,
    /// A refused resolution: the concern, what was typed and why.
    refused: Option<(Uuid, String, String)>,
}

impl ConcernsPage {
    fn page_link(&self, page: u32) -> String {
        match self.status {
            ConcernStatus::Open => format!("/concerns?page={page}"),
            ConcernStatus::Resolved => format!("/concerns?status=resolved&page={page}"),
        }
    }

    fn last_page(&self) -> u32 {
        self.paging.last_page(self.total)
    }

    fn resolved(&self) -> bool {
        self.status == ConcernStatus::Resolved
    }

    /// What was typed into a concern's refused resolution, and why it was refused.
    fn refused_for(&self, id: &Uuid) -> Option<(&str, &str)> {
        self.refused
            .as_ref()
            .filter(|(c, _, _)| c == id)
            .map(|(_, typed, why)| (typed.as_str(), why.as_str()))
    }
}

async fn concerns_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    (status, paging): (ConcernStatus, PageRequest),
    refused: Option<(Uuid, String, String)>,
) -> Result<ConcernsPage, AppError> {
    let (concerns, total) = super::service::concerns(
        &state.db,
        &user.scope,
        status,
        (paging.limit(), paging.offset()),
    )
    .await?;
    Ok(ConcernsPage {
        ctx,
        status,
        concerns,
        total,
        paging,
        may_resolve: matches!(user.role, Role::Admin | Role::Staff),
        refused,
    })
}

/// `GET /concerns`: the open concerns in scope, the gravest first; `?status=resolved`: the
/// resolved ones with who resolved them and how.
pub async fn concerns(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<ConcernsQuery>,
) -> Result<Response, AppError> {
    let paging = q.paging.checked()?;
    let status = ConcernStatus::parse(q.status.as_deref())?;
    let page = concerns_page(&state, ctx, &user, (status, paging), None).await?;
    Ok(render(&page))
}

/// The resolution form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResolveForm {
    resolution: String,
    /// The page of the list the form was on, to show again if the note is refused.
    page: Option<String>,
}

/// `POST /concerns/{id}/resolve`: back to the open concerns; a refused note (blank, too long)
/// shows the list again with the message beside that concern's form and the text kept.
pub async fn resolve(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<ResolveForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    match super::service::resolve(&state.db, &user, id, Some(&form.resolution), ip).await {
        Ok(_) => {
            flash(&session, "flash.concern_resolved").await;
            Ok(Redirect::to("/concerns").into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) if fields.contains_key("resolution") => {
            let why = fields["resolution"].message(ctx.lang);
            let paging = Paging::at(form.page.as_deref()).checked()?;
            let refused = Some((id, form.resolution, why));
            let page =
                concerns_page(&state, ctx, &user, (ConcernStatus::Open, paging), refused).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
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
