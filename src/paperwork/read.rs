//! What the forms print, read for records the owning areas already found within the reader's
//! scope (the one crossing: the forms join the tables of the areas whose records they print,
//! and write nothing but certificates).

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::model::{ESTIMATED_SESSION_MINUTES, Hours, LedgerRow, PairingForm, RosterLine};
use crate::activities::model::Kind;
use crate::children::model::Relation;
use crate::domain::{Category, Gender};

/// The registration forms of these pairings, in the order asked. A child's first guardian
/// still on record is printed; phones are masked.
pub async fn pairing_forms(db: &PgPool, ids: &[Uuid]) -> sqlx::Result<Vec<PairingForm>> {
    let rows = sqlx::query!(
        r#"SELECT p.id, c.name AS child_name, c.gender AS "child_gender: Gender",
                  c.birth_date AS child_birth_date, c.category AS "child_category: Category",
                  coalesce(region_path(c.region_code), c.region_code) AS "child_residence!",
                  g.name AS "guardian_name?", g.relation AS "guardian_relation?: Relation",
                  g.phone AS "guardian_phone?",
                  v.name AS volunteer_name, v.phone AS volunteer_phone,
                  s.name AS station_name,
                  coalesce(region_path(s.region_code), s.region_code) AS "station_region!",
                  s.region_code AS station_region_code,
                  p.started_on, a.held_on AS "first_activity_on?"
           FROM unnest($1::uuid[]) WITH ORDINALITY AS asked (id, n)
           JOIN pairing p ON p.id = asked.id
           JOIN child c ON c.id = p.child_id
           JOIN volunteer v ON v.id = p.volunteer_id
           JOIN station s ON s.id = p.station_id
           LEFT JOIN activity a ON a.id = p.first_activity_id
           LEFT JOIN LATERAL (SELECT name, relation, phone FROM guardian
                              WHERE child_id = c.id AND removed_on IS NULL
                              ORDER BY created_at, id LIMIT 1) g ON true
           ORDER BY asked.n"#,
        ids
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PairingForm {
            id: r.id,
            child_name: r.child_name,
            child_gender: r.child_gender,
            child_birth_date: r.child_birth_date,
            child_category: r.child_category,
            child_residence: r.child_residence,
            guardian_name: r.guardian_name,
            guardian_relation: r.guardian_relation,
            guardian_phone: r.guardian_phone.map(|p| crate::domain::phone::mask(&p)),
            volunteer_name: r.volunteer_name,
            volunteer_phone: r.volunteer_phone.map(|p| crate::domain::phone::mask(&p)),
            station_name: r.station_name,
            station_region: r.station_region,
            station_region_code: r.station_region_code,
            started_on: r.started_on,
            first_activity_on: r.first_activity_on,
        })
        .collect())
}

/// The sessions a station held from `from` to `to`, by day and time, each with its hosts.
pub async fn ledger(
    db: &PgPool,
    station: Uuid,
    (from, to): (Date, Date),
) -> sqlx::Result<Vec<LedgerRow>> {
    let rows = sqlx::query!(
        r#"SELECT a.held_on, a.starts_at, a.ends_at, a.kind AS "kind: Kind", a.title,
                  a.child_count, a.volunteer_count, a.guardian_count, a.other_count,
                  a.person_visits AS "person_visits!",
                  coalesce(array(SELECT v.name FROM attendance h JOIN volunteer v ON v.id = h.volunteer_id
                                 WHERE h.activity_id = a.id AND h.is_host
                                 ORDER BY v.name COLLATE zh_pinyin), '{}') AS "hosts!"
           FROM activity a
           WHERE a.station_id = $1 AND a.held_on BETWEEN $2 AND $3
           ORDER BY a.held_on, a.starts_at NULLS LAST, a.created_at"#,
        station,
        from,
        to
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LedgerRow {
            held_on: r.held_on,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            kind: r.kind,
            title: r.title,
            children: r.child_count,
            volunteers: r.volunteer_count,
            guardians: r.guardian_count,
            others: r.other_count,
            person_visits: r.person_visits,
            hosts: r.hosts,
        })
        .collect())
}

