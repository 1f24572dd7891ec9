//! The `aixin` command: parse the command line, call into the library.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

/// 爱心妈妈 station and pairing service.
#[derive(Parser)]
#[command(name = "aixin", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (the default).
    Serve,
    /// Apply database migrations and load region data, then exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Import volunteers or children from an .xlsx or .csv file (the pages' template), acting
    /// as an account: its scope applies and the import is audited under its name.
    Import {
        /// `volunteers` or `children`.
        #[arg(value_parser = ["volunteers", "children"])]
        kind: String,
        /// The spreadsheet.
        file: std::path::PathBuf,
        /// The account the import is made as.
        #[arg(long = "as")]
        username: String,
    },
    /// Retention: anonymise the records kept longer than AIXIN_RETENTION_MONTHS (what the
    /// service does once a day), for cron.
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Write a backup of the whole database to FILE (default: a new file in AIXIN_BACKUP_DIR).
    /// Keep the secret key apart from it: ID numbers in it cannot be read without the key.
    Backup {
        /// Where to write it.
        file: Option<std::path::PathBuf>,
    },
    /// Restore a backup into the database (which must be empty, unless --force), bring its
    /// schema up to date, and erase again everyone the erasure log names.
    Restore {
        /// A file written by `aixin backup`.
        file: std::path::PathBuf,
        /// Replace everything in a database that is not empty.
        #[arg(long)]
        force: bool,
        /// The erasure log to re-apply (default: erasures.jsonl beside FILE, if there is one).
        #[arg(long)]
        erasures: Option<std::path::PathBuf>,
    },
    /// Fill an empty database with realistic demonstration data on the real region tree.
    SeedDemo {
        /// small (one county, 6 stations), county (20 stations), sichuan (the province at
        /// its published size: 419 stations, 173,000 volunteers, 170,000 children) or national
        /// (ten times sichuan on its region tree: a benchmark, not for trying pages).
        #[arg(long, value_enum, default_value = "small")]
        scale: aixin::seed::Scale,
    },
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Anonymise children who exited or turned 18, and volunteers who withdrew, longer ago
    /// than the retention period.
    Run {
        /// Only count what a run would anonymise; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from a prompt (or one line of stdin).
    Create {
        /// Login name.
        #[arg(long)]
        username: String,
        /// admin, staff or station_manager.
        #[arg(long)]
        role: String,
        /// Region code of an admin or staff account, e.g. 510623.
        #[arg(long)]
        region: Option<String>,
        /// Station id of a station manager (repeat for several).
        #[arg(long = "station")]
        stations: Vec<uuid::Uuid>,
        /// Name shown in the service (default: the username).
        #[arg(long)]
        display_name: Option<String>,
    },
    /// Set a new password (read like `create`'s) and end the account's sessions.
    ResetPassword {
        /// Login name.
        #[arg(long)]
        username: String,
    },
    /// Disable an account and end its sessions.
    Disable {
        /// Login name.
        #[arg(long)]
        username: String,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    // A bulk load's statements are slow by design: sqlx's slow-statement warnings would bury
    // the progress lines.
    let default_filter = match cli.command {
        Some(Command::SeedDemo { .. }) => "info,sqlx=error",
        _ => "info,sqlx=warn,tower_http=info",
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    match aixin::config::LogFormat::from_env() {
        Ok(aixin::config::LogFormat::Json) => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
        Ok(aixin::config::LogFormat::Text) => {
            tracing_subscriber::fmt().with_env_filter(filter).init()
        }
        Err(e) => {
            eprintln!("aixin: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aixin: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = aixin::config::Config::from_env()?;
    aixin::config::check(&config)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => aixin::run(config).await,
        Command::Migrate => {
            let database = aixin::open_database(&config).await?;
            database.close().await
        }
        Command::Import {
            kind,
            file,
            username,
        } => {
            let database = aixin::open_database(&config).await?;
            let outcome =
                aixin::import_file(&database.pool, &config, &kind, &file, &username).await;
            database.close().await?;
            outcome
        }
        Command::Backup { file } => {
            let database = aixin::db::Database::open(&config).await?;
            let file = file
                .unwrap_or_else(|| config.backup_dir.join(aixin::ops::backup::scheduled_name()));
            let target = aixin::ops::backup::Target::of(&config, database.cluster.as_ref())?;
            let made = aixin::ops::backup::backup(&database.pool, &target, &file).await;
            let kept = aixin::ops::keep_erasure_log(
                &database.pool,
                file.parent().unwrap_or(std::path::Path::new(".")),
                -1,
            )
            .await;
            database.close().await?;
            let manifest = made?;
            kept?;
            println!(
                "backup written: {} ({} bytes, schema {}, sha256 {})",
                file.display(),
                manifest.dump_bytes,
                manifest.schema_version,
                manifest.dump_sha256
            );
            println!(
                "the erasure log beside it: {}",
                aixin::ops::backup::ERASURE_LOG
            );
            println!(
                "keep the secret key (AIXIN_SECRET_KEY or <data dir>/secret.key) apart from the \
                 backup: without it the ID numbers in it cannot be read"
            );
            Ok(())
        }
        Command::Restore {
            file,
            force,
            erasures,
        } => {
            let log = erasures.or_else(|| {
                let beside = file
                    .parent()
                    .unwrap_or(std::path::Path::new("."))
                    .join(aixin::ops::backup::ERASURE_LOG);
                beside.exists().then_some(beside)
            });
            let entries = match &log {
                Some(path) => aixin::ops::backup::read_erasure_log(path)?,
                None => Vec::new(),
            };
            let database = aixin::db::Database::open(&config).await?;
            let target = aixin::ops::backup::Target::of(&config, database.cluster.as_ref())?;
            let outcome =
                aixin::ops::backup::restore(&database.pool, &target, &file, force, &entries).await;
            database.close().await?;
            let done = outcome?;
            println!(
                "restored {} (made {}, schema {}); {} migrations applied since",
                file.display(),
                done.manifest.created_at,
                done.manifest.schema_version,
                done.migrations_applied
            );
            match &log {
                Some(path) => println!(
                    "erasure log {}: {} erased again, {} already erased, {} not in the backup",
                    path.display(),
                    done.erasures.erased,
                    done.erasures.already,
                    done.erasures.missing
                ),
                None => println!(
                    "no erasure log was given or found beside the backup: anyone erased after \
                     it was made is back; re-run with --erasures FILE"
                ),
            }
            Ok(())
        }
        Command::SeedDemo { scale } => {
            let database = aixin::open_database(&config).await?;
            println!("seeding {scale:?}…");
            let outcome = aixin::seed::run(&database.pool, scale).await;
            database.close().await?;
            let loaded = outcome?;
            for (what, n) in &loaded.counts {
                println!("  {what:<16} {n:>10}");
            }
            println!("  {:<16} {:>10}", "person-visits", loaded.person_visits);
            Ok(())
        }
        Command::Retention(RetentionCommand::Run { dry_run }) => {
            let database = aixin::open_database(&config).await?;
            let outcome = aixin::privacy::service::retention::run(
                &database.pool,
                config.retention_months,
                "command",
                dry_run,
            )
            .await;
            database.close().await?;
            let done = outcome.map_err(|e| anyhow::anyhow!("{e}"))?;
            let verb = if dry_run {
                "would anonymise"
            } else {
                "anonymised"
            };
            let cutoff = done.cutoff.map(|d| d.to_string()).unwrap_or_default();
            println!("retention (records ended before {cutoff}): {verb}");
            println!("  children   {:>8}", done.children);
            println!("  volunteers {:>8}", done.volunteers);
            println!("  roster rows deleted {:>8}", done.roster_rows);
            Ok(())
        }
        Command::User(command) => {
            let database = aixin::open_database(&config).await?;
            let outcome = user_command(&database.pool, command).await;
            database.close().await?;
            outcome
        }
    }
}

async fn user_command(db: &sqlx::PgPool, command: UserCommand) -> anyhow::Result<()> {
    use aixin::auth::cli;
    match command {
        UserCommand::Create {
            username,
            role,
            region,
            stations,
            display_name,
        } => {
            let password = cli::read_password("密码 / Password: ")?;
            let id = cli::create(
                db,
                &username,
                display_name.as_deref(),
                &role,
                region.as_deref(),
                &stations,
                &password,
            )
            .await?;
            println!("created {username} ({id})");
        }
        UserCommand::ResetPassword { username } => {
            let password = cli::read_password("新密码 / New password: ")?;
            cli::reset_password(db, &username, &password).await?;
            println!("password of {username} reset; their sessions have ended");
        }
        UserCommand::Disable { username } => {
            cli::disable(db, &username).await?;
            println!("{username} disabled; their sessions have ended");
        }
    }
    Ok(())
}
