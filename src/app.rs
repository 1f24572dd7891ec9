//! Assembly: every area's routes, merged here and nowhere else, and the middleware stack.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::{Router, middleware};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::web::error::{AppError, render_errors};
use crate::web::routes::Route;
use crate::web::{Access, AppState, Routes, assets, pages};

/// Every area's routes, merged here and nowhere else.
fn all_routes() -> Routes {
    Routes::new()
        .get("/", Access::PUBLIC, pages::home)
        .post("/preferences", Access::PUBLIC, pages::set_preferences)
        .get("/static/{*path}", Access::PUBLIC, assets::serve)
        .merge(crate::health::routes())
        .merge(crate::auth::routes())
        .merge(crate::regions::routes())
        .merge(crate::stations::routes())
        .merge(crate::volunteers::routes())
        .merge(crate::children::routes())
        .merge(crate::roster::routes())
        .merge(crate::recruitment::routes())
        .merge(crate::pairings::routes())
        .merge(crate::contacts::routes())
        .merge(crate::portal::routes())
        .merge(crate::imports::routes())
        .merge(crate::activities::routes())
        .merge(crate::wishes::routes())
        .merge(crate::dashboard::routes())
        .merge(crate::reports::routes())
        .merge(crate::paperwork::routes())
        .merge(crate::privacy::routes())
        .merge(crate::ops::routes())
}

/// Every route the service has, with who may call it.
pub fn policy() -> Vec<Route> {
    all_routes().policy().routes().to_vec()
}

/// The content security policy: no inline script, nothing from other origins.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The browser features no page uses, refused to every page and anything it might load.
const PERMISSIONS: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// The whole application: every area's routes and the middleware around them.
pub fn router(state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let routes = all_routes()
        // Each route's access rule, enforced on matched routes.
        .into_router()
        // Spreadsheet uploads are larger than forms.
        .layer(axum::extract::DefaultBodyLimit::max(16 * 1024 * 1024))
        .fallback(|| async { AppError::NotFound });

    // Outermost first: metrics → request id → trace → compression → headers → errors → timeout
    // → panics → CSRF → session store failures → session → current user → idempotency keys.
    let layers = ServiceBuilder::new()
        .layer(middleware::from_fn(crate::ops::metrics::track))
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
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(PERMISSIONS),
        ))
        // Served over HTTPS (behind a TLS proxy): browsers keep to HTTPS for a year.
        .option_layer(state.config.secure_cookies.then(|| {
            SetResponseHeaderLayer::overriding(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000"),
            )
        }))
        // Personal data must not linger in caches; static files set their own caching.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(middleware::from_fn(render_errors))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn(crate::auth::csrf::protect))
        .layer(middleware::from_fn(crate::auth::session::store_failures))
        .layer(crate::auth::session::layer(state.db.clone(), state.config.secure_cookies))
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::session::load_user))
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::idempotency::guard));

    routes.layer(layers).with_state(state)
}
