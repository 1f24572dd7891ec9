//! Station pages: the list, registration, the station's page and editing.

use crate::web::Query;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sqlx::PgPool;
use tower_sessions::Session;

use super::api::ListQuery;
use super::model::{
    BuildMode, ListedStation, Opening, Overview, SlotInput, Station, StationInput, StationOrder,
    StationStatus,
};
use super::service;
use crate::auth::{ClientIp, CurrentUser, Role};
use crate::regions::Picker;
use crate::web::error::AppError;
use crate::web::paging::{Exported, ListView, PageRequest, SortChoice};
use crate::web::{Errors, PageContext, flash, localise, parse_id, render};

/// Message key of a weekday (1 = Monday).
pub fn weekday_key(day: u8) -> &'static str {
    [
        "weekday.1",
        "weekday.2",
        "weekday.3",
        "weekday.4",
        "weekday.5",
        "weekday.6",
        "weekday.7",
    ][usize::from(day.clamp(1, 7) - 1)]
}

#[derive(Template)]
#[template(path = "stations/list.html")]
struct ListPage {
    ctx: PageContext,
    stations: Vec<ListedStation>,
    total: i64,
    paging: PageRequest,
    query: ListQuery,
    can_create: bool,
}

impl ListPage {
    fn build_modes(&self) -> &'static [BuildMode] {
        BuildMode::ALL
    }

    fn statuses(&self) -> &'static [StationStatus] {
        StationStatus::ALL
    }

    fn selected(&self, field: &Option<String>, value: &str) -> bool {
        field.as_deref() == Some(value)
    }

    fn sorts(&self) -> Vec<SortChoice> {
        StationOrder::choices(&self.query.sort)
    }
}

impl Exported for ListPage {
    const API: &'static str = "/api/v1/stations";
}

impl ListView for ListPage {
    const PATH: &'static str = "/stations";

    fn filters(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("q", self.value(&self.query.q)),
            ("region_code", self.value(&self.query.region_code)),
            ("build_mode", self.value(&self.query.build_mode)),
            ("status", self.value(&self.query.status)),
            ("sort", self.value(&self.query.sort)),
        ]
    }

    fn shown(&self) -> (&PageRequest, i64) {
        (&self.paging, self.total)
    }
}

/// `GET /stations`.
pub async fn list(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<Response, AppError> {
    let (filter, paging) = query.checked()?;
    let (stations, total) =
        service::list(&db, &user, &filter, (paging.limit(), paging.offset())).await?;
    let can_create = user.is(&[Role::Admin, Role::Staff]);
    Ok(render(&ListPage {
        ctx,
        stations,
        total,
        paging,
        query,
        can_create,
    }))
}

/// The station form as a browser posts it: the week as seven rows of checkbox and hours.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StationForm {
    name: String,
    region_code: String,
    address: String,
    build_mode: String,
    host_site: String,
    phone: String,
    status: String,
    opened_on: String,
    version: Option<i32>,
    day1: Option<String>,
    opens1: String,
    closes1: String,
    day2: Option<String>,
    opens2: String,
    closes2: String,
    day3: Option<String>,
    opens3: String,
    closes3: String,
    day4: Option<String>,
    opens4: String,
    closes4: String,
    day5: Option<String>,
    opens5: String,
    closes5: String,
    day6: Option<String>,
    opens6: String,
    closes6: String,
    day7: Option<String>,
    opens7: String,
    closes7: String,
}

/// One weekday row of the form.
pub struct DayRow {
    /// 1–7.
    pub weekday: u8,
    /// Ticked.
    pub open: bool,
    /// Opening time as typed.
    pub opens: String,
    /// Closing time as typed.
    pub closes: String,
}

