//! The input: what Kubernetes reported about one pod at one timestamp.

use crate::features::FeatureRow;
use crate::metrics_row::{PodMetricsRow, PodPhase};
use chrono::{DateTime, Utc};

/// One pod's reported state at one timestamp. Every field may be unknown (`None`); the text
/// fields borrow from the row they came from, so building a sample allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PodStateSample<'a> {
    pub timestamp: DateTime<Utc>,
    pub phase: Option<PodPhase>,
    /// A container's waiting or termination reason (`CrashLoopBackOff`, `OOMKilled`, ...).
    /// `None` means "no reason" when the pod's status is known ([`Self::status_known`]), and
    /// "unknown" when it is not.
    pub reason: Option<&'a str>,
    /// Cumulative container restarts of the pod.
    pub restarts: Option<u32>,
    pub ready_containers: Option<u32>,
    pub total_containers: Option<u32>,
    /// CPU usage / CPU limit.
    pub cpu_utilisation: Option<f64>,
    /// Memory working set / memory limit.
    pub memory_utilisation: Option<f64>,
    /// The latest event about the pod in this interval (`Pulled`, `Killing`, `Unhealthy`, ...).
    /// Events are occurrences, not state: no event is never a recovery of anything.
    pub event_reason: Option<&'a str>,
    pub event_type: Option<&'a str>,
    pub event_message: Option<&'a str>,
}

impl<'a> PodStateSample<'a> {
    /// A sample at `timestamp` with every field unknown.
    pub fn unknown(timestamp: DateTime<Utc>) -> PodStateSample<'a> {
        PodStateSample {
            timestamp,
            phase: None,
            reason: None,
            restarts: None,
            ready_containers: None,
            total_containers: None,
            cpu_utilisation: None,
            memory_utilisation: None,
            event_reason: None,
            event_type: None,
            event_message: None,
        }
    }

    /// The state in a canonical row; utilisation is usage / limit where both are known.
    pub fn from_row(row: &'a PodMetricsRow) -> PodStateSample<'a> {
        let utilisation = |used: Option<f64>, limit: Option<f64>| match (used, limit) {
            (Some(u), Some(l)) if l > 0.0 => Some(u / l),
            _ => None,
        };
        PodStateSample {
            timestamp: row.timestamp,
            phase: row.phase,
            reason: row.reason.as_deref(),
            restarts: row.restarts,
            ready_containers: row.ready_containers,
            total_containers: row.total_containers,
            cpu_utilisation: utilisation(row.cpu_millicores, row.cpu_limit_millicores),
            memory_utilisation: utilisation(row.memory_bytes, row.memory_limit_bytes),
            event_reason: row.event_reason.as_deref(),
            event_type: row.event_type.as_deref(),
            event_message: row.event_message.as_deref(),
        }
    }

    /// The state in a scorer's feature row (the same fields, utilisation already computed).
    pub fn from_features(f: &'a FeatureRow) -> PodStateSample<'a> {
        PodStateSample {
            timestamp: f.timestamp,
            phase: f.phase,
            reason: f.reason.as_deref(),
            restarts: f.restarts,
            ready_containers: f.ready_containers,
            total_containers: f.total_containers,
            cpu_utilisation: f.cpu_utilisation,
            memory_utilisation: f.memory_utilisation,
            event_reason: f.event_reason.as_deref(),
            event_type: f.event_type.as_deref(),
            event_message: f.event_message.as_deref(),
        }
    }

    /// Whether the pod's status was read at all. The reason comes from the same status as the
    /// phase, the restart count and readiness; when none of them is known (an API outage writes
    /// rows with every field empty), a missing reason is unknown rather than "no reason".
    pub fn status_known(&self) -> bool {
        self.phase.is_some() || self.restarts.is_some() || self.ready_containers.is_some()
    }

    /// The reason when the status is known: `Some(None)` is a known "no reason".
    pub(crate) fn known_reason(&self) -> Option<Option<&'a str>> {
        self.status_known().then_some(self.reason)
    }

    /// Whether the pod is running with fewer ready containers than it has, when that is known.
    pub(crate) fn running_not_ready(&self) -> Option<bool> {
        match (
            self.phase,
            self.ready_containers,
            self.total_containers.filter(|t| *t > 0),
        ) {
            (Some(PodPhase::Running), Some(ready), Some(total)) => Some(ready < total),
            _ => None,
        }
    }
}
