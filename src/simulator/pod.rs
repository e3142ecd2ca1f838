//! One simulated pod: lifecycle, healthy resource usage, events, and its metrics row.
//!
//! Usage is the workload profile (times the pod's version scale) times the pod's share of the
//! workload load, a small per-replica bias and slowly wandering noise. Faults (see `fault.rs`)
//! and benign liveness restarts (`liveness.rs`) reshape a healthy [`Sample`] before it becomes a
//! [`PodMetricsRow`].
//!
//! A pod's path — Pending, Running not ready, Ready, and for a Job's pod Succeeded — is a
//! [`Timeline`] of absolute times drawn when the pod is created, with the kubelet's events
//! recorded at those times; a row shows the latest event of its interval.

use super::fault::ActiveFault;
use super::liveness::LivenessRestart;
use super::load::smoothstep;
use super::workload::{ProfileScale, Workload, WorkloadKind};
use crate::metrics_row::{PodMetricsRow, PodPhase};
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Name of the main container, the one that crashes, leaks or is updated.
pub(crate) const APP_CONTAINER: &str = "app";

/// A Kubernetes event attached to the pod.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PodEvent {
    pub reason: &'static str,
    pub warning: bool,
    pub message: String,
}

impl PodEvent {
    pub fn normal(reason: &'static str, message: String) -> PodEvent {
        PodEvent {
            reason,
            warning: false,
            message,
        }
    }

    pub fn warning(reason: &'static str, message: String) -> PodEvent {
        PodEvent {
            reason,
            warning: true,
            message,
        }
    }
}

/// Where the pod is in its life at some instant: a view of its [`Timeline`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Lifecycle {
    /// Scheduled, image not yet started: no usage measured.
    Pending,
    /// Containers started, readiness probe not yet passed: no traffic.
    Starting,
    Ready,
    /// A Job's pod whose container exited 0: kept a little while, nothing measured.
    Succeeded,
}

/// When a pod passes through its states. All absolute and fixed when the pod is created, so a
/// cluster ticked at any step sees the same path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Timeline {
    /// Containers running (phase Running) from then on.
    pub running_at: DateTime<Utc>,
    /// Readiness passed (all containers ready) from then on.
    pub ready_at: DateTime<Utc>,
    /// A Job's pod completes then (phase Succeeded).
    pub succeeded_at: Option<DateTime<Utc>>,
}

impl Timeline {
    /// A pod that has been up since `since`.
    pub fn up_since(since: DateTime<Utc>) -> Timeline {
        Timeline {
            running_at: since,
            ready_at: since,
            succeeded_at: None,
        }
    }

    pub fn lifecycle_at(&self, at: DateTime<Utc>) -> Lifecycle {
        if at < self.running_at {
            Lifecycle::Pending
        } else if self.succeeded_at.is_some_and(|done| done <= at) {
            Lifecycle::Succeeded
        } else if at < self.ready_at {
            Lifecycle::Starting
        } else {
            Lifecycle::Ready
        }
    }
}

/// How a new pod's image gets onto its node.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ImagePull {
    /// The node has it cached (a restart, a replacement of the same version).
    Present,
    /// A new version: pulled from the registry first.
    Pull,
}

/// Mean-reverting (Ornstein–Uhlenbeck) log-noise: usage wanders slowly instead of jittering
/// independently each tick, and its spread does not depend on the tick length.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct WanderingNoise {
    value: f64,
}

impl WanderingNoise {
    const TIME_CONSTANT_SECS: f64 = 180.0;

