//! Activity pages: the list (a volunteer's view of her station's schedule) and the session's
//! page; the quick log form a manager fills on a phone, and corrections, are in `form`.

mod form;

pub use form::{create, edit_form, new_form, update};

use crate::web::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use sqlx::PgPool;
use uuid::Uuid;

use super::api::ListQuery;
use super::model::{Activity, Kind, ListedActivity};
use crate::auth::{CurrentUser, Role};
use crate::web::error::AppError;
use crate::web::paging::ListView;
use crate::web::paging::PageRequest;
use crate::web::{PageContext, parse_id, render};

#[derive(Template)]
#[template(path = "activities/list.html")]
struct ListPage {
    ctx: PageContext,
    activities: Vec<ListedActivity>,
    total: i64,
    visits: i64,
    paging: PageRequest,
    query: ListQuery,
    stations: Vec<(Uuid, String)>,
    can_log: bool,
}

impl ListPage {
    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }

    fn new_link(&self) -> String {
        match self.query.station_id.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => format!("/activities/new?station_id={}", crate::web::urlencode(s)),
            None => "/activities/new".to_owned(),
        }
    }
}

impl ListView for ListPage {
    const PATH: &'static str = "/activities";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("station_id", self.value(&self.query.station_id)),
            ("kind", self.value(&self.query.kind)),
            ("from", self.value(&self.query.from)),
            ("to", self.value(&self.query.to)),
            ("q", self.value(&self.query.q)),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.total)
    }
}

/// `GET /activities`: the sessions in scope, newest first.
pub async fn list(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    let page = super::service::list(&db, &user, &filter, (paging.limit(), paging.offset())).await?;
    let stations = crate::stations::service::choices(&db, &user.scope).await?;
    let can_log = user.role != Role::Volunteer;
    Ok(render(&ListPage {
        ctx,
        activities: page.items,
        total: page.total,
        visits: page.person_visits,
        paging,
        query,
        stations,
        can_log,
    }))
}

#[derive(Template)]
#[template(path = "activities/detail.html")]
struct DetailPage {
    ctx: PageContext,
    a: Activity,
    can_edit: bool,
    /// A manager whose correction window has closed (she is told whom to ask).
    window_closed: bool,
}

impl DetailPage {
    fn visits_sum(&self) -> String {
        let t = |k| self.ctx.t(k);
        format!(
            "{} {} + {} {} + {} {} + {} {}",
            t("activity.children"),
            self.a.child_count,
            t("activity.volunteers"),
            self.a.volunteer_count,
            t("activity.guardians"),
            self.a.guardian_count,
            t("activity.others"),
            self.a.other_count
        )
    }
}

/// `GET /activities/{id}`.
pub async fn detail(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let a = super::service::find(&db, &user, parse_id(&id)?).await?;
    let can_edit = super::service::may_edit(&user, &a);
    let window_closed = user.role == Role::StationManager && !can_edit;
    Ok(render(&DetailPage {
        ctx,
        a,
        can_edit,
        window_closed,
    }))
}
