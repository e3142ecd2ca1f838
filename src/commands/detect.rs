//! `k8s-monitor detect`: scores a CSV offline with the daemon's own pipeline.
//!
//! Causal and deterministic: rows are scored in file order, a timestamp at a time. The rows of
//! one timestamp are one observation of the cluster and are compared with each other (sibling
//! replicas); each is compared with the history of earlier timestamps only. So the scores of a
//! timestamp never change when rows of later timestamps are added. The output appears only
//! when complete (written to a temporary file and renamed).
//!
//! `--format nab` scores single series (`timestamp,value`), a file or a directory of them at a
//! time, through the same pipeline: each series is one signal of one pod
//! ([`crate::eval::nab::as_pod`]).

use crate::atomic_file::AtomicFile;
use crate::cli::{DetectArgs, DetectFormat};
use crate::csv_input::{lossy_lines, IngestStats, Layout, RowParser};
use crate::eval::nab::as_pod::{pod_of, pod_row, OneAlertPerEvent};
use crate::eval::nab::{read_series, write_results};
use crate::eval::{ScoreRow, ScoreWriter};
use crate::metrics_row::PodMetricsRow;
use crate::pipeline::ScoringPipeline;
use crate::settings::{self, Overrides, Settings};
use anyhow::{bail, Context};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Rows scored per pipeline call; chunks end on a tick boundary.
const CHUNK_ROWS: usize = 20_000;
const BAD_ROWS_LOGGED: u64 = 20;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct DetectSummary {
    pub rows_scored: u64,
    pub anomalous_rows: u64,
    pub stats: IngestStats,
}

pub fn run(args: &DetectArgs) -> anyhow::Result<()> {
    let (path, explicit) = args.config.path();
    let env: HashMap<String, String> = std::env::vars().collect();
    let overrides = Overrides {
        alert_threshold: args.alert_threshold,
        detector: args.detector.map(|d| d.as_str().to_string()),
        ..Overrides::default()
    };
    let settings = settings::load(&path, explicit, &env, &overrides)?;
    if args.format == DetectFormat::Nab {
        let s = detect_nab(&settings, &args.input, &args.output)?;
        eprintln!(
            "scored {} rows in {} file(s) ({} alerts); wrote {}",
            s.rows,
            s.files,
            s.alerts,
            args.output.display()
        );
        return Ok(());
    }
    let summary = detect_canonical(&settings, &args.input, &args.output, &args.legacy_namespace)?;
    eprintln!(
        "scored {} rows ({} anomalous), skipped {} bad rows{}{}; wrote {}",
        summary.rows_scored,
        summary.anomalous_rows,
        summary.stats.rows_skipped,
        if summary.stats.rows_skipped > 0 {
            format!(" {:?}", summary.stats.skipped_by_reason)
        } else {
            String::new()
        },
        if summary.stats.fields_emptied > 0 {
            format!(
                ", read {} fields as empty {:?}",
                summary.stats.fields_emptied, summary.stats.emptied_by_reason
            )
        } else {
            String::new()
        },
        args.output.display()
    );
    Ok(())
}

/// Scores a canonical (or original-system) metrics CSV into a scores CSV.
pub fn detect_canonical(
    settings: &Settings,
    input: &Path,
    output: &Path,
    legacy_namespace: &str,
) -> anyhow::Result<DetectSummary> {
    let label = input.display().to_string();
    let (header, lines) = open_with_header(input)?;
    let layout = Layout::detect(&label, &header, legacy_namespace)?;
    let mut parser = RowParser::new(label.clone(), layout);
    let mut pipeline = ScoringPipeline::from_settings(settings);
    let out =
        AtomicFile::create(output).with_context(|| format!("creating {}", output.display()))?;
    let mut writer = ScoreWriter::new(out);
    let mut summary = DetectSummary::default();
    let mut chunk: Vec<PodMetricsRow> = Vec::with_capacity(CHUNK_ROWS);
    for (i, line) in lines.enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i as u64 + 2;
        let result = parser.parse(line_no, &line);
        summary.stats.record(&result);
        for e in parser.emptied() {
            summary.stats.record_emptied(std::slice::from_ref(e));
            if summary.stats.fields_emptied <= BAD_ROWS_LOGGED {
                tracing::warn!(
                    "{}:{line_no}: {e}; the field is read as empty, the row kept",
                    input.display()
                );
            }
        }
        match result {
            Ok(row) => {
                if chunk.len() >= CHUNK_ROWS
                    && chunk.last().is_some_and(|l| l.timestamp != row.timestamp)
                {
                    score_chunk(&mut pipeline, &mut chunk, &mut writer, &mut summary)?;
                }
                chunk.push(row);
            }
            Err(e) => {
                if summary.stats.rows_skipped <= BAD_ROWS_LOGGED {
                    tracing::warn!("skipping bad row: {e}");
                }
            }
        }
    }
    score_chunk(&mut pipeline, &mut chunk, &mut writer, &mut summary)?;
    writer
        .finish()?
        .commit()
        .with_context(|| format!("writing {}", output.display()))?;
    Ok(summary)
}

