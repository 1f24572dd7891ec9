//! A child's guardians and their consents: adding them, withdrawing a consent, and the one
//! answer to whether a consent is in force.

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::children::model::{Consent, ConsentInput, ConsentScope, Guardian, GuardianInput};
use crate::children::rules::ALREADY_WITHDRAWN;
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

/// Records the withdrawal of a consent (the record stays).
pub async fn withdraw(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    on: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<Consent, AppError> {
    let consent = store::consent(db, id).await?.ok_or(AppError::NotFound)?;
    store::find(db, cipher, &user.scope, consent.child_id)
        .await?
        .ok_or(AppError::NotFound)?;
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
    let mut tx = db.begin().await?;
    if !store::withdraw(&mut tx, id, on).await? {
        return Err(ALREADY_WITHDRAWN.error());
    }
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "consent", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": ["withdrawn_on"] })),
    )
    .await?;
    tx.commit().await?;
    store::consent(db, id).await?.ok_or(AppError::NotFound)
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
