//! A private PostgreSQL cluster for development, tests and single-machine installs.
//!
//! With `DATABASE_URL` unset the service keeps its own cluster under the data directory:
//! `initdb` on first use, started with a Unix socket and no TCP port, reused when it is already
//! running (by an earlier process, a second instance or a CLI command), and stopped on shutdown
//! only by the process that started it.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use sqlx::postgres::PgConnectOptions;

/// The superuser and database the service uses inside its own cluster.
const DB_USER: &str = "aixin";
/// Port number of the socket file name (`.s.PGSQL.5432`); no TCP port is opened.
const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;

/// How the cluster is tuned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is flushed to disk: the service's data.
    Durable,
    /// No fsync: throw-away test databases, many times faster to create.
    Disposable,
}

/// A running cluster, and whether this process must stop it.
#[derive(Debug)]
pub struct Cluster {
    data_dir: PathBuf,
    lock_path: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    run_as: Option<SystemUser>,
    started_here: bool,
}

/// The unprivileged account a root process runs PostgreSQL as.
#[derive(Debug, Clone)]
struct SystemUser {
    name: String,
    uid: u32,
    gid: u32,
}

impl Cluster {
    /// Makes sure a cluster for `wanted_dir` is initialised and running, and returns it.
    ///
    /// Holds a file lock while it looks and starts, so parallel processes (test binaries, a CLI
    /// command beside the server) never race to `initdb` or start the same cluster twice.
    pub fn ensure_running(wanted_dir: &Path, durability: Durability) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir()?;
        let run_as = if nix::unistd::geteuid().is_root() {
            Some(postgres_user()?)
        } else {
            None
        };
        let data_dir = usable_data_dir(wanted_dir, run_as.as_ref())?;
        let socket_dir = socket_dir_for(&data_dir);

        let parent = data_dir
            .parent()
            .context("the cluster directory has no parent")?;
        runtime_dir(parent, run_as.as_ref())?;
        let lock_path = parent.join(format!(
            ".{}.lock",
            data_dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("pg")
        ));
        let mut lock = File::create(&lock_path)
            .with_context(|| format!("creating lock file {}", lock_path.display()))?;
        lock.lock().context("waiting for the cluster lock")?;
        // The lock file's age tells the idle-stop watcher when the cluster was last wanted.
        writeln!(lock, "{}", std::process::id())?;

