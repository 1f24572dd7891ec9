//! The scheduled jobs, run once each whichever of several instances gets there first.
//!
//! Every instance looks once a minute. A job is due when it has not started since its latest
//! slot (the hour, or a time of day in China); an instance claims the run by moving the job's
//! `started_at` past that slot in one statement (`job_run`), which only one instance can do.
//! A run that fails is logged and counted; the next slot tries again.

use std::time::Duration;

use sqlx::PgPool;
use time::{OffsetDateTime, Time};

use super::backup::Target;
use crate::config::Config;

/// When a job falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Every {
    /// At the start of every hour.
    Hour,
    /// Once a day at this time, China time.
    Day(Time),
}

impl Every {
    /// The latest moment the job fell due at, as of `now`.
    pub fn slot(self, now: OffsetDateTime) -> OffsetDateTime {
        let china = now.to_offset(crate::domain::CHINA);
        match self {
            Every::Hour => china.replace_time(Time::from_hms(china.hour(), 0, 0).unwrap()),
            Every::Day(at) => {
                let today = china.replace_time(at);
                if today <= china {
                    today
                } else {
                    today - time::Duration::DAY
                }
            }
        }
    }
}

/// The jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Expired sessions, old login attempts, import reports, application counts and stored
    /// idempotent answers go.
    Housekeeping,
    /// The daily retention run.
    Retention,
    /// The running pairings' kept figures are counted again for the new day (so that the first
    /// dashboard of the day, or a read replica that writes nothing, finds them current).
    Figures,
    /// The daily backup, when `AIXIN_BACKUP_AT` is set.
    Backup,
}

impl Job {
    /// The job's name in `job_run`, the log and the metrics.
    pub fn name(self) -> &'static str {
        match self {
            Job::Housekeeping => "housekeeping",
            Job::Retention => "retention",
            Job::Figures => "figures",
            Job::Backup => "backup",
        }
    }

    fn every(self, config: &Config) -> Option<Every> {
        match self {
            Job::Housekeeping => Some(Every::Hour),
            Job::Retention => Some(Every::Day(Time::from_hms(3, 0, 0).unwrap())),
            Job::Figures => Some(Every::Day(Time::from_hms(0, 5, 0).unwrap())),
            Job::Backup => config.backup_at.map(Every::Day),
        }
    }
}

/// Claims the run of `job` for the slot `slot`: true for the one instance that gets it.
pub async fn claim(db: &PgPool, job: Job, slot: OffsetDateTime) -> sqlx::Result<bool> {
    let claimed = sqlx::query_scalar!(
        r#"INSERT INTO job_run (job, started_at) VALUES ($1, now())
           ON CONFLICT (job) DO UPDATE
              SET started_at = now(), finished_at = NULL, ok = NULL, detail = NULL
            WHERE job_run.started_at < $2
           RETURNING true AS "claimed!""#,
        job.name(),
        slot
    )
    .fetch_optional(db)
    .await?;
    Ok(claimed.is_some())
}

async fn finish(db: &PgPool, job: Job, outcome: &anyhow::Result<String>) {
    let (ok, detail) = match outcome {
        Ok(detail) => (true, detail.clone()),
        Err(e) => (false, format!("{e:#}")),
    };
    metrics::counter!("aixin_job_runs_total", "job" => job.name(), "outcome" => if ok { "ok" } else { "failed" })
        .increment(1);
    if ok {
        tracing::info!(job = job.name(), detail, "scheduled job done");
    } else {
        tracing::warn!(job = job.name(), error = detail, "scheduled job failed");
    }
    let _ = sqlx::query!(
        "UPDATE job_run SET finished_at = now(), ok = $2, detail = $3 WHERE job = $1",
        job.name(),
        ok,
        detail
    )
    .execute(db)
    .await;
}

/// Runs one job now.
pub async fn run_job(
    db: &PgPool,
    config: &Config,
    target: Option<&Target>,
    job: Job,
) -> anyhow::Result<String> {
    match job {
        Job::Housekeeping => housekeeping(db).await,
        Job::Retention => {
            let done = crate::privacy::service::retention::run(
                db,
                config.retention_months,
                "schedule",
                false,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(format!(
                "{} children, {} volunteers anonymised; {} roster rows deleted",
                done.children, done.volunteers, done.roster_rows
            ))
        }
        Job::Figures => {
            crate::dashboard::service::refresh_day(db, crate::domain::today())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok("pairing figures counted for the day".into())
        }
        Job::Backup => super::backup_now(db, config, target).await,
    }
}

/// The hourly cleaning.
async fn housekeeping(db: &PgPool) -> anyhow::Result<String> {
    let sessions = sqlx::query!("DELETE FROM tower_sessions.session WHERE expiry_date < now()")
        .execute(db)
        .await?
        .rows_affected();
    let attempts = sqlx::query!("DELETE FROM login_attempt WHERE at < now() - interval '30 days'")
        .execute(db)
        .await?
        .rows_affected();
    let reports =
        sqlx::query!("DELETE FROM import_report WHERE created_at < now() - interval '7 days'")
            .execute(db)
            .await?
            .rows_affected();
    let applications = crate::recruitment::forget_attempts(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let answers = crate::auth::idempotency::expire(db).await?;
    Ok(format!(
        "deleted {sessions} sessions, {attempts} login attempts, {reports} import reports, \
         {applications} application counts, {answers} stored answers"
    ))
}

/// Looks every minute for due jobs, for as long as the service runs; keeps the copy of the
/// erasure log beside the backups current when backups are on.
pub async fn every_minute(db: PgPool, config: std::sync::Arc<Config>, target: Option<Target>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let mut erasures_written = -1;
    loop {
        tick.tick().await;
        for job in [Job::Housekeeping, Job::Figures, Job::Retention, Job::Backup] {
            let Some(every) = job.every(&config) else {
                continue;
            };
            match claim(&db, job, every.slot(OffsetDateTime::now_utc())).await {
                Ok(true) => {
                    let outcome = run_job(&db, &config, target.as_ref(), job).await;
                    finish(&db, job, &outcome).await;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(job = job.name(), error = %e, "cannot look at the schedule")
                }
            }
        }
        if config.backup_at.is_some() {
            match super::keep_erasure_log(&db, &config.backup_dir, erasures_written).await {
                Ok(last) => erasures_written = last,
                Err(e) => {
                    tracing::warn!(error = %e, "the erasure log beside the backups is behind")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_slot_is_the_latest_moment_due() {
        let at = Every::Day(Time::from_hms(2, 30, 0).unwrap());
        // 01:00 in China on 12-02 is before 02:30: the slot is the day before's.
        assert_eq!(
            at.slot(datetime!(2026-12-01 17:00 UTC)),
            datetime!(2026-12-01 02:30 +8)
        );
        assert_eq!(
            at.slot(datetime!(2026-12-01 19:00 UTC)),
            datetime!(2026-12-02 02:30 +8)
        );
        assert_eq!(
            Every::Hour.slot(datetime!(2026-12-01 19:42:10 UTC)),
            datetime!(2026-12-02 03:00 +8)
        );
    }
}
