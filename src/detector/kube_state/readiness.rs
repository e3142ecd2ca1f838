//! Readiness of a running pod: one loss is a blip (evidence), repeated losses within a few
//! minutes are flapping (an alarm, not in the mixin), a loss that lasts pages like
//! `KubePodNotReady` / `KubeDeploymentReplicasMismatch`.
//!
//! Not-ready spells that come with a restart are the restart's doing (the container is not
//! ready until its probes pass again) and are left to the restart rules: they are neither blips
//! nor flaps. A pod that has never been ready is starting, not losing readiness; it becomes
//! evidence only after the startup grace.

use super::anchor;
use super::condition::Lasting;
use super::ring::EventRing;
use super::sample::PodStateSample;
use super::settings::KubeStateSettings;
use super::span::{duration_words, for_how_long, millis, minutes, NEVER};
use super::verdict::{evidence, Finding};
use crate::detector::anomaly_type::AnomalyType;

const BLIP: f64 = 0.4;
const TWO_LOSSES: f64 = 0.55;
const FLAPPING: f64 = 0.85;
const NOT_READY_LASTING: f64 = 0.8;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ReadinessTracker {
    not_ready: Lasting,
    /// Starts of ended not-ready spells that were losses and not explained by a restart.
    losses: EventRing<()>,
    ever_ready: bool,
    /// The current spell began after the pod had been ready: a loss, not a start.
    spell_is_loss: bool,
}

impl ReadinessTracker {
    /// `last_restart_at`: the latest restart the restart rules saw, rollouts included.
    pub fn observe(
        &mut self,
        sample: &PodStateSample,
        now: i64,
        last_restart_at: i64,
        s: &KubeStateSettings,
        out: &mut Vec<Finding>,
    ) {
        let lookback = millis(s.event_lookback);
        // At a fine interval the spell may start before the restart counter rises (the
        // container exits, then waits out a back-off), so a restart anywhere from shortly before
        // the spell until now explains it.
        let explained = |since: i64| {
            last_restart_at != NEVER && last_restart_at >= since.saturating_sub(lookback)
        };
        let seen = sample.running_not_ready();
        let before = self.not_ready;
        let confirmed = self.not_ready.observe(now, seen, 0);
        if !before.holds() && self.not_ready.holds() {
            self.spell_is_loss = self.ever_ready;
        }
        let ended = before.holds() && !self.not_ready.holds();
        if ended && self.spell_is_loss && !explained(before.since()) {
            self.losses.push(before.since(), ());
        }
        if seen == Some(false) {
            self.ever_ready = true;
        }

        let window_start = now.saturating_sub(millis(s.flap_window));
        let since = self.not_ready.since();
        let ongoing_loss =
            confirmed && self.spell_is_loss && since > window_start && !explained(since);
        let losses = self.losses.after(window_start).count() + usize::from(ongoing_loss);
        if losses >= 2 {
            let detail = format!(
                "readiness lost {losses} times in the last {}",
                duration_words(s.flap_window)
            );
            let e = evidence(
                "readiness_losses",
                losses as f64,
                f64::from(s.flaps_to_page),
                detail,
            );
            let (kind, anchor) = (AnomalyType::ReadinessFlapping, anchor::NOT_IN_MIXIN);
            out.push(if losses >= usize::from(s.flaps_to_page) {
                Finding::page(kind, FLAPPING, anchor, e)
            } else {
                Finding::evidence(kind, TWO_LOSSES, anchor, e)
            });
        }

        if !confirmed {
            return;
        }
        let lasted = self.not_ready.lasted(now);
        let page_after = millis(s.not_ready_page_after);
        let ready = format!(
            "{}/{} containers ready",
            sample.ready_containers.unwrap_or(0),
            sample.total_containers.unwrap_or(0)
        );
        let starting = if self.spell_is_loss {
            ""
        } else {
            " since it started"
        };
        let detail = format!(
            "running but not ready{}{starting} ({ready})",
            for_how_long(lasted)
        );
        let e = evidence("ready", minutes(lasted), minutes(page_after), detail);
        let anchor = anchor::KUBE_DEPLOYMENT_REPLICAS_MISMATCH;
        if lasted >= page_after {
            out.push(Finding::page(
                AnomalyType::NotReady,
                NOT_READY_LASTING,
                anchor,
                e,
            ));
        } else if losses < 2
            && !explained(since)
            && (self.spell_is_loss || lasted >= millis(s.startup_grace))
        {
            out.push(Finding::evidence(AnomalyType::NotReady, BLIP, anchor, e));
        }
    }
}
