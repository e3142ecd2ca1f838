//! `k8s-monitor eval`: scores detections (a scores file from `detect`) against labelled fault
//! windows (`labels.json`) and reports recall, precision, detection delay and false alarms.
//!
//! [`evaluate`] is pure; [`run_eval`] only adds reading the two files. [`nab`] scores single
//! series the way the Numenta Anomaly Benchmark does.

mod episodes;
mod evaluate;
pub mod nab;
mod report;
mod score_file;

pub use evaluate::evaluate;
pub use report::{EvalReport, FaultOutcome, KindReport};
pub use score_file::{
    parse_scores, read_scores, write_scores, ScoreFileError, ScoreRow, ScoreWriter, SCORES_HEADER,
};

use crate::fault_label::{read_labels, LabelsError};
use std::path::Path;
use std::time::Duration;

/// Knobs of the evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalOptions {
    /// How long after a fault's end alerts still count for it: effects (a restart backoff, a
    /// drained queue) outlast the injection, and a detector needs a few samples to react.
    pub grace: Duration,
}

impl Default for EvalOptions {
    fn default() -> EvalOptions {
        EvalOptions {
            grace: Duration::from_secs(5 * 60),
        }
    }
}

/// Why `eval` could not run on its input files.
#[derive(Debug, thiserror::Error)]
pub enum RunEvalError {
    #[error(transparent)]
    ReadScores(#[from] ScoreFileError),
    #[error(transparent)]
    ReadLabels(#[from] LabelsError),
}

/// Reads the scores and labels files and evaluates one against the other.
pub fn run_eval(
    scores: &Path,
    labels: &Path,
    opts: &EvalOptions,
) -> Result<EvalReport, RunEvalError> {
    let scores = read_scores(scores)?;
    let labels = read_labels(labels)?;
    Ok(evaluate(&scores, &labels, opts))
}
