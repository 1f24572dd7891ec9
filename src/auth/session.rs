//! Sessions, kept in PostgreSQL (so every instance shares them) by tower-sessions.
//!
//! The session holds only who is logged in, the user's session epoch at login, and when the
//! login happened and the session was last used. Every request reloads the account: a disabled
//! account, a changed password (a new epoch), 8 hours without use or 7 days since login end the
//! session on the server.
//!
//! The store is the database: when a connection to it dies under a session read or write (a
//! restart of PostgreSQL), the operation is tried once more on a fresh connection — each of
//! them is safe to repeat (a read; a write of the same row, or its removal) — and if the
//! database is still away the request answers 503 with `Retry-After`, never 500.
//!
//! The cookie ends with the browser unless the login asked to be remembered (the login form's
//! box, `"remember": true` in `POST /api/v1/session`); a remembered session's cookie lasts
//! [`IDLE_TIMEOUT`] from each renewal, as long as the server keeps the session.

use std::cell::Cell;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use super::{CurrentUser, password, store, throttle};
use crate::audit::{self, Action};
use crate::web::error::AppError;

/// Name of the session cookie.
pub const COOKIE: &str = "aixin_session";
/// A session unused for this long is over.
pub const IDLE_TIMEOUT: Duration = Duration::hours(8);
/// A session this old is over, however busy.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::days(7);
/// How often the idle clock is written back (saves a write on every request).
const TOUCH_EVERY: Duration = Duration::minutes(5);
const KEY: &str = "auth";

/// What a session remembers.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionUser {
    id: uuid::Uuid,
    epoch: i32,
    login_at: i64,
    seen_at: i64,
    /// Whether the cookie outlives the browser (sessions saved before this was asked are not).
    #[serde(default)]
    remember: bool,
}

/// The session layer: HttpOnly, SameSite=Lax, `Secure` when the service is served over HTTPS;
/// a cookie that ends with the browser unless the session is remembered ([`load_user`] says).
pub fn layer(db: PgPool, secure: bool) -> SessionManagerLayer<Store> {
    SessionManagerLayer::new(Store(PostgresStore::new(db)))
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_expiry(Expiry::OnSessionEnd)
}

/// A session record's life on the server is capped at [`IDLE_TIMEOUT`] from its last save,
/// whatever the cookie's (a cookie that ends with the browser gives the store no date of its own).
fn capped(expiry: OffsetDateTime) -> OffsetDateTime {
    expiry.min(OffsetDateTime::now_utc() + IDLE_TIMEOUT)
}

/// The lifetime of the cookie the session layer is about to send (it sends one whenever the
/// session changed): [`IDLE_TIMEOUT`] for a remembered login, the browser's session otherwise.
async fn cookie_lifetime(session: &Session) -> Result<(), AppError> {
    if !session.is_modified() {
        return Ok(());
    }
    let remember = session
        .get::<SessionUser>(KEY)
        .await
        .map_err(session_error)?
        .is_some_and(|s| s.remember);
    session.set_expiry(Some(if remember {
        Expiry::OnInactivity(IDLE_TIMEOUT)
    } else {
        Expiry::OnSessionEnd
    }));
    Ok(())
}

/// The sessions in PostgreSQL, each operation tried once more when it fails (see the module).
#[derive(Debug, Clone)]
pub struct Store(PostgresStore);

type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = session_store::Result<T>> + Send + 'a>>;

tokio::task_local! {
    /// Set when the session store failed during the request, so that the session layer's own
    /// answer to it (a bare 500) becomes a 503.
    static STORE_FAILED: Cell<bool>;
}

impl Store {
    /// The answer of an operation that was tried once (`first`): a failure of the database is
    /// tried once more with `repeat`, and when that fails too the request is marked for a 503.
    async fn or_again<T, Fut>(
        what: &str,
        first: session_store::Result<T>,
        repeat: impl FnOnce() -> Fut,
    ) -> session_store::Result<T>
    where
        Fut: Future<Output = session_store::Result<T>>,
    {
        let failed = match first {
            Err(session_store::Error::Backend(e)) => e,
            done => return done,
        };
        tracing::warn!(error = %failed, "session {what} failed: trying once more");
        let again = repeat().await;
        if again.is_err() {
            let _ = STORE_FAILED.try_with(|f| f.set(true));
        }
        again
    }
}