/// The children of a station in the programme, by name, each with her first guardian on
/// record and her running pairing; ID numbers still sealed.
pub async fn roster_sheet(
    db: &PgPool,
    station: Uuid,
) -> sqlx::Result<Vec<(RosterLine, Option<Vec<u8>>)>> {
    let rows = sqlx::query!(
        r#"SELECT c.name, c.gender AS "gender: Gender", c.birth_date,
                  c.category AS "category: Category", c.id_number,
                  g.name AS "guardian_name?", g.relation AS "guardian_relation?: Relation",
                  v.name AS "volunteer_name?", p.started_on AS "paired_since?"
           FROM child c
           LEFT JOIN LATERAL (SELECT name, relation FROM guardian
                              WHERE child_id = c.id AND removed_on IS NULL
                              ORDER BY created_at, id LIMIT 1) g ON true
           LEFT JOIN pairing p ON p.child_id = c.id AND p.status IN ('active', 'suspended')
           LEFT JOIN volunteer v ON v.id = p.volunteer_id
           WHERE c.station_id = $1 AND c.status <> 'exited'
           ORDER BY c.name COLLATE zh_pinyin, c.id"#,
        station
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                RosterLine {
                    name: r.name,
                    gender: r.gender,
                    birth_date: r.birth_date,
                    category: r.category,
                    id_number: None,
                    guardian_name: r.guardian_name,
                    guardian_relation: r.guardian_relation,
                    volunteer_name: r.volunteer_name,
                    paired_since: r.paired_since,
                },
                r.id_number,
            )
        })
        .collect())
}

/// A volunteer's hours in `year`: the sessions she hosted or attended (a session without both
/// times counts [`ESTIMATED_SESSION_MINUTES`]) and the contacts she logged that reached the
/// child, with their minutes.
pub async fn hours(db: &PgPool, volunteer: Uuid, year: i32) -> sqlx::Result<Hours> {
    let r = sqlx::query!(
        r#"WITH sessions AS (
               SELECT CASE WHEN a.starts_at IS NOT NULL AND a.ends_at IS NOT NULL
                           THEN (extract(epoch FROM a.ends_at - a.starts_at) / 60)::int
                      END AS minutes
               FROM attendance t JOIN activity a ON a.id = t.activity_id
               WHERE t.volunteer_id = $1
                 AND a.held_on BETWEEN make_date($2, 1, 1) AND make_date($2, 12, 31)
           ), contacts AS (
               SELECT k.duration_minutes
               FROM contact k JOIN pairing p ON p.id = k.pairing_id
               WHERE p.volunteer_id = $1 AND k.outcome = 'reached'
                 AND k.contacted_on BETWEEN make_date($2, 1, 1) AND make_date($2, 12, 31)
           )
           SELECT (SELECT count(*) FROM sessions)::int AS "sessions!",
                  (SELECT count(*) FROM sessions WHERE minutes IS NULL)::int AS "estimated!",
                  (SELECT coalesce(sum(coalesce(minutes, $3)), 0) FROM sessions)::int AS "session_minutes!",
                  (SELECT count(*) FROM contacts)::int AS "contacts!",
                  (SELECT coalesce(sum(duration_minutes), 0) FROM contacts)::int AS "contact_minutes!""#,
        volunteer,
        year,
        ESTIMATED_SESSION_MINUTES
    )
    .fetch_one(db)
    .await?;
    Ok(Hours {
        sessions: r.sessions,
        estimated_sessions: r.estimated,
        session_minutes: r.session_minutes,
        contacts: r.contacts,
        contact_minutes: r.contact_minutes,
    })
}

/// Whether a volunteer's values were erased (she has no certificate any more).
pub async fn erased(db: &PgPool, volunteer: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT anonymised_at IS NOT NULL AS "erased!" FROM volunteer WHERE id = $1"#,
        volunteer
    )
    .fetch_one(db)
    .await
}
