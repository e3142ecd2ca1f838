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
        }
    }
}
