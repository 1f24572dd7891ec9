//! The reads that gather what the concern queue shows: each open concern with its child's and
//! volunteer's names and its station. Display only; no rule is decided here.

use sqlx::PgPool;

use super::model::{ConcernCategory, OpenConcern};
use crate::auth::Scope;

/// A page of the open concerns in scope, oldest first: the page is chosen from the queue of open
/// concerns (which the contact trigger keeps, with each concern's station), and only its rows
/// are joined to their contact, child and volunteer.
#[tracing::instrument(skip(db))]
pub async fn open_concerns(
    db: &PgPool,
    scope: &Scope,
    (limit, offset): (i64, i64),
) -> sqlx::Result<Vec<OpenConcern>> {
    sqlx::query_as!(
        OpenConcern,
        r#"SELECT k.id AS contact_id, k.pairing_id, p.child_id, c.name AS child_name,
                  v.name AS volunteer_name, p.station_id, s.name AS station_name,
                  k.concern_category AS "concern_category!: ConcernCategory",
                  k.concern_detail AS "concern_detail!", k.contacted_on, o.raised_at
           FROM (SELECT o.contact_id, o.station_id, o.raised_at FROM open_concern o
                 WHERE ($1::text IS NULL OR o.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
                   AND ($2::uuid[] IS NULL OR o.station_id = ANY($2))
                   AND $3::uuid IS NULL
                 ORDER BY o.raised_at, o.contact_id
                 LIMIT $4 OFFSET $5) o
           JOIN contact k ON k.id = o.contact_id
           JOIN pairing p ON p.id = k.pairing_id
           JOIN child c ON c.id = p.child_id
           JOIN volunteer v ON v.id = p.volunteer_id
           JOIN station s ON s.id = o.station_id
           ORDER BY o.raised_at, o.contact_id"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        limit,
        offset
    )
    .fetch_all(db)
    .await
}

/// How many open concerns there are in scope.
#[tracing::instrument(skip(db))]
pub async fn count_open_concerns(db: &PgPool, scope: &Scope) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM open_concern o
           WHERE ($1::text IS NULL OR o.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
             AND ($2::uuid[] IS NULL OR o.station_id = ANY($2))
             AND $3::uuid IS NULL"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_one(db)
    .await
}
