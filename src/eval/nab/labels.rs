//! NAB's `combined_windows.json`: `{"<category>/<name>.csv": [["start", "end"], ...]}`, the
//! ground-truth anomaly windows, both ends inclusive, timestamps as in the data rows (usually
//! with `.ffffff` appended). A file without anomalies has `[]`.

use super::timestamp::parse_timestamp;
use chrono::NaiveDateTime;
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// One labelled window as written, not yet matched to rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelWindow {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    /// Line of the window's start in the labels file, for error messages.
    pub line: usize,
}

/// Every file named in a labels file, with its windows in chronological order.
pub type CorpusLabels = BTreeMap<String, Vec<LabelWindow>>;

/// Why a labels file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadLabelsError {
    #[error("cannot read labels file {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error(
        "labels file {path} is not NAB's combined_windows.json \
         ({{\"<category>/<name>.csv\": [[\"start\", \"end\"], ...]}}): {source}"
    )]
    Json {
        path: String,
        source: serde_json::Error,
    },
    #[error("{path}:{line}: {file:?} window {window}, field {field}: {value:?} is not YYYY-MM-DD HH:MM:SS[.ffffff]")]
    Timestamp {
        path: String,
        line: usize,
        file: String,
        window: usize,
        field: &'static str,
        value: String,
    },
    #[error("{path}:{line}: {file:?} window {window} ends before it starts")]
    Reversed {
        path: String,
        line: usize,
        file: String,
        window: usize,
    },
    // NAB's sweeper only ever looks for the next window in list order, and a window starting
    // where the previous one ends would never be exited: refuse both rather than mis-score.
    #[error("{path}:{line}: {file:?} window {window} starts before window {previous} ends; windows must be in time order and must not overlap or touch")]
    Order {
        path: String,
        line: usize,
        file: String,
        window: usize,
        previous: usize,
    },
}

/// Reads a `combined_windows.json`.
pub fn read_labels(path: &Path) -> Result<CorpusLabels, ReadLabelsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadLabelsError::Read {
        path: path.display().to_string(),
        source,
    })?;
    parse_labels(&text, &path.display().to_string())
}

/// Parses the text of a labels file; `path` only names the file in errors. Windows are
/// numbered from 1 in messages, as a person counts them in the file.
pub fn parse_labels(text: &str, path: &str) -> Result<CorpusLabels, ReadLabelsError> {
    let raw: BTreeMap<String, Vec<(String, String)>> =
        serde_json::from_str(text).map_err(|source| ReadLabelsError::Json {
            path: path.to_string(),
            source,
        })?;
    let mut labels = CorpusLabels::new();
    for (file, windows) in raw {
        let mut find = Finder::new(text, &file);
        let mut parsed: Vec<LabelWindow> = Vec::with_capacity(windows.len());
        for (i, (start_text, end_text)) in windows.iter().enumerate() {
            let window = i + 1;
            let line = find.line_of(start_text);
            let end_line = find.line_of(end_text);
            let parse = |field: &'static str, value: &str, line: usize| {
                parse_timestamp(value).ok_or_else(|| ReadLabelsError::Timestamp {
                    path: path.to_string(),
                    line,
                    file: file.clone(),
                    window,
                    field,
                    value: value.to_string(),
                })
            };
            let start = parse("start", start_text, line)?;
            let end = parse("end", end_text, end_line)?;
            if end < start {
                return Err(ReadLabelsError::Reversed {
                    path: path.to_string(),
                    line,
                    file: file.clone(),
                    window,
                });
            }
            if parsed.last().is_some_and(|prev| start <= prev.end) {
                return Err(ReadLabelsError::Order {
                    path: path.to_string(),
                    line,
                    file: file.clone(),
                    window,
                    previous: window - 1,
                });
            }
            parsed.push(LabelWindow { start, end, line });
        }
        labels.insert(file, parsed);
    }
    Ok(labels)
}

/// Finds the lines of one file's timestamps in the labels text, in the order they are
/// written, to point a person at the right place. Approximate by design: a key or value
/// written with JSON escapes is not found verbatim, and then the line of the last thing found
/// (or 1) is given.
struct Finder<'a> {
    text: &'a str,
    cursor: usize,
}

impl<'a> Finder<'a> {
    fn new(text: &'a str, file: &str) -> Finder<'a> {
        let cursor = text.find(&format!("\"{file}\"")).unwrap_or(0);
        Finder { text, cursor }
    }

    /// The line of the next `"needle"` after the previous one found.
    fn line_of(&mut self, needle: &str) -> usize {
        let quoted = format!("\"{needle}\"");
        let at = match self.text[self.cursor..].find(&quoted) {
            Some(off) => {
                self.cursor += off + quoted.len();
                self.cursor - quoted.len()
            }
            None => self.cursor,
        };
        self.text[..at].matches('\n').count() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
    "a/x.csv": [
        ["2014-04-01 00:10:00.000000", "2014-04-01 00:20:00.000000"],
        ["2014-04-01 01:00:00.000000", "2014-04-01 01:05:00.000000"]
    ],
    "b/y.csv": []
}"#;

    #[test]
    fn reads_windows_per_file() {
        let labels = parse_labels(GOOD, "w.json").unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels["a/x.csv"].len(), 2);
        assert_eq!(labels["a/x.csv"][1].line, 4);
        assert_eq!(labels["a/x.csv"][0].end.to_string(), "2014-04-01 00:20:00");
        assert!(labels["b/y.csv"].is_empty());
    }

    #[test]
    fn bad_windows_name_file_line_and_window() {
        let err = |text: &str| parse_labels(text, "w.json").unwrap_err().to_string();
        assert_eq!(
            err(&GOOD.replace("2014-04-01 01:05:00.000000", "soon")),
            "w.json:4: \"a/x.csv\" window 2, field end: \"soon\" is not YYYY-MM-DD HH:MM:SS[.ffffff]"
        );
        assert_eq!(
            err(&GOOD.replace("01:05:00", "00:55:00")),
            "w.json:4: \"a/x.csv\" window 2 ends before it starts"
        );
        assert_eq!(
            err(&GOOD.replace("01:00:00", "00:20:00")),
            "w.json:4: \"a/x.csv\" window 2 starts before window 1 ends; windows must be in \
             time order and must not overlap or touch"
        );
        let e = err(r#"{"a/x.csv": [["2014-04-01 00:10:00"]]}"#);
        assert!(
            e.starts_with("labels file w.json is not NAB's combined_windows.json"),
            "{e}"
        );
        assert!(e.contains("line 1"), "{e}");
    }
}
