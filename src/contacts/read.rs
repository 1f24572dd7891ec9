//! The reads that gather what the concern lists show: each concern with its child's and
//! volunteer's names and its station, and for a resolved one who resolved it. Display only; no
//! rule is decided here.

use sqlx::PgPool;

use super::model::{ConcernCategory, OpenConcern};
use crate::auth::Scope;

/// A page of the open concerns in scope, the gravest first and the newest first within each
/// category: the queue of open concerns (which the contact trigger keeps, with each concern's
/// station) is small, so it is ordered whole; only the page's rows are joined to their child,
/// volunteer and station.
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
                  k.concern_detail AS "concern_detail!", k.contacted_on, o.raised_at,
                  NULL::timestamptz AS resolved_at, NULL::text AS resolved_by,
                  NULL::text AS resolution
           FROM (SELECT o.contact_id, o.station_id, o.raised_at, q.concern_category
                 FROM open_concern o JOIN contact q ON q.id = o.contact_id
                 WHERE ($1::text IS NULL OR o.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
                   AND ($2::uuid[] IS NULL OR o.station_id = ANY($2))
                   AND $3::uuid IS NULL
                 ORDER BY array_position($6::text[], q.concern_category::text), o.raised_at DESC,
                          o.contact_id
                 LIMIT $4 OFFSET $5) o
           JOIN contact k ON k.id = o.contact_id
           JOIN pairing p ON p.id = k.pairing_id
           JOIN child c ON c.id = p.child_id
           JOIN volunteer v ON v.id = p.volunteer_id
           JOIN station s ON s.id = o.station_id
           ORDER BY array_position($6::text[], o.concern_category::text), o.raised_at DESC,
                    o.contact_id"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        limit,
        offset,
        &ConcernCategory::by_seriousness()
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

/// A page of the resolved concerns in scope, the latest resolved first, each with who raised
/// it when, and who resolved it when and how (found by the index of resolved concerns).
#[tracing::instrument(skip(db))]
pub async fn resolved_concerns(
    db: &PgPool,
    scope: &Scope,
    (limit, offset): (i64, i64),
) -> sqlx::Result<Vec<OpenConcern>> {
    sqlx::query_as!(
        OpenConcern,
        r#"SELECT k.id AS contact_id, k.pairing_id, p.child_id, c.name AS child_name,
                  v.name AS volunteer_name, p.station_id, s.name AS station_name,
                  k.concern_category AS "concern_category!: ConcernCategory",
                  k.concern_detail AS "concern_detail!", k.contacted_on,
                  k.created_at AS raised_at, k.concern_resolved_at AS resolved_at,
                  u.display_name AS "resolved_by?", k.concern_resolution AS resolution
           FROM contact k
           JOIN pairing p ON p.id = k.pairing_id
           JOIN station s ON s.id = p.station_id
           JOIN child c ON c.id = p.child_id
           JOIN volunteer v ON v.id = p.volunteer_id
           LEFT JOIN app_user u ON u.id = k.concern_resolved_by
           WHERE k.concern_resolved_at IS NOT NULL
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
             AND $3::uuid IS NULL
           ORDER BY k.concern_resolved_at DESC, k.id
           LIMIT $4 OFFSET $5"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        limit,
        offset
    )
    .fetch_all(db)
    .await
}

/// How many resolved concerns there are in scope.
#[tracing::instrument(skip(db))]
pub async fn count_resolved_concerns(db: &PgPool, scope: &Scope) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM contact k
           JOIN pairing p ON p.id = k.pairing_id
           JOIN station s ON s.id = p.station_id
           WHERE k.concern_resolved_at IS NOT NULL
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
             AND $3::uuid IS NULL"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_one(db)
    .await
}
