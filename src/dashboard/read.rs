//! The dashboard's reads: one grouped pass over each kind of record, split by area. These are
//! figures — counts across every area's tables and the counts their triggers keep — and decide
//! no rule: which days a station opened is asked of the stations area, the open concerns of the
//! contacts area. The alerts' thresholds are the dashboard's own (see `model`); a pairing is
//! overdue by the rule of `crate::domain::pairing::Health`, read from its `due_on`.
//!
//! Every query takes the focus as `$1` (a region `LIKE` pattern, or `NULL`), `$2` (station
//! ids, or `NULL`) and `$3`, the length of region code to group by — or 0 to group by station.
//! People are matched by their own region (as the registry's lists match them); stations'
//! records (activities, pairings, contacts, and wishes, counted at the child's station) by the
//! station's region.
//!
//! The best plan depends on the focus: a province's rows are joined by hashing, a county's few
//! stations by walking their indexes (the stations' records take those stations' ids, `few`,
//! when there are few of them). A cached generic plan cannot know which, so these queries
//! run on [`AppState::figures`](crate::web::AppState::figures), whose connections plan every
//! statement with its actual parameters.

use std::collections::HashMap;

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::model::{Figures, Focus, Month, Period};
use crate::activities::model::Kind;
use crate::children::model::Category;
use crate::regions::model::RegionLevel;
use crate::stations::model::{BuildMode, StationStatus};
use crate::volunteers::model::VolunteerStatus;

/// A station of the focus, with what its figures need.
#[derive(Debug, Clone)]
pub struct StationRow {
    pub id: Uuid,
    pub name: String,
    /// The area it falls in.
    pub key: Option<String>,
    pub build_mode: BuildMode,
    pub status: StationStatus,
    /// Planned open days a week.
    pub open_days_per_week: i16,
    /// Opening day.
    pub opened_on: Option<Date>,
}

/// Figures by area key (`None`: the records that fall in no area).
pub type ByArea = HashMap<Option<String>, Figures>;

/// The stations of the focus, by name.
#[tracing::instrument(skip(db))]
pub async fn stations(db: &PgPool, focus: &Focus, len: i32) -> sqlx::Result<Vec<StationRow>> {
    sqlx::query_as!(
        StationRow,
        r#"SELECT s.id, s.name,
                  CASE WHEN $3::int = 0 THEN s.id::text ELSE left(s.region_code, $3) END AS key,
                  s.build_mode AS "build_mode: BuildMode", s.status AS "status: StationStatus",
                  s.open_days_per_week, s.opened_on
           FROM station s
           WHERE ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR s.id = ANY($2))
           ORDER BY s.name COLLATE zh_pinyin, s.id"#,
        focus.region_like(),
        focus.station_ids(),
        len
    )
    .fetch_all(db)
    .await
}

/// Volunteers by status, and how many have their training on record (from the tally the
/// volunteer trigger keeps).
#[tracing::instrument(skip(db, into))]
pub async fn volunteers(
    db: &PgPool,
    focus: &Focus,
    len: i32,
    into: &mut ByArea,
) -> sqlx::Result<()> {
    let rows = sqlx::query!(
        r#"SELECT CASE WHEN $3::int = 0 THEN t.station_id::text ELSE left(t.region_code, $3) END AS key,
                  t.status AS "status!: VolunteerStatus", sum(t.n)::bigint AS "n!",
                  coalesce(sum(t.n) FILTER (WHERE t.trained), 0)::bigint AS "trained!"
           FROM volunteer_tally t
           WHERE ($1::text IS NULL OR t.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR t.station_id = ANY($2))
           GROUP BY 1, 2"#,
        focus.region_like(),
        focus.station_ids(),
        len
    )
    .fetch_all(db)
    .await?;
    for r in rows {
        let f = into.entry(r.key).or_default();
        f.volunteers += r.n;
        *f.volunteers_by_status.entry(r.status.as_str()).or_default() += r.n;
        if r.status == VolunteerStatus::Active {
            f.volunteers_active += r.n;
        }
        f.volunteers_trained += r.trained;
    }
    Ok(())
}

