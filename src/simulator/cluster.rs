//! The simulated cluster: workloads, pods, benign events and the fault schedule, advanced tick by
//! tick.
//!
//! Everything happens at absolute times. A tick first handles every event due by then, in
//! time order (fault starts, rollout steps, evictions, scale steps, CronJob runs, liveness
//! restarts, ...), each one deciding from the cluster's state at its own time; pod lifecycles
//! and fault or restart state machines are functions of absolute time too. So a cluster ticked
//! every 1 s, 5 s or 15 s goes through the same events at the same times; only the sampling
//! (and the per-tick noise) differs.
//!
//! Every random choice comes from a seeded stream of its own — layout, faults, noise, and one
//! per kind of benign event — and each rollout, drain, autoscaler episode and fault draws its
//! timings from a private stream seeded when it starts. So the same settings and tick times
//! always produce the same rows, and the fault schedule does not shift when noise draws or
//! benign events change.
//!
//! Labels stay unambiguous: a fault starts only on a settled pod (Ready, nothing in progress)
//! of a workload that is not being rolled out, drained or autoscaled and has no other fault or
//! liveness restart; benign events that replace, evict or restart pods pick only settled pods
//! of such workloads, so no fault is cut short or overlapped on its pod.

use super::autoscaler::{ScaleEpisode, ScaleStep, SCALE_IN_SETTLE};
use super::benign::{BenignKind, BenignWindow};
use super::cronjob::{build_cronjobs, CronJob};
use super::drain::{DrainStep, NodeDrain};
use super::fault::{supports, ActiveFault};
use super::liveness::LivenessRestart;
use super::load::{DailyCycle, LoadSwell, WeeklyCycle};
use super::node::Nodes;
use super::pod::{ImagePull, Lifecycle, SimPod, Timeline};
use super::rollout::{Rollout, RolloutStep};
use super::schedule::{FaultKindDeck, GapClock, PoissonClock};
use super::settings::{
    SimulatorSettings, CRONJOBS_PER_REFERENCE, LIVENESS_REPEAT_GAP, LIVENESS_RESTART_MEAN_GAP_SECS,
    LOAD_SWELL_MEAN_GAP_SECS, NEW_NORMAL_HIGH, NEW_NORMAL_LOW, NEW_NORMAL_MIN_CHANGE,
    NEW_NORMAL_SHARE, NODE_DRAIN_GAP_SECS, NODE_DRAIN_RETRY, REFERENCE_POD_COUNT,
    ROLLING_RESTART_MEAN_GAP_SECS, ROLLING_UPDATE_MEAN_GAP_SECS, SCALE_EPISODE_MEAN_GAP_SECS,
};
use super::workload::{
    build_workloads, random_replica_set_hash, ProfileScale, Workload, WorkloadKind,
};
use crate::fault_label::{FaultKind, FaultWindow};
use crate::metrics_row::PodMetricsRow;
use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::f64::consts::TAU;

/// A fault target must have been observed this long, so detectors have a history for it.
const MIN_TARGET_AGE: TimeDelta = TimeDelta::minutes(10);

/// Quiet time on a pod after one of its faults (or a liveness restart) ends, before it may get
/// a fault.
const FAULT_COOLDOWN: TimeDelta = TimeDelta::minutes(10);

/// When no pod can take a fault now (all busy), try again this much later.
const FAULT_RETRY_DELAY: TimeDelta = TimeDelta::seconds(30);

/// After this many failed retries a fault kind is given up for the next one of the deck.
const MAX_FAULT_RETRIES: u32 = 20;

/// A liveness restart hits a pod that has run at least this long.
const LIVENESS_MIN_AGE: TimeDelta = TimeDelta::minutes(5);

/// A drain that finds no node to drain for this many retries waits for its next turn.
const MAX_DRAIN_RETRIES: u32 = 120;

/// Seeded random streams, one per process, so draws of one never shift another's.
mod stream {
    pub const LAYOUT: u64 = 0;
    pub const FAULTS: u64 = 1;
    pub const NOISE: u64 = 2;
    pub const SWELLS: u64 = 3;
    pub const RESTARTS: u64 = 4;
    pub const UPDATES: u64 = 5;
    pub const LIVENESS: u64 = 6;
    pub const SCALING: u64 = 7;
    pub const DRAINS: u64 = 8;
    pub const CRONJOBS: u64 = 9;
    pub const CYCLES: u64 = 10;
}

