//! What the child's page shows from other areas' tables: her pairing history. Display only —
//! a read that decides a rule goes through the area that owns it.

use sqlx::PgPool;
use uuid::Uuid;

use crate::auth::Scope;
use crate::domain::pairing::{ClosureReason, Dues, PairingLine, PairingStatus};
use crate::web::error::AppError;

/// The pairings of a child that lie in the reader's scope (by the pairing's station, as the
/// pairing list reaches them), newest first, with their health mark as of today (the caller
/// has loaded the child within scope). A pairing at a station beyond it, from before the child
/// moved, names nobody the reader may not see.
pub async fn pairing_history(
    db: &PgPool,
    scope: &Scope,
    child: Uuid,
) -> Result<Vec<PairingLine>, AppError> {
    let today = crate::domain::today();
    Ok(sqlx::query!(
        r#"SELECT p.id, c.name AS child_name, v.name AS volunteer_name, p.status AS "status: PairingStatus",
                  p.started_on, p.ended_on, p.closure_reason AS "closure_reason: ClosureReason",
                  p.contact_due_on, p.home_visit_due_on, p.check_in_due_on
           FROM pairing p JOIN child c ON c.id = p.child_id JOIN volunteer v ON v.id = p.volunteer_id
                JOIN station s ON s.id = p.station_id
           WHERE p.child_id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND ($4::uuid IS NULL OR (p.volunteer_id = $4 AND p.status = 'active'))
           ORDER BY p.started_on DESC, p.created_at DESC"#,
        child,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| PairingLine {
        health: PairingLine::health(
            r.status,
            r.started_on,
            Dues {
                contact: r.contact_due_on,
                home_visit: r.home_visit_due_on,
                check_in: r.check_in_due_on,
            },
            today,
        ),
        id: r.id,
        child_name: r.child_name,
        volunteer_name: r.volunteer_name,
        status: r.status,
        started_on: r.started_on,
        ended_on: r.ended_on,
        closure_reason: r.closure_reason,
    })
    .collect())
}
