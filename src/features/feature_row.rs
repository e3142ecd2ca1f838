//! The features of one pod at one tick: what the scorers read.

use super::memory_trend::MemoryTrend;
use super::pod_key::PodKey;
use super::signal::{Signal, SIGNAL_COUNT};
use crate::metrics_row::PodPhase;
use crate::signal::{SignalReading, Tick};
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
    /// Each signal's judgement against its own past (see [`crate::signal`]): how unlikely
    /// this value is, its z-score against the signal's normal, and that normal. `None` where
    /// unmeasured or still warming up.
    pub readings: [Option<SignalReading>; SIGNAL_COUNT],
    /// The time this sample covers and how the pod's horizons stretch (its cadence).
    pub tick: Tick,
    /// The pod's typical sampling interval so far, in seconds (`None` before its second
    /// sample).
    pub sampling_step: Option<f64>,
    /// Seconds since the pod was first seen (before this sample: 0 for its first).
    pub observed_for: f64,
    pub restarts: Option<u32>,
    /// Restarts since the previous sample (None for a pod's first sample or unknown counts).
    pub restart_delta: Option<u32>,
    pub ready_containers: Option<u32>,
    pub total_containers: Option<u32>,
    /// ready / total containers.
    pub ready_ratio: Option<f64>,
    pub cpu_utilisation: Option<f64>,
    pub memory_utilisation: Option<f64>,
    /// Recent memory growth and the time it leaves until the limit.
    pub memory_trend: Option<MemoryTrend>,
    /// Whether at least one sibling replica was measured in the same tick.
    pub has_peers: bool,
    /// Whether the pod is in a state that moves its metrics by itself (it restarted, is not
    /// running or not fully ready, a container waits or terminated with a reason, or a probe
    /// just failed): its signals were then neither judged nor learned from, and the state's
    /// rules speak for it.
    pub explained_by_state: bool,
    /// Whether anything at all was observed of the pod in this row (usage, phase, readiness,
    /// a reason). A row with nothing measured leaves the pod's state unknown: a source outage
    /// is not a recovery.
    pub measured: bool,
}

impl FeatureRow {
    /// Whether the row measured anything about the pod: a usage value, its phase, readiness,
    /// restarts or a reason. Limits and events alone do not count: they say nothing of its
    /// health. A row without any is a gap (a source writes such rows while its backend is
    /// down), and its verdict is unknown (see [`crate::detector::PodStatus`]).
    pub fn observed(&self) -> bool {
        self.measured
    }

    /// The signal's z-score against its normal; NaN when there is no reading.
    pub fn z(&self, s: Signal) -> f64 {
        self.readings[s.index()].map_or(f64::NAN, |r| r.z)
    }

    /// Current value of a signal back on its natural scale (millicores, bytes, …).
    pub fn natural_value(&self, s: Signal) -> f64 {
        s.untransform(self.values[s.index()])
    }

    /// The signal's normal (its long-run level) back on its natural scale; NaN when unknown.
    pub fn natural_baseline(&self, s: Signal) -> f64 {
        self.readings[s.index()].map_or(f64::NAN, |r| s.untransform(r.level))
    }
}
