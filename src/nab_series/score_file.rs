//! Writing NAB results: `timestamp,value,anomaly_score`, one row per input row with the input's
//! text echoed, complete or not at all (written to a temporary file and renamed).

use super::series_file::SeriesRow;
use crate::atomic_file::AtomicFile;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("writing {path}: {source}")]
pub struct WriteScoresError {
    path: PathBuf,
    source: std::io::Error,
}

/// Writes `rows` with their `scores` (same length) to `path`, creating its directory.
pub fn write_scores(
    path: &Path,
    rows: &[SeriesRow],
    scores: &[f64],
) -> Result<(), WriteScoresError> {
    assert_eq!(rows.len(), scores.len(), "one score per row");
    let write = || -> std::io::Result<()> {
        let mut out = AtomicFile::create(path)?;
        writeln!(out, "timestamp,value,anomaly_score")?;
        for (row, score) in rows.iter().zip(scores) {
            // Six decimals: the benchmark's threshold sweep needs fine distinctions.
            writeln!(out, "{},{},{score:.6}", row.timestamp, row.value)?;
        }
        out.commit()
    };
    write().map_err(|source| WriteScoresError {
        path: path.to_path_buf(),
        source,
    })
}
