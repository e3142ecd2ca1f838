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

/// Whether a verdict rests on a measurement. A source that cannot reach its backend writes the
/// pods it knows with every field empty: such a row is a gap in the data, and its verdict is
/// neither anomalous nor normal but unknown, so nothing downstream takes it for a recovery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodStatus {
    /// The row measured something: the verdict stands.
    #[default]
    Observed,
    /// Nothing was measured: probability 0, no type, not anomalous, and no claim of health.
    Unknown,
}

impl PodStatus {
    pub fn is_observed(&self) -> bool {
        *self == PodStatus::Observed
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodScore {
    pub timestamp: DateTime<Utc>,
    pub namespace: String,
    pub pod: String,
    pub node: String,
    pub workload: String,
    /// Kept at full precision (the benchmark adapter ranks by it); written with 4 decimals.
    #[serde(serialize_with = "four_decimals")]
    pub anomaly_probability: f64,
    pub is_anomaly: bool,
    pub anomaly_type: Option<AnomalyType>,
    pub severity: Severity,
    pub evidence: Vec<Evidence>,
    #[serde(default, skip_serializing_if = "PodContext::is_empty")]
    pub context: PodContext,
    /// Written only when unknown (`"status": "unknown"`); older documents parse as observed.
    #[serde(default, skip_serializing_if = "PodStatus::is_observed")]
    pub status: PodStatus,
}

impl PodScore {
    /// An observed verdict with no evidence, for tests of what consumes verdicts: anomalous at
    /// the default threshold (0.7).
    #[cfg(test)]
    pub(crate) fn observed(
        at: chrono::DateTime<chrono::Utc>,
        namespace: &str,
        pod: &str,
        workload: &str,
        probability: f64,
    ) -> PodScore {
        PodScore {
            timestamp: at,
            namespace: namespace.into(),
            pod: pod.into(),
            node: "n1".into(),
            workload: workload.into(),
            anomaly_probability: probability,
            is_anomaly: probability >= 0.7,
            anomaly_type: None,
            severity: Severity::Info,
            evidence: vec![],
            context: Default::default(),
            status: Default::default(),
        }
    }

    /// The verdict on the pod of `f` at its timestamp.
    /// A row that measured nothing gets [`PodScore::unknown`] whatever the scorer made of it.
    pub fn of(
        f: &crate::features::FeatureRow,
        probability: f64,
        is_anomaly: bool,
        kind: AnomalyType,
        severity: Severity,
        evidence: Vec<Evidence>,
    ) -> PodScore {
        if !f.observed() {
            return PodScore::unknown(f);
        }
        PodScore {
            timestamp: f.timestamp,
            namespace: f.key.namespace.clone(),
            pod: f.key.pod.clone(),
            node: f.node.clone(),
            workload: f.workload.clone(),
            anomaly_probability: probability,
            is_anomaly,
            anomaly_type: (probability > 0.0).then_some(kind),
            severity,
            evidence,
            context: if is_anomaly {
                PodContext::of(f)
            } else {
                PodContext::default()
            },
            status: PodStatus::Observed,
        }
    }

    /// The verdict on a pod whose row measured nothing (see [`FeatureRow::observed`]).
    ///
    /// [`FeatureRow::observed`]: crate::features::FeatureRow::observed
    pub fn unknown(f: &crate::features::FeatureRow) -> PodScore {
        PodScore {
            timestamp: f.timestamp,
            namespace: f.key.namespace.clone(),
            pod: f.key.pod.clone(),
            node: f.node.clone(),
            workload: f.workload.clone(),
            anomaly_probability: 0.0,
            is_anomaly: false,
            anomaly_type: None,
            severity: Severity::Info,
            evidence: Vec::new(),
            context: PodContext::default(),
            status: PodStatus::Unknown,
        }
    }

    pub fn is_unknown(&self) -> bool {
        self.status == PodStatus::Unknown
    }
}

/// A probability as people read it: 4 decimals.
fn four_decimals<S: serde::Serializer>(p: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(super::statistical::round4(*p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::AnomalyType;
    use crate::features::FeatureBuilder;
    use crate::metrics_row::{PodMetricsRow, PodPhase};

    fn features(row: PodMetricsRow) -> crate::features::FeatureRow {
        let mut fb = FeatureBuilder::new(
            crate::signal::SignalSettings::default(),
            std::time::Duration::from_secs(60),
        );
        fb.tick(&[row]).unwrap().remove(0)
    }

    #[test]
    fn a_row_that_measured_nothing_gets_an_unknown_verdict_whatever_the_scorer_says() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut empty = PodMetricsRow::empty(at, "shop", "cart-7d9f8b6c4-x2k9p");
        empty.node = "n1".into();
        // A source in an outage: identity only; a limit or an event alone is no observation.
        empty.memory_limit_bytes = Some(512e6);
        empty.event_reason = Some("BackOff".into());
        let f = features(empty.clone());
        assert!(!f.observed());
        let evidence = vec![Evidence {
            feature: "restarts".into(),
            value: 3.0,
            baseline: 0.0,
            deviation: 1.0,
            detail: None,
        }];
        let s = PodScore::of(
            &f,
            0.97,
            true,
            AnomalyType::CrashLoop,
            Severity::Critical,
            evidence.clone(),
        );
        assert!(s.is_unknown());
        assert_eq!(
            (
                s.anomaly_probability,
                s.is_anomaly,
                s.anomaly_type,
                s.severity
            ),
            (0.0, false, None, Severity::Info)
        );
        assert!(s.evidence.is_empty() && s.context.is_empty());
        assert_eq!(
            (s.pod.as_str(), s.node.as_str()),
            ("cart-7d9f8b6c4-x2k9p", "n1")
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["status"], "unknown");

        // One measured field is an observation: the verdict stands, and is written as before.
        let mut phase_only = empty;
        phase_only.phase = Some(PodPhase::Running);
        let s = PodScore::of(
            &features(phase_only),
            0.97,
            true,
            AnomalyType::CrashLoop,
            Severity::Critical,
            evidence,
        );
        assert_eq!((s.status, s.is_anomaly), (PodStatus::Observed, true));
        let mut json = serde_json::to_value(&s).unwrap();
        assert!(json.get("status").is_none(), "{json}");
        // Documents written before the status existed parse as observed.
        json.as_object_mut().unwrap().remove("status");
        let back: PodScore = serde_json::from_value(json).unwrap();
        assert_eq!(back, s);
    }
}
