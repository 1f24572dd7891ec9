//! A child's guardians and their consents: adding them, withdrawing a consent, and the one
//! answer to whether a consent is in force.

use std::net::IpAddr;

use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::children::model::{
    Consent, ConsentInput, ConsentScope, Guardian, GuardianInput, GuardianPatch,
};
use crate::children::rules::{ALREADY_WITHDRAWN, GUARDIAN_GIVES_CONSENT};
use crate::children::store;
use crate::crypto::Cipher;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// Adds a guardian to a child in scope.
pub async fn add_guardian(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    child: Uuid,
    input: &GuardianInput,
    ip: Option<IpAddr>,
) -> Result<Guardian, AppError> {
    store::find(db, cipher, &user.scope, child)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let guardian = input.validate("", &mut errors);
    let (Some(guardian), true) = (guardian, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let mut tx = db.begin().await?;
    let id = store::insert_guardian(&mut tx, child, &guardian).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "guardian", Some(id), ip)
            .with_detail(serde_json::json!({ "child_id": child })),
    )
    .await?;
    tx.commit().await?;
    store::guardians(db, child)
        .await?
        .into_iter()
        .map(|(g, _)| g)
        .find(|g| g.id == id)
        .ok_or(AppError::NotFound)
}

/// Records a guardian's consent for a child in scope.
pub async fn add_consent(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    child: Uuid,
    input: &ConsentInput,
    ip: Option<IpAddr>,
) -> Result<Consent, AppError> {
    store::find(db, cipher, &user.scope, child)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let guardians = store::guardians(db, child).await?;
    let guardian = input
        .guardian_id
        .as_deref()
        .and_then(|g| Uuid::parse_str(g.trim()).ok())
        .filter(|g| guardians.iter().any(|(x, _)| x.id == *g));
    if guardian.is_none() {
        errors.insert(
            "guardian_id".into(),
            FieldError::new("error.guardian_of_child"),
        );
    }
    let consent = input.validate("", None, &mut errors);
    let (Some(guardian), Some(consent), true) = (guardian, consent, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    let mut tx = db.begin().await?;
    let id = store::insert_consent(&mut tx, child, guardian, &consent).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "consent", Some(id), ip)
            .with_detail(serde_json::json!({ "child_id": child, "scope": consent.scope.as_str() })),
    )
    .await?;
    tx.commit().await?;
    store::consent(db, id).await?.ok_or(AppError::NotFound)
}

/// A consent of a child in scope (404 otherwise).
pub async fn consent_in_scope(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
) -> Result<Consent, AppError> {
    let consent = store::consent(db, id).await?.ok_or(AppError::NotFound)?;
    store::find(db, cipher, &user.scope, consent.child_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(consent)
}

/// The day a withdrawal of `consent` takes effect: the one given (no later than today, no
/// earlier than the consent), or today.
pub fn withdrawal_day(consent: &Consent, on: Option<&str>) -> Result<Date, AppError> {
    let on = match on.map(str::trim).filter(|o| !o.is_empty()) {
        None => crate::domain::today(),
        Some(text) => crate::domain::past_date(text).map_err(|e| {
            AppError::validation(FieldErrors::from([("withdrawn_on".to_owned(), e)]))
        })?,
    };
    if on < consent.given_on {
        return Err(AppError::validation(FieldErrors::from([(
            "withdrawn_on".to_owned(),
            FieldError::new("error.withdrawn_before_given"),
        )])));
    }
    Ok(on)
}

/// Records the withdrawal of a consent (the record stays) in the caller's transaction, where
/// its effects follow; a second withdrawal is refused.
pub async fn withdraw_in(
    tx: &mut PgConnection,
    user: &CurrentUser,
    consent: &Consent,
    on: Date,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    if !store::withdraw(tx, consent.id, on).await? {
        return Err(ALREADY_WITHDRAWN.error());
    }
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "consent", Some(consent.id), ip).with_detail(
            serde_json::json!({ "fields": ["withdrawn_on"], "scope": consent.scope.as_str() }),
        ),
    )
    .await?;
    Ok(())
}