/// Children by category and status (from the tally the child trigger keeps).
#[tracing::instrument(skip(db, into))]
pub async fn children(db: &PgPool, focus: &Focus, len: i32, into: &mut ByArea) -> sqlx::Result<()> {
    let rows = sqlx::query!(
        r#"SELECT CASE WHEN $3::int = 0 THEN t.station_id::text ELSE left(t.region_code, $3) END AS key,
                  t.category AS "category!: Category", t.status::text AS "status!", sum(t.n)::bigint AS "n!"
           FROM child_tally t
           WHERE ($1::text IS NULL OR t.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR t.station_id = ANY($2))
           GROUP BY 1, 2, 3"#,
        focus.region_like(),
        focus.station_ids(),
        len
    )
    .fetch_all(db)
    .await?;
    for r in rows {
        let f = into.entry(r.key).or_default();
        if r.status == "exited" {
            f.children_exited += r.n;
            continue;
        }
        f.children_registered += r.n;
        *f.children_by_category
            .entry(r.category.as_str())
            .or_default() += r.n;
        if r.status == "paired" {
            f.children_paired += r.n;
        }
    }
    Ok(())
}

/// Active pairings at the focus's stations, with their support figures on `today` (from the
/// tally the pairing triggers keep: see [`super::support::running`]).
#[tracing::instrument(skip(db, into))]
pub async fn pairings(
    db: &PgPool,
    focus: &Focus,
    len: i32,
    today: Date,
    into: &mut ByArea,
) -> sqlx::Result<()> {
    let focus = (focus.region_like(), focus.station_ids());
    for (key, active, support) in super::support::running(db, focus, len, today).await? {
        let f = into.entry(key).or_default();
        f.pairings_active += active;
        f.support.add(&support);
    }
    Ok(())
}

/// Activities held within the period, by kind, with their person-visits.
#[tracing::instrument(skip(db, into))]
pub async fn activities(
    db: &PgPool,
    focus: &Focus,
    few: Option<&[Uuid]>,
    len: i32,
    period: Period,
    into: &mut ByArea,
) -> sqlx::Result<()> {
    let rows = sqlx::query!(
        r#"SELECT CASE WHEN $3::int = 0 THEN s.id::text ELSE left(s.region_code, $3) END AS key,
                  a.kind AS "kind!: Kind", count(*) AS "n!",
                  coalesce(sum(a.person_visits), 0)::bigint AS "visits!"
           FROM activity a JOIN station s ON s.id = a.station_id
           WHERE a.held_on BETWEEN $4 AND $5
             AND ($6::uuid[] IS NULL OR a.station_id = ANY($6))
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR s.id = ANY($2))
           GROUP BY 1, 2"#,
        focus.region_like(),
        focus.station_ids(),
        len,
        period.from,
        period.to,
        few as Option<&[Uuid]>
    )
    .fetch_all(db)
    .await?;
    for r in rows {
        let f = into.entry(r.key).or_default();
        f.activities += r.n;
        *f.activities_by_kind.entry(r.kind.as_str()).or_default() += r.n;
        f.person_visits += r.visits;
        if r.kind == Kind::Training {
            f.trainings += r.n;
        }
    }
    Ok(())
}

