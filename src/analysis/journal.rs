//! `data/incidents.jsonl`: one JSON line per incident transition, appended.
//!
//! Each line is written with one `write` call and the file is synced after each batch, so a
//! crash loses at most the batch in flight. A line cut short by a crash (`kill -9` mid-write)
//! is cut off when the journal is opened again, so the file always parses line by line.

use super::incident::IncidentEvent;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("opening the incident journal {path} failed: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("appending to the incident journal {path} failed: {source}")]
    Append {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub struct IncidentJournal {
    path: PathBuf,
    file: File,
}

impl IncidentJournal {
    /// Opens (creating it and its directory) and repairs a torn last line.
    pub fn open(path: &Path) -> Result<IncidentJournal, JournalError> {
        let open_error = |source| JournalError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(open_error)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(open_error)?;
        let mut text = Vec::new();
        file.read_to_end(&mut text).map_err(open_error)?;
        if !text.is_empty() && !text.ends_with(b"\n") {
            let keep = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            tracing::warn!(
                path = %path.display(),
                dropped_bytes = text.len() - keep,
                "the incident journal ended in a torn line (a crash mid-write); cut it off"
            );
            file.set_len(keep as u64).map_err(open_error)?;
            file.seek(SeekFrom::End(0)).map_err(open_error)?;
        }
        Ok(IncidentJournal {
            path: path.to_path_buf(),
            file,
        })
    }

    pub fn append(&mut self, events: &[IncidentEvent]) -> Result<(), JournalError> {
        if events.is_empty() {
            return Ok(());
        }
        let append_error = |source| JournalError::Append {
            path: self.path.clone(),
            source,
        };
        for event in events {
            let mut line = serde_json::to_vec(event).map_err(|e| append_error(e.into()))?;
            line.push(b'\n');
            self.file.write_all(&line).map_err(append_error)?;
        }
        self.file.sync_data().map_err(append_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_cut_off_and_appends_go_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/incidents.jsonl");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"a\":1}\n{\"event\":\"op").unwrap();
        let mut j = IncidentJournal::open(&path).unwrap();
        j.append(&[]).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
        drop(j);
        let j = IncidentJournal::open(&path);
        assert!(j.is_ok());
    }
}
