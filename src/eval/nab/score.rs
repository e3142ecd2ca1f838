//! Scoring a detector's anomaly scores against a corpus, NAB v1.1's way: per profile, sweep
//! every threshold over the whole corpus, keep the best, score each file at it, and
//! normalise the total between the null detector (0) and a perfect one (100).

use super::corpus::Corpus;
use super::profile::{Profile, PROFILES};
use super::report::{FileScore, NabReport, ProfileReport};
use super::row_weights::{probation_rows, scorable_rows, ScorableRow, PROBATION_PERCENT};
use super::sweep::Sweep;
use super::tally::{Counts, Tally};
use std::collections::HashMap;

/// Knobs of NAB scoring; the default is NAB v1.1's.
#[derive(Debug, Clone, PartialEq)]
pub struct NabOptions {
    pub probation_percent: f64,
    pub profiles: Vec<Profile>,
    /// `None` (NAB's way): each profile's threshold is the best one for this corpus.
    /// `Some`: one threshold per profile, used as given, e.g. chosen on another corpus so
    /// that the score is not tuned on the data it reports.
    pub thresholds: Option<Vec<f64>>,
}

impl Default for NabOptions {
    fn default() -> NabOptions {
        NabOptions {
            probation_percent: PROBATION_PERCENT,
            profiles: PROFILES.to_vec(),
            thresholds: None,
        }
    }
}

/// Why a set of anomaly scores could not be scored against a corpus.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreCorpusError {
    #[error("no anomaly scores for corpus file {file:?}")]
    Missing { file: String },
    #[error("anomaly scores for {file:?}, which is not in the corpus")]
    Unknown { file: String },
    #[error("anomaly scores for {file:?}: {found} rows, but the data file has {expected}")]
    Length {
        file: String,
        found: usize,
        expected: usize,
    },
    #[error("anomaly scores for {file:?}, row {row} (from 0): {value} is not a score in [0, 1]")]
    Value {
        file: String,
        row: usize,
        value: f64,
    },
    #[error("{found} fixed thresholds for {expected} profiles")]
    Thresholds { expected: usize, found: usize },
}

/// Scores `scores` (per corpus file name, one anomaly score in [0, 1] per row) with NAB v1.1's
/// settings.
pub fn score_corpus(
    corpus: &Corpus,
    scores: &HashMap<String, Vec<f64>>,
) -> Result<NabReport, ScoreCorpusError> {
    score_corpus_with(corpus, scores, &NabOptions::default())
}

/// [`score_corpus`] with other options.
pub fn score_corpus_with(
    corpus: &Corpus,
    scores: &HashMap<String, Vec<f64>>,
    options: &NabOptions,
) -> Result<NabReport, ScoreCorpusError> {
    check_scores(corpus, scores)?;
    if let Some(t) = &options.thresholds {
        if t.len() != options.profiles.len() {
            return Err(ScoreCorpusError::Thresholds {
                expected: options.profiles.len(),
                found: t.len(),
            });
        }
    }
    // Each file's scorable rows, windows numbered across the corpus.
    let mut per_file: Vec<Vec<ScorableRow>> = Vec::with_capacity(corpus.files.len());
    let mut first_window = 0u32;
    for file in &corpus.files {
        per_file.push(scorable_rows(
            file,
            &scores[&file.name],
            first_window,
            options.probation_percent,
        ));
        first_window += file.windows.len() as u32;
    }
    let window_ids = first_window as usize;
    let all: Vec<ScorableRow> = per_file.iter().flatten().copied().collect();
    // Only the optimiser needs the rows sorted.
    let sweep = options
        .thresholds
        .is_none()
        .then(|| Sweep::new(all.clone(), window_ids));

    let profiles = options
        .profiles
        .iter()
        .enumerate()
        .map(|(i, &profile)| {
            let threshold = match &options.thresholds {
                Some(fixed) => fixed[i],
                None => {
                    sweep
                        .as_ref()
                        .expect("built without fixed thresholds")
                        .best(profile)
                        .threshold
                }
            };
            let mut counts = Counts::default();
            let mut raw_score = 0.0;
            let mut windows_detected = 0;
            let files: Vec<FileScore> = corpus
                .files
                .iter()
                .zip(&per_file)
                .map(|(file, rows)| {
                    let mut tally = Tally::new(profile, rows, window_ids);
                    for row in rows.iter().filter(|r| r.score >= threshold) {
                        tally.detect(row);
                    }
                    counts.add(&tally.counts());
                    raw_score += tally.score();
                    windows_detected += tally.windows_detected();
                    FileScore {
                        file: file.name.clone(),
                        rows: file.rows(),
                        probation_rows: probation_rows(file.rows(), options.probation_percent),
                        windows: file.windows.len(),
                        windows_detected: tally.windows_detected(),
                        counts: tally.counts(),
                        raw_score: tally.score(),
                    }
                })
                .collect();
            let null_score = null_score(profile, &all, window_ids);
            let perfect_score = corpus.windows() as f64 * profile.tp_weight;
            let normalized_score = (perfect_score != null_score)
                .then(|| 100.0 * (raw_score - null_score) / (perfect_score - null_score));
            ProfileReport {
                profile,
                threshold,
                raw_score,
                null_score,
                perfect_score,
                normalized_score,
                counts,
                windows_detected,
                files,
            }
        })
        .collect();
    Ok(NabReport {
        files: corpus.files.len(),
        rows: corpus.rows(),
        windows: corpus.windows(),
        probation_percent: options.probation_percent,
        profiles,
    })
}