    fn advance(&mut self, dt_secs: f64, spread: f64, rng: &mut ChaCha8Rng) {
        let keep = (-dt_secs / Self::TIME_CONSTANT_SECS).exp();
        let z: f64 = StandardNormal.sample(rng);
        self.value = self.value * keep + spread * (1.0 - keep * keep).sqrt() * z;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct PodNoise {
    cpu: WanderingNoise,
    network: WanderingNoise,
    memory: WanderingNoise,
    fs_read: WanderingNoise,
    fs_write: WanderingNoise,
}

/// Measured usage of a running pod before rounding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Usage {
    pub cpu_millicores: f64,
    pub memory_bytes: f64,
    pub net_rx_bytes_per_s: f64,
    pub net_tx_bytes_per_s: f64,
    pub net_rx_errors_per_s: f64,
    pub net_tx_errors_per_s: f64,
    pub fs_read_bytes_per_s: Option<f64>,
    pub fs_write_bytes_per_s: Option<f64>,
}

impl Usage {
    /// Scales the traffic-driven metrics (CPU, network, disk) by `factor`.
    pub fn scale_traffic(&mut self, factor: f64) {
        self.cpu_millicores *= factor;
        self.net_rx_bytes_per_s *= factor;
        self.net_tx_bytes_per_s *= factor;
        self.fs_read_bytes_per_s = self.fs_read_bytes_per_s.map(|v| v * factor);
        self.fs_write_bytes_per_s = self.fs_write_bytes_per_s.map(|v| v * factor);
    }
}

/// Status and usage of one pod at one tick; faults reshape it before rendering.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub phase: PodPhase,
    pub reason: Option<String>,
    pub ready_containers: u32,
    /// `None` while Pending: nothing runs, nothing is measured.
    pub usage: Option<Usage>,
}

/// One simulated pod.
#[derive(Debug, Clone)]
pub(crate) struct SimPod {
    pub name: String,
    /// Index into the cluster's workloads.
    pub workload: usize,
    pub node: String,
    /// When the simulator first emitted this pod: fault targets need a history behind them.
    pub first_seen: DateTime<Utc>,
    pub restarts: u32,
    pub timeline: Timeline,
    /// Last (re)start of the app container: drives warm-up CPU and memory.
    pub app_started_at: DateTime<Utc>,
    /// The app container fails readiness until then (after an in-place restart).
    pub app_unready_until: Option<DateTime<Utc>>,
    /// Deleted then (replaced by a rollout, evicted, scaled in, or a finished Job's pod cleaned
    /// up): its row at the first tick at or after then is its last.
    pub removed_at: Option<DateTime<Utc>>,
    /// No new fault on this pod before then (a quiet gap after a fault or a liveness restart).
    pub fault_free_from: DateTime<Utc>,
    /// The fault in progress, at most one at a time.
    pub fault: Option<ActiveFault>,
    /// A benign liveness-probe restart in progress.
    pub liveness: Option<LivenessRestart>,
    /// No liveness restart on this pod before then: a second one soon after would be a problem.
    pub liveness_free_from: DateTime<Utc>,
    /// The healthy level of this pod's version relative to the workload's profile.
    pub scale: ProfileScale,
    /// A container termination reason shown once, in the first row at or after its time.
    last_termination: Option<(DateTime<Utc>, &'static str)>,
    /// This replica's share of the workload's traffic relative to an even split.
    traffic_share: f64,
    memory_share: f64,
    gc_offset_secs: f64,
    /// Some pods show rare, tiny benign network error rates.
    noisy_network: bool,
    noise: PodNoise,
    events: Vec<(DateTime<Utc>, PodEvent)>,
}

impl SimPod {
    /// A pod with its identity, first seen at `now`, going through `timeline`.
    pub fn new(
        name: String,
        workload: usize,
        node: String,
        now: DateTime<Utc>,
        timeline: Timeline,
        rng: &mut ChaCha8Rng,
    ) -> SimPod {
        SimPod {
            name,
            workload,
            node,
            first_seen: now,
            restarts: 0,
            timeline,
            app_started_at: timeline.running_at,
            app_unready_until: None,
            removed_at: None,
            fault_free_from: now,
            fault: None,
            liveness: None,
            liveness_free_from: now,
            scale: ProfileScale::default(),
            last_termination: None,
            traffic_share: rng.random_range(0.92..1.08),
            memory_share: rng.random_range(0.95..1.05),
            gc_offset_secs: rng.random_range(0.0..3600.0),
            noisy_network: rng.random_bool(0.3),
            noise: PodNoise::default(),
            events: Vec::new(),
        }
    }

