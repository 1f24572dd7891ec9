//! The SQL of activities and attendance. Every list and load takes the caller's [`Scope`]; an
//! activity is in scope when its station is.

use std::collections::HashMap;

use sqlx::PgPool;
use time::{Date, Time};
use uuid::Uuid;

use super::model::{Activity, Attendance, Attendee, Kind, Topic, ValidActivity};
use crate::auth::Scope;

/// Filters of the activity list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// At this station.
    pub station_id: Option<Uuid>,
    /// Of this kind.
    pub kind: Option<Kind>,
    /// On or after this day.
    pub from: Option<Date>,
    /// On or before this day.
    pub to: Option<Date>,
    /// Part of the title.
    pub q: Option<String>,
}

/// An activity in a list: what happened and how many came, not who.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ListedActivity {
    /// Id.
    pub id: Uuid,
    /// Station.
    pub station_id: Uuid,
    /// Station name.
    pub station_name: String,
    /// Kind.
    pub kind: Kind,
    /// Title.
    pub title: String,
    /// Training topic.
    pub topic: Option<Topic>,
    /// Day.
    pub held_on: Date,
    /// Start, `HH:MM`.
    pub starts_at: Option<String>,
    /// End, `HH:MM`.
    pub ends_at: Option<String>,
    /// Children who came.
    pub child_count: i32,
    /// Volunteers who came.
    pub volunteer_count: i32,
    /// Guardians who came.
    pub guardian_count: i32,
    /// Others who came.
    pub other_count: i32,
    /// 人次.
    pub person_visits: i32,
    /// Version.
    pub version: i32,
}

/// A page of the activities in scope, their total and their person-visits.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<ListedActivity>, i64, i64)> {
    let q =
        f.q.as_deref()
            .map(|q| format!("%{}%", crate::db::escape_like(q)));
    let rows = sqlx::query!(
        r#"SELECT a.id, a.station_id, s.name AS station_name, a.kind AS "kind: Kind", a.title,
                  a.topic AS "topic: Topic", a.held_on, a.starts_at, a.ends_at, a.child_count,
                  a.volunteer_count, a.guardian_count, a.other_count, a.person_visits AS "person_visits!",
                  a.version
           FROM activity a JOIN station s ON s.id = a.station_id
           WHERE ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR a.station_id = ANY($2))
             AND ($3::uuid IS NULL OR a.station_id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))
             AND ($4::uuid IS NULL OR a.station_id = $4)
             AND ($5::activity_kind IS NULL OR a.kind = $5)
             AND ($6::date IS NULL OR a.held_on >= $6)
             AND ($7::date IS NULL OR a.held_on <= $7)
             AND ($8::text IS NULL OR a.title ILIKE $8)
           ORDER BY a.held_on DESC, a.starts_at DESC NULLS LAST, a.created_at DESC
           LIMIT $9 OFFSET $10"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        f.station_id,
        f.kind as Option<Kind>,
        f.from,
        f.to,
        q,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let totals = sqlx::query!(
        r#"SELECT count(*) AS "n!", coalesce(sum(a.person_visits), 0)::bigint AS "visits!"
           FROM activity a JOIN station s ON s.id = a.station_id
           WHERE ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR a.station_id = ANY($2))
             AND ($3::uuid IS NULL OR a.station_id = (SELECT v.station_id FROM volunteer v WHERE v.id = $3))
             AND ($4::uuid IS NULL OR a.station_id = $4)
             AND ($5::activity_kind IS NULL OR a.kind = $5)
             AND ($6::date IS NULL OR a.held_on >= $6)
             AND ($7::date IS NULL OR a.held_on <= $7)
             AND ($8::text IS NULL OR a.title ILIKE $8)"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        f.station_id,
        f.kind as Option<Kind>,
        f.from,
        f.to,
        q,
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
            starts_at: r.starts_at.as_ref().map(super::model::hhmm),
            ends_at: r.ends_at.as_ref().map(super::model::hhmm),
            child_count: r.child_count,
            volunteer_count: r.volunteer_count,
            guardian_count: r.guardian_count,
            other_count: r.other_count,
            person_visits: r.person_visits,
            version: r.version,
        })
        .collect();
    Ok((items, totals.n, totals.visits))
}

