//! Running the service: backups and restores, the scheduled jobs, metrics.
//!
//! This sits above every area (it calls the retention run, the figures' daily count, the
//! erasure log) and below `app`, which serves its one route (`/metrics`) and its middleware.

pub mod backup;
pub mod metrics;
pub mod schedule;

use std::path::Path;

use sqlx::PgPool;

use crate::config::Config;
use crate::web::{Access, Routes};
use backup::Target;

/// The operations routes.
pub fn routes() -> Routes {
    Routes::new().get("/metrics", Access::PUBLIC, metrics::scrape)
}

/// The scheduled backup: a new file in `AIXIN_BACKUP_DIR`, the erasure log beside it, and all
/// but the newest `AIXIN_BACKUP_KEEP` deleted.
pub async fn backup_now(
    db: &PgPool,
    config: &Config,
    target: Option<&Target>,
) -> anyhow::Result<String> {
    let target = target.ok_or_else(|| anyhow::anyhow!("no database to back up"))?;
    let dir = &config.backup_dir;
    let file = dir.join(backup::scheduled_name());
    let started = std::time::Instant::now();
    let made = backup::backup(db, target, &file).await;
    ::metrics::counter!("aixin_backups_total", "outcome" => if made.is_ok() { "ok" } else { "failed" })
        .increment(1);
    let manifest = made?;
    ::metrics::gauge!("aixin_backup_last_success_timestamp_seconds")
        .set(time::OffsetDateTime::now_utc().unix_timestamp() as f64);
    ::metrics::gauge!("aixin_backup_last_bytes").set(manifest.dump_bytes as f64);
    ::metrics::histogram!("aixin_backup_duration_seconds").record(started.elapsed());
    keep_erasure_log(db, dir, -1).await?;
    let pruned = backup::prune(dir, config.backup_keep as usize);
    Ok(format!(
        "{} ({} bytes, schema {}); {pruned} older backups deleted",
        file.display(),
        manifest.dump_bytes,
        manifest.schema_version
    ))
}

/// Writes the erasure log beside the backups when it has grown since `written` (the newest
/// entry last written; -1 to write it whatever); returns the newest entry now written.
pub async fn keep_erasure_log(db: &PgPool, dir: &Path, written: i64) -> anyhow::Result<i64> {
    let last = crate::privacy::service::erase::last_logged(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if last == written && dir.join(backup::ERASURE_LOG).exists() {
        return Ok(last);
    }
    let (entries, last) = crate::privacy::service::erase::log(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || backup::write_erasure_log(&dir, &entries)).await??;
    Ok(last)
}
