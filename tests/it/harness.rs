//! The test harness: the real application on port 0, a fresh database per test, real HTTP.
//!
//! Every test process shares one disposable PostgreSQL cluster (`var/test-pg`, or
//! `DATABASE_URL` when set). Under an advisory lock the first process builds a template database
//! (migrations + region data) keyed by the schema fingerprint; each test then gets
//! `CREATE DATABASE … TEMPLATE …`, which takes milliseconds, and drops it when done.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use aixin::AppState;
use aixin::config::Config;
use aixin::db::embedded::{Cluster, Durability};
use aixin::db::{self, quote_ident};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};
use tokio::sync::oneshot;

/// Where test databases live: the shared cluster, or a server named by `DATABASE_URL`.
struct Server {
    options: PgConnectOptions,
    template: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The folder of the shared test cluster.
pub fn test_cluster_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("var")
        .join("test-pg")
}

fn server_options() -> PgConnectOptions {
    match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => url.parse().expect("DATABASE_URL is not a PostgreSQL URL"),
        None => {
            let cluster = Cluster::ensure_running(&test_cluster_dir(), Durability::Disposable)
                .expect("starting the test PostgreSQL cluster");
            // Test processes come and go; the cluster stops itself a minute after the last.
            cluster
                .stop_when_idle(std::time::Duration::from_secs(60))
                .expect("watching the test cluster");
            // While this process runs, the cluster stays wanted, whatever its connections.
            cluster.keep_wanted(std::time::Duration::from_secs(15));
            cluster.connect_options("postgres")
        }
    }
}

/// Starts (or finds) the server and makes sure the template database exists.
async fn server() -> &'static Server {
    if let Some(server) = SERVER.get() {
        return server;
    }
    let options = tokio::task::spawn_blocking(server_options).await.unwrap();
    let template = format!("aixin_tpl_{}", db::schema_fingerprint());
    let mut admin = options
        .clone()
        .database("postgres")
        .connect()
        .await
        .expect("connecting to the test server");
    // One process builds the template; the others wait for it.
    sqlx::query("SELECT pg_advisory_lock(hashtext('aixin.test_template'))")
        .execute(&mut admin)
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    if !exists {
        build_template(&mut admin, &options, &template).await;
    }
    collect_leftovers(&mut admin).await;
    sqlx::query("SELECT pg_advisory_unlock(hashtext('aixin.test_template'))")
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let _ = SERVER.set(Server { options, template });
    SERVER.get().unwrap()
}

async fn build_template(admin: &mut PgConnection, options: &PgConnectOptions, template: &str) {
    let building = format!("{template}_building");
    exec(
        admin,
        &format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&building)
        ),
    )
    .await;
    exec(
        admin,
        &format!("CREATE DATABASE {}", quote_ident(&building)),
    )
    .await;
    let pool = PgPool::connect_with(options.clone().database(&building))
        .await
        .unwrap();
    db::prepare(&pool)
        .await
        .expect("migrating the template database");
    pool.close().await;
    // A closed connection's server process may still be on its way out: the rename waits for
    // it (a few seconds at most) rather than failing the test that happened to build.
    let rename = format!(
        "ALTER DATABASE {} RENAME TO {}",
        quote_ident(&building),
        quote_ident(template)
    );
    let started = std::time::Instant::now();
    while let Err(e) = sqlx::raw_sql(&rename).execute(&mut *admin).await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{rename}: {e}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Templates of older schemas are of no further use.
    let old: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'aixin\\_tpl\\_%' AND datname <> $1",
    )
    .bind(template)
    .fetch_all(&mut *admin)
    .await
    .unwrap();
    for name in old {
        let _ = sqlx::raw_sql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        ))
        .execute(&mut *admin)
        .await;
    }
}

/// Drops databases left behind by test processes that died before cleaning up.
async fn collect_leftovers(admin: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'aixin\\_t\\_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap();
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<i32>().ok());
        let alive = pid.is_some_and(|pid| {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
        });
        if !alive {
            let _ = sqlx::raw_sql(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&name)
            ))
            .execute(&mut *admin)
            .await;
        }
    }
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// A database of its own for one test, dropped when the guard goes.
pub struct TestDb {
    /// A pool on the test's database.
    pub pool: PgPool,
    name: String,
    options: PgConnectOptions,
}

