//! Where a [`CsvTail`](super::CsvTail) is in its file, persisted so a restart neither loses
//! nor re-reads a line.

use crate::atomic_file::write_atomic;
use serde::{Deserialize, Serialize};
use std::io;
use std::path::{Path, PathBuf};

/// A point just after a complete line of one particular file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TailPosition {
    /// Device and inode of the file: a different file at the same path is not resumed.
    pub dev: u64,
    pub inode: u64,
    /// Byte offset just after the last complete line handed out.
    pub offset: u64,
    /// 1-based number of the next line.
    pub next_line_no: u64,
    /// The file's header line, once read.
    pub header: Option<String>,
}

impl TailPosition {
    /// The start of a file not yet opened.
    pub fn start() -> TailPosition {
        TailPosition {
            dev: 0,
            inode: 0,
            offset: 0,
            next_line_no: 1,
            header: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("cannot save the tail position to {path}: {source}")]
pub struct SavePositionError {
    pub path: PathBuf,
    pub source: io::Error,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadPositionError {
    #[error("cannot read the tail position {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("the tail position {path} is not valid JSON of a position: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Writes `pos` to `path` as JSON, atomically (a crash leaves the old or the new one).
pub fn save_position(path: &Path, pos: &TailPosition) -> Result<(), SavePositionError> {
    let err = |source| SavePositionError {
        path: path.to_path_buf(),
        source,
    };
    let json = serde_json::to_vec_pretty(pos).map_err(|e| err(io::Error::other(e)))?;
    write_atomic(path, &json).map_err(err)
}

/// Reads a position saved by [`save_position`]; `Ok(None)` when there is none yet.
pub fn load_position(path: &Path) -> Result<Option<TailPosition>, LoadPositionError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(LoadPositionError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|source| LoadPositionError::Parse {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_round_trip_and_missing_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state").join("tail.json");
        assert!(load_position(&p).unwrap().is_none());
        let pos = TailPosition {
            dev: 1,
            inode: 2,
            offset: 300,
            next_line_no: 7,
            header: Some("a,b".into()),
        };
        save_position(&p, &pos).unwrap();
        assert_eq!(load_position(&p).unwrap(), Some(pos));
        std::fs::write(&p, b"{not json").unwrap();
        let e = load_position(&p).unwrap_err();
        assert!(e.to_string().contains("tail.json"), "{e}");
    }
}
