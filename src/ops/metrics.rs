//! `GET /metrics`, in Prometheus' text format (the `metrics` crate and its Prometheus
//! exporter): requests by route pattern, method and status, with their latency; the pools;
//! database errors; the scheduled jobs and backups.
//!
//! Nobody reads it by default. `AIXIN_METRICS_BIND` serves it on an address of its own (nothing
//! else is served there); `AIXIN_METRICS_ALLOW` lets the addresses it lists read it on the
//! service's own address when they connect directly — a request through a trusted proxy is
//! refused, since its peer is the proxy. Anyone else gets 404, as for a page that is not there.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::web::AppState;
use crate::web::error::AppError;

/// Request latency buckets, in seconds: from a cached page to the slowest report.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (one per process, however many apps a test
/// process starts).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
            .expect("the latency buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder (a test's) may be installed already: this one then renders nothing
        // of the service's, which no deployment does.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts every request by the route it matched (the pattern, never the path: no ids, no
/// names), its method and status, and times it.
pub async fn track(request: Request, next: Next) -> Response {
    handle();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let in_flight = metrics::gauge!("aixin_http_requests_in_flight");
    in_flight.increment(1.0);
    let response = next.run(request).await;
    in_flight.decrement(1.0);
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("aixin_http_requests_total", &labels).increment(1);
    metrics::histogram!("aixin_http_request_duration_seconds", &labels).record(started.elapsed());
    response
}

/// `GET /metrics` on the service's own address: for the addresses `AIXIN_METRICS_ALLOW` lists.
pub async fn scrape(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Result<Response, AppError> {
    let forwarded = request.headers().contains_key("x-forwarded-for");
    if forwarded || !state.config.may_read_metrics(peer.ip()) {
        return Err(AppError::NotFound);
    }
    Ok(render(&state))
}

/// The text a scrape reads, with the pools' gauges as they are now.
pub fn render(state: &AppState) -> Response {
    for (name, pool) in [("main", &state.db), ("figures", &state.figures)] {
        let size = f64::from(pool.size());
        let idle = pool.num_idle() as f64;
        metrics::gauge!("aixin_db_pool_connections", "pool" => name, "state" => "idle").set(idle);
        metrics::gauge!("aixin_db_pool_connections", "pool" => name, "state" => "busy")
            .set(size - idle);
        metrics::gauge!("aixin_db_pool_max_connections", "pool" => name)
            .set(f64::from(pool.options().get_max_connections()));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle().render(),
    )
        .into_response()
}

/// The router of `AIXIN_METRICS_BIND`: `/metrics` to anyone who reaches that address.
pub fn own_address(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(state): State<AppState>| async move { render(&state) }),
        )
        .with_state(state)
}
