//! The rules and transactions of this area: what its pages and API call.

use super::store;
pub use super::store::{Filter, find, list, record_training, station_in_scope};
use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{ValidVolunteer, Volunteer, VolunteerInput, VolunteerStatus};
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::crypto::Cipher;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// Checks the input against the pipeline and the user's scope: the region and the station
/// must be the user's; a station manager registers volunteers at her own stations only.
async fn validate(
    db: &PgPool,
    user: &CurrentUser,
    input: &VolunteerInput,
    current: Option<VolunteerStatus>,
) -> Result<ValidVolunteer, AppError> {
    let mut valid = input.validate(current);
    if let Ok(v) = &valid {
        let mut errors = FieldErrors::new();
        match user.role {
            Role::Admin | Role::Staff if !user.scope.covers_region(v.region_code.as_str()) => {
                errors.insert(
                    "region_code".into(),
                    FieldError::new("error.region_outside_scope"),
                );
            }
            Role::StationManager if v.station_id.is_none() => {
                errors.insert("station_id".into(), FieldError::new("error.required"));
            }
            _ => {}
        }
        if !errors.contains_key("region_code")
            && crate::regions::service::find(db, &v.region_code)
                .await?
                .is_none()
        {
            errors.insert(
                "region_code".into(),
                FieldError::new("error.region_unknown"),
            );
        }
        if let Some(station) = v.station_id
            && !store::station_in_scope(db, &user.scope, station).await?
        {
            errors.insert(
                "station_id".into(),
                FieldError::new("error.station_unknown"),
            );
        }
        if !errors.is_empty() {
            valid = Err(errors);
        }
    }
    valid.map_err(AppError::validation)
}

/// Seals the ID number, refusing one already registered (pointing to that record when the
/// user may see it).
async fn seal(
    db: &PgPool,
    user: &CurrentUser,
    cipher: &Cipher,
    v: &ValidVolunteer,
    this: Option<Uuid>,
) -> Result<store::Sealed, AppError> {
    let Some(id) = &v.id_number else {
        return Ok(None);
    };
    let hash = cipher.hash(id.expose());
    if let Some((existing, _)) = store::by_id_hash(db, &hash).await?
        && Some(existing) != this
    {
        let visible = store::find(db, &user.scope, existing).await?.is_some();
        let mut error = FieldError::new("error.duplicate_id_number");
        if visible {
            error = FieldError::new("error.duplicate_id_number_here").with("id", existing);
        }
        return Err(AppError::Conflict {
            code: "duplicate_id_number",
            fields: FieldErrors::from([("id_number".to_owned(), error)]),
        });
    }
    Ok(Some((cipher.encrypt(id.expose()), hash)))
}

/// Gives a volunteer her login (one click on her page): her mobile number as the username
/// and a one-time password to hand over. Withdrawn volunteers get none; one account each.
pub async fn create_account(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    ip: Option<IpAddr>,
) -> Result<crate::auth::accounts::Created, AppError> {
    let row = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.status() == VolunteerStatus::Withdrawn {
        return Err(AppError::rule("volunteer_withdrawn"));
    }
    crate::auth::accounts::create_for_volunteer(db, user, (id, row.name(), row.phone()), ip).await
}

/// Registers a volunteer.
pub async fn create(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    input: &VolunteerInput,
    ip: Option<IpAddr>,
) -> Result<Volunteer, AppError> {
    let v = validate(db, user, input, None).await?;
    let sealed = seal(db, user, cipher, &v, None).await?;
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, &v, sealed).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "volunteer", Some(id), ip),
    )
    .await?;
    tx.commit().await?;
    Ok(store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?
        .masked(cipher))
}

/// Edits a volunteer (fields left out keep their value); a stale version is a 409 with the
/// current record.
pub async fn update(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    input: VolunteerInput,
    ip: Option<IpAddr>,
) -> Result<Volunteer, AppError> {
    let row = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(version) = input.version else {
        return Err(AppError::validation(FieldErrors::from([(
            "version".to_owned(),
            FieldError::new("error.required"),
        )])));
    };
    let current_status = row.status();
    let phone = row.phone().to_owned();
    let current = row.masked(cipher);
    let merged = over(input, &current, &phone);
    let v = validate(db, user, &merged, Some(current_status)).await?;
    let sealed = seal(db, user, cipher, &v, Some(id)).await?;
    let changed = changed_fields(&merged, &current, &phone);
    let mut tx = db.begin().await?;
    if !store::update(&mut tx, id, version, &v, sealed).await? {
        drop(tx);
        let now = store::find(db, &user.scope, id)
            .await?
            .ok_or(AppError::NotFound)?
            .masked(cipher);
        return Err(AppError::Stale {
            current: serde_json::to_value(now).map_err(anyhow::Error::from)?,
        });
    }
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "volunteer", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": changed })),
    )
    .await?;
    tx.commit().await?;
    Ok(store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?
        .masked(cipher))
}