    /// A new pod of `workload` created at `at` on `node`, with the path and events a kubelet
    /// gives it: Scheduled, (Pulling,) Pulled, Created, Started, then Ready after its readiness
    /// probe passes (a Job's pod, without a readiness probe, is ready once running and
    /// completes after `job_run`). The image is the workload's current version.
    #[allow(clippy::too_many_arguments)]
    pub fn spawn(
        name: String,
        workload_index: usize,
        workload: &Workload,
        node: String,
        at: DateTime<Utc>,
        pull: ImagePull,
        job_run: Option<TimeDelta>,
        rng: &mut ChaCha8Rng,
    ) -> SimPod {
        let image = workload.image(workload.image_version);
        let scheduling = millis(rng.random_range(3_000..9_000));
        let (pull_ms, pulled_message) = match pull {
            ImagePull::Present => (
                0,
                format!("Container image \"{image}\" already present on machine"),
            ),
            ImagePull::Pull => {
                let ms = rng.random_range(1_000..6_000);
                let message = format!(
                    "Successfully pulled image \"{image}\" in {:.3}s",
                    ms as f64 / 1000.0
                );
                (ms, message)
            }
        };
        let running_at = at + scheduling + millis(pull_ms);
        let ready_at = match job_run {
            Some(_) => running_at,
            None => running_at + millis(rng.random_range(10_000..30_000)),
        };
        let timeline = Timeline {
            running_at,
            ready_at,
            succeeded_at: job_run.map(|run| running_at + run),
        };
        let mut pod = SimPod::new(name, workload_index, node, at, timeline, rng);
        pod.scale = workload.template_scale;
        let assigned = format!(
            "Successfully assigned {}/{} to {}",
            workload.namespace, pod.name, pod.node
        );
        pod.record_event(at, PodEvent::normal("Scheduled", assigned));
        if pull == ImagePull::Pull {
            let pulling_at = at + millis(rng.random_range(300..1_000));
            pod.record_event(
                pulling_at,
                PodEvent::normal("Pulling", format!("Pulling image \"{image}\"")),
            );
        }
        pod.record_event(
            running_at - millis(500),
            PodEvent::normal("Pulled", pulled_message),
        );
        pod.record_kubelet_start(running_at);
        pod
    }

    /// The kubelet's Created and Started events of the app container starting at `at`.
    pub fn record_kubelet_start(&mut self, at: DateTime<Utc>) {
        self.record_event(
            at - millis(200),
            PodEvent::normal("Created", format!("Created container {APP_CONTAINER}")),
        );
        self.record_event(
            at,
            PodEvent::normal("Started", format!("Started container {APP_CONTAINER}")),
        );
    }

    pub fn record_event(&mut self, at: DateTime<Utc>, event: PodEvent) {
        self.events.push((at, event));
    }

    /// Shows `reason` (a container termination: `Error`, `OOMKilled`) once, in the first row
    /// at or after `at`, as a collector sees it in the interval the restart count went up.
    pub fn note_termination(&mut self, at: DateTime<Utc>, reason: &'static str) {
        self.last_termination = Some((at, reason));
    }

    /// The latest event up to `now`; older ones of the same interval are superseded.
    fn take_latest_event(&mut self, now: DateTime<Utc>) -> Option<PodEvent> {
        let latest = self
            .events
            .iter()
            .enumerate()
            .filter(|(_, (at, _))| *at <= now)
            .max_by_key(|(index, (at, _))| (*at, *index))
            .map(|(_, (_, event))| event.clone());
        self.events.retain(|(at, _)| *at > now);
        latest
    }

    pub fn lifecycle_at(&self, at: DateTime<Utc>) -> Lifecycle {
        self.timeline.lifecycle_at(at)
    }

    /// Not yet deleted at `at`.
    pub fn alive_at(&self, at: DateTime<Utc>) -> bool {
        self.removed_at.is_none_or(|removed| removed > at)
    }

    pub fn fault_active_at(&self, at: DateTime<Utc>) -> bool {
        self.fault.as_ref().is_some_and(|f| f.active_at(at))
    }

    pub fn liveness_active_at(&self, at: DateTime<Utc>) -> bool {
        self.liveness.as_ref().is_some_and(|l| l.active_at(at))
    }

