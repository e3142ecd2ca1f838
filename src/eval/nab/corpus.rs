//! The scoring corpus: every data file named in the labels file, with its label windows
//! resolved to row positions. Built from disk by [`load_corpus`] or in memory with
//! [`DataFile::new`] / [`DataFile::synthetic`] and [`Corpus::new`].
//!
//! The labels file defines the corpus (as NAB's `combined_windows_tiny.json` does for a
//! subset): data files it does not name are not read.

use super::data_file::{read_data_timestamps, ReadDataFileError};
use super::labels::{read_labels, ReadLabelsError};
use chrono::NaiveDateTime;
use serde::Serialize;
use std::path::Path;

/// A labelled anomaly window as row positions, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub start: usize,
    pub end: usize,
}

impl Window {
    /// Rows in the window (NAB's window width).
    pub fn len(&self) -> usize {
        self.end - self.start + 1
    }

    /// Never true: a window holds at least its start row.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// One data file: its rows' timestamps and its windows.
#[derive(Debug, Clone, PartialEq)]
pub struct DataFile {
    /// Path relative to the data directory with `/` separators, e.g.
    /// `realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv`: the labels file's key.
    pub name: String,
    pub timestamps: Vec<NaiveDateTime>,
    /// In row order, disjoint and not touching.
    pub windows: Vec<Window>,
}

/// Why [`DataFile::new`] refused its windows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MakeDataFileError {
    #[error("{file}: window {window} ({start}..={end}) is outside the file's {rows} rows or ends before it starts")]
    OutOfRange {
        file: String,
        window: usize,
        start: usize,
        end: usize,
        rows: usize,
    },
    #[error("{file}: window {window} starts at row {start}, not after the end of window {previous} (row {previous_end})")]
    Order {
        file: String,
        window: usize,
        start: usize,
        previous: usize,
        previous_end: usize,
    },
}

impl DataFile {
    /// A data file from its timestamps and windows (row positions, numbered from 0).
    pub fn new(
        name: impl Into<String>,
        timestamps: Vec<NaiveDateTime>,
        windows: Vec<Window>,
    ) -> Result<DataFile, MakeDataFileError> {
        let name = name.into();
        let rows = timestamps.len();
        for (i, w) in windows.iter().enumerate() {
            if w.end < w.start || w.end >= rows {
                return Err(MakeDataFileError::OutOfRange {
                    file: name,
                    window: i + 1,
                    start: w.start,
                    end: w.end,
                    rows,
                });
            }
            if i > 0 && w.start <= windows[i - 1].end {
                return Err(MakeDataFileError::Order {
                    file: name,
                    window: i + 1,
                    start: w.start,
                    previous: i,
                    previous_end: windows[i - 1].end,
                });
            }
        }
        Ok(DataFile {
            name,
            timestamps,
            windows,
        })
    }

    /// A file of `rows` rows 5 minutes apart from 2015-01-01: for scoring scores computed in
    /// memory, where only positions matter.
    pub fn synthetic(
        name: impl Into<String>,
        rows: usize,
        windows: Vec<Window>,
    ) -> Result<DataFile, MakeDataFileError> {
        let start = chrono::NaiveDate::from_ymd_opt(2015, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a valid date");
        let timestamps = (0..rows)
            .map(|i| start + chrono::Duration::minutes(5 * i as i64))
            .collect();
        DataFile::new(name, timestamps, windows)
    }

    pub fn rows(&self) -> usize {
        self.timestamps.len()
    }
}

/// The files to score, in name order.
#[derive(Debug, Clone, PartialEq)]
pub struct Corpus {
    pub files: Vec<DataFile>,
}

impl Corpus {
    /// A corpus of these files, sorted by name.
    ///
    /// # Panics
    /// If two files have the same name: scores are keyed by name.
    pub fn new(mut files: Vec<DataFile>) -> Corpus {
        files.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(pair) = files.windows(2).find(|p| p[0].name == p[1].name) {
            panic!("two corpus files are named {:?}", pair[0].name);
        }
        Corpus { files }
    }

    pub fn file(&self, name: &str) -> Option<&DataFile> {
        self.files
            .binary_search_by(|f| f.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.files[i])
    }

    pub fn rows(&self) -> usize {
        self.files.iter().map(DataFile::rows).sum()
    }

    pub fn windows(&self) -> usize {
        self.files.iter().map(|f| f.windows.len()).sum()
    }
}

/// Why a corpus could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadCorpusError {
    #[error(transparent)]
    ReadLabels(#[from] ReadLabelsError),
    #[error(
        "labels file {labels} names {file:?}, which is not a file name inside the data directory"
    )]
    BadName { labels: String, file: String },
    #[error(transparent)]
    ReadData(#[from] ReadDataFileError),
    #[error("{labels}:{line}: window {window}, field {field}: {value} matches no row of {data}")]
    NoSuchRow {
        labels: String,
        line: usize,
        window: usize,
        field: &'static str,
        value: NaiveDateTime,
        data: String,
    },
    #[error("{labels}:{line}: {source}")]
    Windows {
        labels: String,
        line: usize,
        source: MakeDataFileError,
    },
}

