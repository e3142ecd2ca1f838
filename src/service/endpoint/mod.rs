//! The daemon's HTTP endpoint: `GET /healthz`, `/readyz`, `/metrics`, `/api/v1/insights` and
//! `/api/v1/incidents` (see [`routes`]).
//!
//! Built on axum: it and hyper are already compiled in through kube and reqwest, it runs on
//! the tokio runtime the actors already use (actix-web would bring a second HTTP stack and its
//! own server runtime for five read-only routes), and its handlers are plain async functions
//! over shared handles, so the endpoint never sends a message into the pipeline: a stuck agent
//! cannot make `/healthz` or `/metrics` hang.

pub mod routes;

use crate::service::health::Health;
use crate::service::live_view::LiveView;
use crate::service::telemetry::DaemonMetrics;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

/// What the handlers read.
#[derive(Clone)]
pub struct EndpointState {
    pub metrics: Arc<DaemonMetrics>,
    pub health: Health,
    pub view: LiveView,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr} for the HTTP endpoint ([server] listen): {source}")]
pub struct BindError {
    pub addr: SocketAddr,
    #[source]
    pub source: std::io::Error,
}

/// A bound endpoint, not yet serving: binding first makes a taken port a start-up error, and
/// tells the real address when the port was 0.
pub struct Endpoint {
    listener: tokio::net::TcpListener,
}

impl Endpoint {
    pub async fn bind(addr: SocketAddr) -> Result<Endpoint, BindError> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| BindError { addr, source })?;
        Ok(Endpoint { listener })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes (requests in flight finish first).
    pub async fn serve(
        self,
        state: EndpointState,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, routes::router(state))
            .with_graceful_shutdown(shutdown)
            .await
    }
}
