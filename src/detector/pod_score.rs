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
