//! Knobs of the simulated cluster: size, seed and how often faults arrive.

use crate::fault_label::FaultKind;
use std::time::Duration;

/// The cluster size the benign event rates below are quoted for; rates scale linearly with size.
pub(crate) const REFERENCE_POD_COUNT: f64 = 50.0;

/// Mean gap between rolling restarts cluster-wide, for [`REFERENCE_POD_COUNT`] pods.
pub(crate) const ROLLING_RESTART_MEAN_GAP_SECS: f64 = 40.0 * 60.0;

/// Mean gap between load swells cluster-wide, for [`REFERENCE_POD_COUNT`] pods.
pub(crate) const LOAD_SWELL_MEAN_GAP_SECS: f64 = 30.0 * 60.0;

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
}

impl Default for SimulatorSettings {
    /// 50 pods, seed 42, a crash loop after 20 s, then a fault every 5 min on average: about 24
    /// faults in two hours.
    fn default() -> Self {
        SimulatorSettings {
            pods: 50,
            seed: 42,
            first_fault_after: Duration::from_secs(20),
            first_fault_kind: FaultKind::CrashLoop,
            mean_time_between_faults: Duration::from_secs(5 * 60),
        }
    }
}