/// Reads the labels file and, for each file it names, `data_dir/<name>`, resolving windows
/// to rows. A window end matches the first row with that timestamp, as in NAB (two NAB files
/// repeat an hour at a daylight-saving change).
pub fn load_corpus(data_dir: &Path, labels_path: &Path) -> Result<Corpus, LoadCorpusError> {
    let labels_name = labels_path.display().to_string();
    let labels = read_labels(labels_path)?;
    let mut files = Vec::with_capacity(labels.len());
    for (name, label_windows) in labels {
        // Only relative paths below the data directory: a key is not a way out of it.
        let relative = Path::new(&name);
        if name.is_empty()
            || relative.is_absolute()
            || relative
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(LoadCorpusError::BadName {
                labels: labels_name,
                file: name,
            });
        }
        let data_path = data_dir.join(relative);
        let timestamps = read_data_timestamps(&data_path)?;
        let row_of = |t: NaiveDateTime| timestamps.iter().position(|&x| x == t);
        let mut windows = Vec::with_capacity(label_windows.len());
        for (i, w) in label_windows.iter().enumerate() {
            let missing = |field, value| LoadCorpusError::NoSuchRow {
                labels: labels_name.clone(),
                line: w.line,
                window: i + 1,
                field,
                value,
                data: data_path.display().to_string(),
            };
            let start = row_of(w.start).ok_or_else(|| missing("start", w.start))?;
            let end = row_of(w.end).ok_or_else(|| missing("end", w.end))?;
            windows.push(Window { start, end });
        }
        let file = DataFile::new(name.clone(), timestamps, windows).map_err(|source| {
            let window = match &source {
                MakeDataFileError::OutOfRange { window, .. }
                | MakeDataFileError::Order { window, .. } => *window,
            };
            LoadCorpusError::Windows {
                labels: labels_name.clone(),
                line: label_windows[window - 1].line,
                source,
            }
        })?;
        files.push(file);
    }
    Ok(Corpus::new(files))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    const DATA: &str = "timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,2\n\
                        2014-04-01 00:10:00,3\n2014-04-01 00:15:00,4\n";

    #[test]
    fn loads_files_named_in_the_labels_with_windows_as_rows() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "data/cat/a.csv", DATA);
        write(dir.path(), "data/cat/b.csv", DATA);
        write(dir.path(), "data/cat/unlabelled.csv", "not even a csv");
        write(
            dir.path(),
            "w.json",
            r#"{"cat/b.csv": [], "cat/a.csv": [["2014-04-01 00:05:00.000000", "2014-04-01 00:10:00.000000"]]}"#,
        );
        let corpus = load_corpus(&dir.path().join("data"), &dir.path().join("w.json")).unwrap();
        assert_eq!(corpus.files.len(), 2);
        assert_eq!(corpus.files[0].name, "cat/a.csv");
        assert_eq!(corpus.files[0].windows, vec![Window { start: 1, end: 2 }]);
        assert_eq!(corpus.rows(), 8);
        assert_eq!(corpus.windows(), 1);
        assert!(corpus.file("cat/b.csv").is_some());
    }

    #[test]
    fn a_window_timestamp_not_in_the_data_names_labels_line_and_data_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "data/cat/a.csv", DATA);
        write(
            dir.path(),
            "w.json",
            "{\n\"cat/a.csv\": [\n[\"2014-04-01 00:05:00.000000\", \"2014-04-01 00:12:00.000000\"]]}",
        );
        let e = load_corpus(&dir.path().join("data"), &dir.path().join("w.json"))
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with(&format!(
                "w.json:3: window 1, field end: 2014-04-01 00:12:00 matches no row of {}",
                dir.path().join("data/cat/a.csv").display()
            )),
            "{e}"
        );
    }

    #[test]
    fn a_missing_data_file_or_an_escaping_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "w.json", r#"{"cat/none.csv": []}"#);
        let e = load_corpus(&dir.path().join("data"), &dir.path().join("w.json"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cannot read data file"), "{e}");
        assert!(e.contains("none.csv"), "{e}");
        write(dir.path(), "w.json", r#"{"../w.json": []}"#);
        let e = load_corpus(&dir.path().join("data"), &dir.path().join("w.json"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("is not a file name inside the data directory"),
            "{e}"
        );
    }

    #[test]
    fn in_memory_windows_are_checked() {
        let ok = DataFile::synthetic("f", 10, vec![Window { start: 2, end: 4 }]).unwrap();
        assert_eq!(ok.rows(), 10);
        assert!(DataFile::synthetic("f", 10, vec![Window { start: 8, end: 10 }]).is_err());
        let e = DataFile::synthetic(
            "f",
            10,
            vec![Window { start: 2, end: 4 }, Window { start: 4, end: 6 }],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f: window 2 starts at row 4, not after the end of window 1 (row 4)"
        );
    }
}
