//! The rules and transactions of pairings: what its pages and API call. Pairing, the batch
//! after an event and closing are transactions under the rules in `rules`; matching ranks the
//! volunteers for a child; the rest reads the pairing record and the waiting list.

mod batch;
mod closing;
mod matching;
mod pairing;
pub mod transfer;

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Filter, Pairing, WaitingChild};
use super::read;
use crate::auth::CurrentUser;
use crate::contacts::model::Contact;
use crate::web::error::AppError;

pub use batch::{BatchChoices, BatchVolunteer, batch, batch_choices};
pub use closing::close;
pub use matching::{ChildToPair, Proximity, Suggestion, child_to_pair, suggestions};
pub use pairing::create;

/// A pairing in the caller's scope.
pub async fn find(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    check_in_days: u16,
) -> Result<Pairing, AppError> {
    read::find(db, &user.scope, id, crate::domain::today(), check_in_days)
        .await?
        .ok_or(AppError::NotFound)
}

/// The pairings of `ids` that the caller reaches, in that order.
pub async fn find_all(
    db: &PgPool,
    user: &CurrentUser,
    ids: &[Uuid],
    check_in_days: u16,
) -> Result<Vec<Pairing>, AppError> {
    let today = crate::domain::today();
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = read::find(db, &user.scope, *id, today, check_in_days).await? {
            found.push(p);
        }
    }
    Ok(found)
}

/// The pairing record: a pairing in the caller's scope and its contacts, newest first.
pub async fn record(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    check_in_days: u16,
) -> Result<(Pairing, Vec<Contact>), AppError> {
    let pairing = find(db, user, id, check_in_days).await?;
    let contacts = crate::contacts::service::of_pairing(db, user, id).await?;
    Ok((pairing, contacts))
}

/// A page of the pairings in the caller's scope, and their total.
pub async fn list(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    (limit, offset): (i64, i64),
    check_in_days: u16,
) -> Result<(Vec<Pairing>, i64), AppError> {
    let today = crate::domain::today();
    Ok(read::list(
        db,
        &user.scope,
        filter,
        (limit, offset),
        (today, check_in_days),
    )
    .await?)
}

/// A page of the children in the caller's scope waiting for a pairing (at `station`), longest
/// wait first, and their total.
pub async fn waiting(
    db: &PgPool,
    user: &CurrentUser,
    station: Option<Uuid>,
    (limit, offset): (i64, i64),
) -> Result<(Vec<WaitingChild>, i64), AppError> {
    let today = crate::domain::today();
    Ok(read::waiting(db, &user.scope, station, (limit, offset), today).await?)
}
