//! A consent's withdrawal and what follows from it, in one transaction: without a pairing
//! consent in force the child's active pairing ends (`consent_withdrawn`, the volunteer no
//! longer sees her); without a registration consent in force a deletion request is opened for
//! the staff to carry out. Each effect is audited.

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::super::model::{Channel, RequestKind, RequesterRelation, Subject, ValidRequest};
use super::super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::children::model::{Consent, ConsentScope, Relation};
use crate::crypto::Cipher;
use crate::domain::pairing::ClosureReason;
use crate::web::error::AppError;

/// Withdraws a consent of a child in scope (today, or on the day given) with its effects.
pub async fn withdraw_consent(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    on: Option<&str>,
    due_days: u16,
    ip: Option<IpAddr>,
) -> Result<Consent, AppError> {
    let consent = crate::children::service::consent_in_scope(db, cipher, user, id).await?;
    let on = crate::children::service::withdrawal_day(&consent, on)?;
    let child = consent.child_id;
    let mut tx = db.begin().await?;
    // The child first, as a pairing takes her: a pairing made meanwhile is either seen and
    // closed here, or made after this withdrawal and refused for want of a consent; two
    // withdrawals at once each see the other's.
    crate::children::service::lock_in(&mut tx, child).await?;
    crate::children::service::withdraw_in(&mut tx, user, &consent, on, ip).await?;
    let today = crate::domain::today();
    let still =
        crate::children::service::has_current_consent(&mut *tx, child, consent.scope, today)
            .await?;
    if !still {
        match consent.scope {
            ConsentScope::Pairing => {
                crate::pairings::service::close_all_in(
                    &mut tx,
                    Some(user),
                    (Some(child), None),
                    on,
                    ClosureReason::ConsentWithdrawn,
                    ip,
                )
                .await?;
            }
            ConsentScope::Registration => {
                let guardian = crate::children::service::detail(db, cipher, user, child)
                    .await?
                    .guardians
                    .into_iter()
                    .find(|g| g.id == consent.guardian_id);
                let request = ValidRequest {
                    kind: RequestKind::Deletion,
                    subject: Subject::Child(child),
                    requester_name: consent.guardian_name.clone(),
                    requester_relation: guardian
                        .map_or(RequesterRelation::Other, |g| relation(g.relation)),
                    channel: Channel::InPerson,
                    received_on: on,
                    identity_check: None,
                    note: None,
                };
                let due_on = on + time::Duration::days(i64::from(due_days));
                let request_id =
                    store::insert(&mut tx, &request, due_on, Some(consent.id), user.id).await?;
                audit::record(
                    &mut *tx,
                    Entry::by(user, Action::Create, "data_request", Some(request_id), ip)
                        .with_detail(serde_json::json!({
                            "kind": "deletion",
                            "child_id": child,
                            "consent_id": consent.id,
                        })),
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    crate::children::service::consent(db, id).await
}

/// The requester's relation of a guardian.
fn relation(r: Relation) -> RequesterRelation {
    match r {
        Relation::Father => RequesterRelation::Father,
        Relation::Mother => RequesterRelation::Mother,
        Relation::Grandfather => RequesterRelation::Grandfather,
        Relation::Grandmother => RequesterRelation::Grandmother,
        Relation::Relative => RequesterRelation::Relative,
        Relation::Other => RequesterRelation::Other,
    }
}
