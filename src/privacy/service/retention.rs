//! Retention: personal data is kept no longer than the programme needs it. Once a day (and with
//! `aixin retention run`) the records whose time is up are anonymised as a deletion does:
//! children who exited, or turned 18, more than `AIXIN_RETENTION_MONTHS` ago, and volunteers
//! who withdrew that long ago, and applicants from a station's public page never screened
//! within [`crate::volunteers::application::KEEP_MONTHS`] months; and civil-affairs rosters imported more than
//! [`crate::roster::model::KEEP_MONTHS`] months ago are deleted. Each person is erased in her
//! own transaction, so a run that stops half way has done what it did and the next run does
//! the rest; a second run finds nothing.

use sqlx::PgPool;
use time::Date;
use uuid::Uuid;

use super::super::model::Subject;
use super::super::store::{self, Run};
use super::erase::{Why, erase_in};
use crate::web::error::AppError;

/// How many people are erased per query of the run (the run repeats until none is left).
const BATCH: i64 = 500;

/// What a run found, or did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Records that ended before this day were due.
    pub cutoff: Option<Date>,
    pub children: usize,
    pub volunteers: usize,
    /// Rows of civil-affairs rosters deleted: rosters imported more than
    /// [`crate::roster::model::KEEP_MONTHS`] months ago (none on a dry run).
    pub roster_rows: usize,
}

/// What the next run would touch, counted (all regions, or a region subtree's `LIKE`
/// pattern): children who exited, children who grew up, volunteers who withdrew.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Due {
    pub cutoff: Option<Date>,
    pub children_exited: i64,
    pub children_grown_up: i64,
    pub volunteers_withdrawn: i64,
}

/// The day before which a record's time is up: `months` months before `today` (a day that
/// month lacks falls back to its last).
pub fn cutoff(today: Date, months: u16) -> Date {
    let total = i32::from(today.month() as u8) - 1 - i32::from(months);
    let year = today.year() + total.div_euclid(12);
    let month = time::Month::try_from((total.rem_euclid(12) + 1) as u8).expect("a month");
    let last = time::util::days_in_month(month, year);
    Date::from_calendar_date(year, month, today.day().min(last)).expect("a real day")
}

/// What the next run would anonymise within `region_like` (all with `None`).
pub async fn due(db: &PgPool, months: u16, region_like: Option<&str>) -> Result<Due, AppError> {
    let today = crate::domain::today();
    let cutoff = cutoff(today, months);
    let applied_before = self::cutoff(today, crate::volunteers::application::KEEP_MONTHS);
    let (exited, grown, withdrawn) =
        store::due_counts(db, (cutoff, applied_before), region_like).await?;
    Ok(Due {
        cutoff: Some(cutoff),
        children_exited: exited,
        children_grown_up: grown,
        volunteers_withdrawn: withdrawn,
    })
}

/// The latest runs, newest first.
pub async fn runs(db: &PgPool) -> Result<Vec<Run>, AppError> {
    Ok(store::runs(db, 30).await?)
}

/// One run: anonymises every record whose time is up (or, `dry_run`, only counts them), and
/// records what it did. `started_by` is `schedule` or `command`.
pub async fn run(
    db: &PgPool,
    months: u16,
    started_by: &str,
    dry_run: bool,
) -> Result<Outcome, AppError> {
    let today = crate::domain::today();
    let cutoff = cutoff(today, months);
    let applied_before = self::cutoff(today, crate::volunteers::application::KEEP_MONTHS);
    if dry_run {
        let (exited, grown, withdrawn) =
            store::due_counts(db, (cutoff, applied_before), None).await?;
        return Ok(Outcome {
            cutoff: Some(cutoff),
            children: usize::try_from(exited + grown).unwrap_or(usize::MAX),
            volunteers: usize::try_from(withdrawn).unwrap_or(usize::MAX),
            roster_rows: 0,
        });
    }
    let run = store::run_started(db, started_by, cutoff).await?;
    let children = erase_all(
        db,
        today,
        |db, after| store::children_due(db, cutoff, after, BATCH),
        Subject::Child,
    )
    .await;
    let volunteers = erase_all(
        db,
        today,
        |db, after| store::volunteers_due(db, (cutoff, applied_before), after, BATCH),
        Subject::Volunteer,
    )
    .await;
    let roster_cutoff = self::cutoff(today, crate::roster::model::KEEP_MONTHS);
    let roster_rows = crate::roster::service::delete_imported_before(db, roster_cutoff).await;
    // What was done is recorded whatever stopped the rest.
    let count =
        |r: &Result<usize, AppError>| i32::try_from(*r.as_ref().unwrap_or(&0)).unwrap_or(i32::MAX);
    store::run_finished(db, run, count(&children), count(&volunteers)).await?;
    Ok(Outcome {
        cutoff: Some(cutoff),
        children: children?,
        volunteers: volunteers?,
        roster_rows: usize::try_from(roster_rows?).unwrap_or(0),
    })
}

/// Erases, batch after batch, the people `next` finds after the last one tried; returns how
/// many were erased. One person whose erasure fails is logged and passed over (the next run
/// tries her again); the others go on.
async fn erase_all<'a, F, Fut>(
    db: &'a PgPool,
    today: Date,
    next: F,
    subject: fn(Uuid) -> Subject,
) -> Result<usize, AppError>
where
    F: Fn(&'a PgPool, Uuid) -> Fut,
    Fut: Future<Output = sqlx::Result<Vec<Uuid>>>,
{
    let mut erased = 0;
    let mut after = Uuid::nil();
    loop {
        let batch = next(db, after).await?;
        let Some(last) = batch.last() else {
            return Ok(erased);
        };
        after = *last;
        for id in batch {
            match erase_one(db, subject(id), today).await {
                Ok(true) => erased += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, %id, "retention: erasing one record failed"),
            }
        }
    }
}

async fn erase_one(db: &PgPool, subject: Subject, today: Date) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let done = erase_in(&mut tx, None, subject, Why::Retention, today).await?;
    tx.commit().await?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_cutoff_is_the_same_day_months_before() {
        assert_eq!(cutoff(date!(2026 - 12 - 01), 36), date!(2023 - 12 - 01));
        assert_eq!(cutoff(date!(2026 - 03 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(cutoff(date!(2024 - 03 - 31), 1), date!(2024 - 02 - 29));
        assert_eq!(cutoff(date!(2026 - 01 - 15), 1), date!(2025 - 12 - 15));
        assert_eq!(cutoff(date!(2026 - 01 - 15), 13), date!(2024 - 12 - 15));
    }
}