impl TestDb {
    /// A copy of the migrated template (schema and regions, no other rows).
    pub async fn new() -> TestDb {
        Self::create(true).await
    }

    /// An empty database: no schema at all.
    pub async fn empty() -> TestDb {
        Self::create(false).await
    }

    async fn create(from_template: bool) -> TestDb {
        let server = server().await;
        let name = format!(
            "aixin_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = server
            .options
            .clone()
            .database("postgres")
            .connect()
            .await
            .unwrap();
        let sql = if from_template {
            format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(&name),
                quote_ident(&server.template)
            )
        } else {
            format!("CREATE DATABASE {}", quote_ident(&name))
        };
        exec(&mut admin, &sql).await;
        admin.close().await.unwrap();
        let options = server.options.clone().database(&name);
        let pool = db::pool_options(10)
            .connect_with(options.clone())
            .await
            .unwrap();
        TestDb {
            pool,
            name,
            options,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        let options = self.options.clone().database("postgres");
        // Drop runs inside the test's runtime; the cleanup needs a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(mut admin) = options.connect().await {
                    let _ = sqlx::raw_sql(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        quote_ident(&name)
                    ))
                    .execute(&mut admin)
                    .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// The application, served on a free port against its own database.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// A client with a cookie jar, as a browser would be.
    pub client: reqwest::Client,
    /// The test's database (for arranging rows and checking what was written).
    pub db: TestDb,
    shutdown: Option<oneshot::Sender<()>>,
}

/// A configuration for tests: a fixed key, no files written.
/// Today in China, as an ISO date (what the forms default to).
pub fn today() -> String {
    aixin::domain::today().to_string()
}

pub fn test_config(addr: SocketAddr) -> Config {
    let mut config = Config::from_lookup(|name| match name {
        "AIXIN_SECRET_KEY" => Some("ab".repeat(32)),
        "AIXIN_DATA_DIR" => Some(std::env::temp_dir().to_string_lossy().into_owned()),
        _ => None,
    })
    .unwrap();
    config.bind = addr;
    config
}

impl TestApp {
    /// A running app on a fresh database.
    pub async fn spawn() -> TestApp {
        let db = TestDb::new().await;
        Self::spawn_on(db).await
    }

    /// A running app on the given database.
    pub async fn spawn_on(db: TestDb) -> TestApp {
        Self::spawn_configured(db, |_| {}).await
    }

    /// A running app on a fresh database, with its configuration changed by `configure`.
    pub async fn spawn_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_configured(TestDb::new().await, configure).await
    }

    /// A running app on a fresh database, configured as the environment variables `vars` (and
    /// the test defaults) say.
    pub async fn spawn_with_vars(vars: &[(&str, &str)]) -> TestApp {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self::spawn_with(move |config| {
            let bind = config.bind;
            *config = Config::from_lookup(|name| match name {
                "AIXIN_SECRET_KEY" => Some("ab".repeat(32)),
                "AIXIN_DATA_DIR" => Some(std::env::temp_dir().to_string_lossy().into_owned()),
                _ => vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
            })
            .unwrap();
            config.bind = bind;
        })
        .await
    }

    async fn spawn_configured(db: TestDb, configure: impl FnOnce(&mut Config)) -> TestApp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = test_config(addr);
        configure(&mut config);
        // The app's own pool, with the settings the service gives every connection.
        let options = db::session_settings((*db.pool.connect_options()).clone(), &config);
        let pool = db::pool_options(10).connect_lazy_with(options);
        let state = AppState::new(pool, config).unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(aixin::serve(listener, state, async move {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            client: client(),
            db,
            shutdown: Some(tx),
        }
    }

    /// The pool on the test's database.
    pub fn pool(&self) -> &PgPool {
        &self.db.pool
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send_checked().await
    }

    /// `GET path`, answered with JSON: the status and the body.
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// `POST path` with a URL-encoded form, as a browser submits it from this site.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("origin", &self.base)
            .form(form)
            .send_checked()
            .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A client that keeps cookies and does not follow redirects on its own, so tests see them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Asserts a §5 error body: `{"error": {"code": code, "message": …}}`.
pub fn assert_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "error body: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "an error carries a message: {body}"
    );
}

/// The password every test account gets.
pub const PASSWORD: &str = "test-password-2026";

/// An account made for a test.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Account id.
    pub id: uuid::Uuid,
    /// Login name.
    pub username: String,
}