/// Contacts logged, pairings started and wishes fulfilled within the period: the months it
/// touches from the per-month counts, less the days of those months outside it from the
/// per-day counts (both kept by the triggers on contacts, pairings and wishes). A period that
/// ends today has no days after it, so "this year" reads month rows alone.
#[tracing::instrument(skip(db, into))]
pub async fn station_counts(
    db: &PgPool,
    focus: &Focus,
    few: Option<&[Uuid]>,
    len: i32,
    period: Period,
    into: &mut ByArea,
) -> sqlx::Result<()> {
    let (first_month, last_month) = period.months();
    let rows = sqlx::query!(
        r#"SELECT CASE WHEN $3::int = 0 THEN s.id::text ELSE left(s.region_code, $3) END AS key,
                  coalesce(sum(x.contacts), 0)::bigint AS "contacts!",
                  coalesce(sum(x.pairings_started), 0)::bigint AS "started!",
                  coalesce(sum(x.wishes_fulfilled), 0)::bigint AS "wishes!"
           FROM (SELECT m.station_id, m.contacts, m.pairings_started, m.wishes_fulfilled
                 FROM station_month m WHERE m.month BETWEEN $6 AND $7
                 UNION ALL
                 SELECT d.station_id, -d.contacts, -d.pairings_started, -d.wishes_fulfilled
                 FROM station_day d WHERE d.day >= $6 AND d.day < $4
                 UNION ALL
                 SELECT d.station_id, -d.contacts, -d.pairings_started, -d.wishes_fulfilled
                 FROM station_day d WHERE d.day > $5 AND d.day < ($7::date + interval '1 month')::date) x
           JOIN station s ON s.id = x.station_id
           WHERE ($8::uuid[] IS NULL OR x.station_id = ANY($8))
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR s.id = ANY($2))
           GROUP BY 1"#,
        focus.region_like(),
        focus.station_ids(),
        len,
        period.from,
        period.to,
        first_month,
        last_month,
        few as Option<&[Uuid]>
    )
    .fetch_all(db)
    .await?;
    for r in rows {
        let f = into.entry(r.key).or_default();
        f.contacts += r.contacts;
        f.pairings_started += r.started;
        f.wishes_fulfilled += r.wishes;
    }
    Ok(())
}

/// The regions with codes of `len` characters in a region (the cities, counties or townships
/// the code length names), in code order.
#[tracing::instrument(skip(db))]
pub async fn regions_in(db: &PgPool, code: &str, len: i32) -> sqlx::Result<Vec<(String, String)>> {
    let level = match len {
        4 => RegionLevel::City,
        6 => RegionLevel::County,
        9 => RegionLevel::Township,
        _ => return Ok(Vec::new()),
    };
    let rows = sqlx::query!(
        "SELECT code, name FROM region
         WHERE level = $1 AND code LIKE $2 AND length(code) = $3 ORDER BY code",
        level as RegionLevel,
        format!("{code}%"),
        len
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.code, r.name)).collect())
}

/// Month by month from `first` to `last` (first days of months): activities, person-visits,
/// pairings started, contacts (from the per-month counts).
#[tracing::instrument(skip(db))]
pub async fn months(
    db: &PgPool,
    focus: &Focus,
    few: Option<&[Uuid]>,
    first: Date,
    last: Date,
) -> sqlx::Result<Vec<Month>> {
    sqlx::query_as!(
        Month,
        r#"WITH m AS (SELECT generate_series($3::date, $4::date, interval '1 month')::date AS month),
           k AS (SELECT t.month, sum(t.activities) AS activities, sum(t.person_visits) AS visits,
                        sum(t.contacts) AS contacts, sum(t.pairings_started) AS started
                 FROM station_month t JOIN station s ON s.id = t.station_id
                 WHERE t.month BETWEEN $3 AND $4
                   AND ($5::uuid[] IS NULL OR t.station_id = ANY($5))
                   AND ($1::text IS NULL OR s.region_code LIKE $1)
                   AND ($2::uuid[] IS NULL OR s.id = ANY($2))
                 GROUP BY 1)
           SELECT to_char(m.month, 'YYYY-MM') AS "month!",
                  coalesce(k.activities, 0)::bigint AS "activities!",
                  coalesce(k.visits, 0)::bigint AS "person_visits!",
                  coalesce(k.started, 0)::bigint AS "pairings_started!",
                  coalesce(k.contacts, 0)::bigint AS "contacts!"
           FROM m LEFT JOIN k USING (month)
           ORDER BY m.month"#,
        focus.region_like(),
        focus.station_ids(),
        first,
        last,
        few as Option<&[Uuid]>
    )
    .fetch_all(db)
    .await
}

