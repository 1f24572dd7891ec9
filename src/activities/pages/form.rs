//! The quick log form a manager fills on a phone, for a new session and for corrections.
//!
//! The form works without JavaScript: searching the lists and "same as last time" are submit
//! buttons that send every tick back and get the form again, so nothing ticked is ever lost;
//! only the save button writes. A small script filters the lists as one types.

use crate::web::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use serde::Deserialize;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::super::model::{Activity, ActivityInput, Candidate, Kind, Topic, hhmm, planned_hours};
use super::super::service;
use crate::auth::{ClientIp, CurrentUser};
use crate::stations::model::Station;
use crate::web::error::{AppError, FieldError, FieldErrors};
use crate::web::{Errors, PageContext, flash, localise, parse_id, render};

/// The log form as a browser posts it: one `child`, `volunteer` or `host` entry per tick.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct LogForm {
    station_id: String,
    kind: String,
    topic: String,
    title: String,
    held_on: String,
    starts_at: String,
    ends_at: String,
    description: String,
    partners: String,
    guardian_count: String,
    other_count: String,
    child: Vec<String>,
    volunteer: Vec<String>,
    host: Vec<String>,
    /// Narrows the lists (the search button).
    q: String,
    /// `search`, `show_all`, `copy_last` or (saving) anything else.
    action: String,
    version: Option<i32>,
}

impl LogForm {
    fn input(&self) -> Result<ActivityInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut number = |text: &str, field: &str| match text.trim() {
            "" => None,
            n => n
                .parse::<i64>()
                .map_err(|_| {
                    errors.insert(field.to_owned(), FieldError::new("error.count_range"));
                })
                .ok(),
        };
        let guardian_count = number(&self.guardian_count, "guardian_count");
        let other_count = number(&self.other_count, "other_count");
        if !errors.is_empty() {
            return Err(errors);
        }
        let some = |s: &str| Some(s.to_owned());
        Ok(ActivityInput {
            kind: some(&self.kind),
            title: some(&self.title),
            topic: some(&self.topic),
            held_on: some(&self.held_on),
            starts_at: some(&self.starts_at),
            ends_at: some(&self.ends_at),
            description: some(&self.description),
            partners: some(&self.partners),
            guardian_count,
            other_count,
            child_ids: Some(self.child.clone()),
            volunteer_ids: Some(self.volunteer.clone()),
            host_ids: Some(self.host.clone()),
            version: self.version,
        })
    }

    fn from_activity(a: &Activity) -> LogForm {
        let time = |t: &Option<time::Time>| t.as_ref().map(hhmm).unwrap_or_default();
        LogForm {
            station_id: a.station_id.to_string(),
            kind: a.kind.as_str().to_owned(),
            topic: a.topic.map(|t| t.as_str().to_owned()).unwrap_or_default(),
            title: a.title.clone(),
            held_on: a.held_on.to_string(),
            starts_at: time(&a.starts_at),
            ends_at: time(&a.ends_at),
            description: a.description.clone().unwrap_or_default(),
            partners: a.partners.clone().unwrap_or_default(),
            guardian_count: a.guardian_count.to_string(),
            other_count: a.other_count.to_string(),
            child: a.children.iter().map(|c| c.id.to_string()).collect(),
            volunteer: a.volunteers.iter().map(|v| v.id.to_string()).collect(),
            host: a
                .volunteers
                .iter()
                .filter(|v| v.is_host)
                .map(|v| v.id.to_string())
                .collect(),
            version: Some(a.version),
            ..Default::default()
        }
    }

    fn fresh(station: &Station) -> LogForm {
        let today = crate::domain::today();
        let (starts_at, ends_at) = planned_hours(&station.schedule, today)
            .map(|(s, e)| (hhmm(&s), hhmm(&e)))
            .unwrap_or_default();
        LogForm {
            station_id: station.id.to_string(),
            kind: Kind::Tutoring.as_str().to_owned(),
            held_on: today.to_string(),
            starts_at,
            ends_at,
            guardian_count: "0".into(),
            other_count: "0".into(),
            ..Default::default()
        }
    }

    fn ticked(list: &[String], id: &Uuid) -> bool {
        let id = id.to_string();
        list.iter().any(|x| x.trim() == id)
    }
}

/// One person on the form's lists.
pub struct Tick {
    pub id: Uuid,
    pub name: String,
    /// Age, or the message key of a volunteer's status.
    pub note: String,
    /// Ticked as present.
    pub present: bool,
    /// Ticked as host (volunteers).
    pub host: bool,
    /// Came to one of the station's sessions in the last eight weeks.
    regular: bool,
}

