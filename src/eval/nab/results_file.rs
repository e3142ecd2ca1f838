//! A detector's results files: `DIR/<category>/<name>.csv`, one per corpus file, with a header
//! naming at least the columns `timestamp` and `anomaly_score` (`detect --format nab` writes
//! `timestamp,value,anomaly_score`; NAB's own results files have more columns, which are
//! ignored). Rows must match the data file's rows one for one, timestamps included.

use super::corpus::{Corpus, DataFile};
use super::timestamp::parse_timestamp;
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

/// Why a results file could not be read. Lines are 1-based, the header being line 1.
#[derive(Debug, thiserror::Error)]
pub enum ReadResultsError {
    #[error("cannot read results file {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path}:1: expected a header with the columns `timestamp` and `anomaly_score` (e.g. `timestamp,value,anomaly_score`), found {found:?}")]
    Header { path: String, found: String },
    #[error("{path}:{line}: expected {expected} fields like the header, found {found}")]
    FieldCount {
        path: String,
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("{path}:{line}: field timestamp: {value:?} is not YYYY-MM-DD HH:MM:SS")]
    Timestamp {
        path: String,
        line: usize,
        value: String,
    },
    #[error("{path}:{line}: field timestamp: {value:?} does not match row {row} of the data file ({expected})")]
    Mismatch {
        path: String,
        line: usize,
        value: String,
        row: usize,
        expected: String,
    },
    #[error("{path}:{line}: field anomaly_score: {value:?} is {problem}")]
    Score {
        path: String,
        line: usize,
        value: String,
        problem: &'static str,
    },
    #[error("{path}:{line}: the file ends after {found} rows, but the data file has {expected}")]
    TooFew {
        path: String,
        line: usize,
        found: usize,
        expected: usize,
    },
    #[error("{path}:{line}: one row too many: the data file has {expected} rows")]
    TooMany {
        path: String,
        line: usize,
        expected: usize,
    },
}

