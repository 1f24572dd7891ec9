//! The rules and transactions of this area: what its pages and API call.

use super::store;
use std::net::IpAddr;

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{CancelInput, ClaimInput, Claimant, FulfilInput, Wish, WishInput, WishStatus};
use crate::audit::{self, Action, Entry};
use crate::auth::{CurrentUser, Role};
use crate::web::error::{AppError, FieldError, FieldErrors};

/// Posts a wish for a child in scope who has not left the programme.
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    child: Uuid,
    input: &WishInput,
    ip: Option<IpAddr>,
) -> Result<Wish, AppError> {
    let c = store::child(db, &user.scope, child)
        .await?
        .ok_or(AppError::NotFound)?;
    let w = input.validate().map_err(AppError::validation)?;
    if c.exited {
        return Err(AppError::rule("child_exited"));
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
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Why a step that changed nothing was refused: a stale version, or a wish whose status does
/// not allow the step.
async fn refused(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    version: Option<i32>,
) -> Result<AppError, AppError> {
    let now = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if version.is_some_and(|v| v != now.version) {
        return Ok(AppError::Stale {
            current: serde_json::to_value(now).map_err(anyhow::Error::from)?,
        });
    }
    Ok(AppError::Conflict {
        code: "invalid_transition",
        fields: FieldErrors::from([(
            "status".to_owned(),
            FieldError::new(now.status.refusal_key()),
        )]),
    })
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
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
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
    audit_step(&mut tx, user, id, fields, WishStatus::Claimed, ip).await?;
    tx.commit().await?;
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Records that the child received a claimed wish.
pub async fn fulfil(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &FulfilInput,
    ip: Option<IpAddr>,
) -> Result<Wish, AppError> {
    let wish = store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if wish.status != WishStatus::Claimed {
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
    audit_step(&mut tx, user, id, &fields, WishStatus::Fulfilled, ip).await?;
    tx.commit().await?;
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Cancels a wish that has not been fulfilled.
pub async fn cancel(
    db: &PgPool,
    user: &CurrentUser,
    id: Uuid,
    input: &CancelInput,
    ip: Option<IpAddr>,
) -> Result<Wish, AppError> {
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = db.begin().await?;
    if !store::cancel(&mut tx, id, input.version).await? {
        drop(tx);
        return Err(refused(db, user, id, input.version).await?);
    }
    audit_step(&mut tx, user, id, &["status"], WishStatus::Cancelled, ip).await?;
    tx.commit().await?;
    store::find(db, &user.scope, id)
        .await?
        .ok_or(AppError::NotFound)
}
