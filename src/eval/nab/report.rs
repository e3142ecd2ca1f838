//! The result of NAB scoring: numbers for machines (`to_json`) and tables for people
//! (`Display`).

use super::profile::Profile;
use super::sweep::NO_DETECTION;
use super::tally::Counts;
use serde::Serialize;
use std::fmt;

/// NAB scores of one detector's anomaly scores over a corpus, for each profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NabReport {
    pub files: usize,
    pub rows: usize,
    pub windows: usize,
    pub probation_percent: f64,
    pub profiles: Vec<ProfileReport>,
}

/// The detector's score under one profile, at the corpus-wide threshold that maximises it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileReport {
    pub profile: Profile,
    /// A row is a detection iff its anomaly score is at or above this. 1.1 (NAB's start of
    /// the sweep): no row is, because no threshold did better than detecting nothing.
    pub threshold: f64,
    /// Sum of the files' raw scores at `threshold`.
    pub raw_score: f64,
    /// Raw score of NAB's null detector (a constant score; in practice it detects nothing).
    pub null_score: f64,
    /// Raw score of a perfect detector: every window detected at its first row.
    pub perfect_score: f64,
    /// `100 · (raw − null) / (perfect − null)`: 0 is the null detector, 100 perfect. `None`
    /// when the two coincide (a corpus without windows).
    pub normalized_score: Option<f64>,
    /// Rows, summed over files.
    pub counts: Counts,
    pub windows_detected: usize,
    pub files: Vec<FileScore>,
}

/// One file's part of a profile's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileScore {
    pub file: String,
    pub rows: usize,
    pub probation_rows: usize,
    pub windows: usize,
    pub windows_detected: usize,
    pub counts: Counts,
    pub raw_score: f64,
}

impl NabReport {
    /// The report of the profile named `name` (e.g. `"standard"`).
    pub fn profile(&self, name: &str) -> Option<&ProfileReport> {
        self.profiles.iter().find(|p| p.profile.name == name)
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        // Cannot fail: plain structs with string keys; non-finite floats are written as null.
        serde_json::to_string_pretty(self).expect("NabReport serialises to JSON")
    }
}

fn threshold_text(t: f64) -> String {
    if t == NO_DETECTION {
        "none".to_string()
    } else {
        format!("{t:.6}")
    }
}

impl fmt::Display for NabReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "NAB scores: {} files, {} rows, {} windows; the first {}% of each file (at most {} rows) is probationary",
            self.files,
            self.rows,
            self.windows,
            self.probation_percent * 100.0,
            (self.probation_percent * 5000.0) as usize
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<20}{:>10}{:>10}{:>9}{:>9}{:>11}{:>10}{:>7}{:>7}{:>8}{:>9}",
            "profile",
            "score",
            "raw",
            "null",
            "perfect",
            "threshold",
            "windows",
            "TP",
            "FP",
            "FN",
            "TN"
        )?;
        for p in &self.profiles {
            let normalized = p
                .normalized_score
                .map_or_else(|| "n/a".to_string(), |s| format!("{s:.2}"));
            writeln!(
                f,
                "{:<20}{:>10}{:>10.3}{:>9.2}{:>9.2}{:>11}{:>10}{:>7}{:>7}{:>8}{:>9}",
                p.profile.name,
                normalized,
                p.raw_score,
                p.null_score,
                p.perfect_score,
                threshold_text(p.threshold),
                format!("{}/{}", p.windows_detected, self.windows),
                p.counts.tp,
                p.counts.fp,
                p.counts.fn_,
                p.counts.tn
            )?;
        }
        let width = self
            .profiles
            .iter()
            .flat_map(|p| p.files.iter().map(|s| s.file.len()))
            .max()
            .unwrap_or(4)
            .max(4);
        for p in &self.profiles {
            writeln!(f)?;
            writeln!(
                f,
                "{} (threshold {}), per file:",
                p.profile.name,
                threshold_text(p.threshold)
            )?;
            writeln!(
                f,
                "{:<width$}{:>9}{:>6}{:>6}{:>7}{:>7}{:>10}",
                "file", "windows", "TP", "FP", "FN", "TN", "raw"
            )?;
            for s in &p.files {
                writeln!(
                    f,
                    "{:<width$}{:>9}{:>6}{:>6}{:>7}{:>7}{:>10.4}",
                    s.file,
                    format!("{}/{}", s.windows_detected, s.windows),
                    s.counts.tp,
                    s.counts.fp,
                    s.counts.fn_,
                    s.counts.tn,
                    s.raw_score
                )?;
            }
        }
        writeln!(f)?;
        write!(
            f,
            "score = 100 * (raw - null) / (perfect - null): 0 = never detecting, 100 = every window \
             detected at its start and no false positive. windows = detected/labelled; TP, FP, FN, \
             TN count rows after probation."
        )
    }
}
