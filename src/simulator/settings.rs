//! Knobs of the simulated cluster: size, seed, how often faults arrive, and the rates of the
//! benign events.
//!
//! Benign rates are quoted for [`REFERENCE_POD_COUNT`] pods and scale linearly with the
//! cluster's size (a mean gap shrinks as the cluster grows). They are benign-heavy on purpose:
//! per 50 pods and hour about 1.5 rolling restarts, 2 rolling updates (half of them changing
//! the workload's normal), 3 liveness restarts, 1 autoscaler episode (a scale-out and its
//! scale-in: 2 scale events), 2 load swells, a CronJob pod every 10-15 minutes, and a node drain
//! every 3-4 hours.

use crate::fault_label::FaultKind;
use chrono::TimeDelta;
use std::time::Duration;

/// The cluster size the benign event rates below are quoted for; rates scale linearly with size.
pub(crate) const REFERENCE_POD_COUNT: f64 = 50.0;

/// Mean gap between rolling restarts cluster-wide, for [`REFERENCE_POD_COUNT`] pods.
pub(crate) const ROLLING_RESTART_MEAN_GAP_SECS: f64 = 40.0 * 60.0;

/// Mean gap between load swells cluster-wide, for [`REFERENCE_POD_COUNT`] pods.
pub(crate) const LOAD_SWELL_MEAN_GAP_SECS: f64 = 30.0 * 60.0;

/// Mean gap between rolling updates (new image versions) cluster-wide, for
/// [`REFERENCE_POD_COUNT`] pods: about 2 an hour.
pub(crate) const ROLLING_UPDATE_MEAN_GAP_SECS: f64 = 30.0 * 60.0;

/// Share of rolling updates whose version has another healthy level (the normal moves).
pub(crate) const NEW_NORMAL_SHARE: f64 = 0.5;

/// Range of a new version's level relative to the old one, per changed metric (CPU, memory,
/// network): each moves by at least 15 %, within ×0.6..×1.7, and never so high that the benign
/// peak comes near the limits.
pub(crate) const NEW_NORMAL_LOW: f64 = 0.6;
pub(crate) const NEW_NORMAL_HIGH: f64 = 1.7;
pub(crate) const NEW_NORMAL_MIN_CHANGE: f64 = 1.15;

/// Mean gap between liveness-probe restarts cluster-wide, for [`REFERENCE_POD_COUNT`] pods:
/// about 3 an hour.
pub(crate) const LIVENESS_RESTART_MEAN_GAP_SECS: f64 = 20.0 * 60.0;

/// No second liveness restart on the same pod within this time: a repeated one would be a
/// real problem.
pub(crate) const LIVENESS_REPEAT_GAP: TimeDelta = TimeDelta::minutes(60);

/// Mean gap between autoscaler episodes (a scale-out, then its scale-in) cluster-wide, for
/// [`REFERENCE_POD_COUNT`] pods: about one an hour, two scale events.
pub(crate) const SCALE_EPISODE_MEAN_GAP_SECS: f64 = 60.0 * 60.0;

/// Gap between node drains cluster-wide, for [`REFERENCE_POD_COUNT`] pods: drawn uniformly in
/// this range (maintenance is planned, not random arrivals).
pub(crate) const NODE_DRAIN_GAP_SECS: (f64, f64) = (3.0 * 3600.0, 4.0 * 3600.0);

/// When no node can be drained now (its pods busy), try again this much later.
pub(crate) const NODE_DRAIN_RETRY: TimeDelta = TimeDelta::seconds(60);

/// CronJobs per [`REFERENCE_POD_COUNT`] pods (at least one per cluster); each runs every 20 or
/// 30 minutes, so 50 pods see a CronJob pod every 10-15 minutes.
pub(crate) const CRONJOBS_PER_REFERENCE: f64 = 2.0;

/// How the simulated cluster is built and how often it misbehaves.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorSettings {
    /// Number of pods (approximately: whole workloads are built, the last one absorbs the rest).
    pub pods: usize,
    /// Seed of every random choice: same seed and same tick times give identical rows.
    pub seed: u64,
    /// Delay from the start until the first fault, so a live demo shows one quickly.
    pub first_fault_after: Duration,
    /// Kind of the first fault.
    pub first_fault_kind: FaultKind,
    /// Cluster-wide mean gap between fault starts after the first one (Poisson arrivals).
    pub mean_time_between_faults: Duration,
    /// The benign churn of a real cluster: rolling updates (some changing the normal),
    /// liveness restarts, autoscaling, node drains, CronJob pods and the weekly cycle. Off, the
    /// cluster has only its daily cycle, rolling restarts and load swells.
    pub benign_churn: bool,
}

impl Default for SimulatorSettings {
    /// 50 pods, seed 42, a crash loop after 20 s, then a fault every 5 min on average: about 24
    /// faults in two hours; benign churn on.
    fn default() -> Self {
        SimulatorSettings {
            pods: 50,
            seed: 42,
            first_fault_after: Duration::from_secs(20),
            first_fault_kind: FaultKind::CrashLoop,
            mean_time_between_faults: Duration::from_secs(5 * 60),
            benign_churn: true,
        }
    }
}
