//! Volunteer pages: the list, registration, the volunteer's page (with audited reveals) and
//! editing, including moving her along the pipeline.

use std::net::IpAddr;

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
use super::model::{ListedVolunteer, Volunteer, VolunteerInput, VolunteerOrder, VolunteerStatus};
use super::read::TrainingAttended;
use super::service::RevealField;
use crate::auth::{ClientIp, CurrentUser};
use crate::crypto::Cipher;
use crate::domain::pairing::PairingLine;
use crate::regions::Picker;
use crate::web::AppState;
use crate::web::error::{AppError, FieldErrors};
use crate::web::paging::{Exported, ListView, PageRequest, SortChoice};
use crate::web::{Errors, PageContext, flash, localise, parse_id, render};

#[derive(Template)]
#[template(path = "volunteers/list.html")]
struct ListPage {
    ctx: PageContext,
    volunteers: Vec<ListedVolunteer>,
    total: i64,
    paging: PageRequest,
    query: ListQuery,
    /// The station the list is filtered by.
    filtered_station: Option<(Uuid, String)>,
}

impl ListPage {
    fn statuses(&self) -> &'static [VolunteerStatus] {
        VolunteerStatus::ALL
    }

    fn sorts(&self) -> Vec<SortChoice> {
        VolunteerOrder::choices(&self.query.sort)
    }
}

impl Exported for ListPage {
    const API: &'static str = "/api/v1/volunteers";
}

impl ListView for ListPage {
    const PATH: &'static str = "/volunteers";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", self.value(&self.query.q)),
            ("status", self.value(&self.query.status)),
            ("station_id", self.value(&self.query.station_id)),
            ("skill", self.value(&self.query.skill)),
            ("sort", self.value(&self.query.sort)),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.total)
    }
}

/// `GET /volunteers`.
pub async fn list(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    let filtered_station =
        crate::stations::service::filtered_by(&db, &user.scope, filter.station_id).await?;
    let (volunteers, total) =
        super::service::list(&db, &user.scope, &filter, paging.limit(), paging.offset()).await?;
    Ok(render(&ListPage {
        ctx,
        volunteers,
        total,
        paging,
        query,
        filtered_station,
    }))
}

/// The volunteer form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct VolunteerForm {
    name: String,
    gender: String,
    phone: String,
    id_number: String,
    birth_date: String,
    region_code: String,
    station_id: String,
    organization: String,
    occupation: String,
    skills: String,
    status: String,
    background_check_on: String,
    interviewed_on: String,
    trained_on: String,
    capacity: String,
    version: Option<i32>,
}

impl VolunteerForm {
    fn input(&self) -> Result<VolunteerInput, FieldErrors> {
        let capacity = match self.capacity.trim() {
            "" => None,
            n => Some(n.parse::<i64>().map_err(|_| {
                FieldErrors::from([(
                    "capacity".to_owned(),
                    crate::web::error::FieldError::new("error.capacity_range"),
                )])
            })?),
        };
        let some = |s: &str| Some(s.to_owned());
        Ok(VolunteerInput {
            name: some(&self.name),
            gender: some(&self.gender),
            phone: some(&self.phone),
            id_number: some(&self.id_number),
            birth_date: some(&self.birth_date),
            region_code: some(&self.region_code),
            station_id: some(&self.station_id),
            organization: some(&self.organization),
            occupation: some(&self.occupation),
            skills: Some(vec![self.skills.clone()]),
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            background_check_on: some(&self.background_check_on),
            interviewed_on: some(&self.interviewed_on),
            trained_on: some(&self.trained_on),
            capacity,
            version: self.version,
        })
    }

    /// The form filled with her record; her skills as she typed them, written as a list in the
    /// page's language (the form reads either language's separators).
    fn from_volunteer(v: &Volunteer, lang: crate::i18n::Lang) -> VolunteerForm {
        let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_default();
        VolunteerForm {
            name: v.name.clone(),
            gender: v.gender.as_str().to_owned(),
            phone: String::new(),
            id_number: String::new(),
            birth_date: date(v.birth_date),
            region_code: v.region_code.clone(),
            station_id: v.station_id.map(|s| s.to_string()).unwrap_or_default(),
            organization: v.organization.clone().unwrap_or_default(),
            occupation: v.occupation.clone().unwrap_or_default(),
            skills: lang.list(&v.skills),
            status: v.status.as_str().to_owned(),
            background_check_on: date(v.background_check_on),
            interviewed_on: date(v.interviewed_on),
            trained_on: date(v.trained_on),
            capacity: v.capacity.to_string(),
            version: Some(v.version),
        }
    }
}

