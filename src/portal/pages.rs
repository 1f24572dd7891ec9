//! The portal's pages: a phone-sized home with her children, one child with the contact form,
//! correcting an entry within 24 hours, and her relationship survey. They work without
//! JavaScript.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;
use uuid::Uuid;

use super::service::{MonthTotals, MyChild, Reply};
use crate::auth::{ClientIp, CurrentUser};
use crate::contacts::model::{
    ConcernCategory, Contact, ContactInput, ContactMode, ContactOutcome, NotReachedReason, Topic,
};
use crate::pairings::survey::{self, SurveyForm, SurveyRespondent};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::{Errors, PageContext, flash, localise, parse_id, render};

#[derive(Template)]
#[template(path = "me/home.html")]
struct HomePage {
    ctx: PageContext,
    children: Vec<MyChild>,
    month: MonthTotals,
    /// The latest replies to her entries.
    replies: Vec<Reply>,
}

impl HomePage {
    fn need_list(&self, child: &MyChild) -> String {
        need_list(&self.ctx, child)
    }
}

fn need_list(ctx: &PageContext, child: &MyChild) -> String {
    ctx.labels(&child.needs)
}

/// `GET /me`: her children, who is due a check-in, this month's work, and the replies to her
/// entries.
pub async fn home(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
) -> Result<Response, AppError> {
    let children = super::service::my_children(&state.db, &user).await?;
    let month = super::service::month_totals(&state.db, &user).await?;
    let replies = super::service::replies(&state.db, &user).await?;
    Ok(render(&HomePage {
        ctx,
        children,
        month,
        replies,
    }))
}

/// The contact form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ContactForm {
    contacted_on: String,
    mode: String,
    /// `reached` (the default) or `not_reached`.
    outcome: String,
    not_reached_reason: String,
    duration_minutes: String,
    topics: Vec<String>,
    note: String,
    concern_category: String,
    concern_detail: String,
    version: Option<i32>,
    /// Her other pairings the same visit was with (siblings, two children together).
    also: Vec<String>,
}

impl ContactForm {
    fn also_chosen(&self, pairing: &Uuid) -> bool {
        self.also.iter().any(|a| a.trim() == pairing.to_string())
    }

    fn input(&self) -> Result<ContactInput, Errors> {
        let duration_minutes = match self.duration_minutes.trim() {
            "" => None,
            n => Some(n.parse::<i64>().unwrap_or(-1)),
        };
        let some = |s: &str| Some(s.to_owned());
        Ok(ContactInput {
            contacted_on: some(&self.contacted_on),
            mode: some(&self.mode),
            outcome: some(&self.outcome),
            not_reached_reason: some(&self.not_reached_reason),
            duration_minutes,
            topics: self.topics.clone(),
            note: some(&self.note),
            concern_category: some(&self.concern_category),
            concern_detail: some(&self.concern_detail),
            version: self.version,
        })
    }

    fn from_contact(c: &Contact) -> ContactForm {
        ContactForm {
            contacted_on: c.contacted_on.to_string(),
            mode: c.mode.as_str().to_owned(),
            outcome: c.outcome.as_str().to_owned(),
            not_reached_reason: c
                .not_reached_reason
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            duration_minutes: c
                .duration_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            topics: c.topics.iter().map(|t| t.as_str().to_owned()).collect(),
            note: c.note.clone().unwrap_or_default(),
            concern_category: c
                .concern_category
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            concern_detail: c.concern_detail.clone().unwrap_or_default(),
            version: Some(c.version),
            also: Vec::new(),
        }
    }
}

/// What the contact form needs to draw itself.
struct FormView {
    form: ContactForm,
    errors: Errors,
    /// A concern already raised on this entry: shown, not editable.
    concern_locked: bool,
}

