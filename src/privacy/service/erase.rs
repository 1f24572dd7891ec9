//! Erasing a person: the one operation that a deletion request and the retention run share.
//! A child still in the programme first leaves it (her active pairing closed), a volunteer
//! first withdraws (her pairings closed); then her values are erased, in the same transaction,
//! and what the federation counts stays.

use sqlx::PgConnection;
use time::Date;

use super::super::model::Subject;
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
    match subject {
        Subject::Child(id) => {
            crate::children::service::exit_in(tx, actor, id, why.exit_reason(), today).await?;
            crate::children::service::anonymise_in(tx, actor, id, why.as_str()).await
        }
        Subject::Volunteer(id) => {
            crate::volunteers::service::withdraw_in(tx, actor, id).await?;
            crate::volunteers::service::anonymise_in(tx, actor, id, why.as_str()).await
        }
    }
}
