//! The SQL of pairings. Lists and loads take the caller's [`Scope`]; the writes run inside the
//! caller's transaction, under row locks, so that the checks and the insert see one state.

use sqlx::{PgConnection, PgPool};
use time::Date;
use uuid::Uuid;

use super::model::{Closing, ClosureReason, Health, NewPairing, Pairing, PairingStatus};
use crate::auth::Scope;
use crate::volunteers::model::VolunteerStatus;

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
    agreement_signed_on: Option<Date>,
    first_activity_id: Option<Uuid>,
    first_activity_title: Option<String>,
    first_activity_on: Option<Date>,
    contact_count: i32,
    last_contact_on: Option<Date>,
    version: i32,
    created_at: time::OffsetDateTime,
    updated_at: time::OffsetDateTime,
}

impl Row {
    fn into_pairing(self, today: Date, check_in_days: u16) -> Pairing {
        let health = (self.status == PairingStatus::Active)
            .then(|| Health::of(self.started_on, self.last_contact_on, today, check_in_days));
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
            agreement_signed_on: self.agreement_signed_on,
            first_activity_id: self.first_activity_id,
            first_activity_title: self.first_activity_title,
            first_activity_on: self.first_activity_on,
            contact_count: self.contact_count,
            last_contact_on: self.last_contact_on,
            health,
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
                      p.closure_note, p.agreement_signed_on, p.first_activity_id,
                      a.title AS "first_activity_title?", a.held_on AS "first_activity_on?",
                      p.contact_count, p.last_contact_on, p.version, p.created_at, p.updated_at
               FROM "# + $source + r#"
               JOIN child c ON c.id = p.child_id
               JOIN volunteer v ON v.id = p.volunteer_id
               JOIN station s ON s.id = p.station_id
               LEFT JOIN activity a ON a.id = p.first_activity_id
               "# + $tail,
            $($arg),*
        )
    };
}

/// A pairing in scope: a region's stations, a manager's stations, a volunteer's own.
pub async fn find(
    db: &PgPool,
    scope: &Scope,
    id: Uuid,
    today: Date,
    check_in_days: u16,
) -> sqlx::Result<Option<Pairing>> {
    let row = pairings_from!(
        "pairing p",
        "WHERE p.id = $1
           AND ($2::text IS NULL OR s.region_code LIKE $2)
           AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
           AND ($4::uuid IS NULL OR p.volunteer_id = $4)",
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| r.into_pairing(today, check_in_days)))
}

/// Every pairing of a child, newest first (the caller has checked the child is in scope).
pub async fn of_child(
    db: &PgPool,
    child: Uuid,
    today: Date,
    check_in_days: u16,
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
        .map(|r| r.into_pairing(today, check_in_days))
        .collect())
}

/// Every pairing of a volunteer, newest first (the caller has checked she is in scope).
pub async fn of_volunteer(
    db: &PgPool,
    volunteer: Uuid,
    today: Date,
    check_in_days: u16,
) -> sqlx::Result<Vec<Pairing>> {
    let rows = pairings_from!(
        "pairing p",
        "WHERE p.volunteer_id = $1 ORDER BY p.started_on DESC, p.created_at DESC",
        volunteer
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_pairing(today, check_in_days))
        .collect())
}

/// Filters of the pairing list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Part of the child's or the volunteer's name.
    pub q: Option<String>,
    /// At this station.
    pub station_id: Option<Uuid>,
    /// Of this child.
    pub child_id: Option<Uuid>,
    /// Of this volunteer.
    pub volunteer_id: Option<Uuid>,
    /// In this status.
    pub status: Option<PairingStatus>,
    /// With this health mark (active pairings only).
    pub health: Option<Health>,
}

