//! Transfers: a child or a volunteer moves to a station of another county. Her residence moves
//! with her (into the new station's county, the children's and volunteers' rule), the pairings
//! she had end with the reason `transferred`, and a transferred child waits for a pairing at her
//! new station. Only a user whose scope reaches her and the new station transfers: the route is
//! for federation staff, and a county's staff reach neither another county's children nor its
//! stations (404, as any record out of scope).

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::super::model::{ClosureReason, Transfer, TransferInput};
use super::super::rules::{PAIRING_SUSPENDED, TRANSFER_SAME_STATION};
use super::super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::children::service::ChildDetail;
use crate::crypto::Cipher;
use crate::stations::model::Station;
use crate::volunteers::model::Volunteer;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// Transfers a child; answers her record as `GET /api/v1/children/{id}` does.
#[tracing::instrument(skip_all)]
pub async fn child(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    input: &TransferInput,
    ip: Option<IpAddr>,
) -> Result<ChildDetail, AppError> {
    let now = crate::children::service::detail(db, cipher, user, id).await?;
    let person = Person {
        kind: Kind::Child,
        id,
        station: Some(now.child.station_id),
    };
    let moved = transfer(db, user, person, input, ip).await?;
    let current = crate::children::service::detail(db, cipher, user, id).await?;
    answer(moved, current)
}

/// Transfers a volunteer; answers her record as `GET /api/v1/volunteers/{id}` does.
#[tracing::instrument(skip_all)]
pub async fn volunteer(
    db: &PgPool,
    cipher: &Cipher,
    user: &CurrentUser,
    id: Uuid,
    input: &TransferInput,
    ip: Option<IpAddr>,
) -> Result<Volunteer, AppError> {
    let now = crate::volunteers::service::detail(db, cipher, user, id).await?;
    let person = Person {
        kind: Kind::Volunteer,
        id,
        station: now.station_id,
    };
    let moved = transfer(db, user, person, input, ip).await?;
    let current = crate::volunteers::service::detail(db, cipher, user, id).await?;
    answer(moved, current)
}

/// The record after a transfer, or, when the copy the caller sent was stale, 409 with it.
fn answer<T: serde::Serialize>(moved: bool, current: T) -> Result<T, AppError> {
    if moved {
        return Ok(current);
    }
    Err(AppError::Stale {
        current: serde_json::to_value(current).map_err(anyhow::Error::from)?,
    })
}

/// The child or volunteer a transfer moves, and the station she leaves (a volunteer may have
/// none).
struct Person {
    kind: Kind,
    id: Uuid,
    station: Option<Uuid>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Child,
    Volunteer,
}

/// One transfer, in one transaction: the person moves (nothing happens, and the answer is
/// `false`, when the caller's copy is stale), the pairings she had close, and the trail records
/// it for both counties — the event written before the move is filed under the county she
/// leaves, the one after under the county she joins.
async fn transfer(
    db: &PgPool,
    user: &CurrentUser,
    person: Person,
    input: &TransferInput,
    ip: Option<IpAddr>,
) -> Result<bool, AppError> {
    let (transfer, station) = check(db, user, input, person.station).await?;
    let (entity, child, volunteer) = match person.kind {
        Kind::Child => ("child", Some(person.id), None),
        Kind::Volunteer => ("volunteer", None, Some(person.id)),
    };
    let event = |leg: &str, closed: &[Uuid]| {
        Entry::by(user, Action::Update, entity, Some(person.id), ip).with_detail(
            serde_json::json!({
                "fields": ["station_id", "region_code"],
                "transfer": leg,
                "transferred_from": person.station,
                "transferred_to": transfer.station_id,
                "closed_pairings": closed,
            }),
        )
    };
    let mut tx = db.begin().await?;
    audit::record(&mut *tx, event("out", &[])).await?;
    // A pairing suspended for a safeguarding concern is settled (confirmed or cancelled) first:
    // a transfer would close it unconfirmed.
    if store::has_suspended(&mut tx, (child, volunteer)).await? {
        return Err(PAIRING_SUSPENDED.error());
    }
    let to = (station.id, station.region_code.as_str());
    let (version, region) = (transfer.version, transfer.region_code.as_str());
    let moved = match person.kind {
        Kind::Child => {
            crate::children::service::move_to(&mut tx, person.id, version, to, region).await?
        }
        Kind::Volunteer => {
            crate::volunteers::service::move_to(&mut tx, person.id, version, to, region).await?
        }
    };
    if !moved {
        tx.rollback().await?;
        return Ok(false);
    }
    let today = crate::domain::today();
    let closed = store::close_active(
        &mut tx,
        (child, volunteer),
        today,
        ClosureReason::Transferred,
    )
    .await?;
    audit::record(&mut *tx, event("in", &closed)).await?;
    for pairing in &closed {
        audit::record(
            &mut *tx,
            Entry::by(user, Action::Update, "pairing", Some(*pairing), ip).with_detail(
                serde_json::json!({
                    "fields": ["status", "ended_on", "closure_reason"],
                    "closure_reason": "transferred",
                }),
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Checks the input: the new station is one the user reaches (404 otherwise, whether missing or
/// out of scope), is not her own, and the new residence is a known region in the user's scope.
/// That it lies in the station's county is the moving area's rule, checked as she moves.
async fn check(
    db: &PgPool,
    user: &CurrentUser,
    input: &TransferInput,
    from: Option<Uuid>,
) -> Result<(Transfer, Station), AppError> {
    let transfer = input.validate().map_err(AppError::validation)?;
    let station = crate::stations::service::find(db, &user.scope, transfer.station_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if from == Some(station.id) {
        return Err(TRANSFER_SAME_STATION.error());
    }
    let region = transfer.region_code.as_str();
    let problem = if user.region_code.is_some() && !user.scope.covers_region(region) {
        Some("error.region_outside_scope")
    } else if crate::regions::service::find(db, &transfer.region_code)
        .await?
        .is_none()
    {
        Some("error.region_unknown")
    } else {
        None
    };
    if let Some(key) = problem {
        return Err(AppError::validation(FieldErrors::from([(
            "region_code".to_owned(),
            FieldError::new(key),
        )])));
    }
    Ok((transfer, station))
}
