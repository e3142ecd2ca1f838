//! Restarts, counted from the cumulative restart counter, each with its cause: one is evidence,
//! several within the window a crash loop; OOM kills are counted apart.
//!
//! Causes are read from what precedes or accompanies the counter's rise: the termination reason
//! (`OOMKilled`, `Error`, `Completed`), which may show samples before the restart when the
//! kubelet backs off, a liveness-probe event, the node's `OOMKilling` event. A restart with an
//! image `Pulled` on a running pod is a rollout and expected, but only the first in a quiet
//! window: rollouts do not come in bursts, while a crash-looping container with
//! `imagePullPolicy: Always` pulls on every restart.

use super::anchor;
use super::reason::{is_oom_event, is_probe_kill_event, is_pulled_event, Reason};
use super::ring::{EventRing, RING_CAPACITY};
use super::sample::PodStateSample;
use super::settings::KubeStateSettings;
use super::span::{ago, duration_words, millis, within, NEVER};
use super::verdict::{evidence, Finding};
use crate::detector::anomaly_type::AnomalyType;
use crate::metrics_row::PodPhase;

/// One restart: evidence.
const ONE_RESTART: f64 = 0.5;
/// Two restarts within the window: stronger evidence.
const TWO_RESTARTS: f64 = 0.6;
/// The paging number of restarts: a crash loop.
const CRASH_LOOP: f64 = 0.9;
/// As many restarts, but none for a back-off cap: the loop has stopped.
const CRASH_LOOP_OVER: f64 = 0.6;
/// One OOM kill: strong evidence, not a page (see `KubeStateSettings::oom_kills_to_page`).
const ONE_OOM_KILL: f64 = 0.65;
const REPEATED_OOM_KILLS: f64 = 0.85;

/// Why a container restarted, from least to most specific: a later, more specific sign wins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Cause {
    #[default]
    Unknown,
    Completed,
    Error,
    ProbeKill,
    Oom,
}

impl Cause {
    fn words(self) -> &'static str {
        match self {
            Cause::Unknown => "cause not reported",
            Cause::Completed => "exited with code 0, Completed",
            Cause::Error => "exited with an error",
            Cause::ProbeKill => "killed by its liveness probe",
            Cause::Oom => "OOMKilled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RestartTracker {
    /// Restarts that count (rollouts do not), tagged with their cause.
    ring: EventRing<Cause>,
    /// The counter at the latest sample that had it, and when.
    last_count: Option<u32>,
    last_count_at: i64,
    /// The most specific termination cause seen since the last restart.
    pending: Cause,
    probe_event_at: i64,
    pulled_at: i64,
    rollout_at: i64,
}

impl Default for RestartTracker {
    fn default() -> Self {
        RestartTracker {
            ring: EventRing::default(),
            last_count: None,
            last_count_at: NEVER,
            pending: Cause::Unknown,
            probe_event_at: NEVER,
            pulled_at: NEVER,
            rollout_at: NEVER,
        }
    }
}

impl RestartTracker {
    /// The latest restart seen, rollouts included ([`NEVER`] if none).
    pub fn last_restart_at(&self) -> i64 {
        let counted = self.ring.newest().map_or(NEVER, |(t, _)| t);
        counted.max(self.rollout_at)
    }

    pub fn observe(
        &mut self,
        sample: &PodStateSample,
        now: i64,
        s: &KubeStateSettings,
        out: &mut Vec<Finding>,
    ) {
        let window = millis(s.restart_window);
        let lookback = millis(s.event_lookback);
        let termination = match sample.reason.map(Reason::of) {
            Some(Reason::OomKilled) => Cause::Oom,
            Some(Reason::Error) => Cause::Error,
            Some(Reason::Completed) => Cause::Completed,
            _ => Cause::Unknown,
        };
        self.pending = self.pending.max(termination);
        if is_oom_event(sample.event_reason) {
            self.pending = Cause::Oom;
        }
        if is_probe_kill_event(sample.event_reason, sample.event_message) {
            self.probe_event_at = now;
        }
        if is_pulled_event(sample.event_reason) {
            self.pulled_at = now;
        }

        // The counter only: a gap in it hides restarts until it comes back, and then they are
        // placed evenly over the gap rather than all at its end, which would make a crash loop of
        // restarts spread over an hour. A counter that went down is a new pod of the same name.
        if let Some(count) = sample.restarts {
            let previous = self.last_count.map(|c| (c, self.last_count_at));
            self.last_count = Some(count);
            self.last_count_at = now;
            if let Some((before, before_at)) = previous.filter(|(c, _)| count > *c) {
                self.record(count - before, before_at, now, sample, window, lookback);
            }
        }
        self.report(now, s, out);
    }