impl FormView {
    fn modes(&self) -> &'static [ContactMode] {
        ContactMode::ALL
    }

    fn topics(&self) -> &'static [Topic] {
        Topic::ALL
    }

    fn concerns(&self) -> &'static [ConcernCategory] {
        ConcernCategory::ALL
    }

    fn reasons(&self) -> &'static [NotReachedReason] {
        NotReachedReason::ALL
    }

    /// Whether the entry is an attempt that did not reach the child.
    fn not_reached(&self) -> bool {
        self.form.outcome == ContactOutcome::NotReached.as_str()
    }

    fn reason_chosen(&self, r: &NotReachedReason) -> bool {
        self.form.not_reached_reason == r.as_str()
    }

    fn mode_chosen(&self, m: &ContactMode) -> bool {
        self.form.mode == m.as_str()
    }

    fn topic_chosen(&self, t: &Topic) -> bool {
        self.form.topics.iter().any(|x| x == t.as_str())
    }

    fn concern_chosen(&self, c: &ConcernCategory) -> bool {
        self.form.concern_category == c.as_str()
    }

    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "me/child.html")]
struct ChildPage {
    ctx: PageContext,
    child: MyChild,
    /// Her other children (pairing, given name), whom the same visit may be logged for.
    others: Vec<(Uuid, String)>,
    contacts: Vec<Contact>,
    view: FormView,
    now: OffsetDateTime,
}

impl ChildPage {
    fn need_list(&self) -> String {
        need_list(&self.ctx, &self.child)
    }

    fn topic_list(&self, c: &Contact) -> String {
        self.ctx.labels(&c.topics)
    }

    fn editable(&self, c: &Contact) -> bool {
        self.now < c.editable_until
    }

    fn weekday(&self, n: &u8) -> &'static str {
        self.ctx.t(&format!("weekday.{n}"))
    }
}

async fn child_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    pairing: Uuid,
    view: FormView,
) -> Result<ChildPage, AppError> {
    let mut children = super::service::my_children(&state.db, user).await?;
    let at = children
        .iter()
        .position(|c| c.pairing_id == pairing)
        .ok_or(AppError::NotFound)?;
    let child = children.remove(at);
    let others = children
        .into_iter()
        .map(|c| (c.pairing_id, c.given_name))
        .collect();
    let contacts = crate::contacts::service::of_pairing(&state.db, user, pairing).await?;
    Ok(ChildPage {
        ctx,
        child,
        others,
        contacts,
        view,
        now: OffsetDateTime::now_utc(),
    })
}

/// `GET /me/pairings/{id}`: one child, her contacts, the form to log one.
pub async fn child(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let form = ContactForm {
        contacted_on: crate::domain::today().to_string(),
        ..Default::default()
    };
    let view = FormView {
        form,
        errors: Errors::new(),
        concern_locked: false,
    };
    let page = child_page(&state, ctx, &user, parse_id(&id)?, view).await?;
    Ok(render(&page))
}