/// Fills what the input leaves out from the current record.
fn over(mut input: VolunteerInput, current: &Volunteer, phone: &str) -> VolunteerInput {
    let date = |d: Option<time::Date>| d.map(|d| d.to_string());
    input.name.get_or_insert_with(|| current.name.clone());
    input
        .gender
        .get_or_insert_with(|| current.gender.as_str().to_owned());
    input.phone.get_or_insert_with(|| phone.to_owned());
    if input.birth_date.is_none() {
        input.birth_date = date(current.birth_date);
    }
    input
        .region_code
        .get_or_insert_with(|| current.region_code.clone());
    if input.station_id.is_none() {
        input.station_id = current.station_id.map(|s| s.to_string());
    }
    if input.organization.is_none() {
        input.organization = current.organization.clone();
    }
    if input.occupation.is_none() {
        input.occupation = current.occupation.clone();
    }
    input.skills.get_or_insert_with(|| current.skills.clone());
    if input.background_check_on.is_none() {
        input.background_check_on = date(current.background_check_on);
    }
    if input.interviewed_on.is_none() {
        input.interviewed_on = date(current.interviewed_on);
    }
    if input.trained_on.is_none() {
        input.trained_on = date(current.trained_on);
    }
    input.capacity.get_or_insert(i64::from(current.capacity));
    input
}

fn changed_fields(input: &VolunteerInput, current: &Volunteer, phone: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let date = |d: Option<time::Date>| d.map(|d| d.to_string());
    let mut check = |name, changed: bool| {
        if changed {
            out.push(name);
        }
    };
    check("name", input.name.as_deref() != Some(&current.name));
    check(
        "phone",
        input
            .phone
            .as_deref()
            .map(|p| {
                crate::domain::Phone::parse(p)
                    .map(|p| p.as_str() != phone)
                    .unwrap_or(true)
            })
            .unwrap_or(false),
    );
    check(
        "id_number",
        input
            .id_number
            .as_deref()
            .is_some_and(|i| !i.trim().is_empty()),
    );
    check(
        "region_code",
        input.region_code.as_deref() != Some(&current.region_code),
    );
    check(
        "station_id",
        input.station_id != current.station_id.map(|s| s.to_string()),
    );
    check(
        "status",
        input
            .status
            .as_deref()
            .is_some_and(|s| s != current.status.as_str()),
    );
    check("skills", input.skills.as_ref() != Some(&current.skills));
    check("trained_on", input.trained_on != date(current.trained_on));
    check(
        "background_check_on",
        input.background_check_on != date(current.background_check_on),
    );
    check(
        "interviewed_on",
        input.interviewed_on != date(current.interviewed_on),
    );
    check(
        "capacity",
        input.capacity != Some(i64::from(current.capacity)),
    );
    out
}

/// Which full value a reveal shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealField {
    /// The ID number.
    IdNumber,
    /// The mobile number.
    Phone,
}

impl RevealField {
    /// Parses `id_number` or `phone`.
    pub fn parse(text: &str) -> Result<RevealField, AppError> {
        match text.trim() {
            "id_number" => Ok(RevealField::IdNumber),
            "phone" => Ok(RevealField::Phone),
            _ => Err(AppError::validation(FieldErrors::from([(
                "field".to_owned(),
                FieldError::new("error.choice"),
            )]))),
        }
    }
}

/// Shows one full value (`field`: `id_number` or `phone`) to a user who may see the record,
/// and audits it. The record is looked up first: out of scope is a 404 whatever was asked.
pub async fn reveal(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    field: &str,
    ip: Option<IpAddr>,
) -> Result<(RevealField, Option<String>), AppError> {
    let row = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let field = RevealField::parse(field)?;
    let value = match field {
        RevealField::Phone => Some(row.phone().to_owned()),
        RevealField::IdNumber => match row.sealed_id_number() {
            Some(sealed) => Some(cipher.decrypt(sealed)?),
            None => None,
        },
    };
    let name = match field {
        RevealField::Phone => "phone",
        RevealField::IdNumber => "id_number",
    };
    audit::record(
        db,
        Entry::by(user, Action::Reveal, "volunteer", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": [name] })),
    )
    .await?;
    Ok((field, value))
}
