//! Metric sources: where the Collector gets its rows.
//!
//! Only the simulated cluster exists so far; Prometheus and the Kubernetes API implement the same
//! trait in a later issue.

pub mod simulator_source;

pub use simulator_source::SimulatorSource;

use crate::metrics_row::PodMetricsRow;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("collecting from {source_name} failed: {message}")]
    Collect {
        source_name: &'static str,
        message: String,
    },
}

pub trait MetricsSource: Send {
    /// Short name for logs.
    fn name(&self) -> &'static str;
    /// One row per pod for the interval ending at `now`.
    fn collect(&mut self, now: DateTime<Utc>) -> Result<Vec<PodMetricsRow>, SourceError>;
}
