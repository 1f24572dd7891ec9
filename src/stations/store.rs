//! The SQL of stations. Every list and load takes the caller's [`Scope`].

use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

use super::model::{BuildMode, Slot, Station, StationStatus, ValidStation};
use crate::auth::Scope;
use crate::web::paging::sort_order;

/// Filters of the station list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Within this region (prefix).
    pub region_code: Option<String>,
    /// Only this build mode.
    pub build_mode: Option<BuildMode>,
    /// Only this status.
    pub status: Option<StationStatus>,
    /// Part of the name.
    pub q: Option<String>,
    /// Order of the rows.
    pub sort: StationOrder,
}

sort_order!(
    /// Orders of the station list.
    StationOrder, "station.sort", [Region = "region", Name = "name", OpenedOn = "opened_on"]
);

/// A station in a list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListedStation {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Township or village code.
    pub region_code: String,
    /// Full region name.
    pub region_name: String,
    /// Build mode.
    pub build_mode: BuildMode,
    /// Status.
    pub status: StationStatus,
    /// Planned open days a week.
    pub open_days_per_week: i16,
    /// Volunteers registered at the station.
    pub volunteers: i64,
    /// Children registered at the station (exited ones not counted).
    pub children: i64,
    /// Version.
    pub version: i32,
}

/// A page of the stations in scope, and their total.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ListedStation>, i64)> {
    let region = filter
        .region_code
        .as_deref()
        .map(|r| format!("{}%", crate::db::escape_like(r)));
    let q = filter
        .q
        .as_deref()
        .map(|q| format!("%{}%", crate::db::escape_like(q)));
    // One compile-time checked query per order.
    macro_rules! page_ordered_by {
        ($order:literal) => {
            sqlx::query_as!(
                ListedStation,
                r#"SELECT s.id, s.name, s.region_code, region_path(s.region_code) AS "region_name!",
                          s.build_mode AS "build_mode: BuildMode", s.status AS "status: StationStatus",
                          s.open_days_per_week, s.version,
                          (SELECT count(*) FROM volunteer v WHERE v.station_id = s.id) AS "volunteers!",
                          (SELECT count(*) FROM child c WHERE c.station_id = s.id AND c.status <> 'exited') AS "children!"
                   FROM station s
                   WHERE ($1::text IS NULL OR s.region_code LIKE $1)
                     AND ($2::uuid[] IS NULL OR s.id = ANY($2))
                     AND ($3::uuid IS NULL OR s.id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))
                     AND ($4::text IS NULL OR s.region_code LIKE $4)
                     AND ($5::station_build_mode IS NULL OR s.build_mode = $5)
                     AND ($6::station_status IS NULL OR s.status = $6)
                     AND ($7::text IS NULL OR s.name ILIKE $7)
                   ORDER BY "# + $order + " LIMIT $8 OFFSET $9",
                scope.region_like(),
                scope.station_ids(),
                scope.volunteer_id(),
                region,
                filter.build_mode as Option<BuildMode>,
                filter.status as Option<StationStatus>,
                q,
                limit,
                offset
            )
            .fetch_all(db)
            .await?
        };
    }
    let items = match filter.sort {
        StationOrder::Region => page_ordered_by!("s.region_code, s.name, s.id"),
        StationOrder::Name => page_ordered_by!("s.name, s.id"),
        StationOrder::OpenedOn => page_ordered_by!("s.opened_on DESC NULLS LAST, s.name, s.id"),
    };
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM station s
           WHERE ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR s.id = ANY($2))
             AND ($3::uuid IS NULL OR s.id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))
             AND ($4::text IS NULL OR s.region_code LIKE $4)
             AND ($5::station_build_mode IS NULL OR s.build_mode = $5)
             AND ($6::station_status IS NULL OR s.status = $6)
             AND ($7::text IS NULL OR s.name ILIKE $7)"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        region,
        filter.build_mode as Option<BuildMode>,
        filter.status as Option<StationStatus>,
        q,
    )
    .fetch_one(db)
    .await?;
    Ok((items, total))
}

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

/// What the station page shows besides the station itself.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    /// Station managers: (name, username).
    pub managers: Vec<(String, String)>,
    /// Volunteers by status: (status, count).
    pub volunteers_by_status: Vec<(String, i64)>,
    /// Children by status: (status, count).
    pub children_by_status: Vec<(String, i64)>,
    /// Active pairings.
    pub active_pairings: i64,
    /// The latest sessions: (date, title, person-visits).
    pub recent_activities: Vec<(time::Date, String, i32)>,
}

/// The managers, people and recent sessions of a station (already known to be in scope).
pub async fn overview(db: &PgPool, id: Uuid) -> sqlx::Result<Overview> {
    let managers = sqlx::query!(
        "SELECT u.display_name, u.username FROM user_station us JOIN app_user u ON u.id = us.user_id
         WHERE us.station_id = $1 AND u.active ORDER BY u.display_name",
        id
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.display_name, r.username))
    .collect();
    let volunteers_by_status = sqlx::query!(
        r#"SELECT status::text AS "status!", count(*) AS "n!" FROM volunteer WHERE station_id = $1
           GROUP BY status ORDER BY status"#,
        id
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.status, r.n))
    .collect();
    let children_by_status = sqlx::query!(
        r#"SELECT status::text AS "status!", count(*) AS "n!" FROM child WHERE station_id = $1
           GROUP BY status ORDER BY status"#,
        id
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.status, r.n))
    .collect();
    let active_pairings = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pairing WHERE station_id = $1 AND status = 'active'"#,
        id
    )
    .fetch_one(db)
    .await?;
    let recent_activities = sqlx::query!(
        "SELECT held_on, title, person_visits FROM activity WHERE station_id = $1
         ORDER BY held_on DESC, created_at DESC LIMIT 10",
        id
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.held_on, r.title, r.person_visits.unwrap_or(0)))
    .collect();
    Ok(Overview {
        managers,
        volunteers_by_status,
        children_by_status,
        active_pairings,
        recent_activities,
    })
}

/// Stations a form may offer: those in scope that are not closed, by name.
pub async fn choices(db: &PgPool, scope: &Scope) -> sqlx::Result<Vec<(Uuid, String)>> {
    Ok(sqlx::query!(
        r#"SELECT s.id, s.name FROM station s
           WHERE s.status <> 'closed'
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR s.id = ANY($2))
             AND ($3::uuid IS NULL OR s.id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))
           ORDER BY s.name LIMIT 1000"#,
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
