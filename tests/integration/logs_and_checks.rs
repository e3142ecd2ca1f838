//! What an SRE reads before anything is scored: `check-config` (every problem, exit 1; or the
//! file read, exit 0), and the daemon's logs as a service writes them (no terminal: no escape
//! codes; the first line names the config file; a summary line every `summary_every`;
//! `format = "json"` gives one object per line).

use crate::harness::{command, run_bounded, run_cli, wait_until, write_file, Daemon};
use std::time::Duration;

#[test]
fn check_config_lists_every_problem_and_exits_1_or_names_the_file_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(
        d,
        "bad.toml",
        "[logging]\nlevel = \"warning\"\nformat = \"xml\"\n[collector]\nsource = \"nope\"\n",
    );
    let out = run_cli(d, &["check-config", "--config", "bad.toml"]);
    let err = out.assert_failure();
    assert_eq!(out.status.code(), Some(1), "{err}");
    for expected in [
        "bad.toml:2: [logging] level = \"warning\" has `warning`, which is not a level",
        "bad.toml:3: [logging] format = \"xml\" is not a valid choice: allowed text, json",
        "bad.toml:5: [collector] source = \"nope\" is not a valid choice",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }

    write_file(
        d,
        "good.toml",
        "[logging]\nlevel = \"k8s_monitor=debug,warn\"\n",
    );
    let out = run_cli(d, &["check-config", "--config", "good.toml"]);
    out.assert_success();
    let read = std::fs::canonicalize(d.join("good.toml")).unwrap();
    assert_eq!(
        out.stdout.trim(),
        format!("ok: config file {}", read.display())
    );

    // Without a file: the defaults, and it says so.
    let out = run_cli(d, &["check-config"]);
    out.assert_success();
    assert!(
        out.stdout.contains("no config file at agents.toml"),
        "{}",
        out.stdout
    );

    // The environment is checked too, the log filter included.
    let mut cmd = command(d);
    cmd.env("K8S_MONITOR_LOG", "inf").arg("check-config");
    let out = run_bounded(cmd, Duration::from_secs(30));
    assert!(
        out.assert_failure().contains("K8S_MONITOR_LOG = \"inf\""),
        "{}",
        out.stderr
    );
}

/// Starts the daemon on the simulator with `agents.toml` and extra environment, waits until it
/// has logged a scored batch (in either format) and returns the raw bytes of its stderr.
fn daemon_log(toml: &str, env: &[(&str, &str)], wait_for: &str) -> (Vec<u8>, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_file(d, "agents.toml", toml);
    let mut cmd = command(d);
    crate::harness::fast_env(&mut cmd)
        .envs(env.iter().copied())
        .arg("run")
        .args(crate::harness::FAST_FLAGS);
    let log = d.join("daemon.log");
    let mut daemon = Daemon::spawn(cmd, &log);
    wait_until(Duration::from_secs(60), wait_for, || {
        daemon.assert_alive();
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        text.contains(wait_for).then_some(())
    });
    drop(daemon);
    let config = std::fs::canonicalize(d.join("agents.toml")).unwrap();
    (std::fs::read(d.join("daemon.log")).unwrap(), config)
}

#[test]
fn logs_to_a_file_have_no_escape_codes_and_first_name_the_config_file() {
    let (log, config) = daemon_log(
        "[collector]\nnamespace = \"monitoring\"\n[insights]\nsummary_every = \"1s\"\n\
         [anomaly_model]\nwarm_up = \"2s\"\n",
        &[],
        "warm-up over",
    );
    let text = String::from_utf8(log).unwrap();
    assert!(
        !text.contains('\u{1b}'),
        "escape codes in a log file:\n{text}"
    );
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.contains(&format!("settings from config file {}", config.display()))
            && first.contains("source=\"simulator\"")
            && first.contains("namespace=monitoring"),
        "first line: {first}"
    );
    // What was found, and where the endpoint is.
    assert!(text.contains("first collection: 20 pods in "), "{text}");
    assert!(
        text.contains("HTTP endpoint listening on http://127.0.0.1:"),
        "{text}"
    );
    // The warm-up, announced and its end.
    let announced = text.find("warming up: a pod's signals are judged").unwrap();
    let over = text.find("warm-up over: pods' signals are judged").unwrap();
    assert!(announced < over, "{text}");
    assert!(text.contains("warm_up=2s"), "{text}");
    // The periodic summary (every second of data here, 5 minutes by default).
    let summary = text
        .lines()
        .find(|l| l.contains("insights_writer: scoring "))
        .unwrap();
    assert!(
        summary.contains(" pods: ")
            && summary.contains(" anomalous, ")
            && summary.contains(" open"),
        "{summary}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let (log, config) = daemon_log(
        "[logging]\nformat = \"json\"\n",
        &[("K8S_MONITOR_LOG", "k8s_monitor=debug")],
        "scored rows",
    );
    let text = String::from_utf8(log).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    assert!(lines.len() > 3, "{text}");
    for l in &lines {
        assert!(l["level"].is_string() && l["fields"].is_object(), "{l}");
    }
    let message = lines[0]["fields"]["message"].as_str().unwrap_or_default();
    assert_eq!(
        message,
        format!("settings from config file {}", config.display())
    );
    assert_eq!(lines[0]["fields"]["source"], "simulator", "{}", lines[0]);
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "scored rows"),
        "{text}"
    );
}

#[test]
fn settings_that_cannot_work_on_this_machine_stop_start_up_all_listed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The insights over the metrics CSV, the journal in /proc, the LLM on with no key file.
    write_file(
        d,
        "clash.toml",
        "[insights]\noutput_file = \"data/pod_metrics.csv\"\n\
         [analysis]\nincidents_file = \"/proc/nope/incidents.jsonl\"\n\
         [llm]\nmode = \"on\"\napi_key_file = \"no-such-key\"\n",
    );
    let out = run_cli(d, &["check-config", "--config", "clash.toml"]);
    let err = out.assert_failure();
    assert_eq!(out.status.code(), Some(1), "{err}");
    for expected in [
        "settings that cannot work on this machine:",
        "[insights] output_file = \"data/pod_metrics.csv\" is the same file as [collector] \
         output_file = \"data/pod_metrics.csv\"",
        "[analysis] incidents_file = \"/proc/nope/incidents.jsonl\" cannot be",
        "[llm] mode = \"on\": reading the LLM API key file no-such-key failed",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // The daemon refuses to start on the same file, before collecting anything; so does a
    // metrics CSV that is a directory.
    let out = run_cli(d, &["run", "--config", "clash.toml"]);
    assert!(out.assert_failure().contains("is the same file as"));
    let out = run_cli(d, &["collect", "--output", "/tmp"]);
    assert!(
        out.assert_failure()
            .contains("[collector] output_file = \"/tmp\" is a directory, not a file"),
        "{}",
        out.stderr
    );
    assert!(!d.join("data").exists(), "nothing was written");
}
