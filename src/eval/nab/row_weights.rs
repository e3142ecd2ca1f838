//! What each row of a file would add to the score if it were a detection: NAB's
//! `Sweeper.calcSweepScore`, before the profile's weights are applied.
//!
//! - In a window of width `w` ending at row `r`, row `i` sits at `x = -(r - i + 1) / w`
//!   (−1 at the window's first row, just below 0 at its last) and is worth
//!   `σ(x) · A_TP / σ(−1)`, where `σ(x) = 2 / (1 + e^(5x)) − 1`: a full `A_TP` at the start.
//! - After a window of width `w` ending at row `r`, row `i` is a false positive at
//!   `x = |r − i| / (w − 1)` worth `σ(x) · A_FP` (σ is −1 beyond `x > 3`): slightly negative
//!   just after the window, `−A_FP` far from it. Before the first window a false positive is
//!   worth `−A_FP`.
//! - The first rows of each file are probationary (the detector is still learning) and do not
//!   count at all: not as detections, not as misses, not as true negatives.

use super::corpus::DataFile;

/// NAB's `probationPercent`.
pub const PROBATION_PERCENT: f64 = 0.15;

/// NAB's scaled sigmoid `2 / (1 + e^(5x)) − 1`, written as NAB computes it
/// (`2·sigmoid(−5x) − 1`), and exactly −1 beyond `x > 3`.
pub fn scaled_sigmoid(x: f64) -> f64 {
    if x > 3.0 {
        -1.0
    } else {
        2.0 * sigmoid(-5.0 * x) - 1.0
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// How many leading rows of a file of `rows` rows are probationary:
/// NAB's `min(floor(p · rows), p · 5000)`, a row `i` counting iff `i ≥` that.
pub fn probation_rows(rows: usize, probation_percent: f64) -> usize {
    let length = (probation_percent * rows as f64)
        .floor()
        .min(probation_percent * 5000.0);
    (length.ceil().max(0.0) as usize).min(rows)
}

/// One row after probation: its anomaly score and what detecting it is worth, unweighted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScorableRow {
    pub score: f64,
    /// Corpus-wide id of the window the row is in, if any.
    pub window: Option<u32>,
    /// `σ(x)` for the row's position `x` (see the module docs).
    pub sigmoid: f64,
}

/// The scorable rows of `file` in row order, given its anomaly scores (one per row) and the
/// corpus-wide id of its first window.
pub fn scorable_rows(
    file: &DataFile,
    scores: &[f64],
    first_window: u32,
    probation_percent: f64,
) -> Vec<ScorableRow> {
    debug_assert_eq!(file.rows(), scores.len());
    let skip = probation_rows(file.rows(), probation_percent);
    let mut rows = Vec::with_capacity(file.rows().saturating_sub(skip));
    let mut next = 0; // index of the next window to enter
    let mut current: Option<usize> = None;
    // (last row, width) of the window most recently left.
    let mut previous: Option<(usize, usize)> = None;
    for (i, &score) in scores.iter().enumerate() {
        if current.is_none() && file.windows.get(next).is_some_and(|w| w.start == i) {
            current = Some(next);
            next += 1;
        }
        let (window, sigmoid) = match current {
            Some(k) => {
                let w = file.windows[k];
                let x = -((w.end - i + 1) as f64) / w.len() as f64;
                (Some(first_window + k as u32), scaled_sigmoid(x))
            }
            None => match previous {
                None => (None, -1.0),
                // A one-row window gives 1/0 = inf here, so −1; NAB would divide by zero.
                Some((end, width)) => (None, scaled_sigmoid((i - end) as f64 / (width - 1) as f64)),
            },
        };
        if i >= skip {
            rows.push(ScorableRow {
                score,
                window,
                sigmoid,
            });
        }
        if let Some(k) = current {
            let w = file.windows[k];
            if i == w.end {
                previous = Some((w.end, w.len()));
                current = None;
            }
        }
    }
    rows
}

/// How many of `file`'s windows have at least one row after probation: NAB counts only those
/// as missed when undetected.
pub fn scorable_windows(file: &DataFile, probation_percent: f64) -> usize {
    let skip = probation_rows(file.rows(), probation_percent);
    file.windows.iter().filter(|w| w.end >= skip).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::nab::corpus::Window;

    #[test]
    fn the_sigmoid_has_nab_s_landmarks() {
        // 2/(1+e^-5) - 1 = 0.986614 at a window's start, 0 at x = 0, and its mirror after.
        assert!((scaled_sigmoid(-1.0) - 0.9866142981514303).abs() < 1e-15);
        assert!((scaled_sigmoid(-0.5) - 0.8482836399575129).abs() < 1e-15);
        assert_eq!(scaled_sigmoid(0.0), 0.0);
        assert!((scaled_sigmoid(1.0) + 0.9866142981514303).abs() < 1e-15);
        assert!(scaled_sigmoid(3.0) > -1.0);
        assert_eq!(scaled_sigmoid(3.0000001), -1.0);
    }

    #[test]
    fn probation_is_15_percent_floored_and_at_most_750_rows() {
        assert_eq!(probation_rows(4032, PROBATION_PERCENT), 604); // floor(604.8)
        assert_eq!(probation_rows(1243, PROBATION_PERCENT), 186); // floor(186.45)
        assert_eq!(probation_rows(4999, PROBATION_PERCENT), 749);
        assert_eq!(probation_rows(5000, PROBATION_PERCENT), 750);
        assert_eq!(probation_rows(22695, PROBATION_PERCENT), 750);
        assert_eq!(probation_rows(3, PROBATION_PERCENT), 0);
        assert_eq!(probation_rows(0, PROBATION_PERCENT), 0);
        assert_eq!(probation_rows(100, 0.0), 0);
    }

    #[test]
    fn rows_carry_window_ids_and_positions() {
        // 10 rows, one window at rows 4..=6 (width 3), no probation.
        let f = DataFile::synthetic("f", 10, vec![Window { start: 4, end: 6 }]).unwrap();
        let rows = scorable_rows(&f, &[0.0; 10], 7, 0.0);
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[3].window, None);
        assert_eq!(rows[3].sigmoid, -1.0); // before any window
        assert_eq!(rows[4].window, Some(7));
        assert_eq!(rows[4].sigmoid, scaled_sigmoid(-1.0)); // x = -3/3
        assert_eq!(rows[6].sigmoid, scaled_sigmoid(-1.0 / 3.0)); // x = -1/3
        assert_eq!(rows[7].window, None);
        assert_eq!(rows[7].sigmoid, scaled_sigmoid(0.5)); // x = 1/(3-1)
        assert_eq!(rows[9].sigmoid, scaled_sigmoid(1.5)); // x = 3/2
                                                          // With 15% probation only rows 1.. count (floor(1.5) = 1).
        assert_eq!(scorable_rows(&f, &[0.0; 10], 0, 0.15).len(), 9);
    }
}