impl StationForm {
    fn rows(&self) -> [(u8, bool, &str, &str); 7] {
        [
            (1, self.day1.is_some(), &self.opens1, &self.closes1),
            (2, self.day2.is_some(), &self.opens2, &self.closes2),
            (3, self.day3.is_some(), &self.opens3, &self.closes3),
            (4, self.day4.is_some(), &self.opens4, &self.closes4),
            (5, self.day5.is_some(), &self.opens5, &self.closes5),
            (6, self.day6.is_some(), &self.opens6, &self.closes6),
            (7, self.day7.is_some(), &self.opens7, &self.closes7),
        ]
    }

    fn day_rows(&self) -> Vec<DayRow> {
        self.rows()
            .into_iter()
            .map(|(weekday, open, opens, closes)| DayRow {
                weekday,
                open,
                opens: opens.to_owned(),
                closes: closes.to_owned(),
            })
            .collect()
    }

    fn input(&self) -> StationInput {
        StationInput {
            name: Some(self.name.clone()),
            region_code: Some(self.region_code.clone()),
            address: Some(self.address.clone()),
            build_mode: Some(self.build_mode.clone()),
            host_site: Some(self.host_site.clone()),
            schedule: Some(
                self.rows()
                    .into_iter()
                    .filter(|(_, open, _, _)| *open)
                    .map(|(weekday, _, opens, closes)| SlotInput {
                        weekday,
                        opens: opens.to_owned(),
                        closes: closes.to_owned(),
                    })
                    .collect(),
            ),
            phone: Some(self.phone.clone()),
            status: Some(self.status.clone()).filter(|s| !s.is_empty()),
            opened_on: Some(self.opened_on.clone()),
            version: self.version,
        }
    }

    fn from_station(s: &Station) -> StationForm {
        let mut form = StationForm {
            name: s.name.clone(),
            region_code: s.region_code.clone(),
            address: s.address.clone().unwrap_or_default(),
            build_mode: s.build_mode.as_str().to_owned(),
            host_site: s.host_site.clone().unwrap_or_default(),
            phone: s.phone.clone().unwrap_or_default(),
            status: s.status.as_str().to_owned(),
            opened_on: s.opened_on.map(|d| d.to_string()).unwrap_or_default(),
            version: Some(s.version),
            ..Default::default()
        };
        for slot in &s.schedule {
            let (day, opens, closes) = match slot.weekday {
                1 => (&mut form.day1, &mut form.opens1, &mut form.closes1),
                2 => (&mut form.day2, &mut form.opens2, &mut form.closes2),
                3 => (&mut form.day3, &mut form.opens3, &mut form.closes3),
                4 => (&mut form.day4, &mut form.opens4, &mut form.closes4),
                5 => (&mut form.day5, &mut form.opens5, &mut form.closes5),
                6 => (&mut form.day6, &mut form.opens6, &mut form.closes6),
                _ => (&mut form.day7, &mut form.opens7, &mut form.closes7),
            };
            *day = Some("on".into());
            *opens = slot.opens.clone();
            *closes = slot.closes.clone();
        }
        form
    }
}

#[derive(Template)]
#[template(path = "stations/form.html")]
struct FormPage {
    ctx: PageContext,
    /// `None` for a new station.
    station: Option<Station>,
    form: StationForm,
    days: Vec<DayRow>,
    errors: Errors,
    stale: bool,
    picker: Picker,
}

impl FormPage {
    fn build_modes(&self) -> &'static [BuildMode] {
        BuildMode::ALL
    }

    fn statuses(&self) -> &'static [StationStatus] {
        StationStatus::ALL
    }

    fn picker_action(&self) -> String {
        match &self.station {
            Some(s) => format!("/stations/{}/edit", s.id),
            None => "/stations/new".to_owned(),
        }
    }

    fn action(&self) -> String {
        match &self.station {
            Some(s) => format!("/stations/{}/edit", s.id),
            None => "/stations".to_owned(),
        }
    }

    fn weekday(&self, day: &u8) -> &'static str {
        self.ctx.t(weekday_key(*day))
    }
}

