//! The corpus-wide threshold sweep: NAB's `calcScoreByThreshold` over the rows of every file
//! at once, and its optimiser, which keeps the best threshold.
//!
//! Rows are sorted once by anomaly score, highest first, and added one by one to a running
//! [`Tally`]; whenever the score changes, the tally so far is the result of the previous
//! threshold. So every distinct score is tried as a threshold in O(n log n), where rescoring
//! the corpus for each candidate would be O(n²). A row is a detection at threshold `t` iff its
//! score is `≥ t`. The sweep starts at [`NO_DETECTION`] (nothing detected); ties in the best
//! score go to the higher threshold, as NAB's stable sort does.

use super::profile::Profile;
use super::row_weights::ScorableRow;
use super::tally::{Counts, Tally};
use serde::Serialize;

/// NAB's starting threshold, above every score: no row is a detection.
pub const NO_DETECTION: f64 = 1.1;

/// The corpus's score at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThresholdScore {
    pub threshold: f64,
    pub score: f64,
    pub counts: Counts,
}

/// The scorable rows of a whole corpus, sorted for sweeping.
#[derive(Debug, Clone)]
pub struct Sweep {
    rows: Vec<ScorableRow>,
    window_ids: usize,
}

impl Sweep {
    /// Sorts `rows` (from every file) by score, highest first; `window_ids` bounds the window
    /// ids they carry. Scores must not be NaN.
    pub fn new(mut rows: Vec<ScorableRow>, window_ids: usize) -> Sweep {
        // Stable, like NAB's `sorted`; -0.0 and 0.0 end up adjacent, and the `!=` below treats
        // them as one threshold, as Python does.
        rows.sort_by(|a, b| b.score.total_cmp(&a.score));
        Sweep { rows, window_ids }
    }

    /// The score at every threshold, from [`NO_DETECTION`] down to the lowest score.
    pub fn curve(&self, profile: Profile) -> Vec<ThresholdScore> {
        let mut curve = Vec::new();
        self.walk(profile, |point| curve.push(point));
        curve
    }

    /// The threshold with the highest score (the highest such threshold on ties).
    pub fn best(&self, profile: Profile) -> ThresholdScore {
        let mut best: Option<ThresholdScore> = None;
        self.walk(profile, |point| {
            if best.is_none_or(|b| point.score > b.score) {
                best = Some(point);
            }
        });
        best.expect("the sweep reports at least its starting threshold")
    }

    fn walk(&self, profile: Profile, mut visit: impl FnMut(ThresholdScore)) {
        let mut tally = Tally::new(profile, &self.rows, self.window_ids);
        let mut threshold = NO_DETECTION;
        for row in &self.rows {
            if row.score != threshold {
                visit(ThresholdScore {
                    threshold,
                    score: tally.score(),
                    counts: tally.counts(),
                });
                threshold = row.score;
            }
            tally.detect(row);
        }
        visit(ThresholdScore {
            threshold,
            score: tally.score(),
            counts: tally.counts(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::nab::corpus::{DataFile, Window};
    use crate::eval::nab::profile::STANDARD;
    use crate::eval::nab::row_weights::scorable_rows;

    #[test]
    fn the_sweep_tries_every_score_and_keeps_the_best_highest_threshold() {
        // 100 rows, window 40..=49, no probation. Scores: row 41 0.9, row 45 0.8, row 20 0.7,
        // every other row 0.
        let file = DataFile::synthetic("f", 100, vec![Window { start: 40, end: 49 }]).unwrap();
        let mut scores = vec![0.0; 100];
        scores[41] = 0.9;
        scores[45] = 0.8;
        scores[20] = 0.7;
        let sweep = Sweep::new(scorable_rows(&file, &scores, 0, 0.0), 1);
        let curve = sweep.curve(STANDARD);
        let thresholds: Vec<f64> = curve.iter().map(|p| p.threshold).collect();
        assert_eq!(thresholds, vec![1.1, 0.9, 0.8, 0.7, 0.0]);
        // 1.1: nothing detected, the window is missed: -1.
        assert_eq!(curve[0].score, -1.0);
        // 0.9: row 41, x = -9/10: σ(-0.9) = 0.9780261, / σ(-1) = 0.9866143 gives 0.9912953.
        assert!((curve[1].score - 0.991_295_298_042_296_7).abs() < 1e-12);
        // 0.8: row 45 is later in the same window: no change (a tie with 0.9).
        assert_eq!(curve[2].score, curve[1].score);
        assert_eq!(curve[2].counts.tp, 2);
        // 0.7: row 20 is a false positive before the window: -0.11.
        assert!((curve[3].score - (0.991_295_298_042_296_7 - 0.11)).abs() < 1e-12);
        // 0.0: every row; 96 more false positives sink it.
        assert!(curve[4].score < -8.0);
        assert_eq!(curve[4].counts.fp, 90);
        // The best: 0.9 and 0.8 tie, and NAB keeps the higher threshold.
        let best = sweep.best(STANDARD);
        assert_eq!(best.threshold, 0.9);
        assert_eq!(best, curve[1]);
    }

    #[test]
    fn when_nothing_beats_silence_the_best_is_to_detect_nothing() {
        // Only a false positive: detecting it can only cost.
        let file = DataFile::synthetic("f", 100, vec![Window { start: 40, end: 49 }]).unwrap();
        let mut scores = vec![0.0; 100];
        scores[10] = 0.6;
        let best = Sweep::new(scorable_rows(&file, &scores, 0, 0.0), 1).best(STANDARD);
        assert_eq!(best.threshold, NO_DETECTION);
        assert_eq!(best.score, -1.0);
        assert_eq!(best.counts.fn_, 10);
    }
}
