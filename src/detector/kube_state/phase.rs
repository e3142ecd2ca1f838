//! The pod's phase: Pending or Unknown for long pages (the mixin's `KubePodNotReady`); Failed is
//! evidence only; Running is the other rules' business, Succeeded nobody's.
//!
//! Failed does not page: the mixin dropped it from `KubePodNotReady` (earlier versions matched
//! `Failed|Pending|Unknown`, current ones `Pending|Unknown`). A Failed pod is terminal: its
//! controller replaces it and the replacement pages on its own if it fails too, a failed Job
//! has the Job-level `KubeJobFailed`, and evicted pods linger as Failed for hours until
//! collected, which would page long after the node pressure that evicted them.

use super::anchor;
use super::condition::Lasting;
use super::sample::PodStateSample;
use super::settings::KubeStateSettings;
use super::span::{for_how_long, millis, minutes};
use super::verdict::{evidence, Finding};
use crate::detector::anomaly_type::AnomalyType;
use crate::metrics_row::PodPhase;

const PENDING_LONG: f64 = 0.45;
const UNKNOWN_SEEN: f64 = 0.5;
const FAILED: f64 = 0.5;
const NOT_RUNNING_LASTING: f64 = 0.8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhaseTracker {
    /// Pending or Unknown (one spell, as in the mixin's `phase=~"Pending|Unknown"`), or Failed.
    spell: Lasting,
    /// The latest phase of the spell.
    phase: PodPhase,
}

impl Default for PhaseTracker {
    fn default() -> Self {
        PhaseTracker {
            spell: Lasting::default(),
            phase: PodPhase::Running,
        }
    }
}

impl PhaseTracker {
    pub fn observe(
        &mut self,
        sample: &PodStateSample,
        now: i64,
        s: &KubeStateSettings,
        out: &mut Vec<Finding>,
    ) {
        let abnormal = sample
            .phase
            .map(|p| matches!(p, PodPhase::Pending | PodPhase::Unknown | PodPhase::Failed));
        if let Some(p) = sample.phase.filter(|_| abnormal == Some(true)) {
            if (p == PodPhase::Failed) != (self.phase == PodPhase::Failed) {
                self.spell.clear();
            }
            self.phase = p;
        }
        if !self.spell.observe(now, abnormal, 0) {
            return;
        }
        let lasted = self.spell.lasted(now);
        if self.phase == PodPhase::Failed {
            let why = sample.reason.map(|r| format!(" ({r})")).unwrap_or_default();
            out.push(Finding::evidence(
                AnomalyType::NotReady,
                FAILED,
                anchor::KUBE_POD_NOT_READY,
                evidence(
                    "phase",
                    minutes(lasted),
                    0.0,
                    format!("pod Failed{why}{}", for_how_long(lasted)),
                ),
            ));
            return;
        }
        let page_after = millis(s.not_running_page_after);
        let unknown = self.phase == PodPhase::Unknown;
        let (kind, mut detail) = if unknown {
            (
                AnomalyType::NotReady,
                format!(
                    "phase Unknown (its node stopped reporting){}",
                    for_how_long(lasted)
                ),
            )
        } else {
            (
                AnomalyType::Pending,
                format!("Pending{}", for_how_long(lasted)),
            )
        };
        if sample.event_type == Some("Warning") {
            if let Some(reason) = sample.event_reason {
                detail.push_str(&format!("; latest event {reason}"));
                if let Some(message) = sample.event_message {
                    detail.push_str(&format!(": {message}"));
                }
            }
        }
        let e = evidence("phase", minutes(lasted), minutes(page_after), detail);
        let anchor = anchor::KUBE_POD_NOT_READY;
        if lasted >= page_after {
            out.push(Finding::page(kind, NOT_RUNNING_LASTING, anchor, e));
        } else if unknown {
            out.push(Finding::evidence(kind, UNKNOWN_SEEN, anchor, e));
        } else if lasted >= millis(s.startup_grace) {
            out.push(Finding::evidence(kind, PENDING_LONG, anchor, e));
        }
    }
}
