//! The scores file written by `detect` and read by `eval`: one CSV row per input metrics row.
//!
//! Header, exactly: `timestamp,namespace,pod,anomaly_probability,is_anomaly,anomaly_type`.
//! Timestamps are RFC 3339 UTC, the probability has 4 decimals, `is_anomaly` is `true`/`false`
//! and `anomaly_type` is a snake_case name or empty.

use crate::metrics_row::push_csv_text as push_text;
use chrono::{DateTime, SecondsFormat, Utc};
use std::io::{self, Write};
use std::path::Path;

/// Header of the scores CSV, exactly as written on its first line.
pub const SCORES_HEADER: &str =
    "timestamp,namespace,pod,anomaly_probability,is_anomaly,anomaly_type";

const COLUMNS: [&str; 6] = [
    "timestamp",
    "namespace",
    "pod",
    "anomaly_probability",
    "is_anomaly",
    "anomaly_type",
];

/// The verdict of `detect` on one pod at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreRow {
    pub timestamp: DateTime<Utc>,
    pub namespace: String,
    pub pod: String,
    /// In `[0, 1]`.
    pub anomaly_probability: f64,
    pub is_anomaly: bool,
    /// What the detector thinks is wrong, e.g. `memory_leak`; `None` when it cannot tell.
    pub anomaly_type: Option<String>,
}

impl ScoreRow {
    /// Appends this row as one CSV record, with its trailing `\n`.
    pub fn write_csv_line(&self, out: &mut String) {
        out.push_str(&self.timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        out.push(',');
        push_text(out, &self.namespace);
        out.push(',');
        push_text(out, &self.pod);
        out.push(',');
        out.push_str(&format!("{:.4}", self.anomaly_probability));
        out.push(',');
        out.push_str(if self.is_anomaly { "true" } else { "false" });
        out.push(',');
        if let Some(t) = &self.anomaly_type {
            push_text(out, t);
        }
        out.push('\n');
    }
}

/// Streams score rows to any writer, writing the header before the first row.
pub struct ScoreWriter<W: Write> {
    out: W,
    header_written: bool,
    line: String,
}

impl<W: Write> ScoreWriter<W> {
    /// Wraps `out`; nothing is written until the first row (or [`ScoreWriter::finish`]).
    pub fn new(out: W) -> ScoreWriter<W> {
        ScoreWriter {
            out,
            header_written: false,
            line: String::with_capacity(128),
        }
    }

    /// Writes `row`, preceded by the header if it is the first thing written.
    pub fn write(&mut self, row: &ScoreRow) -> io::Result<()> {
        self.line.clear();
        if !self.header_written {
            self.line.push_str(SCORES_HEADER);
            self.line.push('\n');
        }
        row.write_csv_line(&mut self.line);
        self.out.write_all(self.line.as_bytes())?;
        self.header_written = true;
        Ok(())
    }

