//! The Numenta Anomaly Benchmark (NAB v1.1) scorer, reproducing NAB's own code
//! (`nab/sweeper.py`, `nab/optimizer.py`, `nab/runner.py`): pure functions, no I/O beyond
//! reading the corpus and results files.
//!
//! ```text
//! use k8s_monitor::eval::nab;
//! let corpus = nab::load_corpus(Path::new("nab/data"), Path::new("nab/labels/combined_windows.json"))?;
//! // One anomaly score in [0, 1] per row of each file, computed in memory or read from disk:
//! let scores: HashMap<String, Vec<f64>> = nab::read_results(Path::new("results"), &corpus)?;
//! let report = nab::score_corpus(&corpus, &scores)?;
//! println!("{}", report.profile("standard").unwrap().normalized_score.unwrap());
//! ```
//!
//! (Not a doctest: the project has none, and a doctest relinks the library, which races with
//! other worktrees sharing the build directory.)
//!
//! How NAB scores, in short (details in [`row_weights`] and [`sweep`]):
//! - Each labelled window rewards its earliest detection, by position: `A_TP` at the window's
//!   first row, falling along a sigmoid to about 0 at its last. Later detections in the same
//!   window add nothing. A window without detection costs `A_FN`.
//! - Every detected row outside a window costs up to `A_FP`: less right after a window, the
//!   full `A_FP` far from it or before the first window.
//! - The first 15% of each file (at most 750 rows) is probationary and ignored.
//! - One threshold for the whole corpus, per profile: the one with the best total score.
//! - The total is normalised: `100 · (raw − null) / (perfect − null)`, where null is a
//!   detector that never fires (−A_FN per window) and perfect detects every window at its
//!   first row (A_TP per window).

pub mod as_pod;
mod corpus;
mod data_file;
mod labels;
mod profile;
#[cfg(test)]
mod published_tests;
mod report;
mod results_file;
pub mod row_weights;
mod score;
mod series_file;
pub mod sweep;
mod tally;
mod timestamp;

pub use corpus::{load_corpus, Corpus, DataFile, LoadCorpusError, MakeDataFileError, Window};
pub use data_file::{read_data_timestamps, ReadDataFileError, DATA_HEADER};
pub use labels::{read_labels, CorpusLabels, LabelWindow, ReadLabelsError};
pub use profile::{Profile, PROFILES, REWARD_LOW_FN_RATE, REWARD_LOW_FP_RATE, STANDARD};
pub use report::{FileScore, NabReport, ProfileReport};
pub use results_file::{
    parse_results, read_results, write_results, ReadResultsError, WriteResultsError,
};
pub use score::{score_corpus, score_corpus_with, NabOptions, ScoreCorpusError};
pub use series_file::{read_series, ReadSeriesError, SeriesRow};
pub use tally::Counts;

use std::path::Path;

/// Why `eval --format nab` could not run on its input files.
#[derive(Debug, thiserror::Error)]
pub enum RunNabEvalError {
    #[error(transparent)]
    LoadCorpus(#[from] LoadCorpusError),
    #[error(transparent)]
    ReadResults(#[from] ReadResultsError),
    #[error(transparent)]
    ScoreCorpus(#[from] ScoreCorpusError),
}

/// Loads the corpus, reads a detector's results files for it and scores them.
pub fn run_nab_eval(
    data_dir: &Path,
    labels_path: &Path,
    results_dir: &Path,
) -> Result<NabReport, RunNabEvalError> {
    let corpus = load_corpus(data_dir, labels_path)?;
    let scores = read_results(results_dir, &corpus)?;
    Ok(score_corpus(&corpus, &scores)?)
}
