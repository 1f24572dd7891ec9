//! What the activity pages show of people registered by other areas: who came to a session,
//! by name, and whom the quick log form offers to tick. Display only: whether a child or a
//! volunteer may be ticked is asked of the children's and the volunteers' areas.

use sqlx::PgPool;
use uuid::Uuid;

use super::model::{Attendee, Candidate};

/// Who came to an activity, by name: the children, then the volunteers (hosts first).
pub async fn attendees(
    db: &PgPool,
    activity: Uuid,
) -> sqlx::Result<(Vec<Attendee>, Vec<Attendee>)> {
    let people = sqlx::query!(
        r#"SELECT coalesce(c.id, v.id) AS "id!", coalesce(c.name, v.name) AS "name!",
                  t.child_id IS NOT NULL AS "is_child!", t.is_host
           FROM attendance t
           LEFT JOIN child c ON c.id = t.child_id
           LEFT JOIN volunteer v ON v.id = t.volunteer_id
           WHERE t.activity_id = $1
           ORDER BY t.is_host DESC, coalesce(c.name, v.name) COLLATE zh_pinyin, 1"#,
        activity
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
    Ok((children, volunteers))
}

/// How many of the children, and of the volunteers, who came most in the last eight weeks the
/// log form shows first (a session has many children and a few volunteers).
const REGULAR_CHILDREN: usize = 30;
const REGULAR_VOLUNTEERS: usize = 12;

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
           ORDER BY 4 DESC, c.name COLLATE zh_pinyin, c.id
           LIMIT 2000"#,
        station,
        today - time::Duration::weeks(8)
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .enumerate()
    .map(|(rank, r)| Candidate {
        id: r.id,
        name: r.name,
        note: crate::domain::age_on(r.birth_date, today).to_string(),
        regular: rank < REGULAR_CHILDREN && r.visits > 0,
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
           ORDER BY 4 DESC, v.name COLLATE zh_pinyin, v.id
           LIMIT 1000"#,
        station,
        since
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .enumerate()
    .map(|(rank, r)| Candidate {
        id: r.id,
        name: r.name,
        note: format!("volunteer.status.{}", r.status),
        regular: rank < REGULAR_VOLUNTEERS && r.visits > 0,
    })
    .collect())
}
