//! One simulated pod: lifecycle, healthy resource usage, events, and its metrics row.
//!
//! Usage is the workload profile times the workload load factor, a small per-replica share and
//! slowly wandering noise. Faults (see `fault.rs`) reshape a healthy [`Sample`] before it
//! becomes a [`PodMetricsRow`].

use super::fault::ActiveFault;
use super::load::smoothstep;
use super::workload::Workload;
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

/// Where the pod is in its life: new pods pass through the first two states.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Lifecycle {
    /// Scheduled, image not yet started: no usage measured.
    Pending {
        running_at: DateTime<Utc>,
    },
    /// Containers started, readiness probe not yet passed: no traffic.
    Starting {
        ready_at: DateTime<Utc>,
    },
    Ready,
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
    pub lifecycle: Lifecycle,
    /// Last (re)start of the app container: drives warm-up CPU and memory.
    pub app_started_at: DateTime<Utc>,
    /// The app container fails readiness until then (after an in-place restart).
    pub app_unready_until: Option<DateTime<Utc>>,
    /// Removed after its next row (replaced by a rolling restart).
    pub terminating: bool,
    /// No new fault on this pod before then (a quiet gap between two faults).
    pub fault_free_from: DateTime<Utc>,
    /// The fault in progress, at most one at a time.
    pub fault: Option<ActiveFault>,
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
    /// A pod with its identity; `lifecycle` says whether it is new or long running.
    pub fn new(
        name: String,
        workload: usize,
        node: String,
        now: DateTime<Utc>,
        lifecycle: Lifecycle,
        rng: &mut ChaCha8Rng,
    ) -> SimPod {
        SimPod {
            name,
            workload,
            node,
            first_seen: now,
            restarts: 0,
            lifecycle,
            app_started_at: now,
            app_unready_until: None,
            terminating: false,
            fault_free_from: now,
            fault: None,
            traffic_share: rng.random_range(0.92..1.08),
            memory_share: rng.random_range(0.95..1.05),
            gc_offset_secs: rng.random_range(0.0..3600.0),
            noisy_network: rng.random_bool(0.3),
            noise: PodNoise::default(),
            events: Vec::new(),
        }
    }

    pub fn record_event(&mut self, at: DateTime<Utc>, event: PodEvent) {
        self.events.push((at, event));
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

    /// Moves the pod's own clock to `now`: noise and the Pending → Starting → Ready path.
    pub fn advance(
        &mut self,
        now: DateTime<Utc>,
        dt_secs: f64,
        workload: &Workload,
        rng: &mut ChaCha8Rng,
    ) {
        self.noise.cpu.advance(dt_secs, 0.06, rng);
        self.noise.network.advance(dt_secs, 0.06, rng);
        self.noise.memory.advance(dt_secs, 0.015, rng);
        self.noise.fs_read.advance(dt_secs, 0.12, rng);
        self.noise.fs_write.advance(dt_secs, 0.12, rng);
        // A loop, so one long step can pass through several states.
        loop {
            match self.lifecycle {
                Lifecycle::Pending { running_at } if running_at <= now => {
                    let image = workload.image(workload.image_version);
                    self.record_event(
                        running_at - TimeDelta::milliseconds(500),
                        PodEvent::normal(
                            "Pulled",
                            format!("Container image \"{image}\" already present on machine"),
                        ),
                    );
                    self.record_event(
                        running_at,
                        PodEvent::normal("Started", format!("Started container {APP_CONTAINER}")),
                    );
                    self.app_started_at = running_at;
                    let ready_after = rng.random_range(10_000..30_000);
                    self.lifecycle = Lifecycle::Starting {
                        ready_at: running_at + TimeDelta::milliseconds(ready_after),
                    };
                }
                Lifecycle::Starting { ready_at } if ready_at <= now => {
                    self.lifecycle = Lifecycle::Ready;
                }
                _ => break,
            }
        }
        if self.app_unready_until.is_some_and(|until| until <= now) {
            self.app_unready_until = None;
        }
    }

    /// Whether the pod is Ready and receives its share of traffic.
    pub fn is_serving(&self, now: DateTime<Utc>) -> bool {
        self.lifecycle == Lifecycle::Ready
            && self.app_unready_until.is_none_or(|until| until <= now)
    }

    /// Usage and status of a healthy pod at load factor `load`.
    pub fn healthy_sample(
        &self,
        workload: &Workload,
        load: f64,
        now: DateTime<Utc>,
        rng: &mut ChaCha8Rng,
    ) -> Sample {
        if let Lifecycle::Pending { .. } = self.lifecycle {
            return Sample {
                phase: PodPhase::Pending,
                reason: Some("ContainerCreating".to_string()),
                ready_containers: 0,
                usage: None,
            };
        }
        let serving = self.is_serving(now);
        let ready_containers = match self.lifecycle {
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
            * self.memory_share
            * gc_level
            * (1.0 + 0.15 * (load - 1.0))
            * warmup_memory
            * self.noise.memory.value.exp()
            * white(0.005);
        let network = self.noise.network.value.exp();
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

    /// Renders `sample` as the pod's row for `now`, rounded, with the latest event.
    pub fn render(
        &mut self,
        workload: &Workload,
        now: DateTime<Utc>,
        sample: Sample,
    ) -> PodMetricsRow {
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
            Lifecycle::Ready,
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
