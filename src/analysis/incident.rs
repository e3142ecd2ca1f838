//! An incident: one fault of one workload, from the first anomalous sample of its first pod
//! until every pod involved has been observed normal for a while (or is gone).

use super::recommend::Explanation;
use super::workload::Workload;
use crate::detector::{AnomalyType, Evidence, PodContext, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One pod's part in an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedPod {
    /// Its first anomalous sample in this incident.
    pub since: DateTime<Utc>,
    /// Its latest anomalous sample.
    pub last_anomalous: DateTime<Utc>,
    /// Its first observed normal sample since it was last anomalous or unknown; `None` while
    /// it is anomalous or its data is missing (a gap is not a recovery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal_since: Option<DateTime<Utc>>,
    /// Its latest observed normal sample, with `normal_since`: the pod has been seen normal
    /// from one to the other, and only that span counts toward resolving the incident.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_normal: Option<DateTime<Utc>>,
    pub node: String,
    pub peak_probability: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Stable for the incident's life: `namespace/workload/kind/opened-at`.
    pub id: String,
    pub namespace: String,
    pub workload: Workload,
    /// The fault kind: the classification most of its anomalous samples got (detectors may
    /// call the first samples of a fault something else, e.g. a readiness flap a traffic drop).
    pub kind: AnomalyType,
    /// Anomalous samples per classification.
    pub kinds_seen: BTreeMap<AnomalyType, u32>,
    pub severity: Severity,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Times it came back within the cooldown after it had resolved.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub recurrences: u32,
    pub pods: BTreeMap<String, AffectedPod>,
    /// The pod the explanation is about: the first one affected (another one when it left).
    pub primary_pod: String,
    /// What deviated on the primary pod, by how much (its detector evidence).
    pub evidence: Vec<Evidence>,
    /// That pod's usage, limits, state and latest event.
    pub context: PodContext,
    /// Latest events seen on the affected pods (`Reason: message`), newest last, bounded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_events: Vec<String>,
    /// The rule-based explanation and remediation.
    pub explanation: Explanation,
    /// The LLM's explanation, when one is configured and answered usefully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<crate::llm::Explanation>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What happened to an incident, as appended to `incidents.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transition {
    Opened,
    Updated,
    Resolved,
}

/// One line of `incidents.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentEvent {
    pub event: Transition,
    pub at: DateTime<Utc>,
    pub incident: Incident,
}
