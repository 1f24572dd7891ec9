//! Wish pages: the wishes in scope (a volunteer's are her paired children's, to claim), a
//! child's wishes with each step, and a station's wish wall for printing — given names only.

use crate::web::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::api::ListQuery;
use super::model::{
    AmountInput, CancelInput, Category, ChildRef, ClaimInput, FulfilInput, WallWish, Wish,
    WishInput, WishStatus,
};
use super::service;
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::stations::model::Station;
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::paging::ListView;
use crate::web::paging::PageRequest;
use crate::web::{Errors, PageContext, flash, localise, parse_id, render};

#[derive(Template)]
#[template(path = "wishes/list.html")]
struct ListPage {
    ctx: PageContext,
    wishes: Vec<Wish>,
    total: i64,
    paging: PageRequest,
    query: ListQuery,
    stations: Vec<(Uuid, String)>,
    is_volunteer: bool,
}

impl ListPage {
    fn statuses(&self) -> &'static [WishStatus] {
        WishStatus::ALL
    }

    fn claimed_by(&self, w: &Wish) -> String {
        w.claimed_by_name
            .clone()
            .or_else(|| w.claimed_by_organization.clone())
            .unwrap_or_default()
    }
}

impl ListView for ListPage {
    const PATH: &'static str = "/wishes";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("status", self.value(&self.query.status)),
            ("station_id", self.value(&self.query.station_id)),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.total)
    }
}

/// `GET /wishes`.
pub async fn list(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    let (wishes, total) =
        service::list(&db, &user, &filter, (paging.limit(), paging.offset())).await?;
    let is_volunteer = user.role == Role::Volunteer;
    let stations = if is_volunteer {
        Vec::new()
    } else {
        crate::stations::service::choices(&db, &user.scope).await?
    };
    Ok(render(&ListPage {
        ctx,
        wishes,
        total,
        paging,
        query,
        stations,
        is_volunteer,
    }))
}

/// The new-wish form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct WishForm {
    text: String,
    category: String,
    estimated_cost: String,
}

impl WishForm {
    fn input(&self) -> WishInput {
        WishInput {
            text: Some(self.text.clone()),
            category: Some(self.category.clone()),
            estimated_cost: Some(AmountInput::Text(self.estimated_cost.clone())),
        }
    }
}

#[derive(Template)]
#[template(path = "wishes/child.html")]
struct ChildPage {
    ctx: PageContext,
    child: ChildRef,
    wishes: Vec<Wish>,
    /// Volunteers a wish may be claimed for (staff and managers).
    volunteers: Vec<(Uuid, String)>,
    form: WishForm,
    /// The wish an error is about, and the errors.
    errors: Errors,
    failed: Option<Uuid>,
    can_manage: bool,
    today: String,
}

impl ChildPage {
    fn categories(&self) -> &'static [Category] {
        Category::ALL
    }

    /// The id of a wish's field a refused step links to (each wish has its own forms).
    fn anchor_in(&self, field: &str, wish: &Uuid) -> String {
        match field {
            "volunteer_id" => format!("volunteer-{wish}"),
            "organization" => format!("organization-{wish}"),
            "fulfilled_on" => format!("fulfilled-{wish}"),
            "fulfilment_note" => format!("note-{wish}"),
            _ => format!("wish-{wish}"),
        }
    }

    fn failed_here(&self, id: &Uuid) -> bool {
        self.failed == Some(*id)
    }
}

async fn child_page(
    db: &PgPool,
    ctx: PageContext,
    user: &CurrentUser,
    child: Uuid,
    (form, errors, failed): (WishForm, Errors, Option<Uuid>),
) -> Result<ChildPage, AppError> {
    let (child, wishes, volunteers) = service::of_child(db, user, child).await?;
    let can_manage = user.role != Role::Volunteer;
    Ok(ChildPage {
        ctx,
        child,
        wishes,
        volunteers,
        form,
        errors,
        failed,
        can_manage,
        today: crate::domain::today().to_string(),
    })
}

/// `GET /children/{id}/wishes`.
pub async fn child(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let page = child_page(
        &db,
        ctx,
        &user,
        parse_id(&id)?,
        (WishForm::default(), Errors::new(), None),
    )
    .await?;
    Ok(render(&page))
}