    /// Alive, Ready and healthy at `at`, with nothing in progress: safe to replace, evict or
    /// disturb without blurring a fault label or another benign event.
    pub fn is_settled_at(&self, at: DateTime<Utc>) -> bool {
        self.alive_at(at)
            && self.lifecycle_at(at) == Lifecycle::Ready
            && !self.fault_active_at(at)
            && !self.liveness_active_at(at)
            && self.app_unready_until.is_none_or(|until| until <= at)
    }

    /// Moves the pod's noise to `now`.
    pub fn advance(&mut self, now: DateTime<Utc>, dt_secs: f64, rng: &mut ChaCha8Rng) {
        self.noise.cpu.advance(dt_secs, 0.06, rng);
        self.noise.network.advance(dt_secs, 0.06, rng);
        self.noise.memory.advance(dt_secs, 0.015, rng);
        self.noise.fs_read.advance(dt_secs, 0.12, rng);
        self.noise.fs_write.advance(dt_secs, 0.12, rng);
        if self.app_unready_until.is_some_and(|until| until <= now) {
            self.app_unready_until = None;
        }
    }

    /// Whether the pod is Ready and receives its share of traffic.
    pub fn is_serving(&self, now: DateTime<Utc>) -> bool {
        self.lifecycle_at(now) == Lifecycle::Ready
            && self.app_unready_until.is_none_or(|until| until <= now)
    }

    /// Usage and status of a healthy pod at load factor `load` (its share of the workload's
    /// load; a Job's pod ignores it and runs its burst).
    pub fn healthy_sample(
        &self,
        workload: &Workload,
        load: f64,
        now: DateTime<Utc>,
        rng: &mut ChaCha8Rng,
    ) -> Sample {
        match self.lifecycle_at(now) {
            Lifecycle::Pending => {
                return Sample {
                    phase: PodPhase::Pending,
                    reason: Some("ContainerCreating".to_string()),
                    ready_containers: 0,
                    usage: None,
                }
            }
            Lifecycle::Succeeded => {
                // cAdvisor drops an exited container's series: nothing is measured.
                return Sample {
                    phase: PodPhase::Succeeded,
                    reason: Some("Completed".to_string()),
                    ready_containers: 0,
                    usage: None,
                };
            }
            Lifecycle::Starting | Lifecycle::Ready => {}
        }
        if workload.kind == WorkloadKind::CronJob {
            return Sample {
                phase: PodPhase::Running,
                reason: None,
                ready_containers: workload.containers,
                usage: Some(self.job_usage(workload, now, rng)),
            };
        }
        let serving = self.is_serving(now);
        let ready_containers = match self.lifecycle_at(now) {
            Lifecycle::Ready if serving => workload.containers,
            Lifecycle::Ready => workload.containers - 1,
            _ => 0,
        };
        let app_age_secs = (now - self.app_started_at).as_seconds_f64().max(0.0);
        // JIT compilation and cache filling after a start; memory fills up within a minute.
        let startup_cpu = 1.0 + 0.8 * (-app_age_secs / 20.0).exp();
        let warmup_memory = 0.5 + 0.5 * smoothstep(app_age_secs / 50.0);
        // Out of the Service endpoints, a pod gets only health checks.
        let traffic = if serving { load } else { 0.03 };
        let busy = if serving { load } else { 0.4 };
        let mut white = |spread: f64| -> f64 {
            let z: f64 = StandardNormal.sample(rng);
            (spread * z).exp()
        };

        let cpu_millicores = workload.cpu_millicores
            * self.scale.cpu
            * self.traffic_share
            * busy
            * startup_cpu
            * self.noise.cpu.value.exp()
            * white(0.05);
        let gc_level = workload.gc_sawtooth.as_ref().map_or(0.97, |gc| {
            let seconds = now.timestamp_millis() as f64 / 1000.0 + self.gc_offset_secs;
            let cycle_position = seconds.rem_euclid(gc.period_secs) / gc.period_secs;
            1.0 - gc.drop_fraction * (1.0 - cycle_position)
        });
        let memory_bytes = workload.memory_bytes
            * self.scale.memory
            * self.memory_share
            * gc_level
            * (1.0 + 0.15 * (load - 1.0))
            * warmup_memory
            * self.noise.memory.value.exp()
            * white(0.005);
        let network = self.noise.network.value.exp() * self.scale.network;
        let net_rx_bytes_per_s =
            workload.net_rx_bytes_per_s * self.traffic_share * traffic * network * white(0.04);
        let net_tx_bytes_per_s =
            workload.net_tx_bytes_per_s * self.traffic_share * traffic * network * white(0.04);
        let disk = traffic.max(0.0).sqrt();
        let fs_read_bytes_per_s = workload
            .fs
            .as_ref()
            .map(|fs| fs.read_bytes_per_s * disk * self.noise.fs_read.value.exp() * white(0.1));
        let fs_write_bytes_per_s = workload
            .fs
            .as_ref()
            .map(|fs| fs.write_bytes_per_s * disk * self.noise.fs_write.value.exp() * white(0.1));
        let mut blip = |probability: f64| -> f64 {
            if self.noisy_network && rng.random_bool(probability) {
                rng.random_range(0.01..0.05)
            } else {
                0.0
            }
        };
        let net_rx_errors_per_s = blip(0.08);
        let net_tx_errors_per_s = blip(0.04);
        Sample {
            phase: PodPhase::Running,
            reason: None,
            ready_containers,
            usage: Some(Usage {
                cpu_millicores,
                memory_bytes,
                net_rx_bytes_per_s,
                net_tx_bytes_per_s,
                net_rx_errors_per_s,
                net_tx_errors_per_s,
                fs_read_bytes_per_s,
                fs_write_bytes_per_s,
            }),
        }
    }

