//! The simulated cluster: workloads, pods, benign events and the fault schedule, advanced tick by
//! tick.
//!
//! Every random choice comes from one of three seeded streams — layout, schedule, noise — so the
//! same settings and tick times always produce the same rows, and the fault schedule does not
//! shift when per-tick noise draws change.

use super::fault::{supports, ActiveFault};
use super::load::{DailyCycle, LoadSwell};
use super::pod::{Lifecycle, SimPod};
use super::rollout::RollingRestart;
use super::schedule::{FaultKindDeck, PoissonClock};
use super::settings::{
    SimulatorSettings, LOAD_SWELL_MEAN_GAP_SECS, REFERENCE_POD_COUNT, ROLLING_RESTART_MEAN_GAP_SECS,
};
use super::workload::{build_workloads, Workload};
use crate::fault_label::{FaultKind, FaultWindow};
use crate::metrics_row::PodMetricsRow;
use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::TAU;

/// A fault target must have been observed this long, so detectors have a history for it.
const MIN_TARGET_AGE: TimeDelta = TimeDelta::minutes(10);

/// Quiet time on a pod after one of its faults ends, before it may get another.
const FAULT_COOLDOWN: TimeDelta = TimeDelta::minutes(10);

/// When no pod can take a fault now (all busy), try again this much later.
const FAULT_RETRY_DELAY: TimeDelta = TimeDelta::seconds(30);

/// After this many failed retries a fault kind is given up for the next one of the deck.
const MAX_FAULT_RETRIES: u32 = 20;

/// Kinds of benign (unlabelled) events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenignKind {
    RollingRestart,
    LoadSwell,
}

/// A benign event the simulator produced: not a fault, detectors should stay quiet.
#[derive(Debug, Clone, PartialEq)]
pub struct BenignWindow {
    pub kind: BenignKind,
    pub namespace: String,
    pub workload: String,
    pub start: DateTime<Utc>,
    /// Planned end while in progress.
    pub end: DateTime<Utc>,
}

/// The fault about to be injected, with how often no pod could take it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PendingFault {
    kind: FaultKind,
    retries: u32,
    first: bool,
}

/// A deterministic simulated Kubernetes cluster.
#[derive(Debug)]
pub struct SimulatedCluster {
    workloads: Vec<Workload>,
    /// Live pods, grouped by workload: the row order.
    pods: Vec<SimPod>,
    nodes: Vec<String>,
    daily_cycle: DailyCycle,
    swells: Vec<LoadSwell>,
    rollouts: Vec<RollingRestart>,
    fault_clock: PoissonClock,
    pending_fault: Option<PendingFault>,
    fault_deck: FaultKindDeck,
    rollout_clock: PoissonClock,
    swell_clock: PoissonClock,
    fault_windows: Vec<FaultWindow>,
    faults_started_last_tick: Vec<FaultWindow>,
    benign_windows: Vec<BenignWindow>,
    last_tick: Option<DateTime<Utc>>,
    schedule_rng: ChaCha8Rng,
    noise_rng: ChaCha8Rng,
}

fn rng_stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

impl SimulatedCluster {
    /// Builds the cluster as it is at `start`: every pod long running and Ready.
    pub fn new(settings: &SimulatorSettings, start: DateTime<Utc>) -> Self {
        let mut layout_rng = rng_stream(settings.seed, 0);
        let mut schedule_rng = rng_stream(settings.seed, 1);
        let pod_count = settings.pods.max(1);
        let workloads = build_workloads(pod_count, &mut layout_rng);
        let node_count = pod_count.div_ceil(10).max(3);
        let nodes: Vec<String> = (1..=node_count).map(|i| format!("node-{i}")).collect();
        let mut pods = Vec::with_capacity(pod_count);
        for (index, workload) in workloads.iter().enumerate() {
            for _ in 0..workload.replicas {
                let name = workload.new_pod_name(&mut layout_rng);
                let node = nodes[layout_rng.random_range(0..nodes.len())].clone();
                let mut pod =
                    SimPod::new(name, index, node, start, Lifecycle::Ready, &mut layout_rng);
                let running_for = TimeDelta::minutes(layout_rng.random_range(60..30 * 24 * 60));
                pod.app_started_at = start - running_for;
                if layout_rng.random_bool(0.2) {
                    pod.restarts = layout_rng.random_range(1..=4);
                }
                pods.push(pod);
            }
        }
        let daily_cycle = DailyCycle {
            phase_radians: layout_rng.random_range(0.0..TAU),
        };
        // Benign events scale with cluster size: a bigger cluster has more of them.
        let size_scale = REFERENCE_POD_COUNT / pod_count as f64;
        let first_fault_at = TimeDelta::from_std(settings.first_fault_after)
            .ok()
            .and_then(|delay| start.checked_add_signed(delay))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let fault_gap = settings.mean_time_between_faults.as_secs_f64();
        SimulatedCluster {
            fault_clock: PoissonClock::first_at(first_fault_at, fault_gap),
            pending_fault: Some(PendingFault {
                kind: settings.first_fault_kind,
                retries: 0,
                first: true,
            }),
            fault_deck: FaultKindDeck::default(),
            rollout_clock: PoissonClock::starting_after(
                start,
                ROLLING_RESTART_MEAN_GAP_SECS * size_scale,
                &mut schedule_rng,
            ),
            swell_clock: PoissonClock::starting_after(
                start,
                LOAD_SWELL_MEAN_GAP_SECS * size_scale,
                &mut schedule_rng,
            ),
            workloads,
            pods,
            nodes,
            daily_cycle,
            swells: Vec::new(),
            rollouts: Vec::new(),
            fault_windows: Vec::new(),
            faults_started_last_tick: Vec::new(),
            benign_windows: Vec::new(),
            last_tick: None,
            schedule_rng,
            noise_rng: rng_stream(settings.seed, 2),
        }
    }

