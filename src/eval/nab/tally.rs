//! The running NAB score of a set of detections under one profile, as NAB's
//! `calcScoreByThreshold` keeps it: every window starts at `−A_FN`; a detection in a window
//! raises it to the detection's weight if larger (so only the earliest detection counts);
//! each false positive adds its (negative) weight. Counts are of rows, as NAB reports them.

use super::profile::Profile;
use super::row_weights::{scaled_sigmoid, ScorableRow};
use serde::Serialize;

/// NAB's row counts: a row after probation is a true positive if detected inside a window,
/// a false positive if detected outside, a false negative if undetected inside, else a true
/// negative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    #[serde(rename = "fn")]
    pub fn_: usize,
    pub tn: usize,
}

impl Counts {
    /// Counts with nothing detected yet: every scorable row a true or false negative.
    pub fn undetected(rows: &[ScorableRow]) -> Counts {
        let inside = rows.iter().filter(|r| r.window.is_some()).count();
        Counts {
            fn_: inside,
            tn: rows.len() - inside,
            ..Counts::default()
        }
    }

    pub fn add(&mut self, other: &Counts) {
        self.tp += other.tp;
        self.fp += other.fp;
        self.fn_ += other.fn_;
        self.tn += other.tn;
    }
}

/// The score of the detections added so far.
#[derive(Debug, Clone)]
pub struct Tally {
    profile: Profile,
    max_tp: f64,
    /// Each window's part of the score, by corpus-wide window id (`None`: not scorable here).
    parts: Vec<Option<f64>>,
    parts_sum: f64,
    fp_sum: f64,
    counts: Counts,
    /// By window id: whether any row of it was detected.
    detected: Vec<bool>,
    windows_detected: usize,
}

impl Tally {
    /// Nothing detected among `rows`; `window_ids` bounds the ids they carry.
    pub fn new(profile: Profile, rows: &[ScorableRow], window_ids: usize) -> Tally {
        let mut parts = vec![None; window_ids];
        for w in rows.iter().filter_map(|r| r.window) {
            parts[w as usize] = Some(-profile.fn_weight);
        }
        let parts_sum = parts.iter().flatten().sum();
        Tally {
            profile,
            max_tp: scaled_sigmoid(-1.0),
            parts,
            parts_sum,
            fp_sum: 0.0,
            counts: Counts::undetected(rows),
            detected: vec![false; window_ids],
            windows_detected: 0,
        }
    }

    /// Counts `row` as a detection. `row` must be one of the rows given to [`Tally::new`].
    pub fn detect(&mut self, row: &ScorableRow) {
        match row.window {
            Some(w) => {
                self.counts.tp += 1;
                self.counts.fn_ -= 1;
                // NAB's order of operations: σ · A_TP / σ(−1).
                let weight = row.sigmoid * self.profile.tp_weight / self.max_tp;
                let w = w as usize;
                if !self.detected[w] {
                    self.detected[w] = true;
                    self.windows_detected += 1;
                }
                let part = self.parts[w].as_mut().expect("a window of these rows");
                if weight > *part {
                    self.parts_sum += weight - *part;
                    *part = weight;
                }
            }
            None => {
                self.counts.fp += 1;
                self.counts.tn -= 1;
                self.fp_sum += row.sigmoid * self.profile.fp_weight;
            }
        }
    }

    pub fn score(&self) -> f64 {
        self.fp_sum + self.parts_sum
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    pub fn windows_detected(&self) -> usize {
        self.windows_detected
    }
}

#[cfg(test)]
mod tests {
    //! Hand-computed cases. σ(x) = 2/(1+e^(5x)) − 1 and σ(−1) = 0.9866143 throughout; the
    //! file has 100 rows and one window at rows 40..=49 (width 10), no probation unless said.
    use super::*;
    use crate::eval::nab::corpus::{DataFile, Window};
    use crate::eval::nab::profile::{REWARD_LOW_FN_RATE, STANDARD};
    use crate::eval::nab::row_weights::{scorable_rows, PROBATION_PERCENT};

    const W: Window = Window { start: 40, end: 49 };

