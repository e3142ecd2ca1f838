//! The same simulated cluster collected every 1 s, 5 s and 15 s gives the same verdicts: every
//! window, warm-up and smoothing of the detector is a duration, so the interval changes how
//! often a behaviour is sampled, not what is said about it. At 15 s the LSTM (trained at 5 s
//! steps) does not run, and `detect` says so.

use crate::harness::{command, run_bounded, run_cli, MODEL_DIR};
use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

/// Which faults were caught (by their pod and kind) and how many false alarm episodes, at one
/// collection interval.
fn verdicts(d: &Path, step: &str) -> (BTreeSet<String>, u64, u64, String) {
    let out = format!("gen-{step}");
    run_cli(
        d,
        &[
            "generate",
            "--seed",
            "7101",
            "--pods",
            "24",
            "--duration",
            "100m",
            "--step",
            step,
            "--output",
            &out,
        ],
    )
    .assert_success();
    let mut detect = command(d);
    detect.env("K8S_MONITOR_ANOMALY_MODEL__MODEL_DIR", MODEL_DIR);
    let scores = format!("scores-{step}.csv");
    detect.args([
        "detect",
        "--input",
        &format!("{out}/pod_metrics.csv"),
        "--output",
        &scores,
    ]);
    let scored = run_bounded(detect, Duration::from_secs(600));
    scored.assert_success();
    let report = run_cli(
        d,
        &[
            "eval",
            "--scores",
            &scores,
            "--labels",
            &format!("{out}/labels.json"),
            "--json",
        ],
    );
    report.assert_success();
    let json: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let caught: BTreeSet<String> = json["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["delay_s"].is_number())
        .map(|o| {
            let f = &o["fault"];
            format!("{}/{} {}", f["namespace"], f["pod"], f["kind"])
        })
        .collect();
    (
        caught,
        json["faults"].as_u64().unwrap(),
        json["false_episodes"].as_u64().unwrap(),
        scored.stderr.clone(),
    )
}

#[test]
fn one_cluster_at_1_5_and_15_seconds_gives_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (at5, faults5, false5, _) = verdicts(d, "5s");
    let (at1, faults1, false1, _) = verdicts(d, "1s");
    let (at15, faults15, false15, stderr15) = verdicts(d, "15s");
    assert_eq!(
        (faults1, faults15),
        (faults5, faults5),
        "one fault schedule"
    );
    assert!(
        faults5 >= 8,
        "the run injects faults of most kinds: {faults5}"
    );
    assert_eq!(at1, at5, "1 s against 5 s");
    assert_eq!(at15, at5, "15 s against 5 s");
    assert!(
        at5.len() as u64 >= faults5 - 1,
        "caught {} of {faults5}: {at5:?}",
        at5.len()
    );
    for (step, false_episodes) in [("1s", false1), ("5s", false5), ("15s", false15)] {
        assert!(
            false_episodes <= 1,
            "{false_episodes} false alarm episodes at {step}"
        );
    }
    assert!(
        stderr15.contains("trained at 5s steps"),
        "at 15 s the LSTM's absence is announced:\n{stderr15}"
    );
}