/// `POST /me/pairings/{id}/contacts`.
pub async fn log_contact(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    let pairing = parse_id(&id)?;
    let input = form.input().unwrap_or_default();
    let result = if form.also.iter().all(|a| a.trim().is_empty()) {
        crate::contacts::service::create(&state.db, &user, pairing, &input, ip).await
    } else {
        // The same visit for her other children too: one entry each, all or none.
        let mut ids = vec![pairing];
        // Only her own children are offered; anything else is no child of hers to add.
        ids.extend(
            form.also
                .iter()
                .filter_map(|a| uuid::Uuid::parse_str(a.trim()).ok()),
        );
        crate::contacts::service::create_many(&state.db, &user, &ids, &input, ip)
            .await
            .map(|mut all| all.remove(0))
    };
    match result {
        Ok(c) => {
            let key = if c.concern_category.is_some() {
                "flash.contact_logged_with_concern"
            } else {
                "flash.contact_logged"
            };
            flash(&session, key).await;
            Ok(Redirect::to(&format!("/me/pairings/{pairing}")).into_response())
        }
        Err(e @ (AppError::Unprocessable { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let errors = refused(&ctx, &e);
            let view = FormView {
                form,
                errors,
                concern_locked: false,
            };
            let page = child_page(&state, ctx, &user, pairing, view).await?;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// Field messages of a refused write, with the headline under `_`.
fn refused(ctx: &PageContext, e: &AppError) -> Errors {
    let mut errors = match e {
        AppError::Unprocessable { fields, .. } | AppError::Conflict { fields, .. } => {
            localise(ctx, fields)
        }
        _ => Errors::new(),
    };
    errors.insert("_".into(), ctx.t(&format!("error.{}", e.code())).to_owned());
    errors
}

#[derive(Template)]
#[template(path = "me/edit.html")]
struct EditPage {
    ctx: PageContext,
    contact: Contact,
    view: FormView,
}

/// `GET /me/contacts/{id}/edit`: within 24 hours of logging it.
pub async fn edit_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let contact = crate::contacts::service::correctable(&state.db, &user, parse_id(&id)?).await?;
    let view = FormView {
        form: ContactForm::from_contact(&contact),
        errors: Errors::new(),
        concern_locked: contact.concern_category.is_some(),
    };
    Ok(render(&EditPage { ctx, contact, view }))
}

/// `POST /me/contacts/{id}/edit`.
pub async fn edit(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let contact = crate::contacts::service::correctable(&state.db, &user, id).await?;
    let mut input = form.input().unwrap_or_default();
    if contact.concern_category.is_some() {
        // A raised concern is not part of the form any more: it stays as it was.
        input.concern_category = contact.concern_category.map(|c| c.as_str().to_owned());
        input.concern_detail = contact.concern_detail.clone();
    }
    let result = crate::contacts::service::correct(&state.db, &user, id, &input, ip).await;
    match result {
        Ok(c) => {
            flash(&session, "flash.contact_corrected").await;
            Ok(Redirect::to(&format!("/me/pairings/{}", c.pairing_id)).into_response())
        }
        Err(
            e @ (AppError::Unprocessable { .. }
            | AppError::Conflict { .. }
            | AppError::Stale { .. }),
        ) => {
            let status = e.status();
            let errors = refused(&ctx, &e);
            let view = FormView {
                form,
                errors,
                concern_locked: contact.concern_category.is_some(),
            };
            Ok((status, render(&EditPage { ctx, contact, view })).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "me/survey.html")]
struct SurveyPage {
    ctx: PageContext,
    child: MyChild,
    survey: SurveyForm,
    errors: Errors,
    /// A refusal that names no field (the summary lists the others).
    message: Option<String>,
}

async fn survey_page(
    state: &AppState,
    ctx: PageContext,
    user: &CurrentUser,
    pairing: Uuid,
    (survey, mut errors): (SurveyForm, Errors),
) -> Result<SurveyPage, AppError> {
    let headline = errors.remove("_");
    let message = headline.filter(|_| errors.is_empty());
    let child = super::service::my_children(&state.db, user)
        .await?
        .into_iter()
        .find(|c| c.pairing_id == pairing)
        .ok_or(AppError::NotFound)?;
    Ok(SurveyPage {
        ctx,
        child,
        survey,
        errors,
        message,
    })
}

/// `GET /me/pairings/{id}/survey`: the relationship survey about one of her children.
pub async fn survey_form(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let form = SurveyForm {
        answered_on: crate::domain::today().to_string(),
        ..SurveyForm::for_respondent(SurveyRespondent::Volunteer)
    };
    let page = survey_page(&state, ctx, &user, parse_id(&id)?, (form, Errors::new())).await?;
    Ok(render(&page))
}

/// `POST /me/pairings/{id}/survey`: her answers, as herself; back to the child's page.
pub async fn answer_survey(
    State(state): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(form): Form<SurveyForm>,
) -> Result<Response, AppError> {
    let pairing = parse_id(&id)?;
    // She answers as herself, whatever the form says.
    let form = SurveyForm {
        respondent: SurveyRespondent::Volunteer.as_str().to_owned(),
        check_in_id: String::new(),
        ..form
    };
    match survey::create(&state.db, &user, pairing, &form.input(), ip).await {
        Ok(_) => {
            flash(&session, "flash.survey_thanks").await;
            Ok(Redirect::to(&format!("/me/pairings/{pairing}")).into_response())
        }
        Err(e @ (AppError::Unprocessable { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let errors: Errors = refused(&ctx, &e)
                .into_iter()
                .map(|(k, v)| match k.as_str() {
                    "_" => (k, v),
                    _ => (SurveyForm::field(&k), v),
                })
                .collect();
            let page = survey_page(&state, ctx, &user, pairing, (form, errors)).await?;
            Ok((status, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}
