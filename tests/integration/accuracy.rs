//! The detector's accuracy on the simulator, as a regression guard: seed 11 (never trained on;
//! looked at while designing the per-signal detector, so not a held-out figure: the README's
//! held-out seeds are 6001-6005), two hours of 50 pods with benign churn, scored by the default
//! ensemble (committed LSTM + statistics). It gave F1 0.902 (23 of 28 faults, no false alarm)
//! when this guard was set: it must stay at F1 >= 0.88 with at most 0.02 false alarms per
//! pod-hour and catch every fault kind at least once. The project's target (F1 >= 0.95) is
//! not met on this seed; the README says where it is.

use crate::harness::{command, run_bounded, run_cli, MODEL_DIR};
use std::time::Duration;

#[test]
fn unseen_seed_meets_the_accuracy_target() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_cli(
        d,
        &[
            "generate",
            "--seed",
            "11",
            "--pods",
            "50",
            "--duration",
            "2h",
            "--output",
            "gen",
        ],
    )
    .assert_success();
    let mut detect = command(d);
    detect.env("K8S_MONITOR_ANOMALY_MODEL__MODEL_DIR", MODEL_DIR);
    detect.args([
        "detect",
        "--input",
        "gen/pod_metrics.csv",
        "--output",
        "scores.csv",
    ]);
    let scored = run_bounded(detect, Duration::from_secs(600));
    scored.assert_success();
    assert!(
        !scored.stderr.contains("cannot run"),
        "the ensemble must run, not fall back:\n{}",
        scored.stderr
    );
    let out = run_cli(
        d,
        &[
            "eval",
            "--scores",
            "scores.csv",
            "--labels",
            "gen/labels.json",
            "--json",
        ],
    );
    out.assert_success();
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let f1 = report["f1"].as_f64().unwrap();
    let false_alarms = report["false_alarms_per_pod_hour"].as_f64().unwrap();
    assert!(f1 >= 0.88, "F1 {f1} below 0.88:\n{}", out.stdout);
    assert!(
        false_alarms <= 0.02,
        "{false_alarms} false alarms per pod-hour:\n{}",
        out.stdout
    );
    let kinds = report["by_kind"].as_array().unwrap();
    assert_eq!(kinds.len(), 7, "every fault kind injected: {}", out.stdout);
    for k in kinds {
        assert!(
            k["caught"].as_u64().unwrap() >= 1,
            "kind {} never caught: {}",
            k["kind"],
            out.stdout
        );
    }
}
