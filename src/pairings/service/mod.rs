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

use super::model::{Filter, OwnPairing, Pairing, PairingView, WaitingChild};
use super::read;
use crate::auth::{CurrentUser, Role};
use crate::contacts::model::Contact;
use crate::i18n::Lang;
use crate::web::error::AppError;

pub use batch::{BatchChoices, BatchVolunteer, batch, batch_choices};
pub use closing::{Suspension, close, close_all_in, settle_suspension};
pub use matching::{ChildToPair, Proximity, Suggestion, child_to_pair, suggestions};
pub use pairing::create;

/// A pairing in the caller's scope.
pub async fn find(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    lang: Lang,
) -> Result<Pairing, AppError> {
    read::find(db, &user.scope, id, crate::domain::today(), lang)
        .await?
        .ok_or(AppError::NotFound)
}

/// A pairing as its reader may see it: the whole record, or, for the pairing's volunteer, what
/// her portal shows (an active pairing of hers; the child's given name; no closing).
pub async fn view(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    lang: Lang,
) -> Result<PairingView, AppError> {
    Ok(shown_to(user, find(db, user, id, lang).await?))
}

/// A page of the pairings in the caller's scope as she may see them, and their total.
pub async fn view_list(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    page: (i64, i64),
    lang: Lang,
) -> Result<(Vec<PairingView>, i64), AppError> {
    if user.role == Role::Volunteer
        && let Some(q) = &filter.q
    {
        return own_matching(db, user, filter, q, page, lang).await;
    }
    let (items, total) = list(db, user, filter, page, lang).await?;
    let items = items.into_iter().map(|p| shown_to(user, p)).collect();
    Ok((items, total))
}

/// A volunteer's search: the names she may see (the child's given name, her own), so that a
/// family name she is not shown cannot be confirmed by searching for it. Her active pairings
/// are few (her capacity), so they are matched here.
async fn own_matching(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    q: &str,
    (limit, offset): (i64, i64),
    lang: Lang,
) -> Result<(Vec<PairingView>, i64), AppError> {
    let unsearched = Filter {
        q: None,
        ..filter.clone()
    };
    let q = q.to_lowercase();
    let (all, _) = list(db, user, &unsearched, (i64::from(i16::MAX), 0), lang).await?;
    let matching: Vec<OwnPairing> = all
        .into_iter()
        .map(OwnPairing::from)
        .filter(|p| {
            p.child_name.to_lowercase().contains(&q) || p.volunteer_name.to_lowercase().contains(&q)
        })
        .collect();
    let total = matching.len() as i64;
    let items = matching
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(0))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(PairingView::Own)
        .collect();
    Ok((items, total))
}

/// The whole list for a spreadsheet: staff's and station managers' only (a volunteer reads her
/// pairings one by one, as her portal shows them).
pub async fn export(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    max_rows: i64,
    lang: Lang,
) -> Result<Vec<Pairing>, AppError> {
    if user.role == Role::Volunteer {
        return Err(AppError::Forbidden("forbidden"));
    }
    Ok(list(db, user, filter, (max_rows, 0), lang).await?.0)
}

fn shown_to(user: &CurrentUser, pairing: Pairing) -> PairingView {
    if user.role == Role::Volunteer {
        PairingView::Own(OwnPairing::from(pairing))
    } else {
        PairingView::Full(pairing)
    }
}

/// The pairings of `ids` that the caller reaches, in that order.
pub async fn find_all(
    db: &PgPool,
    user: &CurrentUser,
    ids: &[Uuid],
    lang: Lang,
) -> Result<Vec<Pairing>, AppError> {
    let today = crate::domain::today();
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(p) = read::find(db, &user.scope, *id, today, lang).await? {
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
    lang: Lang,
) -> Result<(Pairing, Vec<Contact>), AppError> {
    let pairing = find(db, user, id, lang).await?;
    let contacts = crate::contacts::service::of_pairing(db, user, id).await?;
    Ok((pairing, contacts))
}

/// A page of the pairings in the caller's scope, and their total.
pub async fn list(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    (limit, offset): (i64, i64),
    lang: Lang,
) -> Result<(Vec<Pairing>, i64), AppError> {
    let today = crate::domain::today();
    Ok(read::list(db, &user.scope, filter, (limit, offset), (today, lang)).await?)
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
