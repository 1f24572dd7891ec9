//! `aixin backup` and `aixin restore`: the whole database in one file, and back.
//!
//! A backup is `pg_dump`'s custom format (compressed, consistent: one snapshot) behind a header
//! of 1 KiB that says what it is — the schema version, when and from which server it was made,
//! the dump's size and SHA-256 — so that a restore refuses a damaged file or one from a newer
//! schema before it touches anything. A restore goes into an empty database (a non-empty one only
//! with `--force`, which empties it first), in one transaction, then brings the schema up to date
//! and erases again everyone the erasure log names (the one kept beside the backups is newer
//! than any backup): a restore never brings an erased person back.
//!
//! ID numbers stay encrypted in a backup: restoring it is of use only with the secret key the
//! service ran with (`AIXIN_SECRET_KEY` or `<data dir>/secret.key`), kept apart from it.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::config::Config;
use crate::db::embedded::{Cluster, find_bin_dir};
use crate::privacy::service::erase::{self, Erasure, Reapplied};

/// The first line of every backup file.
const MAGIC: &str = "AIXIN-BACKUP 1";
/// The header's size: the magic line, the manifest as one JSON line, padded with spaces.
const HEADER_LEN: usize = 1024;
/// The erasure log's name beside the backups.
pub const ERASURE_LOG: &str = "erasures.jsonl";

/// What a backup says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The newest migration applied to the database backed up.
    pub schema_version: i64,
    /// When the backup was made (RFC 3339).
    pub created_at: String,
    /// The PostgreSQL server it was made from (`server_version`).
    pub server_version: String,
    /// The version of the service that made it.
    pub made_by: String,
    /// The size of the dump after the header.
    pub dump_bytes: u64,
    /// The dump's SHA-256, hexadecimal.
    pub dump_sha256: String,
}

/// Where `pg_dump` and `pg_restore` connect: libpq's own arguments.
#[derive(Debug, Clone)]
pub struct Target {
    args: Vec<String>,
}

impl Target {
    /// The database of `DATABASE_URL`, or the embedded cluster's.
    pub fn of(config: &Config, cluster: Option<&Cluster>) -> anyhow::Result<Target> {
        let args = match (&config.database_url, cluster) {
            (Some(url), _) => vec![format!("--dbname={url}")],
            (None, Some(cluster)) => vec![
                format!("--host={}", cluster.socket_dir().display()),
                "--port=5432".into(),
                "--username=aixin".into(),
                "--dbname=aixin".into(),
            ],
            (None, None) => bail!("no database to back up: neither DATABASE_URL nor a cluster"),
        };
        Ok(Target { args })
    }
}

/// Writes a backup of `db` (reached by `pg_dump` through `target`) to `file`: first to a
/// `.partial` file beside it, renamed once complete and flushed to disk.
pub async fn backup(db: &PgPool, target: &Target, file: &Path) -> anyhow::Result<Manifest> {
    let schema_version: i64 =
        sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success")
            .fetch_one(db)
            .await
            .context("reading the schema version")?;
    let server_version: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(db)
        .await?;
    let target = target.clone();
    let file = file.to_path_buf();
    tokio::task::spawn_blocking(move || dump(&target, &file, schema_version, server_version))
        .await?
}

fn dump(
    target: &Target,
    file: &Path,
    schema_version: i64,
    server_version: String,
) -> anyhow::Result<Manifest> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let partial = PathBuf::from(format!("{}.partial", file.display()));
    let mut out = private_file(&partial)?;
    out.write_all(&[b' '; HEADER_LEN])?;
    let mut child = Command::new(find_bin_dir()?.join("pg_dump"))
        .args(&target.args)
        .args([
            "--format=custom",
            "--compress=6",
            "--no-owner",
            "--no-privileges",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting pg_dump")?;
    let mut stdout = child.stdout.take().context("pg_dump's output")?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut dump_bytes = 0u64;
    loop {
        let n = stdout.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hash.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        dump_bytes += n as u64;
    }
    let done = child.wait_with_output()?;
    if !done.status.success() {
        let _ = std::fs::remove_file(&partial);
        bail!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&done.stderr).trim()
        );
    }
    let manifest = Manifest {
        schema_version,
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)?,
        server_version,
        made_by: format!("aixin {}", env!("CARGO_PKG_VERSION")),
        dump_bytes,
        dump_sha256: hex::encode(hash.finalize()),
    };
    let mut header = format!("{MAGIC}\n{}\n", serde_json::to_string(&manifest)?).into_bytes();
    if header.len() > HEADER_LEN {
        bail!("the backup's header does not fit in {HEADER_LEN} bytes");
    }
    header.resize(HEADER_LEN, b' ');
    out.seek(SeekFrom::Start(0))?;
    out.write_all(&header)?;
    out.sync_all()?;
    drop(out);
    std::fs::rename(&partial, file).with_context(|| format!("writing {}", file.display()))?;
    Ok(manifest)
}

/// A new file readable by its owner only (a backup holds everyone's records).
fn private_file(path: &Path) -> anyhow::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))
}