/// The children (or the volunteers) a manager ticks: those ticked and the station's regulars
/// first, always shown; everyone else folded away unless searched for, so that a station of
/// 400 volunteers still fits a phone's few screens.
pub struct People {
    pub first: Vec<Tick>,
    pub rest: Vec<Tick>,
    /// Whether the rest shows unfolded: after a search or "show all", or when nobody came
    /// lately and the list is short.
    pub open: bool,
    /// How many the search hides.
    pub hidden: usize,
}

/// Up to this many, a list nobody came from lately shows unfolded.
const SHORT_LIST: usize = 40;

impl People {
    fn new(ticks: Vec<Tick>, q: &str) -> People {
        let before = ticks.len();
        let (mut first, rest): (Vec<Tick>, Vec<Tick>) = ticks
            .into_iter()
            .filter(|t| q.is_empty() || t.present || t.name.contains(q))
            .partition(|t| t.present || t.regular);
        let hidden = before - first.len() - rest.len();
        // Ticked people first among the regulars, each group in the station's order.
        first.sort_by_key(|t| !t.present);
        let open =
            (!q.is_empty() && !rest.is_empty()) || (first.is_empty() && rest.len() <= SHORT_LIST);
        People {
            first,
            rest,
            open,
            hidden,
        }
    }

    pub fn ticked(&self) -> usize {
        self.first.iter().filter(|t| t.present).count()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty() && self.rest.is_empty() && self.hidden == 0
    }
}

#[derive(Template)]
#[template(path = "activities/form.html")]
struct FormPage {
    ctx: PageContext,
    /// The log being corrected; `None` for a new one.
    activity: Option<Activity>,
    station: Station,
    form: LogForm,
    children: People,
    volunteers: People,
    errors: Errors,
    stale: bool,
}

impl FormPage {
    fn kinds(&self) -> &'static [Kind] {
        Kind::ALL
    }

    fn topics(&self) -> &'static [Topic] {
        Topic::ALL
    }

    fn action(&self) -> String {
        match &self.activity {
            Some(a) => format!("/activities/{}/edit", a.id),
            None => "/activities".to_owned(),
        }
    }

    fn hidden(&self) -> usize {
        self.children.hidden + self.volunteers.hidden
    }
}

fn ticks(candidates: Vec<Candidate>, present: &[String], hosts: &[String]) -> Vec<Tick> {
    candidates
        .into_iter()
        .map(|c| Tick {
            present: LogForm::ticked(present, &c.id) || LogForm::ticked(hosts, &c.id),
            host: LogForm::ticked(hosts, &c.id),
            id: c.id,
            name: c.name,
            note: c.note,
            regular: c.regular,
        })
        .collect()
}

async fn form_page(
    db: &PgPool,
    ctx: PageContext,
    station: Station,
    activity: Option<Activity>,
    form: LogForm,
    (errors, stale): (Errors, bool),
) -> Result<FormPage, AppError> {
    let (mut children, mut volunteers) = service::candidates(db, station.id).await?;
    // Last session's people come first too (a new log's: a correction shows its own people).
    let last = match &activity {
        None => {
            let before = crate::domain::parse_date(&form.held_on).unwrap_or(crate::domain::today());
            service::last_attendance(db, station.id, before).await?
        }
        Some(_) => Default::default(),
    };
    for c in &mut children {
        c.regular |= last.children.contains(&c.id);
    }
    for v in &mut volunteers {
        v.regular |= last.volunteers.contains(&v.id);
    }
    // A search narrows both lists to those it matches; ticked people always stay.
    let q = form.q.trim().to_owned();
    let mut children = People::new(ticks(children, &form.child, &[]), &q);
    let mut volunteers = People::new(ticks(volunteers, &form.volunteer, &form.host), &q);
    if form.action == "show_all" {
        children.open = true;
        volunteers.open = true;
    }
    Ok(FormPage {
        ctx,
        activity,
        station,
        form,
        children,
        volunteers,
        errors,
        stale,
    })
}

#[derive(Template)]
#[template(path = "activities/choose_station.html")]
struct ChooseStationPage {
    ctx: PageContext,
    stations: Vec<(Uuid, String)>,
}

/// `?station_id=` of the new-log form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    station_id: Option<String>,
}

