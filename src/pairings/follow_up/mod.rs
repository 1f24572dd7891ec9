//! Follow-ups: staff or a station's manager flag a contact or a check-in for follow-up — who
//! does what by when — and the person it is assigned to sees it in her list and marks it done
//! with a note. A done follow-up on a contact is the volunteer's reply: she reads its note on
//! `/me`.
//!
//! Who reaches a follow-up is who reaches its pairing (the scope, as everywhere): the assignee
//! is one of them, since a follow-up is only assigned to an active staff member whose region
//! holds the pairing's station or to a manager of that station. Anyone who reaches it may mark
//! it done (a colleague covering for the assignee too); an assignee who no longer reaches the
//! pairing (a manager moved to another station) no longer sees it. A follow-up is flagged while
//! its pairing runs; the database's `follow_up_guard` refuses the same, and `follow_up_kept`
//! keeps what was asked and lets it be done once.

pub mod model;
mod sql;

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use self::model::{DoneInput, Filter, Flagged, FollowUp, FollowUpInput};
pub use self::sql::Assignee;
use self::sql::Select;
use super::rules::{FOLLOW_UP_ASSIGNEE, FOLLOW_UP_CLOSED, FOLLOW_UP_DONE};
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::domain::pairing::PairingStatus;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// The most follow-ups a pairing's page shows.
const ON_A_PAGE: i64 = 200;

/// A page of the follow-ups the caller reaches, filtered, and how many there are.
pub async fn list(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    page: (i64, i64),
) -> Result<(Vec<FollowUp>, i64), AppError> {
    let select = Select {
        scope: &user.scope,
        id: None,
        filter,
        me: user.id,
        today: crate::domain::today(),
    };
    let (items, total) = tokio::try_join!(sql::rows(db, &select, page), sql::count(db, &select))?;
    Ok((items, total))
}

/// One follow-up the caller reaches; else 404.
pub async fn find(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<FollowUp, AppError> {
    let select = Select {
        scope: &user.scope,
        id: Some(id),
        filter: &Filter::default(),
        me: user.id,
        today: crate::domain::today(),
    };
    sql::rows(db, &select, (1, 0))
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// The follow-ups on a pairing's contacts and check-ins (its page shows each beside its entry).
pub async fn of_pairing(
    db: &PgPool,
    user: &CurrentUser,
    pairing: Uuid,
) -> Result<Vec<FollowUp>, AppError> {
    let filter = Filter {
        pairing_id: Some(pairing),
        ..Filter::default()
    };
    let (items, _) = list(db, user, &filter, (ON_A_PAGE, 0)).await?;
    Ok(items)
}

/// Whom a follow-up on this pairing may be assigned to (the pairing's page offers them).
pub async fn assignees(db: &PgPool, pairing: Uuid) -> Result<Vec<Assignee>, AppError> {
    Ok(sql::assignees(db, pairing, None).await?)
}

/// An entry the caller does not reach (or that does not exist): refused on its field.
fn unknown(entry: Flagged) -> AppError {
    let key = match entry {
        Flagged::Contact(_) => "error.contact_unknown",
        Flagged::CheckIn(_) => "error.check_in_unknown",
    };
    AppError::validation(FieldErrors::from([(
        entry.field().to_owned(),
        FieldError::new(key),
    )]))
}

/// Flags a contact or a check-in of a running pairing in the caller's scope for follow-up
/// (audited). From a pairing's page (`on`), the pairing must be in scope (else 404, whatever
/// the input) and the entry one of its own.
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    on: Option<Uuid>,
    input: &FollowUpInput,
    ip: Option<IpAddr>,
) -> Result<FollowUp, AppError> {
    if let Some(pairing) = on {
        sql::lock_pairing(db, &user.scope, pairing)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let valid = input
        .validate(crate::domain::today())
        .map_err(AppError::validation)?;
    let (pairing, ids) = match valid.entry {
        Flagged::Contact(id) => (
            crate::contacts::service::pairing_of(db, user, id).await?,
            (Some(id), None),
        ),
        Flagged::CheckIn(id) => (sql::pairing_of_check_in(db, id).await?, (None, Some(id))),
    };
    let pairing = pairing
        .filter(|p| on.is_none_or(|on| on == *p))
        .ok_or_else(|| unknown(valid.entry))?;
    let mut tx = db.begin().await?;
    let status = sql::lock_pairing(&mut *tx, &user.scope, pairing)
        .await?
        .ok_or_else(|| unknown(valid.entry))?;
    if status == PairingStatus::Closed {
        return Err(FOLLOW_UP_CLOSED.error());
    }
    if sql::assignees(&mut *tx, pairing, Some(valid.assignee_id))
        .await?
        .is_empty()
    {
        return Err(FOLLOW_UP_ASSIGNEE.error());
    }
    let id = sql::insert(&mut tx, pairing, &valid, ids, user.id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "follow_up", Some(id), ip).with_detail(serde_json::json!({
            "pairing_id": pairing,
            "contact_id": ids.0,
            "check_in_id": ids.1,
            "assignee_id": valid.assignee_id,
            "due_on": valid.due_on.to_string(),
        })),
    )
    .await?;
    tx.commit().await?;
    find(db, user, id).await
}

/// Marks a follow-up the caller reaches done with a note (audited). A stale `version` is 409
/// `stale_version` with the follow-up as it is now; one already done is 409 `follow_up_done`.
pub async fn done(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &DoneInput,
    ip: Option<IpAddr>,
) -> Result<FollowUp, AppError> {
    let mut tx = db.begin().await?;
    // Out of scope is 404 whatever the input: nobody learns a follow-up exists by a 422.
    let (is_done, version) = sql::lock(&mut tx, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (note, seen) = input.validate().map_err(AppError::validation)?;
    if seen != version {
        tx.rollback().await?;
        let current = find(db, user, id).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(current).unwrap_or_default(),
        });
    }
    if is_done {
        return Err(FOLLOW_UP_DONE.error());
    }
    sql::mark_done(&mut tx, id, &note, user.id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "follow_up", Some(id), ip).with_detail(serde_json::json!({
            "fields": ["done_at", "done_note", "done_by"],
        })),
    )
    .await?;
    tx.commit().await?;
    find(db, user, id).await
}
