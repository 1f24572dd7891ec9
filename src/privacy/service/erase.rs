//! Erasing a person: the one operation that a deletion request and the retention run share.
//! A child still in the programme first leaves it (her active pairing closed), a volunteer
//! first withdraws (her pairings closed); then her values are erased, in the same transaction,
//! and what the federation counts stays.

use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

use super::super::model::Subject;
use super::super::store;
use crate::children::model::ExitReason;
use crate::domain::pairing::ClosureReason;
use crate::web::error::AppError;

/// Why a person is erased: the audit trail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// A deletion request (a guardian's, or a volunteer's own).
    Request,
    /// Her time was up: exited, grown up or withdrawn longer ago than the retention period.
    Retention,
}

impl Why {
    fn as_str(self) -> &'static str {
        match self {
            Why::Request => "deletion_request",
            Why::Retention => "retention",
        }
    }

    fn exit_reason(self) -> ExitReason {
        match self {
            Why::Request => ExitReason::GuardianRequest,
            Why::Retention => ExitReason::AgedOut,
        }
    }

    fn closure_reason(self, subject: Subject) -> ClosureReason {
        match (self, subject) {
            (_, Subject::Volunteer(_)) => ClosureReason::VolunteerWithdrew,
            (Why::Request, Subject::Child(_)) => ClosureReason::GuardianRequest,
            (Why::Retention, Subject::Child(_)) => ClosureReason::ChildAgedOut,
        }
    }
}

/// Locks the person's row for the rest of the caller's transaction. Every transaction that
/// erases her, or answers a request about her, takes it first: they follow one another instead
/// of deadlocking over her pairings and requests.
pub async fn lock_subject(tx: &mut PgConnection, subject: Subject) -> Result<bool, AppError> {
    match subject {
        Subject::Child(id) => crate::children::service::lock_in(tx, id).await,
        Subject::Volunteer(id) => crate::volunteers::service::lock_in(tx, id).await,
    }
}

/// Erases `subject` in the caller's transaction, as of `today`; false when she already was.
pub async fn erase_in(
    tx: &mut PgConnection,
    actor: crate::children::service::Actor<'_>,
    subject: Subject,
    why: Why,
    today: Date,
) -> Result<bool, AppError> {
    lock_subject(tx, subject).await?;
    let (user, ip) = match actor {
        Some((user, ip)) => (Some(user), ip),
        None => (None, None),
    };
    crate::pairings::service::close_all_in(
        tx,
        user,
        subject.ids(),
        today,
        why.closure_reason(subject),
        ip,
    )
    .await?;
    let (kind, id, done) = match subject {
        Subject::Child(id) => {
            crate::children::service::exit_in(tx, actor, id, why.exit_reason(), today).await?;
            let done = crate::children::service::anonymise_in(tx, actor, id, why.as_str()).await?;
            ("child", id, done)
        }
        Subject::Volunteer(id) => {
            crate::volunteers::service::withdraw_in(tx, actor, id).await?;
            let done =
                crate::volunteers::service::anonymise_in(tx, actor, id, why.as_str()).await?;
            ("volunteer", id, done)
        }
    };
    if done {
        store::log_erasure(tx, kind, id, why.as_str(), today).await?;
        crate::auth::idempotency::forget(tx, id).await?;
    }
    Ok(done)
}

/// One line of the erasure log: who was erased (by record id only), why, on which day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Erasure {
    /// `child` or `volunteer`.
    pub kind: String,
    /// The record's id.
    pub id: Uuid,
    /// `deletion_request` or `retention`.
    pub why: String,
    /// The day she was erased.
    pub on: Date,
}

/// The erasure log, oldest first, and the number of its newest entry.
pub async fn log(db: &PgPool) -> Result<(Vec<Erasure>, i64), AppError> {
    let last = store::last_erasure(db).await?;
    let entries = store::erasures(db)
        .await?
        .into_iter()
        .map(|(kind, id, why, on)| Erasure { kind, id, why, on })
        .collect();
    Ok((entries, last))
}

/// The number of the newest entry of the erasure log (0 when empty).
pub async fn last_logged(db: &PgPool) -> Result<i64, AppError> {
    Ok(store::last_erasure(db).await?)
}

/// What re-applying an erasure log did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reapplied {
    /// People erased again (a backup made before their erasure brought them back).
    pub erased: usize,
    /// Entries already in effect.
    pub already: usize,
    /// Entries naming a record the database does not hold (registered after the backup).
    pub missing: usize,
}

/// Erases again everyone `entries` names who is not erased in `db` — after a restore of a
/// backup older than their erasure — as of the day each was erased, each in a transaction of
/// its own. Written in the trail with no actor.
pub async fn reapply(db: &PgPool, entries: &[Erasure]) -> Result<Reapplied, AppError> {
    let mut done = Reapplied::default();
    for entry in entries {
        let subject = match entry.kind.as_str() {
            "child" => Subject::Child(entry.id),
            _ => Subject::Volunteer(entry.id),
        };
        let why = match entry.why.as_str() {
            "retention" => Why::Retention,
            _ => Why::Request,
        };
        let mut tx = db.begin().await?;
        lock_subject(&mut tx, subject).await?;
        match store::anonymised(&mut tx, &entry.kind, entry.id).await? {
            None => done.missing += 1,
            Some(true) => done.already += 1,
            Some(false) => {
                erase_in(&mut tx, None, subject, why, entry.on).await?;
                done.erased += 1;
            }
        }
        tx.commit().await?;
    }
    Ok(done)
}
