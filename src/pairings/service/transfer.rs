//! Transfers: a child or a volunteer moves to a station of another county. Her residence moves
//! with her (into the new station's county, the children's and volunteers' rule), the pairings
//! she had end with the reason `transferred`, and a transferred child waits for a pairing at her
//! new station. Only a user whose scope reaches her and the new station transfers: the route is
//! for federation staff, and a county's staff reach neither another county's children nor its
//! stations (404, as any record out of scope).

use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::super::model::{Transfer, TransferInput};
use super::super::rules::TRANSFER_SAME_STATION;
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
    let (transfer, station) = check(db, user, input, Some(now.child.station_id)).await?;
    let mut tx = db.begin().await?;
    let moved = crate::children::service::move_to(
        &mut tx,
        id,
        transfer.version,
        (station.id, &station.region_code),
        transfer.region_code.as_str(),
    )
    .await?;
    if !moved {
        tx.rollback().await?;
        let current = crate::children::service::detail(db, cipher, user, id).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(current).map_err(anyhow::Error::from)?,
        });
    }
    let closed = store::close_for_transfer(&mut tx, Some(id), None, crate::domain::today()).await?;
    record(
        &mut tx,
        user,
        ("child", id),
        (now.child.station_id, &transfer),
        &closed,
        ip,
    )
    .await?;
    tx.commit().await?;
    crate::children::service::detail(db, cipher, user, id).await
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
    let (transfer, station) = check(db, user, input, now.station_id).await?;
    let mut tx = db.begin().await?;
    let moved = crate::volunteers::service::move_to(
        &mut tx,
        id,
        transfer.version,
        (station.id, &station.region_code),
        transfer.region_code.as_str(),
    )
    .await?;
    if !moved {
        tx.rollback().await?;
        let current = crate::volunteers::service::detail(db, cipher, user, id).await?;
        return Err(AppError::Stale {
            current: serde_json::to_value(current).map_err(anyhow::Error::from)?,
        });
    }
    let closed = store::close_for_transfer(&mut tx, None, Some(id), crate::domain::today()).await?;
    let from = now.station_id.unwrap_or(station.id);
    record(
        &mut tx,
        user,
        ("volunteer", id),
        (from, &transfer),
        &closed,
        ip,
    )
    .await?;
    tx.commit().await?;
    crate::volunteers::service::detail(db, cipher, user, id).await
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

/// The audit trail of a transfer: the person moved, and each pairing it closed.
async fn record(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    (entity, id): (&'static str, Uuid),
    (from, transfer): (Uuid, &Transfer),
    closed: &[Uuid],
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, entity, Some(id), ip).with_detail(serde_json::json!({
            "fields": ["station_id", "region_code"],
            "transferred_from": from,
            "transferred_to": transfer.station_id,
            "closed_pairings": closed,
        })),
    )
    .await?;
    for pairing in closed {
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
    Ok(())
}
