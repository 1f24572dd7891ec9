//! What the volunteer's page shows from other areas' tables: her pairing history and the
//! trainings she attended. Display only — a read that decides a rule goes through the area
//! that owns it.

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::training::Topic;
use crate::auth::Scope;
use crate::domain::pairing::{ClosureReason, Dues, PairingLine, PairingStatus};
use crate::web::error::AppError;

/// The pairings of a volunteer that lie in the reader's scope (by the pairing's station, as
/// the pairing list reaches them), newest first, with their health mark as of today (the
/// caller has loaded her within scope). A child she mentors at a station beyond the reader's
/// scope is not named.
pub async fn pairing_history(
    db: &PgPool,
    scope: &Scope,
    volunteer: Uuid,
) -> Result<Vec<PairingLine>, AppError> {
    let today = crate::domain::today();
    Ok(sqlx::query!(
        r#"SELECT p.id, c.name AS child_name, v.name AS volunteer_name, p.status AS "status: PairingStatus",
                  p.started_on, p.ended_on, p.closure_reason AS "closure_reason: ClosureReason",
                  p.contact_due_on, p.home_visit_due_on, p.check_in_due_on
           FROM pairing p JOIN child c ON c.id = p.child_id JOIN volunteer v ON v.id = p.volunteer_id
                JOIN station s ON s.id = p.station_id
           WHERE p.volunteer_id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND ($4::uuid IS NULL OR (p.volunteer_id = $4 AND p.status = 'active'))
           ORDER BY p.started_on DESC, p.created_at DESC"#,
        volunteer,
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

/// A training she attended.
#[derive(Debug, Clone)]
pub struct TrainingAttended {
    pub activity_id: Uuid,
    pub held_on: Date,
    pub title: String,
    pub topic: Topic,
    /// The station that held it.
    pub station_name: String,
}

/// The trainings a volunteer attended, newest first.
pub async fn trainings(db: &PgPool, volunteer: Uuid) -> Result<Vec<TrainingAttended>, AppError> {
    Ok(sqlx::query_as!(
        TrainingAttended,
        r#"SELECT a.id AS activity_id, a.held_on, a.title, a.topic AS "topic!: Topic", s.name AS station_name
           FROM attendance t JOIN activity a ON a.id = t.activity_id JOIN station s ON s.id = a.station_id
           WHERE t.volunteer_id = $1 AND a.kind = 'training'
           ORDER BY a.held_on DESC, a.created_at DESC"#,
        volunteer
    )
    .fetch_all(db)
    .await?)
}
