//! The Prometheus source against a real Prometheus (Debian's package, which `.ci/run` installs)
//! scraping `k8s-monitor simulate`: the collected CSV matches the simulator's truth (the rows
//! `generate` writes for the same seed, start and step), through a fault; then Prometheus is
//! stopped and restarted under the running daemon, and the fault's incident stays open through
//! the outage (a gap is not a recovery).

use crate::harness::{command, free_port, wait_until, Daemon};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The `prometheus` binary; the test installs nothing itself.
pub(crate) fn prometheus_binary() -> PathBuf {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    candidates
        .into_iter()
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("prometheus"))
        .find(|p| p.is_file())
        .expect(
            "no `prometheus` binary on PATH: install Debian's package \
             (`apt-get install -y prometheus`, as .ci/run does)",
        )
}

/// `simulate` started from `cmd`, and the address it printed.
fn start_simulator(cmd: Command, dir: &Path) -> (Daemon, String) {
    let simulator = Daemon::spawn(cmd, &dir.join("simulate.log"));
    let target = wait_until(Duration::from_secs(20), "the simulator's address", || {
        let log = simulator.log_text();
        Some(
            log.split("listening on ")
                .nth(1)?
                .lines()
                .next()?
                .trim()
                .to_string(),
        )
    });
    (simulator, target)
}

/// A Prometheus on 127.0.0.1 scraping `target` every second, storing in `dir`.
fn start_prometheus(dir: &Path, port: u16, target: &str, log_name: &str) -> Daemon {
    start_prometheus_with(dir, port, target, log_name, None)
}

/// As [`start_prometheus`], with a `--web.config.file` (TLS, basic auth) when given.
fn start_prometheus_with(
    dir: &Path,
    port: u16,
    target: &str,
    log_name: &str,
    web_config: Option<&Path>,
) -> Daemon {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: simulator\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(prometheus_binary());
    cmd.current_dir(dir).args([
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--log.level=info".to_string(),
    ]);
    if let Some(web) = web_config {
        cmd.arg(format!("--web.config.file={}", web.display()));
    }
    let daemon = Daemon::spawn(cmd, &dir.join(log_name));
    wait_until(Duration::from_secs(30), "Prometheus to be ready", || {
        daemon
            .log_text()
            .contains("Server is ready to receive web requests")
            .then_some(())
    });
    daemon
}

/// CSV rows as column name → value maps.
fn read_rows(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let names: Vec<&str> = header.split(',').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            names
                .iter()
                .zip(l.split(','))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn number(row: &HashMap<String, String>, column: &str) -> Option<f64> {
    row.get(column)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse().unwrap())
}

/// The queries of a standard cluster, except that rates are `irate`: the simulator's rates
/// change every step, and `irate` over two scrapes inside one step gives the exact rate, where
/// `rate` would average over its window.
///
/// Incidents resolve after 15 s observed normal (a crash loop is never normal that long: 10 s of
/// back-off, then 2 to 8 s running) and re-open as new ones at once: an outage longer than that
/// which counted as normal time would show as a `resolved` and a second `opened`.
const TEST_CONFIG: &str = r#"
[analysis]
resolve_after = "15s"
cooldown = "1s"

[prometheus]
rate_window = "10s"
timeout = "2s"
retries = 1
retry_backoff = "100ms"

[prometheus_queries]
cpu_millicores = 'sum by (namespace, pod) (irate(container_cpu_usage_seconds_total{container!="", container!="POD", ${namespace}}[${rate_window}])) * 1000'
net_rx_bytes_per_s = 'sum by (namespace, pod) (irate(container_network_receive_bytes_total{${namespace}}[${rate_window}]))'
net_tx_bytes_per_s = 'sum by (namespace, pod) (irate(container_network_transmit_bytes_total{${namespace}}[${rate_window}]))'
"#;

const STEP_SECONDS: i64 = 4;

