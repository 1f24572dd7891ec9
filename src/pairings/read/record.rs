//! The pairing record as pages and the API show it: each pairing with its child's, volunteer's
//! and station's names and its first meeting, found in the caller's scope, a child's or a
//! volunteer's history, and the list.

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use crate::auth::Scope;
use crate::domain::pairing::{DUE_SOON_DAYS, Dues, NEW_DAYS};
use crate::i18n::Lang;
use crate::pairings::model::{
    ClosureDecidedBy, ClosureReason, Filter, Health, Pairing, PairingStatus,
};

/// A pairing row as the database answers it (health is worked out afterwards).
struct Row {
    id: Uuid,
    child_id: Uuid,
    child_name: String,
    volunteer_id: Uuid,
    volunteer_name: String,
    station_id: Uuid,
    station_name: String,
    status: PairingStatus,
    started_on: Date,
    ended_on: Option<Date>,
    closure_reason: Option<ClosureReason>,
    closure_note: Option<String>,
    closing_talk_child: Option<bool>,
    closing_talk_guardian: Option<bool>,
    closure_decided_by: Option<ClosureDecidedBy>,
    re_pair: bool,
    closed_by: Option<String>,
    closure_confirmed_by: Option<String>,
    agreement_signed_on: Option<Date>,
    first_activity_id: Option<Uuid>,
    first_activity_title: Option<String>,
    first_activity_on: Option<Date>,
    contact_count: i32,
    last_contact_on: Option<Date>,
    last_home_visit_on: Option<Date>,
    last_check_in_on: Option<Date>,
    unreached_streak: i32,
    contact_due_on: Option<Date>,
    home_visit_due_on: Option<Date>,
    check_in_due_on: Option<Date>,
    version: i32,
    created_at: time::OffsetDateTime,
    updated_at: time::OffsetDateTime,
}

