//! The SQL of the pairing transaction: the row locks its checks run under, the facts of the
//! pairing rules read under them, and the writes. Everything runs inside the caller's
//! transaction, so that the checks and the write see one state. (What pages show is read in
//! `read`.)
//!
//! Locking the child and the volunteer is the pairing's own step: it is how two pairings of
//! one child, or two for a volunteer's last place, wait for each other, exactly as the
//! database's `pairing_guard` locks the volunteer row for the same rules. The facts read with
//! each lock (the child's station and whether she has exited; the volunteer's status and
//! capacity) are what the pairing rules in `rules` decide on; who may reach the child and the
//! volunteer is the caller's scope, in auth's conditions.

use sqlx::PgConnection;
use time::Date;
use uuid::Uuid;

use super::model::{Closing, ClosureDecidedBy, ClosureReason, NewPairing, PairingStatus};
use crate::auth::Scope;
use crate::volunteers::model::VolunteerStatus;

/// A child about to be paired, locked for the rest of the transaction: two pairings of the
/// same child wait for each other here.
#[derive(Debug, Clone)]
pub struct LockedChild {
    pub name: String,
    pub station_id: Uuid,
    /// Whether she has left the programme.
    pub exited: bool,
}

/// Locks a child in scope.
pub async fn lock_child(
    tx: &mut PgConnection,
    scope: &Scope,
    child: Uuid,
) -> sqlx::Result<Option<LockedChild>> {
    sqlx::query_as!(
        LockedChild,
        r#"SELECT c.name, c.station_id, c.status = 'exited' AS "exited!"
           FROM child c
           WHERE c.id = $1
             AND ($2::text IS NULL OR c.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR c.station_id = ANY($3))
             AND $4::uuid IS NULL
           FOR UPDATE OF c"#,
        child,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(tx)
    .await
}

/// The volunteer of a child's active pairing, if there is one (her name, for the message).
pub async fn active_partner(tx: &mut PgConnection, child: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT v.name FROM pairing p JOIN volunteer v ON v.id = p.volunteer_id
         WHERE p.child_id = $1 AND p.status IN ('active', 'suspended')",
        child
    )
    .fetch_optional(tx)
    .await
}

/// A volunteer about to take a child, locked: her last place is taken by one pairing only.
#[derive(Debug, Clone)]
pub struct LockedVolunteer {
    pub name: String,
    pub status: VolunteerStatus,
    /// Children she may take.
    pub capacity: i16,
    /// Children she has now.
    pub paired: i64,
}

/// Locks a volunteer in scope and counts her active pairings.
pub async fn lock_volunteer(
    tx: &mut PgConnection,
    scope: &Scope,
    volunteer: Uuid,
) -> sqlx::Result<Option<LockedVolunteer>> {
    let found = sqlx::query!(
        r#"SELECT v.name, v.status AS "status: VolunteerStatus", v.capacity
           FROM volunteer v
           WHERE v.id = $1
             AND ($2::text IS NULL OR v.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR v.station_id = ANY($3))
             AND $4::uuid IS NULL
           FOR UPDATE"#,
        volunteer,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(v) = found else {
        return Ok(None);
    };
    let paired = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pairing
           WHERE volunteer_id = $1 AND status IN ('active', 'suspended')"#,
        volunteer
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some(LockedVolunteer {
        name: v.name,
        status: v.status,
        capacity: v.capacity,
        paired,
    }))
}

/// Writes a pairing at the child's station; the database checks every guard once more.
pub async fn insert(
    tx: &mut PgConnection,
    new: &NewPairing,
    station: Uuid,
    created_by: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on,
                              agreement_signed_on, first_activity_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        new.child_id,
        new.volunteer_id,
        station,
        new.started_on,
        new.agreement_signed_on,
        new.first_activity_id,
        created_by
    )
    .fetch_one(tx)
    .await
}

/// The status, start date and version of a pairing in scope, locked for closing.
pub async fn lock_for_closing(
    tx: &mut PgConnection,
    scope: &Scope,
    id: Uuid,
) -> sqlx::Result<Option<(PairingStatus, Date, i32)>> {
    let row = sqlx::query!(
        r#"SELECT p.status AS "status: PairingStatus", p.started_on, p.version
           FROM pairing p JOIN station s ON s.id = p.station_id
           WHERE p.id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND $4::uuid IS NULL
           FOR UPDATE OF p"#,
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|r| (r.status, r.started_on, r.version)))
}

/// Closes a pairing (the child's status follows, by trigger).
pub async fn close(
    tx: &mut PgConnection,
    id: Uuid,
    closing: &Closing,
    status: PairingStatus,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE pairing SET status = $5, ended_on = $2, closure_reason = $3, closure_note = $4,
                closing_talk_child = $6, closing_talk_guardian = $7, closure_decided_by = $8,
                re_pair = $9, closed_by = $10, closure_confirmed_by = NULL
         WHERE id = $1",
        id,
        closing.ended_on,
        closing.reason as ClosureReason,
        closing.note,
        status as PairingStatus,
        closing.talk_child,
        closing.talk_guardian,
        closing.decided_by as Option<ClosureDecidedBy>,
        closing.re_pair,
        by
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A suspended pairing's closing confirmed by `by`: it is closed.
pub async fn confirm_closing(tx: &mut PgConnection, id: Uuid, by: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE pairing SET status = 'closed', closure_confirmed_by = $2 WHERE id = $1",
        id,
        by
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A suspended pairing's closing cancelled: it runs again, as it was before. The note that
/// suspended it stays on the record (the audit trail says when it was suspended and cancelled).
pub async fn cancel_closing(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE pairing SET status = 'active', ended_on = NULL, closure_reason = NULL,
                closing_talk_child = NULL, closing_talk_guardian = NULL,
                closure_decided_by = NULL, re_pair = false, closed_by = NULL
         WHERE id = $1",
        id
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Whether a child or a volunteer has a pairing suspended for a safeguarding concern.
pub async fn has_suspended(
    tx: &mut PgConnection,
    (child, volunteer): (Option<Uuid>, Option<Uuid>),
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pairing WHERE status = 'suspended'
                           AND (child_id = $1 OR volunteer_id = $2)) AS "suspended!""#,
        child,
        volunteer
    )
    .fetch_one(tx)
    .await
}

/// Who suspended a pairing, if it is suspended.
pub async fn suspended_by(tx: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!("SELECT closed_by FROM pairing WHERE id = $1", id)
        .fetch_one(tx)
        .await
}

/// Closes the active pairings of a child or of a volunteer, ending on `on` (or on the first day
/// of one that has not begun) for `reason`; returns them.
pub async fn close_active(
    tx: &mut PgConnection,
    (child, volunteer): (Option<Uuid>, Option<Uuid>),
    on: Date,
    reason: ClosureReason,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "UPDATE pairing SET status = 'closed', ended_on = greatest($3, started_on),
                closure_reason = $4
         WHERE status = 'active' AND (child_id = $1 OR volunteer_id = $2)
         RETURNING id",
        child,
        volunteer,
        on,
        reason as ClosureReason
    )
    .fetch_all(tx)
    .await
}
