//! The output: what the rules found about a pod at one sample, each finding with its
//! probability, whether it pages, its evidence in words and the mixin alert it follows.

use crate::detector::anomaly_type::AnomalyType;
use crate::detector::pod_score::Evidence;

/// The detector's default alert threshold (`StatisticalSettings::alert_threshold`). Paging
/// findings have probabilities at or above it, evidence below it, so a scorer that takes the
/// largest probability pages exactly when a rule does.
pub const ALERT_THRESHOLD: f64 = 0.7;

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: AnomalyType,
    /// In [0, 1]; at or above [`ALERT_THRESHOLD`] exactly when `pages`.
    pub probability: f64,
    /// The rule's condition has lasted or recurred enough to wake someone.
    pub pages: bool,
    /// What was seen and for how long, in [`Evidence::detail`].
    pub evidence: Evidence,
    /// The kubernetes-mixin alert the rule follows ([`super::anchor`]).
    pub anchor: &'static str,
}

impl Finding {
    /// A finding that pages.
    pub(crate) fn page(
        kind: AnomalyType,
        probability: f64,
        anchor: &'static str,
        evidence: Evidence,
    ) -> Finding {
        debug_assert!((ALERT_THRESHOLD..=1.0).contains(&probability));
        Finding {
            kind,
            probability,
            pages: true,
            evidence,
            anchor,
        }
    }

    /// A finding shown as evidence, below the alert threshold.
    pub(crate) fn evidence(
        kind: AnomalyType,
        probability: f64,
        anchor: &'static str,
        evidence: Evidence,
    ) -> Finding {
        debug_assert!((0.0..ALERT_THRESHOLD).contains(&probability));
        Finding {
            kind,
            probability,
            pages: false,
            evidence,
            anchor,
        }
    }
}

/// Zero or more findings about one pod at one sample, in rule order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// Whether any finding pages.
    pub fn pages(&self) -> bool {
        self.findings.iter().any(|f| f.pages)
    }

    /// The finding with the highest probability (the first of equals).
    pub fn strongest(&self) -> Option<&Finding> {
        self.findings.iter().reduce(|best, f| {
            if f.probability > best.probability {
                f
            } else {
                best
            }
        })
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Evidence from a rule: `value` against the rule's `threshold`, `deviation` their ratio.
pub(crate) fn evidence(feature: &str, value: f64, threshold: f64, detail: String) -> Evidence {
    Evidence {
        feature: feature.to_string(),
        value,
        baseline: threshold,
        deviation: if threshold != 0.0 {
            (value / threshold * 1e4).round() / 1e4
        } else {
            value
        },
        detail: Some(detail),
    }
}