    /// Writes the header if no row was written (so an empty run still gives a valid file),
    /// flushes, and hands the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.header_written {
            self.out.write_all(SCORES_HEADER.as_bytes())?;
            self.out.write_all(b"\n")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Writes a whole scores file atomically (see [`crate::atomic_file`]).
pub fn write_scores(path: &Path, rows: &[ScoreRow]) -> io::Result<()> {
    let mut w = ScoreWriter::new(Vec::with_capacity(64 * (rows.len() + 1)));
    for r in rows {
        w.write(r)?;
    }
    crate::atomic_file::write_atomic(path, &w.finish()?)
}

/// Why a scores file could not be read. Lines are 1-based, the header being line 1.
#[derive(Debug, thiserror::Error)]
pub enum ScoreFileError {
    #[error("cannot read scores file {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("scores file {path} line 1: expected header `{SCORES_HEADER}`, found `{found}`")]
    Header { path: String, found: String },
    #[error("scores file {path} line {line}: expected 6 fields, found {found}")]
    FieldCount {
        path: String,
        line: usize,
        found: usize,
    },
    #[error("scores file {path} line {line}: unterminated or misplaced quote")]
    Quote { path: String, line: usize },
    #[error("scores file {path} line {line}, field {field}: {problem} (value `{value}`)")]
    Field {
        path: String,
        line: usize,
        field: &'static str,
        value: String,
        problem: &'static str,
    },
}

/// Reads a scores file written by [`ScoreWriter`].
pub fn read_scores(path: &Path) -> Result<Vec<ScoreRow>, ScoreFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScoreFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_scores(&text, &path.display().to_string())
}

/// Parses the text of a scores file; `path` only names the file in errors.
pub fn parse_scores(text: &str, path: &str) -> Result<Vec<ScoreRow>, ScoreFileError> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("").trim_end_matches('\r');
    if header != SCORES_HEADER {
        return Err(ScoreFileError::Header {
            path: path.to_string(),
            found: header.to_string(),
        });
    }
    let mut rows = Vec::new();
    for (i, raw) in lines.enumerate() {
        let line = i + 2;
        let raw = raw.trim_end_matches('\r');
        // Tolerate blank lines (e.g. an editor's extra newline at the end).
        if raw.is_empty() {
            continue;
        }
        rows.push(parse_row(raw, path, line)?);
    }
    Ok(rows)
}

fn parse_row(raw: &str, path: &str, line: usize) -> Result<ScoreRow, ScoreFileError> {
    let fields = split_csv(raw).ok_or_else(|| ScoreFileError::Quote {
        path: path.to_string(),
        line,
    })?;
    if fields.len() != COLUMNS.len() {
        return Err(ScoreFileError::FieldCount {
            path: path.to_string(),
            line,
            found: fields.len(),
        });
    }
    let bad = |col: usize, problem: &'static str| ScoreFileError::Field {
        path: path.to_string(),
        line,
        field: COLUMNS[col],
        value: fields[col].clone(),
        problem,
    };
    let timestamp = DateTime::parse_from_rfc3339(&fields[0])
        .map_err(|_| bad(0, "not an RFC 3339 timestamp"))?
        .with_timezone(&Utc);
    if fields[1].is_empty() {
        return Err(bad(1, "empty"));
    }
    if fields[2].is_empty() {
        return Err(bad(2, "empty"));
    }
    let anomaly_probability: f64 = fields[3].parse().map_err(|_| bad(3, "not a number"))?;
    // `contains` is false for NaN, so this also rejects NaN.
    if !(0.0..=1.0).contains(&anomaly_probability) {
        return Err(bad(3, "not a probability in [0, 1]"));
    }
    let is_anomaly = match fields[4].as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad(4, "expected `true` or `false`")),
    };
    let mut fields = fields;
    let anomaly_type = Some(std::mem::take(&mut fields[5])).filter(|t| !t.is_empty());
    let pod = std::mem::take(&mut fields[2]);
    let namespace = std::mem::take(&mut fields[1]);
    Ok(ScoreRow {
        timestamp,
        namespace,
        pod,
        anomaly_probability,
        is_anomaly,
        anomaly_type,
    })
}