impl Row {
    fn into_pairing(self, today: Date, lang: Lang) -> Pairing {
        let dues = Dues {
            contact: self.contact_due_on,
            home_visit: self.home_visit_due_on,
            check_in: self.check_in_due_on,
        };
        let active = self.status == PairingStatus::Active;
        let health = active.then(|| Health::of(self.started_on, dues, today));
        let reasons = |dues| {
            if active {
                Health::reasons(dues, self.unreached_streak, today)
                    .iter()
                    .map(|r| r.words(lang))
                    .collect()
            } else {
                Vec::new()
            }
        };
        let hers = Dues {
            check_in: None,
            ..dues
        };
        Pairing {
            id: self.id,
            child_id: self.child_id,
            child_name: self.child_name,
            volunteer_id: self.volunteer_id,
            volunteer_name: self.volunteer_name,
            station_id: self.station_id,
            station_name: self.station_name,
            status: self.status,
            started_on: self.started_on,
            ended_on: self.ended_on,
            closure_reason: self.closure_reason,
            closure_note: self.closure_note,
            closing_talk_child: self.closing_talk_child,
            closing_talk_guardian: self.closing_talk_guardian,
            closure_decided_by: self.closure_decided_by,
            re_pair: self.re_pair,
            closed_by: self.closed_by,
            closure_confirmed_by: self.closure_confirmed_by,
            agreement_signed_on: self.agreement_signed_on,
            first_activity_id: self.first_activity_id,
            first_activity_title: self.first_activity_title,
            first_activity_on: self.first_activity_on,
            contact_count: self.contact_count,
            last_contact_on: self.last_contact_on,
            last_home_visit_on: self.last_home_visit_on,
            last_check_in_on: self.last_check_in_on,
            contact_due_on: self.contact_due_on,
            home_visit_due_on: self.home_visit_due_on,
            check_in_due_on: self.check_in_due_on,
            health,
            health_reasons: reasons(dues),
            own_health: active.then(|| Health::of(self.started_on, hers, today)),
            own_reasons: reasons(hers),
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A query for pairing rows: the shared SELECT over `$source` (the pairing table, or a page of
/// it chosen first), then `$tail` (WHERE, ORDER, LIMIT).
macro_rules! pairings_from {
    ($source:literal, $tail:literal, $($arg:expr),* $(,)?) => {
        sqlx::query_as!(
            Row,
            r#"SELECT p.id, p.child_id, c.name AS child_name, p.volunteer_id, v.name AS volunteer_name,
                      p.station_id, s.name AS station_name, p.status AS "status: PairingStatus",
                      p.started_on, p.ended_on, p.closure_reason AS "closure_reason: ClosureReason",
                      p.closure_note, p.closing_talk_child, p.closing_talk_guardian,
                      p.closure_decided_by AS "closure_decided_by: ClosureDecidedBy", p.re_pair,
                      cb.display_name AS "closed_by?", cf.display_name AS "closure_confirmed_by?",
                      p.agreement_signed_on, p.first_activity_id,
                      a.title AS "first_activity_title?", a.held_on AS "first_activity_on?",
                      p.contact_count, p.last_contact_on, p.last_home_visit_on, p.last_check_in_on,
                      p.unreached_streak, p.contact_due_on, p.home_visit_due_on, p.check_in_due_on,
                      p.version, p.created_at, p.updated_at
               FROM "# + $source + r#"
               JOIN child c ON c.id = p.child_id
               JOIN volunteer v ON v.id = p.volunteer_id
               JOIN station s ON s.id = p.station_id
               LEFT JOIN activity a ON a.id = p.first_activity_id
               LEFT JOIN app_user cb ON cb.id = p.closed_by
               LEFT JOIN app_user cf ON cf.id = p.closure_confirmed_by
               "# + $tail,
            $($arg),*
        )
    };
}

/// A pairing in scope: a region's stations, a manager's stations, a volunteer's own active
/// ones (what her portal shows; a closed pairing is no longer hers to read).
pub async fn find(
    db: &PgPool,
    scope: &Scope,
    id: Uuid,
    today: Date,
    lang: Lang,
) -> sqlx::Result<Option<Pairing>> {
    let row = pairings_from!(
        "pairing p",
        "WHERE p.id = $1
           AND ($2::text IS NULL OR s.region_code LIKE $2)
           AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
           AND ($4::uuid IS NULL OR (p.volunteer_id = $4 AND p.status = 'active'))",
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| r.into_pairing(today, lang)))
}

/// Every pairing of a child, newest first (the caller has checked the child is in scope).
pub async fn of_child(
    db: &PgPool,
    child: Uuid,
    today: Date,
    lang: Lang,
) -> sqlx::Result<Vec<Pairing>> {
    let rows = pairings_from!(
        "pairing p",
        "WHERE p.child_id = $1 ORDER BY p.started_on DESC, p.created_at DESC",
        child
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_pairing(today, lang))
        .collect())
}

/// A page of the pairings in scope (a volunteer's: her active ones), and their total.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    (limit, offset): (i64, i64),
    (today, lang): (Date, Lang),
) -> sqlx::Result<(Vec<Pairing>, i64)> {
    let q =
        f.q.as_deref()
            .map(|q| format!("%{}%", crate::db::escape_like(q)));
    let health = f.health.map(Health::as_str);
    // The page of pairing rows is chosen first (names and regions through semi-joins), and
    // only its rows are joined to their names.
    let rows = pairings_from!(
        r#"(SELECT * FROM pairing p
            WHERE ($1::text IS NULL OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
              AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
              AND ($3::uuid IS NULL OR (p.volunteer_id = $3 AND p.status = 'active'))
              AND ($4::text IS NULL OR p.child_id IN (SELECT id FROM child WHERE name ILIKE $4)
                   OR p.volunteer_id IN (SELECT id FROM volunteer WHERE name ILIKE $4))
              AND ($5::uuid IS NULL OR p.station_id = $5)
              AND ($6::uuid IS NULL OR p.child_id = $6)
              AND ($7::uuid IS NULL OR p.volunteer_id = $7)
              AND ($8::pairing_status IS NULL OR p.status = $8)
              AND ($9::text IS NULL OR (p.status = 'active' AND CASE
                   WHEN p.due_on < $10 THEN 'overdue'
                   WHEN p.started_on > $10 - $13::int THEN 'new'
                   WHEN p.due_on <= $10 + $14::int THEN 'due_soon'
                   ELSE 'on_track' END = $9))
            ORDER BY p.started_on DESC, p.id
            LIMIT $11 OFFSET $12) p"#,
        "ORDER BY p.started_on DESC, p.id",
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        q,
        f.station_id,
        f.child_id,
        f.volunteer_id,
        f.status as Option<PairingStatus>,
        health,
        today,
        limit,
        offset,
        NEW_DAYS as i32,
        DUE_SOON_DAYS as i32,
    )
    .fetch_all(db)
    .await?;
    // The count reads pairing rows alone (names and regions through semi-joins), so that a
    // province's total does not join three tables row by row.
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pairing p
           WHERE ($1::text IS NULL OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
             AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
             AND ($3::uuid IS NULL OR (p.volunteer_id = $3 AND p.status = 'active'))
             AND ($4::text IS NULL OR p.child_id IN (SELECT id FROM child WHERE name ILIKE $4)
                  OR p.volunteer_id IN (SELECT id FROM volunteer WHERE name ILIKE $4))
             AND ($5::uuid IS NULL OR p.station_id = $5)
             AND ($6::uuid IS NULL OR p.child_id = $6)
             AND ($7::uuid IS NULL OR p.volunteer_id = $7)
             AND ($8::pairing_status IS NULL OR p.status = $8)
             AND ($9::text IS NULL OR (p.status = 'active' AND CASE
                  WHEN p.due_on < $10 THEN 'overdue'
                  WHEN p.started_on > $10 - $11::int THEN 'new'
                  WHEN p.due_on <= $10 + $12::int THEN 'due_soon'
                  ELSE 'on_track' END = $9))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        q,
        f.station_id,
        f.child_id,
        f.volunteer_id,
        f.status as Option<PairingStatus>,
        health,
        today,
        NEW_DAYS as i32,
        DUE_SOON_DAYS as i32,
    )
    .fetch_one(db)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| r.into_pairing(today, lang))
        .collect();
    Ok((items, total))
}