#[derive(Template)]
#[template(path = "volunteers/form.html")]
struct FormPage {
    ctx: PageContext,
    volunteer: Option<Volunteer>,
    form: VolunteerForm,
    errors: Errors,
    stale: bool,
    picker: Picker,
    stations: Vec<(Uuid, String)>,
    statuses: Vec<VolunteerStatus>,
}

impl FormPage {
    fn picker_action(&self) -> String {
        match &self.volunteer {
            Some(v) => format!("/volunteers/{}/edit", v.id),
            None => "/volunteers/new".to_owned(),
        }
    }

    fn action(&self) -> String {
        match &self.volunteer {
            Some(v) => format!("/volunteers/{}/edit", v.id),
            None => "/volunteers".to_owned(),
        }
    }

    fn station_selected(&self, id: &Uuid) -> bool {
        self.form.station_id == id.to_string()
    }
}

/// `?county=` of the form pages.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CountyQuery {
    county: Option<String>,
}

async fn form_page(
    db: &PgPool,
    ctx: PageContext,
    user: &CurrentUser,
    volunteer: Option<Volunteer>,
    (form, errors, stale): (VolunteerForm, Errors, bool),
    asked: Option<String>,
) -> Result<FormPage, AppError> {
    // A station manager's region is that of her stations.
    let region = match &user.region_code {
        Some(r) => r.clone(),
        None => user
            .audit_region
            .clone()
            .unwrap_or_default()
            .chars()
            .take(6)
            .collect(),
    };
    let picker = Picker::load(db, &region, asked.as_deref(), &form.region_code).await?;
    let stations = crate::stations::service::choices(db, &user.scope).await?;
    let statuses = match &volunteer {
        None => vec![
            VolunteerStatus::Applied,
            VolunteerStatus::Screened,
            VolunteerStatus::Trained,
            VolunteerStatus::Active,
        ],
        Some(v) => std::iter::once(v.status)
            .chain(v.status.next().iter().copied())
            .collect(),
    };
    Ok(FormPage {
        ctx,
        volunteer,
        form,
        errors,
        stale,
        picker,
        stations,
        statuses,
    })
}

/// `GET /volunteers/new`.
pub async fn new_form(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<CountyQuery>,
) -> Result<Response, AppError> {
    let form = VolunteerForm {
        gender: "female".into(),
        capacity: "2".into(),
        status: "applied".into(),
        ..Default::default()
    };
    Ok(render(
        &form_page(
            &db,
            ctx,
            &user,
            None,
            (form, Errors::new(), false),
            q.county,
        )
        .await?,
    ))
}

/// `POST /volunteers`.
pub async fn create(
    State(db): State<PgPool>,
    State(cipher): State<Cipher>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<VolunteerForm>,
) -> Result<Response, AppError> {
    let outcome = match form.input() {
        Ok(input) => super::service::create(&db, &cipher, &user, &input, ip).await,
        Err(fields) => Err(AppError::validation(fields)),
    };
    match outcome {
        Ok(v) => {
            flash(&session, "flash.volunteer_created").await;
            Ok(Redirect::to(&format!("/volunteers/{}", v.id)).into_response())
        }
        Err(AppError::Unprocessable { fields, .. } | AppError::Conflict { fields, .. })
            if !fields.is_empty() =>
        {
            let errors = localise(&ctx, &fields);
            let page = form_page(&db, ctx, &user, None, (form, errors, false), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "volunteers/detail.html")]
struct DetailPage {
    ctx: PageContext,
    volunteer: Volunteer,
    revealed_phone: Option<String>,
    revealed_id: Option<String>,
    pairings: Vec<PairingLine>,
    /// Her login, once she has one.
    login: Option<String>,
    trainings: Vec<TrainingAttended>,
    /// Stations she may be transferred to, for those who may transfer her (else empty).
    transfer_to: Vec<(Uuid, String)>,
}

impl DetailPage {
    /// Federation staff give a volunteer who has not withdrawn her login.
    fn may_create_login(&self) -> bool {
        self.volunteer.status != VolunteerStatus::Withdrawn
            && self.ctx.user.as_ref().is_some_and(|u| {
                matches!(u.role, crate::auth::Role::Admin | crate::auth::Role::Staff)
            })
    }

    /// The page for a volunteer in scope, with her pairing history, her trainings and a
    /// revealed value; the view is audited.
    async fn load(
        state: &AppState,
        ctx: PageContext,
        (user, ip): (&CurrentUser, Option<IpAddr>),
        id: Uuid,
        (revealed_phone, revealed_id): (Option<String>, Option<String>),
    ) -> Result<DetailPage, AppError> {
        let volunteer = super::service::view(&state.db, &state.cipher, user, id, ip).await?;
        let pairings = super::read::pairing_history(&state.db, &user.scope, id).await?;
        let login = crate::auth::accounts::login_of_volunteer(&state.db, id).await?;
        let trainings = super::read::trainings(&state.db, id).await?;
        let mut transfer_to = Vec::new();
        if ctx.may_post("/volunteers/{id}/transfer") {
            transfer_to = crate::stations::service::choices(&state.db, &user.scope).await?;
            transfer_to.retain(|(s, _)| Some(*s) != volunteer.station_id);
        }
        Ok(DetailPage {
            ctx,
            volunteer,
            revealed_phone,
            revealed_id,
            pairings,
            login,
            trainings,
            transfer_to,
        })
    }
}

/// `GET /volunteers/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let page = DetailPage::load(&state, ctx, (&user, ip), parse_id(&id)?, (None, None)).await?;
    Ok(render(&page))
}

/// The reveal form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevealForm {
    field: String,
}

