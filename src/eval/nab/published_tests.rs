//! Reproduces NAB's published per-file scores of its `numenta` detector on two files of the
//! slice, at NAB's published corpus-wide thresholds.
//!
//! Source: numenta/NAB (MIT licence), `results/numenta/<category>/numenta_<file>.csv` (the
//! version scored for `results/numenta/numenta_<profile>_scores.csv`), and
//! `config/thresholds.json`. Only rows whose `anomaly_score` is at least 0.5 are kept here;
//! every other row scored below 0.3, under both thresholds. Both files are 4032 rows, 5 minutes
//! apart, without gaps, so a timestamp gives its row.

use super::corpus::{Corpus, DataFile, Window};
use super::score::{score_corpus_with, NabOptions};
use chrono::NaiveDateTime;
use std::collections::HashMap;

/// NAB's optimised thresholds for `numenta`: standard, reward_low_FP_rate, reward_low_FN_rate.
const THRESHOLDS: [f64; 3] = [0.5421876907348634, 0.5751955032348636, 0.5421876907348634];

struct Published {
    file: &'static str,
    start: &'static str,
    windows: &'static [(&'static str, &'static str)],
    /// (timestamp, anomaly_score) of every row scored 0.5 or more.
    high: &'static [(&'static str, f64)],
    /// Per profile, as above: raw score, TP, TN, FP, FN.
    expected: [(f64, usize, usize, usize, usize); 3],
}

const FILES: [Published; 2] = [
    Published {
        file: "artificialWithAnomaly/art_daily_flatmiddle.csv",
        start: "2014-04-01 00:00:00",
        windows: &[("2014-04-10 07:15:00", "2014-04-11 16:45:00")],
        high: &[
            // Probationary (the first 604 rows): ignored.
            ("2014-04-01 00:10:00", 1.0),
            ("2014-04-01 00:20:00", 1.0),
            ("2014-04-01 00:30:00", 1.0),
            ("2014-04-01 05:00:00", 1.0),
            ("2014-04-01 09:00:00", 1.0),
            ("2014-04-01 09:05:00", 1.0),
            ("2014-04-01 10:00:00", 1.0),
            ("2014-04-01 10:10:00", 1.0),
            // In the window.
            ("2014-04-11 00:05:00", 0.968242573261),
            // After it: false positives weighted by their distance from it.
            ("2014-04-11 23:25:00", 0.547705807482),
            ("2014-04-12 09:20:00", 0.635139129681),
            ("2014-04-12 18:30:00", 0.574726331087),
            ("2014-04-13 09:25:00", 0.541611372214), // just below both thresholds
            ("2014-04-14 09:20:00", 0.572182048358),
        ],
        expected: [
            (0.499996314723, 1, 3021, 4, 402),
            (0.673061715589, 1, 3024, 1, 402),
            (0.499996314723, 1, 3021, 4, 402),
        ],
    },
    Published {
        file: "realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv",
        start: "2014-02-14 14:30:00",
        windows: &[
            ("2014-02-26 13:45:00", "2014-02-27 06:25:00"),
            ("2014-02-27 08:55:00", "2014-02-28 01:35:00"),
        ],
        high: &[
            // Probationary.
            ("2014-02-14 15:10:00", 1.0),
            ("2014-02-14 15:35:00", 1.0),
            ("2014-02-15 03:05:00", 1.0),
            // Before the first window: full false-positive cost.
            ("2014-02-17 03:20:00", 0.999504378009),
            ("2014-02-18 03:25:00", 0.937984618289),
            ("2014-02-19 03:40:00", 0.619303866563),
            ("2014-02-20 03:40:00", 0.892991461338),
            // First window: two detections, the earlier counts.
            ("2014-02-26 22:05:00", 1.0),
            ("2014-02-26 22:10:00", 0.999765051489),
            // Second window.
            ("2014-02-27 17:20:00", 0.937400875231),
        ],
        expected: [
            (1.27956648491, 3, 3022, 4, 399),
            (0.839566484907, 3, 3022, 4, 399),
            (1.27956648491, 3, 3022, 4, 399),
        ],
    },
];

fn ts(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
}

fn row(start: NaiveDateTime, at: &str) -> usize {
    ((ts(at) - start).num_minutes() / 5) as usize
}

#[test]
fn reproduces_nab_published_per_file_scores_of_the_numenta_detector() {
    let mut files = Vec::new();
    let mut scores = HashMap::new();
    for p in &FILES {
        let start = ts(p.start);
        let timestamps = (0..4032)
            .map(|i| start + chrono::Duration::minutes(5 * i))
            .collect();
        let windows = p
            .windows
            .iter()
            .map(|(a, b)| Window {
                start: row(start, a),
                end: row(start, b),
            })
            .collect();
        files.push(DataFile::new(p.file, timestamps, windows).unwrap());
        let mut s = vec![0.0; 4032];
        for (at, score) in p.high {
            s[row(start, at)] = *score;
        }
        scores.insert(p.file.to_string(), s);
    }
    let options = NabOptions {
        thresholds: Some(THRESHOLDS.to_vec()),
        ..NabOptions::default()
    };
    let report = score_corpus_with(&Corpus::new(files), &scores, &options).unwrap();
    for (profile, expected_index) in report.profiles.iter().zip(0..) {
        for p in &FILES {
            let got = profile.files.iter().find(|f| f.file == p.file).unwrap();
            let (score, tp, tn, fp, fn_) = p.expected[expected_index];
            // NAB printed 12 significant digits.
            assert!(
                (got.raw_score - score).abs() < 1e-11,
                "{} {}: {} vs published {score}",
                profile.profile.name,
                p.file,
                got.raw_score
            );
            let c = got.counts;
            assert_eq!(
                (c.tp, c.tn, c.fp, c.fn_),
                (tp, tn, fp, fn_),
                "{} {}",
                profile.profile.name,
                p.file
            );
        }
    }
}
