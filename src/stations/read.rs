//! What the station pages show of other areas' records, and the days a station opened: the
//! list with each station's people, the station page's overview, and its open days.
//!
//! The open-day rule lives here, once: a day counts as open when a session for children was
//! logged at the station; trainings of volunteers do not count. The station page and the
//! dashboard both count open days through this area's service.

use std::collections::HashMap;

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::model::{BuildMode, Filter, ListedStation, Overview, StationOrder, StationStatus};
use crate::auth::Scope;

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
    // One compile-time checked query per order, and the count: the filter written once.
    macro_rules! filtered {
        ($macro:ident, [$($record:ident)?], $select:literal, $tail:literal $(, $extra:expr)*) => {
            sqlx::$macro!(
                $($record,)?
                $select
                    + " FROM station s
                   WHERE ($1::text IS NULL OR s.region_code LIKE $1)
                     AND ($2::uuid[] IS NULL OR s.id = ANY($2))
                     AND ($3::uuid IS NULL OR s.id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))
                     AND ($4::text IS NULL OR s.region_code LIKE $4)
                     AND ($5::station_build_mode IS NULL OR s.build_mode = $5)
                     AND ($6::station_status IS NULL OR s.status = $6)
                     AND ($7::text IS NULL OR s.name ILIKE $7) "
                    + $tail,
                scope.region_like(),
                scope.station_ids(),
                scope.volunteer_id(),
                region,
                filter.build_mode as Option<BuildMode>,
                filter.status as Option<StationStatus>,
                q
                $(, $extra)*
            )
        };
    }
    macro_rules! page_ordered_by {
        ($tail:literal) => {
            filtered!(
                query_as,
                [ListedStation],
                r#"SELECT s.id, s.name, s.region_code, region_path(s.region_code) AS "region_name!",
                          s.build_mode AS "build_mode: BuildMode", s.status AS "status: StationStatus",
                          s.open_days_per_week, s.version,
                          (SELECT count(*) FROM volunteer v WHERE v.station_id = s.id) AS "volunteers!",
                          (SELECT count(*) FROM child c WHERE c.station_id = s.id AND c.status <> 'exited') AS "children!""#,
                $tail,
                limit,
                offset
            )
            .fetch_all(db)
            .await?
        };
    }
    let items = match filter.sort {
        StationOrder::Region => {
            page_ordered_by!(
                "ORDER BY s.region_code, s.name COLLATE zh_pinyin, s.id LIMIT $8 OFFSET $9"
            )
        }
        StationOrder::Name => {
            page_ordered_by!("ORDER BY s.name COLLATE zh_pinyin, s.id LIMIT $8 OFFSET $9")
        }
        StationOrder::OpenedOn => page_ordered_by!(
            "ORDER BY s.opened_on DESC NULLS LAST, s.name COLLATE zh_pinyin, s.id LIMIT $8 OFFSET $9"
        ),
    };
    let total = filtered!(query_scalar, [], r#"SELECT count(*) AS "n!""#, "")
        .fetch_one(db)
        .await?;
    Ok((items, total))
}

/// The managers, people and recent sessions of a station (already known to be in scope).
pub async fn overview(db: &PgPool, id: Uuid) -> sqlx::Result<Overview> {
    let managers = sqlx::query!(
        "SELECT u.display_name, u.username FROM user_station us JOIN app_user u ON u.id = us.user_id
         WHERE us.station_id = $1 AND u.active ORDER BY u.display_name COLLATE zh_pinyin, u.id",
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

/// Days each station was open in `[from, to]`: distinct days with a session logged for
/// children (trainings of volunteers do not open the station to children).
pub async fn open_days(
    db: &PgPool,
    stations: &[Uuid],
    from: Date,
    to: Date,
) -> sqlx::Result<HashMap<Uuid, Vec<Date>>> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT station_id, held_on FROM activity
           WHERE station_id = ANY($1) AND held_on BETWEEN $2 AND $3 AND kind <> 'training'
           ORDER BY station_id, held_on"#,
        stations,
        from,
        to
    )
    .fetch_all(db)
    .await?;
    let mut out: HashMap<Uuid, Vec<Date>> = HashMap::new();
    for r in rows {
        out.entry(r.station_id).or_default().push(r.held_on);
    }
    Ok(out)
}

/// Sessions (trainings included) and their person-visits at a station in `[from, to]`.
pub async fn sessions(
    db: &PgPool,
    station: Uuid,
    from: Date,
    to: Date,
) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query!(
        r#"SELECT count(*) AS "n!", coalesce(sum(person_visits), 0)::bigint AS "visits!"
           FROM activity WHERE station_id = $1 AND held_on BETWEEN $2 AND $3"#,
        station,
        from,
        to
    )
    .fetch_one(db)
    .await?;
    Ok((r.n, r.visits))
}