/// Reads a backup's header and checks the dump against its checksum.
pub fn verify(file: &Path) -> anyhow::Result<Manifest> {
    let mut reader =
        BufReader::new(File::open(file).with_context(|| format!("opening {}", file.display()))?);
    let mut header = vec![0u8; HEADER_LEN];
    reader
        .read_exact(&mut header)
        .context("this file is too short to be a backup")?;
    let mut lines = header.lines();
    if lines.next().transpose()?.as_deref() != Some(MAGIC) {
        bail!("{} is not a backup made by `aixin backup`", file.display());
    }
    let manifest: Manifest = serde_json::from_str(
        lines
            .next()
            .transpose()?
            .as_deref()
            .context("the backup has no manifest")?,
    )
    .context("the backup's manifest cannot be read")?;
    let mut hash = Sha256::new();
    let read = std::io::copy(&mut reader, &mut HashWriter(&mut hash))?;
    if read != manifest.dump_bytes || hex::encode(hash.finalize()) != manifest.dump_sha256 {
        bail!(
            "{} is damaged: its contents do not match its checksum (or it was cut short)",
            file.display()
        );
    }
    Ok(manifest)
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    /// The backup's manifest.
    pub manifest: Manifest,
    /// Migrations applied after the restore (a backup of an older schema).
    pub migrations_applied: usize,
    /// The erasures made again.
    pub erasures: Reapplied,
}

/// Restores `file` into the database of `db` (reached by `pg_restore` through `target`), which
/// must be empty unless `force`; then migrates it and re-applies `erasures`.
pub async fn restore(
    db: &PgPool,
    target: &Target,
    file: &Path,
    force: bool,
    erasures: &[Erasure],
) -> anyhow::Result<Restored> {
    let path = file.to_path_buf();
    let manifest = tokio::task::spawn_blocking(move || verify(&path)).await??;
    let newest = crate::db::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    if manifest.schema_version > newest {
        bail!(
            "this backup was made by a newer version of the service (schema {}, this one knows \
             up to {newest}): restore it with that version",
            manifest.schema_version
        );
    }
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(db)
    .await?;
    if tables > 0 {
        if !force {
            bail!(
                "the database is not empty ({tables} tables): restore into an empty database, or \
                 add --force to replace everything in it"
            );
        }
        empty(db).await?;
    }
    let (target, path) = (target.clone(), file.to_path_buf());
    tokio::task::spawn_blocking(move || pg_restore(&target, &path)).await??;
    let prepared = crate::db::prepare(db).await?;
    let erasures = erase::reapply(db, erasures)
        .await
        .map_err(|e| anyhow::anyhow!("re-applying the erasure log: {e}"))?;
    Ok(Restored {
        manifest,
        migrations_applied: prepared.migrations_applied,
        erasures,
    })
}

/// Drops every schema of the database's own (`--force`).
async fn empty(db: &PgPool) -> anyhow::Result<()> {
    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace
         WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
           AND nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'",
    )
    .fetch_all(db)
    .await?;
    let mut tx = db.begin().await?;
    for schema in schemas {
        sqlx::raw_sql(&format!(
            "DROP SCHEMA {} CASCADE",
            crate::db::quote_ident(&schema)
        ))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::raw_sql("CREATE SCHEMA public")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

fn pg_restore(target: &Target, file: &Path) -> anyhow::Result<()> {
    let mut input = File::open(file)?;
    input.seek(SeekFrom::Start(HEADER_LEN as u64))?;
    let mut child = Command::new(find_bin_dir()?.join("pg_restore"))
        .args(&target.args)
        .args([
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            "--no-privileges",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting pg_restore")?;
    let mut stdin = child.stdin.take().context("pg_restore's input")?;
    let fed = std::io::copy(&mut input, &mut stdin);
    drop(stdin);
    let done = child.wait_with_output()?;
    if !done.status.success() {
        bail!(
            "pg_restore failed (nothing was restored): {}",
            String::from_utf8_lossy(&done.stderr).trim()
        );
    }
    fed.context("feeding pg_restore")?;
    Ok(())
}

/// Writes the erasure log to `dir/erasures.jsonl` (one JSON object per line), replacing the
/// previous copy in one step.
pub fn write_erasure_log(dir: &Path, entries: &[Erasure]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(ERASURE_LOG);
    let partial = dir.join(format!("{ERASURE_LOG}.partial"));
    let mut out = private_file(&partial)?;
    for entry in entries {
        serde_json::to_writer(&mut out, entry)?;
        out.write_all(b"\n")?;
    }
    out.sync_all()?;
    std::fs::rename(&partial, &path)?;
    Ok(())
}

/// Reads an erasure log written by [`write_erasure_log`].
pub fn read_erasure_log(path: &Path) -> anyhow::Result<Vec<Erasure>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, line)| line.as_ref().is_ok_and(|l| !l.trim().is_empty()))
        .map(|(n, line)| {
            serde_json::from_str(&line?)
                .with_context(|| format!("{} line {}: not an erasure", path.display(), n + 1))
        })
        .collect()
}

/// The scheduled backups in `dir`, oldest first.
pub fn scheduled(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("aixin-") && n.ends_with(".backup"))
        })
        .collect();
    files.sort();
    files
}

/// The file name of a scheduled backup made now: `aixin-20261202-023000.backup` (UTC), which
/// sorts by age.
pub fn scheduled_name() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "aixin-{:04}{:02}{:02}-{:02}{:02}{:02}.backup",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

/// Deletes all but the newest `keep` scheduled backups in `dir`; returns how many went.
pub fn prune(dir: &Path, keep: usize) -> usize {
    let files = scheduled(dir);
    let excess = files.len().saturating_sub(keep);
    files
        .iter()
        .take(excess)
        .filter(|f| std::fs::remove_file(f).is_ok())
        .count()
}
