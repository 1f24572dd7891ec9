//! Who waits and who could take them: the children waiting for a pairing, the volunteers who
//! might take a child (the suggestions' rows), and the events and stations the pairing forms
//! offer. Display reads; the rules are decided when a pairing is written.

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use crate::auth::Scope;
use crate::pairings::model::{ClosureReason, WaitingChild};
use crate::volunteers::model::VolunteerStatus;

/// A volunteer who might take a child, with what ranks her.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: Uuid,
    pub name: String,
    pub status: VolunteerStatus,
    pub skills: Vec<String>,
    /// Children she may take.
    pub capacity: i16,
    /// Children paired with her now.
    pub paired: i64,
    pub station_id: Option<Uuid>,
    pub station_name: Option<String>,
    /// Where she serves: her station's region, else where she lives.
    pub place: String,
    /// Whether she is paired with this child already.
    pub paired_with_child: bool,
}

/// Volunteers in scope who could take `child`: with `name_like`, every volunteer of that name
/// (so that staff learn why one is not eligible); without, the active ones with a place left
/// who serve or live in `county`.
pub async fn candidates(
    db: &PgPool,
    scope: &Scope,
    child: Uuid,
    county: &str,
    name_like: Option<&str>,
) -> sqlx::Result<Vec<Candidate>> {
    let county_like = format!("{}%", crate::db::escape_like(county));
    let name_like = name_like.map(|q| format!("%{}%", crate::db::escape_like(q)));
    sqlx::query_as!(
        Candidate,
        r#"SELECT v.id, v.name, v.status AS "status: VolunteerStatus", v.skills, v.capacity,
                  (SELECT count(*) FROM pairing p WHERE p.volunteer_id = v.id
                                                   AND p.status IN ('active', 'suspended')) AS "paired!",
                  v.station_id, s.name AS "station_name?", coalesce(s.region_code, v.region_code) AS "place!",
                  EXISTS (SELECT 1 FROM pairing p WHERE p.volunteer_id = v.id AND p.child_id = $4
                          AND p.status = 'active') AS "paired_with_child!"
           FROM volunteer v LEFT JOIN station s ON s.id = v.station_id
           WHERE ($1::text IS NULL OR v.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR v.station_id = ANY($2))
             AND $3::uuid IS NULL
             AND CASE WHEN $6::text IS NOT NULL THEN v.name ILIKE $6
                      ELSE v.status = 'active'
                           AND (v.region_code LIKE $5
                                OR v.station_id IN (SELECT id FROM station WHERE region_code LIKE $5))
                           AND (SELECT count(*) FROM pairing p
                                WHERE p.volunteer_id = v.id
                                  AND p.status IN ('active', 'suspended')) < v.capacity
                           -- under a safeguarding suspension, paired with no other child
                           AND NOT EXISTS (SELECT 1 FROM pairing p
                                           WHERE p.volunteer_id = v.id AND p.status = 'suspended')
                 END
           ORDER BY v.name COLLATE zh_pinyin, v.id
           LIMIT 2000"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        child,
        county_like,
        name_like,
    )
    .fetch_all(db)
    .await
}

/// The children in scope waiting for a pairing, longest wait first, and their total.
pub async fn waiting(
    db: &PgPool,
    scope: &Scope,
    station: Option<Uuid>,
    (limit, offset): (i64, i64),
    today: Date,
) -> sqlx::Result<(Vec<WaitingChild>, i64)> {
    // Whether she may be paired today is the children area's `consent_current`: the one
    // definition of a consent in force, which the service asks and the pairing trigger calls.
    let rows = sqlx::query!(
        // A child whose last pairing closed asking to pair her again first heads the list (the
        // few such pairings, `pairing_re_pair`, are joined by her waiting day: that last one).
        r#"SELECT c.id, c.name, c.birth_date, c.station_id, s.name AS station_name, c.waiting_since,
                  consent_current(c.id, 'pairing', $7) AS "has_pairing_consent!",
                  r.closure_reason AS "re_pair_reason?: ClosureReason"
           FROM child c JOIN station s ON s.id = c.station_id
           LEFT JOIN (SELECT DISTINCT ON (child_id) child_id, ended_on, closure_reason
                      FROM pairing WHERE re_pair AND status = 'closed'
                      ORDER BY child_id, ended_on DESC) r
                  ON r.child_id = c.id AND r.ended_on = c.waiting_since
           WHERE c.status = 'registered'
             AND ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
             AND $3::uuid IS NULL
             AND ($4::uuid IS NULL OR c.station_id = $4)
           ORDER BY r.child_id IS NULL, c.waiting_since, c.name COLLATE zh_pinyin, c.id
           LIMIT $5 OFFSET $6"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        station,
        limit,
        offset,
        today,
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM child c
           WHERE c.status = 'registered'
             AND ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
             AND $3::uuid IS NULL
             AND ($4::uuid IS NULL OR c.station_id = $4)"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        station,
    )
    .fetch_one(db)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| WaitingChild {
            id: r.id,
            name: r.name,
            age: crate::domain::age_on(r.birth_date, today),
            station_id: r.station_id,
            station_name: r.station_name,
            waiting_since: r.waiting_since,
            days_waiting: (today - r.waiting_since).whole_days(),
            has_pairing_consent: r.has_pairing_consent,
            re_pair_reason: r.re_pair_reason,
        })
        .collect();
    Ok((items, total))
}

/// The ice-breaking events of a station, newest first, for the pairing forms.
pub async fn ice_breakers(db: &PgPool, station: Uuid) -> sqlx::Result<Vec<(Uuid, String, Date)>> {
    let rows = sqlx::query!(
        "SELECT id, title, held_on FROM activity
         WHERE station_id = $1 AND kind = 'ice_breaking'
         ORDER BY held_on DESC, created_at DESC LIMIT 50",
        station
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.title, r.held_on))
        .collect())
}

/// Who came to an event: its children and volunteers (ids), for the batch page.
pub async fn attendees(db: &PgPool, activity: Uuid) -> sqlx::Result<(Vec<Uuid>, Vec<Uuid>)> {
    let rows = sqlx::query!(
        "SELECT child_id, volunteer_id FROM attendance WHERE activity_id = $1",
        activity
    )
    .fetch_all(db)
    .await?;
    Ok((
        rows.iter().filter_map(|r| r.child_id).collect(),
        rows.iter().filter_map(|r| r.volunteer_id).collect(),
    ))
}

/// The township or village of a station (for ranking volunteers by distance).
pub async fn station_region(db: &PgPool, station: Uuid) -> sqlx::Result<String> {
    sqlx::query_scalar!("SELECT region_code FROM station WHERE id = $1", station)
        .fetch_one(db)
        .await
}
