//! Aixin: the service women's federations use to run 爱心妈妈 stations — stations, volunteers,
//! children, pairings, station life and the numbers that report them. `docs/ARCHITECTURE.md`
//! says what each module holds and which it may use.

/// Station life: sessions, trainings and events, attendance, person-visits.
pub mod activities;
/// Assembly: every area's routes and the middleware stack.
pub mod app;
/// The append-only audit trail.
pub mod audit;
/// Accounts, sessions, scope, CSRF, login throttling.
pub mod auth;
/// Children, guardians and consent.
pub mod children;
/// Typed configuration from the environment.
pub mod config;
/// Contacts volunteers log with their children, and the concerns they raise.
pub mod contacts;
/// Encryption of ID numbers and their keyed hashes.
pub mod crypto;
/// The dashboard: figures by region down to a station, trends and alerts.
pub mod dashboard;
/// The database: pool, embedded PostgreSQL, migrations, region data.
pub mod db;
/// Shared value types: field errors, roles, region codes, phone and ID numbers, text, dates,
/// the words of a pairing and its health.
pub mod domain;
/// Liveness and readiness probes.
pub mod health;
/// zh-CN and English messages.
pub mod i18n;
/// Spreadsheet imports: the page, the template, reading an upload, error reports.
pub mod imports;
/// Running the service: backups and restores, scheduled jobs, metrics.
pub mod ops;
/// Pairing children with volunteers: suggestions, guards, the pairing record, closing.
pub mod pairings;
/// The paperwork counties file: pairing forms, activity ledgers, rosters, certificates.
pub mod paperwork;
/// The volunteer's portal (`/me`): her children, contacts, concerns, reminders.
pub mod portal;
/// A person's data from consent to deletion: requests, withdrawal, retention, the notice.
pub mod privacy;
/// Recruiting volunteers: a station's poster with its QR code, the public application page.
pub mod recruitment;
/// The region tree every record hangs from.
pub mod regions;
/// The monthly report: a printable page and its `.xlsx`.
pub mod reports;
/// The civil-affairs roster of a county, matched to the children registered (应结尽结).
pub mod roster;
/// `seed-demo`: realistic demonstration and benchmark data, bulk-loaded.
pub mod seed;
/// Stations (驿站), and the days they opened.
pub mod stations;
/// Volunteer mothers (爱心妈妈).
pub mod volunteers;
/// What every area builds on: the state, errors, routes and their access, pages, paging.
pub mod web;
/// Micro-wishes (微心愿) of children: posted, claimed, fulfilled, and the wish wall.
pub mod wishes;

use std::future::Future;

use anyhow::Context;
use tokio::net::TcpListener;

pub use app::router;
use config::Config;
use db::Database;
pub use web::AppState;

/// Serves the application on `listener` until `shutdown` completes, then finishes the requests
/// in flight. Tests call this with a listener on port 0.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Opens the database (starting the embedded cluster when needed) and brings it up to date.
pub async fn open_database(config: &Config) -> anyhow::Result<Database> {
    let database = Database::open(config).await?;
    let prepared = db::prepare(&database.pool).await?;
    pairings::standard::apply_default(&database.pool, config.check_in_days).await?;
    tracing::info!(
        migrations_applied = prepared.migrations_applied,
        regions_loaded = prepared.regions_loaded,
        "database ready"
    );
    if let Some(password) = auth::accounts::ensure_first_admin(&database.pool).await? {
        // Printed once, to the console only: never to the log.
        println!(
            "\n========================================================================\n\
             首次启动：已创建管理员账号 / First start: an admin account was created\n\
             \n    用户名 / username:            admin\n    一次性密码 / one-time password: {password}\n\
             \n登录后须立即修改密码。/ Change it at the first login.\n\
             ========================================================================\n"
        );
    }
    Ok(database)
}

/// `aixin import volunteers|children FILE --as USERNAME`: the owning area's import, with the
/// same checks as its page.
pub async fn import_file(
    db: &sqlx::PgPool,
    config: &Config,
    kind: &str,
    file: &std::path::Path,
    username: &str,
) -> anyhow::Result<()> {
    let cipher = crypto::Cipher::new(&config.secret_key);
    let cipher = &cipher;
    match kind {
        "volunteers" => {
            imports::from_command_line(
                db,
                volunteers::import::KIND,
                file,
                username,
                async |user, rows, lang| {
                    volunteers::import::run(db, cipher, user, rows, lang, None).await
                },
            )
            .await
        }
        _ => {
            imports::from_command_line(
                db,
                children::import::KIND,
                file,
                username,
                async |user, rows, lang| {
                    children::import::run(db, cipher, user, rows, lang, None).await
                },
            )
            .await
        }
    }
}

/// `aixin serve`: runs the service until SIGTERM or Ctrl-C, then stops in order — the web
/// server, the pool, and the embedded cluster if this process started it.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let database = open_database(&config).await?;
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    tracing::info!("aixin is serving on http://{}", listener.local_addr()?);
    ops::metrics::handle();
    let target = ops::backup::Target::of(&config, database.cluster.as_ref()).ok();
    let state = AppState::new(database.pool.clone(), config)?;
    let figures = state.figures.clone();
    let jobs = tokio::spawn(ops::schedule::every_minute(
        database.pool.clone(),
        state.config.clone(),
        target,
    ));
    let metrics = match state.config.metrics_bind {
        Some(addr) => {
            let metrics = TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr} for metrics"))?;
            tracing::info!("metrics on http://{addr}/metrics");
            let router = ops::metrics::own_address(state.clone());
            Some(tokio::spawn(
                async move { axum::serve(metrics, router).await },
            ))
        }
        None => None,
    };
    let served = serve(listener, state, shutdown_signal()).await;
    jobs.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    tracing::info!("shutting down");
    figures.close().await;
    let closed = database.close().await;
    served.context("serving HTTP")?;
    closed
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
