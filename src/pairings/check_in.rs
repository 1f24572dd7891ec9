//! Staff check-ins (match support): county staff or the station's manager talk with the
//! volunteer or the guardian about how the pairing is going, and log it — with whom, how, when,
//! a 1–5 rating as that person sees it, a note and flags.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::audit::{self, Action, Entry};
use crate::auth::CurrentUser;
use crate::contacts::model::ContactMode;
use crate::domain::pairing::PairingStatus;
use crate::domain::{self, text, word_enum};
use crate::web::error::{AppError, FieldError, FieldErrors};

word_enum!(
    /// Whom staff talked with.
    CheckInWith, "check_in_with", "check_in.with", [Volunteer = "volunteer", Guardian = "guardian"]
);
word_enum!(
    /// What a check-in raised.
    CheckInFlag, "check_in_flag", "check_in.flag",
    [Safety = "safety", WantsToEnd = "wants_to_end", NeedsHelp = "needs_help"]
);

/// A check-in as the API answers it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckIn {
    pub id: Uuid,
    pub pairing_id: Uuid,
    /// `volunteer` or `guardian`.
    pub with: CheckInWith,
    pub mode: ContactMode,
    pub held_on: Date,
    /// 1–5: how the pairing is going, as that person sees it.
    pub rating: i16,
    pub note: Option<String>,
    pub flags: Vec<CheckInFlag>,
    /// Who logged it, by name.
    pub logged_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A check-in as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CheckInInput {
    pub with: Option<String>,
    pub mode: Option<String>,
    /// ISO date (default today).
    pub held_on: Option<String>,
    pub rating: Option<i64>,
    pub note: Option<String>,
    pub flags: Vec<String>,
}

/// A checked check-in.
#[derive(Debug, Clone)]
pub struct ValidCheckIn {
    pub with: CheckInWith,
    pub mode: ContactMode,
    pub held_on: Date,
    pub rating: i16,
    pub note: Option<String>,
    pub flags: Vec<CheckInFlag>,
}

impl CheckInInput {
    pub fn validate(&self) -> Result<ValidCheckIn, FieldErrors> {
        let mut fields = FieldErrors::new();
        let mut choice = |word: &Option<String>, field: &str| -> Option<String> {
            match word.as_deref().map(str::trim) {
                None | Some("") => {
                    fields.insert(field.to_owned(), FieldError::new("error.required"));
                    None
                }
                Some(w) => Some(w.to_owned()),
            }
        };
        let with = choice(&self.with, "with");
        let mode = choice(&self.mode, "mode");
        let with = with.and_then(|w| {
            CheckInWith::parse(&w).or_else(|| {
                fields.insert("with".into(), FieldError::new("error.choice"));
                None
            })
        });
        let mode = mode.and_then(|m| {
            ContactMode::parse(&m).or_else(|| {
                fields.insert("mode".into(), FieldError::new("error.choice"));
                None
            })
        });
        let held_on = match self.held_on.as_deref().map(str::trim) {
            None | Some("") => Some(domain::today()),
            Some(t) => domain::past_date(t)
                .map_err(|e| fields.insert("held_on".into(), e))
                .ok(),
        };
        let rating = match self.rating {
            Some(n @ 1..=5) => Some(n as i16),
            None => {
                fields.insert("rating".into(), FieldError::new("error.required"));
                None
            }
            Some(_) => {
                fields.insert("rating".into(), FieldError::new("error.rating_range"));
                None
            }
        };
        let note = text::long_optional(self.note.as_deref(), 2000)
            .map_err(|e| fields.insert("note".into(), e))
            .ok()
            .flatten();
        let mut flags = Vec::new();
        for word in self
            .flags
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
        {
            match CheckInFlag::parse(word) {
                Some(f) if !flags.contains(&f) => flags.push(f),
                Some(_) => {}
                None => {
                    fields.insert("flags".into(), FieldError::new("error.choice"));
                }
            }
        }
        match (with, mode, held_on, rating) {
            (Some(with), Some(mode), Some(held_on), Some(rating)) if fields.is_empty() => {
                Ok(ValidCheckIn {
                    with,
                    mode,
                    held_on,
                    rating,
                    note,
                    flags,
                })
            }
            _ => Err(fields),
        }
    }
}