    fn record(
        &mut self,
        restarts: u32,
        previous_at: i64,
        now: i64,
        sample: &PodStateSample,
        window: i64,
        lookback: i64,
    ) {
        let mut cause = std::mem::take(&mut self.pending);
        if within(self.probe_event_at, now, lookback) && cause < Cause::ProbeKill {
            cause = Cause::ProbeKill;
        }
        let quiet = !within(self.last_restart_at(), now, window);
        let rollout = restarts == 1
            && quiet
            && sample.phase == Some(PodPhase::Running)
            && within(self.pulled_at, now, lookback)
            && cause != Cause::Oom;
        if rollout {
            self.rollout_at = now;
            self.pulled_at = NEVER;
            return;
        }
        let k = i128::from(restarts);
        let gap = i128::from(now.saturating_sub(previous_at));
        // Only the newest few can matter to a fixed ring.
        let first = (k - RING_CAPACITY as i128 + 1).max(1);
        for i in first..=k {
            let at = previous_at as i128 + gap * i / k;
            self.ring.push(at as i64, cause);
        }
    }

    fn report(&self, now: i64, s: &KubeStateSettings, out: &mut Vec<Finding>) {
        let since = now.saturating_sub(millis(s.restart_window));
        let (mut n, mut ooms) = (0usize, 0usize);
        let (mut last, mut last_oom) = ((NEVER, Cause::Unknown), NEVER);
        for (at, cause) in self.ring.after(since) {
            n += 1;
            if cause == Cause::Oom {
                ooms += 1;
                last_oom = at;
            }
            last = (at, cause);
        }
        let window = duration_words(s.restart_window);
        let at_least = |count: usize| {
            if count >= RING_CAPACITY {
                format!("{count} or more")
            } else {
                count.to_string()
            }
        };
        let since_last = |at: i64| ago(now.saturating_sub(at));
        let restarts = |detail| {
            evidence(
                "restarts",
                n as f64,
                f64::from(s.crash_loop_restarts),
                detail,
            )
        };
        if n >= usize::from(s.crash_loop_restarts) {
            let detail = format!(
                "{} restarts in the last {window}, the last {} ({})",
                at_least(n),
                since_last(last.0),
                last.1.words()
            );
            let (kind, anchor) = (AnomalyType::CrashLoop, anchor::KUBE_POD_CRASH_LOOPING);
            // A loop still going restarts at least every back-off cap (plus its run time);
            // quiet for that long, it is over and stays as evidence while in the window.
            out.push(if within(last.0, now, millis(s.backoff_memory)) {
                Finding::page(kind, CRASH_LOOP, anchor, restarts(detail))
            } else {
                Finding::evidence(kind, CRASH_LOOP_OVER, anchor, restarts(detail))
            });
        } else if n > ooms {
            let detail = if n == 1 {
                format!(
                    "1 restart in the last {window}, {} ({})",
                    since_last(last.0),
                    last.1.words()
                )
            } else {
                format!(
                    "{n} restarts in the last {window}, the last {} ({})",
                    since_last(last.0),
                    last.1.words()
                )
            };
            let p = if n >= 2 { TWO_RESTARTS } else { ONE_RESTART };
            out.push(Finding::evidence(
                AnomalyType::ContainerRestart,
                p,
                anchor::KUBE_POD_CRASH_LOOPING,
                restarts(detail),
            ));
        }
        if ooms == 0 {
            return;
        }
        let value = |detail| {
            evidence(
                "oom_kills",
                ooms as f64,
                f64::from(s.oom_kills_to_page),
                detail,
            )
        };
        if ooms >= usize::from(s.oom_kills_to_page) {
            let detail = format!(
                "OOMKilled {} times in the last {window}, the last {}",
                at_least(ooms),
                since_last(last_oom)
            );
            out.push(Finding::page(
                AnomalyType::OomKilled,
                REPEATED_OOM_KILLS,
                anchor::KUBE_POD_CRASH_LOOPING,
                value(detail),
            ));
        } else {
            let detail = format!("OOMKilled {}", since_last(last_oom));
            out.push(Finding::evidence(
                AnomalyType::OomKilled,
                ONE_OOM_KILL,
                anchor::NOT_IN_MIXIN,
                value(detail),
            ));
        }
    }
}
