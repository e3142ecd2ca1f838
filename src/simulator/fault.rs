//! Injected faults: what each kind does to a pod over its window.
//!
//! A fault first [`advance`](ActiveFault::advance)s its own state machine (crashes, restarts,
//! OOM kills, probe flips — all on absolute times, so irregular ticks see the same story), then
//! [`shape`](ActiveFault::shape)s the pod's healthy sample for the tick. A fault draws its
//! timings from its own random stream, seeded when it is planned: how often the cluster is
//! ticked cannot change when it crashes or flips. Its window ends at its planned end, an
//! absolute time, whatever the tick length.

use super::pod::{PodEvent, Sample, SimPod, APP_CONTAINER};
use super::workload::{ProfileScale, Workload};
use crate::fault_label::FaultKind;
use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// Longest CrashLoopBackOff delay, as in the kubelet.
const MAX_BACKOFF_SECS: f64 = 300.0;

/// Time between a recovery action and the end of the window: lets warm-up finish inside it.
const SETTLE_SECS: i64 = 60;

/// Whether `kind` can hit a pod of `workload`, running a version whose memory is
/// `memory_scale` times the profile's, in a way that shows in its metrics.
pub(crate) fn supports(kind: FaultKind, workload: &Workload, memory_scale: f64) -> bool {
    match kind {
        FaultKind::MemoryLeak => workload.memory_limit_bytes.is_some(),
        // Room for at least 1.8x memory without touching the limit.
        FaultKind::LevelShift => workload.memory_headroom(memory_scale) >= 2.3,
        _ => true,
    }
}

fn seconds(secs: f64) -> TimeDelta {
    TimeDelta::milliseconds((secs * 1000.0).round() as i64)
}

fn minutes_between(rng: &mut ChaCha8Rng, low: f64, high: f64) -> TimeDelta {
    seconds(rng.random_range(low..high) * 60.0)
}

fn jitter(rng: &mut ChaCha8Rng, spread: f64) -> f64 {
    let z: f64 = StandardNormal.sample(rng);
    (spread * z).exp()
}

#[derive(Debug, Clone, PartialEq)]
enum CrashState {
    /// The app container runs until it crashes at `crash_at`.
    Running { crash_at: DateTime<Utc> },
    /// Terminated, waiting out the back-off until `restart_at`.
    BackingOff { restart_at: DateTime<Utc> },
    /// The last restart stuck: the container stays up.
    Recovered,
}

#[derive(Debug, Clone, PartialEq)]
enum Effect {
    MemoryLeak {
        oom_at: DateTime<Utc>,
        /// Extra working set at the moment of the kill.
        leaked_bytes: f64,
        killed: bool,
        killed_this_tick: bool,
    },
    CpuSaturation {
        /// Used without a CPU limit: how many times normal the runaway code burns.
        runaway_multiple: f64,
    },
    CrashLoop {
        state: CrashState,
        backoff_secs: f64,
        /// The fix lands then; the next restart sticks.
        recovery_at: DateTime<Utc>,
        crashed_this_tick: bool,
    },
    NetworkErrors {
        rx_errors_per_s: f64,
        tx_errors_per_s: f64,
        throughput: f64,
    },
    TrafficDrop {
        remaining_share: f64,
    },
    ReadinessFlapping {
        probe_passing: bool,
        next_flip: DateTime<Utc>,
    },
    LevelShift {
        cpu_factor: f64,
        memory_factor: f64,
        old_version: u32,
        new_version: u32,
        applied: bool,
        revert_at: DateTime<Utc>,
        reverted: bool,
    },
}

/// A fault in progress on one pod.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ActiveFault {
    pub kind: FaultKind,
    /// Index of its window in the cluster's fault list.
    pub window_index: usize,
    pub start: DateTime<Utc>,
    pub planned_end: DateTime<Utc>,
    effect: Effect,
    /// The fault's own timings (crashes, flips, restart delays).
    rng: ChaCha8Rng,
}

