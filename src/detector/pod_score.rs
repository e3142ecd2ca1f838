//! A scorer's verdict on one pod at one tick, with the evidence behind it.

use super::anomaly_type::{AnomalyType, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One piece of evidence: a feature that deviated, its value, its normal, and how far off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub feature: String,
    pub value: f64,
    /// The pod's normal (median of its history, or the expected value of a rule).
    pub baseline: f64,
    /// Robust z-score for statistical features; for rules, how many times the limit/threshold.
    pub deviation: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What the pod looked like at that tick, for explanations and remediation: raw usage and
/// limits on their natural scales, its state and its latest event. Unknown values are absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PodContext {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_millicores: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_limit_millicores: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit_bytes: Option<f64>,
    /// Memory growth, bytes per minute, when a trend is clear.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_growth_per_minute: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restarts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_message: Option<String>,
}

impl PodContext {
    pub fn of(f: &crate::features::FeatureRow) -> PodContext {
        use crate::features::Signal;
        let measured = |s: Signal| Some(f.natural_value(s)).filter(|v| v.is_finite());
        let cpu = measured(Signal::Cpu);
        let memory = measured(Signal::Memory);
        // Utilisation is usage / limit, so the limit comes back exactly where both are known.
        let limit = |used: Option<f64>, utilisation: Option<f64>| match (used, utilisation) {
            (Some(u), Some(r)) if r > 0.0 && u > 0.0 => Some((u / r).round()),
            _ => None,
        };
        PodContext {
            cpu_millicores: cpu,
            cpu_limit_millicores: limit(cpu, f.cpu_utilisation),
            memory_bytes: memory,
            memory_limit_bytes: limit(memory, f.memory_utilisation),
            memory_growth_per_minute: f
                .memory_trend
                .as_ref()
                .map(|t| t.bytes_per_minute)
                .filter(|g| *g > 0.0),
            restarts: f.restarts,
            reason: f.reason.clone(),
            event_reason: f.event_reason.clone(),
            event_message: f.event_message.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == PodContext::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodScore {
    pub timestamp: DateTime<Utc>,
    pub namespace: String,
    pub pod: String,
    pub node: String,
    pub workload: String,
    pub anomaly_probability: f64,
    pub is_anomaly: bool,
    pub anomaly_type: Option<AnomalyType>,
    pub severity: Severity,
    pub evidence: Vec<Evidence>,
    #[serde(default, skip_serializing_if = "PodContext::is_empty")]
    pub context: PodContext,
}

impl PodScore {
    /// The verdict on the pod of `f` at its timestamp; the probability is rounded to 4 places.
    pub fn of(
        f: &crate::features::FeatureRow,
        probability: f64,
        is_anomaly: bool,
        kind: AnomalyType,
        severity: Severity,
        evidence: Vec<Evidence>,
    ) -> PodScore {
        PodScore {
            timestamp: f.timestamp,
            namespace: f.key.namespace.clone(),
            pod: f.key.pod.clone(),
            node: f.node.clone(),
            workload: f.workload.clone(),
            anomaly_probability: super::statistical::round4(probability),
            is_anomaly,
            anomaly_type: (probability > 0.0).then_some(kind),
            severity,
            evidence,
            context: if is_anomaly {
                PodContext::of(f)
            } else {
                PodContext::default()
            },
        }
    }
}