impl SessionStore for Store {
    fn create<'a, 'b, 'f>(&'a self, record: &'b mut Record) -> StoreFuture<'f, ()>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            record.expiry_date = capped(record.expiry_date);
            // `create` picks a new id when the one it was given is taken. When the database fails
            // under it, the insert may still have committed: the repeat writes the same id again
            // (an upsert of the same row), so a lost answer leaves no second session behind.
            let first = self.0.create(record).await;
            Self::or_again("create", first, || self.0.save(record)).await
        })
    }

    fn save<'a, 'b, 'f>(&'a self, record: &'b Record) -> StoreFuture<'f, ()>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let mut record = record.clone();
            record.expiry_date = capped(record.expiry_date);
            let first = self.0.save(&record).await;
            Self::or_again("save", first, || self.0.save(&record)).await
        })
    }

    fn load<'a, 'b, 'f>(&'a self, id: &'b Id) -> StoreFuture<'f, Option<Record>>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let first = self.0.load(id).await;
            Self::or_again("load", first, || self.0.load(id)).await
        })
    }

    fn delete<'a, 'b, 'f>(&'a self, id: &'b Id) -> StoreFuture<'f, ()>
    where
        'a: 'f,
        'b: 'f,
        Self: 'f,
    {
        Box::pin(async move {
            let first = self.0.delete(id).await;
            Self::or_again("delete", first, || self.0.delete(id)).await
        })
    }
}

/// Middleware around the session layer: when the session store failed (twice) while the layer
/// saved the session, the layer answers a bare 500; the database is away, so it is a 503.
pub async fn store_failures(request: Request, next: Next) -> Response {
    let (failed, response) = STORE_FAILED
        .scope(Cell::new(false), async move {
            let response = next.run(request).await;
            (STORE_FAILED.with(Cell::get), response)
        })
        .await;
    if failed && response.status().is_server_error() {
        return AppError::Unavailable.into_response();
    }
    response
}

/// Middleware: puts the logged-in [`CurrentUser`] in the request's extensions, or ends a
/// session that is no longer valid; on the way out, sets the lifetime of a renewed cookie.
pub async fn load_user(
    State(db): State<PgPool>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/static/") {
        return next.run(request).await;
    }
    let mut viewer = None;
    match current_user(&db, &session).await {
        Ok(Some(user)) => {
            viewer = Some(user.viewer());
            request.extensions_mut().insert(user.viewer());
            request.extensions_mut().insert(user);
        }
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    let mut response = next.run(request).await;
    // An error page, written further out, keeps the reader's menu.
    if let Some(viewer) = viewer
        && (response.status().is_client_error() || response.status().is_server_error())
    {
        response.extensions_mut().insert(viewer);
    }
    if let Err(e) = cookie_lifetime(&session).await {
        return e.into_response();
    }
    response
}

