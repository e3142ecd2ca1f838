//! Reading a whole metrics CSV into memory (training and other offline work): the same layout
//! detection and row validation as the daemon; bad rows are skipped and counted.

use super::{IngestStats, Layout, RowParser};
use crate::metrics_row::PodMetricsRow;
use std::io::BufRead;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ReadCsvError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is empty: expected a header line")]
    Empty { path: String },
    #[error(transparent)]
    Layout(#[from] super::DetectLayoutError),
}

/// Every valid row of `path`, in file order, and what was skipped.
pub fn read_all_rows(
    path: &Path,
    legacy_namespace: &str,
) -> Result<(Vec<PodMetricsRow>, IngestStats), ReadCsvError> {
    let label = path.display().to_string();
    let io = |source| ReadCsvError::Io {
        path: label.clone(),
        source,
    };
    let mut reader = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let mut buf = Vec::new();
    let mut next_line =
        |reader: &mut std::io::BufReader<std::fs::File>| -> Result<Option<String>, ReadCsvError> {
            buf.clear();
            if reader.read_until(b'\n', &mut buf).map_err(io)? == 0 {
                return Ok(None);
            }
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
        };
    let header = next_line(&mut reader)?.ok_or_else(|| ReadCsvError::Empty {
        path: label.clone(),
    })?;
    let layout = Layout::detect(&label, &header, legacy_namespace)?;
    let mut parser = RowParser::new(label.clone(), layout);
    let mut stats = IngestStats::default();
    let mut rows = Vec::new();
    let mut line_no = 1u64;
    while let Some(line) = next_line(&mut reader)? {
        line_no += 1;
        if line.trim().is_empty() {
            continue;
        }
        let result = parser.parse(line_no, &line);
        stats.record(&result);
        if let Ok(row) = result {
            rows.push(row);
        }
    }
    Ok((rows, stats))
}
