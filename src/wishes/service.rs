//! The rules and transactions of this area: what its pages and API call.

use super::rules::{self, Step};
use super::{read, store};
use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{
    CancelInput, ChildRef, ClaimInput, Claimant, Filter, FulfilInput, WallWish, Wish, WishInput,
    WishStatus,
};
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::stations::model::Station;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// A page of the wishes in the user's scope that `filter` selects, open ones first, and how
/// many there are. Volunteers see their children's given names only.
pub async fn list(
    db: &PgPool,
    user: &CurrentUser,
    filter: &Filter,
    (limit, offset): (i64, i64),
) -> Result<(Vec<Wish>, i64), AppError> {
    Ok(store::list(db, &user.scope, filter, limit, offset).await?)
}

/// One wish in the user's scope.
pub async fn find(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<Wish, AppError> {
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A child in the user's scope, as the wish pages name her.
pub async fn child(db: &PgPool, user: &CurrentUser, id: Uuid) -> Result<ChildRef, AppError> {
    store::child(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// What a child's wish page shows: the child, her wishes (the first 200), and the volunteers
/// of her station a wish may be claimed for (for staff and managers; none for a volunteer).
pub async fn of_child(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
) -> Result<(ChildRef, Vec<Wish>, Vec<(Uuid, String)>), AppError> {
    let child = child(db, user, id).await?;
    let filter = Filter {
        child_id: Some(child.id),
        ..Default::default()
    };
    let (wishes, _) = list(db, user, &filter, (200, 0)).await?;
    let volunteers = if user.role != Role::Volunteer {
        let filter = crate::volunteers::service::Filter {
            station_id: Some(child.station_id),
            ..Default::default()
        };
        crate::volunteers::service::list(db, &user.scope, &filter, 500, 0)
            .await?
            .0
            .into_iter()
            .filter(|v| v.status != crate::volunteers::model::VolunteerStatus::Withdrawn)
            .map(|v| (v.id, v.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok((child, wishes, volunteers))
}

/// A station's wish wall (the station in the user's scope): open wishes, and those fulfilled
/// in the last 90 days, with the children's given names only.
pub async fn wall(
    db: &PgPool,
    user: &CurrentUser,
    station: Uuid,
) -> Result<(Station, Vec<WallWish>), AppError> {
    let station = crate::stations::service::find(db, &user.scope, station)
        .await?
        .ok_or(AppError::NotFound)?;
    let wishes = read::wall(db, station.id).await?;
    Ok((station, wishes))
}

/// Posts a wish for a child in scope who has not left the programme.
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    child: Uuid,
    input: &WishInput,
    ip: Option<IpAddr>,
) -> Result<Wish, AppError> {
    let c = self::child(db, user, child).await?;
    let w = input.validate().map_err(AppError::validation)?;
    if c.exited {
        return Err(rules::CHILD_EXITED.error());
    }
    let mut tx = db.begin().await?;
    let id = store::insert(&mut tx, child, &w, user.id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "wish", Some(id), ip)
            .with_detail(serde_json::json!({ "child_id": child })),
    )
    .await?;
    tx.commit().await?;
    find(db, user, id).await
}

/// Why a step that changed nothing was refused: a stale version, or a wish whose status does
/// not allow the step.
async fn refused(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    version: Option<i32>,
) -> Result<AppError, AppError> {
    let now = find(db, user, id).await?;
    if version.is_some_and(|v| v != now.version) {
        return Ok(AppError::Stale {
            current: serde_json::to_value(now).map_err(anyhow::Error::from)?,
        });
    }
    Ok(rules::refused(now.status))
}

/// Whom a claim names: a volunteer claims for herself; staff and managers name a volunteer in
/// their scope or a partner organization.
async fn claimant(
    db: &PgPool,
    user: &CurrentUser,
    input: &ClaimInput,
) -> Result<Claimant, AppError> {
    let named = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (volunteer, organization) = (named(&input.volunteer_id), named(&input.organization));
    let field = |name: &str, key: &'static str| {
        AppError::validation(FieldErrors::from([(name.to_owned(), FieldError::new(key))]))
    };
    if user.role == Role::Volunteer {
        let me = user.volunteer_id.ok_or(AppError::Forbidden("forbidden"))?;
        if organization.is_some() || volunteer.is_some_and(|v| v != me.to_string()) {
            return Err(field("volunteer_id", "error.volunteer_claims_herself"));
        }
        return Ok(Claimant::Volunteer(me));
    }
    match (volunteer, organization) {
        (Some(_), Some(_)) => Err(field("organization", "error.claim_one")),
        (None, None) => Err(field("organization", "error.claim_who")),
        (None, Some(org)) => {
            let org = crate::domain::text::required(&org, 100).map_err(|e| {
                AppError::validation(FieldErrors::from([("organization".to_owned(), e)]))
            })?;
            Ok(Claimant::Organization(org))
        }
        (Some(v), None) => {
            let id =
                Uuid::parse_str(&v).map_err(|_| field("volunteer_id", "error.unknown_person"))?;
            let reachable = crate::volunteers::service::find(db, &user.scope, id)
                .await?
                .is_some_and(|row| {
                    row.status() != crate::volunteers::model::VolunteerStatus::Withdrawn
                });
            if !reachable {
                return Err(field("volunteer_id", "error.unknown_person"));
            }
            Ok(Claimant::Volunteer(id))
        }
    }
}

async fn audit_step(
    tx: &mut sqlx::PgConnection,
    user: &CurrentUser,
    id: Uuid,
    fields: &[&str],
    status: WishStatus,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Update, "wish", Some(id), ip)
            .with_detail(serde_json::json!({ "fields": fields, "status": status.as_str() })),
    )
    .await?;
    Ok(())
}

/// Claims a posted wish.
pub async fn claim(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &ClaimInput,
    ip: Option<IpAddr>,
) -> Result<Wish, AppError> {
    find(db, user, id).await?;
    let by = claimant(db, user, input).await?;
    let mut tx = db.begin().await?;
    if !store::claim(&mut tx, id, input.version, &by, crate::domain::today()).await? {
        drop(tx);
        return Err(refused(db, user, id, input.version).await?);
    }
    let fields: &[&str] = match by {
        Claimant::Volunteer(_) => &["status", "claimed_by", "claimed_on"],
        Claimant::Organization(_) => &["status", "claimed_by_organization", "claimed_on"],
    };
    audit_step(&mut tx, user, id, fields, Step::Claim.to(), ip).await?;
    tx.commit().await?;
    find(db, user, id).await
}

/// Records that the child received a claimed wish.
pub async fn fulfil(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &FulfilInput,
    ip: Option<IpAddr>,
) -> Result<Wish, AppError> {
    let wish = find(db, user, id).await?;
    if !Step::Fulfil.allowed(wish.status) {
        return Err(refused(db, user, id, input.version).await?);
    }
    let (on, note) = input
        .validate(wish.claimed_on)
        .map_err(AppError::validation)?;
    let mut tx = db.begin().await?;
    if !store::fulfil(&mut tx, id, input.version, on, note.as_deref()).await? {
        drop(tx);
        return Err(refused(db, user, id, input.version).await?);
    }
    let fields = ["status", "fulfilled_on", "fulfilment_note"];
    audit_step(&mut tx, user, id, &fields, Step::Fulfil.to(), ip).await?;
    tx.commit().await?;
    find(db, user, id).await
}

/// Cancels a wish that has not been fulfilled.
pub async fn cancel(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &CancelInput,
    ip: Option<IpAddr>,
) -> Result<Wish, AppError> {
    find(db, user, id).await?;
    let mut tx = db.begin().await?;
    if !store::cancel(&mut tx, id, input.version).await? {
        drop(tx);
        return Err(refused(db, user, id, input.version).await?);
    }
    audit_step(&mut tx, user, id, &["status"], Step::Cancel.to(), ip).await?;
    tx.commit().await?;
    find(db, user, id).await
}
