//! The child's record: loading it within scope, registering (with the first guardian and
//! consent), editing and exit, and the audited reveal of a full value.

use std::collections::HashMap;
use std::net::IpAddr;

use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Scope};
use crate::children::model::{
    Child, ChildInput, Consent, Filter, Guardian, ListedChild, ValidChild,
};
use crate::children::rules::{
    DUPLICATE_ID_NUMBER, POSSIBLE_DUPLICATE, RESIDENCE_OUTSIDE_COUNTY, STATION_OF_ANOTHER_COUNTY,
};
use crate::children::store;
use crate::crypto::Cipher;
use crate::domain::region::same_county;
use crate::web::Refusal;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// A page of the children in `scope` that pass `filter`, and their total.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ListedChild>, i64), AppError> {
    Ok(store::list(db, scope, filter, limit, offset).await?)
}

/// The full ID numbers of these children, for an admin's audited export.
pub async fn full_id_numbers(
    db: &PgPool,
    cipher: &Cipher,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, AppError> {
    let mut out = HashMap::new();
    for (id, sealed) in store::sealed_id_numbers(db, ids).await? {
        out.insert(id, cipher.decrypt(&sealed)?);
    }
    Ok(out)
}

/// A child with guardians and consent records, as `GET /api/v1/children/{id}` answers.
#[derive(Debug, Clone, Serialize)]
pub struct ChildDetail {
    /// The child.
    #[serde(flatten)]
    pub child: Child,
    /// Guardians (phones masked).
    pub guardians: Vec<Guardian>,
    /// Consent records, newest first.
    pub consents: Vec<Consent>,
}

/// Loads a child in scope with guardians and consents.
pub async fn detail(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
) -> Result<ChildDetail, AppError> {
    let (child, _) = store::find(db, cipher, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let guardians = store::guardians(db, id)
        .await?
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    let consents = store::consents(db, id).await?;
    Ok(ChildDetail {
        child,
        guardians,
        consents,
    })
}

/// A child in scope opened by the user (her page, `GET /api/v1/children/{id}`): as [`detail`],
/// and the view is audited (once an hour per user and child).
pub async fn view(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    ip: Option<IpAddr>,
) -> Result<ChildDetail, AppError> {
    let detail = detail(db, cipher, user, id).await?;
    audit::viewed(db, user, "child", id, ip).await?;
    Ok(detail)
}

/// Checks that the child lives in a known region within the user's scope, is registered at a
/// station the user may see, and lives in that station's county. `current` is the record an
/// edit starts from: an edit that moves her to a station of another county is a transfer, and
/// the county rule is checked when her residence or station changes (as the database does).
async fn check_scope(
    db: &PgPool,
    user: &CurrentUser,
    c: &ValidChild,
    current: Option<&Child>,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::new();
    if user.region_code.is_some() && !user.scope.covers_region(c.region_code.as_str()) {
        errors.insert(
            "region_code".into(),
            FieldError::new("error.region_outside_scope"),
        );
    } else if crate::regions::service::find(db, &c.region_code)
        .await?
        .is_none()
    {
        errors.insert(
            "region_code".into(),
            FieldError::new("error.region_unknown"),
        );
    }
    match crate::stations::service::find(db, &user.scope, c.station_id).await? {
        None => {
            errors.insert(
                "station_id".into(),
                FieldError::new("error.station_unknown"),
            );
        }
        Some(station) => {
            if let Some(now) = current.filter(|now| now.station_id != c.station_id) {
                let regions = crate::stations::service::regions_of(db, &[now.station_id]).await?;
                if regions
                    .get(&now.station_id)
                    .is_some_and(|from| !same_county(from, &station.region_code))
                {
                    let (field, message) = field_of(&STATION_OF_ANOTHER_COUNTY);
                    errors.insert(field, message);
                }
            }
            let moves = current.is_none_or(|now| {
                now.region_code != c.region_code.as_str() || now.station_id != c.station_id
            });
            if moves
                && errors.is_empty()
                && !same_county(c.region_code.as_str(), &station.region_code)
            {
                let (field, message) = field_of(&RESIDENCE_OUTSIDE_COUNTY);
                errors.insert(field, message);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// The field a refusal names and its message there.
fn field_of(refusal: &Refusal) -> (String, FieldError) {
    let (field, key) = refusal.field.expect("a refusal that names its field");
    (field.to_owned(), FieldError::new(key))
}

/// Seals the ID number, refusing one already registered for another child (pointing to that
/// record when the user may see it).
async fn seal(
    db: &PgPool,
    user: &CurrentUser,
    cipher: &Cipher,
    c: &ValidChild,
    this: Option<Uuid>,
) -> Result<store::Sealed, AppError> {
    let Some(id) = &c.id_number else {
        return Ok(None);
    };
    let hash = cipher.hash(id.expose());
    if let Some(existing) = store::by_id_hash(db, &hash).await?
        && Some(existing) != this
    {
        // Pointing to the record only for a user who may open it.
        if store::find(db, cipher, &user.scope, existing)
            .await?
            .is_some()
        {
            let here = FieldError::new("error.duplicate_child_here").with("id", existing);
            return Err(DUPLICATE_ID_NUMBER.at("id_number", here));
        }
        return Err(DUPLICATE_ID_NUMBER.error());
    }
    Ok(Some((cipher.encrypt(id.expose()), hash)))
}

/// Registers a child (with the first guardian and registration consent when given; required
/// under 14). A child of the same name and birth date in the county, within the user's scope,
/// is a 409 `possible_duplicate` unless `confirm_duplicate` is set; one beyond the scope is
/// neither named nor refused, and the audit entry counts it.
pub async fn create(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    input: &ChildInput,
    ip: Option<IpAddr>,
) -> Result<ChildDetail, AppError> {
    let (child, first) = input.validate(None).map_err(AppError::validation)?;
    check_scope(db, user, &child, None).await?;
    let sealed = seal(db, user, cipher, &child, None).await?;
    let county = &child.region_code.as_str()[..6];
    let same = store::same_person(
        db,
        &user.scope,
        (&child.name, child.birth_date),
        county,
        None,
    )
    .await?;
    // A likely duplicate is looked for within the user's scope only: one beyond it is not
    // named, nor even hinted at, and the registration is audited as having met it.
    if !input.confirm_duplicate
        && let Some((existing, _)) = same.iter().find(|(_, in_scope)| *in_scope)
    {
        let which = FieldError::new("error.possible_duplicate").with("id", existing);
        return Err(POSSIBLE_DUPLICATE.at("name", which));
    }
    let beyond = same.iter().filter(|(_, in_scope)| !*in_scope).count();
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, &child, sealed).await?;
    if let Some((guardian, consent)) = &first {
        let gid = store::insert_guardian(&mut tx, id, guardian).await?;
        if let Some(consent) = consent {
            store::insert_consent(&mut tx, id, gid, consent).await?;
        }
    }
    let mut entry = Entry::by(user, Action::Create, "child", Some(id), ip);
    if beyond > 0 {
        entry =
            entry.with_detail(serde_json::json!({ "possible_duplicates_outside_scope": beyond }));
    }
    audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    detail(db, cipher, user, id).await
}

/// Edits a child; a stale version is a 409 with the current record. An exit is a PATCH of
/// `status: exited` with `exit_reason` and `exited_on`.
pub async fn update(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    input: ChildInput,
    ip: Option<IpAddr>,
) -> Result<ChildDetail, AppError> {
    let (current, _) = store::find(db, cipher, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(version) = input.version else {
        return Err(AppError::validation(FieldErrors::from([(
            "version".to_owned(),
            FieldError::new("error.required"),
        )])));
    };
    let merged = over(input, &current);
    let (child, _) = merged
        .validate(Some(current.status))
        .map_err(AppError::validation)?;
    check_scope(db, user, &child, Some(&current)).await?;
    let sealed = seal(db, user, cipher, &child, Some(id)).await?;
    let mut tx = db.begin().await?;
    if !store::update(&mut tx, id, version, &child, sealed).await? {
        drop(tx);
        let now = detail(db, cipher, user, id).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(now).map_err(anyhow::Error::from)?,
        });
    }
    let detail_json = serde_json::json!({ "fields": changed(&merged, &current) });
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "child", Some(id), ip).with_detail(detail_json),
    )
    .await?;
    tx.commit().await?;
    detail(db, cipher, user, id).await
}

fn over(mut input: ChildInput, c: &Child) -> ChildInput {
    let words = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect::<Vec<_>>();
    input.name.get_or_insert_with(|| c.name.clone());
    input
        .gender
        .get_or_insert_with(|| c.gender.as_str().to_owned());
    input
        .birth_date
        .get_or_insert_with(|| c.birth_date.to_string());
    input
        .category
        .get_or_insert_with(|| c.category.as_str().to_owned());
    input
        .difficulty_types
        .get_or_insert_with(|| words(c.difficulty_types.iter().map(|d| d.as_str()).collect()));
    input
        .region_code
        .get_or_insert_with(|| c.region_code.clone());
    input
        .station_id
        .get_or_insert_with(|| c.station_id.to_string());
    if input.school.is_none() {
        input.school = c.school.clone();
    }
    if input.grade.is_none() {
        input.grade = c.grade.clone();
    }
    if input.living_with.is_none() {
        input.living_with = c.living_with.map(|l| l.as_str().to_owned());
    }
    if input.parents_status.is_none() {
        input.parents_status = c.parents_status.map(|p| p.as_str().to_owned());
    }
    input
        .needs
        .get_or_insert_with(|| words(c.needs.iter().map(|n| n.as_str()).collect()));
    input
}

fn changed(input: &ChildInput, c: &Child) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name, changed: bool| {
        if changed {
            out.push(name);
        }
    };
    check("name", input.name.as_deref() != Some(&c.name));
    check(
        "birth_date",
        input.birth_date.as_deref() != Some(&c.birth_date.to_string()),
    );
    check(
        "id_number",
        input
            .id_number
            .as_deref()
            .is_some_and(|i| !i.trim().is_empty()),
    );
    check(
        "category",
        input.category.as_deref() != Some(c.category.as_str()),
    );
    check(
        "region_code",
        input.region_code.as_deref() != Some(&c.region_code),
    );
    check(
        "station_id",
        input.station_id.as_deref() != Some(&c.station_id.to_string()),
    );
    check("school", input.school != c.school);
    check("grade", input.grade != c.grade);
    check(
        "status",
        input
            .status
            .as_deref()
            .is_some_and(|s| s != c.status.as_str()),
    );
    out
}

/// Shows a child's full ID number or a guardian's full phone number, audited.
pub async fn reveal(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    child: Uuid,
    field: &str,
    guardian: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<Option<String>, AppError> {
    let (_, sealed) = store::find(db, cipher, &user.scope, child)
        .await?
        .ok_or(AppError::NotFound)?;
    let (value, entity, entity_id, name) = match field.trim() {
        "id_number" => (
            sealed.map(|s| cipher.decrypt(&s)).transpose()?,
            "child",
            child,
            "id_number",
        ),
        "guardian_phone" => {
            let gid = guardian.and_then(|g| Uuid::parse_str(g.trim()).ok());
            let found = store::guardians(db, child)
                .await?
                .into_iter()
                .find(|(g, _)| Some(g.id) == gid);
            let Some((g, phone)) = found else {
                return Err(AppError::validation(FieldErrors::from([(
                    "guardian_id".to_owned(),
                    FieldError::new("error.guardian_of_child"),
                )])));
            };
            (phone, "guardian", g.id, "phone")
        }
        _ => {
            return Err(AppError::validation(FieldErrors::from([(
                "field".to_owned(),
                FieldError::new("error.choice"),
            )])));
        }
    };
    audit::record(
        db,
        Entry::by(user, Action::Reveal, entity, Some(entity_id), ip)
            .with_detail(serde_json::json!({ "fields": [name] })),
    )
    .await?;
    Ok(value)
}
/// Of these children, those not registered at `station`: a station's session is attended by
/// its own children (the database's attendance trigger checks the same).
pub async fn not_registered_at(
    db: &PgPool,
    station: Uuid,
    children: &[Uuid],
) -> Result<Vec<Uuid>, AppError> {
    Ok(store::not_registered_at(db, station, children).await?)
}

/// Moves a child to `station` (which lies in `station_region`) and `region_code`, inside the
/// caller's transaction: a transfer, which the pairings area makes, closing her pairing too. Her
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