/// `?county=` of the form pages.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CountyQuery {
    county: Option<String>,
}

/// The form page, with the region picker for the user's region.
async fn form_page(
    db: &PgPool,
    ctx: PageContext,
    user: &CurrentUser,
    station: Option<Station>,
    (form, errors, stale): (StationForm, Errors, bool),
    asked: Option<String>,
) -> Result<FormPage, AppError> {
    let region = user.region_code.clone().unwrap_or_default();
    let picker = Picker::load(db, &region, asked.as_deref(), &form.region_code).await?;
    let days = form.day_rows();
    Ok(FormPage {
        ctx,
        station,
        form,
        days,
        errors,
        stale,
        picker,
    })
}

/// `GET /stations/new`.
pub async fn new_form(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Query(q): Query<CountyQuery>,
) -> Result<Response, AppError> {
    let form = StationForm {
        build_mode: "embedded".into(),
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

/// `POST /stations`.
pub async fn create(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    axum::Form(form): axum::Form<StationForm>,
) -> Result<Response, AppError> {
    match service::create(&db, &user, &form.input(), ip).await {
        Ok(station) => {
            flash(&session, "flash.station_created").await;
            Ok(Redirect::to(&format!("/stations/{}", station.id)).into_response())
        }
        Err(AppError::Unprocessable { fields, .. }) => {
            let errors = localise(&ctx, &fields);
            let page = form_page(&db, ctx, &user, None, (form, errors, false), None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "stations/detail.html")]
struct DetailPage {
    ctx: PageContext,
    station: Station,
    overview: Overview,
    can_edit: bool,
    opening: Opening,
    can_log: bool,
}

impl DetailPage {
    fn weekday(&self, day: &u8) -> &'static str {
        self.ctx.t(weekday_key(*day))
    }

    fn status_label(&self, group: &str, status: &str) -> &'static str {
        self.ctx.t(&format!("{group}.status.{status}"))
    }
}

/// `GET /stations/{id}`.
pub async fn detail(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (station, overview, opening) = service::detail(&db, &user, parse_id(&id)?).await?;
    let can_edit = user.is(&[Role::Admin, Role::Staff]);
    let can_log = user.role != Role::Volunteer;
    Ok(render(&DetailPage {
        ctx,
        station,
        overview,
        can_edit,
        opening,
        can_log,
    }))
}

/// `GET /stations/{id}/edit`.
pub async fn edit_form(
    State(db): State<PgPool>,
    ctx: PageContext,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<CountyQuery>,
) -> Result<Response, AppError> {
    let station = service::get(&db, &user, parse_id(&id)?).await?;
    let form = StationForm::from_station(&station);
    Ok(render(
        &form_page(
            &db,
            ctx,
            &user,
            Some(station),
            (form, Errors::new(), false),
            q.county,
        )
        .await?,
    ))
}

/// `POST /stations/{id}/edit`: saves; a stale version shows the current record beside what
/// the user typed, which is kept.
pub async fn update(
    State(db): State<PgPool>,
    ctx: PageContext,
    session: Session,
    user: CurrentUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<StationForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let (status, errors, stale) = match service::update(&db, &user, id, form.input(), ip).await {
        Ok(_) => {
            flash(&session, "flash.station_saved").await;
            return Ok(Redirect::to(&format!("/stations/{id}")).into_response());
        }
        Err(AppError::Unprocessable { fields, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            localise(&ctx, &fields),
            false,
        ),
        Err(AppError::Stale { .. }) => (StatusCode::CONFLICT, Errors::new(), true),
        Err(e) => return Err(e),
    };
    let station = service::get(&db, &user, id).await?;
    let mut form = form;
    if stale {
        // Saving again overwrites with what the user sees now, knowingly.
        form.version = Some(station.version);
    }
    let page = form_page(&db, ctx, &user, Some(station), (form, errors, stale), None).await?;
    Ok((status, render(&page)).into_response())
}
