//! The figures that say whether pairing works: how many running pairings meet their contact
//! standard, the staff check-ins and follow-ups due, the relationship surveys' latest scores,
//! and how long the pairings that ended within the period lasted — with those that ended early
//! (within 180 days) by reason.
//!
//! The running pairings' figures are kept per station by the pairing triggers, with their due
//! days counted as of a day: [`running`] counts a station again on the first read of another day
//! (a due day passes with the calendar, not with a write). The open follow-ups are read against
//! today, when asked. The closings are those whose last day falls in the period, read in one
//! grouped pass with each area's and the focus's median (a median does not add up).

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::domain::pairing::ClosureReason;

/// A pairing that ended within this many days of its start ended early.
pub const EARLY_DAYS: i32 = 180;

/// The lengths pairings are counted in, in days: under 90, 90–179, 180–364, 365–729, 730 and more.
pub const LENGTHS: [(&str, i32); 5] = [
    ("under_90", 0),
    ("90_to_179", 90),
    ("180_to_364", 180),
    ("365_to_729", 365),
    ("730_and_more", 730),
];

/// The pairing-support figures of an area or a focus.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Support {
    /// Running pairings with nothing overdue under their standard (of `pairings_active`).
    pub pairings_meeting_standard: i64,
    /// Running pairings with something overdue (the rest of `pairings_active`).
    #[serde(skip)]
    pub pairings_overdue: i64,
    /// Running pairings whose staff check-in falls due within the week.
    pub check_ins_due: i64,
    /// Running pairings whose staff check-in is overdue.
    pub check_ins_overdue: i64,
    /// Follow-ups not yet done.
    pub follow_ups_open: i64,
    /// Of those, the ones past their due day.
    pub follow_ups_overdue: i64,
    /// Running pairings with a relationship survey.
    pub relationship_scored: i64,
    /// Their latest scores' mean, to one decimal (none without any).
    pub relationship_score_avg: Option<f64>,
    #[serde(skip)]
    relationship_score_sum: f64,
    /// Pairings that ended within the period.
    pub pairings_ended: i64,
    /// How many days they lasted, their median (none without any).
    pub median_pairing_days: Option<i64>,
    /// How many lasted how long (`under_90`, `90_to_179`, `180_to_364`, `365_to_729`,
    /// `730_and_more` days).
    pub pairing_days_distribution: BTreeMap<&'static str, i64>,
    /// Of those, the ones that ended within 180 days of their start.
    pub early_closures: i64,
    /// Those by closure reason.
    pub early_closures_by_reason: BTreeMap<&'static str, i64>,
}

impl Default for Support {
    fn default() -> Self {
        Support {
            pairings_meeting_standard: 0,
            pairings_overdue: 0,
            check_ins_due: 0,
            check_ins_overdue: 0,
            follow_ups_open: 0,
            follow_ups_overdue: 0,
            relationship_scored: 0,
            relationship_score_avg: None,
            relationship_score_sum: 0.0,
            pairings_ended: 0,
            median_pairing_days: None,
            pairing_days_distribution: LENGTHS.iter().map(|(k, _)| (*k, 0)).collect(),
            early_closures: 0,
            early_closures_by_reason: ClosureReason::ALL.iter().map(|r| (r.as_str(), 0)).collect(),
        }
    }
}

impl Support {
    /// Adds another area's figures. The median is not a sum: the caller reads the whole's.
    pub fn add(&mut self, o: &Support) {
        self.pairings_meeting_standard += o.pairings_meeting_standard;
        self.pairings_overdue += o.pairings_overdue;
        self.check_ins_due += o.check_ins_due;
        self.check_ins_overdue += o.check_ins_overdue;
        self.follow_ups_open += o.follow_ups_open;
        self.follow_ups_overdue += o.follow_ups_overdue;
        self.relationship_scored += o.relationship_scored;
        self.relationship_score_sum += o.relationship_score_sum;
        self.relationship_score_avg = mean(self.relationship_score_sum, self.relationship_scored);
        self.pairings_ended += o.pairings_ended;
        self.median_pairing_days = None;
        for (k, v) in &o.pairing_days_distribution {
            *self.pairing_days_distribution.entry(k).or_default() += v;
        }
        self.early_closures += o.early_closures;
        for (k, v) in &o.early_closures_by_reason {
            *self.early_closures_by_reason.entry(k).or_default() += v;
        }
    }

