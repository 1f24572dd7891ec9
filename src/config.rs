//! Typed configuration, read from environment variables (and an optional `.env`).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Everything the service is configured with. Every field is documented in the README.
#[derive(Clone)]
pub struct Config {
    /// `DATABASE_URL`: a PostgreSQL server to use; unset, the service runs its own cluster.
    pub database_url: Option<String>,
    /// `AIXIN_DATA_DIR` (default `var`): the embedded cluster (`pg/`) and the generated key.
    pub data_dir: PathBuf,
    /// `AIXIN_BIND` (default `127.0.0.1:3000`): the address the web server listens on.
    pub bind: SocketAddr,
    /// `AIXIN_SECRET_KEY` (64 hex digits): encrypts ID numbers and keys their hashes; generated
    /// into `<data dir>/secret.key` when absent.
    pub secret_key: SecretKey,
    /// `AIXIN_DB_MAX_CONNECTIONS` (default 20): the size of the connection pool.
    pub db_max_connections: u32,
    /// `AIXIN_SECURE_COOKIES` (default false): mark cookies `Secure`; set it when the service is
    /// reached over HTTPS (behind a TLS-terminating proxy).
    pub secure_cookies: bool,
    /// `AIXIN_CHECK_IN_DAYS` (default 30): a pairing with no contact for this many days needs
    /// a check-in.
    pub check_in_days: u16,
    /// `AIXIN_TRUSTED_PROXIES` (default none): addresses or CIDR ranges of the reverse proxies
    /// in front of the service, comma-separated. Only from these is `X-Forwarded-For` believed
    /// about the client's address (for login throttling and the audit trail).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `AIXIN_DB_STATEMENT_TIMEOUT_MS` (default 10000): the longest one SQL statement may run;
    /// past it the request answers 503 with `Retry-After`.
    pub db_statement_timeout_ms: u32,
    /// `AIXIN_EXPORT_MAX_ROWS` (default 100000): the most rows one spreadsheet export writes; a
    /// larger list is refused (422) and asks for narrower filters.
    pub export_max_rows: u32,
    /// `AIXIN_REQUEST_DUE_DAYS` (default 15): a data-subject request is due this many days
    /// after it was received.
    pub request_due_days: u16,
    /// `AIXIN_RETENTION_MONTHS` (default 36): a child who exited or turned 18, or a volunteer
    /// who withdrew, this long ago is anonymised by the daily retention run.
    pub retention_months: u16,
    /// `AIXIN_PRIVACY_OFFICER` (default none): the name and contact of the person responsible
    /// for personal information, shown on the privacy page.
    pub privacy_officer: Option<String>,
    /// `AIXIN_PUBLIC_URL` (default none): the address people reach the service at
    /// (`https://aixin.example.gov.cn`), which a station's poster prints and its QR code holds.
    /// Without it a poster uses the address the page was opened at, and says so.
    pub public_url: Option<String>,
    /// `AIXIN_READ_DATABASE_URL` (default none): a streaming replica of the database, which the
    /// dashboard, the stats API and the reports read from; everything else uses the primary.
    pub read_database_url: Option<String>,
    /// `AIXIN_BACKUP_AT` (default none: no scheduled backup): the time of day, China time
    /// (`02:30`), of the daily backup into `AIXIN_BACKUP_DIR`.
    pub backup_at: Option<time::Time>,
    /// `AIXIN_BACKUP_KEEP` (default 14): how many scheduled backups are kept; older ones are
    /// deleted after a new one is written.
    pub backup_keep: u32,
    /// `AIXIN_BACKUP_DIR` (default `<data dir>/backups`): where scheduled backups, and the
    /// erasure log a restore re-applies, are written.
    pub backup_dir: PathBuf,
    /// `AIXIN_METRICS_BIND` (default none): an address of its own (`127.0.0.1:9100`) that serves
    /// `GET /metrics` to anyone who reaches it, and nothing else.
    pub metrics_bind: Option<SocketAddr>,
    /// `AIXIN_METRICS_ALLOW` (default none): addresses or ranges that may read `GET /metrics` on
    /// the service's own address, connecting directly (not through a trusted proxy).
    pub metrics_allow: Vec<ipnet::IpNet>,
}

