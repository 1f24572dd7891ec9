//! Pairing a child with a volunteer: every rule checked under row locks on the child and the
//! volunteer, so that the caller is told who and why, before the database checks them again.

use std::net::IpAddr;

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::super::model::{self, NewPairing, Pairing, PairingInput};
use super::super::rules::{
    CHILD_ALREADY_PAIRED, CHILD_EXITED, CHILD_NOT_AT_STATION, CONSENT_MISSING, FIRST_MEETING,
    VOLUNTEER_AT_CAPACITY, VOLUNTEER_NOT_ACTIVE,
};
use super::super::store;
use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::children::model::ConsentScope;
use crate::i18n::Lang;
use crate::volunteers::model::VolunteerStatus;
use crate::web::error::{AppError, FieldError, FieldErrors};

/// An id that names nothing the caller may reach.
fn unknown(field: &str) -> AppError {
    AppError::validation(FieldErrors::from([(
        field.to_owned(),
        FieldError::new(model::unknown_key(field)),
    )]))
}

/// Checks every rule of `new` under locks and writes it; the caller owns the transaction.
/// With `station`, the child must be registered there (a batch is one station's).
pub(super) async fn pair_in(
    tx: &mut PgConnection,
    user: &CurrentUser,
    new: &NewPairing,
    station: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let child = store::lock_child(tx, &user.scope, new.child_id)
        .await?
        .ok_or_else(|| unknown("child_id"))?;
    let named = |key: &'static str| FieldError::new(key).with("name", &child.name);
    if station.is_some_and(|s| s != child.station_id) {
        return Err(CHILD_NOT_AT_STATION.at("child_id", named("error.child_not_at_station_named")));
    }
    if child.exited {
        return Err(CHILD_EXITED.at("child_id", named("error.child_exited_named")));
    }
    if let Some(partner) = store::active_partner(tx, new.child_id).await? {
        let message = named("error.child_paired_with").with("volunteer", partner);
        return Err(CHILD_ALREADY_PAIRED.at("child_id", message));
    }
    let volunteer = store::lock_volunteer(tx, &user.scope, new.volunteer_id)
        .await?
        .ok_or_else(|| unknown("volunteer_id"))?;
    if volunteer.status != VolunteerStatus::Active {
        let message =
            FieldError::new("error.volunteer_not_active_named").with("name", &volunteer.name);
        return Err(VOLUNTEER_NOT_ACTIVE.at("volunteer_id", message));
    }
    if volunteer.paired >= i64::from(volunteer.capacity) {
        let message = FieldError::new("error.volunteer_full_named")
            .with("name", &volunteer.name)
            .with("capacity", volunteer.capacity);
        return Err(VOLUNTEER_AT_CAPACITY.at("volunteer_id", message));
    }
    let consent = crate::children::service::has_current_consent(
        &mut *tx,
        new.child_id,
        ConsentScope::Pairing,
        new.started_on,
    )
    .await?;
    if !consent {
        return Err(CONSENT_MISSING.at("child_id", named("error.consent_missing_named")));
    }
    if let Some(activity) = new.first_activity_id {
        let event = crate::activities::service::event_at(&mut *tx, activity, child.station_id)
            .await?
            .ok_or_else(|| unknown("first_activity_id"))?;
        let wrong = match event {
            (false, _) => Some("error.activity_not_ice_breaking"),
            (true, held_on) if held_on > new.started_on => Some("error.activity_after_start"),
            (true, _) => None,
        };
        if let Some(key) = wrong {
            return Err(FIRST_MEETING.at("first_activity_id", FieldError::new(key)));
        }
    }
    Ok(store::insert(tx, new, child.station_id, user.id).await?)
}

/// Records a new pairing in the audit log.
pub(super) async fn audit_created(
    tx: &mut PgConnection,
    user: &CurrentUser,
    id: Uuid,
    new: &NewPairing,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "pairing", Some(id), ip).with_detail(serde_json::json!({
            "child_id": new.child_id,
            "volunteer_id": new.volunteer_id,
        })),
    )
    .await?;
    Ok(())
}

/// Pairs a child with a volunteer.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    input: &PairingInput,
    ip: Option<IpAddr>,
    lang: Lang,
) -> Result<Pairing, AppError> {
    let new = input.validate().map_err(AppError::validation)?;
    let mut tx = db.begin().await?;
    let id = pair_in(&mut tx, user, &new, None).await?;
    audit_created(&mut tx, user, id, &new, ip).await?;
    tx.commit().await?;
    super::find(db, user, id, lang).await
}