/// The lines of `data/incidents.jsonl` so far.
fn incident_journal(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("data/incidents.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The incident open on `pod`: the last one that took it in, unless that one's latest line
/// resolved it.
fn open_incident_on(journal: &[serde_json::Value], pod: &str) -> Option<serde_json::Value> {
    let incident = journal
        .iter()
        .rev()
        .find(|e| e["incident"]["pods"][pod].is_object())?;
    let id = &incident["incident"]["id"];
    let latest = journal.iter().rev().find(|e| e["incident"]["id"] == *id)?;
    (latest["event"] != "resolved").then(|| latest["incident"].clone())
}

/// The insights entry of `pod`, if the document has it.
fn insights_of(dir: &Path, pod: &str) -> Option<serde_json::Value> {
    crate::harness::read_insights(dir)?
        .into_iter()
        .find(|e| e["pod"] == pod)
}

#[test]
fn collects_the_simulators_truth_through_real_prometheus_and_survives_its_outage() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The simulator's clock starts on a whole second just past (it refuses a future start),
    // so `generate` can write the same rows as the truth.
    let start = chrono::Utc::now()
        .checked_sub_signed(chrono::TimeDelta::seconds(1))
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let (pods, seed, first_fault) = ("4", "7", "12s");
    let step = format!("{STEP_SECONDS}s");

    let truth_dir = dir.join("truth");
    let generate = command(dir)
        .args(["generate", "--pods", pods, "--seed", seed, "--step", &step])
        .args(["--first-fault-after", first_fault, "--duration", "10m"])
        .args(["--start", &start, "--output"])
        .arg(&truth_dir)
        .output()
        .unwrap();
    assert!(generate.status.success(), "{generate:?}");
    let truth = read_rows(&truth_dir.join("pod_metrics.csv"));
    let truth_at: HashMap<(chrono::DateTime<chrono::Utc>, String), &HashMap<String, String>> =
        truth
            .iter()
            .map(|r| ((r["timestamp"].parse().unwrap(), r["pod"].clone()), r))
            .collect();

    let mut sim_cmd = command(dir);
    sim_cmd
        .args([
            "simulate",
            "--listen",
            "127.0.0.1:0",
            "--pods",
            pods,
            "--seed",
            seed,
        ])
        .args([
            "--step",
            &step,
            "--first-fault-after",
            first_fault,
            "--start",
            &start,
        ]);
    let (mut simulator, target) = start_simulator(sim_cmd, dir);
    let port = free_port();
    let mut prometheus = start_prometheus(dir, port, &target, "prometheus.log");

    std::fs::write(dir.join("agents.toml"), TEST_CONFIG).unwrap();
    let csv = dir.join("pod_metrics.csv");
    // The whole daemon (collection, scoring, analysis), not `collect` alone: the outage below
    // must not stop any of it.
    let mut daemon_cmd = command(dir);
    daemon_cmd
        .env(
            "K8S_MONITOR_ANOMALY_MODEL__MODEL_DIR",
            crate::harness::MODEL_DIR,
        )
        .args(["run", "--source", "prometheus", "--namespace", "all"])
        .args(["--prometheus-url", &format!("http://127.0.0.1:{port}")])
        .args([
            "--generator-interval",
            "1s",
            "--watch-interval",
            "1s",
            "--output",
        ])
        .arg(&csv);
    let mut collector = Daemon::spawn(daemon_cmd, &dir.join("run.log"));

    // Through the first fault: it starts 12 s after `start`.
    let labels: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(truth_dir.join("labels.json")).unwrap())
            .unwrap();
    let fault_pod = labels[0]["pod"].as_str().unwrap().to_string();
    let fault_start: chrono::DateTime<chrono::Utc> =
        labels[0]["start"].as_str().unwrap().parse().unwrap();
    let fault_end: chrono::DateTime<chrono::Utc> =
        labels[0]["end"].as_str().unwrap().parse().unwrap();
    wait_until(Duration::from_secs(90), "rows well into the fault", || {
        let rows = read_rows(&csv);
        (rows.iter().filter(|r| r["pod"] == fault_pod).count() >= 30).then_some(())
    });

    // Each collected row shows one simulator tick: the latest before Prometheus' last scrape.
    let rows = read_rows(&csv);
    let step = chrono::TimeDelta::seconds(STEP_SECONDS);
    let (mut compared, mut exact_cpu, mut in_fault, mut waiting_reasons) = (0, 0, 0, 0);
    for row in rows
        .iter()
        .filter(|r| number(r, "cpu_millicores").is_some())
    {
        let at: chrono::DateTime<chrono::Utc> = row["timestamp"].parse().unwrap();
        let start: chrono::DateTime<chrono::Utc> = start.parse().unwrap();
        let ticks = (at - start).num_seconds().div_euclid(STEP_SECONDS);
        // The latest tick, or the one before when the last scrape came before that tick.
        let candidates: Vec<&HashMap<String, String>> = [ticks, ticks - 1]
            .into_iter()
            .filter(|k| *k >= 1)
            .filter_map(|k| {
                let t = start + step * k as i32;
                truth_at.get(&(t, row["pod"].clone())).copied()
            })
            .collect();
        let Some(tick) = candidates.iter().find(|t| {
            number(t, "memory_bytes").map(|m| m.round())
                == number(row, "memory_bytes").map(|m| m.round())
        }) else {
            panic!("row {row:?} matches neither tick {candidates:?}");
        };
        compared += 1;
        for exact in [
            "restarts",
            "ready_containers",
            "memory_limit_bytes",
            "cpu_limit_millicores",
            "phase",
            "node",
        ] {
            let (got, want) = (&row[exact], &tick[exact]);
            if exact == "ready_containers" {
                // One container is shown per pod, ready when all of the pod's are.
                let all_ready = tick["ready_containers"] == tick["total_containers"];
                assert_eq!(got == "1", all_ready, "{exact}: {row:?} vs {tick:?}");
            } else if let (Ok(g), Ok(w)) = (got.parse::<f64>(), want.parse::<f64>()) {
                assert!(
                    (g - w).abs() <= 1e-6 * w.abs().max(1.0),
                    "{exact}: {row:?} vs {tick:?}"
                );
            } else {
                assert_eq!(got, want, "{exact}: {row:?} vs {tick:?}");
            }
        }
        // A waiting reason (CrashLoopBackOff, ...) shows while it lasts; a termination reason
        // (OOMKilled, ...) shows for a rate window after the restart, longer than one tick.
        let waiting = !tick["reason"].is_empty()
            && !["OOMKilled", "Error", "Completed"].contains(&tick["reason"].as_str());
        if waiting {
            assert_eq!(row["reason"], tick["reason"], "{row:?} vs {tick:?}");
            waiting_reasons += 1;
        }
        // irate between two scrapes inside one step is the tick's rate; across a tick boundary
        // it lies between the two ticks' rates.
        let cpu = number(row, "cpu_millicores").unwrap();
        let want = number(tick, "cpu_millicores").unwrap();
        if (cpu - want).abs() <= 1e-3 * want.max(1.0) {
            exact_cpu += 1;
        }
        let tick_time: chrono::DateTime<chrono::Utc> = tick["timestamp"].parse().unwrap();
        if row["pod"] == fault_pod && tick_time >= fault_start && tick_time <= fault_end {
            in_fault += 1;
        }
    }
    assert!(compared >= 60, "only {compared} rows compared");
    assert!(
        exact_cpu * 2 >= compared,
        "CPU exact in {exact_cpu} of {compared} rows"
    );
    assert!(
        in_fault >= 10,
        "only {in_fault} rows inside the fault window"
    );
    // Seed 7's first fault is a crash loop: its waiting reason must come through.
    assert!(
        waiting_reasons >= 3,
        "only {waiting_reasons} rows with a waiting reason"
    );

    // The crash loop's incident is open when the outage starts, and the fault outlasts the test.
    // It pages on the mixin-anchored rule (a third restart within 15 min, or CrashLoopBackOff
    // recurring for 5 min): with the kubelet's back-off the third restart comes 70-90 s after
    // the fault's start (`detect` on the same rows pages 84 s after it), a restart's metrics
    // being evidence only.
    let incident = wait_until(
        Duration::from_secs(150),
        "the fault's incident open",
        || open_incident_on(&incident_journal(dir), &fault_pod),
    );
    let (incident_id, namespace, workload) = (
        incident["id"].as_str().unwrap().to_string(),
        incident["namespace"].clone(),
        incident["workload"]["name"].clone(),
    );
    assert!(
        fault_end > chrono::Utc::now() + chrono::TimeDelta::minutes(3),
        "the crash loop ends at {fault_end}, too soon for the outage checks"
    );

    // Outage: stop Prometheus, then start it again on the same port and data.
    prometheus.terminate(Duration::from_secs(20));
    let before_outage = read_rows(&csv).len();
    // Longer than resolve_after: time without data must not count as normal.
    wait_until(Duration::from_secs(60), "rows with empty fields", || {
        let rows = read_rows(&csv);
        (rows[before_outage..]
            .iter()
            .filter(|r| r["pod"] == fault_pod)
            .filter(|r| r["cpu_millicores"].is_empty() && r["memory_bytes"].is_empty())
            .count()
            >= 20)
            .then_some(())
    });
    collector.assert_alive();
    // The pod's state is unknown, and it is still in its open incident.
    let entry = wait_until(
        Duration::from_secs(30),
        "the faulty pod shown unknown",
        || insights_of(dir, &fault_pod).filter(|e| e["status"] == "unknown"),
    );
    assert!(
        open_incident_on(&incident_journal(dir), &fault_pod)
            .is_some_and(|i| i["id"] == incident_id.as_str()),
        "the incident resolved during the outage: {:#?}",
        incident_journal(dir)
    );
    assert_eq!(entry["incident_id"], incident_id.as_str(), "{entry:#}");
    assert!(entry["last_observed"]["at"].is_string(), "{entry:#}");
    let _prometheus = start_prometheus(dir, port, &target, "prometheus-2.log");
    wait_until(Duration::from_secs(60), "collection to resume", || {
        collector
            .log_text()
            .contains("Prometheus answering again")
            .then_some(())
    });
    let log = collector.log_text();
    assert_eq!(log.matches("Prometheus unreachable").count(), 1, "{log}");
    assert_eq!(
        log.matches("Prometheus answering again").count(),
        1,
        "{log}"
    );
    // Scoring goes on after the outage too.
    let resumed_at = chrono::Utc::now();
    wait_until(Duration::from_secs(30), "scores after the outage", || {
        crate::harness::read_insights(dir)?
            .iter()
            .any(|e| {
                e["timestamp"]
                    .as_str()
                    .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
                    > Some(resumed_at)
            })
            .then_some(())
    });
    let resumed = before_outage + 8;
    wait_until(Duration::from_secs(30), "full rows again", || {
        read_rows(&csv)[resumed..]
            .iter()
            .any(|r| !r["memory_bytes"].is_empty())
            .then_some(())
    });
    // Still crash looping after the outage: the same incident, never resolved nor re-opened.
    wait_until(
        Duration::from_secs(60),
        "the faulty pod anomalous again",
        || {
            let entry = insights_of(dir, &fault_pod)?;
            let at: chrono::DateTime<chrono::Utc> = entry["timestamp"].as_str()?.parse().ok()?;
            (at > resumed_at && entry["is_anomaly"] == true).then_some(())
        },
    );
    collector.terminate(Duration::from_secs(20));
    let journal = incident_journal(dir);
    let ours: Vec<&serde_json::Value> = journal
        .iter()
        .filter(|e| e["incident"]["id"] == incident_id.as_str())
        .collect();
    assert!(
        ours.iter()
            .all(|e| e["event"] != "resolved" && e["incident"]["recurrences"].is_null()),
        "{journal:#?}"
    );
    let opened_on_workload = journal
        .iter()
        .filter(|e| e["event"] == "opened")
        .filter(|e| e["incident"]["namespace"] == namespace)
        .filter(|e| e["incident"]["workload"]["name"] == workload)
        .count();
    assert_eq!(opened_on_workload, 1, "{journal:#?}");
    // The log says unknown (at most once), never "back to normal", while there was no data.
    let log = collector.log_text();
    let outage = log
        .split("Prometheus unreachable")
        .nth(1)
        .and_then(|rest| rest.split("Prometheus answering again").next())
        .unwrap();
    let about_pod = |text: &str, message: &str| {
        text.lines()
            .filter(|l| l.contains(message) && l.contains(fault_pod.as_str()))
            .count()
    };
    assert_eq!(about_pod(outage, "pod back to normal"), 0, "{outage}");
    assert!(about_pod(&log, "pod state unknown (no data)") <= 1, "{log}");

    // Backfill: a new collector starts with the last 20 s of history from query_range.
    let sub = dir.join("backfill");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("agents.toml"),
        TEST_CONFIG.replace("[prometheus]\n", "[prometheus]\nbackfill = \"20s\"\n"),
    )
    .unwrap();
    let started = chrono::Utc::now();
    let mut cmd = command(&sub);
    cmd.args(["collect", "--source", "prometheus", "--namespace", "all"])
        .args(["--prometheus-url", &format!("http://127.0.0.1:{port}")])
        .args(["--generator-interval", "2s", "--output", "rows.csv"]);
    let mut backfilled = Daemon::spawn(cmd, &sub.join("collect.log"));
    let rows = wait_until(Duration::from_secs(30), "backfilled rows", || {
        let rows = read_rows(&sub.join("rows.csv"));
        (!rows.is_empty()).then_some(rows)
    });
    let times: std::collections::BTreeSet<chrono::DateTime<chrono::Utc>> = rows
        .iter()
        .map(|r| r["timestamp"].parse().unwrap())
        .collect();
    let past: Vec<_> = times.iter().filter(|t| **t < started).collect();
    assert!(
        past.len() >= 8,
        "history one row per 2 s over 20 s: {times:?}"
    );
    for pair in past.windows(2) {
        assert_eq!((*pair[1] - *pair[0]).num_milliseconds(), 2000, "{times:?}");
    }
    backfilled.terminate(Duration::from_secs(20));

    // A namespace without pods: one WARN naming the namespaces that have some.
    let wrong = dir.join("wrong-namespace");
    std::fs::create_dir_all(&wrong).unwrap();
    std::fs::write(wrong.join("agents.toml"), TEST_CONFIG).unwrap();
    let mut cmd = command(&wrong);
    cmd.args(["collect", "--source", "prometheus", "--namespace", "nope"])
        .args(["--prometheus-url", &format!("http://127.0.0.1:{port}")])
        .args(["--generator-interval", "1s", "--output", "rows.csv"]);
    let mut empty = Daemon::spawn(cmd, &wrong.join("collect.log"));
    let fault_namespace = labels[0]["namespace"].as_str().unwrap().to_string();
    let warning = wait_until(
        Duration::from_secs(30),
        "the empty-namespace warning",
        || {
            empty
                .log_text()
                .lines()
                .find(|l| l.contains("finds no pods in the namespace"))
                .map(str::to_string)
        },
    );
    assert!(
        warning.contains("WARN")
            && warning.contains("namespace=nope")
            && warning.contains("namespaces with pods: ")
            && warning.contains(&format!("{fault_namespace} (")),
        "{warning}"
    );
    std::thread::sleep(Duration::from_secs(3));
    let said = empty
        .log_text()
        .matches("finds no pods in the namespace")
        .count();
    assert_eq!(said, 1, "said once, not every collection");
    empty.terminate(Duration::from_secs(20));
    simulator.terminate(Duration::from_secs(20));
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl (Debian's package, on the machine image and installed by .ci/run)");
    assert!(out.status.success(), "openssl {args:?}: {out:?}");
}

