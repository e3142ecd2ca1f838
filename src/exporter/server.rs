//! The simulated cluster's HTTP server, on axum like the daemon's endpoint: `GET /metrics`
//! (Prometheus text format), `GET /faults` (the fault windows as JSON, the ground truth) and
//! `GET /-/healthy`, each answered from the shared [`LiveCluster`] advanced to the clock's now,
//! until the `stop` future completes. The cluster also ticks in the background every step, so
//! the first scrape after a quiet spell does not have to catch up alone.

use super::LiveCluster;
use crate::clock::Clock;
use crate::simulator::exposition::CONTENT_TYPE;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("serving the simulated cluster failed: {0}")]
    Serve(#[source] std::io::Error),
}

#[derive(Clone)]
struct Simulated {
    live: Arc<Mutex<LiveCluster>>,
    clock: Arc<dyn Clock>,
}

/// Serves `listener` until `stop` completes.
pub async fn serve(
    listener: TcpListener,
    live: Arc<Mutex<LiveCluster>>,
    clock: Arc<dyn Clock>,
    step: Duration,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let ticker = tokio::spawn(tick_forever(live.clone(), clock.clone(), step));
    let result = axum::serve(listener, router(live, clock))
        .with_graceful_shutdown(stop)
        .await
        .map_err(ServeError::Serve);
    ticker.abort();
    result
}

fn router(live: Arc<Mutex<LiveCluster>>, clock: Arc<dyn Clock>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/faults", get(faults))
        .route("/-/healthy", get(|| async { "OK\n" }))
        .with_state(Simulated { live, clock })
}

async fn metrics(State(s): State<Simulated>) -> Response {
    let now = s.clock.now();
    let mut live = lock(&s.live);
    live.advance_to(now);
    (
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        live.metrics_text(now),
    )
        .into_response()
}

async fn faults(State(s): State<Simulated>) -> Response {
    let now = s.clock.now();
    let mut live = lock(&s.live);
    live.advance_to(now);
    match serde_json::to_string_pretty(&live.faults()) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json + "\n").into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn tick_forever(live: Arc<Mutex<LiveCluster>>, clock: Arc<dyn Clock>, step: Duration) {
    let mut every = tokio::time::interval(step);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        lock(&live).advance_to(clock.now());
    }
}

fn lock(live: &Mutex<LiveCluster>) -> std::sync::MutexGuard<'_, LiveCluster> {
    // A panic elsewhere cannot leave the cluster half-ticked in a way worth refusing scrapes.
    live.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::simulator::SimulatorSettings;
    use chrono::{DateTime, TimeDelta, Utc};

    #[test]
    fn routes_answer_get_only_and_unknown_paths_are_404() {
        let start: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().unwrap();
        let settings = SimulatorSettings {
            pods: 3,
            ..SimulatorSettings::default()
        };
        let live = Arc::new(Mutex::new(LiveCluster::new(
            &settings,
            start,
            TimeDelta::seconds(5),
        )));
        let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(start));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(serve(
                listener,
                live,
                clock,
                Duration::from_secs(5),
                async {
                    let _ = stopped.await;
                },
            ));
            crate::source::install_tls_provider();
            let client = reqwest::Client::new();
            let url = |path: &str| format!("http://{addr}{path}");
            let m = client.get(url("/metrics?x=1")).send().await.unwrap();
            assert_eq!(m.status(), 200);
            assert_eq!(m.headers()["content-type"], CONTENT_TYPE);
            assert!(m
                .text()
                .await
                .unwrap()
                .contains("\ncontainer_memory_working_set_bytes{"));
            let f = client.get(url("/faults")).send().await.unwrap();
            assert_eq!(f.text().await.unwrap(), "[]\n");
            let status = |r: reqwest::Response| r.status().as_u16();
            assert_eq!(
                status(client.get(url("/-/healthy")).send().await.unwrap()),
                200
            );
            assert_eq!(status(client.get(url("/")).send().await.unwrap()), 404);
            assert_eq!(
                status(client.get(url("/metricsx")).send().await.unwrap()),
                404
            );
            assert_eq!(
                status(client.post(url("/metrics")).send().await.unwrap()),
                405
            );
            stop.send(()).unwrap();
            server.await.unwrap().unwrap();
        });
    }
}
