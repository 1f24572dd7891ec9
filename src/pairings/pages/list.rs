//! The pairing list and the children waiting for a pairing.

use crate::web::Query;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use super::Choice;
use crate::auth::CurrentUser;
use crate::pairings::model::{Health, ListQuery, Pairing, PairingStatus, WaitingChild};
use crate::pairings::service;
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::paging::{Exported, ListView, PageRequest, Paging};
use crate::web::{PageContext, render};

#[derive(Template)]
#[template(path = "pairings/list.html")]
struct ListPage {
    ctx: PageContext,
    pairings: Vec<Pairing>,
    total: i64,
    paging: PageRequest,
    query: ListQuery,
    stations: Vec<Choice>,
    /// Pairings just made (a batch), whose registration forms the page offers to print.
    new_forms: Option<(String, usize)>,
}

/// `forms=` on the list after a batch: the ids of the pairings it made.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct NewForms {
    forms: Option<String>,
}

impl NewForms {
    /// The ids as the forms' link takes them, and how many, when they are ids.
    fn checked(&self) -> Option<(String, usize)> {
        let text = self.forms.as_deref()?.trim();
        let ids: Vec<&str> = text.split(',').filter(|s| !s.is_empty()).collect();
        let valid =
            !ids.is_empty() && ids.len() <= 100 && ids.iter().all(|id| Uuid::parse_str(id).is_ok());
        valid.then(|| (ids.join(","), ids.len()))
    }
}

impl ListPage {
    fn statuses(&self) -> &'static [PairingStatus] {
        PairingStatus::ALL
    }

    fn healths(&self) -> &'static [Health] {
        Health::ALL
    }
}

impl Exported for ListPage {
    const API: &'static str = "/api/v1/pairings";
}

impl ListView for ListPage {
    const PATH: &'static str = "/pairings";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", self.value(&self.query.q)),
            ("station_id", self.value(&self.query.station_id)),
            ("status", self.value(&self.query.status)),
            ("health", self.value(&self.query.health)),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.total)
    }
}

/// `GET /pairings`.
pub async fn list(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
    Query(made): Query<NewForms>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    let (pairings, total) = service::list(
        &state.db,
        &user,
        &filter,
        (paging.limit(), paging.offset()),
        ctx.lang,
    )
    .await?;
    let stations = crate::stations::service::choices(&state.db, &user.scope).await?;
    Ok(render(&ListPage {
        ctx,
        pairings,
        total,
        paging,
        query,
        stations,
        new_forms: made.checked(),
    }))
}

#[derive(Template)]
#[template(path = "pairings/waiting.html")]
struct WaitingPage {
    ctx: PageContext,
    children: Vec<WaitingChild>,
    total: i64,
    paging: PageRequest,
    station_id: Option<Uuid>,
    stations: Vec<Choice>,
}

impl WaitingPage {
    fn page_link(&self, page: u32) -> String {
        match self.station_id {
            Some(s) => format!("/pairings/waiting?station_id={s}&page={page}"),
            None => format!("/pairings/waiting?page={page}"),
        }
    }

    fn last_page(&self) -> u32 {
        self.paging.last_page(self.total)
    }

    fn chosen(&self, id: &Uuid) -> bool {
        self.station_id == Some(*id)
    }
}

/// Query of the waiting list.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WaitingQuery {
    station_id: Option<String>,
    #[serde(flatten)]
    paging: Paging,
}

/// `GET /pairings/waiting`: children waiting for a pairing, longest first.
pub async fn waiting(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<WaitingQuery>,
) -> Result<Response, AppError> {
    let mut check = crate::web::paging::Filters::default();
    let station_id = check.id("station_id", &query.station_id, "error.station_unknown");
    let (_, paging) = check.finish((), &query.paging)?;
    let (children, total) = service::waiting(
        &state.db,
        &user,
        station_id,
        (paging.limit(), paging.offset()),
    )
    .await?;
    let stations = crate::stations::service::choices(&state.db, &user.scope).await?;
    Ok(render(&WaitingPage {
        ctx,
        children,
        total,
        paging,
        station_id,
        stations,
    }))
}