/// One person's browser: its own cookie jar, talking to the app. A clone shares the jar (a
/// second tab).
#[derive(Clone)]
pub struct Browser {
    base: String,
    /// The underlying client.
    pub http: reqwest::Client,
}

impl Browser {
    /// A browser using this client.
    pub fn with_client(base: &str, http: reqwest::Client) -> Browser {
        Browser {
            base: base.to_owned(),
            http,
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send_checked().await
    }

    /// `GET path` → status and JSON body.
    pub async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        json_of(self.get(path).await).await
    }

    /// `POST path` with a JSON body → status and JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_of(
            self.http
                .post(self.url(path))
                .json(body)
                .send_checked()
                .await,
        )
        .await
    }

    /// `PATCH path` with a JSON body → status and JSON body.
    pub async fn patch_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_of(
            self.http
                .patch(self.url(path))
                .json(body)
                .send_checked()
                .await,
        )
        .await
    }

    /// `PUT path` with a JSON body → status and JSON body.
    pub async fn put_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        json_of(
            self.http
                .put(self.url(path))
                .json(body)
                .send_checked()
                .await,
        )
        .await
    }

    /// `DELETE path` → status and JSON body (if any).
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        json_of(self.http.delete(self.url(path)).send_checked().await).await
    }

    /// `POST path` with a form, as the site's own pages submit it.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("origin", &self.base)
            .form(form)
            .send_checked()
            .await
    }

    /// Logs in through the API; panics unless it succeeds.
    pub async fn log_in(&self, username: &str, password: &str) {
        let (status, body) = self
            .post_json(
                "/api/v1/session",
                &serde_json::json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login of {username} failed: {body}");
    }
}

/// Sending a request, panicking with what was sent and the whole chain of causes when it fails
/// (a refused or dropped connection says more than "error sending request").
pub trait SendChecked {
    fn send_checked(self) -> impl Future<Output = reqwest::Response>;
}

impl SendChecked for reqwest::RequestBuilder {
    async fn send_checked(self) -> reqwest::Response {
        let (client, request) = self.build_split();
        let request = request.expect("a well-formed request");
        let what = format!("{} {}", request.method(), request.url());
        match client.execute(request).await {
            Ok(response) => response,
            Err(e) => {
                let mut causes = String::new();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    causes.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                panic!("{what} failed: {e}{causes}")
            }
        }
    }
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

fn password_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| aixin::auth::password::hash(PASSWORD).unwrap())
}

impl TestApp {
    /// A new browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        Browser {
            base: self.base.clone(),
            http: client(),
        }
    }

    /// Creates an account straight in the database: an admin or staff member of `region`.
    pub async fn regional_user(&self, role: &str, region: &str) -> TestUser {
        self.insert_user(role, Some(region), None).await
    }

    /// Creates a station manager of these stations.
    pub async fn station_manager(&self, stations: &[uuid::Uuid]) -> TestUser {
        let user = self.insert_user("station_manager", None, None).await;
        for station in stations {
            sqlx::query("INSERT INTO user_station (user_id, station_id) VALUES ($1, $2)")
                .bind(user.id)
                .bind(station)
                .execute(self.pool())
                .await
                .unwrap();
        }
        user
    }

    /// Creates a volunteer's account.
    pub async fn volunteer_user(&self, volunteer: uuid::Uuid) -> TestUser {
        self.insert_user("volunteer", None, Some(volunteer)).await
    }

    async fn insert_user(
        &self,
        role: &str,
        region: Option<&str>,
        volunteer: Option<uuid::Uuid>,
    ) -> TestUser {
        let username = format!(
            "{}{}",
            role.replace('_', ""),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let id = sqlx::query_scalar(
            "INSERT INTO app_user (username, display_name, password_hash, role, region_code, volunteer_id)
             VALUES ($1, $1, $2, $3::user_role, $4, $5) RETURNING id",
        )
        .bind(&username)
        .bind(password_hash())
        .bind(role)
        .bind(region)
        .bind(volunteer)
        .fetch_one(self.pool())
        .await
        .unwrap();
        TestUser { id, username }
    }

    /// A browser logged in as a new admin or staff member of `region`.
    pub async fn logged_in(&self, role: &str, region: &str) -> (Browser, TestUser) {
        let user = self.regional_user(role, region).await;
        let browser = self.browser();
        browser.log_in(&user.username, PASSWORD).await;
        (browser, user)
    }
}