    /// A CronJob run: CPU busy throughout, memory filling as it loads its input, input read
    /// (network, disk) early and results written (network, disk) late.
    fn job_usage(&self, workload: &Workload, now: DateTime<Utc>, rng: &mut ChaCha8Rng) -> Usage {
        let ran = (now - self.timeline.running_at).as_seconds_f64().max(0.0);
        let run = self
            .timeline
            .succeeded_at
            .map_or(60.0, |done| {
                (done - self.timeline.running_at).as_seconds_f64()
            })
            .max(1.0);
        let progress = (ran / run).clamp(0.0, 1.0);
        let reading = 1.0 - 0.8 * smoothstep((progress - 0.55) / 0.25);
        let writing = 0.2 + 0.8 * smoothstep((progress - 0.5) / 0.25);
        let mut white = |spread: f64| -> f64 {
            let z: f64 = StandardNormal.sample(rng);
            (spread * z).exp()
        };
        let ramp = smoothstep(ran / 8.0).max(0.05);
        Usage {
            cpu_millicores: workload.cpu_millicores
                * ramp
                * self.noise.cpu.value.exp()
                * white(0.08),
            memory_bytes: workload.memory_bytes
                * (0.3 + 0.7 * smoothstep(progress * 2.5))
                * self.noise.memory.value.exp()
                * white(0.01),
            net_rx_bytes_per_s: workload.net_rx_bytes_per_s * ramp * reading * white(0.1),
            net_tx_bytes_per_s: workload.net_tx_bytes_per_s * ramp * writing * white(0.1),
            net_rx_errors_per_s: 0.0,
            net_tx_errors_per_s: 0.0,
            fs_read_bytes_per_s: workload
                .fs
                .as_ref()
                .map(|fs| fs.read_bytes_per_s * ramp * reading * white(0.15)),
            fs_write_bytes_per_s: workload
                .fs
                .as_ref()
                .map(|fs| fs.write_bytes_per_s * ramp * writing * white(0.15)),
        }
    }