fn score_chunk(
    pipeline: &mut ScoringPipeline,
    chunk: &mut Vec<PodMetricsRow>,
    writer: &mut ScoreWriter<AtomicFile>,
    summary: &mut DetectSummary,
) -> anyhow::Result<()> {
    let (scores, _) = pipeline.score_rows(chunk)?;
    for s in scores {
        summary.rows_scored += 1;
        summary.anomalous_rows += s.is_anomaly as u64;
        writer.write(&ScoreRow {
            timestamp: s.timestamp,
            namespace: s.namespace,
            pod: s.pod,
            anomaly_probability: s.anomaly_probability,
            is_anomaly: s.is_anomaly,
            anomaly_type: s.anomaly_type.map(|t| t.as_str().to_string()),
        })?;
    }
    chunk.clear();
    Ok(())
}

/// What `detect --format nab` did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct NabSummary {
    pub files: usize,
    pub rows: usize,
    /// Rows at or above the detector's firing level.
    pub alerts: usize,
}

/// Scores one NAB series file, or every `*.csv` below a directory into the same relative path
/// under `output`, through the daemon's pipeline: each file is one signal of its own pod,
/// learned from its first row, without look-ahead (see [`crate::eval::nab::as_pod`]).
pub fn detect_nab(settings: &Settings, input: &Path, output: &Path) -> anyhow::Result<NabSummary> {
    let jobs: Vec<(PathBuf, PathBuf, String)> = if input.is_dir() {
        let files = csv_files_below(input)?;
        if files.is_empty() {
            bail!("{}: no *.csv file below this directory", input.display());
        }
        files
            .into_iter()
            .map(|rel| {
                let name = rel.to_string_lossy().replace('\\', "/");
                (input.join(&rel), output.join(rel), name)
            })
            .collect()
    } else {
        let name = input
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        vec![(input.to_path_buf(), output.to_path_buf(), name)]
    };
    // One pipeline for every file: each file is its own pod, and pods share nothing.
    let mut pipeline = ScoringPipeline::from_settings(settings);
    let threshold = settings.anomaly_model.alert_threshold;
    let reference_step = crate::pipeline::signal_settings(settings).reference_step;
    let mut summary = NabSummary::default();
    for (from, to, name) in jobs {
        let rows = read_series(&from)?;
        let (namespace, pod) = pod_of(&name);
        let mut one_alert = OneAlertPerEvent::new(threshold, reference_step);
        let mut scores = Vec::with_capacity(rows.len());
        for row in &rows {
            // Each row its own tick: repeated timestamps stay distinct samples.
            let (scored, _) = pipeline.score_rows(&[pod_row(&namespace, &pod, row)])?;
            let p = scored.first().map_or(0.0, |s| s.anomaly_probability);
            let seconds = row.at.timestamp_millis() as f64 / 1000.0;
            scores.push(one_alert.report(seconds, p));
        }
        write_results(&to, &rows, &scores)?;
        summary.files += 1;
        summary.rows += rows.len();
        summary.alerts += scores.iter().filter(|s| **s >= threshold).count();
    }
    Ok(summary)
}

/// Paths of the `*.csv` files below `dir`, relative to it, sorted (a stable order).
fn csv_files_below(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let entries = std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("listing {}", d.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "csv") {
                found.push(path.strip_prefix(dir).unwrap_or(&path).to_path_buf());
            }
        }
    }
    found.sort();
    Ok(found)
}

/// The header line of a file and an iterator over the rest.
fn open_with_header(
    path: &Path,
) -> anyhow::Result<(String, impl Iterator<Item = std::io::Result<String>>)> {
    let mut lines = lossy_lines(path).with_context(|| format!("opening {}", path.display()))?;
    let header = lines
        .next()
        .transpose()?
        .with_context(|| format!("{} is empty: expected a header line", path.display()))?;
    Ok((header, lines))
}