/// A pairing's check-ins, the latest first, if the caller reaches the pairing.
pub async fn of_pairing(
    db: &PgPool,
    user: &CurrentUser,
    pairing: Uuid,
) -> Result<Vec<CheckIn>, AppError> {
    pairing_facts(db, &user.scope, pairing)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(check_ins(db, pairing).await?)
}

/// Logs a check-in on an active pairing in the caller's scope (audited).
pub async fn create(
    db: &PgPool,
    user: &CurrentUser,
    pairing: Uuid,
    input: &CheckInInput,
    ip: Option<IpAddr>,
) -> Result<CheckIn, AppError> {
    let (status, started_on) = pairing_facts(db, &user.scope, pairing)
        .await?
        .ok_or(AppError::NotFound)?;
    let valid = input.validate().map_err(AppError::validation)?;
    if status != PairingStatus::Active {
        return Err(super::rules::CHECK_IN_CLOSED.error());
    }
    if valid.held_on < started_on {
        return Err(super::rules::CHECK_IN_BEFORE_PAIRING.error());
    }
    let mut tx = db.begin().await?;
    let id = insert_check_in(&mut tx, pairing, &valid, user.id).await?;
    audit::record(
        &mut *tx,
        Entry::by(user, Action::Create, "check_in", Some(id), ip).with_detail(serde_json::json!({
            "pairing_id": pairing,
            "flags": valid.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        })),
    )
    .await?;
    tx.commit().await?;
    check_in(db, id).await?.ok_or(AppError::NotFound)
}

/// A running pairing whose staff check-in falls due within the week, or is overdue.
#[derive(Debug, Clone, Serialize)]
pub struct DueCheckIn {
    pub pairing_id: Uuid,
    pub child_name: String,
    pub volunteer_name: String,
    pub station_id: Uuid,
    pub station_name: String,
    pub started_on: Date,
    pub last_check_in_on: Option<Date>,
    /// The last day by which it is due under the pairing's standard.
    pub check_in_due_on: Date,
    /// Whether that day has passed.
    pub overdue: bool,
}

/// The check-ins due in the caller's scope (at `station`), the longest overdue first, and their
/// total: the pairings whose standard asks a check-in by a day at most a week away.
pub async fn due(
    db: &PgPool,
    user: &CurrentUser,
    station: Option<Uuid>,
    (limit, offset): (i64, i64),
) -> Result<(Vec<DueCheckIn>, i64), AppError> {
    if user.scope.volunteer_id().is_some() {
        return Err(AppError::Forbidden("forbidden"));
    }
    let today = domain::today();
    let by = today + time::Duration::days(domain::pairing::DUE_SOON_DAYS);
    let (rows, total) = due_rows(db, &user.scope, station, by, (limit, offset)).await?;
    let items = rows
        .into_iter()
        .map(|r| DueCheckIn {
            overdue: r.check_in_due_on < today,
            ..r
        })
        .collect();
    Ok((items, total))
}

// The SQL of check-ins.