fn rng_stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

#[derive(Debug)]
struct Streams {
    faults: ChaCha8Rng,
    noise: ChaCha8Rng,
    swells: ChaCha8Rng,
    restarts: ChaCha8Rng,
    updates: ChaCha8Rng,
    liveness: ChaCha8Rng,
    scaling: ChaCha8Rng,
    drains: ChaCha8Rng,
    cronjobs: ChaCha8Rng,
}

/// The fault about to be injected, with how often no pod could take it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PendingFault {
    kind: FaultKind,
    retries: u32,
    first: bool,
}

/// Something due at some time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Due {
    Weekend,
    Swell,
    RollingRestart,
    RollingUpdate,
    Rollout(usize),
    ScaleEpisode,
    Scale(usize),
    NodeDrain,
    Drain { drain: usize, queue: usize },
    CronJob(usize),
    Liveness,
    Fault,
}

/// A deterministic simulated Kubernetes cluster.
#[derive(Debug)]
pub struct SimulatedCluster {
    workloads: Vec<Workload>,
    /// Live pods, grouped by workload: the row order.
    pods: Vec<SimPod>,
    nodes: Nodes,
    daily_cycle: DailyCycle,
    weekly_cycle: Option<WeeklyCycle>,
    /// The weekend to log next.
    next_weekend: Option<(DateTime<Utc>, DateTime<Utc>)>,
    swells: Vec<LoadSwell>,
    rollouts: Vec<Rollout>,
    scale_episodes: Vec<ScaleEpisode>,
    drains: Vec<NodeDrain>,
    cronjobs: Vec<CronJob>,
    fault_clock: PoissonClock,
    pending_fault: Option<PendingFault>,
    fault_deck: FaultKindDeck,
    swell_clock: PoissonClock,
    restart_clock: PoissonClock,
    update_clock: PoissonClock,
    liveness_clock: PoissonClock,
    scale_clock: PoissonClock,
    drain_clock: GapClock,
    drain_retries: u32,
    fault_windows: Vec<FaultWindow>,
    faults_started_last_tick: Vec<FaultWindow>,
    benign_windows: Vec<BenignWindow>,
    last_tick: Option<DateTime<Utc>>,
    rngs: Streams,
    /// Per-tick scratch: serving replicas and load factor of each workload.
    serving: Vec<u32>,
    loads: Vec<f64>,
}

