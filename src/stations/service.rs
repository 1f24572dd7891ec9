//! The rules and transactions of this area: what its pages and API call, and what other areas
//! ask of a station — whether it is in a scope, the ones a form may offer, and the days it
//! opened against its plan.

use super::{read, store};
use std::collections::HashMap;
use std::net::IpAddr;

use sqlx::PgPool;
use time::{Date, Duration};
use uuid::Uuid;

use super::model::{
    Filter, ListedStation, Opening, Overview, Station, StationInput, StationStatus, ValidStation,
    WeekOpening,
};
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Scope};
use crate::web::error::{AppError, FieldError, FieldErrors};

/// The weeks a station's open days are held against its plan: the last four.
pub const OPEN_DAYS_WEEKS: i64 = 4;

/// One station, if it lies in `scope` (missing and out of scope are both `None`).
pub async fn find(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<Station>> {
    store::find(db, scope, id).await
}

/// The station a list is filtered by, by name, if the reader reaches it (a list says when it
/// shows one station's records).
pub async fn filtered_by(
    db: &PgPool,
    scope: &Scope,
    id: Option<Uuid>,
) -> sqlx::Result<Option<(Uuid, String)>> {
    let Some(id) = id else { return Ok(None) };
    Ok(store::find(db, scope, id).await?.map(|s| (s.id, s.name)))
}

/// The regions these stations sit in, whatever the scope (a thin read: a person's residence
/// lies in her station's county, checked by the areas that register people).
pub async fn regions_of(db: &PgPool, ids: &[Uuid]) -> sqlx::Result<HashMap<Uuid, String>> {
    store::regions_of(db, ids).await
}

/// Stations a form may offer: those in scope that are not closed, by name.
pub async fn choices(db: &PgPool, scope: &Scope) -> sqlx::Result<Vec<(Uuid, String)>> {
    store::choices(db, scope).await
}

/// A page of the stations in the user's scope that `filter` selects, with the people at each,
/// and how many there are.
pub async fn list(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    (limit, offset): (i64, i64),
) -> Result<(Vec<ListedStation>, i64), AppError> {
    Ok(read::list(db, &user.scope, filter, limit, offset).await?)
}

/// A station in the user's scope.
pub async fn get(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Station, AppError> {
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A station in the user's scope with what its page shows: its managers, people and recent
/// sessions, and its open days over the last four weeks.
pub async fn detail(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(Station, Overview, Opening), AppError> {
    let station = get(db, user, id).await?;
    let overview = read::overview(db, station.id).await?;
    let opening = opening(db, &station).await?;
    Ok((station, overview, opening))
}

/// Days a station plans to open in `weeks` weeks: none while it is paused or closed.
pub fn planned_days(status: StationStatus, per_week: i16, weeks: i64) -> i64 {
    match status {
        StationStatus::Active => i64::from(per_week) * weeks,
        StationStatus::Paused | StationStatus::Closed => 0,
    }
}

/// Whether a station is held to its plan over a window that begins on `from`: it is active,
/// and it opened before the window began.
pub fn held_to_plan(status: StationStatus, opened_on: Option<Date>, from: Date) -> bool {
    status == StationStatus::Active && opened_on.is_none_or(|d| d <= from)
}

/// The days each of these stations opened for children in `[from, to]` (stations that did
/// not open are absent).
pub async fn open_days(
    db: &PgPool,
    stations: &[Uuid],
    from: Date,
    to: Date,
) -> Result<HashMap<Uuid, Vec<Date>>, AppError> {
    Ok(read::open_days(db, stations, from, to).await?)
}

/// Open days of a station over the four weeks ending today.
pub async fn opening(db: &PgPool, station: &Station) -> Result<Opening, AppError> {
    let today = crate::domain::today();
    let from = today - Duration::days(OPEN_DAYS_WEEKS * 7 - 1);
    let days = open_days(db, &[station.id], from, today)
        .await?
        .remove(&station.id)
        .unwrap_or_default();
    let planned = planned_days(station.status, station.open_days_per_week, 1);
    let weeks: Vec<WeekOpening> = (0..OPEN_DAYS_WEEKS)
        .map(|w| {
            let start = from + Duration::weeks(w);
            let end = start + Duration::days(6);
            WeekOpening {
                from: start,
                to: end,
                actual: days.iter().filter(|d| **d >= start && **d <= end).count() as i64,
                planned,
            }
        })
        .collect();
    let (sessions, person_visits) = read::sessions(db, station.id, from, today).await?;
    Ok(Opening {
        actual: days.len() as i64,
        planned: planned * OPEN_DAYS_WEEKS,
        weeks,
        sessions,
        person_visits,
    })
}

/// Checks the input and that its region exists and lies in the user's scope.
async fn validate(
    db: &PgPool,
    user: &CurrentUser,
    input: &StationInput,
) -> Result<ValidStation, AppError> {
    let mut valid = input.validate();
    if let Ok(station) = &valid {
        let code = &station.region_code;
        let error = if !user.scope.covers_region(code.as_str()) {
            Some(FieldError::new("error.region_outside_scope"))
        } else if crate::regions::service::find(db, code).await?.is_none() {
            Some(FieldError::new("error.region_unknown"))
        } else {
            None
        };
        if let Some(e) = error {
            valid = Err(FieldErrors::from([("region_code".to_owned(), e)]));
        }
    }
    valid.map_err(AppError::validation)
}

/// Registers a station in the user's region.
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    input: &StationInput,
    ip: Option<IpAddr>,
) -> Result<Station, AppError> {
    let station = validate(db, user, input).await?;
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, &station).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "station", Some(id), ip),
    )
    .await?;
    tx.commit().await?;
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Applies an edit (fields left out keep their value); a stale version is a 409 with the
/// current record.
pub async fn update(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: StationInput,
    ip: Option<IpAddr>,
) -> Result<Station, AppError> {
    let current = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(version) = input.version else {
        return Err(AppError::validation(FieldErrors::from([(
            "version".to_owned(),
            FieldError::new("error.required"),
        )])));
    };
    let station = validate(db, user, &input.over(&current)).await?;
    let mut tx = db.begin().await?;
    if !store::update(&mut tx, id, version, &station).await? {
        drop(tx);
        let now = store::find(db, &user.scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(AppError::Stale {
            current: serde_json::to_value(now).map_err(anyhow::Error::from)?,
        });
    }
    let changed = changed_fields(&current, &station);
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "station", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": changed })),
    )
    .await?;
    tx.commit().await?;
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn changed_fields(old: &Station, new: &ValidStation) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name, changed: bool| {
        if changed {
            out.push(name);
        }
    };
    check("name", old.name != new.name);
    check("region_code", old.region_code != new.region_code.as_str());
    check("address", old.address != new.address);
    check("build_mode", old.build_mode != new.build_mode);
    check("host_site", old.host_site != new.host_site);
    check("schedule", old.schedule != new.schedule);
    check("phone", old.phone != new.phone);
    check("status", old.status != new.status);
    check("opened_on", old.opened_on != new.opened_on);
    out
}
