//! Closing a pairing: the child returns to waiting for a pairing.

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::super::model::{CloseInput, ClosureReason, Pairing, PairingStatus};
use super::super::rules::{ENDED_BEFORE_START, PAIRING_CLOSED};
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
    if status == PairingStatus::Closed {
        return Err(PAIRING_CLOSED.error());
    }
    if closing.ended_on < started_on {
        return Err(ENDED_BEFORE_START.error());
    }
    store::close(&mut tx, id, &closing).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "pairing", Some(id), ip).with_detail(serde_json::json!({
            "fields": ["status", "ended_on", "closure_reason", "closure_note"],
            "closure_reason": closing.reason.as_str(),
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