/// How the log is written: `AIXIN_LOG_FORMAT`, read before the rest of the configuration so
/// that its errors are logged in the chosen form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for a person (the default).
    Text,
    /// One JSON object per line, for a log collector.
    Json,
}

impl LogFormat {
    /// `AIXIN_LOG_FORMAT`: `text` (default) or `json`.
    pub fn from_env() -> anyhow::Result<LogFormat> {
        match std::env::var("AIXIN_LOG_FORMAT")
            .ok()
            .as_deref()
            .map(str::trim)
        {
            None | Some("" | "text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => bail!("AIXIN_LOG_FORMAT must be text or json, not {other:?}"),
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field(
                "read_database_url",
                &self.read_database_url.as_ref().map(|_| "<set>"),
            )
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("db_max_connections", &self.db_max_connections)
            .field("secure_cookies", &self.secure_cookies)
            .field("check_in_days", &self.check_in_days)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("db_statement_timeout_ms", &self.db_statement_timeout_ms)
            .field("export_max_rows", &self.export_max_rows)
            .field("request_due_days", &self.request_due_days)
            .field("retention_months", &self.retention_months)
            .finish_non_exhaustive()
    }
}

/// The 32-byte key behind ID-number encryption and keyed hashes. Never printed.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// The raw key bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> anyhow::Result<Self> {
        let bytes = hex::decode(text.trim()).context("the secret key is not hexadecimal")?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            anyhow::anyhow!("the secret key must be 64 hexadecimal digits (32 bytes)")
        })?;
        Ok(SecretKey(key))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        SecretKey(rand::random())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<hidden>)")
    }
}

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let data_dir = PathBuf::from(get("AIXIN_DATA_DIR").unwrap_or_else(|| "var".into()));
        let bind = get("AIXIN_BIND")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("AIXIN_BIND must be an address and port, e.g. 127.0.0.1:3000")?;
        let secret_key = match get("AIXIN_SECRET_KEY") {
            Some(hex) => SecretKey::from_hex(&hex).context("AIXIN_SECRET_KEY")?,
            None => load_or_create_key(&data_dir.join("secret.key"))?,
        };
        let db_max_connections = number(&get, "AIXIN_DB_MAX_CONNECTIONS", 1..=1000, "", 20)?;
        let secure_cookies = match get("AIXIN_SECURE_COOKIES").as_deref().map(str::trim) {
            None | Some("0" | "false" | "no") => false,
            Some("1" | "true" | "yes") => true,
            Some(_) => bail!("AIXIN_SECURE_COOKIES must be true or false"),
        };
        let check_in_days = number(&get, "AIXIN_CHECK_IN_DAYS", 1..=365, "days", 30)?;
        let trusted_proxies = match get("AIXIN_TRUSTED_PROXIES") {
            Some(list) => parse_ranges("AIXIN_TRUSTED_PROXIES", &list)?,
            None => Vec::new(),
        };
        let db_statement_timeout_ms = number(
            &get,
            "AIXIN_DB_STATEMENT_TIMEOUT_MS",
            1..=3_600_000,
            "milliseconds",
            10_000,
        )?;
        let export_max_rows = number(
            &get,
            "AIXIN_EXPORT_MAX_ROWS",
            1..=1_000_000,
            "rows",
            100_000,
        )?;
        let request_due_days = number(&get, "AIXIN_REQUEST_DUE_DAYS", 1..=90, "days", 15)?;
        let retention_months = number(&get, "AIXIN_RETENTION_MONTHS", 1..=600, "months", 36)?;
        let privacy_officer = get("AIXIN_PRIVACY_OFFICER")
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty());
        if privacy_officer
            .as_deref()
            .is_some_and(|text| text.chars().count() > 200 || text.chars().any(char::is_control))
        {
            bail!("AIXIN_PRIVACY_OFFICER must be one line of at most 200 characters");
        }
        let public_url = match get("AIXIN_PUBLIC_URL")
            .map(|u| u.trim().trim_end_matches('/').to_owned())
        {
            None => None,
            Some(u) if u.is_empty() => None,
            Some(u) => {
                let parts = u.split_once("://");
                let valid = parts.is_some_and(|(scheme, rest)| {
                    matches!(scheme, "http" | "https")
                        && !rest.is_empty()
                        && !rest.contains(['?', '#', ' '])
                        && !rest.chars().any(char::is_control)
                });
                if !valid {
                    bail!(
                        "AIXIN_PUBLIC_URL must be an http:// or https:// address, such as https://aixin.example.gov.cn"
                    );
                }
                Some(u)
            }
        };
        let read_database_url = get("AIXIN_READ_DATABASE_URL");
        let backup_at = match get("AIXIN_BACKUP_AT") {
            Some(at) => Some(
                time::Time::parse(
                    at.trim(),
                    time::macros::format_description!("[hour padding:none]:[minute]"),
                )
                .ok()
                .context("AIXIN_BACKUP_AT must be a time of day such as 02:30")?,
            ),
            None => None,
        };
        let backup_keep = number(&get, "AIXIN_BACKUP_KEEP", 1..=3650, "backups", 14)?;
        let backup_dir = get("AIXIN_BACKUP_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("backups"));
        let metrics_bind =
            match get("AIXIN_METRICS_BIND") {
                Some(addr) => Some(addr.trim().parse().context(
                    "AIXIN_METRICS_BIND must be an address and port, e.g. 127.0.0.1:9100",
                )?),
                None => None,
            };
        let metrics_allow = match get("AIXIN_METRICS_ALLOW") {
            Some(list) => parse_ranges("AIXIN_METRICS_ALLOW", &list)?,
            None => Vec::new(),
        };
        Ok(Config {
            database_url: get("DATABASE_URL"),
            data_dir,
            bind,
            secret_key,
            db_max_connections,
            secure_cookies,
            check_in_days,
            trusted_proxies,
            db_statement_timeout_ms,
            export_max_rows,
            request_due_days,
            retention_months,
            privacy_officer,
            public_url,
            read_database_url,
            backup_at,
            backup_keep,
            backup_dir,
            metrics_bind,
            metrics_allow,
        })
    }

    /// Whether `peer` may read `GET /metrics` on the service's own address.
    pub fn may_read_metrics(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        !self.is_trusted_proxy(peer) && self.metrics_allow.iter().any(|net| net.contains(&peer))
    }

    /// Whether `peer` is one of the trusted reverse proxies.
    pub fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }
}

