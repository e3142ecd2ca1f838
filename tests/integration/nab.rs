//! `detect --format nab`: a single `timestamp,value` series (the Numenta Anomaly Benchmark
//! layout) scored online; a spike must stand out, a directory is mirrored, a malformed row is a
//! clear error.

use crate::harness::{command, run_bounded, run_cli, write_file, MODEL_DIR};
use std::time::Duration;

// Long enough for the detector to learn (it stays quiet for its first few hundred samples).
const ROWS: usize = 800;
const SPIKE: usize = 700;

/// A calm, slightly wavy series sampled every 5 minutes, with one spike at row `SPIKE`.
fn series() -> Vec<(String, f64)> {
    let start = chrono::NaiveDate::from_ymd_opt(2015, 3, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    (0..ROWS)
        .map(|i| {
            let t = start + chrono::Duration::minutes(5 * i as i64);
            // A daylight-saving change repeats a timestamp; it must be accepted.
            let t = if i == 100 {
                t - chrono::Duration::minutes(5)
            } else {
                t
            };
            let v = if i == SPIKE {
                400.0
            } else {
                40.0 + [0.0, 1.5, -1.0, 2.0, -0.5, 1.0, -1.5][i % 7]
            };
            (t.format("%Y-%m-%d %H:%M:%S").to_string(), v)
        })
        .collect()
}

#[test]
fn nab_series_spike_scores_above_the_calm_rows() {
    spike_scores_above_the_calm_rows(None);
}

/// With the ensemble asked for, a series sampled every 5 minutes is judged by the statistical
/// detectors alone (the LSTM was trained at 5 s steps), saying so, and scores exactly as
/// `--detector statistical` does.
#[test]
fn a_coarse_series_is_left_to_the_statistics_with_a_warning() {
    let (ensemble, stderr) = spike_scores_above_the_calm_rows(Some("ensemble"));
    assert!(
        stderr.contains("WARN") && stderr.contains("trained at 5s steps"),
        "{stderr}"
    );
    let (statistical, _) = spike_scores_above_the_calm_rows(Some("statistical"));
    assert_eq!(ensemble, statistical);
}

/// The scores written for the spiky series, after the checks every detector must pass, and
/// the command's stderr.
fn spike_scores_above_the_calm_rows(detector: Option<&str>) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let input = series();
    let mut text = String::from("timestamp,value\n");
    for (t, v) in &input {
        text.push_str(&format!("{t},{v}\n"));
    }
    write_file(dir.path(), "series.csv", &text);
    let mut args = vec![
        "detect",
        "--format",
        "nab",
        "--input",
        "series.csv",
        "--output",
        "out.csv",
    ];
    if let Some(d) = detector {
        args.extend(["--detector", d]);
    }
    // The committed model: its statistics calibration applies, and the ensemble could load.
    let mut cmd = command(dir.path());
    cmd.env("K8S_MONITOR_ANOMALY_MODEL__MODEL_DIR", MODEL_DIR)
        .args(&args);
    let run = run_bounded(cmd, Duration::from_secs(60));
    run.assert_success();

    let out = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("timestamp,value,anomaly_score"));
    let rows: Vec<(String, String, f64)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 3, "{l:?}");
            (f[0].to_string(), f[1].to_string(), f[2].parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len(), ROWS, "one output row per input row");
    for ((t, v), (ot, ov, score)) in input.iter().zip(&rows) {
        assert_eq!(t, ot, "timestamps are echoed");
        assert_eq!(ov.parse::<f64>().unwrap(), *v, "values are echoed");
        assert!((0.0..=1.0).contains(score), "score {score} outside [0, 1]");
    }
    // Calm rows: everything before the spike (after it, the spike is part of the history).
    let calm_max = rows[..SPIKE].iter().map(|r| r.2).fold(0.0, f64::max);
    let spike = rows[SPIKE].2;
    assert!(
        spike > calm_max,
        "spike scored {spike}, not above the calm rows' maximum {calm_max}"
    );
    (out, run.stderr)
}

#[test]
fn nab_malformed_row_fails_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "series.csv",
        "timestamp,value\n2015-03-01 00:00:00,40\n2015-03-01 00:05:00,abc\n",
    );
    let run = run_cli(
        dir.path(),
        &[
            "detect",
            "--format",
            "nab",
            "--input",
            "series.csv",
            "--output",
            "out.csv",
        ],
    );
    let err = run.assert_failure();
    assert!(err.contains("series.csv:3: field value"), "{err}");
    assert!(
        !dir.path().join("out.csv").exists(),
        "a partial output was left"
    );

    write_file(
        dir.path(),
        "series.csv",
        "timestamp,value\n01/03/2015 00:00,40\n",
    );
    let run = run_cli(
        dir.path(),
        &[
            "detect",
            "--format",
            "nab",
            "--input",
            "series.csv",
            "--output",
            "out.csv",
        ],
    );
    let err = run.assert_failure();
    assert!(err.contains("series.csv:2: field timestamp"), "{err}");
}

#[test]
fn nab_directory_is_mirrored() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("timestamp,value\n");
    for (t, v) in series() {
        text.push_str(&format!("{t},{v}\n"));
    }
    for sub in ["in/a", "in/b"] {
        std::fs::create_dir_all(dir.path().join(sub)).unwrap();
    }
    write_file(dir.path(), "in/a/one.csv", &text);
    write_file(dir.path(), "in/b/two.csv", &text);
    let run = run_cli(
        dir.path(),
        &[
            "detect", "--format", "nab", "--input", "in", "--output", "out",
        ],
    );
    run.assert_success();
    let one = std::fs::read_to_string(dir.path().join("out/a/one.csv")).unwrap();
    let two = std::fs::read_to_string(dir.path().join("out/b/two.csv")).unwrap();
    assert_eq!(one, two, "each file is learned on its own, from scratch");
    assert_eq!(one.lines().count(), ROWS + 1);
}
