//! The benign event log: what the simulator did that is not a fault (`benign.json`).
//!
//! Detectors should stay quiet through these; `generate` writes them beside `labels.json` so
//! false alarms can be counted per kind. Namespace and workload are empty for a cluster-wide
//! event (a weekend).

use super::workload::ProfileScale;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Kinds of benign (unlabelled) events. Serialised in snake_case (`rolling_update`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BenignKind {
    /// `kubectl rollout restart`: every pod replaced, same image.
    RollingRestart,
    /// A workload's load rises smoothly and returns (all replicas together).
    LoadSwell,
    /// A new image version rolled out, same healthy level.
    RollingUpdate,
    /// A new image version rolled out whose healthy level differs: the normal moves for good.
    RollingUpdateNewNormal,
    /// One container killed once by its liveness probe, then healthy again.
    LivenessRestart,
    /// The autoscaler adds replicas while the demand is high (the window runs to the scale-in).
    ScaleOut,
    /// The autoscaler removes the replicas it added.
    ScaleIn,
    /// The pods of a drained node (one entry per workload) evicted and replaced elsewhere.
    NodeDrain,
    /// One run of a CronJob: its pod from creation to deletion.
    CronJobRun,
    /// A weekend's lower load, transitions included (cluster-wide).
    Weekend,
}

impl BenignKind {
    pub const ALL: [BenignKind; 10] = [
        BenignKind::RollingRestart,
        BenignKind::LoadSwell,
        BenignKind::RollingUpdate,
        BenignKind::RollingUpdateNewNormal,
        BenignKind::LivenessRestart,
        BenignKind::ScaleOut,
        BenignKind::ScaleIn,
        BenignKind::NodeDrain,
        BenignKind::CronJobRun,
        BenignKind::Weekend,
    ];
}

/// A benign event the simulator produced: not a fault, detectors should stay quiet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenignWindow {
    pub kind: BenignKind,
    pub namespace: String,
    pub workload: String,
    /// The drained node, for a node drain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// Pods involved, when known: replaced and replacing pods, the restarted pod, added or
    /// removed replicas, evicted pods and their replacements, the CronJob's pod.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pods: Vec<String>,
    /// The new version's healthy level relative to the old one, for a rolling update that
    /// changes the normal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ProfileScale>,
    pub start: DateTime<Utc>,
    /// Planned end while in progress.
    pub end: DateTime<Utc>,
}

impl BenignWindow {
    /// A window of `kind` on one workload, no pods yet.
    pub fn new(
        kind: BenignKind,
        namespace: &str,
        workload: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> BenignWindow {
        BenignWindow {
            kind,
            namespace: namespace.to_string(),
            workload: workload.to_string(),
            node: None,
            pods: Vec::new(),
            change: None,
            start,
            end,
        }
    }
}

/// Windows that start before the data set's last row, ending no later than it.
pub fn clip_benign(windows: &[BenignWindow], last_row_at: DateTime<Utc>) -> Vec<BenignWindow> {
    windows
        .iter()
        .filter(|w| w.start < last_row_at)
        .map(|w| BenignWindow {
            end: w.end.min(last_row_at),
            ..w.clone()
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum BenignLogError {
    #[error("cannot read benign events file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("benign events file {path} is not a JSON array of benign windows: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

/// Reads a `benign.json` (a JSON array of [`BenignWindow`]).
pub fn read_benign(path: &Path) -> Result<Vec<BenignWindow>, BenignLogError> {
    let text = std::fs::read_to_string(path).map_err(|source| BenignLogError::Read {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| BenignLogError::Parse {
        path: path.display().to_string(),
        source,
    })
}

/// Writes `benign.json` atomically, pretty-printed for people.
pub fn write_benign(path: &Path, windows: &[BenignWindow]) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(windows).map_err(std::io::Error::other)?;
    crate::atomic_file::write_atomic(path, &json)
}
