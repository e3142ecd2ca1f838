//! The features of one pod at one tick: what the scorers read.

use super::pod_key::PodKey;
use super::signal::{Signal, SIGNAL_COUNT};
use crate::metrics_row::PodPhase;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone)]
pub struct FeatureRow {
    pub key: PodKey,
    pub workload: String,
    pub node: String,
    pub timestamp: DateTime<Utc>,
    pub phase: Option<PodPhase>,
    pub reason: Option<String>,
    pub event_reason: Option<String>,
    pub event_type: Option<String>,
    pub event_message: Option<String>,
    /// Current signal values (transformed scale, see [`Signal::transform`]); NaN = unmeasured.
    pub values: [f64; SIGNAL_COUNT],
    /// The pod's baseline before this tick: median, robust scale, mean, std (transformed scale).
    pub baseline_median: [f64; SIGNAL_COUNT],
    pub baseline_scale: [f64; SIGNAL_COUNT],
    pub baseline_mean: [f64; SIGNAL_COUNT],
    pub baseline_std: [f64; SIGNAL_COUNT],
    /// Measured samples behind each baseline.
    pub baseline_count: [u32; SIGNAL_COUNT],
    /// Robust z-scores of `values` against the baseline; NaN when either is missing.
    pub z: [f64; SIGNAL_COUNT],
    /// Samples of this pod seen before this one (its age in samples).
    pub age_samples: u64,
    pub restarts: Option<u32>,
    /// Restarts since the previous sample (None for a pod's first sample or unknown counts).
    pub restart_delta: Option<u32>,
    pub ready_containers: Option<u32>,
    pub total_containers: Option<u32>,
    /// ready / total containers.
    pub ready_ratio: Option<f64>,
    /// Ready ↔ not-ready transitions over the recent readiness trail, including this sample.
    pub ready_flips: u32,
    /// Samples not fully ready over the recent readiness trail, including this sample.
    pub not_ready_recent: u32,
    pub cpu_utilisation: Option<f64>,
    pub memory_utilisation: Option<f64>,
    /// Recent memory growth and the time it leaves until the limit.
    pub memory_trend: Option<super::trend::MemoryTrend>,
    /// Whether at least one sibling replica was measured in the same tick.
    pub has_peers: bool,
}

impl FeatureRow {
    /// Whether the row measured anything about the pod: a usage value, its phase, readiness,
    /// restarts or a reason. Limits and events alone do not count: they say nothing of its
    /// health. A row without any is a gap (a source writes such rows while its backend is
    /// down), and its verdict is unknown (see [`crate::detector::PodStatus`]).
    pub fn observed(&self) -> bool {
        // Peer signals derive from the pod's own values, so any finite value is its own.
        self.values.iter().any(|v| v.is_finite())
            || self.phase.is_some()
            || self.reason.is_some()
            || self.restarts.is_some()
            || self.ready_containers.is_some()
            || self.total_containers.is_some()
    }

    pub fn z(&self, s: Signal) -> f64 {
        self.z[s.index()]
    }

    /// Current value of a signal back on its natural scale (millicores, bytes, …).
    pub fn natural_value(&self, s: Signal) -> f64 {
        s.untransform(self.values[s.index()])
    }

    /// Baseline median back on its natural scale.
    pub fn natural_baseline(&self, s: Signal) -> f64 {
        s.untransform(self.baseline_median[s.index()])
    }
}
