//! The SQL of stations. Every load takes the caller's [`Scope`]. (The list, which counts the
//! people at each station, is in `read`.)

use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

use super::model::{BuildMode, Slot, Station, StationStatus, ValidStation};
use crate::auth::Scope;

/// One station, if it lies in `scope` (missing and out of scope are both `None`).
pub async fn find(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<Station>> {
    let row = sqlx::query!(
        r#"SELECT s.id, s.name, s.region_code, region_path(s.region_code) AS "region_name!", s.address,
                  s.build_mode AS "build_mode: BuildMode", s.host_site, s.open_days_per_week,
                  s.schedule AS "schedule: Json<Vec<Slot>>", s.phone, s.status AS "status: StationStatus",
                  s.opened_on, s.version, s.created_at, s.updated_at
           FROM station s
           WHERE s.id = $4
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR s.id = ANY($2))
             AND ($3::uuid IS NULL OR s.id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Station {
        id: r.id,
        name: r.name,
        region_code: r.region_code,
        region_name: r.region_name,
        address: r.address,
        build_mode: r.build_mode,
        host_site: r.host_site,
        open_days_per_week: r.open_days_per_week,
        schedule: r.schedule.0,
        phone: r.phone,
        status: r.status,
        opened_on: r.opened_on,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }))
}

/// Inserts a station; returns its id.
pub async fn insert(tx: &mut sqlx::PgConnection, s: &ValidStation) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"INSERT INTO station (name, region_code, address, build_mode, host_site, open_days_per_week,
                                schedule, phone, status, opened_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"#,
        s.name,
        s.region_code.as_str(),
        s.address,
        s.build_mode as BuildMode,
        s.host_site,
        s.open_days(),
        Json(&s.schedule) as _,
        s.phone,
        s.status as StationStatus,
        s.opened_on
    )
    .fetch_one(&mut *tx)
    .await
}

/// Rewrites a station if `version` is current; `false` when someone saved first.
pub async fn update(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    s: &ValidStation,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE station SET name = $3, region_code = $4, address = $5, build_mode = $6, host_site = $7,
                  open_days_per_week = $8, schedule = $9, phone = $10, status = $11, opened_on = $12
           WHERE id = $1 AND version = $2"#,
        id,
        version,
        s.name,
        s.region_code.as_str(),
        s.address,
        s.build_mode as BuildMode,
        s.host_site,
        s.open_days(),
        Json(&s.schedule) as _,
        s.phone,
        s.status as StationStatus,
        s.opened_on
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The regions these stations sit in, whatever the scope: a person's residence is checked
/// against her station's county, and a transfer against the one she leaves.
pub async fn regions_of(
    db: &PgPool,
    ids: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, String>> {
    Ok(sqlx::query!(
        "SELECT id, region_code FROM station WHERE id = ANY($1)",
        ids
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.id, r.region_code))
    .collect())
}

/// Stations a form may offer: those in scope that are not closed, by name.
pub async fn choices(db: &PgPool, scope: &Scope) -> sqlx::Result<Vec<(Uuid, String)>> {
    Ok(sqlx::query!(
        r#"SELECT s.id, s.name FROM station s
           WHERE s.status <> 'closed'
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR s.id = ANY($2))
             AND ($3::uuid IS NULL OR s.id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))
           ORDER BY s.name COLLATE zh_pinyin, s.id LIMIT 1000"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id()
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.id, r.name))
    .collect())
}
