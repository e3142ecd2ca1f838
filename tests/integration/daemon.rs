//! The daemon end to end on the simulator: it detects the injected crash loop, survives a bad
//! row appended by someone else, stops cleanly on SIGTERM, and leaves consistent files behind
//! (one header, parseable rows, a valid insights document, everything scored).

use crate::harness::{
    append, bad_row_lines, read_insights, scored_batches, wait_until, Daemon, CSV, INSIGHTS, OFFSET,
};
use k8s_monitor::csv_input::{Layout, RowParser};
use k8s_monitor::metrics_row::CSV_HEADER;
use std::time::Duration;

/// Fields every insights entry must carry.
const INSIGHT_FIELDS: [&str; 10] = [
    "timestamp",
    "namespace",
    "pod",
    "node",
    "workload",
    "anomaly_probability",
    "is_anomaly",
    "anomaly_type",
    "severity",
    "evidence",
];

#[test]
fn daemon_detects_crash_loop_survives_bad_rows_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut daemon = Daemon::run_fast(d, "daemon.log", &[]);

    // The first injected fault is a crash loop, recognised from CrashLoopBackOff alone.
    let crash = wait_until(Duration::from_secs(90), "a crash_loop insight", || {
        daemon.assert_alive();
        read_insights(d)?.into_iter().find(|e| {
            e["is_anomaly"] == serde_json::json!(true) && e["anomaly_type"] == "crash_loop"
        })
    });
    assert!(
        crash["anomaly_probability"].as_f64().unwrap() >= 0.7,
        "{crash}"
    );

    // The analysis turns it into an incident: journalled, and explained in the insights with
    // steps naming the pod's namespace and workload.
    let pod = crash["pod"].as_str().unwrap().to_string();
    let namespace = crash["namespace"].as_str().unwrap().to_string();
    let explained = wait_until(Duration::from_secs(30), "an explained crash loop", || {
        read_insights(d)?
            .into_iter()
            .find(|e| e["pod"] == pod.as_str() && e.get("recommendation").is_some())
    });
    assert_eq!(explained["incident_kind"], "crash_loop", "{explained}");
    assert!(
        explained["explanation"].as_str().unwrap().contains(&pod),
        "{explained}"
    );
    let commands: Vec<&str> = explained["recommendation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["command"].as_str().unwrap())
        .collect();
    assert!(
        commands.contains(&format!("kubectl -n {namespace} describe pod {pod}").as_str()),
        "{commands:?}"
    );
    let journal = std::fs::read_to_string(d.join("data/incidents.jsonl")).unwrap();
    let opened: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &serde_json::Value| e["event"] == "opened")
        .collect();
    assert!(
        opened
            .iter()
            .any(|e| e["incident"]["kind"] == "crash_loop"
                && e["incident"]["pods"][&pod].is_object()),
        "{journal}"
    );

    // `explain` over the insights file: the same incident, in words and commands.
    let out = crate::harness::run_cli(d, &["explain", "--insights", INSIGHTS]);
    let text = out.assert_success().stdout.clone();
    assert!(text.contains("crash_loop ["), "{text}");
    assert!(
        text.contains(&format!("kubectl -n {namespace} logs {pod} -c ")),
        "{text}"
    );

    // Someone else appends a row with a non-number; one write, so it lands as one line.
    let marker = "itest-garbage-row";
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut fields = vec![""; 22];
    fields[0] = &now;
    fields[1] = "itest";
    fields[2] = marker;
    fields[9] = "not-a-number";
    append(&d.join(CSV), &format!("{}\n", fields.join(",")));
    let bad_line = std::fs::read_to_string(d.join(CSV))
        .unwrap()
        .lines()
        .position(|l| l.contains(marker))
        .expect("the appended row is in the CSV") as u64
        + 1;

    let expected = format!(
        "skipping bad row: {CSV}:{bad_line}: field cpu_millicores: not a number: \"not-a-number\""
    );
    wait_until(Duration::from_secs(30), "the bad row to be logged", || {
        daemon.assert_alive();
        daemon.log_text().contains(&expected).then_some(())
    });
    // Still working: rows written after the bad one get scored.
    wait_until(Duration::from_secs(30), "a batch after the bad row", || {
        daemon.assert_alive();
        daemon
            .batches()
            .iter()
            .any(|b| b.first_line > bad_line)
            .then_some(())
    });

    let status = daemon.terminate(Duration::from_secs(30));
    assert!(status.success(), "exit status {status}");
    let log = daemon.log_text();

    // The CSV: the header exactly once, then only rows that parse, apart from the bad one.
    let csv = std::fs::read_to_string(d.join(CSV)).unwrap();
    assert!(csv.ends_with('\n'), "the CSV ends in a partial line");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], CSV_HEADER);
    assert_eq!(lines.iter().filter(|l| **l == CSV_HEADER).count(), 1);
    // The validating parser also rejects duplicated or reordered rows per pod.
    let mut parser = RowParser::new(CSV.to_string(), Layout::Canonical);
    let bad: Vec<(u64, String)> = lines
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, l)| {
            let no = i as u64 + 1;
            parser
                .parse(no, l)
                .err()
                .map(|e| (no, e.reason().to_string()))
        })
        .collect();
    assert_eq!(bad, vec![(bad_line, "not_a_number".to_string())]);
    assert_eq!(bad_row_lines(&log, CSV), vec![bad_line]);

    // The insights: a JSON array of complete entries with probabilities in [0, 1].
    let insights: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join(INSIGHTS)).unwrap()).unwrap();
    let entries = insights.as_array().expect("insights is a JSON array");
    assert!(!entries.is_empty());
    for e in entries {
        for f in INSIGHT_FIELDS {
            assert!(e.get(f).is_some(), "insight without {f}: {e}");
        }
        let p = e["anomaly_probability"]
            .as_f64()
            .expect("numeric probability");
        assert!(
            (0.0..=1.0).contains(&p),
            "probability {p} outside [0, 1]: {e}"
        );
        // The default alert threshold is 0.7.
        assert_eq!(e["is_anomaly"].as_bool(), Some(p >= 0.7), "{e}");
        assert!(e["evidence"].is_array(), "{e}");
        chrono::DateTime::parse_from_rfc3339(e["timestamp"].as_str().unwrap()).unwrap();
    }

    // Everything was scored before exit: the saved position is the end of the file, and the
    // last scored batch ends on the last line.
    let offset: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join(OFFSET)).unwrap()).unwrap();
    assert_eq!(
        offset["offset"].as_u64(),
        Some(csv.len() as u64),
        "{offset}"
    );
    assert_eq!(
        offset["next_line_no"].as_u64(),
        Some(lines.len() as u64 + 1),
        "{offset}"
    );
    let last = *scored_batches(&log).last().unwrap();
    assert_eq!(last.last_line, lines.len() as u64, "{last:?}");
}

#[test]
fn sigint_stops_the_daemon_cleanly_with_everything_scored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut daemon = Daemon::run_fast(d, "daemon.log", &[]);
    daemon.wait_for_batches(2, Duration::from_secs(60));
    let status = daemon.signal("INT", Duration::from_secs(30));
    assert!(status.success(), "exit status {status}");
    let log = daemon.log_text();
    assert!(
        log.contains("stopping: flushing rows") && log.contains("signal=\"SIGINT\""),
        "{log}"
    );
    assert!(log.contains("stopped cleanly"), "{log}");
    let csv = std::fs::read(d.join(CSV)).unwrap();
    let offset: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join(OFFSET)).unwrap()).unwrap();
    assert_eq!(
        offset["offset"].as_u64(),
        Some(csv.len() as u64),
        "{offset}"
    );
}