/// A whole number `variable` may hold, within `range`; `default` when it is unset. `unit` names
/// what it counts, for the message (`days`), or is empty.
fn number<T>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &str,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
    default: T,
) -> anyhow::Result<T>
where
    T: std::str::FromStr + PartialOrd + fmt::Display,
{
    let Some(text) = get(variable) else {
        return Ok(default);
    };
    text.trim()
        .parse()
        .ok()
        .filter(|n| range.contains(n))
        .with_context(|| {
            let of = if unit.is_empty() {
                String::new()
            } else {
                format!("of {unit} ")
            };
            format!(
                "{variable} must be a number {of}from {} to {}",
                range.start(),
                range.end()
            )
        })
}

/// `10.0.0.0/8, 192.168.1.10`: ranges, or single addresses (a range of one).
fn parse_ranges(variable: &str, list: &str) -> anyhow::Result<Vec<ipnet::IpNet>> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .with_context(|| {
                    format!(
                        "{variable}: {item:?} is neither an address nor a range \
                         (e.g. 10.0.0.0/8 or 192.168.1.10)"
                    )
                })
        })
        .collect()
}

/// Reads the key file, or writes a new random key there (readable by the owner only).
fn load_or_create_key(path: &Path) -> anyhow::Result<SecretKey> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;

    match std::fs::read_to_string(path) {
        Ok(text) => {
            return SecretKey::from_hex(&text).with_context(|| format!("{}", path.display()));
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("reading {}", path.display()));
        }
        Err(_) => {}
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = SecretKey::generate();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path);
    match file {
        Ok(mut file) => {
            writeln!(file, "{}", hex::encode(key.bytes()))?;
            tracing::info!(path = %path.display(), "generated a new secret key");
            Ok(key)
        }
        // Another process wrote it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path)?;
            SecretKey::from_hex(&text)
        }
        Err(e) => Err(e).with_context(|| format!("writing {}", path.display())),
    }
}

