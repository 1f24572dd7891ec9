//! The end of a child's record: her exit, in a transaction of another area's (a deletion, the
//! retention run), and the anonymising that follows it.

use std::net::IpAddr;

use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::children::model::ExitReason;
use crate::children::store;
use crate::web::error::AppError;

/// Who does it: a user, or the service itself (the retention run).
pub type Actor<'a> = Option<(&'a CurrentUser, Option<IpAddr>)>;

fn entry(actor: Actor<'_>, action: Action, id: Uuid) -> Entry {
    match actor {
        Some((user, ip)) => Entry::by(user, action, "child", Some(id), ip),
        None => Entry::system(action, "child", Some(id)),
    }
}

/// Records that a child leaves the programme on `on` for `reason`, unless she already has;
/// her active pairing must be closed first. Audited when it changes her.
pub async fn exit_in(
    tx: &mut PgConnection,
    actor: Actor<'_>,
    id: Uuid,
    reason: ExitReason,
    on: Date,
) -> Result<bool, AppError> {
    let exited = store::exit(tx, id, reason, on).await?;
    if exited {
        audit::record(
            &mut *tx,
            entry(actor, Action::Update, id).with_detail(serde_json::json!({
                "fields": ["status", "exit_reason", "exited_on"],
                "exit_reason": reason.as_str(),
            })),
        )
        .await?;
    }
    Ok(exited)
}

/// Erases the values of an exited child and of her guardians (her name, ID number, phones, the
/// day of her birth, school, needs and notes; what is counted stays) and audits it, naming
/// `why` (`deletion_request`, `retention`). False when she already was anonymised.
pub async fn anonymise_in(
    tx: &mut PgConnection,
    actor: Actor<'_>,
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

/// Locks a child's row for the rest of the caller's transaction; false when there is none.
pub async fn lock_in(tx: &mut PgConnection, id: Uuid) -> Result<bool, AppError> {
    Ok(store::lock(tx, id).await?)
}
