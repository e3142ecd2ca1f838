//! Labelled fault windows: what the simulator injected, where and when (`labels.json`).
//!
//! `generate` writes them beside the CSV; `eval` scores detections against them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// The kinds of fault the simulator injects. Serialised in snake_case (`memory_leak`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Memory grows steadily until the container is OOMKilled.
    MemoryLeak,
    /// CPU pinned at its limit (throttled).
    CpuSaturation,
    /// The container keeps crashing: CrashLoopBackOff, restarts climbing.
    CrashLoop,
    /// Network receive/transmit errors.
    NetworkErrors,
    /// Traffic (network and CPU) collapses while the pod stays up.
    TrafficDrop,
    /// The readiness probe fails on and off.
    ReadinessFlapping,
    /// Resource usage steps to a new level after a rollout.
    LevelShift,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::MemoryLeak,
        FaultKind::CpuSaturation,
        FaultKind::CrashLoop,
        FaultKind::NetworkErrors,
        FaultKind::TrafficDrop,
        FaultKind::ReadinessFlapping,
        FaultKind::LevelShift,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::MemoryLeak => "memory_leak",
            FaultKind::CpuSaturation => "cpu_saturation",
            FaultKind::CrashLoop => "crash_loop",
            FaultKind::NetworkErrors => "network_errors",
            FaultKind::TrafficDrop => "traffic_drop",
            FaultKind::ReadinessFlapping => "readiness_flapping",
            FaultKind::LevelShift => "level_shift",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One injected fault: `[start, end]` inclusive, on one pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultWindow {
    pub namespace: String,
    pub pod: String,
    pub kind: FaultKind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error("cannot read labels file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("labels file {path} is not a JSON array of fault windows: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

/// Reads a `labels.json` (a JSON array of [`FaultWindow`]).
pub fn read_labels(path: &Path) -> Result<Vec<FaultWindow>, LabelsError> {
    let text = std::fs::read_to_string(path).map_err(|source| LabelsError::Read {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| LabelsError::Parse {
        path: path.display().to_string(),
        source,
    })
}

/// Writes `labels.json` atomically, pretty-printed for people.
pub fn write_labels(path: &Path, labels: &[FaultWindow]) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(labels).map_err(std::io::Error::other)?;
    crate::atomic_file::write_atomic(path, &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_snake_case() {
        let w = FaultWindow {
            namespace: "shop".into(),
            pod: "cart-abc".into(),
            kind: FaultKind::MemoryLeak,
            start: "2026-01-01T00:00:00Z".parse().unwrap(),
            end: "2026-01-01T00:10:00Z".parse().unwrap(),
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("labels.json");
        write_labels(&p, std::slice::from_ref(&w)).unwrap();
        assert!(std::fs::read_to_string(&p)
            .unwrap()
            .contains("\"memory_leak\""));
        assert_eq!(read_labels(&p).unwrap(), vec![w]);
    }
}