/// NAB's null detector gives every row the same score, so its optimised threshold either
/// detects nothing (every scorable window missed) or everything; it keeps the better, and
/// nothing on a tie (the higher threshold).
fn null_score(profile: Profile, rows: &[ScorableRow], window_ids: usize) -> f64 {
    let mut tally = Tally::new(profile, rows, window_ids);
    let nothing = tally.score();
    for row in rows {
        tally.detect(row);
    }
    let everything = tally.score();
    if everything > nothing {
        everything
    } else {
        nothing
    }
}

fn check_scores(
    corpus: &Corpus,
    scores: &HashMap<String, Vec<f64>>,
) -> Result<(), ScoreCorpusError> {
    for file in &corpus.files {
        let values = scores
            .get(&file.name)
            .ok_or_else(|| ScoreCorpusError::Missing {
                file: file.name.clone(),
            })?;
        if values.len() != file.rows() {
            return Err(ScoreCorpusError::Length {
                file: file.name.clone(),
                found: values.len(),
                expected: file.rows(),
            });
        }
        // `contains` is false for NaN, so NaN is refused too.
        if let Some(row) = values.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(ScoreCorpusError::Value {
                file: file.name.clone(),
                row,
                value: values[row],
            });
        }
    }
    let mut unknown: Vec<&String> = scores.keys().filter(|k| corpus.file(k).is_none()).collect();
    unknown.sort();
    match unknown.first() {
        Some(file) => Err(ScoreCorpusError::Unknown {
            file: (*file).clone(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::nab::corpus::{DataFile, Window};

    /// Two files of 100 rows, each with one window at rows 40..=49; the default options
    /// (15% probation: rows 0..=14 do not count).
    fn corpus() -> Corpus {
        let w = vec![Window { start: 40, end: 49 }];
        Corpus::new(vec![
            DataFile::synthetic("c/a.csv", 100, w.clone()).unwrap(),
            DataFile::synthetic("c/b.csv", 100, w).unwrap(),
        ])
    }

    fn scores(a: &[usize], b: &[usize]) -> HashMap<String, Vec<f64>> {
        let mut map = HashMap::new();
        for (name, hits) in [("c/a.csv", a), ("c/b.csv", b)] {
            let mut v = vec![0.0; 100];
            for &i in hits {
                v[i] = 1.0;
            }
            map.insert(name.to_string(), v);
        }
        map
    }

    fn normalized(report: &NabReport, profile: &str) -> f64 {
        report.profile(profile).unwrap().normalized_score.unwrap()
    }

    #[test]
    fn the_null_detector_scores_0_and_the_perfect_one_100() {
        // Never firing: both windows missed. Standard: raw -2 = null; perfect 2 (A_TP per window).
        let null = score_corpus(&corpus(), &scores(&[], &[])).unwrap();
        let standard = null.profile("standard").unwrap();
        assert_eq!(standard.threshold, 1.1);
        assert_eq!(
            (
                standard.raw_score,
                standard.null_score,
                standard.perfect_score
            ),
            (-2.0, -2.0, 2.0)
        );
        for p in ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] {
            assert_eq!(normalized(&null, p), 0.0, "{p}");
        }
        // reward_low_FN_rate: a miss costs 2, so null = -4.
        assert_eq!(null.profile("reward_low_FN_rate").unwrap().null_score, -4.0);

        // Both windows detected at their first row and nothing else: raw 2 = perfect.
        let perfect = score_corpus(&corpus(), &scores(&[40], &[40])).unwrap();
        for p in ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] {
            let report = perfect.profile(p).unwrap();
            assert_eq!(report.threshold, 1.0, "{p}");
            assert!((report.raw_score - 2.0).abs() < 1e-12, "{p}");
            assert!((normalized(&perfect, p) - 100.0).abs() < 1e-9, "{p}");
        }
    }

    #[test]
    fn normalisation_is_linear_between_null_and_perfect() {
        // One window caught at its start (+1), one missed: standard raw 1 - 1 = 0, so
        // 100·(0 - -2)/(2 - -2) = 50; reward_low_FN_rate raw 1 - 2 = -1, so
        // 100·(-1 - -4)/(2 - -4) = 50.
        let half = score_corpus(&corpus(), &scores(&[40], &[])).unwrap();
        assert!((normalized(&half, "standard") - 50.0).abs() < 1e-9);
        assert!((normalized(&half, "reward_low_FN_rate") - 50.0).abs() < 1e-9);
        let standard = half.profile("standard").unwrap();
        assert_eq!(standard.windows_detected, 1);
        assert_eq!(standard.files[0].windows_detected, 1);
        assert_eq!(standard.files[0].raw_score, 1.0);
        assert_eq!(standard.files[1].raw_score, -1.0);
        // Rows after probation: 85 per file; file a has 1 TP, 9 FN, 75 TN.
        assert_eq!(standard.files[0].probation_rows, 15);
        assert_eq!(
            standard.counts,
            Counts {
                tp: 1,
                fp: 0,
                fn_: 19,
                tn: 150
            }
        );
    }

    #[test]
    fn one_threshold_serves_the_whole_corpus() {
        // File a: a clean detection at its window's start, score 1. File b: a 0.5 at row 60,
        // an FP 11 rows after the window, x = 11/9 = 1.22: σ = -0.9955, × 0.11 = -0.1095.
        // The best corpus threshold is 1.0, so b's 0.5 is not a detection there.
        let mut s = scores(&[40], &[]);
        s.get_mut("c/b.csv").unwrap()[60] = 0.5;
        let report = score_corpus(&corpus(), &s).unwrap();
        let standard = report.profile("standard").unwrap();
        assert_eq!(standard.threshold, 1.0);
        assert_eq!(standard.files[1].counts.fp, 0);
        assert_eq!(standard.raw_score, 0.0);
    }

    #[test]
    fn the_null_detector_fires_everywhere_when_that_scores_better() {
        // NAB's null detector scores every row 0.5 and takes its best threshold. In a 10-row
        // file with a window at 2..=7 (width 6), no probation, firing everywhere scores
        // +1 (row 2) - 0.11·2 (rows 0, 1) + 0.11·σ(1/5) + 0.11·σ(2/5) (rows 8, 9)
        // = 1 - 0.22 - 0.0508329 - 0.0837754 = 0.6453918, above -1 for never firing.
        let corpus = Corpus::new(vec![DataFile::synthetic(
            "t.csv",
            10,
            vec![Window { start: 2, end: 7 }],
        )
        .unwrap()]);
        let scores = HashMap::from([("t.csv".to_string(), vec![0.0; 10])]);
        let options = NabOptions {
            probation_percent: 0.0,
            ..NabOptions::default()
        };
        let report = score_corpus_with(&corpus, &scores, &options).unwrap();
        let standard = report.profile("standard").unwrap();
        assert!((standard.null_score - 0.645_391_755_546_264_8).abs() < 1e-12);
    }

    #[test]
    fn scores_must_fit_the_corpus() {
        let c = corpus();
        let mut s = scores(&[], &[]);
        s.remove("c/b.csv");
        assert_eq!(
            score_corpus(&c, &s).unwrap_err().to_string(),
            "no anomaly scores for corpus file \"c/b.csv\""
        );
        let mut s = scores(&[], &[]);
        s.get_mut("c/b.csv").unwrap().pop();
        assert_eq!(
            score_corpus(&c, &s).unwrap_err().to_string(),
            "anomaly scores for \"c/b.csv\": 99 rows, but the data file has 100"
        );
        let mut s = scores(&[], &[]);
        s.get_mut("c/a.csv").unwrap()[7] = f64::NAN;
        assert_eq!(
            score_corpus(&c, &s).unwrap_err().to_string(),
            "anomaly scores for \"c/a.csv\", row 7 (from 0): NaN is not a score in [0, 1]"
        );
        let mut s = scores(&[], &[]);
        s.insert("c/z.csv".into(), vec![]);
        assert_eq!(
            score_corpus(&c, &s).unwrap_err().to_string(),
            "anomaly scores for \"c/z.csv\", which is not in the corpus"
        );
    }

    #[test]
    fn a_corpus_without_windows_has_no_normalised_score() {
        let corpus = Corpus::new(vec![DataFile::synthetic("n.csv", 10, vec![]).unwrap()]);
        let scores = HashMap::from([("n.csv".to_string(), vec![0.0; 10])]);
        let report = score_corpus(&corpus, &scores).unwrap();
        assert_eq!(report.profiles[0].normalized_score, None);
        assert!(report.to_string().contains("n/a"));
        assert!(report.to_json().contains("\"normalized_score\": null"));
    }
}
