//! What kind of anomaly a score points at, and how bad it is.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kind of fault the evidence points at. The first seven match the simulator's fault kinds
/// ([`crate::fault_label::FaultKind`]) by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyType {
    MemoryLeak,
    CpuSaturation,
    CrashLoop,
    NetworkErrors,
    TrafficDrop,
    ReadinessFlapping,
    LevelShift,
    /// Killed for memory without a preceding leak trend.
    OomKilled,
    /// A container restarted with no rollout to explain it.
    ContainerRestart,
    ImagePullError,
    ContainerConfigError,
    /// Stuck in Pending (unschedulable, waiting for volumes, …).
    Pending,
    /// Running but not ready for a long time.
    NotReady,
    /// Traffic far above the pod's normal and its siblings'.
    TrafficSurge,
}

impl AnomalyType {
    pub const ALL: [AnomalyType; 14] = [
        AnomalyType::MemoryLeak,
        AnomalyType::CpuSaturation,
        AnomalyType::CrashLoop,
        AnomalyType::NetworkErrors,
        AnomalyType::TrafficDrop,
        AnomalyType::ReadinessFlapping,
        AnomalyType::LevelShift,
        AnomalyType::OomKilled,
        AnomalyType::ContainerRestart,
        AnomalyType::ImagePullError,
        AnomalyType::ContainerConfigError,
        AnomalyType::Pending,
        AnomalyType::NotReady,
        AnomalyType::TrafficSurge,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyType::MemoryLeak => "memory_leak",
            AnomalyType::CpuSaturation => "cpu_saturation",
            AnomalyType::CrashLoop => "crash_loop",
            AnomalyType::NetworkErrors => "network_errors",
            AnomalyType::TrafficDrop => "traffic_drop",
            AnomalyType::ReadinessFlapping => "readiness_flapping",
            AnomalyType::LevelShift => "level_shift",
            AnomalyType::OomKilled => "oom_killed",
            AnomalyType::ContainerRestart => "container_restart",
            AnomalyType::ImagePullError => "image_pull_error",
            AnomalyType::ContainerConfigError => "container_config_error",
            AnomalyType::Pending => "pending",
            AnomalyType::NotReady => "not_ready",
            AnomalyType::TrafficSurge => "traffic_surge",
        }
    }
}

impl fmt::Display for AnomalyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Below the alert threshold.
    Info,
    Warning,
    /// The pod is failing now (crash loop, OOM kill) or the evidence is overwhelming.
    Critical,
}

#[cfg(test)]
mod tests {
    use super::AnomalyType;
    use crate::fault_label::FaultKind;

    /// `eval` compares detected types with labelled fault kinds by name.
    #[test]
    fn the_fault_kinds_have_the_same_names_as_their_anomaly_types() {
        let pairs = [
            (FaultKind::MemoryLeak, AnomalyType::MemoryLeak),
            (FaultKind::CpuSaturation, AnomalyType::CpuSaturation),
            (FaultKind::CrashLoop, AnomalyType::CrashLoop),
            (FaultKind::NetworkErrors, AnomalyType::NetworkErrors),
            (FaultKind::TrafficDrop, AnomalyType::TrafficDrop),
            (FaultKind::ReadinessFlapping, AnomalyType::ReadinessFlapping),
            (FaultKind::LevelShift, AnomalyType::LevelShift),
        ];
        assert_eq!(pairs.len(), FaultKind::ALL.len());
        for (kind, anomaly) in pairs {
            assert_eq!(kind.as_str(), anomaly.as_str());
            let json = serde_json::to_string(&anomaly).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
        }
    }
}
