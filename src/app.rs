//! The application state, the router (every area's routes, merged here and nowhere else) and
//! the middleware stack.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::handler::Handler;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::routing::{MethodRouter, delete, get, patch, post};
use axum::{Router, middleware};
use sqlx::PgPool;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::crypto::Cipher;
use crate::error::{AppError, render_errors};
use crate::web::{assets, pages};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The connection pool.
    pub db: PgPool,
    /// Connections for the dashboard and reports, on the same database: their queries' best
    /// plans depend on the size of the focus (a province or a station), so these connections
    /// plan each statement with its parameters rather than reuse a generic plan; and figures
    /// never take the connections the pages people work in need.
    pub figures: PgPool,
    /// The configuration the service started with.
    pub config: Arc<Config>,
    /// Keys for ID numbers.
    pub cipher: Cipher,
}

impl AppState {
    /// The state for a pool and a configuration.
    pub fn new(db: PgPool, config: Config) -> AppState {
        let cipher = Cipher::new(&config.secret_key);
        let figures = crate::db::figures_pool(&db, config.db_max_connections);
        AppState {
            db,
            figures,
            config: Arc::new(config),
            cipher,
        }
    }
}

impl FromRef<AppState> for Cipher {
    fn from_ref(state: &AppState) -> Cipher {
        state.cipher.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> PgPool {
        state.db.clone()
    }
}

impl FromRef<AppState> for Arc<Config> {
    fn from_ref(state: &AppState) -> Arc<Config> {
        state.config.clone()
    }
}

/// A router that remembers what it routes, so the policy table and its test can be checked
/// against every route the service really has.
pub struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes::new()
    }
}

impl Routes {
    /// No routes yet.
    pub fn new() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, route);
        self.table.push((method, path));
        self
    }

    /// A `GET` route (which also answers `HEAD`).
    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::GET, path, get(handler))
    }

    /// A `POST` route.
    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, handler: H) -> Self {
        self.add(Method::POST, path, post(handler))
    }

    /// A `PATCH` route.
    pub fn patch<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        handler: H,
    ) -> Self {
        self.add(Method::PATCH, path, patch(handler))
    }

    /// A `DELETE` route.
    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        handler: H,
    ) -> Self {
        self.add(Method::DELETE, path, delete(handler))
    }

    /// Adds another area's routes.
    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }
}

/// Every area's routes, merged here and nowhere else.
fn all_routes() -> Routes {
    Routes::new()
        .get("/", pages::home)
        .post("/preferences", pages::set_preferences)
        .get("/static/{*path}", assets::serve)
        .merge(crate::health::routes())
        .merge(crate::auth::routes())
        .merge(crate::audit::routes())
        .merge(crate::regions::routes())
        .merge(crate::stations::routes())
        .merge(crate::volunteers::routes())
        .merge(crate::children::routes())
        .merge(crate::pairings::routes())
        .merge(crate::contacts::routes())
        .merge(crate::portal::routes())
        .merge(crate::imports::routes())
        .merge(crate::activities::routes())
        .merge(crate::wishes::routes())
        .merge(crate::dashboard::routes())
        .merge(crate::reports::routes())
}

/// Every route the service has: method and path pattern.
pub fn route_table() -> Vec<(Method, &'static str)> {
    all_routes().table
}

/// The content security policy: no inline script, nothing from other origins.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The whole application: every area's routes and the middleware around them.
pub fn router(state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let routes = all_routes()
        .router
        // Spreadsheet uploads are larger than forms.
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
        // On matched routes only: the policy table, which needs the route's pattern.
        .route_layer(middleware::from_fn(crate::auth::policy::enforce))
        .fallback(|| async { AppError::NotFound });

    // Outermost first: request id → trace → compression → headers → errors → timeout → panics
    // → CSRF → session → current user.
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(x_request_id.clone(), MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<_>| {
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    // The path only: query strings may carry search terms about children.
                    tracing::info_span!("request", id, method = %request.method(), path = request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(x_request_id))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        // Personal data must not linger in caches; static files set their own caching.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(middleware::from_fn(render_errors))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(crate::auth::csrf::protect))
        .layer(crate::auth::session::layer(state.db.clone(), state.config.secure_cookies))
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::session::load_user));

    routes.layer(layers).with_state(state)
}
