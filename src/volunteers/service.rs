//! The rules and transactions of this area: what its pages and API call, and what other areas
//! may call.

use std::collections::HashMap;
use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{ListedVolunteer, ValidVolunteer, Volunteer, VolunteerInput, VolunteerStatus};
use super::rules::{
    DUPLICATE_ID_NUMBER, RESIDENCE_OUTSIDE_COUNTY, STATION_OF_ANOTHER_COUNTY,
    WITHDRAWN_GETS_NO_LOGIN,
};
use super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role, Scope};
use crate::crypto::Cipher;
use crate::domain::region::same_county;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// The list's filter, for the callers of [`list`].
pub use super::model::Filter;
/// A volunteer's row as [`find`] reads it: masked on demand, sensitive values sealed.
pub use super::store::Row;

/// A page of the volunteers in `scope` that pass `filter`, and their total. Other areas list a
/// station's volunteers with it (a thin read).
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ListedVolunteer>, i64), AppError> {
    Ok(store::list(db, scope, filter, limit, offset).await?)
}

/// One volunteer, if in `scope` (a thin read: other areas check that a volunteer is theirs to
/// name, and her status).
pub async fn find(db: &PgPool, scope: &Scope, id: Uuid) -> Result<Option<Row>, AppError> {
    Ok(store::find(db, scope, id).await?)
}

/// One volunteer in the user's scope as the API shows her (masked); out of scope is a 404.
pub async fn detail(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
) -> Result<Volunteer, AppError> {
    Ok(store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?
        .masked(cipher))
}

/// A volunteer in scope opened by the user (her page, `GET /api/v1/volunteers/{id}`): as
/// [`detail`], and the view is audited (once an hour per user and volunteer).
pub async fn view(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    ip: Option<IpAddr>,
) -> Result<Volunteer, AppError> {
    let volunteer = detail(db, cipher, user, id).await?;
    audit::viewed(db, user, "volunteer", id, ip).await?;
    Ok(volunteer)
}

/// The full phone and ID number of these volunteers, for an admin's audited export.
pub async fn full_values(
    db: &PgPool,
    cipher: &Cipher,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, (String, String)>, AppError> {
    let mut out = HashMap::new();
    for (id, (phone, sealed)) in store::sensitive(db, ids).await? {
        let id_number = match sealed {
            Some(s) => cipher.decrypt(&s)?,
            None => String::new(),
        };
        out.insert(id, (phone, id_number));
    }
    Ok(out)
}

/// Records a training held on `on` for these volunteers who attended it, inside the caller's
/// transaction: her `trained_on` where none is on record, and a screened volunteer moves to
/// trained. Returns each volunteer changed and whether her status moved. Which trainings
/// qualify is [`super::training::Topic::is_required`]; the caller asks it first.
pub async fn record_training(
    tx: &mut sqlx::PgConnection,
    volunteers: &[Uuid],
    on: time::Date,
) -> Result<Vec<(Uuid, bool)>, AppError> {
    Ok(store::record_training(tx, volunteers, on).await?)
}

/// Whether the station is one the user may register people at: the stations area's answer.
async fn station_in_scope(db: &PgPool, scope: &Scope, station: Uuid) -> Result<bool, AppError> {
    Ok(crate::stations::service::find(db, scope, station)
        .await?
        .is_some())
}

/// Checks the input against the pipeline and the user's scope: the region and the station
/// must be the user's; a station manager registers volunteers at her own stations only. A
/// volunteer with a station lives in its county; `now` is the record an edit starts from (its
/// status, residence and station): an edit that moves her to a station of another county is a
/// transfer, and the county rule is checked when her residence or station changes (as the
/// database does).
async fn validate(
    db: &PgPool,
    user: &CurrentUser,
    input: &VolunteerInput,
    now: Option<(VolunteerStatus, &str, Option<Uuid>)>,
) -> Result<ValidVolunteer, AppError> {
    let current = now.map(|(status, ..)| status);
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
            && !station_in_scope(db, &user.scope, station).await?
        {
            errors.insert(
                "station_id".into(),
                FieldError::new("error.station_unknown"),
            );
        }
        if errors.is_empty() {
            county_rule(
                db,
                v,
                now.map(|(_, region, station)| (region, station)),
                &mut errors,
            )
            .await?;
        }
        if !errors.is_empty() {
            valid = Err(errors);
        }
    }
    valid.map_err(AppError::validation)
}