/// A page of the pairings in scope, and their total.
pub async fn list(
    db: &PgPool,
    scope: &Scope,
    f: &Filter,
    (limit, offset): (i64, i64),
    (today, check_in_days): (Date, u16),
) -> sqlx::Result<(Vec<Pairing>, i64)> {
    let q =
        f.q.as_deref()
            .map(|q| format!("%{}%", crate::db::escape_like(q)));
    let quiet_since = today - time::Duration::days(i64::from(check_in_days));
    let health = f.health.map(Health::as_str);
    // The page of pairing rows is chosen first (names and regions through semi-joins), and
    // only its rows are joined to their names.
    let rows = pairings_from!(
        r#"(SELECT * FROM pairing p
            WHERE ($1::text IS NULL OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
              AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
              AND ($3::uuid IS NULL OR p.volunteer_id = $3)
              AND ($4::text IS NULL OR p.child_id IN (SELECT id FROM child WHERE name ILIKE $4)
                   OR p.volunteer_id IN (SELECT id FROM volunteer WHERE name ILIKE $4))
              AND ($5::uuid IS NULL OR p.station_id = $5)
              AND ($6::uuid IS NULL OR p.child_id = $6)
              AND ($7::uuid IS NULL OR p.volunteer_id = $7)
              AND ($8::pairing_status IS NULL OR p.status = $8)
              AND ($9::text IS DISTINCT FROM 'new'
                   OR (p.status = 'active' AND p.last_contact_on IS NULL AND p.started_on > $10))
              AND ($9::text IS DISTINCT FROM 'on_track'
                   OR (p.status = 'active' AND p.last_contact_on > $10))
              AND ($9::text IS DISTINCT FROM 'needs_check_in'
                   OR (p.status = 'active' AND p.quiet_since <= $10))
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
        quiet_since,
        limit,
        offset,
    )
    .fetch_all(db)
    .await?;
    // The count reads pairing rows alone (names and regions through semi-joins), so that a
    // province's total does not join three tables row by row.
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pairing p
           WHERE ($1::text IS NULL OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
             AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
             AND ($3::uuid IS NULL OR p.volunteer_id = $3)
             AND ($4::text IS NULL OR p.child_id IN (SELECT id FROM child WHERE name ILIKE $4)
                  OR p.volunteer_id IN (SELECT id FROM volunteer WHERE name ILIKE $4))
             AND ($5::uuid IS NULL OR p.station_id = $5)
             AND ($6::uuid IS NULL OR p.child_id = $6)
             AND ($7::uuid IS NULL OR p.volunteer_id = $7)
             AND ($8::pairing_status IS NULL OR p.status = $8)
             AND ($9::text IS DISTINCT FROM 'new'
                  OR (p.status = 'active' AND p.last_contact_on IS NULL AND p.started_on > $10))
             AND ($9::text IS DISTINCT FROM 'on_track'
                  OR (p.status = 'active' AND p.last_contact_on > $10))
             AND ($9::text IS DISTINCT FROM 'needs_check_in'
                  OR (p.status = 'active' AND p.quiet_since <= $10))"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        q,
        f.station_id,
        f.child_id,
        f.volunteer_id,
        f.status as Option<PairingStatus>,
        health,
        quiet_since,
    )
    .fetch_one(db)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| r.into_pairing(today, check_in_days))
        .collect();
    Ok((items, total))
}

/// A child about to be paired, locked for the rest of the transaction: two pairings of the
/// same child wait for each other here.
#[derive(Debug, Clone)]
pub struct LockedChild {
    /// Name.
    pub name: String,
    /// Their station.
    pub station_id: Uuid,
    /// Whether they have left the programme.
    pub exited: bool,
}

/// Locks a child in scope.
pub async fn lock_child(
    tx: &mut PgConnection,
    scope: &Scope,
    child: Uuid,
) -> sqlx::Result<Option<LockedChild>> {
    sqlx::query_as!(
        LockedChild,
        r#"SELECT c.name, c.station_id, c.status = 'exited' AS "exited!"
           FROM child c
           WHERE c.id = $1
             AND ($2::text IS NULL OR c.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR c.station_id = ANY($3))
             AND $4::uuid IS NULL
           FOR UPDATE OF c"#,
        child,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(tx)
    .await
}

/// The volunteer of a child's active pairing, if there is one.
pub async fn active_partner(tx: &mut PgConnection, child: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT v.name FROM pairing p JOIN volunteer v ON v.id = p.volunteer_id
         WHERE p.child_id = $1 AND p.status = 'active'",
        child
    )
    .fetch_optional(tx)
    .await
}

/// A volunteer about to take a child, locked: her last place is taken by one pairing only.
#[derive(Debug, Clone)]
pub struct LockedVolunteer {
    /// Name.
    pub name: String,
    /// Pipeline status.
    pub status: VolunteerStatus,
    /// Children she may take.
    pub capacity: i16,
    /// Children she has now.
    pub paired: i64,
}