/// Running pairings in scope whose check-in is due by `by`, and how many.
async fn due_rows(
    db: &PgPool,
    scope: &crate::auth::Scope,
    station: Option<Uuid>,
    by: Date,
    (limit, offset): (i64, i64),
) -> sqlx::Result<(Vec<DueCheckIn>, i64)> {
    // The page of pairings is chosen first (index `pairing_station_check_in_due`), and only its
    // rows are joined to their names.
    let rows = sqlx::query_as!(
        DueCheckIn,
        r#"SELECT p.id AS pairing_id, c.name AS child_name, v.name AS volunteer_name,
                  p.station_id, s.name AS station_name, p.started_on, p.last_check_in_on,
                  p.check_in_due_on AS "check_in_due_on!", false AS "overdue!"
           FROM (SELECT p.id, p.child_id, p.volunteer_id, p.station_id, p.started_on,
                        p.last_check_in_on, p.check_in_due_on
                 FROM pairing p
                 WHERE p.status = 'active' AND p.check_in_due_on <= $1
                   AND ($2::text IS NULL
                        OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $2))
                   AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
                   AND ($4::uuid IS NULL OR p.station_id = $4)
                 ORDER BY p.check_in_due_on, p.id
                 LIMIT $5 OFFSET $6) p
           JOIN child c ON c.id = p.child_id
           JOIN volunteer v ON v.id = p.volunteer_id
           JOIN station s ON s.id = p.station_id
           ORDER BY p.check_in_due_on, p.id"#,
        by,
        scope.region_like(),
        scope.station_ids(),
        station,
        limit,
        offset
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pairing p
           WHERE p.status = 'active' AND p.check_in_due_on <= $1
             AND ($2::text IS NULL
                  OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $2))
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND ($4::uuid IS NULL OR p.station_id = $4)"#,
        by,
        scope.region_like(),
        scope.station_ids(),
        station
    )
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

/// A pairing in the caller's scope: its status and first day.
async fn pairing_facts(
    db: &PgPool,
    scope: &crate::auth::Scope,
    id: Uuid,
) -> sqlx::Result<Option<(PairingStatus, Date)>> {
    Ok(sqlx::query!(
        r#"SELECT p.status AS "status: PairingStatus", p.started_on
           FROM pairing p JOIN station s ON s.id = p.station_id
           WHERE p.id = $1
             AND ($2::text IS NULL OR s.region_code LIKE $2)
             AND ($3::uuid[] IS NULL OR p.station_id = ANY($3))
             AND ($4::uuid IS NULL OR p.volunteer_id = $4)"#,
        id,
        scope.region_like(),
        scope.station_ids(),
        scope.volunteer_id()
    )
    .fetch_optional(db)
    .await?
    .map(|r| (r.status, r.started_on)))
}

/// A pairing's check-ins, the latest first.
async fn check_ins(db: &PgPool, pairing: Uuid) -> sqlx::Result<Vec<CheckIn>> {
    use crate::contacts::model::ContactMode;
    use {CheckIn, CheckInFlag, CheckInWith};
    sqlx::query_as!(
        CheckIn,
        r#"SELECT c.id, c.pairing_id, c.held_with AS "with: CheckInWith",
                  c.mode AS "mode: ContactMode", c.held_on, c.rating, c.note,
                  c.flags AS "flags: Vec<CheckInFlag>", u.display_name AS "logged_by?",
                  c.created_at
           FROM check_in c LEFT JOIN app_user u ON u.id = c.created_by
           WHERE c.pairing_id = $1
           ORDER BY c.held_on DESC, c.created_at DESC
           LIMIT 200"#,
        pairing
    )
    .fetch_all(db)
    .await
}

/// One check-in.
async fn check_in(db: &PgPool, id: Uuid) -> sqlx::Result<Option<CheckIn>> {
    use crate::contacts::model::ContactMode;
    use {CheckIn, CheckInFlag, CheckInWith};
    sqlx::query_as!(
        CheckIn,
        r#"SELECT c.id, c.pairing_id, c.held_with AS "with: CheckInWith",
                  c.mode AS "mode: ContactMode", c.held_on, c.rating, c.note,
                  c.flags AS "flags: Vec<CheckInFlag>", u.display_name AS "logged_by?",
                  c.created_at
           FROM check_in c LEFT JOIN app_user u ON u.id = c.created_by
           WHERE c.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Writes a check-in.
async fn insert_check_in(
    tx: &mut PgConnection,
    pairing: Uuid,
    c: &ValidCheckIn,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    use crate::contacts::model::ContactMode;
    use {CheckInFlag, CheckInWith};
    sqlx::query_scalar!(
        "INSERT INTO check_in (pairing_id, held_with, mode, held_on, rating, note, flags, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        pairing,
        c.with as CheckInWith,
        c.mode as ContactMode,
        c.held_on,
        c.rating,
        c.note,
        &c.flags as &[CheckInFlag],
        by
    )
    .fetch_one(tx)
    .await
}