/// Splits one RFC 4180 record. `None` on an unterminated quote or text after a closing quote.
fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::with_capacity(COLUMNS.len());
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => break,
                    c => field.push(c),
                }
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Some(fields);
                }
                Some(',') => fields.push(field),
                Some(_) => return None,
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field);
                        return Some(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ts: &str, ns: &str, pod: &str, p: f64, a: bool, t: Option<&str>) -> ScoreRow {
        ScoreRow {
            timestamp: ts.parse().unwrap(),
            namespace: ns.into(),
            pod: pod.into(),
            anomaly_probability: p,
            is_anomaly: a,
            anomaly_type: t.map(str::to_string),
        }
    }

    #[test]
    fn writes_the_exact_format() {
        let mut w = ScoreWriter::new(Vec::new());
        w.write(&row(
            "2026-01-01T00:00:00Z",
            "shop",
            "cart-1",
            0.98765,
            true,
            Some("memory_leak"),
        ))
        .unwrap();
        w.write(&row(
            "2026-01-01T00:00:30.5Z",
            "shop",
            "cart-1",
            0.0,
            false,
            None,
        ))
        .unwrap();
        let text = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "timestamp,namespace,pod,anomaly_probability,is_anomaly,anomaly_type\n\
             2026-01-01T00:00:00Z,shop,cart-1,0.9877,true,memory_leak\n\
             2026-01-01T00:00:30.500Z,shop,cart-1,0.0000,false,\n"
        );
    }

    #[test]
    fn empty_run_still_writes_a_readable_header() {
        let text = String::from_utf8(ScoreWriter::new(Vec::new()).finish().unwrap()).unwrap();
        assert_eq!(text, format!("{SCORES_HEADER}\n"));
        assert_eq!(parse_scores(&text, "s.csv").unwrap(), vec![]);
    }

    #[test]
    fn round_trips_through_a_file_including_awkward_names() {
        let rows = vec![
            row(
                "2026-01-01T00:00:00Z",
                "shop",
                "cart-1",
                0.1235,
                false,
                None,
            ),
            row(
                "2026-01-01T00:00:30Z",
                "sh,op",
                "ca\"rt",
                1.0,
                true,
                Some("crash_loop"),
            ),
            row(
                "2026-01-01T00:01:00.250Z",
                "shop",
                "cart-1",
                0.5,
                true,
                Some("a,b"),
            ),
        ];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("scores.csv");
        write_scores(&p, &rows).unwrap();
        assert_eq!(read_scores(&p).unwrap(), rows);
    }

    /// The error text of parsing `header + body`.
    fn error_of(body: &str) -> String {
        parse_scores(&format!("{SCORES_HEADER}\n{body}"), "s.csv")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn bad_rows_name_file_line_and_field() {
        let good = "2026-01-01T00:00:00Z,shop,cart-1,0.5000,true,\n";
        assert_eq!(
            error_of(&format!("{good}yesterday,shop,cart-1,0.5,true,\n")),
            "scores file s.csv line 3, field timestamp: not an RFC 3339 timestamp (value `yesterday`)"
        );
        assert_eq!(
            error_of("2026-01-01T00:00:00Z,shop,cart-1,high,true,\n"),
            "scores file s.csv line 2, field anomaly_probability: not a number (value `high`)"
        );
        assert_eq!(
            error_of("2026-01-01T00:00:00Z,shop,cart-1,1.5,true,\n"),
            "scores file s.csv line 2, field anomaly_probability: not a probability in [0, 1] (value `1.5`)"
        );
        assert_eq!(
            error_of("2026-01-01T00:00:00Z,shop,cart-1,NaN,true,\n"),
            "scores file s.csv line 2, field anomaly_probability: not a probability in [0, 1] (value `NaN`)"
        );
        assert_eq!(
            error_of("2026-01-01T00:00:00Z,shop,cart-1,0.5,yes,\n"),
            "scores file s.csv line 2, field is_anomaly: expected `true` or `false` (value `yes`)"
        );
        assert_eq!(
            error_of("2026-01-01T00:00:00Z,,cart-1,0.5,true,\n"),
            "scores file s.csv line 2, field namespace: empty (value ``)"
        );
        assert_eq!(
            error_of(&format!(
                "{good}\n2026-01-01T00:00:00Z,shop,cart-1,0.5,true\n"
            )),
            "scores file s.csv line 4: expected 6 fields, found 5"
        );
        assert_eq!(
            error_of("2026-01-01T00:00:00Z,\"shop,cart-1,0.5,true,\n"),
            "scores file s.csv line 2: unterminated or misplaced quote"
        );
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let e = parse_scores("timestamp,pod,score\n", "s.csv").unwrap_err();
        assert!(
            matches!(e, ScoreFileError::Header { ref found, .. } if found == "timestamp,pod,score")
        );
        assert!(matches!(
            parse_scores("", "s.csv"),
            Err(ScoreFileError::Header { .. })
        ));
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("nope.csv");
        let e = read_scores(&p).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("cannot read scores file {}", p.display())),
            "{e}"
        );
    }
}
