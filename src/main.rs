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
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .init();
    let cli = Cli::parse();
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
    }
}