/// Reads `results_dir/<name>` for every file of `corpus`: the anomaly scores by file name.
pub fn read_results(
    results_dir: &Path,
    corpus: &Corpus,
) -> Result<HashMap<String, Vec<f64>>, ReadResultsError> {
    let mut scores = HashMap::with_capacity(corpus.files.len());
    for file in &corpus.files {
        let path = results_dir.join(&file.name);
        let text = std::fs::read_to_string(&path).map_err(|source| ReadResultsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let values = parse_results(&text, &path.display().to_string(), file)?;
        scores.insert(file.name.clone(), values);
    }
    Ok(scores)
}

/// Parses the text of the results file for `data`; `path` only names the file in errors.
pub fn parse_results(
    text: &str,
    path: &str,
    data: &DataFile,
) -> Result<Vec<f64>, ReadResultsError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map_or("", |(_, l)| l);
    let header = header.trim_start_matches('\u{feff}').trim_end_matches('\r');
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let column = |name: &str| columns.iter().position(|c| *c == name);
    let (Some(ts_col), Some(score_col)) = (column("timestamp"), column("anomaly_score")) else {
        return Err(ReadResultsError::Header {
            path: path.to_string(),
            found: header.to_string(),
        });
    };
    let mut scores = Vec::with_capacity(data.rows());
    let mut last_line = 1;
    for (i, raw) in lines {
        let line = i + 1;
        last_line = line;
        let raw = raw.trim_end_matches('\r');
        // Blank lines are skipped, as in data files (an editor's newline at the end).
        if raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.split(',').collect();
        if fields.len() != columns.len() {
            return Err(ReadResultsError::FieldCount {
                path: path.to_string(),
                line,
                expected: columns.len(),
                found: fields.len(),
            });
        }
        let row = scores.len();
        let Some(&expected) = data.timestamps.get(row) else {
            return Err(ReadResultsError::TooMany {
                path: path.to_string(),
                line,
                expected: data.rows(),
            });
        };
        let ts_text = fields[ts_col].trim();
        let ts = parse_timestamp(ts_text).ok_or_else(|| ReadResultsError::Timestamp {
            path: path.to_string(),
            line,
            value: ts_text.to_string(),
        })?;
        if ts != expected {
            return Err(ReadResultsError::Mismatch {
                path: path.to_string(),
                line,
                value: ts_text.to_string(),
                row: row + 1,
                expected: expected.to_string(),
            });
        }
        let score_text = fields[score_col].trim();
        let bad = |problem| ReadResultsError::Score {
            path: path.to_string(),
            line,
            value: score_text.to_string(),
            problem,
        };
        let score: f64 = score_text.parse().map_err(|_| bad("not a number"))?;
        // `contains` is false for NaN, so NaN is refused too.
        if !(0.0..=1.0).contains(&score) {
            return Err(bad("not a score in [0, 1]"));
        }
        scores.push(score);
    }
    if scores.len() < data.rows() {
        return Err(ReadResultsError::TooFew {
            path: path.to_string(),
            line: last_line,
            found: scores.len(),
            expected: data.rows(),
        });
    }
    Ok(scores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::nab::data_file::parse_data_timestamps;

    fn data() -> DataFile {
        let ts = parse_data_timestamps(
            "timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\n2014-04-01 00:10:00,3\n",
            "d.csv",
        )
        .unwrap();
        DataFile::new("c/d.csv", ts, vec![]).unwrap()
    }

    fn err(text: &str) -> String {
        parse_results(text, "r.csv", &data())
            .unwrap_err()
            .to_string()
    }

    const HEADER: &str = "timestamp,value,anomaly_score\n";
    const ROWS: [&str; 3] = [
        "2014-04-01 00:00:00,1,0.0\n",
        "2014-04-01 00:05:00,2,0.25\n",
        "2014-04-01 00:10:00,3,1\n",
    ];

    #[test]
    fn reads_scores_and_ignores_extra_columns() {
        let text = format!("{HEADER}{}{}{}\n", ROWS[0], ROWS[1], ROWS[2]);
        assert_eq!(
            parse_results(&text, "r.csv", &data()).unwrap(),
            vec![0.0, 0.25, 1.0]
        );
        let nab = "timestamp,value,anomaly_score,label,S(t)_standard\n\
                   2014-04-01 00:00:00,1,0.5,0,0.0\n2014-04-01 00:05:00,2,0.5,0,0.0\n\
                   2014-04-01 00:10:00.000000,3,0.5,0,0.0\n";
        assert_eq!(parse_results(nab, "r.csv", &data()).unwrap(), vec![0.5; 3]);
    }

    #[test]
    fn wrong_rows_name_file_line_and_field() {
        assert_eq!(
            err(&format!("{HEADER}{}{}", ROWS[0], ROWS[1])),
            "r.csv:3: the file ends after 2 rows, but the data file has 3"
        );
        assert_eq!(
            err(&format!(
                "{HEADER}{}{}{}2014-04-01 00:15:00,4,0\n",
                ROWS[0], ROWS[1], ROWS[2]
            )),
            "r.csv:5: one row too many: the data file has 3 rows"
        );
        assert_eq!(
            err(&format!(
                "{HEADER}{}2014-04-01 00:06:00,2,0.25\n{}",
                ROWS[0], ROWS[2]
            )),
            "r.csv:3: field timestamp: \"2014-04-01 00:06:00\" does not match row 2 of the \
             data file (2014-04-01 00:05:00)"
        );
        assert_eq!(
            err(&format!("{HEADER}{}2014-04-01 00:05:00,2,high\n", ROWS[0])),
            "r.csv:3: field anomaly_score: \"high\" is not a number"
        );
        assert_eq!(
            err(&format!("{HEADER}2014-04-01 00:00:00,1,NaN\n")),
            "r.csv:2: field anomaly_score: \"NaN\" is not a score in [0, 1]"
        );
        assert_eq!(
            err(&format!("{HEADER}2014-04-01 00:00:00,1,1.5\n")),
            "r.csv:2: field anomaly_score: \"1.5\" is not a score in [0, 1]"
        );
        assert_eq!(
            err(&format!("{HEADER}yesterday,1,0\n")),
            "r.csv:2: field timestamp: \"yesterday\" is not YYYY-MM-DD HH:MM:SS"
        );
        assert_eq!(
            err(&format!("{HEADER}2014-04-01 00:00:00,0\n")),
            "r.csv:2: expected 3 fields like the header, found 2"
        );
        assert_eq!(
            err("timestamp,value,score\n"),
            "r.csv:1: expected a header with the columns `timestamp` and `anomaly_score` \
             (e.g. `timestamp,value,anomaly_score`), found \"timestamp,value,score\""
        );
    }
}

/// Why a results file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("writing {path}: {source}")]
pub struct WriteResultsError {
    path: PathBuf,
    source: std::io::Error,
}

/// Writes NAB results: `timestamp,value,anomaly_score`, one row per series row with the input's
/// text echoed, complete or not at all (written to a temporary file and renamed, its directory
/// created).
pub fn write_results(
    path: &Path,
    rows: &[super::series_file::SeriesRow],
    scores: &[f64],
) -> Result<(), WriteResultsError> {
    use std::io::Write;
    assert_eq!(rows.len(), scores.len(), "one score per row");
    let write = || -> std::io::Result<()> {
        let mut out = crate::atomic_file::AtomicFile::create(path)?;
        writeln!(out, "timestamp,value,anomaly_score")?;
        for (row, score) in rows.iter().zip(scores) {
            // Six decimals: the benchmark's threshold sweep needs fine distinctions.
            writeln!(out, "{},{},{score:.6}", row.timestamp, row.value)?;
        }
        out.commit()
    };
    write().map_err(|source| WriteResultsError {
        path: path.to_path_buf(),
        source,
    })
}
