//! The endpoint's routes. Each handler reads a shared handle and answers at once.

use super::EndpointState;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The OpenMetrics text format that `prometheus-client` writes (Prometheus asks for it).
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The classic text format, for every other client.
const CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain; charset=utf-8";

pub fn router(state: EndpointState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/insights", get(insights))
        .route("/api/v1/incidents", get(incidents))
        .with_state(state)
}

/// Alive: the process answers HTTP. Liveness must not depend on the source or the agents, or
/// an outage elsewhere would get the daemon killed in a loop.
async fn healthz() -> Response {
    ([(header::CONTENT_TYPE, TEXT)], "ok\n").into_response()
}

/// Ready: every agent answered the last heartbeat and the source answered its last collection;
/// otherwise 503 with every reason, one per line.
async fn readyz(State(s): State<EndpointState>) -> Response {
    match s.health.readiness() {
        Ok(()) => ([(header::CONTENT_TYPE, TEXT)], "ready\n").into_response(),
        Err(reasons) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, TEXT)],
            format!("not ready:\n{}\n", reasons.join("\n")),
        )
            .into_response(),
    }
}

/// OpenMetrics when the client's `Accept` names it (Prometheus does), else the classic format.
async fn metrics(State(s): State<EndpointState>, headers: HeaderMap) -> Response {
    let openmetrics = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    if openmetrics {
        ([(header::CONTENT_TYPE, OPENMETRICS)], s.metrics.encode()).into_response()
    } else {
        (
            [(header::CONTENT_TYPE, CLASSIC)],
            s.metrics.encode_classic(),
        )
            .into_response()
    }
}

/// The latest verdict per pod, as in `pod_insights.json`.
async fn insights(State(s): State<EndpointState>) -> Response {
    ([(header::CONTENT_TYPE, JSON)], s.view.insights().to_vec()).into_response()
}

/// The open incidents, most severe first.
async fn incidents(State(s): State<EndpointState>) -> Response {
    ([(header::CONTENT_TYPE, JSON)], s.view.incidents().to_vec()).into_response()
}