/// An active pairing overdue under its contact standard.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuietPairing {
    /// The pairing.
    pub id: Uuid,
    /// The child's name.
    pub child_name: String,
    /// The volunteer's name.
    pub volunteer_name: String,
    /// The station's name.
    pub station_name: String,
    /// Last contact, or the start when there was none.
    pub quiet_since: Date,
    /// The earliest day by which a contact, a home visit or a check-in was due.
    pub due_on: Date,
}

/// Active pairings with something overdue on `today` under their standard, longest overdue
/// first, `limit` of them (how many there are is a figure of the focus: see
/// [`super::support::running`]).
#[tracing::instrument(skip(db))]
pub async fn quiet_pairings(
    db: &PgPool,
    focus: &Focus,
    few: Option<&[Uuid]>,
    today: Date,
    limit: i64,
) -> sqlx::Result<Vec<QuietPairing>> {
    sqlx::query_as!(
        QuietPairing,
        // The page of pairings is chosen first, and only its rows are joined to their names.
        r#"SELECT p.id, c.name AS child_name, v.name AS volunteer_name, s.name AS station_name,
                  p.quiet_since AS "quiet_since!", p.due_on AS "due_on!"
           FROM (SELECT p.id, p.child_id, p.volunteer_id, p.station_id, p.quiet_since, p.due_on
                 FROM pairing p
                 WHERE p.status = 'active' AND p.due_on < $3
                   AND ($5::uuid[] IS NULL OR p.station_id = ANY($5))
                   AND ($1::text IS NULL OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
                   AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
                 ORDER BY p.due_on, p.id
                 LIMIT $4) p
           JOIN station s ON s.id = p.station_id
           JOIN child c ON c.id = p.child_id
           JOIN volunteer v ON v.id = p.volunteer_id
           ORDER BY p.due_on, p.id"#,
        focus.region_like(),
        focus.station_ids(),
        today,
        limit,
        few as Option<&[Uuid]>
    )
    .fetch_all(db)
    .await
}

/// A child waiting for a pairing.
#[derive(Debug, Clone, serde::Serialize)]
pub struct WaitingChild {
    /// The child.
    pub id: Uuid,
    pub name: String,
    /// The station's name.
    pub station_name: String,
    /// Registered then, or the last pairing ended then.
    pub waiting_since: Date,
}

/// Children without a pairing since before `before` (registered then, or their last pairing
/// ended then, as the child's `waiting_since` keeps it): the `limit` who have waited longest,
/// and how many there are.
#[tracing::instrument(skip(db))]
pub async fn waiting_since_before(
    db: &PgPool,
    focus: &Focus,
    before: Date,
    limit: i64,
) -> sqlx::Result<(Vec<WaitingChild>, i64)> {
    let items = sqlx::query_as!(
        WaitingChild,
        r#"SELECT c.id, c.name, s.name AS station_name, c.waiting_since
           FROM child c JOIN station s ON s.id = c.station_id
           WHERE c.status = 'registered' AND c.waiting_since <= $3
             AND ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))
           ORDER BY c.waiting_since, c.id
           LIMIT $4"#,
        focus.region_like(),
        focus.station_ids(),
        before,
        limit
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM child c
           WHERE c.status = 'registered' AND c.waiting_since <= $3
             AND ($1::text IS NULL OR c.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR c.station_id = ANY($2))"#,
        focus.region_like(),
        focus.station_ids(),
        before
    )
    .fetch_one(db)
    .await?;
    Ok((items, total))
}