/// Rejects a configuration that cannot work, with a message that says how to fix it.
pub fn check(config: &Config) -> anyhow::Result<()> {
    if let Some(url) = &config.database_url
        && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        bail!("DATABASE_URL must start with postgres:// or postgresql://");
    }
    if let Some(url) = &config.read_database_url
        && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
    {
        bail!("AIXIN_READ_DATABASE_URL must start with postgres:// or postgresql://");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_and_a_generated_key_that_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let vars = HashMap::from([("AIXIN_DATA_DIR", dir.path().to_str().unwrap().to_owned())]);
        let get = |k: &str| vars.get(k).cloned();
        let first = Config::from_lookup(get).unwrap();
        assert_eq!(first.bind.to_string(), "127.0.0.1:3000");
        assert!(first.database_url.is_none());
        let second = Config::from_lookup(get).unwrap();
        assert_eq!(first.secret_key.bytes(), second.secret_key.bytes());
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let vars = HashMap::from([
            ("AIXIN_SECRET_KEY", "ab".repeat(32)),
            (
                "AIXIN_TRUSTED_PROXIES",
                " 10.0.0.0/8, 192.168.1.10 ,::1".to_owned(),
            ),
        ]);
        let config = Config::from_lookup(|k| vars.get(k).cloned()).unwrap();
        for trusted in ["10.200.3.4", "192.168.1.10", "::1", "::ffff:10.0.0.1"] {
            assert!(
                config.is_trusted_proxy(trusted.parse().unwrap()),
                "{trusted}"
            );
        }
        for not in ["11.0.0.1", "192.168.1.11", "127.0.0.1"] {
            assert!(!config.is_trusted_proxy(not.parse().unwrap()), "{not}");
        }
        let none = Config::from_lookup(|k| (k == "AIXIN_SECRET_KEY").then(|| "ab".repeat(32)));
        assert!(none.unwrap().trusted_proxies.is_empty());
        let bad = |k: &str| match k {
            "AIXIN_SECRET_KEY" => Some("ab".repeat(32)),
            "AIXIN_TRUSTED_PROXIES" => Some("10.0.0.0/8, proxy.example".to_owned()),
            _ => None,
        };
        let err = format!("{:#}", Config::from_lookup(bad).unwrap_err());
        assert!(err.contains("AIXIN_TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn a_number_out_of_range_is_refused_with_its_range() {
        let get = |value: &'static str| {
            move |k: &str| match k {
                "AIXIN_SECRET_KEY" => Some("ab".repeat(32)),
                "AIXIN_CHECK_IN_DAYS" => Some(value.to_owned()),
                _ => None,
            }
        };
        let err = format!("{:#}", Config::from_lookup(get("0")).unwrap_err());
        assert!(
            err.contains("AIXIN_CHECK_IN_DAYS must be a number of days from 1 to 365"),
            "{err}"
        );
        assert_eq!(Config::from_lookup(get(" 45 ")).unwrap().check_in_days, 45);
    }

    #[test]
    fn a_bad_key_is_refused_with_the_variable_named() {
        let get = |k: &str| (k == "AIXIN_SECRET_KEY").then(|| "abc".to_owned());
        let err = format!("{:#}", Config::from_lookup(get).unwrap_err());
        assert!(err.contains("AIXIN_SECRET_KEY"), "{err}");
    }
}