/// `GET /activities/new`: the quick log form for a station (or the choice of station).
pub async fn new_form(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let stations = crate::stations::service::choices(&db, &user.scope).await?;
    let chosen = match q.station_id.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(id) => Some(parse_id(id)?),
        None if stations.len() == 1 => Some(stations[0].0),
        None => None,
    };
    let Some(chosen) = chosen else {
        return Ok(render(&ChooseStationPage { ctx, stations }));
    };
    let station = crate::stations::service::find(&db, &user.scope, chosen)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = LogForm::fresh(&station);
    Ok(render(
        &form_page(&db, ctx, station, None, form, (Errors::new(), false)).await?,
    ))
}

/// The form again, unsaved: after a search, or with last session's people ticked as well.
async fn redisplay(
    db: &PgPool,
    ctx: PageContext,
    station: Station,
    activity: Option<Activity>,
    mut form: LogForm,
) -> Result<Response, AppError> {
    if form.action == "show_all" {
        form.q.clear();
    }
    if form.action == "copy_last" {
        let before = crate::domain::parse_date(&form.held_on).unwrap_or(crate::domain::today());
        let last = service::last_attendance(db, station.id, before).await?;
        let add = |list: &mut Vec<String>, ids: &[Uuid]| {
            for id in ids {
                if !LogForm::ticked(list, id) {
                    list.push(id.to_string());
                }
            }
        };
        add(&mut form.child, &last.children);
        add(&mut form.volunteer, &last.volunteers);
        add(&mut form.host, &last.hosts);
        form.q.clear();
    }
    let page = form_page(db, ctx, station, activity, form, (Errors::new(), false)).await?;
    Ok(render(&page))
}

fn is_redisplay(form: &LogForm) -> bool {
    matches!(form.action.as_str(), "search" | "copy_last" | "show_all")
}

/// `POST /activities`: saves the log, or shows the form again (search, last time's people).
/// A refused log comes back with every field and tick as the manager left it.
pub async fn create(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Form(form): Form<LogForm>,
) -> Result<Response, AppError> {
    let station_id = parse_id(form.station_id.trim())?;
    let station = crate::stations::service::find(&db, &user.scope, station_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if is_redisplay(&form) {
        return redisplay(&db, ctx, station, None, form).await;
    }
    let outcome = match form.input() {
        Ok(input) => service::create(&db, &user, station_id, &input, ip).await,
        Err(fields) => Err(AppError::validation(fields)),
    };
    match outcome {
        Ok(activity) => {
            flash(&session, "flash.activity_logged").await;
            Ok(Redirect::to(&format!("/activities/{}", activity.id)).into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) if !fields.is_empty() => {
            let errors = localise(&ctx, &fields);
            let page = form_page(&db, ctx, station, None, form, (errors, false)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

/// `GET /activities/{id}/edit`.
pub async fn edit_form(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (a, station) = service::editable(&db, &user, parse_id(&id)?).await?;
    let form = LogForm::from_activity(&a);
    Ok(render(
        &form_page(&db, ctx, station, Some(a), form, (Errors::new(), false)).await?,
    ))
}

/// `POST /activities/{id}/edit`: saves a correction; a stale version shows the log as saved
/// now beside what the user typed, which is kept.
pub async fn update(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    Form(mut form): Form<LogForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let (current, station) = service::editable(&db, &user, id).await?;
    if is_redisplay(&form) {
        return redisplay(&db, ctx, station, Some(current), form).await;
    }
    let outcome = match form.input() {
        Ok(input) => service::update(&db, &user, id, input, ip).await,
        Err(fields) => Err(AppError::validation(fields)),
    };
    let (status, errors, stale) = match outcome {
        Ok(_) => {
            flash(&session, "flash.activity_saved").await;
            return Ok(Redirect::to(&format!("/activities/{id}")).into_response());
        }
        Err(AppError::Unprocessable { fields, .. }) if !fields.is_empty() => (
            StatusCode::UNPROCESSABLE_ENTITY,
            localise(&ctx, &fields),
            false,
        ),
        Err(AppError::Stale { .. }) => (StatusCode::CONFLICT, Errors::new(), true),
        Err(e) => return Err(e),
    };
    let now = service::find(&db, &user, id).await?;
    if stale {
        // Saving again overwrites with what the user sees now, knowingly.
        form.version = Some(now.version);
    }
    let page = form_page(&db, ctx, station, Some(now), form, (errors, stale)).await?;
    Ok((status, render(&page)).into_response())
}
