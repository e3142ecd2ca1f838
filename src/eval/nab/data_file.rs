//! One NAB data file, `DIR/<category>/<name>.csv` with header `timestamp,value`. Scoring only
//! needs its timestamps: rows are scored by position, and label windows and results files are
//! matched to it by timestamp. Blank lines are skipped, as NAB's CSV reader does.

use super::timestamp::parse_timestamp;
use chrono::NaiveDateTime;
use std::io;
use std::path::Path;

/// Header of a NAB data file, exactly.
pub const DATA_HEADER: &str = "timestamp,value";

/// Why a data file could not be read. Lines are 1-based, the header being line 1.
#[derive(Debug, thiserror::Error)]
pub enum ReadDataFileError {
    #[error("cannot read data file {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path}:1: expected the header `{DATA_HEADER}`, found {found:?}")]
    Header { path: String, found: String },
    #[error("{path}:{line}: expected 2 fields `timestamp,value`, found {found}")]
    FieldCount {
        path: String,
        line: usize,
        found: usize,
    },
    #[error("{path}:{line}: field timestamp: {value:?} is not YYYY-MM-DD HH:MM:SS")]
    Timestamp {
        path: String,
        line: usize,
        value: String,
    },
}

/// Reads the timestamps of a data file, one per row, in file order.
pub fn read_data_timestamps(path: &Path) -> Result<Vec<NaiveDateTime>, ReadDataFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadDataFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_data_timestamps(&text, &path.display().to_string())
}

/// Parses the text of a data file; `path` only names the file in errors.
pub fn parse_data_timestamps(
    text: &str,
    path: &str,
) -> Result<Vec<NaiveDateTime>, ReadDataFileError> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    let header = header.trim_start_matches('\u{feff}').trim_end_matches('\r');
    if header.trim() != DATA_HEADER {
        return Err(ReadDataFileError::Header {
            path: path.to_string(),
            found: header.to_string(),
        });
    }
    let mut timestamps = Vec::new();
    for (i, raw) in lines.enumerate() {
        let line = i + 2;
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.split(',').collect();
        if fields.len() != 2 {
            return Err(ReadDataFileError::FieldCount {
                path: path.to_string(),
                line,
                found: fields.len(),
            });
        }
        let ts = parse_timestamp(fields[0]).ok_or_else(|| ReadDataFileError::Timestamp {
            path: path.to_string(),
            line,
            value: fields[0].to_string(),
        })?;
        timestamps.push(ts);
    }
    Ok(timestamps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_timestamps_in_order_skipping_blank_lines() {
        let ts = parse_data_timestamps(
            "timestamp,value\r\n2014-04-01 00:00:00,1.5\r\n\r\n2014-04-01 00:05:00,-2\n",
            "d.csv",
        )
        .unwrap();
        assert_eq!(ts.len(), 2);
        assert_eq!(ts[1].to_string(), "2014-04-01 00:05:00");
    }

    #[test]
    fn bad_input_names_file_line_and_field() {
        let err = |text: &str| {
            parse_data_timestamps(text, "d.csv")
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err("time,value\n"),
            "d.csv:1: expected the header `timestamp,value`, found \"time,value\""
        );
        assert_eq!(
            err("timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00\n"),
            "d.csv:3: expected 2 fields `timestamp,value`, found 1"
        );
        assert_eq!(
            err("timestamp,value\n01/04/2014,1\n"),
            "d.csv:2: field timestamp: \"01/04/2014\" is not YYYY-MM-DD HH:MM:SS"
        );
    }
}
