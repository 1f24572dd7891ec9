//! The rules and transactions of this area: what its pages and API call, and what the areas
//! above (pairings, the portal, the dashboard) ask of contacts.
//!
//! A contact belongs to a pairing, which this area reads with its own query: the caller's
//! scope (auth's) decides whether she reaches it; the contact rules in `rules` (logged on an
//! active pairing, dated on or after its start, corrected for 24 hours, a concern kept) are
//! decided here.

use std::net::IpAddr;

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

pub use super::model::{ConcernStatus, OpenConcern};
use super::model::{Contact, ContactInput, ValidContact};
use super::read;
use super::rules::{
    CONCERN_KEPT, CONCERN_RESOLVED, CONTACT_BEFORE_PAIRING, CORRECTION_WINDOW_CLOSED, NO_CONCERN,
    NOT_YOUR_CONTACT, PAIRING_CLOSED,
};
use super::store::{self, PairingFacts};
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::auth::scope::Scope;
use crate::domain::pairing::PairingStatus;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// The pairing a contact is logged on, if the caller reaches it; else 404.
async fn pairing(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<PairingFacts, AppError> {
    store::pairing(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The contacts of a pairing in the caller's scope, newest first.
pub async fn of_pairing(
    db: &PgPool,
    user: &CurrentUser,
    pairing_id: Uuid,
) -> Result<Vec<Contact>, AppError> {
    pairing(db, user, pairing_id).await?;
    Ok(store::of_pairing(db, pairing_id)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect())
}

/// A page of the concerns in scope, open or resolved, and how many there are.
pub async fn concerns(
    db: &PgPool,
    scope: &Scope,
    status: ConcernStatus,
    (limit, offset): (i64, i64),
) -> Result<(Vec<OpenConcern>, i64), AppError> {
    let total = match status {
        ConcernStatus::Open => read::count_open_concerns(db, scope).await?,
        ConcernStatus::Resolved => read::count_resolved_concerns(db, scope).await?,
    };
    let items = match status {
        _ if total <= offset => Vec::new(),
        ConcernStatus::Open => read::open_concerns(db, scope, (limit, offset)).await?,
        ConcernStatus::Resolved => read::resolved_concerns(db, scope, (limit, offset)).await?,
    };
    Ok((items, total))
}

/// A page of the open concerns in scope, and how many there are (the dashboard's alerts).
pub async fn open_concerns(
    db: &PgPool,
    scope: &Scope,
    page: (i64, i64),
) -> Result<(Vec<OpenConcern>, i64), AppError> {
    concerns(db, scope, ConcernStatus::Open, page).await
}

/// A volunteer's contacts and minutes dated `from` or later.
pub async fn totals_since(
    db: &PgPool,
    volunteer: Uuid,
    from: time::Date,
) -> Result<(i64, i64), AppError> {
    Ok(store::volunteer_totals(db, volunteer, from).await?)
}

/// Logs a contact with the volunteer's own active pairing.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    pairing_id: Uuid,
    input: &ContactInput,
    ip: Option<IpAddr>,
) -> Result<Contact, AppError> {
    let p = pairing(db, user, pairing_id).await?;
    let valid = input.validate().map_err(AppError::validation)?;
    if p.status != PairingStatus::Active {
        return Err(PAIRING_CLOSED.error());
    }
    check_date(&valid, &p)?;
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, pairing_id, &valid, user.id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "contact", Some(id), ip).with_detail(serde_json::json!({
            "pairing_id": pairing_id,
            "concern": valid.concern.as_ref().map(|(c, _)| c.as_str()),
        })),
    )
    .await?;
    tx.commit().await?;
    found(db, user, id).await
}

/// The most children one entry may be for (a volunteer's pairings are few; siblings fewer).
pub const MAX_CHILDREN_AN_ENTRY: usize = 10;