        let mut cluster = Cluster {
            data_dir,
            lock_path,
            socket_dir,
            bin_dir,
            run_as,
            started_here: false,
        };
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.initdb(durability)?;
        }
        cluster.write_settings(durability)?;
        if cluster.is_running()? {
            tracing::info!(dir = %cluster.data_dir.display(), "using the PostgreSQL cluster already running");
        } else {
            cluster.start()?;
            cluster.started_here = true;
        }
        drop(lock);
        Ok(cluster)
    }

    /// Connection options for a database inside this cluster.
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(DB_USER)
            .database(database)
    }

    /// The folder that holds the cluster's files.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The folder of the cluster's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// Whether this process started the cluster (and so must stop it).
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Stops the cluster if this process started it; a cluster found running is left running.
    pub fn stop_if_started_here(&self) -> anyhow::Result<()> {
        if self.started_here {
            self.stop()?;
        }
        Ok(())
    }

    /// Says, every `every` for as long as this process lives, that the cluster is still wanted
    /// (the lock file's age, under the lock, as [`Cluster::ensure_running`] says it): a process
    /// whose connections all close for a moment — between two tests — is not left without its
    /// cluster by the idle-stop watcher.
    pub fn keep_wanted(&self, every: std::time::Duration) {
        let lock_path = self.lock_path.clone();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(every);
                let Ok(mut lock) = std::fs::OpenOptions::new().write(true).open(&lock_path) else {
                    return;
                };
                if lock.lock().is_ok() {
                    let _ = writeln!(lock, "{}", std::process::id());
                }
            }
        });
    }

    /// Leaves behind a watcher that stops the cluster once no process has connected to it or
    /// asked for it for `idle` — for the disposable test cluster, which no single test process
    /// can stop (others may still need it). Without `flock` the cluster simply keeps running.
    pub fn stop_when_idle(&self, idle: std::time::Duration) -> anyhow::Result<()> {
        if !self.started_here {
            return Ok(());
        }
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(include_str!("idle-stop.sh"))
            .arg("aixin-idle-stop")
            .arg(&self.lock_path)
            .arg(&self.data_dir)
            .arg(&self.bin_dir)
            .arg(&self.socket_dir)
            .arg(idle.as_secs().to_string())
            .current_dir("/")
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(user) = &self.run_as {
            cmd.uid(user.uid).gid(user.gid);
        }
        cmd.spawn().context("starting the idle-stop watcher")?;
        Ok(())
    }

    /// Stops the cluster (fast shutdown: open sessions are ended, data is safe).
    pub fn stop(&self) -> anyhow::Result<()> {
        tracing::info!(dir = %self.data_dir.display(), "stopping PostgreSQL");
        let out = self.pg_ctl(&["stop", "-m", "fast", "-w", "-t", "60"])?;
        if !out.status.success() {
            bail!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// Whether a postmaster is serving this data directory (a stale `postmaster.pid` left by a
    /// killed process counts as not running; `pg_ctl start` then replaces it).
    pub fn is_running(&self) -> anyhow::Result<bool> {
        let out = self.pg_ctl(&["status"])?;
        Ok(out.status.success())
    }

    fn initdb(&self, durability: Durability) -> anyhow::Result<()> {
        tracing::info!(dir = %self.data_dir.display(), "initialising a new PostgreSQL cluster");
        fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))?;
        fs::set_permissions(&self.data_dir, fs::Permissions::from_mode(0o700))?;
        self.hand_over(&self.data_dir)?;
        let mut cmd = self.command("initdb");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .args(["--username", DB_USER, "--auth", "trust"])
            // Without an explicit encoding initdb follows LANG, and an unset LANG gives an
            // SQL_ASCII cluster that sorts and searches Chinese wrongly.
            .args(["--encoding", "UTF8", "--locale", "C.UTF-8"]);
        if durability == Durability::Disposable {
            cmd.arg("--no-sync");
        }
        let out = run(cmd, "initdb")?;
        if !out.status.success() {
            let _ = fs::remove_dir_all(&self.data_dir);
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let conf = self.data_dir.join("postgresql.conf");
        let mut text = fs::read_to_string(&conf)?;
        text.push_str("\n# Settings of the aixin service, rewritten at each start.\ninclude_if_exists = 'aixin.conf'\n");
        fs::write(&conf, text)?;
        Ok(())
    }

    fn write_settings(&self, durability: Durability) -> anyhow::Result<()> {
        if let Some(user) = &self.run_as
            && self.socket_dir != self.data_dir
        {
            runtime_dir(&self.socket_dir, Some(user))?;
        } else if self.socket_dir != self.data_dir {
            runtime_dir(&self.socket_dir, None)?;
        }
        // Many short queries from concurrent requests: parallel workers would only add processes
        // competing for the same cores, so each query runs in its own backend.
        let mut text = format!(
            "listen_addresses = ''\n\
             port = {PORT}\n\
             unix_socket_directories = '{}'\n\
             unix_socket_permissions = 0700\n\
             max_connections = 200\n\
             shared_buffers = 256MB\n\
             work_mem = 16MB\n\
             maintenance_work_mem = 256MB\n\
             max_parallel_workers_per_gather = 0\n\
             logging_collector = off\n",
            self.socket_dir.display().to_string().replace('\'', "''")
        );
        if durability == Durability::Disposable {
            text.push_str("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        let path = self.data_dir.join("aixin.conf");
        fs::write(&path, text)?;
        self.hand_over(&path)?;
        Ok(())
    }

    fn start(&self) -> anyhow::Result<()> {
        tracing::info!(dir = %self.data_dir.display(), socket = %self.socket_dir.display(), "starting PostgreSQL");
        let log = self.data_dir.join("server.log");
        let log = log.to_str().context("the cluster path is not UTF-8")?;
        let out = self.pg_ctl(&["start", "-w", "-t", "120", "-l", log])?;
        if !out.status.success() {
            let tail = fs::read_to_string(self.data_dir.join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(10).collect();
            bail!(
                "PostgreSQL did not start: {}\n{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        Ok(())
    }

    fn pg_ctl(&self, args: &[&str]) -> anyhow::Result<Output> {
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D").arg(&self.data_dir).args(args);
        run(cmd, "pg_ctl")
    }

    /// A PostgreSQL program, run as the cluster's owner, in a process group of its own so that
    /// Ctrl-C in the terminal reaches the service (which then stops the cluster in order), not
    /// the database directly.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.current_dir("/").process_group(0).env_remove("PGDATA");
        if let Some(user) = &self.run_as {
            // std drops root's supplementary groups when it sets the uid.
            cmd.uid(user.uid)
                .gid(user.gid)
                .env("HOME", "/")
                .env("USER", &user.name);
        }
        cmd
    }

    fn hand_over(&self, path: &Path) -> anyhow::Result<()> {
        match &self.run_as {
            Some(user) => chown(path, user),
            None => Ok(()),
        }
    }
}

/// A folder the cluster keeps its files or its socket in (`var/`, the `/var/tmp` fallback, the
/// short socket folder under `/tmp`): created readable by its owner only and handed to the
/// cluster's owner; one that exists must belong to this process's user or the cluster's owner,
/// since a folder of a predictable name in a shared place may have been made by someone else.
fn runtime_dir(dir: &Path, owner: Option<&SystemUser>) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::symlink_metadata(dir) {
        Ok(meta) => {
            if !meta.is_dir() {
                bail!(
                    "{} is not a folder (a link or a file stands there): remove it, or set \
                     AIXIN_DATA_DIR or DATABASE_URL",
                    dir.display()
                );
            }
            let me = nix::unistd::geteuid().as_raw();
            if meta.uid() != me && owner.is_none_or(|o| meta.uid() != o.uid) {
                bail!(
                    "{} belongs to another user (uid {}), who could read or replace the \
                     database's files: remove it, or set AIXIN_DATA_DIR or DATABASE_URL",
                    dir.display(),
                    meta.uid()
                );
            }
            // One made under the umask by an older version (open to every local user) is closed:
            // to its owner alone, or, when it is ours and the cluster runs as another user who
            // must pass through it to reach its own folder, to all but passing through.
            let closed = match owner {
                Some(o) if meta.uid() != o.uid => 0o711,
                _ => 0o700,
            };
            if meta.mode() & 0o777 & !closed != 0 {
                fs::set_permissions(dir, fs::Permissions::from_mode(closed))
                    .with_context(|| format!("closing {} to other users", dir.display()))?;
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = dir.parent() {
                fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            match fs::DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                // Another process made it first: check theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return runtime_dir(dir, owner);
                }
                Err(e) => return Err(e).with_context(|| format!("creating {}", dir.display())),
            }
            // The mode asked for is narrowed by the umask, never widened: set it exactly.
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
            match owner {
                Some(user) => chown(dir, user),
                None => Ok(()),
            }
        }
        Err(e) => Err(e).with_context(|| format!("looking at {}", dir.display())),
    }
}

fn run(mut cmd: Command, what: &str) -> anyhow::Result<Output> {
    cmd.stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {what}"))
}

fn chown(path: &Path, user: &SystemUser) -> anyhow::Result<()> {
    std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))
        .with_context(|| format!("handing {} to {}", path.display(), user.name))
}

/// Where the PostgreSQL server programs are: PATH, then `pg_config --bindir`, then the newest
/// Debian/Ubuntu install under /usr/lib/postgresql.
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    find_bin_dir_in(
        std::env::var_os("PATH").as_deref(),
        Path::new("pg_config"),
        Path::new("/usr/lib/postgresql"),
    )
}

