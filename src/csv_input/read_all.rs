//! Reading a whole metrics CSV into memory (training and other offline work): the same layout
//! detection and row validation as the daemon; bad rows are skipped and counted.

use super::{IngestStats, Layout, RowParser};
use crate::metrics_row::PodMetricsRow;
use std::io::{BufRead, BufReader};
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
    let mut lines = lossy_lines(path).map_err(io)?;
    let header = lines
        .next()
        .transpose()
        .map_err(io)?
        .ok_or_else(|| ReadCsvError::Empty {
            path: label.clone(),
        })?;
    let layout = Layout::detect(&label, &header, legacy_namespace)?;
    let mut parser = RowParser::new(label.clone(), layout);
    let mut stats = IngestStats::default();
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let line = line.map_err(io)?;
        let line_no = i as u64 + 2;
        if line.trim().is_empty() {
            continue;
        }
        let result = parser.parse(line_no, &line);
        stats.record(&result);
        stats.record_emptied(parser.emptied());
        if let Ok(row) = result {
            rows.push(row);
        }
    }
    Ok((rows, stats))
}

/// The lines of a file without their line ends; invalid UTF-8 is replaced, so the row parser
/// rejects that row by field instead of the whole file failing.
pub fn lossy_lines(path: &Path) -> std::io::Result<impl Iterator<Item = std::io::Result<String>>> {
    let mut reader = BufReader::new(std::fs::File::open(path)?);
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
