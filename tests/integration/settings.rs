//! Settings as the user meets them through `run --print-config`: the precedence flag > env >
//! agents.toml > default, and errors that name the file, line, key or variable to fix.

use crate::harness::{command, run_bounded, run_cli, write_file, Finished};
use std::path::Path;
use std::time::Duration;

/// `run --print-config` in `dir` with extra environment and flags.
fn print_config(dir: &Path, env: &[(&str, &str)], flags: &[&str]) -> Finished {
    let mut cmd = command(dir);
    cmd.envs(env.iter().copied())
        .args(["run", "--print-config"])
        .args(flags);
    run_bounded(cmd, Duration::from_secs(30))
}

/// The value printed for `key` (the whole right-hand side, quotes included).
fn printed(out: &Finished, key: &str) -> String {
    out.assert_success();
    let prefix = format!("{key} = ");
    let hits: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .collect();
    assert_eq!(
        hits.len(),
        1,
        "{key} printed {} times:\n{}",
        hits.len(),
        out.stdout
    );
    hits[0].to_string()
}

#[test]
fn precedence_is_flag_then_env_then_file_then_default() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let get = |env: &[(&str, &str)], flags: &[&str]| {
        let out = print_config(d, env, flags);
        (
            printed(&out, "generator_interval"),
            printed(&out, "alert_threshold"),
        )
    };
    assert_eq!(get(&[], &[]), ("\"5s\"".into(), "0.7".into()), "defaults");

    write_file(
        d,
        "agents.toml",
        "[collector]\ngenerator_interval = \"7s\"\n[anomaly_model]\nalert_threshold = 0.61\n",
    );
    assert_eq!(get(&[], &[]), ("\"7s\"".into(), "0.61".into()), "file");

    let env = [
        ("K8S_MONITOR_COLLECTOR__GENERATOR_INTERVAL", "8s"),
        ("K8S_MONITOR_ANOMALY_MODEL__ALERT_THRESHOLD", "0.62"),
    ];
    assert_eq!(get(&env, &[]), ("\"8s\"".into(), "0.62".into()), "env");

    let flags = ["--generator-interval", "9", "--alert-threshold", "0.63"];
    assert_eq!(get(&env, &flags), ("\"9s\"".into(), "0.63".into()), "flag");
}

/// Runs `run --print-config` with `toml` as agents.toml and returns stderr of the failure.
fn bad_file(toml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "agents.toml", toml);
    print_config(dir.path(), &[], &[])
        .assert_failure()
        .to_string()
}

#[test]
fn unknown_key_in_the_file_names_file_line_key_and_allowed_keys() {
    let err = bad_file("[collector]\nsource = \"simulator\"\ngenrator_interval = \"5s\"\n");
    assert!(
        err.contains(
            "agents.toml:3: unknown key `genrator_interval` in [collector]; allowed keys: \
             source, generator_interval, output_file, prometheus_url, namespace, max_file_bytes, \
             max_files"
        ),
        "{err}"
    );
}

#[test]
fn out_of_range_and_wrong_type_in_the_file_are_errors_naming_the_line() {
    let err = bad_file("[anomaly_model]\n\nalert_threshold = 1.5\n");
    assert!(
        err.contains("agents.toml:3: [anomaly_model] alert_threshold = 1.5 is out of range"),
        "{err}"
    );
    assert!(err.contains("0 < x < 1"), "allowed range not shown: {err}");

    let err = bad_file("[collector]\ngenerator_interval = true\n");
    assert!(
        err.contains("agents.toml:2: [collector] generator_interval = true has the wrong type"),
        "{err}"
    );
    assert!(err.contains("expected a duration"), "{err}");
}

#[test]
fn unknown_environment_variable_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = print_config(dir.path(), &[("K8S_MONITOR_COLLECTOR__NOPE", "1")], &[]);
    let err = out.assert_failure();
    assert!(
        err.contains("environment variable K8S_MONITOR_COLLECTOR__NOPE: unknown key `NOPE`"),
        "{err}"
    );
    assert!(
        err.contains("GENERATOR_INTERVAL"),
        "allowed keys not shown: {err}"
    );
}

#[test]
fn missing_explicit_config_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = print_config(dir.path(), &[], &["--config", "missing.toml"]);
    let err = out.assert_failure();
    assert!(
        err.contains("cannot read config file missing.toml"),
        "{err}"
    );
}

/// Error messages embed their cause (for logs); the printed chain must not repeat it.
#[test]
fn missing_config_file_error_states_the_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = print_config(dir.path(), &[], &["--config", "missing.toml"]);
    let err = out.assert_failure();
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}

#[test]
fn a_source_that_cannot_be_set_up_stops_start_up_clearly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("agents.toml"),
        "[prometheus]\nca_file = \"missing-ca.pem\"\n",
    )
    .unwrap();
    for command in ["run", "collect"] {
        let out = run_cli(dir.path(), &[command, "--source", "prometheus"]);
        let err = out.assert_failure();
        assert!(
            err.contains(
                "setting up the Prometheus source: reading the CA file missing-ca.pem failed"
            ),
            "{err}"
        );
        assert!(
            !dir.path().join("data").exists(),
            "{command} started collecting anyway"
        );
    }
}
