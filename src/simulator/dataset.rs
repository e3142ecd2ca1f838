//! Labelled data sets: runs the simulator over simulated time as fast as the disk allows and
//! writes `pod_metrics.csv`, `labels.json` (the faults) and `benign.json` (the benign events,
//! for counting false alarms per kind).

use super::benign::{clip_benign, write_benign};
use super::cluster::SimulatedCluster;
use super::settings::SimulatorSettings;
use crate::fault_label::{write_labels, FaultWindow};
use crate::metrics_row::CSV_HEADER;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Name of the metrics file inside the output directory.
pub const CSV_FILE_NAME: &str = "pod_metrics.csv";
/// Name of the labels file inside the output directory.
pub const LABELS_FILE_NAME: &str = "labels.json";
/// Name of the benign events file inside the output directory.
pub const BENIGN_FILE_NAME: &str = "benign.json";

/// What to generate: the cluster, and which simulated time span at which step.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    pub settings: SimulatorSettings,
    /// Timestamp of the first rows.
    pub start: DateTime<Utc>,
    /// Rows are produced for `start + k * step < start + duration`.
    pub duration: Duration,
    pub step: Duration,
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateSummary {
    pub rows: u64,
    /// Distinct pods that appear in the CSV (rolling restarts add new ones).
    pub pods_seen: usize,
    /// Fault windows written to the labels file.
    pub faults: usize,
    /// Benign windows written to the benign events file.
    pub benign: usize,
    pub csv_path: PathBuf,
    pub labels_path: PathBuf,
    pub benign_path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid generate options: {0}")]
    InvalidOptions(String),
    #[error("cannot create output directory {path}: {source}")]
    CreateOutputDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create {path}: {source}")]
    CreateCsv {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    WriteCsv {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write labels {path}: {source}")]
    WriteLabels {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write benign events {path}: {source}")]
    WriteBenign {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Bytes buffered before handing a chunk to the writer.
const FLUSH_THRESHOLD: usize = 256 * 1024;

/// Writes `<out_dir>/pod_metrics.csv`, `<out_dir>/labels.json` and `<out_dir>/benign.json`.
/// Only faults and benign events that start before the last row are written, their end clipped
/// to it.
pub fn generate_dataset(
    opts: &GenerateOptions,
    out_dir: &Path,
) -> Result<GenerateSummary, GenerateError> {
    let step = TimeDelta::from_std(opts.step)
        .ok()
        .filter(|step| *step > TimeDelta::zero())
        .ok_or_else(|| GenerateError::InvalidOptions(format!("step {:?}", opts.step)))?;
    let duration = TimeDelta::from_std(opts.duration)
        .map_err(|_| GenerateError::InvalidOptions(format!("duration {:?}", opts.duration)))?;
    let end = opts
        .start
        .checked_add_signed(duration)
        .ok_or_else(|| GenerateError::InvalidOptions("start + duration overflows".into()))?;

    std::fs::create_dir_all(out_dir).map_err(|source| GenerateError::CreateOutputDir {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let csv_path = out_dir.join(CSV_FILE_NAME);
    let labels_path = out_dir.join(LABELS_FILE_NAME);
    let benign_path = out_dir.join(BENIGN_FILE_NAME);
    let file = File::create(&csv_path).map_err(|source| GenerateError::CreateCsv {
        path: csv_path.clone(),
        source,
    })?;
    let write_error = |source| GenerateError::WriteCsv {
        path: csv_path.clone(),
        source,
    };
    let mut writer = BufWriter::new(file);
    let mut buffer = String::with_capacity(FLUSH_THRESHOLD + 4096);
    buffer.push_str(CSV_HEADER);
    buffer.push('\n');

    let mut cluster = SimulatedCluster::new(&opts.settings, opts.start);
    let mut rows = 0u64;
    let mut pods_seen = BTreeSet::new();
    let mut last_tick = None;
    let mut now = opts.start;
    while now < end {
        for row in cluster.tick(now) {
            if !pods_seen.contains(&row.pod) {
                pods_seen.insert(row.pod.clone());
            }
            row.write_csv_line(&mut buffer);
            rows += 1;
        }
        if buffer.len() >= FLUSH_THRESHOLD {
            writer.write_all(buffer.as_bytes()).map_err(write_error)?;
            buffer.clear();
        }
        last_tick = Some(now);
        now += step;
    }
    writer.write_all(buffer.as_bytes()).map_err(write_error)?;
    writer.flush().map_err(write_error)?;

    let labels = last_tick.map_or_else(Vec::new, |last| clip_labels(cluster.fault_windows(), last));
    write_labels(&labels_path, &labels).map_err(|source| GenerateError::WriteLabels {
        path: labels_path.clone(),
        source,
    })?;
    let benign =
        last_tick.map_or_else(Vec::new, |last| clip_benign(cluster.benign_windows(), last));
    write_benign(&benign_path, &benign).map_err(|source| GenerateError::WriteBenign {
        path: benign_path.clone(),
        source,
    })?;
    Ok(GenerateSummary {
        rows,
        pods_seen: pods_seen.len(),
        faults: labels.len(),
        benign: benign.len(),
        csv_path,
        labels_path,
        benign_path,
    })
}

/// Windows that start before the data set's last row, ending no later than it.
pub fn clip_labels(windows: &[FaultWindow], last_row_at: DateTime<Utc>) -> Vec<FaultWindow> {
    windows
        .iter()
        .filter(|w| w.start < last_row_at)
        .map(|w| FaultWindow {
            end: w.end.min(last_row_at),
            ..w.clone()
        })
        .collect()
}