/// An active volunteer whose background check is due again.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckDue {
    /// The volunteer.
    pub id: Uuid,
    pub name: String,
    /// Her station's name.
    pub station_name: Option<String>,
    /// The last check.
    pub background_check_on: Date,
}

/// Active volunteers checked before `before` (oldest check first, `limit` of them), and how
/// many there are.
#[tracing::instrument(skip(db))]
pub async fn checks_due(
    db: &PgPool,
    focus: &Focus,
    before: Date,
    limit: i64,
) -> sqlx::Result<(Vec<CheckDue>, i64)> {
    let items = sqlx::query_as!(
        CheckDue,
        r#"SELECT v.id, v.name, s.name AS "station_name?", v.background_check_on AS "background_check_on!"
           FROM volunteer v LEFT JOIN station s ON s.id = v.station_id
           WHERE v.status = 'active' AND v.background_check_on < $3
             AND ($1::text IS NULL OR v.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR v.station_id = ANY($2))
           ORDER BY v.background_check_on, v.id
           LIMIT $4"#,
        focus.region_like(),
        focus.station_ids(),
        before,
        limit
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM volunteer v
           WHERE v.status = 'active' AND v.background_check_on < $3
             AND ($1::text IS NULL OR v.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR v.station_id = ANY($2))"#,
        focus.region_like(),
        focus.station_ids(),
        before
    )
    .fetch_one(db)
    .await?;
    Ok((items, total))
}

/// An active pairing whose volunteer has tried again and again without reaching the child.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UnreachedPairing {
    /// The pairing.
    pub id: Uuid,
    pub child_name: String,
    pub volunteer_name: String,
    pub station_name: String,
    /// Attempts since the last contact that reached the child.
    pub attempts: i32,
}

/// The active pairings of the focus with at least `streak` attempts in a row since their last
/// contact (found by the partial index of such pairings), the most attempts first, and how many.
#[tracing::instrument(skip(db))]
pub async fn unreached_pairings(
    db: &PgPool,
    focus: &Focus,
    few: Option<&[Uuid]>,
    streak: i32,
    limit: i64,
) -> sqlx::Result<(Vec<UnreachedPairing>, i64)> {
    // The page of pairings is chosen first (the partial index of such pairings holds few), and
    // only its rows are joined to their names; the count reads the same index alone.
    let items = sqlx::query_as!(
        UnreachedPairing,
        r#"SELECT p.id, c.name AS child_name, v.name AS volunteer_name, s.name AS station_name,
                  p.unreached_streak AS attempts
           FROM (SELECT p.id, p.child_id, p.volunteer_id, p.station_id, p.unreached_streak
                 FROM pairing p
                 WHERE p.status = 'active' AND p.unreached_streak >= 3 AND p.unreached_streak >= $3
                   AND ($1::text IS NULL
                        OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
                   AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
                   AND ($5::uuid[] IS NULL OR p.station_id = ANY($5))
                 ORDER BY p.unreached_streak DESC, p.id
                 LIMIT $4) p
           JOIN station s ON s.id = p.station_id
           JOIN child c ON c.id = p.child_id
           JOIN volunteer v ON v.id = p.volunteer_id
           ORDER BY p.unreached_streak DESC, p.id"#,
        focus.region_like(),
        focus.station_ids(),
        streak,
        limit,
        few as Option<&[Uuid]>
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pairing p
           WHERE p.status = 'active' AND p.unreached_streak >= 3 AND p.unreached_streak >= $3
             AND ($1::text IS NULL
                  OR p.station_id IN (SELECT id FROM station WHERE region_code LIKE $1))
             AND ($2::uuid[] IS NULL OR p.station_id = ANY($2))
             AND ($4::uuid[] IS NULL OR p.station_id = ANY($4))"#,
        focus.region_like(),
        focus.station_ids(),
        streak,
        few as Option<&[Uuid]>
    )
    .fetch_one(db)
    .await?;
    Ok((items, total))
}
