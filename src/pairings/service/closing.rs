//! Closing a pairing: the child returns to waiting for a pairing (at its head when she is to be
//! paired again first). A closure for a safeguarding concern suspends the pairing at once — the
//! volunteer loses the child and logs nothing more — and takes effect when a second person
//! confirms it; cancelled, the pairing runs again.

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::super::model::{CloseInput, ClosureReason, Pairing, PairingStatus};
use super::super::rules::{
    ENDED_BEFORE_START, PAIRING_CLOSED, PAIRING_NOT_SUSPENDED, PAIRING_SUSPENDED,
    SECOND_PERSON_NEEDED,
};
use super::super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::i18n::Lang;
use crate::web::error::AppError;

/// Closes a pairing; the child returns to waiting for a pairing.
#[tracing::instrument(skip_all)]
pub async fn close(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &CloseInput,
    ip: Option<IpAddr>,
    lang: Lang,
) -> Result<Pairing, AppError> {
    let mut tx = db.begin().await?;
    // Out of scope is 404 whatever the input: nobody learns a pairing exists by a 422.
    let (status, started_on, version) = store::lock_for_closing(&mut tx, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let closing = input.validate().map_err(AppError::validation)?;
    if version != closing.version {
        tx.rollback().await?;
        let current = super::find(db, user, id, lang).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(current).unwrap_or_default(),
        });
    }
    match status {
        PairingStatus::Closed => return Err(PAIRING_CLOSED.error()),
        PairingStatus::Suspended => return Err(PAIRING_SUSPENDED.error()),
        PairingStatus::Active => {}
    }
    if closing.ended_on < started_on {
        return Err(ENDED_BEFORE_START.error());
    }
    let becomes = if closing.reason == ClosureReason::SafeguardingConcern {
        PairingStatus::Suspended
    } else {
        PairingStatus::Closed
    };
    store::close(&mut tx, id, &closing, becomes, user.id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "pairing", Some(id), ip).with_detail(serde_json::json!({
            "fields": ["status", "ended_on", "closure_reason", "closure_note",
                       "closing_talk_child", "closing_talk_guardian", "closure_decided_by",
                       "re_pair"],
            "status": becomes.as_str(),
            "closure_reason": closing.reason.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    super::find(db, user, id, lang).await
}

/// What a second person does with a suspended pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suspension {
    /// The safeguarding closure takes effect.
    Confirm,
    /// The pairing runs again.
    Cancel,
}

/// Confirms or cancels the safeguarding closure of a suspended pairing in the caller's scope
/// (audited), by someone other than the person who suspended it.
pub async fn settle_suspension(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    what: Suspension,
    ip: Option<IpAddr>,
    lang: Lang,
) -> Result<Pairing, AppError> {
    let mut tx = db.begin().await?;
    let (status, _, _) = store::lock_for_closing(&mut tx, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if status != PairingStatus::Suspended {
        return Err(PAIRING_NOT_SUSPENDED.error());
    }
    // Neither confirmed nor cancelled by the one who suspended it: a second person decides.
    if store::suspended_by(&mut tx, id).await? == Some(user.id) {
        return Err(SECOND_PERSON_NEEDED.error());
    }
    let action = match what {
        Suspension::Confirm => {
            store::confirm_closing(&mut tx, id, user.id).await?;
            "confirm_closing"
        }
        Suspension::Cancel => {
            store::cancel_closing(&mut tx, id).await?;
            "cancel_closing"
        }
    };
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "pairing", Some(id), ip).with_detail(serde_json::json!({
            "fields": ["status"],
            "action": action,
        })),
    )
    .await?;
    tx.commit().await?;
    super::find(db, user, id, lang).await
}

/// Closes every active pairing of a child (`child`) or of a volunteer (`volunteer`) on `on`,
/// inside the caller's transaction, for a reason the closing follows from (a withdrawn consent,
/// an exit before anonymising), and audits each; returns the pairings closed. The caller has
/// already checked that the person is in scope.
pub async fn close_all_in(
    tx: &mut sqlx::PgConnection,
    user: Option<&CurrentUser>,
    person: (Option<Uuid>, Option<Uuid>),
    on: time::Date,
    reason: ClosureReason,
    ip: Option<IpAddr>,
) -> Result<Vec<Uuid>, AppError> {
    let closed = store::close_active(tx, person, on, reason).await?;
    for pairing in &closed {
        let entry = match user {
            Some(user) => Entry::by(user, Action::Update, "pairing", Some(*pairing), ip),
            None => Entry::system(Action::Update, "pairing", Some(*pairing)),
        };
        audit::record(
            &mut *tx,
            entry.with_detail(serde_json::json!({
                "fields": ["status", "ended_on", "closure_reason"],
                "closure_reason": reason.as_str(),
            })),
        )
        .await?;
    }
    Ok(closed)
}