    /// Running pairings meeting their standard, per hundred running (none without any).
    pub fn meeting_rate(&self, active: i64) -> Option<f64> {
        (active > 0).then(|| {
            (self.pairings_meeting_standard as f64 * 1000.0 / active as f64).round() / 10.0
        })
    }

    /// The length buckets with their counts, in order.
    pub fn lengths(&self) -> Vec<(&'static str, i64)> {
        LENGTHS
            .iter()
            .map(|(k, _)| {
                (
                    *k,
                    self.pairing_days_distribution.get(k).copied().unwrap_or(0),
                )
            })
            .collect()
    }

    /// The reasons early closures had, the most frequent first (none left out but zeros).
    pub fn early_reasons(&self) -> Vec<(&'static str, i64)> {
        let mut reasons: Vec<(&'static str, i64)> = self
            .early_closures_by_reason
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (*k, *n))
            .collect();
        reasons.sort_by_key(|(k, n)| (std::cmp::Reverse(*n), *k));
        reasons
    }
}

fn mean(sum: f64, n: i64) -> Option<f64> {
    (n > 0).then(|| (sum * 10.0 / n as f64).round() / 10.0)
}

/// Support figures by area key.
pub type ByArea = std::collections::HashMap<Option<String>, Support>;

/// The running pairings at a focus's stations — by region `LIKE` pattern or ids, as every
/// dashboard read takes them — by area (`len` as they take it too), with their figures on
/// `today`: how many run, and their support figures.
///
/// A station whose kept figures hold for another day is counted again for the next reads; one
/// a writer holds meanwhile is passed over, and its figures are counted from its pairings for
/// this read. The figures are today's either way.
#[tracing::instrument(skip(db))]
pub async fn running(
    db: &sqlx::PgPool,
    (region, stations): (Option<String>, Option<&[Uuid]>),
    len: i32,
    today: Date,
) -> sqlx::Result<Vec<(Option<String>, i64, Support)>> {
    let read = || {
        sqlx::query!(
            r#"WITH t AS MATERIALIZED (
                   SELECT t.*, s.region_code, t.due_as_of IS DISTINCT FROM $4 AS stale
                   FROM pairing_tally t JOIN station s ON s.id = t.station_id
                   WHERE ($1::text IS NULL OR s.region_code LIKE $1)
                     AND ($2::uuid[] IS NULL OR s.id = ANY($2))),
               live AS (
                   SELECT p.station_id, count(*) FILTER (WHERE p.due_on < $4) AS overdue,
                          count(*) FILTER (WHERE p.check_in_due_on BETWEEN $4
                                                 AND $4 + due_soon_days()) AS check_ins_due,
                          count(*) FILTER (WHERE p.check_in_due_on < $4) AS check_ins_overdue
                   FROM pairing p
                   WHERE p.status = 'active' AND p.station_id IN (SELECT station_id FROM t WHERE stale)
                   GROUP BY 1)
               SELECT CASE WHEN $3::int = 0 THEN t.station_id::text ELSE left(t.region_code, $3) END AS key,
                      sum(t.active)::bigint AS "active!",
                      sum(CASE WHEN t.stale THEN coalesce(l.overdue, 0) ELSE t.overdue END)::bigint
                          AS "overdue!",
                      sum(CASE WHEN t.stale THEN coalesce(l.check_ins_due, 0) ELSE t.check_ins_due END)::bigint
                          AS "check_ins_due!",
                      sum(CASE WHEN t.stale THEN coalesce(l.check_ins_overdue, 0)
                               ELSE t.check_ins_overdue END)::bigint AS "check_ins_overdue!",
                      sum(t.scored)::bigint AS "scored!", sum(t.score_sum)::float8 AS "score_sum!",
                      count(*) FILTER (WHERE t.stale) AS "stale!"
               FROM t LEFT JOIN live l ON l.station_id = t.station_id
               GROUP BY 1"#,
            region,
            stations,
            len,
            today
        )
        .fetch_all(db)
    };
    let mut rows = read().await?;
    if rows.iter().any(|r| r.stale > 0) {
        match recount(db, (region.as_deref(), stations), today).await {
            Ok(()) => rows = read().await?,
            // A read replica (`AIXIN_READ_DATABASE_URL`) writes nothing: the rows just read
            // counted those stations from their pairings, and the primary's next read on the
            // day, or its next write, brings the kept figures up to date.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("25006") => {}
            Err(e) => return Err(e),
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let support = Support {
                pairings_meeting_standard: r.active - r.overdue,
                pairings_overdue: r.overdue,
                check_ins_due: r.check_ins_due,
                check_ins_overdue: r.check_ins_overdue,
                relationship_scored: r.scored,
                relationship_score_sum: r.score_sum,
                relationship_score_avg: mean(r.score_sum, r.scored),
                ..Support::default()
            };
            (r.key, r.active, support)
        })
        .collect())
}

