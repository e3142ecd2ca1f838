//! `generate` is reproducible: the same seed gives the same CSV and labels byte for byte, a
//! different seed gives different data, and the labels are readable fault windows.

use crate::harness::run_cli;
use k8s_monitor::csv_input::{Layout, RowParser};
use k8s_monitor::fault_label::read_labels;
use k8s_monitor::metrics_row::CSV_HEADER;
use std::path::Path;

fn generate(dir: &Path, seed: &str, out: &str) -> (Vec<u8>, Vec<u8>) {
    run_cli(
        dir,
        &[
            "generate",
            "--pods",
            "10",
            "--duration",
            "20m",
            "--step",
            "5s",
            "--seed",
            seed,
            "--first-fault-after",
            "5m",
            "--output",
            out,
        ],
    )
    .assert_success();
    let out = dir.join(out);
    (
        std::fs::read(out.join("pod_metrics.csv")).unwrap(),
        std::fs::read(out.join("labels.json")).unwrap(),
    )
}

#[test]
fn same_seed_same_bytes_and_labels_parse() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (csv1, labels1) = generate(d, "7", "a");
    let (csv2, labels2) = generate(d, "7", "b");
    assert!(csv1 == csv2, "same seed, different CSV");
    assert!(labels1 == labels2, "same seed, different labels");
    let (csv3, _) = generate(d, "8", "c");
    assert!(csv1 != csv3, "the seed has no effect");

    // Every row is a valid canonical row.
    let text = String::from_utf8(csv1).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(CSV_HEADER));
    let mut parser = RowParser::new("a/pod_metrics.csv".into(), Layout::Canonical);
    let mut pods = std::collections::HashSet::new();
    let mut first_ts = None;
    for (i, l) in lines.enumerate() {
        let row = parser
            .parse(i as u64 + 2, l)
            .unwrap_or_else(|e| panic!("{e}"));
        first_ts.get_or_insert(row.timestamp);
        pods.insert((row.namespace, row.pod));
    }

    // Labels: fault windows on pods of the data set, after the quiet period.
    let labels = read_labels(&d.join("a/labels.json")).unwrap();
    assert!(
        !labels.is_empty(),
        "20 minutes with faults after 5 produced no fault"
    );
    let quiet_until = first_ts.unwrap() + chrono::Duration::minutes(5);
    for w in &labels {
        assert!(w.start <= w.end, "{w:?}");
        assert!(
            w.start >= quiet_until,
            "fault before --first-fault-after: {w:?}"
        );
        assert!(
            pods.contains(&(w.namespace.clone(), w.pod.clone())),
            "labelled pod not in the data: {w:?}"
        );
    }
}
