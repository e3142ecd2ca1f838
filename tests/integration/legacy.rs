//! The original Python system's 28-column `pod_metrics.csv`: `detect` scores it with the
//! namespace the user gives, and the daemon, finding one at its output path, keeps it (moved
//! aside as `*.old`) instead of appending canonical rows to it or losing it.

use crate::harness::{read_log, run_cli, scored_batches, wait_until, write_file, Daemon, CSV};
use k8s_monitor::csv_input::LEGACY_COLUMNS;
use k8s_monitor::eval::parse_scores;
use k8s_monitor::metrics_row::CSV_HEADER;
use std::time::Duration;

const PODS: [&str; 2] = ["prometheus-server-7d9f", "grafana-5c6b"];
const TICKS: usize = 15;

/// A legacy file: the original header, then `TICKS` rows per pod, 5 s apart, written the way
/// its script did (naive local timestamps, CPU in percent of a core, `N/A` fillers).
fn legacy_csv() -> String {
    let mut out = LEGACY_COLUMNS.join(",");
    out.push('\n');
    for tick in 0..TICKS {
        for (p, pod) in PODS.iter().enumerate() {
            let value = |col: &str| -> String {
                match col {
                    "Timestamp" => {
                        format!("2025-04-13 17:{:02}:{:02}", tick * 5 / 60, tick * 5 % 60)
                    }
                    "Pod Name" => pod.to_string(),
                    "Pod Age" => "3d".into(),
                    "CPU Usage (%)" => format!("{:.2}", 2.0 + p as f64 + (tick % 3) as f64 * 0.1),
                    "Memory Usage (%)" => "1.5".into(),
                    "Pod Status" => "Running".into(),
                    "Pod Reason" => "Running".into(),
                    "Pod Restarts" => "0".into(),
                    "Ready Containers" => "1".into(),
                    "Total Containers" => "1".into(),
                    "Pod Event Type" => "Normal".into(),
                    "Pod Event Reason" => "Started".into(),
                    "Node Name" => "minikube".into(),
                    c if c.starts_with("Network") => "12.0".into(),
                    _ => "N/A".into(),
                }
            };
            let row: Vec<String> = LEGACY_COLUMNS.iter().map(|c| value(c)).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

#[test]
fn detect_scores_every_legacy_row_in_the_given_namespace() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "old.csv", &legacy_csv());
    let run = run_cli(
        dir.path(),
        &[
            "detect",
            "--input",
            "old.csv",
            "--output",
            "scores.csv",
            "--legacy-namespace",
            "monitoring",
        ],
    );
    run.assert_success();
    assert!(run.stderr.contains("skipped 0 bad rows"), "{}", run.stderr);
    let scores = parse_scores(
        &std::fs::read_to_string(dir.path().join("scores.csv")).unwrap(),
        "scores.csv",
    )
    .unwrap();
    assert_eq!(scores.len(), TICKS * PODS.len());
    for s in &scores {
        assert_eq!(s.namespace, "monitoring", "{s:?}");
        assert!(PODS.contains(&s.pod.as_str()), "{s:?}");
        assert!((0.0..=1.0).contains(&s.anomaly_probability), "{s:?}");
    }
    // Naive timestamps are read as UTC, unchanged.
    let first = scores.iter().map(|s| s.timestamp).min().unwrap();
    let last = scores.iter().map(|s| s.timestamp).max().unwrap();
    assert_eq!(first.to_rfc3339(), "2025-04-13T17:00:00+00:00");
    assert_eq!(
        (last - first).num_seconds(),
        (TICKS as i64 - 1) * 5,
        "timestamps shifted"
    );
}

#[test]
fn daemon_moves_a_legacy_file_aside_instead_of_losing_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("data")).unwrap();
    let legacy = legacy_csv();
    write_file(d, CSV, &legacy);

    let mut daemon = Daemon::run_fast(d, "daemon.log", &[]);
    let aside = wait_until(
        Duration::from_secs(30),
        "the legacy file moved aside",
        || {
            daemon.assert_alive();
            std::fs::read_dir(d.join("data"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| {
                    let name = p.file_name().unwrap().to_string_lossy();
                    name.starts_with("pod_metrics.csv.") && name.ends_with(".old")
                })
        },
    );
    // The new file gets canonical rows while the daemon keeps running.
    wait_until(
        Duration::from_secs(30),
        "canonical rows in a new CSV",
        || {
            daemon.assert_alive();
            let text = std::fs::read_to_string(d.join(CSV)).ok()?;
            (text.lines().count() > 1).then_some(())
        },
    );
    let status = daemon.terminate(Duration::from_secs(30));
    assert!(status.success(), "exit status {status}");

    assert_eq!(
        std::fs::read_to_string(&aside).unwrap(),
        legacy,
        "the legacy file was changed"
    );
    let new = std::fs::read_to_string(d.join(CSV)).unwrap();
    assert_eq!(new.lines().next(), Some(CSV_HEADER));
    assert!(
        !new.contains("prometheus-server-7d9f"),
        "legacy rows leaked into the canonical file"
    );
    let log = read_log(&daemon.log);
    assert!(log.contains("moved it aside"), "{log}");

    // The legacy rows were read too (the dataset generator starts before the writer's first
    // append, and drains a rotated file to its end), and every row of both files was scored
    // exactly once by the time the daemon stopped.
    assert!(
        log.contains("reading the original system's 28-column CSV layout"),
        "{log}"
    );
    let scored: u64 = scored_batches(&log).iter().map(|b| b.rows).sum();
    let new_rows = new.lines().count() as u64 - 1;
    assert_eq!(scored, (TICKS * PODS.len()) as u64 + new_rows);
}

/// The `scored rows` audit line gives a batch's first and last *line numbers*, but a batch that
/// spans a rotation mixes two files: seen `rows=90 first_line=2 last_line=61` (30 legacy rows
/// from the moved-aside file plus 60 rows of the new one). Such a line cannot be audited.
#[test]
fn audit_lines_stay_consistent_across_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("data")).unwrap();
    write_file(d, CSV, &legacy_csv());
    let mut daemon = Daemon::run_fast(d, "daemon.log", &[]);
    daemon.wait_for_batches(2, Duration::from_secs(60));
    let status = daemon.terminate(Duration::from_secs(30));
    assert!(status.success(), "exit status {status}");
    for b in scored_batches(&daemon.log_text()) {
        assert_eq!(
            b.rows,
            b.last_line - b.first_line + 1,
            "batch line range does not match its row count: {b:?}"
        );
    }
}
