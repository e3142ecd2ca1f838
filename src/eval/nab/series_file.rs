//! Reading a NAB series file (what `detect --format nab` scores): header `timestamp,value`, then one `YYYY-MM-DD HH:MM:SS,<float>`
//! row per sample in time order. Timestamps may repeat (NAB's daylight-saving rows); the text
//! of both fields is kept so the output echoes it exactly. Any malformed row is an error naming
//! file, line and field: a benchmark series with a bad row is not worth scoring.

use chrono::{DateTime, NaiveDateTime, Utc};
use std::io::BufRead;
use std::path::{Path, PathBuf};

pub const HEADER: &str = "timestamp,value";
const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// One row as read: its text, for echoing, and its parsed observation.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesRow {
    /// 1-based line in the file.
    pub line: usize,
    pub timestamp: String,
    pub value: String,
    /// The timestamp, read as UTC.
    pub at: DateTime<Utc>,
    /// The value as a number.
    pub number: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadSeriesError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is empty: expected the NAB header `timestamp,value`")]
    Empty { path: PathBuf },
    #[error("{path}:1: expected the NAB header `timestamp,value`, found {found:?}")]
    Header { path: PathBuf, found: String },
    #[error("{path}:{line}: expected two fields `timestamp,value`, found {found:?}")]
    Fields {
        path: PathBuf,
        line: usize,
        found: String,
    },
    #[error("{path}:{line}: field timestamp: {text:?} is not YYYY-MM-DD HH:MM:SS")]
    Timestamp {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error("{path}:{line}: field value: {text:?} is not a finite number")]
    Value {
        path: PathBuf,
        line: usize,
        text: String,
    },
}

/// Every row of the series at `path`. Blank lines are skipped.
pub fn read_series(path: &Path) -> Result<Vec<SeriesRow>, ReadSeriesError> {
    let io = |source| ReadSeriesError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut lines = std::io::BufReader::new(file).lines();
    let header = lines
        .next()
        .transpose()
        .map_err(io)?
        .ok_or_else(|| ReadSeriesError::Empty {
            path: path.to_path_buf(),
        })?;
    let header = header.trim_start_matches('\u{feff}').trim();
    if header != HEADER {
        return Err(ReadSeriesError::Header {
            path: path.to_path_buf(),
            found: header.to_string(),
        });
    }
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let text = line.map_err(io)?;
        if text.trim().is_empty() {
            continue;
        }
        rows.push(parse_row(path, i + 2, &text)?);
    }
    Ok(rows)
}

fn parse_row(path: &Path, line: usize, text: &str) -> Result<SeriesRow, ReadSeriesError> {
    let fields: Vec<&str> = text.trim_end_matches('\r').split(',').collect();
    let [timestamp, value] = fields[..] else {
        return Err(ReadSeriesError::Fields {
            path: path.to_path_buf(),
            line,
            found: text.to_string(),
        });
    };
    let (timestamp, value) = (timestamp.trim(), value.trim());
    let at = NaiveDateTime::parse_from_str(timestamp, TIMESTAMP_FORMAT)
        .map_err(|_| ReadSeriesError::Timestamp {
            path: path.to_path_buf(),
            line,
            text: timestamp.to_string(),
        })?
        .and_utc();
    let number = value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| ReadSeriesError::Value {
            path: path.to_path_buf(),
            line,
            text: value.to_string(),
        })?;
    Ok(SeriesRow {
        line,
        timestamp: timestamp.to_string(),
        value: value.to_string(),
        at,
        number,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Vec<SeriesRow>, ReadSeriesError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(&path, text).unwrap();
        read_series(&path)
    }

    #[test]
    fn rows_keep_their_text_and_repeated_timestamps_are_accepted() {
        let rows =
            read("timestamp,value\n2014-03-09 03:00:00,1.50\n2014-03-09 03:00:00,2\r\n\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].value, "1.50");
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[0].at, rows[1].at);
        assert_eq!(rows[1].number, 2.0);
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = read("timestamp,value\n2014-03-09 03:00:00,1\n2014-03-09 03:05:00,NaN\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("s.csv:3: field value: \"NaN\" is not a finite number"),
            "{e}"
        );
        let e = read("timestamp,value\n09/03/2014,1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.csv:2: field timestamp"), "{e}");
        let e = read("timestamp,value\n2014-03-09 03:00:00\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.csv:2: expected two fields"), "{e}");
        let e = read("time,value\n").unwrap_err().to_string();
        assert!(e.contains("s.csv:1: expected the NAB header"), "{e}");
        assert!(read("").unwrap_err().to_string().contains("is empty"));
    }
}