/// Counts the running pairings' due days again, on `today`, at the stations of a focus whose
/// figures hold for another day (and that no writer holds).
pub(super) async fn recount(
    db: &sqlx::PgPool,
    (region, stations): (Option<&str>, Option<&[Uuid]>),
    today: Date,
) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT pairing_support_refresh($1, $2, $3)",
        region,
        stations,
        today
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Reads the follow-ups and closings of a focus, as [`running`] takes it, by area, and the
/// focus's own median length over the pairings ended between `from` and `to`.
#[tracing::instrument(skip(db))]
pub async fn read(
    db: &sqlx::PgPool,
    (region, stations): (Option<String>, Option<&[Uuid]>),
    len: i32,
    (from, to): (Date, Date),
    today: Date,
) -> sqlx::Result<(ByArea, Option<i64>)> {
    let mut out = ByArea::new();
    let follow_ups = sqlx::query!(
        r#"SELECT CASE WHEN $3::int = 0 THEN s.id::text ELSE left(s.region_code, $3) END AS key,
                  count(*) AS "open!", count(*) FILTER (WHERE f.due_on < $4) AS "overdue!"
           FROM follow_up f JOIN pairing p ON p.id = f.pairing_id
           JOIN station s ON s.id = p.station_id
           WHERE f.done_at IS NULL
             AND ($1::text IS NULL OR s.region_code LIKE $1)
             AND ($2::uuid[] IS NULL OR s.id = ANY($2))
           GROUP BY 1"#,
        region,
        stations,
        len,
        today
    )
    .fetch_all(db);
    // By area, reason and length; by area alone for its median; and the whole for its own.
    let ended = sqlx::query!(
        r#"SELECT e.key, e.reason AS "reason: ClosureReason", e.bucket, count(*) AS "n!",
                  count(*) FILTER (WHERE e.days < $7) AS "early!",
                  percentile_disc(0.5) WITHIN GROUP (ORDER BY e.days) AS median,
                  GROUPING(e.key, e.reason, e.bucket) AS "level!"
           FROM (SELECT CASE WHEN $3::int = 0 THEN s.id::text ELSE left(s.region_code, $3) END AS key,
                        p.closure_reason AS reason, p.ended_on - p.started_on AS days,
                        width_bucket(p.ended_on - p.started_on, $6::int[]) AS bucket
                 FROM pairing p JOIN station s ON s.id = p.station_id
                 WHERE p.status = 'closed' AND p.ended_on BETWEEN $4 AND $5
                   AND ($1::text IS NULL OR s.region_code LIKE $1)
                   AND ($2::uuid[] IS NULL OR s.id = ANY($2))) e
           GROUP BY GROUPING SETS ((e.key, e.reason, e.bucket), (e.key), ())"#,
        region,
        stations,
        len,
        from,
        to,
        &LENGTHS.map(|(_, from)| from)[..],
        EARLY_DAYS
    )
    .fetch_all(db);
    let (follow_ups, ended) = tokio::try_join!(follow_ups, ended)?;
    for r in follow_ups {
        let s = out.entry(r.key).or_default();
        s.follow_ups_open += r.open;
        s.follow_ups_overdue += r.overdue;
    }
    let mut whole = None;
    for r in ended {
        match (r.level, r.reason, r.bucket) {
            // The whole focus (a row even when no pairing ended).
            (7, ..) => whole = r.median.map(i64::from),
            // An area.
            (3, ..) => out.entry(r.key).or_default().median_pairing_days = r.median.map(i64::from),
            (_, Some(reason), Some(bucket)) => {
                let s = out.entry(r.key).or_default();
                s.pairings_ended += r.n;
                let bucket = LENGTHS[(bucket.clamp(1, LENGTHS.len() as i32) - 1) as usize].0;
                *s.pairing_days_distribution.entry(bucket).or_default() += r.n;
                s.early_closures += r.early;
                *s.early_closures_by_reason
                    .entry(reason.as_str())
                    .or_default() += r.early;
            }
            _ => {}
        }
    }
    Ok((out, whole))
}
