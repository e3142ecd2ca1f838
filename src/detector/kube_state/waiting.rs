//! Containers waiting for a reason that does not go away by itself: CrashLoopBackOff that keeps
//! recurring, an image that cannot be pulled, a container that cannot be created from its spec.
//! Seen once, each is evidence; lasting, an alarm.
//!
//! Other waiting reasons (ContainerCreating, PodInitializing) are ordinary steps of a start;
//! when they last, the pod is Pending or not ready, which [`super::phase`] and
//! [`super::readiness`] page after 15 min, before the mixin's 1 h `KubeContainerWaiting`.

use super::anchor;
use super::condition::Lasting;
use super::reason::Reason;
use super::sample::PodStateSample;
use super::settings::KubeStateSettings;
use super::span::{ago, for_how_long, millis, minutes};
use super::verdict::{evidence, Finding};
use crate::detector::anomaly_type::AnomalyType;

const BACKOFF_SEEN: f64 = 0.6;
const BACKOFF_RECURRING: f64 = 0.95;
const STUCK_SEEN: f64 = 0.55;
const STUCK_LASTING: f64 = 0.85;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WaitingTracker {
    backoff: Lasting,
    /// An image pull or config error; `stuck_on` says which.
    stuck: Lasting,
    stuck_on: Reason,
}

impl Default for WaitingTracker {
    fn default() -> Self {
        WaitingTracker {
            backoff: Lasting::default(),
            stuck: Lasting::default(),
            stuck_on: Reason::Other,
        }
    }
}

impl WaitingTracker {
    pub fn observe(
        &mut self,
        sample: &PodStateSample,
        now: i64,
        s: &KubeStateSettings,
        out: &mut Vec<Finding>,
    ) {
        let reason = sample.known_reason().map(|r| r.map(Reason::of));
        self.backoff_rule(reason, now, s, out);
        self.stuck_rule(sample, reason, now, s, out);
    }

    /// CrashLoopBackOff recurring (seen again within `backoff_memory`, the mixin's
    /// `max_over_time(...[5m])`) for `backoff_page_after` pages.
    fn backoff_rule(
        &mut self,
        reason: Option<Option<Reason>>,
        now: i64,
        s: &KubeStateSettings,
        out: &mut Vec<Finding>,
    ) {
        let seen = reason.map(|r| r == Some(Reason::CrashLoopBackOff));
        if !self.backoff.observe(now, seen, millis(s.backoff_memory)) {
            return;
        }
        let lasted = self.backoff.lasted(now);
        let unseen = self.backoff.unseen_for(now);
        let mut detail = format!("CrashLoopBackOff{}", for_how_long(lasted));
        if unseen > 0 {
            detail.push_str(&format!(", last seen {}", ago(unseen)));
        }
        let page_after = millis(s.backoff_page_after);
        let e = evidence("reason", minutes(lasted), minutes(page_after), detail);
        let (kind, anchor) = (AnomalyType::CrashLoop, anchor::KUBE_POD_CRASH_LOOPING);
        out.push(if lasted >= page_after {
            Finding::page(kind, BACKOFF_RECURRING, anchor, e)
        } else {
            Finding::evidence(kind, BACKOFF_SEEN, anchor, e)
        });
    }

    /// An image pull or config error lasting its `..._page_after` pages (mixin
    /// `KubeContainerWaiting`, which waits 1 h for any reason).
    fn stuck_rule(
        &mut self,
        sample: &PodStateSample,
        reason: Option<Option<Reason>>,
        now: i64,
        s: &KubeStateSettings,
        out: &mut Vec<Finding>,
    ) {
        let stuck_on =
            reason.map(|r| r.filter(|r| matches!(r, Reason::ImagePull | Reason::ConfigError)));
        if let Some(Some(r)) = stuck_on {
            if r != self.stuck_on {
                // A different error is a different problem: its clock starts now.
                self.stuck.clear();
                self.stuck_on = r;
            }
        }
        let seen = stuck_on.map(|r| r.is_some());
        if !self
            .stuck
            .observe(now, seen, millis(s.interruption_tolerance))
        {
            return;
        }
        let (kind, what, page_after) = if self.stuck_on == Reason::ImagePull {
            (
                AnomalyType::ImagePullError,
                "image cannot be pulled",
                s.image_pull_page_after,
            )
        } else {
            (
                AnomalyType::ContainerConfigError,
                "container cannot be created from its spec",
                s.config_error_page_after,
            )
        };
        let lasted = self.stuck.lasted(now);
        let shown = match sample.reason {
            Some(r) if Reason::of(r) == self.stuck_on => format!(" ({r})"),
            _ => String::new(),
        };
        let detail = format!("{what}{shown}{}", for_how_long(lasted));
        let page_after = millis(page_after);
        let e = evidence("reason", minutes(lasted), minutes(page_after), detail);
        let anchor = anchor::KUBE_CONTAINER_WAITING;
        out.push(if lasted >= page_after {
            Finding::page(kind, STUCK_LASTING, anchor, e)
        } else {
            Finding::evidence(kind, STUCK_SEEN, anchor, e)
        });
    }
}
