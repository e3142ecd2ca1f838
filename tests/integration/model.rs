//! The LSTM end to end through the binary: `train` is reproducible and writes a model the
//! other commands load; a missing, corrupt or mismatched model makes `detect` warn and fall
//! back to the statistical detectors, never crash or stay silent.

use crate::harness::{command, run_bounded, run_cli, MODEL_DIR};
use std::path::Path;
use std::time::Duration;

/// A small labelled data set: 12 pods, 40 minutes.
fn generate(d: &Path) {
    run_cli(
        d,
        &[
            "generate",
            "--seed",
            "5",
            "--pods",
            "12",
            "--duration",
            "40m",
            "--output",
            "gen",
        ],
    )
    .assert_success();
}

fn train(d: &Path, out: &str) -> serde_json::Value {
    let mut cmd = command(d);
    cmd.args([
        "train",
        "--input",
        "gen/pod_metrics.csv",
        "--labels",
        "gen/labels.json",
        "--output",
        out,
        "--epochs",
        "2",
        "--window",
        "32",
        "--stride",
        "16",
        "--hidden",
        "8",
        "--validation-percent",
        "30",
    ]);
    let run = run_bounded(cmd, Duration::from_secs(300));
    run.assert_success();
    assert!(
        run.stderr.contains("epoch 1/2"),
        "progress shown: {}",
        run.stderr
    );
    let text = std::fs::read_to_string(d.join(out).join("config.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn training_is_reproducible_and_its_model_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
    let a = train(d, "model-a");
    let b = train(d, "model-b");
    // A directory that holds a model is not overwritten without --force.
    let mut again = command(d);
    again.args([
        "train",
        "--input",
        "gen/pod_metrics.csv",
        "--output",
        "model-a",
        "--epochs",
        "1",
    ]);
    let refused = run_bounded(again, Duration::from_secs(60));
    assert!(
        refused.assert_failure().contains("already holds a model")
            && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        a["weights_sha256"], b["weights_sha256"],
        "same data and seed, same weights"
    );
    assert_eq!(a["training"]["data_sha256"], b["training"]["data_sha256"]);
    assert_eq!(
        std::fs::read(d.join("model-a/model.bpk")).unwrap(),
        std::fs::read(d.join("model-b/model.bpk")).unwrap()
    );
    for key in [
        "architecture",
        "features",
        "normalisation",
        "calibration",
        "crate_version",
    ] {
        assert!(!a[key].is_null(), "config.json has {key}");
    }

    let (stderr, _) = detect(d, "model-a", "lstm");
    assert!(!stderr.contains("cannot run"), "{stderr}");
}

/// `detect` with this `model_dir` and `detector`: its stderr and scores.
fn detect(d: &Path, model_dir: &str, detector: &str) -> (String, String) {
    let mut detect = command(d);
    detect
        .env("K8S_MONITOR_ANOMALY_MODEL__MODEL_DIR", model_dir)
        .env("K8S_MONITOR_ANOMALY_MODEL__DETECTOR", detector)
        .args([
            "detect",
            "--input",
            "gen/pod_metrics.csv",
            "--output",
            "s.csv",
        ]);
    let run = run_bounded(detect, Duration::from_secs(120));
    run.assert_success();
    let scores = std::fs::read_to_string(d.join("s.csv")).unwrap();
    (run.stderr, scores)
}

/// The default (ensemble) detector with `model_dir`.
fn detect_with_model(d: &Path, model_dir: &str) -> (String, String) {
    detect(d, model_dir, "ensemble")
}

#[test]
fn an_unusable_model_falls_back_to_statistics_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
    let (_, statistical) = detect(d, MODEL_DIR, "statistical");

    // Missing: the statistics' calibration is missing too, and they say so.
    let (stderr, scores) = detect_with_model(d, "no-such-dir");
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(stderr.contains("ensemble detector cannot run"), "{stderr}");
    assert!(stderr.contains("no model at"), "{stderr}");
    assert!(stderr.contains("run uncalibrated"), "{stderr}");
    let (_, uncalibrated) = detect(d, "no-such-dir", "statistical");
    assert_eq!(
        scores, uncalibrated,
        "the fallback is exactly the statistical detector"
    );

    // Corrupt weights.
    let copy = d.join("broken");
    std::fs::create_dir(&copy).unwrap();
    for f in ["config.json", "model.bpk", "statistics.json"] {
        std::fs::copy(Path::new(MODEL_DIR).join(f), copy.join(f)).unwrap();
    }
    let w = copy.join("model.bpk");
    let mut bytes = std::fs::read(&w).unwrap();
    bytes.truncate(bytes.len() / 2);
    std::fs::write(&w, bytes).unwrap();
    let (stderr, scores) = detect_with_model(d, "broken");
    assert!(stderr.contains("is corrupt"), "{stderr}");
    assert_eq!(scores, statistical);

    // Mismatched: a model of other features.
    let c = copy.join("config.json");
    let text = std::fs::read_to_string(&c).unwrap();
    std::fs::write(&c, text.replacen("\"cpu\"", "\"gpu\"", 1)).unwrap();
    std::fs::copy(Path::new(MODEL_DIR).join("model.bpk"), &w).unwrap();
    let (stderr, scores) = detect_with_model(d, "broken");
    assert!(stderr.contains("does not fit this build"), "{stderr}");
    assert_eq!(scores, statistical);
}

#[test]
fn the_built_in_model_scores_from_any_directory_as_the_shipped_files_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    generate(d);
    // No model directory anywhere near: `model_dir = ""`, the default.
    assert!(!d.join("models").exists());
    let (stderr, built_in) = detect_with_model(d, "");
    assert!(
        stderr.contains("scorer ready") && stderr.contains("model=the built-in model"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot run"), "{stderr}");
    assert!(!stderr.contains("uncalibrated"), "{stderr}");
    let (_, shipped) = detect_with_model(d, MODEL_DIR);
    assert_eq!(
        built_in, shipped,
        "the binary carries models/model_artifacts"
    );
}