impl SimulatedCluster {
    /// Builds the cluster as it is at `start`: every Deployment pod long running and Ready.
    pub fn new(settings: &SimulatorSettings, start: DateTime<Utc>) -> Self {
        let seed = settings.seed;
        let mut layout_rng = rng_stream(seed, stream::LAYOUT);
        let pod_count = settings.pods.max(1);
        let mut workloads = build_workloads(pod_count, &mut layout_rng);
        let nodes = Nodes::new(pod_count.div_ceil(10).max(3));
        let mut pods = Vec::with_capacity(pod_count);
        for (index, workload) in workloads.iter().enumerate() {
            for _ in 0..workload.replicas {
                let name = workload.new_pod_name(&mut layout_rng);
                let node = nodes
                    .name(layout_rng.random_range(0..nodes.len()))
                    .to_string();
                let mut pod = SimPod::new(
                    name,
                    index,
                    node,
                    start,
                    Timeline::up_since(start),
                    &mut layout_rng,
                );
                let running_for = TimeDelta::minutes(layout_rng.random_range(60..30 * 24 * 60));
                pod.timeline = Timeline::up_since(start - running_for);
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
        let mut rngs = Streams {
            faults: rng_stream(seed, stream::FAULTS),
            noise: rng_stream(seed, stream::NOISE),
            swells: rng_stream(seed, stream::SWELLS),
            restarts: rng_stream(seed, stream::RESTARTS),
            updates: rng_stream(seed, stream::UPDATES),
            liveness: rng_stream(seed, stream::LIVENESS),
            scaling: rng_stream(seed, stream::SCALING),
            drains: rng_stream(seed, stream::DRAINS),
            cronjobs: rng_stream(seed, stream::CRONJOBS),
        };
        // Benign events scale with cluster size: a bigger cluster has more of them.
        let size_scale = REFERENCE_POD_COUNT / pod_count as f64;
        let poisson = |mean_gap_secs: f64, rng: &mut ChaCha8Rng| {
            PoissonClock::starting_after(start, mean_gap_secs * size_scale, rng)
        };
        let churn = settings.benign_churn;
        let swell_clock = poisson(LOAD_SWELL_MEAN_GAP_SECS, &mut rngs.swells);
        let restart_clock = poisson(ROLLING_RESTART_MEAN_GAP_SECS, &mut rngs.restarts);
        let (update_clock, liveness_clock, scale_clock, drain_clock) = if churn {
            (
                poisson(ROLLING_UPDATE_MEAN_GAP_SECS, &mut rngs.updates),
                poisson(LIVENESS_RESTART_MEAN_GAP_SECS, &mut rngs.liveness),
                poisson(SCALE_EPISODE_MEAN_GAP_SECS, &mut rngs.scaling),
                GapClock::starting_after(
                    start,
                    (
                        NODE_DRAIN_GAP_SECS.0 * size_scale,
                        NODE_DRAIN_GAP_SECS.1 * size_scale,
                    ),
                    &mut rngs.drains,
                ),
            )
        } else {
            (
                PoissonClock::never(),
                PoissonClock::never(),
                PoissonClock::never(),
                GapClock::never(),
            )
        };
        let mut weekly_cycle = None;
        let mut cronjobs = Vec::new();
        if churn {
            let mut cycles_rng = rng_stream(seed, stream::CYCLES);
            for workload in &mut workloads {
                workload.weekend_dip = cycles_rng.random_range(0.15..0.4);
            }
            weekly_cycle = Some(WeeklyCycle::new(&daily_cycle));
            let wanted = pod_count as f64 / REFERENCE_POD_COUNT * CRONJOBS_PER_REFERENCE;
            let (jobs, schedules) = build_cronjobs(
                (wanted.round() as usize).max(1),
                workloads.len(),
                wanted < 0.5,
                start,
                &mut rngs.cronjobs,
            );
            workloads.extend(jobs);
            cronjobs = schedules;
        }
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
            swell_clock,
            restart_clock,
            update_clock,
            liveness_clock,
            scale_clock,
            drain_clock,
            drain_retries: 0,
            next_weekend: weekly_cycle.as_ref().map(|w| w.weekend_around(start)),
            weekly_cycle,
            workloads,
            pods,
            nodes,
            daily_cycle,
            swells: Vec::new(),
            rollouts: Vec::new(),
            scale_episodes: Vec::new(),
            drains: Vec::new(),
            cronjobs,
            fault_windows: Vec::new(),
            faults_started_last_tick: Vec::new(),
            benign_windows: Vec::new(),
            last_tick: None,
            rngs,
            serving: Vec::new(),
            loads: Vec::new(),
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

        while let Some((at, due)) = self.next_due().filter(|(at, _)| *at <= now) {
            self.handle(due, at);
        }
        self.refresh_loads(now);

        let mut rows = Vec::with_capacity(self.pods.len());
        let noise_rng = &mut self.rngs.noise;
        for pod in &mut self.pods {
            let workload = &self.workloads[pod.workload];
            pod.advance(now, dt_secs, noise_rng);
            let mut fault = pod.fault.take();
            let fault_over = fault
                .as_mut()
                .is_some_and(|f| f.advance(pod, workload, now));
            let mut liveness = pod.liveness.take();
            let liveness_over = liveness
                .as_mut()
                .is_some_and(|restart| restart.advance(pod, now));
            let mut sample = pod.healthy_sample(workload, self.loads[pod.workload], now, noise_rng);
            if let Some(fault) = fault.as_ref().filter(|_| !fault_over) {
                fault.shape(&mut sample, pod, workload, now, noise_rng);
            }
            if let Some(restart) = liveness.as_ref().filter(|_| !liveness_over) {
                restart.shape(&mut sample, workload, now);
            }
            rows.push(pod.render(workload, now, sample));
            if !fault_over {
                pod.fault = fault;
            }
            if !liveness_over {
                pod.liveness = liveness;
            }
        }
        self.pods.retain(|pod| pod.alive_at(now));
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

    /// Benign events so far (not labelled: detectors should ignore them); one in progress is
    /// reported with its planned end.
    pub fn benign_windows(&self) -> &[BenignWindow] {
        &self.benign_windows
    }

    /// The earliest event due, ties going to the first in this order.
    fn next_due(&self) -> Option<(DateTime<Utc>, Due)> {
        let mut best: Option<(DateTime<Utc>, Due)> = None;
        let mut offer = |at: DateTime<Utc>, due: Due| {
            if best.is_none_or(|(earliest, _)| at < earliest) {
                best = Some((at, due));
            }
        };
        if let Some((start, _)) = self.next_weekend {
            offer(start, Due::Weekend);
        }
        offer(self.swell_clock.next_at, Due::Swell);
        offer(self.restart_clock.next_at, Due::RollingRestart);
        offer(self.update_clock.next_at, Due::RollingUpdate);
        for (i, rollout) in self.rollouts.iter().enumerate() {
            offer(rollout.next_at(), Due::Rollout(i));
        }
        offer(self.scale_clock.next_at, Due::ScaleEpisode);
        for (i, episode) in self.scale_episodes.iter().enumerate() {
            offer(episode.next_at(), Due::Scale(i));
        }
        offer(self.drain_clock.next_at, Due::NodeDrain);
        for (drain, d) in self.drains.iter().enumerate() {
            if let Some((at, queue)) = d.next() {
                offer(at, Due::Drain { drain, queue });
            }
        }
        for (i, cronjob) in self.cronjobs.iter().enumerate() {
            offer(cronjob.next_at(), Due::CronJob(i));
        }
        offer(self.liveness_clock.next_at, Due::Liveness);
        offer(self.fault_clock.next_at, Due::Fault);
        best.filter(|(at, _)| *at < DateTime::<Utc>::MAX_UTC)
    }

    fn handle(&mut self, due: Due, at: DateTime<Utc>) {
        match due {
            Due::Weekend => self.log_weekend(),
            Due::Swell => self.start_swell(at),
            Due::RollingRestart => self.start_rollout(at, false),
            Due::RollingUpdate => self.start_rollout(at, true),
            Due::Rollout(i) => self.step_rollout(i, at),
            Due::ScaleEpisode => self.start_scale_episode(at),
            Due::Scale(i) => self.step_scale_episode(i, at),
            Due::NodeDrain => self.start_drain(at),
            Due::Drain { drain, queue } => self.step_drain(drain, queue, at),
            Due::CronJob(i) => self.run_cronjob(i),
            Due::Liveness => self.start_liveness(at),
            Due::Fault => self.start_fault(at),
        }
    }

    /// Load factor of each workload at `now`: daily and weekly cycles times swells, shared by
    /// the Deployment's serving replicas (one short, peers carry more; scaled out, less).
    fn refresh_loads(&mut self, now: DateTime<Utc>) {
        self.serving.clear();
        self.serving.resize(self.workloads.len(), 0);
        for pod in &self.pods {
            if pod.alive_at(now) && pod.lifecycle_at(now) == Lifecycle::Ready {
                self.serving[pod.workload] += 1;
            }
        }
        self.loads.clear();
        for (index, workload) in self.workloads.iter().enumerate() {
            let swell: f64 = self
                .swells
                .iter()
                .filter(|s| s.workload == index)
                .map(|s| s.factor(now))
                .product();
            let weekly = self
                .weekly_cycle
                .as_ref()
                .map_or(1.0, |w| w.factor(workload.weekend_dip, now));
            let share = match workload.kind {
                WorkloadKind::Deployment => {
                    workload.replicas as f64 / f64::from(self.serving[index].max(1))
                }
                WorkloadKind::CronJob => 1.0,
            };
            let daily = self.daily_cycle.factor(workload.daily_amplitude, now);
            self.loads.push(daily * weekly * swell * share);
        }
    }

    /// Workloads a new event must leave alone at `at`: being rolled out, drained or autoscaled,
    /// or with a fault or a liveness restart in progress.
    fn blocked_workloads(&self, at: DateTime<Utc>) -> Vec<bool> {
        let mut blocked = vec![false; self.workloads.len()];
        for pod in &self.pods {
            if pod.fault_active_at(at) || pod.liveness_active_at(at) {
                blocked[pod.workload] = true;
            }
        }
        for rollout in &self.rollouts {
            blocked[rollout.workload] = true;
        }
        for episode in &self.scale_episodes {
            blocked[episode.workload] = true;
        }
        for (index, b) in blocked.iter_mut().enumerate() {
            if self.drains.iter().any(|d| d.holds(index)) {
                *b = true;
            }
        }
        blocked
    }

    /// Every pod of the workload alive at `at` is settled (and there is one).
    fn workload_settled(&self, workload: usize, at: DateTime<Utc>) -> bool {
        let mut any = false;
        for pod in self
            .pods
            .iter()
            .filter(|p| p.workload == workload && p.alive_at(at))
        {
            if !pod.is_settled_at(at) {
                return false;
            }
            any = true;
        }
        any
    }

    /// Deployments free for a rollout or an autoscaler episode at `at`.
    fn free_deployments(&self, at: DateTime<Utc>) -> Vec<usize> {
        let blocked = self.blocked_workloads(at);
        (0..self.workloads.len())
            .filter(|&w| {
                self.workloads[w].kind == WorkloadKind::Deployment
                    && !blocked[w]
                    && self.workload_settled(w, at)
            })
            .collect()
    }

    fn log_weekend(&mut self) {
        let (Some((start, end)), Some(weekly)) = (self.next_weekend, &self.weekly_cycle) else {
            return;
        };
        self.benign_windows
            .push(BenignWindow::new(BenignKind::Weekend, "", "", start, end));
        // A day after this one's end lies safely between two weekends (rounding at the very
        // end could find this one again).
        self.next_weekend = Some(weekly.weekend_around(end + TimeDelta::days(1)));
    }

    fn start_swell(&mut self, at: DateTime<Utc>) {
        self.swell_clock.schedule_next(&mut self.rngs.swells);
        let candidates: Vec<usize> = (0..self.workloads.len())
            .filter(|&w| self.workloads[w].kind == WorkloadKind::Deployment)
            .filter(|&w| !self.swells.iter().any(|s| s.workload == w && s.end > at))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let rng = &mut self.rngs.swells;
        let workload = candidates[rng.random_range(0..candidates.len())];
        let minutes = rng.random_range(10.0..30.0);
        let swell = LoadSwell {
            workload,
            start: at,
            end: at + TimeDelta::seconds((minutes * 60.0) as i64),
            peak: rng.random_range(1.4..2.0),
        };
        let w = &self.workloads[workload];
        self.benign_windows.push(BenignWindow::new(
            BenignKind::LoadSwell,
            &w.namespace,
            &w.name,
            swell.start,
            swell.end,
        ));
        self.swells.push(swell);
    }

    /// A rolling restart (same image) or update (new version, maybe a new normal) of a settled
    /// Deployment.
    fn start_rollout(&mut self, at: DateTime<Utc>, update: bool) {
        if update {
            self.update_clock.schedule_next(&mut self.rngs.updates);
        } else {
            self.restart_clock.schedule_next(&mut self.rngs.restarts);
        }
        let candidates = self.free_deployments(at);
        let rng = if update {
            &mut self.rngs.updates
        } else {
            &mut self.rngs.restarts
        };
        if candidates.is_empty() {
            return;
        }
        let index = candidates[rng.random_range(0..candidates.len())];
        let workload = &mut self.workloads[index];
        workload.replica_set_hash = random_replica_set_hash(rng);
        let mut change = None;
        if update {
            workload.image_version += 1;
            if rng.random_bool(NEW_NORMAL_SHARE) {
                change = draw_new_normal(workload, rng);
            }
        }
        let kind = match (update, change) {
            (false, _) => BenignKind::RollingRestart,
            (true, None) => BenignKind::RollingUpdate,
            (true, Some(_)) => BenignKind::RollingUpdateNewNormal,
        };
        let pull = if update {
            ImagePull::Pull
        } else {
            ImagePull::Present
        };
        let log_index = self.benign_windows.len();
        let rollout = Rollout::begin(index, &self.pods, at, log_index, pull, rng);
        let workload = &self.workloads[index];
        // About 30 s per replica; corrected when it finishes.
        let planned_end = at + TimeDelta::seconds(30 * workload.replicas as i64);
        let mut window =
            BenignWindow::new(kind, &workload.namespace, &workload.name, at, planned_end);
        window.pods = rollout.old_pods().cloned().collect();
        window.change = change;
        self.benign_windows.push(window);
        self.rollouts.push(rollout);
    }

    fn step_rollout(&mut self, i: usize, at: DateTime<Utc>) {
        let rollout = &mut self.rollouts[i];
        let workload = &self.workloads[rollout.workload];
        let log_index = rollout.log_index;
        match rollout.step(at, &mut self.pods, workload, &self.nodes) {
            RolloutStep::Created(pod) => self.benign_windows[log_index].pods.push(pod),
            RolloutStep::Replaced => {}
            RolloutStep::Done => {
                self.benign_windows[log_index].end = at;
                self.rollouts.remove(i);
            }
        }
    }

    fn start_scale_episode(&mut self, at: DateTime<Utc>) {
        self.scale_clock.schedule_next(&mut self.rngs.scaling);
        let candidates: Vec<usize> = self
            .free_deployments(at)
            .into_iter()
            .filter(|&w| self.workloads[w].replicas >= 2)
            .filter(|&w| !self.swells.iter().any(|s| s.workload == w && s.end > at))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let rng = &mut self.rngs.scaling;
        let index = candidates[rng.random_range(0..candidates.len())];
        let workload = &self.workloads[index];
        let log_index = self.benign_windows.len();
        let episode = ScaleEpisode::plan(index, workload, at, log_index, rng);
        self.benign_windows.push(BenignWindow::new(
            BenignKind::ScaleOut,
            &workload.namespace,
            &workload.name,
            at,
            episode.scale_in_at,
        ));
        self.swells.push(episode.demand.clone());
        self.scale_episodes.push(episode);
    }

    fn step_scale_episode(&mut self, i: usize, at: DateTime<Utc>) {
        let episode = &mut self.scale_episodes[i];
        let workload = &self.workloads[episode.workload];
        match episode.step(at, &mut self.pods, workload, &self.nodes) {
            ScaleStep::ScaledOut(pods) => self.benign_windows[episode.log_index].pods = pods,
            ScaleStep::ScaledIn(pods) => {
                let mut window = BenignWindow::new(
                    BenignKind::ScaleIn,
                    &workload.namespace,
                    &workload.name,
                    at,
                    at + SCALE_IN_SETTLE,
                );
                window.pods = pods;
                self.benign_windows.push(window);
            }
            ScaleStep::Over => {
                self.scale_episodes.remove(i);
            }
        }
    }

    /// Drains a node whose pods are all settled Deployment pods of free workloads, when at
    /// least two other nodes can take their replacements.
    fn start_drain(&mut self, at: DateTime<Utc>) {
        let blocked = self.blocked_workloads(at);
        let open: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| self.nodes.schedulable_at(n, at))
            .collect();
        let candidates: Vec<usize> = if open.len() < 3 {
            Vec::new()
        } else {
            open.into_iter()
                .filter(|&n| {
                    let name = self.nodes.name(n);
                    let mut on_node = self
                        .pods
                        .iter()
                        .filter(|p| p.node == name && p.alive_at(at))
                        .peekable();
                    on_node.peek().is_some()
                        && on_node.all(|p| {
                            self.workloads[p.workload].kind == WorkloadKind::Deployment
                                && p.is_settled_at(at)
                                && !blocked[p.workload]
                        })
                })
                .collect()
        };
        if candidates.is_empty() {
            self.drain_retries += 1;
            if self.drain_retries <= MAX_DRAIN_RETRIES {
                self.drain_clock.delay_by(NODE_DRAIN_RETRY);
            } else {
                self.drain_retries = 0;
                self.drain_clock.schedule_next(&mut self.rngs.drains);
            }
            return;
        }
        self.drain_retries = 0;
        self.drain_clock.schedule_next(&mut self.rngs.drains);
        let rng = &mut self.rngs.drains;
        let node_index = candidates[rng.random_range(0..candidates.len())];
        let node = self.nodes.name(node_index).to_string();
        self.nodes.cordon(node_index, at, DateTime::<Utc>::MAX_UTC);
        // One eviction queue per workload, in row order.
        let mut groups: Vec<(usize, usize, Vec<String>)> = Vec::new();
        for pod in self
            .pods
            .iter()
            .filter(|p| p.node == node && p.alive_at(at))
        {
            match groups.iter_mut().find(|(w, _, _)| *w == pod.workload) {
                Some((_, _, names)) => names.push(pod.name.clone()),
                None => groups.push((pod.workload, 0, vec![pod.name.clone()])),
            }
        }
        for (workload, log_index, names) in &mut groups {
            *log_index = self.benign_windows.len();
            let w = &self.workloads[*workload];
            let planned_end = at + TimeDelta::seconds(40 * names.len() as i64);
            let mut window = BenignWindow::new(
                BenignKind::NodeDrain,
                &w.namespace,
                &w.name,
                at,
                planned_end,
            );
            window.node = Some(node.clone());
            window.pods = names.clone();
            self.benign_windows.push(window);
        }
        self.drains.push(NodeDrain::begin(node, at, groups, rng));
    }

    fn step_drain(&mut self, i: usize, queue: usize, at: DateTime<Utc>) {
        let drain = &mut self.drains[i];
        match drain.step(queue, at, &mut self.pods, &self.workloads, &self.nodes) {
            DrainStep::Evicted {
                log_index,
                replacement,
                ..
            } => self.benign_windows[log_index].pods.push(replacement),
            DrainStep::WorkloadDone { log_index } => self.benign_windows[log_index].end = at,
            DrainStep::Waiting => {}
        }
        if drain.is_done() {
            // Maintenance (a kernel update, a reboot) before the node takes pods again.
            let back = at + TimeDelta::seconds(self.rngs.drains.random_range(600..1800));
            self.nodes.uncordon(&drain.node, back);
            self.drains.remove(i);
        }
    }

    fn run_cronjob(&mut self, i: usize) {
        let cronjob = &mut self.cronjobs[i];
        let workload = &self.workloads[cronjob.workload];
        let run = cronjob.run(
            &mut self.pods,
            workload,
            &self.nodes,
            &mut self.rngs.cronjobs,
        );
        let mut window = BenignWindow::new(
            BenignKind::CronJobRun,
            &workload.namespace,
            &workload.name,
            run.start,
            run.removed_at,
        );
        window.pods = vec![run.pod];
        self.benign_windows.push(window);
    }

    fn start_liveness(&mut self, at: DateTime<Utc>) {
        self.liveness_clock.schedule_next(&mut self.rngs.liveness);
        let blocked = self.blocked_workloads(at);
        let candidates: Vec<usize> = (0..self.pods.len())
            .filter(|&i| {
                let pod = &self.pods[i];
                self.workloads[pod.workload].kind == WorkloadKind::Deployment
                    && !blocked[pod.workload]
                    && pod.is_settled_at(at)
                    && pod.liveness_free_from <= at
                    && pod.fault_free_from <= at
                    && at - pod.first_seen >= LIVENESS_MIN_AGE
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        let rng = &mut self.rngs.liveness;
        let pod = &mut self.pods[candidates[rng.random_range(0..candidates.len())]];
        let workload = &self.workloads[pod.workload];
        let restart = LivenessRestart::plan(pod, workload, at, rng);
        pod.liveness_free_from = at + LIVENESS_REPEAT_GAP;
        pod.fault_free_from = pod.fault_free_from.max(restart.end + FAULT_COOLDOWN);
        let mut window = BenignWindow::new(
            BenignKind::LivenessRestart,
            &workload.namespace,
            &workload.name,
            restart.start,
            restart.end,
        );
        window.pods = vec![pod.name.clone()];
        pod.liveness = Some(restart);
        self.benign_windows.push(window);
    }

    /// Whether pod `index` may get a `kind` fault starting at `at`.
    fn can_take_fault(
        &self,
        index: usize,
        kind: FaultKind,
        at: DateTime<Utc>,
        first: bool,
        blocked: &[bool],
    ) -> bool {
        let pod = &self.pods[index];
        let workload = &self.workloads[pod.workload];
        workload.kind == WorkloadKind::Deployment
            && pod.is_settled_at(at)
            && pod.fault_free_from <= at
            && (first || at - pod.first_seen >= MIN_TARGET_AGE)
            && supports(kind, workload, pod.scale.memory)
            // Not being replaced, and one faulty replica per workload, so peers still show
            // what normal is.
            && !blocked[pod.workload]
    }

    fn start_fault(&mut self, at: DateTime<Utc>) {
        let pending = self.pending_fault.take().unwrap_or_else(|| PendingFault {
            kind: self.fault_deck.draw(&mut self.rngs.faults),
            retries: 0,
            first: false,
        });
        let blocked = self.blocked_workloads(at);
        let candidates: Vec<usize> = (0..self.pods.len())
            .filter(|&i| self.can_take_fault(i, pending.kind, at, pending.first, &blocked))
            .collect();
        if candidates.is_empty() {
            if pending.retries < MAX_FAULT_RETRIES {
                self.pending_fault = Some(PendingFault {
                    retries: pending.retries + 1,
                    ..pending
                });
            }
            self.fault_clock.delay_by(FAULT_RETRY_DELAY);
            return;
        }
        let target = candidates[self.rngs.faults.random_range(0..candidates.len())];
        self.inject_fault(target, pending.kind, at);
        self.fault_clock.schedule_next(&mut self.rngs.faults);
    }

    fn inject_fault(&mut self, target: usize, kind: FaultKind, at: DateTime<Utc>) {
        let pod = &mut self.pods[target];
        let workload = &self.workloads[pod.workload];
        let fault = ActiveFault::plan(
            kind,
            workload,
            &pod.scale,
            at,
            self.fault_windows.len(),
            &mut self.rngs.faults,
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
        pod.fault_free_from = fault.planned_end + FAULT_COOLDOWN;
        pod.fault = Some(fault);
        self.faults_started_last_tick.push(window.clone());
        self.fault_windows.push(window);
    }
}

/// Changes `workload`'s template to a version with another healthy level and returns the
/// change relative to the old version, or `None` when the limits leave no room for one. The
/// CPU, the memory, both, or all three (network too) move by ×[`NEW_NORMAL_LOW`] to
/// ×[`NEW_NORMAL_HIGH`], at least ×[`NEW_NORMAL_MIN_CHANGE`] either way; the level stays within
/// ×0.5..×2 of the workload's original profile, and under what the limits allow.
fn draw_new_normal(workload: &mut Workload, rng: &mut ChaCha8Rng) -> Option<ProfileScale> {
    let (max_cpu, max_memory) = workload.max_version_scale();
    let old = workload.template_scale;
    let mut new = old;
    let which = rng.random_range(0..4);
    if which != 1 {
        new.cpu = moved_level(old.cpu, max_cpu, rng);
    }
    if which != 0 {
        new.memory = moved_level(old.memory, max_memory, rng);
    }
    if which == 3 {
        new.network = moved_level(old.network, f64::INFINITY, rng);
    }
    let change = ProfileScale {
        cpu: new.cpu / old.cpu,
        memory: new.memory / old.memory,
        network: new.network / old.network,
    };
    let noticeable = |f: f64| (f.ln()).abs() >= 0.05;
    if !(noticeable(change.cpu) || noticeable(change.memory) || noticeable(change.network)) {
        return None;
    }
    workload.template_scale = new;
    Some(change)
}

/// A level `current` (relative to the original profile) moved up or down by a new version, at
/// most to `max` (and ×2), at least to ×0.5; unchanged when neither way has room.
fn moved_level(current: f64, max: f64, rng: &mut ChaCha8Rng) -> f64 {
    let max = max.min(2.0);
    let can_rise = current * NEW_NORMAL_MIN_CHANGE <= max;
    let can_fall = current / NEW_NORMAL_MIN_CHANGE >= 0.5;
    let rise = match (can_rise, can_fall) {
        (false, false) => return current,
        (true, false) => true,
        (false, true) => false,
        (true, true) => rng.random_bool(0.5),
    };
    let low = NEW_NORMAL_MIN_CHANGE.ln();
    let factor = if rise {
        rng.random_range(low..NEW_NORMAL_HIGH.ln()).exp()
    } else {
        (-rng.random_range(low..(1.0 / NEW_NORMAL_LOW).ln())).exp()
    };
    (current * factor).clamp(0.5, max.max(0.5))
}
