//! What the roster pages list: the roster's children with where each stands, and the children
//! registered in a county who are not on its roster (the one crossing: the children's table is
//! read, never written, to show them).

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{MatchedBy, RosterStatus, Unlisted};
use crate::domain::Category;

/// A roster row as listed, its ID number still sealed.
#[derive(Debug)]
pub struct Listed {
    pub id: Uuid,
    pub name: String,
    pub id_number: Option<Vec<u8>>,
    pub birth_date: time::Date,
    pub category: Category,
    pub region_code: String,
    pub region_name: String,
    pub guardian_name: Option<String>,
    pub guardian_phone: Option<String>,
    pub status: RosterStatus,
    pub child_id: Option<Uuid>,
    pub matched_by: Option<MatchedBy>,
    pub sheet_row: i32,
}

/// A page of the roster's children within `region_like` (a county, a township or a village),
/// in one status or all, by village and then name, with the total.
pub async fn list(
    db: &PgPool,
    region_like: &str,
    status: Option<RosterStatus>,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<Listed>, i64)> {
    let items = sqlx::query_as!(
        Listed,
        r#"SELECT r.id, r.name, r.id_number, r.birth_date, r.category AS "category: Category",
                  r.region_code,
                  coalesce(t.name || coalesce(' ' || v.name, ''), r.region_code) AS "region_name!",
                  r.guardian_name, r.guardian_phone, r.status AS "status: RosterStatus",
                  r.child_id, r.matched_by AS "matched_by: MatchedBy", r.sheet_row
           FROM roster_child r
           LEFT JOIN region t ON t.code = left(r.region_code, 9)
           LEFT JOIN region v ON v.code = r.region_code AND length(r.region_code) = 12
           WHERE r.region_code LIKE $1 AND ($2::roster_status IS NULL OR r.status = $2)
           ORDER BY r.region_code, r.name COLLATE zh_pinyin, r.sheet_row
           LIMIT $3 OFFSET $4"#,
        region_like,
        status as Option<RosterStatus>,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM roster_child
           WHERE region_code LIKE $1 AND ($2::roster_status IS NULL OR status = $2)"#,
        region_like,
        status as Option<RosterStatus>
    )
    .fetch_one(db)
    .await?;
    Ok((items, total))
}

/// A page of the children registered in `county` (in the programme: registered or paired) who
/// are on none of its roster's rows, by name, with the total.
pub async fn unlisted(
    db: &PgPool,
    county: &str,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<Unlisted>, i64)> {
    let items = sqlx::query_as!(
        Unlisted,
        r#"SELECT c.id AS child_id, c.name, c.birth_date, c.category AS "category: Category",
                  c.region_code, coalesce(region_path(c.region_code), c.region_code) AS "region_name!",
                  c.status = 'paired' AS "paired!"
           FROM child c
           WHERE c.region_code LIKE $1 || '%' AND c.status <> 'exited'
             AND NOT EXISTS (SELECT 1 FROM roster_child r WHERE r.child_id = c.id)
           ORDER BY c.name COLLATE zh_pinyin, c.id
           LIMIT $2 OFFSET $3"#,
        county,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM child c
           WHERE c.region_code LIKE $1 || '%' AND c.status <> 'exited'
             AND NOT EXISTS (SELECT 1 FROM roster_child r WHERE r.child_id = c.id)"#,
        county
    )
    .fetch_one(db)
    .await?;
    Ok((items, total))
}