fn find_bin_dir_in(
    path_var: Option<&std::ffi::OsStr>,
    pg_config: &Path,
    lib_root: &Path,
) -> anyhow::Result<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    for dir in path_var.map(std::env::split_paths).into_iter().flatten() {
        if has_server(&dir) {
            // Follow symlinks (e.g. /usr/local/bin/initdb) to the real install.
            let real = fs::canonicalize(dir.join("initdb")).ok();
            let real_dir = real
                .as_deref()
                .and_then(Path::parent)
                .map(Path::to_path_buf);
            return Ok(real_dir.filter(|d| has_server(d)).unwrap_or(dir));
        }
    }
    if let Ok(out) = Command::new(pg_config).arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_server(&dir) {
            return Ok(dir);
        }
    }
    let newest = fs::read_dir(lib_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_server(&bin).then_some((version, bin))
        })
        .max_by_key(|(v, _)| *v);
    if let Some((_, dir)) = newest {
        return Ok(dir);
    }
    bail!(
        "PostgreSQL server programs (initdb, pg_ctl) were not found.\n\
         Either install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`; macOS: \
         `brew install postgresql`) so the service can run its own database, or set \
         DATABASE_URL to a PostgreSQL server you already have, e.g. \
         DATABASE_URL=postgres://user:password@localhost/aixin"
    )
}