/// One visit to several of the volunteer's children (siblings, or two children seen together):
/// one contact for each pairing, all in one transaction — every one written, or none. Each
/// pairing must be hers and active, and the date within each; a pairing named twice counts once.
#[tracing::instrument(skip_all)]
pub async fn create_many(
    db: &PgPool,
    user: &CurrentUser,
    pairing_ids: &[Uuid],
    input: &ContactInput,
    ip: Option<IpAddr>,
) -> Result<Vec<Contact>, AppError> {
    let mut ids: Vec<Uuid> = Vec::new();
    for id in pairing_ids {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    if ids.is_empty() || ids.len() > MAX_CHILDREN_AN_ENTRY {
        return Err(AppError::validation(FieldErrors::from([(
            "pairing_ids".to_owned(),
            FieldError::new("error.pairing_ids_count").with("max", MAX_CHILDREN_AN_ENTRY),
        )])));
    }
    let valid = input.validate().map_err(AppError::validation)?;
    if valid.concern.is_some() && ids.len() > 1 {
        // A concern is about one child: it is raised on her own entry, never copied to others.
        return Err(AppError::validation(FieldErrors::from([(
            "concern_category".to_owned(),
            FieldError::new("error.concern_one_child"),
        )])));
    }
    for id in &ids {
        pairing(db, user, *id).await?;
    }
    let mut tx = db.begin().await?;
    // Locked (in one order) and checked again inside the transaction: a pairing closed, or its
    // child erased, meanwhile gets no entry, and two entries for the same children queue.
    for p in store::lock_pairings(&mut tx, &ids).await? {
        if p.status != PairingStatus::Active {
            return Err(PAIRING_CLOSED.error());
        }
        check_date(&valid, &p)?;
    }
    let mut created = Vec::with_capacity(ids.len());
    for pairing_id in &ids {
        let id = store::insert(&mut tx, *pairing_id, &valid, user.id).await?;
        audit::record(
            &mut *tx,
            Entry::by(user, Action::Create, "contact", Some(id), ip).with_detail(
                serde_json::json!({
                    "pairing_id": pairing_id,
                    "concern": valid.concern.as_ref().map(|(c, _)| c.as_str()),
                    "children_at_once": ids.len(),
                }),
            ),
        )
        .await?;
        created.push(id);
    }
    tx.commit().await?;
    let mut contacts = Vec::with_capacity(created.len());
    for id in created {
        contacts.push(found(db, user, id).await?);
    }
    Ok(contacts)
}

/// A contact cannot predate its pairing.
fn check_date(valid: &ValidContact, pairing: &PairingFacts) -> Result<(), AppError> {
    if valid.contacted_on < pairing.started_on {
        return Err(CONTACT_BEFORE_PAIRING.error());
    }
    Ok(())
}

/// Refuses a correction once the contact's 24 hours are over.
fn check_window(contact: &Contact) -> Result<(), AppError> {
    if OffsetDateTime::now_utc() > contact.editable_until {
        return Err(CORRECTION_WINDOW_CLOSED.error());
    }
    Ok(())
}

/// A contact in the caller's scope that can still be corrected (within its 24 hours), for the
/// correction form.
pub async fn correctable(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Contact, AppError> {
    let contact = found(db, user, id).await?;
    check_window(&contact)?;
    Ok(contact)
}

/// The pairing a contact in the caller's scope was logged on (what a follow-up on it hangs
/// from); `None` for a contact she does not reach.
pub async fn pairing_of(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(store::find(db, &user.scope, id)
        .await?
        .map(|(c, _)| c.pairing_id))
}

async fn found(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Contact, AppError> {
    store::find(db, &user.scope, id)
        .await?
        .map(|(c, _)| c)
        .ok_or(AppError::NotFound)
}

/// A volunteer corrects her own entry within 24 hours of logging it. A concern, once raised,
/// stays as it was (it can be added by a correction, never changed or removed).
#[tracing::instrument(skip_all)]
pub async fn correct(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &ContactInput,
    ip: Option<IpAddr>,
) -> Result<Contact, AppError> {
    let (current, author) = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if author != Some(user.id) {
        return Err(NOT_YOUR_CONTACT.error());
    }
    check_window(&current)?;
    let valid = input.validate().map_err(AppError::validation)?;
    let Some(version) = input.version else {
        return Err(AppError::validation(FieldErrors::from([(
            "version".to_owned(),
            FieldError::new("error.required"),
        )])));
    };
    if let Some(raised) = current.concern_category
        && valid.concern.as_ref().map(|(c, d)| (*c, d.as_str()))
            != Some((raised, current.concern_detail.as_deref().unwrap_or("")))
    {
        return Err(CONCERN_KEPT.error());
    }
    check_date(&valid, &pairing(db, user, current.pairing_id).await?)?;
    let mut tx = db.begin().await?;
    if !store::update(&mut tx, id, &valid, version).await? {
        return Err(AppError::Stale {
            current: serde_json::to_value(&current).unwrap_or_default(),
        });
    }
    let mut changed = Vec::new();
    if valid.contacted_on != current.contacted_on {
        changed.push("contacted_on");
    }
    if valid.mode != current.mode {
        changed.push("mode");
    }
    if valid.duration_minutes != current.duration_minutes {
        changed.push("duration_minutes");
    }
    if (valid.outcome, valid.not_reached_reason) != (current.outcome, current.not_reached_reason) {
        changed.push("outcome");
    }
    if valid.topics != current.topics {
        changed.push("topics");
    }
    if valid.note != current.note {
        changed.push("note");
    }
    if valid.concern.is_some() && current.concern_category.is_none() {
        changed.push("concern_category");
    }
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "contact", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": changed })),
    )
    .await?;
    tx.commit().await?;
    found(db, user, id).await
}

/// Staff (or the station's manager) have read a contact: the volunteer sees her work was read.
pub async fn mark_seen(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Contact, AppError> {
    found(db, user, id).await?;
    store::mark_seen(db, id, user.id).await?;
    found(db, user, id).await
}

/// Staff resolve an open concern with a note (audited).
#[tracing::instrument(skip_all)]
pub async fn resolve(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    resolution: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<Contact, AppError> {
    let (current, _) = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let resolution = crate::domain::text::long_required(resolution.unwrap_or(""), 2000)
        .map_err(|e| AppError::validation(FieldErrors::from([("resolution".to_owned(), e)])))?;
    if current.concern_category.is_none() {
        return Err(NO_CONCERN.error());
    }
    let mut tx = db.begin().await?;
    if !store::resolve(&mut tx, id, user.id, &resolution).await? {
        return Err(CONCERN_RESOLVED.error());
    }
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "contact", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": ["concern_resolution"] })),
    )
    .await?;
    tx.commit().await?;
    found(db, user, id).await
}