    /// Renders `sample` as the pod's row for `now`, rounded, with the latest event.
    pub fn render(
        &mut self,
        workload: &Workload,
        now: DateTime<Utc>,
        mut sample: Sample,
    ) -> PodMetricsRow {
        if let Some((at, reason)) = self.last_termination {
            if at <= now {
                self.last_termination = None;
                sample.reason.get_or_insert_with(|| reason.to_string());
            }
        }
        let mut row = PodMetricsRow::empty(now, &workload.namespace, &self.name);
        row.node = self.node.clone();
        row.phase = Some(sample.phase);
        row.reason = sample.reason;
        row.restarts = Some(self.restarts);
        row.ready_containers = Some(sample.ready_containers.min(workload.containers));
        row.total_containers = Some(workload.containers);
        row.cpu_limit_millicores = workload.cpu_limit_millicores;
        row.memory_limit_bytes = workload.memory_limit_bytes;
        if let Some(usage) = sample.usage {
            row.cpu_millicores = Some(round_to(usage.cpu_millicores, 10.0));
            row.memory_bytes = Some(round_to(usage.memory_bytes, 1.0));
            row.net_rx_bytes_per_s = Some(round_to(usage.net_rx_bytes_per_s, 1.0));
            row.net_tx_bytes_per_s = Some(round_to(usage.net_tx_bytes_per_s, 1.0));
            row.net_rx_errors_per_s = Some(round_to(usage.net_rx_errors_per_s, 100.0));
            row.net_tx_errors_per_s = Some(round_to(usage.net_tx_errors_per_s, 100.0));
            row.fs_read_bytes_per_s = usage.fs_read_bytes_per_s.map(|v| round_to(v, 1.0));
            row.fs_write_bytes_per_s = usage.fs_write_bytes_per_s.map(|v| round_to(v, 1.0));
        }
        if let Some(event) = self.take_latest_event(now) {
            row.event_reason = Some(event.reason.to_string());
            row.event_type = Some(if event.warning { "Warning" } else { "Normal" }.to_string());
            row.event_message = Some(event.message);
        }
        row
    }
}

impl SimPod {
    /// Deletes the pod gracefully at `at` (a rollout, an eviction, a scale-in): the kubelet
    /// stops its container, the row of that interval shows `Killing`, and it is gone after it.
    pub fn delete(&mut self, at: DateTime<Utc>) {
        self.removed_at = Some(at);
        self.record_event(
            at,
            PodEvent::normal("Killing", format!("Stopping container {APP_CONTAINER}")),
        );
    }
}

/// Adds `pod` after the last pod of its workload, so rows stay grouped by workload.
pub(crate) fn insert_grouped(pods: &mut Vec<SimPod>, pod: SimPod) {
    let position = pods
        .iter()
        .rposition(|p| p.workload == pod.workload)
        .map_or(pods.len(), |last| last + 1);
    pods.insert(position, pod);
}

/// A span of whole milliseconds.
pub(crate) fn millis(ms: i64) -> TimeDelta {
    TimeDelta::milliseconds(ms)
}

/// Rounds to `1/per_unit` (10.0: one decimal), never negative, NaN or infinite.
pub(crate) fn round_to(value: f64, per_unit: f64) -> f64 {
    if !value.is_finite() || value <= 0.0 {
        return 0.0;
    }
    let rounded = (value * per_unit).round() / per_unit;
    // `-0.0` would print as "-0".
    rounded.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_never_yields_negative_or_non_finite_values() {
        assert_eq!(round_to(12.345, 10.0), 12.3);
        assert_eq!(round_to(0.016, 100.0), 0.02);
        assert_eq!(round_to(1234.6, 1.0), 1235.0);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -3.0, -0.0] {
            let v = round_to(bad, 10.0);
            assert!(v == 0.0 && v.is_sign_positive(), "{bad} -> {v}");
        }
    }

    #[test]
    fn the_latest_event_of_the_interval_wins_and_is_shown_once() {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut pod = SimPod::new(
            "p".into(),
            0,
            "node-1".into(),
            now,
            Timeline::up_since(now),
            &mut rng,
        );
        pod.record_event(
            now + TimeDelta::seconds(2),
            PodEvent::normal("B", "b".into()),
        );
        pod.record_event(
            now + TimeDelta::seconds(1),
            PodEvent::normal("A", "a".into()),
        );
        pod.record_event(
            now + TimeDelta::seconds(9),
            PodEvent::normal("C", "c".into()),
        );
        let first = pod.take_latest_event(now + TimeDelta::seconds(5)).unwrap();
        assert_eq!(first.reason, "B");
        assert_eq!(pod.take_latest_event(now + TimeDelta::seconds(6)), None);
        assert_eq!(
            pod.take_latest_event(now + TimeDelta::seconds(10))
                .unwrap()
                .reason,
            "C"
        );
    }
}
