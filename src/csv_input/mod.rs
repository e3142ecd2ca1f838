//! Reading side of `data/pod_metrics.csv`: layout detection, validated row parsing, a
//! crash-safe tailer and a change watcher.
//!
//! Typical use: [`CsvTail::poll`] yields lines and events; a [`TailEvent::Header`] gives the
//! [`Layout`] (via [`Layout::detect`]) for a [`RowParser`], whose results are counted in
//! [`IngestStats`]; after processing a batch the caller saves [`CsvTail::position`] with
//! [`save_position`]. [`watch_file`] wakes the loop early when the file changes.

mod canonical;
mod file_watch;
mod ingest_stats;
mod layout;
pub mod legacy;
mod line_split;
mod read_all;
mod row_error;
mod row_parser;
mod tail;
mod tail_position;
mod validate;

#[cfg(test)]
mod tail_tests;
#[cfg(test)]
mod tests;

pub use file_watch::{watch_directory_of, watch_file, FileWatch, WatchError};
pub use ingest_stats::IngestStats;
pub use layout::{DetectLayoutError, Layout};
pub use legacy::{LegacyLayout, LEGACY_COLUMNS};
pub use line_split::{Fields, LineSplitter, SplitLineError};
pub use read_all::{lossy_lines, read_all_rows, ReadCsvError};
pub use row_error::{RowError, RowErrorKind};
pub use row_parser::{FutureLimit, RowParser};
pub use tail::{
    rotated_path, CsvTail, Line, TailBatch, TailEvent, Tailed, DEFAULT_MAX_BATCH_BYTES,
    MAX_LINE_BYTES,
};
pub use tail_position::{
    load_position, save_position, LoadPositionError, SavePositionError, TailPosition,
};
pub use validate::{clear_unmeasurable, Emptied};
pub use validate::{
    MAX_BYTES, MAX_BYTES_PER_S, MAX_CONTAINERS, MAX_CPU_MILLICORES, MAX_ERRORS_PER_S, MAX_RESTARTS,
};
