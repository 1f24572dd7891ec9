//! The rules and transactions of this area: what its pages and API call.

use super::store;
pub use super::store::{choices, find};
use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Station, StationInput, ValidStation};
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::web::error::{AppError, FieldError, FieldErrors};

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