/// One activity with who came, if in `scope`.
pub async fn find(db: &PgPool, scope: &Scope, id: Uuid) -> sqlx::Result<Option<Activity>> {
    let Some(r) = sqlx::query!(
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
    .await?
    else {
        return Ok(None);
    };
    let people = sqlx::query!(
        r#"SELECT coalesce(c.id, v.id) AS "id!", coalesce(c.name, v.name) AS "name!",
                  t.child_id IS NOT NULL AS "is_child!", t.is_host
           FROM attendance t
           LEFT JOIN child c ON c.id = t.child_id
           LEFT JOIN volunteer v ON v.id = t.volunteer_id
           WHERE t.activity_id = $1
           ORDER BY t.is_host DESC, 2, 1"#,
        id
    )
    .fetch_all(db)
    .await?;
    let (mut children, mut volunteers) = (Vec::new(), Vec::new());
    for p in people {
        let who = Attendee {
            id: p.id,
            name: p.name,
            is_host: p.is_host,
        };
        if p.is_child {
            children.push(who);
        } else {
            volunteers.push(who);
        }
    }
    Ok(Some(Activity {
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
        children,
        volunteers,
        editable_until: super::service::editable_until(r.created_at, r.held_on),
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

/// Rewrites an activity if `version` is current; `false` when someone saved first.
pub async fn update(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    version: i32,
    a: &ValidActivity,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"UPDATE activity SET kind = $3, title = $4, topic = $5, held_on = $6, starts_at = $7, ends_at = $8,
                  description = $9, partners = $10, guardian_count = $11, other_count = $12
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
        a.other_count
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

/// Of these children, those not registered at the station.
pub async fn children_elsewhere(
    db: &PgPool,
    station: Uuid,
    children: &[Uuid],
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"SELECT c AS "c!" FROM unnest($2::uuid[]) AS c
           WHERE NOT EXISTS (SELECT 1 FROM child x WHERE x.id = c AND x.station_id = $1)"#,
        station,
        children
    )
    .fetch_all(db)
    .await
}

/// Of these volunteers, those the caller may not tick: outside the scope, or withdrawn.
pub async fn volunteers_out_of_reach(
    db: &PgPool,
    scope: &Scope,
    volunteers: &[Uuid],
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"SELECT x AS "x!" FROM unnest($4::uuid[]) AS x
           WHERE NOT EXISTS (SELECT 1 FROM volunteer v WHERE v.id = x AND v.status <> 'withdrawn'
                   AND ($1::text IS NULL OR v.region_code LIKE $1)
                   AND ($2::uuid[] IS NULL OR v.station_id = ANY($2))
                   AND ($3::uuid IS NULL OR v.id = $3))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        volunteers
    )
    .fetch_all(db)
    .await
}

/// Someone the quick log form offers to tick.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Age (children) or pipeline status key (volunteers), to tell namesakes apart.
    pub note: String,
}

/// The station's children (not exited), the ones who came most in the last eight weeks first:
/// the regulars are at the top of the list a manager ticks. (The counts come from the
/// station's own recent sessions, found by the station-and-day index.)
pub async fn child_candidates(db: &PgPool, station: Uuid) -> sqlx::Result<Vec<Candidate>> {
    let today = crate::domain::today();
    Ok(sqlx::query!(
        r#"SELECT c.id, c.name, c.birth_date, coalesce(r.visits, 0) AS "visits!"
           FROM child c
           LEFT JOIN (SELECT t.child_id, count(*) AS visits
                      FROM activity a JOIN attendance t ON t.activity_id = a.id
                      WHERE a.station_id = $1 AND a.held_on >= $2 AND t.child_id IS NOT NULL
                      GROUP BY t.child_id) r ON r.child_id = c.id
           WHERE c.station_id = $1 AND c.status <> 'exited'
           ORDER BY 4 DESC, c.name, c.id
           LIMIT 2000"#,
        station,
        today - time::Duration::weeks(8)
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| Candidate {
        id: r.id,
        name: r.name,
        note: crate::domain::age_on(r.birth_date, today).to_string(),
    })
    .collect())
}

/// The station's volunteers (not withdrawn), the ones who came most recently first.
pub async fn volunteer_candidates(db: &PgPool, station: Uuid) -> sqlx::Result<Vec<Candidate>> {
    let since = crate::domain::today() - time::Duration::weeks(8);
    Ok(sqlx::query!(
        r#"SELECT v.id, v.name, v.status::text AS "status!", coalesce(r.visits, 0) AS "visits!"
           FROM volunteer v
           LEFT JOIN (SELECT t.volunteer_id, count(*) AS visits
                      FROM activity a JOIN attendance t ON t.activity_id = a.id
                      WHERE a.station_id = $1 AND a.held_on >= $2 AND t.volunteer_id IS NOT NULL
                      GROUP BY t.volunteer_id) r ON r.volunteer_id = v.id
           WHERE v.station_id = $1 AND v.status <> 'withdrawn'
           ORDER BY 4 DESC, v.name, v.id
           LIMIT 1000"#,
        station,
        since
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| Candidate {
        id: r.id,
        name: r.name,
        note: format!("volunteer.status.{}", r.status),
    })
    .collect())
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

/// Days the station was open in `[from, to]`: distinct days with a session logged for
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

/// Sessions and person-visits at a station in `[from, to]`.
pub async fn station_totals(
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

/// The planned opening hours of a station on a weekday (1 = Monday), for the form's defaults.
pub fn planned_hours(schedule: &[crate::stations::model::Slot], day: Date) -> Option<(Time, Time)> {
    let weekday = day.weekday().number_from_monday();
    let slot = schedule.iter().find(|s| s.weekday == weekday)?;
    let opens = super::model::parse_hhmm(&slot.opens).ok()?;
    let closes = super::model::parse_hhmm(&slot.closes).ok()?;
    Some((opens, closes))
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
