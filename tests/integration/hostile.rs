//! Rows an attacker or a broken collector could append to the metrics CSV of a running daemon
//! (issue 13's findings 1 and 2): a real pod's row stamped in 2099, and a crash-looping row for
//! a pod named like a shell command. Each is refused with its field named, counted in
//! `/metrics`, and poisons nothing: the pod goes on being scored, no incident moves to 2099,
//! and the name reaches no insight, incident or command.

use crate::harness::{append, http_get, read_insights, wait_until, Daemon, CSV};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

#[test]
fn a_future_row_and_a_hostile_name_are_refused_and_poison_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut daemon = Daemon::run_fast(d, "daemon.log", &[]);
    let addr = daemon.endpoint(LIMIT);
    daemon.wait_for_batches(3, LIMIT);

    // A real pod's latest row, stamped 2099; and a crash loop of a pod named as a command.
    let csv = std::fs::read_to_string(d.join(CSV)).unwrap();
    let last = csv.lines().last().unwrap().to_string();
    let mut fields: Vec<String> = last.split(',').map(str::to_string).collect();
    let (namespace, pod) = (fields[1].clone(), fields[2].clone());
    fields[0] = "2099-01-01T00:00:00Z".to_string();
    let future = fields.join(",");
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut evil = vec![String::new(); 22];
    evil[0] = now;
    evil[1] = namespace.clone();
    evil[2] = "evil;touch${IFS}PWNED;#".to_string();
    evil[4] = "Running".to_string();
    evil[5] = "CrashLoopBackOff".to_string();
    let appended_at = chrono::Utc::now();
    append(&d.join(CSV), &format!("{future}\n{}\n", evil.join(",")));

    wait_until(LIMIT, "both rows refused in the log", || {
        daemon.assert_alive();
        let log = daemon.log_text();
        (log.contains("field timestamp: 2099-01-01 00:00:00 UTC is ahead of this machine's clock")
            && log.contains("field pod: not a Kubernetes name: \"evil;touch${IFS}PWNED;#\""))
        .then_some(())
    });
    // The pod is not locked out: its later rows are scored.
    wait_until(LIMIT, "a later verdict on the pod", || {
        daemon.assert_alive();
        read_insights(d)?
            .into_iter()
            .find(|e| e["namespace"] == namespace.as_str() && e["pod"] == pod.as_str())
            .filter(|e| {
                e["timestamp"]
                    .as_str()
                    .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
                    .is_some_and(|t| t > appended_at && t.format("%Y").to_string() != "2099")
            })
    });
    let (_, metrics) = http_get(&addr, "/metrics").unwrap();
    for line in [
        "k8s_monitor_rows_rejected_total{reason=\"future_timestamp\"} 1",
        "k8s_monitor_rows_rejected_total{reason=\"bad_name\"} 1",
    ] {
        assert!(metrics.lines().any(|l| l == line), "{line} in\n{metrics}");
    }
    assert!(daemon.terminate(LIMIT).success());
    for file in ["data/pod_insights.json", "data/incidents.jsonl"] {
        let text = std::fs::read_to_string(d.join(file)).unwrap_or_default();
        assert!(!text.contains("PWNED"), "{file}: {text}");
        assert!(!text.contains("2099"), "{file}: {text}");
    }
}

#[test]
fn an_output_that_goes_bad_while_running_is_one_error_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut daemon = Daemon::run_fast(d, "daemon.log", &[]);
    let addr = daemon.endpoint(LIMIT);
    daemon.wait_for_batches(2, LIMIT);
    // The insights file becomes a directory: its atomic replacement fails, even as root.
    let insights = d.join("data/pod_insights.json");
    std::fs::remove_file(&insights).unwrap();
    std::fs::create_dir(&insights).unwrap();
    let failing = |addr: &str| -> Option<f64> {
        let (_, text) = http_get(addr, "/metrics")?;
        text.lines()
            .find_map(|l| l.strip_prefix("k8s_monitor_write_errors_total{file=\"insights\"} "))
            .and_then(|v| v.parse().ok())
    };
    wait_until(LIMIT, "three failed writes counted", || {
        daemon.assert_alive();
        (failing(&addr)? >= 3.0).then_some(())
    });
    std::fs::remove_dir(&insights).unwrap();
    wait_until(LIMIT, "writing to work again", || {
        daemon.assert_alive();
        daemon
            .log_text()
            .contains("writing insights works again")
            .then_some(())
    });
    let log = daemon.log_text();
    assert_eq!(log.matches("cannot write insights").count(), 1, "{log}");
    assert!(read_insights(d).is_some());
    assert!(daemon.terminate(LIMIT).success());
}
