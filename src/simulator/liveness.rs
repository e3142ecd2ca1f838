//! Benign liveness-probe restart: the app container of one pod hangs, its liveness probe fails
//! three times in a row (period 10 s), the kubelet kills it (`Killing`: "Container app failed
//! liveness probe, will be restarted"), the hung process ignores SIGTERM and is SIGKILLed after
//! a short grace period (exit code 137, which kube-state-metrics reports as the last terminated
//! reason `Error`), and the container starts again: restarts +1, not ready for 13-38 s in all,
//! usage dipping while hung and while restarting, then healthy again.
//!
//! Benign because it happens once and heals: real services hang now and then (a stuck
//! connection pool, a long GC pause) and the probe does its job. The cluster never restarts the
//! same pod this way twice within [`LIVENESS_REPEAT_GAP`](super::settings::LIVENESS_REPEAT_GAP)
//! — a repeated one is a real problem (and looks like the labelled crash loop). All times are
//! drawn when it is planned, so any tick length sees the same restart.

use super::pod::{millis, PodEvent, Sample, SimPod, APP_CONTAINER};
use super::workload::Workload;
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Liveness probe period and failure threshold, the kubelet's defaults.
const PROBE_PERIOD_SECS: i64 = 10;
const FAILURE_THRESHOLD: i64 = 3;

/// Time after readiness returns during which the restart still shows (warm-up CPU and memory).
const SETTLE: TimeDelta = TimeDelta::seconds(60);

/// A liveness restart of one pod, planned at its start.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LivenessRestart {
    /// The app hangs (usage dips, probes start failing).
    pub start: DateTime<Utc>,
    /// The kubelet kills the container after the last failed probe (not ready from then on).
    pub killed_at: DateTime<Utc>,
    /// SIGKILL after the grace period: the container exits 137 and starts again.
    pub restart_at: DateTime<Utc>,
    /// The readiness probe passes again.
    pub ready_at: DateTime<Utc>,
    /// Warm-up over: the pod looks as before.
    pub end: DateTime<Utc>,
    restarted: bool,
}

impl LivenessRestart {
    /// Plans a restart of `pod` hanging at `at`, and records the kubelet's events on it.
    pub fn plan(
        pod: &mut SimPod,
        workload: &Workload,
        at: DateTime<Utc>,
        rng: &mut ChaCha8Rng,
    ) -> LivenessRestart {
        let first_failure = at + millis(rng.random_range(1_000..10_000));
        let killed_at = first_failure
            + TimeDelta::seconds(PROBE_PERIOD_SECS * (FAILURE_THRESHOLD - 1))
            + millis(rng.random_range(50..300));
        let restart_at = killed_at + millis(rng.random_range(5_000..10_000));
        let ready_at = restart_at + millis(rng.random_range(8_000..28_000));
        let address = format!(
            "10.244.{}.{}",
            rng.random_range(0..16),
            rng.random_range(2..250)
        );
        for failure in 0..FAILURE_THRESHOLD {
            pod.record_event(
                first_failure + TimeDelta::seconds(PROBE_PERIOD_SECS * failure),
                PodEvent::warning(
                    "Unhealthy",
                    format!(
                        "Liveness probe failed: Get \"http://{address}:8080/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
                    ),
                ),
            );
        }
        pod.record_event(
            killed_at,
            PodEvent::normal(
                "Killing",
                format!("Container {APP_CONTAINER} failed liveness probe, will be restarted"),
            ),
        );
        pod.record_event(
            restart_at - millis(400),
            PodEvent::normal(
                "Pulled",
                format!(
                    "Container image \"{}\" already present on machine",
                    workload.image(workload.image_version)
                ),
            ),
        );
        pod.record_kubelet_start(restart_at);
        LivenessRestart {
            start: at,
            killed_at,
            restart_at,
            ready_at,
            end: ready_at + SETTLE,
            restarted: false,
        }
    }

    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// Applies the restart once its time has come; true once the pod looks as before.
    pub fn advance(&mut self, pod: &mut SimPod, now: DateTime<Utc>) -> bool {
        if !self.restarted && self.restart_at <= now {
            self.restarted = true;
            pod.restarts += 1;
            pod.app_started_at = self.restart_at;
            pod.app_unready_until = Some(self.ready_at);
            pod.note_termination(self.restart_at, "Error");
        }
        now >= self.end
    }

    /// The hung and the killed container's usage; the restart itself (not ready, warm-up) is
    /// the pod's own start-up path.
    pub fn shape(&self, sample: &mut Sample, workload: &Workload, now: DateTime<Utc>) {
        let Some(usage) = sample.usage.as_mut() else {
            return;
        };
        if now >= self.start && now < self.killed_at {
            // Requests time out: little work done, little traffic answered.
            usage.scale_traffic(0.3);
        } else if now >= self.killed_at && now < self.restart_at {
            sample.ready_containers = sample.ready_containers.min(workload.containers - 1);
            usage.scale_traffic(0.05);
        }
    }
}
