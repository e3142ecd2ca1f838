//! The result of an evaluation: numbers for machines (`to_json`) and a compact table for people
//! (`Display`). Durations are in seconds (`*_s`), fractional when timestamps are.

use crate::fault_label::{FaultKind, FaultWindow};
use serde::Serialize;
use std::fmt;

/// How well the scores match the labelled faults. See [`super::evaluate`] for the definitions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    /// The grace after a fault's end during which alerts still count for it.
    pub grace_s: f64,
    pub faults: usize,
    pub caught: usize,
    /// `caught / faults`; 1.0 when there are no faults (nothing was missed).
    pub recall: f64,
    pub episodes: usize,
    pub true_episodes: usize,
    pub false_episodes: usize,
    /// `true_episodes / episodes`; with no episodes, 1.0 if there are no faults, else 0.0.
    pub precision: f64,
    /// Harmonic mean of precision and recall; 0.0 when both are 0.
    pub f1: f64,
    /// Median detection delay over caught faults; `None` when none was caught.
    pub median_delay_s: Option<f64>,
    /// Distinct (namespace, pod) in the scores.
    pub pods: usize,
    pub pod_hours: f64,
    /// `false_episodes / pod_hours`; `None` when there are no pod-hours to divide by.
    pub false_alarms_per_pod_hour: Option<f64>,
    /// One entry per fault kind that has at least one fault, in [`FaultKind::ALL`] order.
    pub by_kind: Vec<KindReport>,
    /// Every fault with its outcome, in label order.
    pub outcomes: Vec<FaultOutcome>,
}

/// Recall and delay for one fault kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KindReport {
    pub kind: FaultKind,
    pub faults: usize,
    pub caught: usize,
    pub recall: f64,
    pub median_delay_s: Option<f64>,
}

/// What happened to one labelled fault.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultOutcome {
    pub fault: FaultWindow,
    /// False when the fault's pod has no row at all in the scores (so it is missed).
    pub pod_in_scores: bool,
    /// `Some` iff caught.
    pub delay_s: Option<f64>,
}

impl EvalReport {
    /// Faults whose pod never appears in the scores.
    pub fn unseen_faults(&self) -> impl Iterator<Item = &FaultWindow> {
        self.outcomes
            .iter()
            .filter(|o| !o.pod_in_scores)
            .map(|o| &o.fault)
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        // Cannot fail: plain structs with string keys, and serde_json writes non-finite
        // floats as null rather than erroring.
        serde_json::to_string_pretty(self).expect("EvalReport serialises to JSON")
    }

    /// Writes [`EvalReport::to_json`] to `path` atomically.
    pub fn write_json(&self, path: &std::path::Path) -> std::io::Result<()> {
        crate::atomic_file::write_atomic(path, self.to_json().as_bytes())
    }
}

/// `2m5s`, `1h0m3s`, `35s`: whole seconds, rounded.
fn human_duration(secs: f64) -> String {
    let total = secs.round() as i64;
    let (h, m, s) = (total / 3600, total % 3600 / 60, total % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

fn opt_duration(secs: Option<f64>) -> String {
    secs.map_or_else(|| "-".to_string(), human_duration)
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "faults {}  caught {}  recall {:.3}",
            self.faults, self.caught, self.recall
        )?;
        writeln!(
            f,
            "alert episodes {}  true {}  precision {:.3}  F1 {:.3}",
            self.episodes, self.true_episodes, self.precision, self.f1
        )?;
        let rate = self
            .false_alarms_per_pod_hour
            .map_or_else(|| "n/a".to_string(), |r| format!("{r:.3}"));
        writeln!(
            f,
            "median detection delay {}   false alarms {} per pod-hour ({} over {:.1} pod-hours)",
            opt_duration(self.median_delay_s),
            rate,
            self.false_episodes,
            self.pod_hours
        )?;
        writeln!(
            f,
            "{:<20}{:>6}{:>7}{:>7}{:>14}",
            "kind", "faults", "caught", "recall", "median_delay"
        )?;
        for k in &self.by_kind {
            writeln!(
                f,
                "{:<20}{:>6}{:>7}{:>7.3}{:>14}",
                k.kind.as_str(),
                k.faults,
                k.caught,
                k.recall,
                opt_duration(k.median_delay_s)
            )?;
        }
        for w in self.unseen_faults() {
            writeln!(
                f,
                "not in scores (missed): {}/{} {} {} .. {}",
                w.namespace,
                w.pod,
                w.kind,
                w.start.to_rfc3339(),
                w.end.to_rfc3339()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(human_duration(0.0), "0s");
        assert_eq!(human_duration(35.4), "35s");
        assert_eq!(human_duration(125.0), "2m5s");
        assert_eq!(human_duration(3603.0), "1h0m3s");
        assert_eq!(opt_duration(None), "-");
    }
}