/// A CA and a server certificate for 127.0.0.1 signed by it, in `dir`.
fn make_certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=k8s-monitor test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ],
    );
}

/// bcrypt of "s3cret" (Prometheus' web config stores only the hash).
const S3CRET_BCRYPT: &str = "$2b$04$A9orE8gAjM0jH7k.UdkX2Oh/elewqdkuZaNUGzxd0yfQGud8w.eQq";

#[test]
fn collects_over_tls_with_a_custom_ca_and_basic_auth_and_names_a_wrong_password() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    make_certificates(dir);
    std::fs::write(
        dir.join("web.yml"),
        format!(
            "tls_server_config:\n  cert_file: server.pem\n  key_file: server.key\n\
             basic_auth_users:\n  monitor: '{S3CRET_BCRYPT}'\n"
        ),
    )
    .unwrap();

    let mut sim_cmd = command(dir);
    sim_cmd.args([
        "simulate",
        "--listen",
        "127.0.0.1:0",
        "--pods",
        "3",
        "--step",
        "1s",
    ]);
    let (mut simulator, target) = start_simulator(sim_cmd, dir);
    let port = free_port();
    let web = dir.join("web.yml");
    let _prometheus = start_prometheus_with(dir, port, &target, "prometheus.log", Some(&web));

    let collect = |name: &str, password: &str| -> Daemon {
        let sub = dir.join(name);
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join("password"), format!("{password}\n")).unwrap();
        std::fs::write(
            sub.join("agents.toml"),
            format!(
                "[collector]\nsource = \"prometheus\"\nnamespace = \"all\"\n\
                 prometheus_url = \"https://127.0.0.1:{port}\"\ngenerator_interval = \"1s\"\n\
                 [prometheus]\nca_file = \"{}\"\nbasic_auth_username = \"monitor\"\n\
                 basic_auth_password_file = \"password\"\nretries = 0\n",
                dir.join("ca.pem").display()
            ),
        )
        .unwrap();
        let mut cmd = command(&sub);
        cmd.args(["collect", "--output", "rows.csv"]);
        Daemon::spawn(cmd, &sub.join("collect.log"))
    };

    let mut good = collect("good", "s3cret");
    let mut bad = collect("bad", "wrong");
    wait_until(Duration::from_secs(60), "rows over TLS", || {
        read_rows(&dir.join("good/rows.csv"))
            .iter()
            .any(|r| !r["memory_bytes"].is_empty())
            .then_some(())
    });
    wait_until(Duration::from_secs(30), "the refusal logged", || {
        bad.log_text().contains("collection failing").then_some(())
    });
    // Let a few more intervals fail: still one line.
    std::thread::sleep(Duration::from_secs(3));
    bad.assert_alive();
    let log = bad.log_text();
    assert_eq!(log.matches("collection failing").count(), 1, "{log}");
    assert!(log.contains("HTTP 401"), "{log}");
    assert!(read_rows(&dir.join("bad/rows.csv")).is_empty());
    good.terminate(Duration::from_secs(20));
    bad.terminate(Duration::from_secs(20));
    simulator.terminate(Duration::from_secs(20));
}
