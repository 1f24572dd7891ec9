//! Follow-ups on the pages: flagging a contact or a check-in from the pairing's page, the list
//! (`/follow-ups`: the reader's own to-dos first, or all she reaches) and marking one done.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

use super::explain;
use super::record::{CloseForm, FlagForm, detail_page};
use crate::auth::{ClientIp, CurrentUser};
use crate::pairings::follow_up::{
    self,
    model::{DoneInput, FollowUp, ListQuery, StatusFilter},
};
use crate::web::error::AppError;
use crate::web::paging::{ListView, PageRequest};
use crate::web::{AppState, Errors, PageContext, Query, flash, parse_id, render};

/// Where a follow-up's entry stands on the pairing's page.
fn anchor(f: &FollowUp) -> String {
    match (f.contact_id, f.check_in_id) {
        (Some(c), _) => format!("contact-{c}"),
        (_, Some(c)) => format!("check-in-{c}"),
        _ => String::new(),
    }
}

/// `POST /pairings/{id}/follow-ups`: back to the entry on the pairing's page; a refused one
/// comes back there, open, with what was typed.
pub async fn flag_follow_up(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<FlagForm>,
) -> Result<Response, AppError> {
    let id: Uuid = parse_id(&id)?;
    match follow_up::create(&state.db, &user, Some(id), &form.input(), ip).await {
        Ok(f) => {
            flash(&session, "flash.follow_up_flagged").await;
            let to = format!("/pairings/{}#{}", f.pairing_id, anchor(&f));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e @ (AppError::Unprocessable { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let (fields, message) = explain(&ctx, &e);
            // The flag form's fields are named apart from the closing form's.
            let errors: Errors = fields
                .into_iter()
                .map(|(k, v)| (format!("follow_up.{k}"), v))
                .collect();
            let mut page = detail_page(
                &state,
                ctx,
                &user,
                id,
                (CloseForm::default(), errors, Some(message)),
            )
            .await?;
            page.follow_up = form;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "pairings/follow_ups.html")]
struct ListPage {
    ctx: PageContext,
    items: Vec<FollowUp>,
    total: i64,
    paging: PageRequest,
    query: ListQuery,
    /// The reader's own (the default), or all she reaches.
    mine: bool,
    /// A refused "done": the follow-up, what was typed and why.
    refused: Option<(Uuid, String, String)>,
}

impl ListPage {
    fn statuses(&self) -> &'static [StatusFilter] {
        StatusFilter::ALL
    }

    /// What was typed into a follow-up's refused "done", and why it was refused.
    fn refused_for(&self, id: &Uuid) -> Option<(&str, &str)> {
        self.refused
            .as_ref()
            .filter(|(f, _, _)| f == id)
            .map(|(_, typed, why)| (typed.as_str(), why.as_str()))
    }
}

impl ListView for ListPage {
    const PATH: &'static str = "/follow-ups";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("assignee", if self.mine { "me" } else { "all" }),
            ("status", self.value(&self.query.status)),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.total)
    }
}

async fn list_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    mut query: ListQuery,
    refused: Option<(Uuid, String, String)>,
) -> Result<ListPage, AppError> {
    // The page opens on the reader's own to-dos; `assignee=all` shows all she reaches.
    let mine = query.assignee.as_deref().map(str::trim) != Some("all");
    query.assignee = Some(if mine { "me" } else { "all" }.to_owned());
    let (filter, paging) = query.checked()?;
    let (items, total) =
        follow_up::list(&state.db, user, &filter, (paging.limit(), paging.offset())).await?;
    Ok(ListPage {
        ctx,
        items,
        total,
        paging,
        query,
        mine,
        refused,
    })
}

/// `GET /follow-ups`: "my to-dos" — the open first, the overdue marked, by due day.
pub async fn follow_ups(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let page = list_page(&state, ctx, &user, query, None).await?;
    Ok(render(&page))
}

/// The "done" form, with the list it was on.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneForm {
    note: String,
    version: Option<i32>,
    assignee: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

/// `POST /follow-ups/{id}/done`: back to the list; a refused one (no note, a stale copy,
/// already done) shows the list again with the reason beside it and the note kept.
pub async fn follow_up_done(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<DoneForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let input = DoneInput {
        note: Some(form.note.clone()),
        version: form.version,
    };
    let query = ListQuery {
        status: form.status.clone(),
        assignee: form.assignee.clone(),
        pairing_id: None,
        paging: crate::web::paging::Paging::at(form.page.as_deref()),
    };
    match follow_up::done(&state.db, &user, id, &input, ip).await {
        Ok(_) => {
            flash(&session, "flash.follow_up_done").await;
            let mine = form.assignee.as_deref() != Some("all");
            let to = if mine {
                "/follow-ups"
            } else {
                "/follow-ups?assignee=all"
            };
            Ok(Redirect::to(to).into_response())
        }
        Err(
            e @ (AppError::Unprocessable { .. }
            | AppError::Conflict { .. }
            | AppError::Stale { .. }),
        ) => {
            let status = e.status();
            let (fields, headline) = explain(&ctx, &e);
            let why = fields.get("note").cloned().unwrap_or(headline);
            let refused = Some((id, form.note, why));
            let page = list_page(&state, ctx, &user, query, refused).await?;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}