fn postgres_user() -> anyhow::Result<SystemUser> {
    let user = nix::unistd::User::from_name("postgres")
        .context("looking up the postgres system user")?
        .context(
            "running as root, the database must run as the `postgres` system user, which does \
             not exist: create it (installing PostgreSQL's Debian package does), run as an \
             ordinary user, or set DATABASE_URL",
        )?;
    Ok(SystemUser {
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
    })
}

/// The wanted directory, or — when the cluster must run as `postgres` and that user cannot
/// reach it (a checkout under /root) — a folder of its own under /var/tmp that it can.
fn usable_data_dir(wanted: &Path, run_as: Option<&SystemUser>) -> anyhow::Result<PathBuf> {
    let wanted = absolute(wanted)?;
    let Some(user) = run_as else {
        return Ok(wanted);
    };
    if reachable_by(&wanted, user) {
        return Ok(wanted);
    }
    let fallback = Path::new("/var/tmp")
        .join(format!("aixin-{}", short_hash(&wanted)))
        .join("pg");
    tracing::warn!(
        wanted = %wanted.display(),
        using = %fallback.display(),
        "the postgres system user cannot reach the data directory; keeping the cluster elsewhere"
    );
    Ok(fallback)
}

fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    let abs = std::path::absolute(path)?;
    // Resolve symlinks of the existing part so the same cluster is found from anywhere.
    let mut existing = abs.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = fs::canonicalize(&existing).unwrap_or(existing);
    out.extend(rest.into_iter().rev());
    Ok(out)
}

/// Whether `user` can traverse every existing ancestor of `path` (and so reach the folders
/// root creates and hands over below it).
fn reachable_by(path: &Path, user: &SystemUser) -> bool {
    path.ancestors().filter(|p| p.exists()).all(|dir| {
        let Ok(meta) = fs::metadata(dir) else {
            return false;
        };
        if meta.uid() == user.uid {
            return meta.mode() & 0o100 != 0;
        }
        if meta.gid() == user.gid {
            return meta.mode() & 0o010 != 0;
        }
        meta.mode() & 0o001 != 0
    })
}

/// The socket lives in the data directory unless that path is too long for a Unix socket; then
/// in a short folder of its own.
fn socket_dir_for(data_dir: &Path) -> PathBuf {
    let in_data = data_dir.join(format!(".s.PGSQL.{PORT}"));
    if in_data.as_os_str().len() <= MAX_SOCKET_PATH {
        data_dir.to_path_buf()
    } else {
        PathBuf::from(format!("/tmp/aixin-{}", short_hash(data_dir)))
    }
}

fn short_hash(path: &Path) -> String {
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    hex::encode(&digest[..6])
}

#[cfg(test)]
mod tests;
