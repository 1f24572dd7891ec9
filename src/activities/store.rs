//! The SQL of activities and attendance. Every list and load takes the caller's [`Scope`]; an
//! activity is in scope when its station is.

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::model::{
    Activity, ActivityPage, Attendance, Filter, Kind, ListedActivity, Topic, ValidActivity, hhmm,
};
use crate::auth::Scope;

/// A query over the activities in scope that a filter selects: `$select` of them, then
/// `$tail`. The scope binds `$1`–`$3` and the filter `$4`–`$8`; `$extra` binds the tail's.
macro_rules! filtered {
    ($select:literal, $tail:literal, $scope:expr, $f:expr, $q:expr $(, $extra:expr)*) => {
        sqlx::query!(
            $select
                + " FROM activity a JOIN station s ON s.id = a.station_id
           WHERE ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR a.station_id = ANY($2))
             AND ($3::uuid IS NULL OR a.station_id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))
             AND ($4::uuid IS NULL OR a.station_id = $4)
             AND ($5::activity_kind IS NULL OR a.kind = $5)
             AND ($6::date IS NULL OR a.held_on >= $6)
             AND ($7::date IS NULL OR a.held_on <= $7)
             AND ($8::text IS NULL OR a.title ILIKE $8) "
                + $tail,
            $scope.region_like(),
            $scope.station_ids(),
            $scope.volunteer_id(),
            $f.station_id,
            $f.kind as Option<Kind>,
            $f.from,
            $f.to,
            $q
            $(, $extra)*
        )
    };
}

/// A page of the activities in scope, their total and their person-visits.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<ActivityPage> {
    let q =
        f.q.as_deref()
            .map(|q| format!("%{}%", crate::db::escape_like(q)));
    let rows = filtered!(
        r#"SELECT a.id, a.station_id, s.name AS station_name, a.kind AS "kind: Kind", a.title,
                  a.topic AS "topic: Topic", a.held_on, a.starts_at, a.ends_at, a.child_count,
                  a.volunteer_count, a.guardian_count, a.other_count, a.person_visits AS "person_visits!",
                  a.version"#,
        "ORDER BY a.held_on DESC, a.starts_at DESC NULLS LAST, a.created_at DESC
           LIMIT $9 OFFSET $10",
        scope,
        f,
        q,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let totals = filtered!(
        r#"SELECT count(*) AS "n!", coalesce(sum(a.person_visits), 0)::bigint AS "visits!""#,
        "",
        scope,
        f,
        q
    )
    .fetch_one(db)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| ListedActivity {
            id: r.id,
            station_id: r.station_id,
            station_name: r.station_name,
            kind: r.kind,
            title: r.title,
            topic: r.topic,
            held_on: r.held_on,
            starts_at: r.starts_at.as_ref().map(hhmm),
            ends_at: r.ends_at.as_ref().map(hhmm),
            child_count: r.child_count,
            volunteer_count: r.volunteer_count,
            guardian_count: r.guardian_count,
            other_count: r.other_count,
            person_visits: r.person_visits,
            version: r.version,
        })
        .collect();
    Ok(ActivityPage {
        items,
        total: totals.n,
        person_visits: totals.visits,
    })
}

/// One activity, if in `scope`, without the names of who came (the service adds them).
pub async fn find(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<Activity>> {
    let row = sqlx::query!(
        r#"SELECT a.id, a.station_id, s.name AS station_name, a.kind AS "kind: Kind", a.title,
                  a.topic AS "topic: Topic", a.held_on, a.starts_at, a.ends_at, a.description, a.partners,
                  a.guardian_count, a.other_count, a.child_count, a.volunteer_count,
                  a.person_visits AS "person_visits!", a.version, a.created_at, a.updated_at
           FROM activity a JOIN station s ON s.id = a.station_id
           WHERE a.id = $4
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR a.station_id = ANY($2))
             AND ($3::uuid IS NULL OR a.station_id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Activity {
        id: r.id,
        station_id: r.station_id,
        station_name: r.station_name,
        kind: r.kind,
        title: r.title,
        topic: r.topic,
        held_on: r.held_on,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        description: r.description,
        partners: r.partners,
        guardian_count: r.guardian_count,
        other_count: r.other_count,
        child_count: r.child_count,
        volunteer_count: r.volunteer_count,
        person_visits: r.person_visits,
        children: Vec::new(),
        volunteers: Vec::new(),
        editable_until: super::rules::editable_until(r.created_at, r.held_on),
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }))
}