/// `POST /volunteers/{id}/reveal`: the page again, with the one full value asked for
/// (audited).
pub async fn reveal(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<RevealForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let (field, value) =
        super::service::reveal(&state.db, &state.cipher, &user, id, &form.field, ip).await?;
    let revealed = match field {
        RevealField::Phone => (value, None),
        RevealField::IdNumber => (None, value),
    };
    let page = DetailPage::load(&state, ctx, (&user, ip), id, revealed).await?;
    Ok(render(&page))
}

/// `GET /volunteers/{id}/edit`.
pub async fn edit_form(
    State(db): State<PgPool>,
    State(cipher): State<Cipher>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<CountyQuery>,
) -> Result<Response, AppError> {
    let volunteer = super::service::detail(&db, &cipher, &user, parse_id(&id)?).await?;
    let form = VolunteerForm::from_volunteer(&volunteer, ctx.lang);
    Ok(render(
        &form_page(
            &db,
            ctx,
            &user,
            Some(volunteer),
            (form, Errors::new(), false),
            q.county,
        )
        .await?,
    ))
}

/// `POST /volunteers/{id}/edit`. Phone and ID number left empty keep the stored values.
pub async fn update(
    State(AppState { db, cipher, .. }): State<AppState>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<VolunteerForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let outcome = match form.input() {
        Ok(mut input) => {
            if form.phone.trim().is_empty() {
                input.phone = None;
            }
            super::service::update(&db, &cipher, &user, id, input, ip).await
        }
        Err(fields) => Err(AppError::validation(fields)),
    };
    let (status, errors, stale) = match outcome {
        Ok(_) => {
            flash(&session, "flash.volunteer_saved").await;
            return Ok(Redirect::to(&format!("/volunteers/{id}")).into_response());
        }
        Err(AppError::Unprocessable { fields, .. } | AppError::Conflict { fields, .. })
            if !fields.is_empty() =>
        {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                localise(&ctx, &fields),
                false,
            )
        }
        Err(AppError::Stale { .. }) => (StatusCode::CONFLICT, Errors::new(), true),
        Err(e) => return Err(e),
    };
    let volunteer = super::service::detail(&db, &cipher, &user, id).await?;
    let mut form = form;
    if stale {
        form.version = Some(volunteer.version);
    }
    let page = form_page(
        &db,
        ctx,
        &user,
        Some(volunteer),
        (form, errors, stale),
        None,
    )
    .await?;
    Ok((status, render(&page)).into_response())
}

/// `GET /volunteers/import`.
pub async fn import_form(ctx: PageContext) -> Response {
    crate::imports::form(super::import::KIND, ctx)
}

/// `GET /volunteers/import/template`.
pub async fn import_template(prefs: crate::web::Prefs) -> Result<Response, AppError> {
    crate::imports::template(super::import::KIND, prefs)
}

/// `POST /volunteers/import` (multipart, field `file`): all rows or none.
pub async fn import(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let (db, cipher) = (&state.db, &state.cipher);
    crate::imports::upload(
        super::import::KIND,
        db,
        ctx,
        &user,
        multipart,
        async |rows, lang| super::import::run(db, cipher, &user, rows, lang, ip).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "volunteers/account.html")]
struct AccountPage {
    ctx: PageContext,
    volunteer_id: Uuid,
    name: String,
    username: String,
    one_time_password: String,
}

/// `POST /volunteers/{id}/account`: her login, and the one-time password shown this once.
pub async fn create_account(
    State(state): State<AppState>,
    ctx: PageContext,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let created = super::service::create_account(&state.db, &user, id, ip).await?;
    Ok(render(&AccountPage {
        ctx,
        volunteer_id: id,
        name: created.user.display_name.clone(),
        username: created.user.username.clone(),
        one_time_password: created.one_time_password.unwrap_or_default(),
    }))
}
