//! Metric sources: where the Collector gets its rows.
//!
//! A source answers one question per interval: one row per pod for the interval ending at `now`.
//! The simulator answers at once; Prometheus and the Kubernetes API answer over the network, so
//! `collect` returns a future that the Collector runs on its arbiter without blocking it.

mod build;
pub mod kubernetes;
pub mod merged;
mod namespaces;
pub mod prometheus;
pub mod simulator_source;

pub use build::build;
pub use kubernetes::KubernetesSource;
pub use merged::MergedSource;
pub use prometheus::PrometheusSource;
pub use simulator_source::SimulatorSource;

use crate::metrics_row::PodMetricsRow;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("collecting from {source_name} failed: {message}")]
    Collect {
        source_name: &'static str,
        message: String,
    },
}

/// What one collection yields: the rows, or why there are none.
pub type Collection<'a> = BoxFuture<'a, Result<Vec<PodMetricsRow>, SourceError>>;

pub trait MetricsSource: Send {
    /// Short name for logs.
    fn name(&self) -> &'static str;
    /// One row per pod for the interval ending at `now`. A field the source could not measure
    /// this interval (series missing, backend down) is `None`, never a guess.
    fn collect(&mut self, now: DateTime<Utc>) -> Collection<'_>;
    /// What keeps the last collection from measuring, when the source still answered with
    /// rows (the known pods, their fields empty, through a backend's outage): readiness must
    /// not take such rows for a working source.
    fn problem(&self) -> Option<String> {
        None
    }
}

/// Installs ring as rustls' process-wide crypto provider (reqwest and kube both need one and
/// are built without a default). Idempotent.
pub fn install_tls_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