    /// Score and counts of detecting exactly `detected` in a 100-row file with `windows`.
    fn score_of(
        windows: Vec<Window>,
        detected: &[usize],
        profile: Profile,
        probation: f64,
    ) -> (f64, Counts, usize) {
        let file = DataFile::synthetic("f", 100, windows).unwrap();
        let n = file.windows.len();
        let mut scores = vec![0.0; 100];
        for &i in detected {
            scores[i] = 1.0;
        }
        let rows = scorable_rows(&file, &scores, 0, probation);
        let mut tally = Tally::new(profile, &rows, n);
        for row in rows.iter().filter(|r| r.score >= 1.0) {
            tally.detect(row);
        }
        (tally.score(), tally.counts(), tally.windows_detected())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn a_detection_at_the_window_start_earns_the_full_tp_weight() {
        // x = -(49 - 40 + 1)/10 = -1: σ(-1)·1/σ(-1) = 1.
        let (score, counts, detected) = score_of(vec![W], &[40], STANDARD, 0.0);
        assert!(close(score, 1.0), "{score}");
        assert_eq!((counts.tp, counts.fn_, counts.fp, counts.tn), (1, 9, 0, 90));
        assert_eq!(detected, 1);
    }

    #[test]
    fn a_detection_at_the_window_end_earns_little() {
        // x = -(49 - 49 + 1)/10 = -0.1: σ(-0.1) = 2/(1+e^-0.5) - 1 = 0.2449187;
        // / 0.9866143 = 0.2482415.
        let (score, _, _) = score_of(vec![W], &[49], STANDARD, 0.0);
        assert!(close(score, 0.248_241_549_775_429_9), "{score}");
    }

    #[test]
    fn only_the_earliest_detection_in_a_window_counts() {
        // Row 42: x = -8/10, σ(-0.8) = 0.9640276, / 0.9866143 = 0.9771068. Row 45 (worth
        // 0.8597926 alone) adds nothing, though it is counted as a TP row.
        let (score, counts, detected) = score_of(vec![W], &[42, 45], STANDARD, 0.0);
        assert!(close(score, 0.977_106_840_922_604_5), "{score}");
        assert_eq!((counts.tp, counts.fn_), (2, 8));
        assert_eq!(detected, 1);
    }

    #[test]
    fn a_false_positive_right_after_a_window_costs_less_than_one_far_away() {
        // Row 50: x = |49 - 50|/(10 - 1) = 1/9, σ(1/9) = -0.2708471, × 0.11 = -0.0297932;
        // plus the missed window, -1: -1.0297932.
        let (near, counts, _) = score_of(vec![W], &[50], STANDARD, 0.0);
        assert!(close(near, -1.029_793_183_036_839_4), "{near}");
        assert_eq!((counts.fp, counts.tn), (1, 89));
        // Row 99: x = 50/9 > 3, so σ = -1: -0.11 - 1 = -1.11.
        let (far, _, _) = score_of(vec![W], &[99], STANDARD, 0.0);
        assert!(close(far, -1.11), "{far}");
    }

    #[test]
    fn a_false_positive_before_the_first_window_costs_the_full_fp_weight() {
        // -0.11 for row 10, -1 for the missed window.
        let (score, _, _) = score_of(vec![W], &[10], STANDARD, 0.0);
        assert!(close(score, -1.11), "{score}");
    }

    #[test]
    fn a_missed_window_costs_the_fn_weight() {
        let (score, counts, _) = score_of(vec![W], &[], STANDARD, 0.0);
        assert!(close(score, -1.0), "{score}");
        assert_eq!(
            (counts.tp, counts.fn_, counts.fp, counts.tn),
            (0, 10, 0, 90)
        );
        // reward_low_FN_rate: A_FN = 2. One window caught at its start (+1), one missed (-2).
        let windows = vec![Window { start: 20, end: 29 }, W];
        let (score, _, detected) = score_of(windows, &[20], REWARD_LOW_FN_RATE, 0.0);
        assert!(close(score, -1.0), "{score}");
        assert_eq!(detected, 1);
    }

    #[test]
    fn probationary_rows_count_for_nothing() {
        // 15% of 100 rows: rows 0..=14 are probationary. A detection at row 10 is ignored: the
        // window is still missed (-1), no FP; rows 15..=99 leave 75 TN and 10 FN.
        let (score, counts, _) = score_of(vec![W], &[10], STANDARD, PROBATION_PERCENT);
        assert!(close(score, -1.0), "{score}");
        assert_eq!(
            (counts.tp, counts.fn_, counts.fp, counts.tn),
            (0, 10, 0, 75)
        );
        // A window entirely in probation is not even missed (NAB's sweeper never sees it).
        let (score, _, _) = score_of(
            vec![Window { start: 5, end: 9 }],
            &[],
            STANDARD,
            PROBATION_PERCENT,
        );
        assert!(close(score, 0.0), "{score}");
        // A window straddling it keeps its full width: row 15 of 10..=19 is at x = -5/10,
        // σ(-0.5)/σ(-1) = 0.8597926.
        let (score, _, _) = score_of(
            vec![Window { start: 10, end: 19 }],
            &[15],
            STANDARD,
            PROBATION_PERCENT,
        );
        assert!(close(score, 0.859_792_566_909_783_7), "{score}");
    }
}