async fn current_user(db: &PgPool, session: &Session) -> Result<Option<CurrentUser>, AppError> {
    let Some(mut saved) = session
        .get::<SessionUser>(KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let user = crate::db::retry_read(|| store::load_current(db, saved.id)).await?;
    let valid = user
        .as_ref()
        .is_some_and(|(_, active, epoch)| *active && *epoch == saved.epoch)
        && now - saved.login_at < ABSOLUTE_TIMEOUT.whole_seconds()
        && now - saved.seen_at < IDLE_TIMEOUT.whole_seconds();
    if !valid {
        session.flush().await.map_err(session_error)?;
        return Ok(None);
    }
    if now - saved.seen_at >= TOUCH_EVERY.whole_seconds() {
        saved.seen_at = now;
        session.insert(KEY, &saved).await.map_err(session_error)?;
    }
    Ok(user.map(|(user, _, _)| user))
}

/// A failure of the session store (the database) is a 503; anything else is a bug.
fn session_error(e: tower_sessions::session::Error) -> AppError {
    match e {
        tower_sessions::session::Error::Store(session_store::Error::Backend(e)) => {
            tracing::warn!(error = %e, "session store unavailable");
            AppError::Unavailable
        }
        e => AppError::Internal(anyhow::anyhow!("session store: {e}")),
    }
}

/// Checks a username (or a volunteer's mobile number) and password, within the throttling
/// limits, and on success starts a fresh session (a new id: no session fixation). Every
/// attempt is audited; a failure says nothing about whether the account exists. `remember`
/// keeps the cookie when the browser closes.
pub async fn log_in(
    db: &PgPool,
    session: &Session,
    (login, password): (&str, &str),
    remember: bool,
    ip: Option<IpAddr>,
) -> Result<CurrentUser, AppError> {
    // A name holding a control character is no one's (and PostgreSQL cannot store a NUL).
    if crate::domain::text::forbidden_char(login, crate::domain::text::Lines::One).is_some() {
        return Err(AppError::InvalidCredentials);
    }
    let key = login.trim().to_lowercase();
    let account = crate::db::retry_read(|| store::find_for_login(db, login.trim())).await?;
    // A failed login names the account tried, when there is one, so that it is filed under
    // that account's region and its admins see it; never what was typed.
    let tried = account.as_ref().map(|a| a.id);
    let attempt = match throttle::admit(db, &key, ip).await {
        Err(refused @ AppError::TooManyRequests { .. }) => {
            let detail = serde_json::json!({ "throttled": true });
            audit::record(db, failed_login(tried, ip, detail)).await?;
            return Err(refused);
        }
        admitted => admitted?,
    };
    let verified = match &account {
        Some(a) => password::verify_bounded(password, &a.password_hash).await?,
        None => {
            password::verify_dummy_bounded(password).await?;
            false
        }
    };
    let account = account.filter(|a| verified && a.active);
    let Some(account) = account else {
        audit::record(db, failed_login(tried, ip, serde_json::json!({}))).await?;
        return Err(AppError::InvalidCredentials);
    };
    throttle::succeeded(db, attempt).await?;

    session.cycle_id().await.map_err(session_error)?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    session
        .insert(
            KEY,
            SessionUser {
                id: account.id,
                epoch: account.session_epoch,
                login_at: now,
                seen_at: now,
                remember,
            },
        )
        .await
        .map_err(session_error)?;
    store::touch_login(db, account.id).await?;
    let (user, _, _) = store::load_current(db, account.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    audit::record(
        db,
        audit::Entry::by(&user, Action::Login, "session", Some(user.id), ip),
    )
    .await?;
    Ok(user)
}

/// The audit entry of a failed login: no actor, nothing typed (it may be a mistyped password);
/// the account tried, if one exists, as its record.
fn failed_login(
    account: Option<uuid::Uuid>,
    ip: Option<IpAddr>,
    detail: serde_json::Value,
) -> audit::Entry {
    audit::Entry {
        actor_id: None,
        region_code: None,
        action: Action::LoginFailed,
        entity: "session",
        entity_id: account,
        ip,
        detail,
    }
}

/// Ends the session on the server and audits the logout.
pub async fn log_out(
    db: &PgPool,
    session: &Session,
    user: Option<&CurrentUser>,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    session.flush().await.map_err(session_error)?;
    if let Some(user) = user {
        audit::record(
            db,
            audit::Entry::by(user, Action::Logout, "session", Some(user.id), ip),
        )
        .await?;
    }
    Ok(())
}

/// After the user changed their own password (which bumped their epoch and so ended every
/// other session), keeps this one valid under the new epoch.
pub async fn adopt_epoch(session: &Session, epoch: i32) -> Result<(), AppError> {
    if let Some(mut saved) = session
        .get::<SessionUser>(KEY)
        .await
        .map_err(session_error)?
    {
        saved.epoch = epoch;
        session.cycle_id().await.map_err(session_error)?;
        session.insert(KEY, saved).await.map_err(session_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{StatusCode, header};
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_session_layer_failing_to_save_answers_503_not_500() {
        let app = axum::Router::new()
            .route(
                "/",
                axum::routing::get(|| async {
                    // What the store does when its second try fails while the layer saves.
                    STORE_FAILED.with(|f| f.set(true));
                    StatusCode::INTERNAL_SERVER_ERROR
                }),
            )
            .layer(axum::middleware::from_fn(store_failures));
        let response = app
            .oneshot(
                Request::builder()
                    .uri("/")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }
}