    /// Advances the cluster to `now` (monotonic; steps may be irregular in real-time mode, e.g.
    /// 4.9s then 5.2s) and returns one row per live pod.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<PodMetricsRow> {
        // A clock that steps back must not run the simulation backwards.
        let now = self.last_tick.map_or(now, |last| now.max(last));
        let dt_secs = self
            .last_tick
            .map_or(0.0, |last| (now - last).as_seconds_f64());
        self.last_tick = Some(now);
        self.faults_started_last_tick.clear();

        self.start_due_swells(now);
        self.start_due_rollouts(now);
        self.start_due_faults(now);
        self.advance_rollouts(now);

        let mut rows = Vec::with_capacity(self.pods.len());
        for pod in &mut self.pods {
            let workload = &self.workloads[pod.workload];
            pod.advance(now, dt_secs, workload, &mut self.noise_rng);
            let mut fault = pod.fault.take();
            let finished = fault
                .as_mut()
                .is_some_and(|f| f.advance(pod, workload, now, &mut self.noise_rng));
            let load = workload_load(&self.daily_cycle, &self.swells, pod.workload, workload, now);
            let mut sample = pod.healthy_sample(workload, load, now, &mut self.noise_rng);
            if let Some(fault) = &fault {
                fault.shape(&mut sample, pod, workload, now, &mut self.noise_rng);
            }
            rows.push(pod.render(workload, now, sample));
            match fault {
                Some(fault) if finished => {
                    self.fault_windows[fault.window_index].end = now;
                    pod.fault_free_from = now + FAULT_COOLDOWN;
                }
                other => pod.fault = other,
            }
        }
        self.pods.retain(|pod| !pod.terminating);
        self.swells.retain(|swell| swell.end > now);
        rows
    }

    /// Faults injected so far (a window whose end is in the future is reported with its planned
    /// end).
    pub fn fault_windows(&self) -> &[FaultWindow] {
        &self.fault_windows
    }

    /// Faults that started during the last tick (the daemon logs them).
    pub fn faults_started_last_tick(&self) -> &[FaultWindow] {
        &self.faults_started_last_tick
    }

    /// Benign rolling restarts and load swells so far (not labelled: detectors should ignore
    /// them).
    pub fn benign_windows(&self) -> &[BenignWindow] {
        &self.benign_windows
    }

    fn start_due_swells(&mut self, now: DateTime<Utc>) {
        while self.swell_clock.next_at <= now {
            let at = self.swell_clock.next_at;
            self.swell_clock.schedule_next(&mut self.schedule_rng);
            let candidates: Vec<usize> = (0..self.workloads.len())
                .filter(|w| !self.swells.iter().any(|s| s.workload == *w && s.end > at))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let workload = candidates[self.schedule_rng.random_range(0..candidates.len())];
            let minutes = self.schedule_rng.random_range(10.0..30.0);
            let swell = LoadSwell {
                workload,
                start: at,
                end: at + TimeDelta::seconds((minutes * 60.0) as i64),
                peak: self.schedule_rng.random_range(1.4..2.0),
            };
            self.benign_windows.push(BenignWindow {
                kind: BenignKind::LoadSwell,
                namespace: self.workloads[workload].namespace.clone(),
                workload: self.workloads[workload].name.clone(),
                start: swell.start,
                end: swell.end,
            });
            self.swells.push(swell);
        }
    }

    fn workload_has_fault(&self, workload: usize) -> bool {
        self.pods
            .iter()
            .any(|pod| pod.workload == workload && pod.fault.is_some())
    }

    fn workload_is_rolling(&self, workload: usize) -> bool {
        self.rollouts.iter().any(|r| r.workload == workload)
    }

    fn start_due_rollouts(&mut self, now: DateTime<Utc>) {
        while self.rollout_clock.next_at <= now {
            self.rollout_clock.schedule_next(&mut self.schedule_rng);
            // A workload in trouble is left alone; one that is settled can be restarted.
            let candidates: Vec<usize> = (0..self.workloads.len())
                .filter(|&w| {
                    !self.workload_is_rolling(w)
                        && !self.workload_has_fault(w)
                        && self
                            .pods
                            .iter()
                            .filter(|p| p.workload == w)
                            .all(|p| p.lifecycle == Lifecycle::Ready && !p.terminating)
                })
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let workload = candidates[self.schedule_rng.random_range(0..candidates.len())];
            let log_index = self.benign_windows.len();
            let rollout = RollingRestart::begin(
                workload,
                &mut self.workloads[workload],
                &self.pods,
                now,
                log_index,
                &mut self.schedule_rng,
            );
            self.benign_windows.push(BenignWindow {
                kind: BenignKind::RollingRestart,
                namespace: self.workloads[workload].namespace.clone(),
                workload: self.workloads[workload].name.clone(),
                start: now,
                // About 30 s per replica; corrected when it finishes.
                end: now + TimeDelta::seconds(30 * self.workloads[workload].replicas as i64),
            });
            self.rollouts.push(rollout);
        }
    }

    fn advance_rollouts(&mut self, now: DateTime<Utc>) {
        let mut still_running = Vec::with_capacity(self.rollouts.len());
        for mut rollout in std::mem::take(&mut self.rollouts) {
            let workload = &self.workloads[rollout.workload];
            let done = rollout.advance(
                &mut self.pods,
                workload,
                &self.nodes,
                now,
                &mut self.schedule_rng,
            );
            if done {
                self.benign_windows[rollout.log_index].end = now;
            } else {
                still_running.push(rollout);
            }
        }
        self.rollouts = still_running;
    }

    /// Whether pod `index` may get a `kind` fault starting at `at`.
    fn can_take_fault(
        &self,
        index: usize,
        kind: FaultKind,
        at: DateTime<Utc>,
        first: bool,
    ) -> bool {
        let pod = &self.pods[index];
        let workload = &self.workloads[pod.workload];
        pod.fault.is_none()
            && !pod.terminating
            && pod.lifecycle == Lifecycle::Ready
            && pod.app_unready_until.is_none()
            && pod.fault_free_from <= at
            && (first || at - pod.first_seen >= MIN_TARGET_AGE)
            && supports(kind, workload)
            && !self.workload_is_rolling(pod.workload)
            // One faulty replica per workload, so peers still show what normal is.
            && !self.workload_has_fault(pod.workload)
    }

    fn start_due_faults(&mut self, now: DateTime<Utc>) {
        while self.fault_clock.next_at <= now {
            let at = self.fault_clock.next_at;
            let pending = self.pending_fault.take().unwrap_or_else(|| PendingFault {
                kind: self.fault_deck.draw(&mut self.schedule_rng),
                retries: 0,
                first: false,
            });
            let candidates: Vec<usize> = (0..self.pods.len())
                .filter(|&i| self.can_take_fault(i, pending.kind, at, pending.first))
                .collect();
            if candidates.is_empty() {
                if pending.retries < MAX_FAULT_RETRIES {
                    self.pending_fault = Some(PendingFault {
                        retries: pending.retries + 1,
                        ..pending
                    });
                }
                self.fault_clock.delay_by(FAULT_RETRY_DELAY);
                continue;
            }
            let target = candidates[self.schedule_rng.random_range(0..candidates.len())];
            self.inject_fault(target, pending.kind, at);
            self.fault_clock.schedule_next(&mut self.schedule_rng);
        }
    }

    fn inject_fault(&mut self, target: usize, kind: FaultKind, at: DateTime<Utc>) {
        let pod = &mut self.pods[target];
        let workload = &self.workloads[pod.workload];
        let fault = ActiveFault::plan(
            kind,
            workload,
            at,
            self.fault_windows.len(),
            &mut self.schedule_rng,
        );
        let window = FaultWindow {
            namespace: workload.namespace.clone(),
            pod: pod.name.clone(),
            kind,
            start: fault.start,
            end: fault.planned_end,
        };
        tracing::info!(
            kind = %kind,
            namespace = %window.namespace,
            pod = %window.pod,
            start = %window.start,
            planned_end = %window.end,
            "simulator injected a fault"
        );
        pod.fault = Some(fault);
        self.faults_started_last_tick.push(window.clone());
        self.fault_windows.push(window);
    }
}

/// Load factor of a workload at `at`: daily cycle times any swell in progress.
fn workload_load(
    daily_cycle: &DailyCycle,
    swells: &[LoadSwell],
    workload_index: usize,
    workload: &Workload,
    at: DateTime<Utc>,
) -> f64 {
    let swell: f64 = swells
        .iter()
        .filter(|s| s.workload == workload_index)
        .map(|s| s.factor(at))
        .product();
    daily_cycle.factor(workload.daily_amplitude, at) * swell
}