/// Locks a volunteer in scope and counts her active pairings.
pub async fn lock_volunteer(
    tx: &mut PgConnection,
    scope: &Scope,
    volunteer: Uuid,
) -> sqlx::Result<Option<LockedVolunteer>> {
    let found = sqlx::query!(
        r#"SELECT v.name, v.status AS "status: VolunteerStatus", v.capacity
           FROM volunteer v
           WHERE v.id = $1
             AND ($2::text IS NULL OR v.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR v.station_id = ANY($3))
             AND $4::uuid IS NULL
           FOR UPDATE"#,
        volunteer,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(v) = found else {
        return Ok(None);
    };
    let paired = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pairing WHERE volunteer_id = $1 AND status = 'active'"#,
        volunteer
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(Some(LockedVolunteer {
        name: v.name,
        status: v.status,
        capacity: v.capacity,
        paired,
    }))
}

/// The kind and date of an activity at a station.
pub async fn activity_at(
    tx: &mut PgConnection,
    activity: Uuid,
    station: Uuid,
) -> sqlx::Result<Option<(bool, Date)>> {
    let row = sqlx::query!(
        "SELECT kind = 'ice_breaking' AS ice_breaking, held_on FROM activity
         WHERE id = $1 AND station_id = $2",
        activity,
        station
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|r| (r.ice_breaking.unwrap_or(false), r.held_on)))
}

/// Writes a pairing at the child's station; the database checks every guard once more.
pub async fn insert(
    tx: &mut PgConnection,
    new: &NewPairing,
    station: Uuid,
    created_by: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO pairing (child_id, volunteer_id, station_id, started_on,
                              agreement_signed_on, first_activity_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        new.child_id,
        new.volunteer_id,
        station,
        new.started_on,
        new.agreement_signed_on,
        new.first_activity_id,
        created_by
    )
    .fetch_one(tx)
    .await
}

/// The start date and version of an active pairing in scope, locked for closing.
pub async fn lock_active(
    tx: &mut PgConnection,
    scope: &Scope,
    id: Uuid,
) -> sqlx::Result<Option<(PairingStatus, Date, i32)>> {
    let row = sqlx::query!(
        r#"SELECT p.status AS "status: PairingStatus", p.started_on, p.version
           FROM pairing p JOIN station s ON s.id = p.station_id
           WHERE p.id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND $4::uuid IS NULL
           FOR UPDATE OF p"#,
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
    )
    .fetch_optional(tx)
    .await?;
    Ok(row.map(|r| (r.status, r.started_on, r.version)))
}

/// Closes a pairing (the child's status follows, by trigger).
pub async fn close(tx: &mut PgConnection, id: Uuid, closing: &Closing) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE pairing SET status = 'closed', ended_on = $2, closure_reason = $3, closure_note = $4
         WHERE id = $1",
        id,
        closing.ended_on,
        closing.reason as ClosureReason,
        closing.note
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// A volunteer who might take a child, with what ranks her.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Pipeline status.
    pub status: VolunteerStatus,
    /// Skills.
    pub skills: Vec<String>,
    /// Places.
    pub capacity: i16,
    /// Children paired now.
    pub paired: i64,
    /// Her station.
    pub station_id: Option<Uuid>,
    /// Its name.
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
                  (SELECT count(*) FROM pairing p WHERE p.volunteer_id = v.id AND p.status = 'active') AS "paired!",
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
                                WHERE p.volunteer_id = v.id AND p.status = 'active') < v.capacity
                 END
           ORDER BY v.name, v.id
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

/// A child waiting for a pairing.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WaitingChild {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Age today.
    pub age: i32,
    /// Station.
    pub station_id: Uuid,
    /// Station name.
    pub station_name: String,
    /// Waiting since: registration, or the end of the last pairing.
    pub waiting_since: Date,
    /// Days waited so far.
    pub days_waiting: i64,
    /// Whether a guardian's pairing consent is on record (else that comes first).
    pub has_pairing_consent: bool,
}

/// The children in scope waiting for a pairing, longest wait first, and their total.
pub async fn waiting(
    db: &PgPool,
    scope: &Scope,
    station: Option<Uuid>,
    (limit, offset): (i64, i64),
    today: Date,
) -> sqlx::Result<(Vec<WaitingChild>, i64)> {
    let rows = sqlx::query!(
        r#"SELECT c.id, c.name, c.birth_date, c.station_id, s.name AS station_name, c.waiting_since,
                  EXISTS (SELECT 1 FROM consent k WHERE k.child_id = c.id AND k.scope = 'pairing'
                          AND k.withdrawn_on IS NULL) AS "has_pairing_consent!"
           FROM child c JOIN station s ON s.id = c.station_id
           WHERE c.status = 'registered'
             AND ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
             AND $3::uuid IS NULL
             AND ($4::uuid IS NULL OR c.station_id = $4)
           ORDER BY c.waiting_since, c.name, c.id
           LIMIT $5 OFFSET $6"#,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id(),
        station,
        limit,
        offset
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
