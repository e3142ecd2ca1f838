//! One pod's Kubernetes-state tracker: the rules' memory between samples, fixed in size.

use super::phase::PhaseTracker;
use super::readiness::ReadinessTracker;
use super::restarts::RestartTracker;
use super::sample::PodStateSample;
use super::saturation::SaturationTracker;
use super::settings::KubeStateSettings;
use super::span::{stamp, NEVER};
use super::verdict::Verdict;
use super::waiting::WaitingTracker;
use crate::metrics_row::PodPhase;

/// Keep one per pod and feed it the pod's samples in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodStateTracker {
    restarts: RestartTracker,
    waiting: WaitingTracker,
    phase: PhaseTracker,
    readiness: ReadinessTracker,
    saturation: SaturationTracker,
    latest: i64,
}

impl Default for PodStateTracker {
    fn default() -> Self {
        PodStateTracker {
            restarts: RestartTracker::default(),
            waiting: WaitingTracker::default(),
            phase: PhaseTracker::default(),
            readiness: ReadinessTracker::default(),
            saturation: SaturationTracker::default(),
            latest: NEVER,
        }
    }
}

impl PodStateTracker {
    pub fn new() -> PodStateTracker {
        PodStateTracker::default()
    }

    /// Advances the rules by one sample and says what they find at it.
    ///
    /// A sample older than one already seen is ignored (empty verdict): conditions only move
    /// forward in time. A Succeeded pod (a finished Job or CronJob run) is never an anomaly,
    /// and its state is dropped. `settings` should have passed
    /// [`KubeStateSettings::validate`]: a count above what a tracker remembers is never reached.
    pub fn observe(&mut self, sample: &PodStateSample, settings: &KubeStateSettings) -> Verdict {
        let now = stamp(sample.timestamp);
        if now < self.latest {
            return Verdict::default();
        }
        if sample.phase == Some(PodPhase::Succeeded) {
            *self = PodStateTracker {
                latest: now,
                ..PodStateTracker::default()
            };
            return Verdict::default();
        }
        self.latest = now;
        let mut findings = Vec::new();
        self.restarts.observe(sample, now, settings, &mut findings);
        self.waiting.observe(sample, now, settings, &mut findings);
        self.phase.observe(sample, now, settings, &mut findings);
        let last_restart_at = self.restarts.last_restart_at();
        self.readiness
            .observe(sample, now, last_restart_at, settings, &mut findings);
        self.saturation
            .observe(sample, now, settings, &mut findings);
        Verdict { findings }
    }
}