impl ActiveFault {
    /// Draws the window and parameters of a `kind` fault starting at `start` on a pod whose
    /// version scales the workload's profile by `scale`.
    pub fn plan(
        kind: FaultKind,
        workload: &Workload,
        scale: &ProfileScale,
        start: DateTime<Utc>,
        window_index: usize,
        rng: &mut ChaCha8Rng,
    ) -> ActiveFault {
        let memory_bytes = workload.memory_bytes * scale.memory;
        let (planned_end, effect) = match kind {
            FaultKind::MemoryLeak => {
                let oom_at = start + minutes_between(rng, 6.0, 16.0);
                let limit = workload.memory_limit_bytes.unwrap_or(memory_bytes * 2.0);
                let leaked_bytes = (limit * 0.97 - memory_bytes * 1.05).max(0.1 * limit);
                let effect = Effect::MemoryLeak {
                    oom_at,
                    leaked_bytes,
                    killed: false,
                    killed_this_tick: false,
                };
                (oom_at + TimeDelta::seconds(SETTLE_SECS), effect)
            }
            FaultKind::CpuSaturation => (
                start + minutes_between(rng, 6.0, 20.0),
                Effect::CpuSaturation {
                    runaway_multiple: rng.random_range(4.0..6.0),
                },
            ),
            FaultKind::CrashLoop => {
                let end = start + minutes_between(rng, 6.0, 15.0);
                let effect = Effect::CrashLoop {
                    // It crashes right away: the new config is bad from the first start.
                    state: CrashState::Running { crash_at: start },
                    backoff_secs: 10.0,
                    recovery_at: end - TimeDelta::seconds(SETTLE_SECS),
                    crashed_this_tick: false,
                };
                (end, effect)
            }
            FaultKind::NetworkErrors => {
                let rx_errors_per_s = rng.random_range(2.0f64.ln()..50.0f64.ln()).exp();
                let effect = Effect::NetworkErrors {
                    rx_errors_per_s,
                    tx_errors_per_s: (rx_errors_per_s * rng.random_range(0.2..0.8)).max(1.0),
                    throughput: rng.random_range(0.8..0.95),
                };
                (start + minutes_between(rng, 6.0, 20.0), effect)
            }
            FaultKind::TrafficDrop => (
                start + minutes_between(rng, 6.0, 20.0),
                Effect::TrafficDrop {
                    remaining_share: rng.random_range(0.05..0.2),
                },
            ),
            FaultKind::ReadinessFlapping => (
                start + minutes_between(rng, 6.0, 15.0),
                Effect::ReadinessFlapping {
                    probe_passing: false,
                    next_flip: start + seconds(rng.random_range(10.0..25.0)),
                },
            ),
            FaultKind::LevelShift => {
                let end = start + minutes_between(rng, 8.0, 20.0);
                // Stay clear of the memory limit, or the shift would become an OOM kill.
                let memory_room = 0.8 * workload.memory_headroom(scale.memory);
                let effect = Effect::LevelShift {
                    cpu_factor: rng.random_range(1.8..3.0),
                    memory_factor: rng.random_range(1.8f64..3.0).min(memory_room),
                    old_version: workload.image_version,
                    new_version: workload.image_version + 1,
                    applied: false,
                    revert_at: end - TimeDelta::seconds(SETTLE_SECS),
                    reverted: false,
                };
                (end, effect)
            }
        };
        ActiveFault {
            kind,
            window_index,
            start,
            planned_end,
            effect,
            rng: ChaCha8Rng::seed_from_u64(rng.random()),
        }
    }