/// A consent as it is now.
pub async fn consent(db: &PgPool, id: Uuid) -> Result<Consent, AppError> {
    store::consent(db, id).await?.ok_or(AppError::NotFound)
}

/// The child of a guardian still on the record.
pub async fn guardian_child(db: &PgPool, id: Uuid) -> Result<Uuid, AppError> {
    store::guardian_child(db, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The child of a guardian still on the record, when the child is in the user's scope.
async fn guardian_in_scope(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
) -> Result<Uuid, AppError> {
    let child = store::guardian_child(db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    store::find(db, cipher, &user.scope, child)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(child)
}

/// A guardian as the API shows her.
async fn guardian(db: &PgPool, child: Uuid, id: Uuid) -> Result<Guardian, AppError> {
    store::guardians(db, child)
        .await?
        .into_iter()
        .map(|(g, _)| g)
        .find(|g| g.id == id)
        .ok_or(AppError::NotFound)
}

/// Edits a guardian of a child in scope: her name, relation, phone and whether the paired
/// volunteer sees it (unticked, the volunteer no longer does, from the next page she opens). A
/// stale version is a 409 with the guardian as she is.
pub async fn update_guardian(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    patch: &GuardianPatch,
    ip: Option<IpAddr>,
) -> Result<Guardian, AppError> {
    let child = guardian_in_scope(db, cipher, user, id).await?;
    let Some(version) = patch.version else {
        return Err(AppError::validation(FieldErrors::from([(
            "version".to_owned(),
            FieldError::new("error.required"),
        )])));
    };
    let mut tx = db.begin().await?;
    let (_, now, current) = store::lock_guardian(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let new = patch.over(&now).validate("", &mut errors);
    let (Some(new), true) = (new, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    if version != current {
        drop(tx);
        let now = guardian(db, child, id).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(now).map_err(anyhow::Error::from)?,
        });
    }
    store::update_guardian(&mut tx, id, &new).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "guardian", Some(id), ip).with_detail(
            serde_json::json!({ "child_id": child, "fields": new.changed_from(&now) }),
        ),
    )
    .await?;
    tx.commit().await?;
    guardian(db, child, id).await
}

/// Removes a guardian from a child's record. Her consents stay, as evidence; while one of them
/// is in force and no other guardian gives the same, she stays (409 `guardian_gives_consent`).
pub async fn remove_guardian(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    ip: Option<IpAddr>,
) -> Result<Uuid, AppError> {
    let child = guardian_in_scope(db, cipher, user, id).await?;
    let mut tx = db.begin().await?;
    // The child first, as a withdrawal and a pairing take it: two removals at once must not
    // each count on the other's consent.
    store::lock(&mut tx, child).await?;
    store::lock_guardian(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let today = crate::domain::today();
    if !store::consents_only_she_gives(&mut tx, id, today)
        .await?
        .is_empty()
    {
        return Err(GUARDIAN_GIVES_CONSENT.error());
    }
    store::remove_guardian(&mut tx, id, today).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Delete, "guardian", Some(id), ip)
            .with_detail(serde_json::json!({ "child_id": child, "fields": ["removed_on"] })),
    )
    .await?;
    tx.commit().await?;
    Ok(child)
}

/// The one answer to "does this child have a current consent of `scope` on `on`": a guardian's
/// consent given on or before that day and not withdrawn. Every caller asks here; the
/// database's pairing trigger checks the same condition.
pub async fn has_current_consent(
    db: impl sqlx::PgExecutor<'_>,
    child: Uuid,
    scope: ConsentScope,
    on: time::Date,
) -> Result<bool, AppError> {
    Ok(store::has_current_consent(db, child, scope, on).await?)
}
