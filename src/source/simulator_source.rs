//! The simulated cluster as a live metrics source (the default, for running without a cluster).

use super::{Collection, MetricsSource};
use crate::settings::SimulatorSection;
use crate::simulator::{SimulatedCluster, SimulatorSettings};
use chrono::{DateTime, Utc};

/// The simulator as configured in `[simulator]`.
pub fn simulator_settings(section: &SimulatorSection) -> SimulatorSettings {
    SimulatorSettings {
        pods: section.pods,
        seed: section.seed,
        first_fault_after: section.first_fault_after,
        mean_time_between_faults: section.mean_time_between_faults,
        ..SimulatorSettings::default()
    }
}

pub struct SimulatorSource {
    cluster: SimulatedCluster,
}

impl SimulatorSource {
    pub fn new(settings: &SimulatorSettings, start: DateTime<Utc>) -> SimulatorSource {
        SimulatorSource {
            cluster: SimulatedCluster::new(settings, start),
        }
    }
}

impl MetricsSource for SimulatorSource {
    fn name(&self) -> &'static str {
        "simulator"
    }

    fn collect(&mut self, now: DateTime<Utc>) -> Collection<'_> {
        let rows = self.cluster.tick(now);
        for f in self.cluster.faults_started_last_tick() {
            tracing::info!(
                namespace = %f.namespace,
                pod = %f.pod,
                kind = %f.kind,
                until = %f.end,
                "simulator injected a fault"
            );
        }
        Box::pin(std::future::ready(Ok(rows)))
    }
}