/// `POST /children/{id}/wishes`: posts a wish; a refused one comes back as typed.
pub async fn create(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<WishForm>,
) -> Result<Response, AppError> {
    let child = parse_id(&id)?;
    match service::create(&db, &user, child, &form.input(), ip).await {
        Ok(_) => {
            flash(&session, "flash.wish_posted").await;
            Ok(Redirect::to(&format!("/children/{child}/wishes")).into_response())
        }
        Err(AppError::Unprocessable { code, fields }) => {
            let mut errors = localise(&ctx, &fields);
            if fields.is_empty() {
                errors.insert("text".into(), ctx.t(&format!("error.{code}")).to_owned());
            }
            let page = child_page(&db, ctx, &user, child, (form, errors, None)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// A step on a wish, as its page's forms post it.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StepForm {
    volunteer_id: String,
    organization: String,
    fulfilled_on: String,
    fulfilment_note: String,
    confirm: Option<String>,
    version: Option<i32>,
}

/// Ends a step: back to the child's wishes with a message, or the page again with why the
/// step was refused next to the wish.
async fn after_step(
    db: &PgPool,
    ctx: PageContext,
    session: &Session,
    user: &CurrentUser,
    id: Uuid,
    outcome: Result<Wish, AppError>,
    done: &'static str,
) -> Result<Response, AppError> {
    let (status, fields) = match outcome {
        Ok(wish) => {
            flash(session, done).await;
            let back = if user.role == Role::Volunteer {
                "/wishes".to_owned()
            } else {
                format!("/children/{}/wishes", wish.child_id)
            };
            return Ok(Redirect::to(&back).into_response());
        }
        Err(AppError::Unprocessable { fields, .. }) if !fields.is_empty() => {
            (StatusCode::UNPROCESSABLE_ENTITY, fields)
        }
        Err(AppError::Conflict { fields, .. }) if !fields.is_empty() => {
            (StatusCode::CONFLICT, fields)
        }
        Err(AppError::Stale { .. }) => (
            StatusCode::CONFLICT,
            FieldErrors::from([("status".to_owned(), FieldError::new("error.stale_version"))]),
        ),
        Err(e) => return Err(e),
    };
    let wish = service::find(db, user, id).await?;
    let errors = localise(&ctx, &fields);
    let page = child_page(
        db,
        ctx,
        user,
        wish.child_id,
        (WishForm::default(), errors, Some(id)),
    )
    .await?;
    Ok((status, render(&page)).into_response())
}

/// `POST /wishes/{id}/claim`.
pub async fn claim(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<StepForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let input = ClaimInput {
        volunteer_id: Some(form.volunteer_id),
        organization: Some(form.organization),
        version: form.version,
    };
    let outcome = service::claim(&db, &user, id, &input, ip).await;
    after_step(&db, ctx, &session, &user, id, outcome, "flash.wish_claimed").await
}

/// `POST /wishes/{id}/fulfil`.
pub async fn fulfil(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<StepForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let input = FulfilInput {
        fulfilled_on: Some(form.fulfilled_on),
        fulfilment_note: Some(form.fulfilment_note),
        version: form.version,
    };
    let outcome = service::fulfil(&db, &user, id, &input, ip).await;
    after_step(
        &db,
        ctx,
        &session,
        &user,
        id,
        outcome,
        "flash.wish_fulfilled",
    )
    .await
}

/// `POST /wishes/{id}/cancel`: asks first (the form's confirmation box).
pub async fn cancel(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<StepForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let outcome = if form.confirm.is_some() {
        service::cancel(
            &db,
            &user,
            id,
            &CancelInput {
                version: form.version,
            },
            ip,
        )
        .await
    } else {
        // Looked up first, so a wish out of scope is still a 404.
        service::find(&db, &user, id).await.and_then(|_| {
            Err(AppError::validation(FieldErrors::from([(
                "confirm".to_owned(),
                FieldError::new("error.confirm_cancel"),
            )])))
        })
    };
    after_step(
        &db,
        ctx,
        &session,
        &user,
        id,
        outcome,
        "flash.wish_cancelled",
    )
    .await
}

#[derive(Template)]
#[template(path = "wishes/wall.html")]
struct WallPage {
    ctx: PageContext,
    station: Station,
    wishes: Vec<WallWish>,
}

/// `GET /stations/{id}/wishes`: the station's wish wall, given names only.
pub async fn wall(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (station, wishes) = service::wall(&db, &user, parse_id(&id)?).await?;
    Ok(render(&WallPage {
        ctx,
        station,
        wishes,
    }))
}