    /// Whether the fault is in progress at `at` (its window is `[start, planned_end)`).
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.planned_end
    }

    /// Runs the fault's state machine up to `now`; true once it is over (the pod is healthy),
    /// which is exactly from its planned end on.
    pub fn advance(&mut self, pod: &mut SimPod, workload: &Workload, now: DateTime<Utc>) -> bool {
        let rng = &mut self.rng;
        match &mut self.effect {
            Effect::MemoryLeak {
                oom_at,
                killed,
                killed_this_tick,
                ..
            } => {
                *killed_this_tick = false;
                if !*killed && *oom_at <= now {
                    *killed = true;
                    *killed_this_tick = true;
                    restart_app(pod, *oom_at, seconds(rng.random_range(10.0..20.0)));
                    let limit_mib = workload.memory_limit_bytes.unwrap_or(0.0) / 1024.0 / 1024.0;
                    pod.record_event(
                        *oom_at,
                        PodEvent::warning(
                            "OOMKilling",
                            format!(
                                "Memory cgroup out of memory: container {APP_CONTAINER} in pod {} was OOMKilled (limit {limit_mib:.0}Mi)",
                                pod.name
                            ),
                        ),
                    );
                }
                *killed && now >= self.planned_end
            }
            Effect::CrashLoop {
                state,
                backoff_secs,
                recovery_at,
                crashed_this_tick,
            } => {
                *crashed_this_tick = false;
                // A loop: a long step may span several crashes and restarts.
                loop {
                    match *state {
                        CrashState::Running { crash_at } if crash_at <= now => {
                            *crashed_this_tick = true;
                            let restart_at = (crash_at + seconds(*backoff_secs)).min(*recovery_at);
                            *backoff_secs = (*backoff_secs * 2.0).min(MAX_BACKOFF_SECS);
                            *state = CrashState::BackingOff { restart_at };
                        }
                        CrashState::BackingOff { restart_at } if restart_at <= now => {
                            restart_app(pod, restart_at, TimeDelta::seconds(10));
                            pod.record_event(
                                restart_at,
                                PodEvent::normal(
                                    "Started",
                                    format!("Started container {APP_CONTAINER}"),
                                ),
                            );
                            let crash_at = restart_at + seconds(rng.random_range(2.0..8.0));
                            *state = if crash_at >= *recovery_at {
                                CrashState::Recovered
                            } else {
                                CrashState::Running { crash_at }
                            };
                        }
                        _ => break,
                    }
                }
                *state == CrashState::Recovered && now >= self.planned_end
            }
            Effect::ReadinessFlapping {
                probe_passing,
                next_flip,
            } => {
                while *next_flip <= now {
                    *probe_passing = !*probe_passing;
                    let hold = if *probe_passing {
                        10.0..35.0
                    } else {
                        10.0..25.0
                    };
                    *next_flip += seconds(rng.random_range(hold));
                }
                now >= self.planned_end
            }
            Effect::LevelShift {
                old_version,
                new_version,
                applied,
                revert_at,
                reverted,
                ..
            } => {
                if !*applied {
                    *applied = true;
                    restart_app(pod, self.start, seconds(rng.random_range(8.0..15.0)));
                    record_pulled(pod, workload, *new_version, self.start, rng);
                }
                if !*reverted && *revert_at <= now {
                    *reverted = true;
                    restart_app(pod, *revert_at, TimeDelta::seconds(10));
                    record_pulled(pod, workload, *old_version, *revert_at, rng);
                }
                *reverted && now >= self.planned_end
            }
            Effect::CpuSaturation { .. }
            | Effect::NetworkErrors { .. }
            | Effect::TrafficDrop { .. } => now >= self.planned_end,
        }
    }

    /// Turns the pod's healthy sample for `now` into what the fault makes it look like; events
    /// seen at the sampling instant are recorded on the pod.
    pub fn shape(
        &self,
        sample: &mut Sample,
        pod: &mut SimPod,
        workload: &Workload,
        now: DateTime<Utc>,
        rng: &mut ChaCha8Rng,
    ) {
        let app_not_ready = workload.containers - 1;
        let Some(usage) = sample.usage.as_mut() else {
            return;
        };
        match &self.effect {
            Effect::MemoryLeak {
                oom_at,
                leaked_bytes,
                killed,
                killed_this_tick,
            } => {
                if *killed_this_tick {
                    sample.reason = Some("OOMKilled".to_string());
                }
                if !*killed {
                    let elapsed = (now - self.start).as_seconds_f64();
                    let total = (*oom_at - self.start).as_seconds_f64().max(1.0);
                    let progress = (elapsed / total).clamp(0.0, 1.0).powf(1.15);
                    usage.memory_bytes += leaked_bytes * progress * jitter(rng, 0.01);
                    if let Some(limit) = workload.memory_limit_bytes {
                        usage.memory_bytes = usage.memory_bytes.min(limit * 0.995);
                    }
                    // Near the limit the garbage collector runs almost continuously.
                    usage.cpu_millicores *= 1.0 + 0.6 * progress.powi(4);
                }
            }
            Effect::CpuSaturation { runaway_multiple } => {
                usage.cpu_millicores = match workload.cpu_limit_millicores {
                    // Throttled: usage sits just under the limit.
                    Some(limit) => limit * rng.random_range(0.95..1.0),
                    None => usage.cpu_millicores * runaway_multiple,
                };
            }
            Effect::CrashLoop {
                state,
                crashed_this_tick,
                ..
            } => {
                if *state == CrashState::Recovered {
                    return;
                }
                sample.ready_containers = sample.ready_containers.min(app_not_ready);
                if *crashed_this_tick {
                    sample.reason = Some("Error".to_string());
                }
                if let CrashState::BackingOff { .. } = state {
                    if !*crashed_this_tick {
                        sample.reason = Some("CrashLoopBackOff".to_string());
                    }
                    // Only sidecars (if any) still run.
                    let sidecar_memory = if workload.containers > 1 { 0.15 } else { 0.02 };
                    usage.scale_traffic(0.03);
                    usage.memory_bytes *= sidecar_memory;
                    let message = format!(
                        "Back-off restarting failed container {APP_CONTAINER} in pod {}_{}",
                        pod.name, workload.namespace
                    );
                    pod.record_event(now, PodEvent::warning("BackOff", message));
                }
            }
            Effect::NetworkErrors {
                rx_errors_per_s,
                tx_errors_per_s,
                throughput,
            } => {
                usage.net_rx_errors_per_s = (rx_errors_per_s * jitter(rng, 0.25)).max(1.0);
                usage.net_tx_errors_per_s = (tx_errors_per_s * jitter(rng, 0.25)).max(1.0);
                usage.net_rx_bytes_per_s *= throughput;
                usage.net_tx_bytes_per_s *= throughput;
            }
            Effect::TrafficDrop { remaining_share } => {
                usage.scale_traffic(remaining_share * jitter(rng, 0.1));
            }
            Effect::ReadinessFlapping { probe_passing, .. } => {
                if !*probe_passing {
                    sample.ready_containers = sample.ready_containers.min(app_not_ready);
                    // Out of the Service endpoints: little traffic reaches it.
                    usage.net_rx_bytes_per_s *= 0.25;
                    usage.net_tx_bytes_per_s *= 0.25;
                    usage.cpu_millicores *= 0.6;
                    pod.record_event(
                        now,
                        PodEvent::warning(
                            "Unhealthy",
                            "Readiness probe failed: HTTP probe failed with statuscode: 503"
                                .to_string(),
                        ),
                    );
                }
            }
            Effect::LevelShift {
                cpu_factor,
                memory_factor,
                applied,
                reverted,
                ..
            } => {
                if *applied && !*reverted {
                    usage.cpu_millicores *= cpu_factor;
                    usage.memory_bytes *= memory_factor;
                    if let Some(limit) = workload.cpu_limit_millicores {
                        usage.cpu_millicores = usage.cpu_millicores.min(limit * 0.97);
                    }
                    if let Some(limit) = workload.memory_limit_bytes {
                        usage.memory_bytes = usage.memory_bytes.min(limit * 0.95);
                    }
                }
            }
        }
    }
}

/// The app container restarts in place at `at` and fails readiness for `unready_for`.
fn restart_app(pod: &mut SimPod, at: DateTime<Utc>, unready_for: TimeDelta) {
    pod.restarts += 1;
    pod.app_started_at = at;
    pod.app_unready_until = Some(at + unready_for);
}

fn record_pulled(
    pod: &mut SimPod,
    workload: &Workload,
    version: u32,
    at: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
) {
    let pull_secs: f64 = rng.random_range(0.8..4.0);
    pod.record_event(
        at,
        PodEvent::normal(
            "Pulled",
            format!(
                "Successfully pulled image \"{}\" in {pull_secs:.1}s",
                workload.image(version)
            ),
        ),
    );
}
