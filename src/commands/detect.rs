//! `k8s-monitor detect`: scores a CSV offline with the daemon's own pipeline.
//!
//! Causal and deterministic: rows are scored in file order, a timestamp at a time. The rows of
//! one timestamp are one observation of the cluster and are compared with each other (sibling
//! replicas); each is compared with the history of earlier timestamps only. So the scores of a
//! timestamp never change when rows of later timestamps are added. The output appears only
//! when complete (written to a temporary file and renamed).

use crate::atomic_file::AtomicFile;
use crate::cli::{DetectArgs, DetectFormat};
use crate::csv_input::{IngestStats, Layout, RowParser};
use crate::eval::{ScoreRow, ScoreWriter};
use crate::metrics_row::{PodMetricsRow, PodPhase};
use crate::pipeline::ScoringPipeline;
use crate::settings::{self, Overrides, Settings};
use anyhow::{bail, Context};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

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
        ..Overrides::default()
    };
    let settings = settings::load(&path, explicit, &env, &overrides)?;
    let summary = match args.format {
        DetectFormat::Canonical => {
            detect_canonical(&settings, &args.input, &args.output, &args.legacy_namespace)?
        }
        DetectFormat::Nab => detect_nab(&settings, &args.input, &args.output)?,
    };
    eprintln!(
        "scored {} rows ({} anomalous), skipped {} bad rows{}; wrote {}",
        summary.rows_scored,
        summary.anomalous_rows,
        summary.stats.rows_skipped,
        if summary.stats.rows_skipped > 0 {
            format!(" {:?}", summary.stats.skipped_by_reason)
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
        let result = parser.parse(i as u64 + 2, &line);
        summary.stats.record(&result);
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

/// Scores one NAB series (`timestamp,value`) into `timestamp,value,anomaly_score`.
///
/// The value is fed to the pipeline as the CPU of one pod with no siblings; the series is
/// learned online from its first row, without look-ahead and without the labels.
pub fn detect_nab(
    settings: &Settings,
    input: &Path,
    output: &Path,
) -> anyhow::Result<DetectSummary> {
    let label = input.display().to_string();
    let (header, lines) = open_with_header(input)?;
    if header.trim() != "timestamp,value" {
        bail!("{label}:1: expected the NAB header `timestamp,value`, found {header:?}");
    }
    let mut settings = settings.clone();
    // A series is one pod that never goes away, whatever the gaps between its samples.
    settings.dataset_generator.evict_after = std::time::Duration::from_secs(10 * 365 * 86_400);
    let mut pipeline = ScoringPipeline::from_settings(&settings);
    let pod = input
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "series".to_string());
    let mut out =
        AtomicFile::create(output).with_context(|| format!("creating {}", output.display()))?;
    writeln!(out, "timestamp,value,anomaly_score")?;
    let mut summary = DetectSummary::default();
    let mut last: Option<DateTime<Utc>> = None;
    for (i, line) in lines.enumerate() {
        let line = line?;
        let no = i + 2;
        let Some((ts_text, value_text)) = line.split_once(',') else {
            bail!("{label}:{no}: expected two fields `timestamp,value`, found {line:?}");
        };
        let ts = NaiveDateTime::parse_from_str(ts_text.trim(), "%Y-%m-%d %H:%M:%S")
            .with_context(|| {
                format!("{label}:{no}: field timestamp: {ts_text:?} is not YYYY-MM-DD HH:MM:SS")
            })?
            .and_utc();
        let value: f64 = value_text
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .with_context(|| {
                format!("{label}:{no}: field value: {value_text:?} is not a finite number")
            })?;
        // Repeated timestamps (daylight-saving changes) still need distinct ticks.
        let ts = match last {
            Some(prev) if ts <= prev => prev + chrono::Duration::seconds(1),
            _ => ts,
        };
        last = Some(ts);
        let mut row = PodMetricsRow::empty(ts, "nab", &pod);
        row.phase = Some(PodPhase::Running);
        row.cpu_millicores = Some(value.max(0.0));
        let (scores, _) = pipeline.score_rows(std::slice::from_ref(&row))?;
        let score = scores.first().map_or(0.0, |s| s.anomaly_probability);
        summary.rows_scored += 1;
        summary.anomalous_rows += (score >= settings.anomaly_model.alert_threshold) as u64;
        writeln!(out, "{},{},{score:.4}", ts_text.trim(), value_text.trim())?;
    }
    out.commit()
        .with_context(|| format!("writing {}", output.display()))?;
    Ok(summary)
}

/// The header line of a file and an iterator over the rest.
fn open_with_header(
    path: &Path,
) -> anyhow::Result<(String, impl Iterator<Item = std::io::Result<String>>)> {
    let mut lines = open_lines(path)?;
    let header = lines
        .next()
        .transpose()?
        .with_context(|| format!("{} is empty: expected a header line", path.display()))?;
    Ok((header, lines))
}

/// Lines of a file; invalid UTF-8 is replaced (the parser then rejects that row by field).
fn open_lines(path: &Path) -> anyhow::Result<impl Iterator<Item = std::io::Result<String>>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut reader = BufReader::new(file);
    Ok(std::iter::from_fn(move || {
        let mut buf = Vec::new();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    buf.pop();
                }
                Some(Ok(String::from_utf8_lossy(&buf).into_owned()))
            }
            Err(e) => Some(Err(e)),
        }
    }))
}