/// Inserts an activity (without its attendance); returns its id.
pub async fn insert(
    tx: &mut sqlx::PgConnection,
    station: Uuid,
    a: &ValidActivity,
    created_by: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"INSERT INTO activity (station_id, kind, title, topic, held_on, starts_at, ends_at, description,
                                 partners, guardian_count, other_count, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id"#,
        station,
        a.kind as Kind,
        a.title,
        a.topic as Option<Topic>,
        a.held_on,
        a.starts_at,
        a.ends_at,
        a.description,
        a.partners,
        a.guardian_count,
        a.other_count,
        created_by
    )
    .fetch_one(&mut *tx)
    .await
}

/// Rewrites an activity if `version` is current, saying who does (the database judges the
/// correction window by that account); `false` when someone saved first.
pub async fn update(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    a: &ValidActivity,
    updated_by: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE activity SET kind = $3, title = $4, topic = $5, held_on = $6, starts_at = $7, ends_at = $8,
                  description = $9, partners = $10, guardian_count = $11, other_count = $12,
                  updated_by = $13
           WHERE id = $1 AND version = $2"#,
        id,
        version,
        a.kind as Kind,
        a.title,
        a.topic as Option<Topic>,
        a.held_on,
        a.starts_at,
        a.ends_at,
        a.description,
        a.partners,
        a.guardian_count,
        a.other_count,
        updated_by
    )
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Makes the attendance of an activity exactly `who` (the counts follow by trigger).
pub async fn set_attendance(
    tx: &mut sqlx::PgConnection,
    activity: Uuid,
    who: &Attendance,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM attendance WHERE activity_id = $1
           AND ((child_id IS NOT NULL AND child_id <> ALL($2))
             OR (volunteer_id IS NOT NULL AND volunteer_id <> ALL($3)))",
        activity,
        &who.children,
        &who.volunteers
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO attendance (activity_id, child_id)
         SELECT $1, c FROM unnest($2::uuid[]) AS c
         ON CONFLICT (activity_id, child_id) DO NOTHING",
        activity,
        &who.children
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO attendance (activity_id, volunteer_id, is_host)
         SELECT $1, v, v = ANY($3) FROM unnest($2::uuid[]) AS v
         ON CONFLICT (activity_id, volunteer_id) DO UPDATE SET is_host = EXCLUDED.is_host
         WHERE attendance.is_host <> EXCLUDED.is_host",
        activity,
        &who.volunteers,
        &who.hosts
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Who came to the station's latest session held before `before` (for "same as last time").
pub async fn last_attendance(db: &PgPool, station: Uuid, before: Date) -> sqlx::Result<Attendance> {
    let rows = sqlx::query!(
        r#"SELECT t.child_id, t.volunteer_id, t.is_host FROM attendance t
           WHERE t.activity_id = (SELECT a.id FROM activity a
                                  WHERE a.station_id = $1 AND a.held_on <= $2 AND a.kind <> 'training'
                                    AND a.child_count + a.volunteer_count > 0
                                  ORDER BY a.held_on DESC, a.created_at DESC LIMIT 1)"#,
        station,
        before
    )
    .fetch_all(db)
    .await?;
    let mut who = Attendance::default();
    for r in rows {
        if let Some(c) = r.child_id {
            who.children.push(c);
        }
        if let Some(v) = r.volunteer_id {
            who.volunteers.push(v);
            if r.is_host {
                who.hosts.push(v);
            }
        }
    }
    Ok(who)
}

/// The kind (ice-breaking or not) and the day of an activity at a station.
pub async fn event_at(
    db: impl sqlx::PgExecutor<'_>,
    activity: Uuid,
    station: Uuid,
) -> sqlx::Result<Option<(bool, Date)>> {
    let row = sqlx::query!(
        "SELECT kind = 'ice_breaking' AS ice_breaking, held_on FROM activity
         WHERE id = $1 AND station_id = $2",
        activity,
        station
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.ice_breaking.unwrap_or(false), r.held_on)))
}