/// A volunteer with a station lives in its county, and an edit keeps her in the county she is
/// in — her station's, or her residence's when she has none — so that a station of another
/// county is reached by a transfer, not by an edit (nor by two: first leaving her station, then
/// taking one elsewhere). Checked on a new record and when the residence or the station changes.
async fn county_rule(
    db: &PgPool,
    v: &ValidVolunteer,
    now: Option<(&str, Option<Uuid>)>,
    errors: &mut FieldErrors,
) -> Result<(), AppError> {
    let Some(station) = v.station_id else {
        return Ok(());
    };
    let moves =
        now.is_none_or(|(region, at)| region != v.region_code.as_str() || at != Some(station));
    if !moves {
        return Ok(());
    }
    let from = now.and_then(|(_, at)| at).filter(|at| *at != station);
    let ids: Vec<Uuid> = [Some(station), from].into_iter().flatten().collect();
    let regions = crate::stations::service::regions_of(db, &ids).await?;
    let Some(station_region) = regions.get(&station) else {
        return Ok(());
    };
    let county_now = match now {
        Some((_, Some(_))) => from.and_then(|f| regions.get(&f)).map(String::as_str),
        Some((residence, None)) => Some(residence),
        None => None,
    };
    let refusal = if county_now.is_some_and(|c| !same_county(c, station_region)) {
        STATION_OF_ANOTHER_COUNTY
    } else if !same_county(v.region_code.as_str(), station_region) {
        RESIDENCE_OUTSIDE_COUNTY
    } else {
        return Ok(());
    };
    let (field, key) = refusal.field.expect("a refusal that names its field");
    errors.insert(field.to_owned(), FieldError::new(key));
    Ok(())
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
        // Pointing to the record only for a user who may open it.
        if store::find(db, &user.scope, existing).await?.is_some() {
            let here = FieldError::new("error.duplicate_id_number_here").with("id", existing);
            return Err(DUPLICATE_ID_NUMBER.at("id_number", here));
        }
        return Err(DUPLICATE_ID_NUMBER.error());
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
        return Err(WITHDRAWN_GETS_NO_LOGIN.error());
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
    detail(db, cipher, user, id).await
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
    let now = (
        current_status,
        current.region_code.as_str(),
        current.station_id,
    );
    let v = validate(db, user, &merged, Some(now)).await?;
    let sealed = seal(db, user, cipher, &v, Some(id)).await?;
    let changed = changed_fields(&merged, &current, &phone);
    let mut tx = db.begin().await?;
    if !store::update(&mut tx, id, version, &v, sealed).await? {
        drop(tx);
        let now = detail(db, cipher, user, id).await?;
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
    detail(db, cipher, user, id).await
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

/// Of these volunteers, those `scope` may not tick as present: outside it, or withdrawn. One
/// query for the whole list.
pub async fn out_of_reach(
    db: &PgPool,
    scope: &crate::auth::Scope,
    volunteers: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    Ok(store::out_of_reach(db, scope, volunteers).await?)
}

/// Moves a volunteer to `station` (which lies in `station_region`) and `region_code`, inside the
/// caller's transaction: a transfer, which the pairings area makes, closing her pairings too. Her
/// residence lies in the station's county (the database refuses the same); false when
/// `version` is stale.
pub async fn move_to(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    (station, station_region): (Uuid, &str),
    region_code: &str,
) -> Result<bool, AppError> {
    if !same_county(region_code, station_region) {
        return Err(RESIDENCE_OUTSIDE_COUNTY.error());
    }
    Ok(store::move_to(tx, id, version, station, region_code).await?)
}

/// Locks a volunteer's row for the rest of the caller's transaction; false when there is none.
pub async fn lock_in(tx: &mut sqlx::PgConnection, id: Uuid) -> Result<bool, AppError> {
    Ok(store::lock(tx, id).await?)
}

/// Records, in the caller's transaction, that a volunteer withdraws (her active pairings closed
/// first), unless she has; audited when it changes her. `actor` is none for the service's own
/// retention run.
pub async fn withdraw_in(
    tx: &mut sqlx::PgConnection,
    actor: Option<(&CurrentUser, Option<IpAddr>)>,
    id: Uuid,
) -> Result<bool, AppError> {
    let withdrawn = store::withdraw(tx, id).await?;
    if withdrawn {
        audit::record(
            &mut *tx,
            entry(actor, Action::Update, id)
                .with_detail(serde_json::json!({ "fields": ["status"], "status": "withdrawn" })),
        )
        .await?;
    }
    Ok(withdrawn)
}

/// Erases a withdrawn volunteer's values (name, phone, ID number, the day of her birth, work,
/// skills) and closes her login for good; what is counted stays. Audited, naming `why`.
pub async fn anonymise_in(
    tx: &mut sqlx::PgConnection,
    actor: Option<(&CurrentUser, Option<IpAddr>)>,
    id: Uuid,
    why: &str,
) -> Result<bool, AppError> {
    let done = store::anonymise(tx, id).await?;
    if done {
        audit::record(
            &mut *tx,
            entry(actor, Action::Delete, id).with_detail(serde_json::json!({ "anonymised": why })),
        )
        .await?;
    }
    Ok(done)
}

fn entry(actor: Option<(&CurrentUser, Option<IpAddr>)>, action: Action, id: Uuid) -> Entry {
    match actor {
        Some((user, ip)) => Entry::by(user, action, "volunteer", Some(id), ip),
        None => Entry::system(action, "volunteer", Some(id)),
    }
}
