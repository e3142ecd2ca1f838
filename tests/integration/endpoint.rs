//! The daemon as an SRE's tools see it: its HTTP endpoint (`/healthz`, `/readyz`, `/metrics`,
//! `/api/v1/insights`, `/api/v1/incidents`) against the running binary, `/metrics` through
//! `promtool check metrics` and scraped by a real Prometheus, readiness turning 503 while the
//! source is down and back, and the systemd notify protocol over a datagram socket standing in
//! for `NOTIFY_SOCKET`.

use crate::harness::{command, fast_env, free_port, http_get, wait_until, Daemon, FAST_FLAGS};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(60);

/// The daemon's `/metrics` text through `promtool check metrics`: its complaints, if any.
fn promtool_check_metrics(text: &str) -> Result<(), String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("no `promtool`: install Debian's prometheus package, as .ci/run does");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The value of an unlabelled sample, e.g. `k8s_monitor_rows_ingested_total`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn the_endpoint_answers_health_readiness_metrics_and_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut cmd = command(dir);
    fast_env(&mut cmd)
        .env("K8S_MONITOR_SERVER__MAX_POD_SERIES", "5")
        .arg("run")
        .args(FAST_FLAGS);
    let mut daemon = Daemon::spawn(cmd, &dir.join("run.log"));
    let addr = daemon.endpoint(LIMIT);

    assert_eq!(http_get(&addr, "/healthz"), Some((200, "ok\n".to_string())));
    wait_until(LIMIT, "/readyz to answer 200", || {
        (http_get(&addr, "/readyz")?.0 == 200).then_some(())
    });
    daemon.wait_for_batches(3, LIMIT);

    let (status, text) = http_get(&addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        sample(&text, "k8s_monitor_rows_ingested_total").unwrap() > 0.0,
        "{text}"
    );
    assert_eq!(sample(&text, "k8s_monitor_source_up"), Some(1.0));
    // 20 pods, more if the simulator has scaled a workload out meanwhile.
    assert!(sample(&text, "k8s_monitor_pods_scored").unwrap() >= 20.0);
    assert!(sample(&text, "k8s_monitor_scoring_batch_duration_seconds_count").unwrap() >= 3.0);
    assert!(sample(&text, "k8s_monitor_insights_written_total").unwrap() >= 3.0);
    let pod_series = text
        .lines()
        .filter(|l| l.starts_with("k8s_monitor_pod_anomaly_probability{"))
        .count();
    assert_eq!(pod_series, 5, "capped by max_pod_series:\n{text}");
    assert!(
        text.contains("k8s_monitor_actor_restarts_total{actor=\"anomaly_model\"} 0"),
        "{text}"
    );
    promtool_check_metrics(&text).unwrap_or_else(|e| panic!("promtool: {e}\n{text}"));
    // What the dashboard and the rules use is exported. A labelled family has no series until
    // its first one: rows rejected (none here), alerts and the LLM (not configured here).
    let only_once_used = [
        "k8s_monitor_rows_rejected_total",
        "k8s_monitor_fields_emptied_total",
        "k8s_monitor_alerts_sent_total",
        "k8s_monitor_alerts_dropped_total",
        "k8s_monitor_llm_requests_total",
    ];
    for name in crate::deploy_files::metric_names_used() {
        if name == "up" || only_once_used.contains(&name.as_str()) {
            continue;
        }
        let base = ["_total", "_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| name.strip_suffix(s))
            .unwrap_or(&name);
        assert!(
            text.contains(&format!("# TYPE {base} ")) || text.contains(&format!("# TYPE {name} ")),
            "{name} is used by deploy/ but not exported:\n{text}"
        );
    }

    let (status, body) = http_get(&addr, "/api/v1/insights").unwrap();
    assert_eq!(status, 200);
    let insights: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    assert!(insights.len() >= 20, "{body}");
    assert!(insights.iter().all(|e| e["pod"].is_string()));
    let (status, body) = http_get(&addr, "/api/v1/incidents").unwrap();
    assert_eq!(status, 200);
    assert!(
        serde_json::from_str::<Vec<serde_json::Value>>(&body).is_ok(),
        "{body}"
    );
    assert_eq!(http_get(&addr, "/nope").map(|r| r.0), Some(404));

    assert!(daemon.terminate(LIMIT).success());
}

#[test]
fn a_taken_port_stops_start_up_naming_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut cmd = command(dir.path());
    fast_env(&mut cmd)
        .env("K8S_MONITOR_SERVER__LISTEN", &addr)
        .arg("run");
    let out = crate::harness::run_bounded(cmd, LIMIT);
    let stderr = out.assert_failure();
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")) && stderr.contains("[server] listen"),
        "{stderr}"
    );
}

/// A Prometheus on 127.0.0.1:`port` scraping the daemon's endpoint as job `k8s-monitor`.
fn start_prometheus(dir: &Path, port: u16, daemon: &str) -> Daemon {
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n\
             scrape_configs:\n  - job_name: k8s-monitor\n    static_configs:\n      - targets: ['{daemon}']\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new(crate::prometheus::prometheus_binary());
    cmd.current_dir(dir).args([
        format!("--config.file={}", config.display()),
        format!("--storage.tsdb.path={}", dir.join("tsdb").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ]);
    let prometheus = Daemon::spawn(cmd, &dir.join("prometheus.log"));
    wait_until(LIMIT, "Prometheus to be ready", || {
        prometheus
            .log_text()
            .contains("Server is ready to receive web requests")
            .then_some(())
    });
    prometheus
}

/// The value of `query` in Prometheus, when it has exactly one series.
fn query(prometheus: &str, query: &str) -> Option<f64> {
    let (_, body) = http_get(prometheus, &format!("/api/v1/query?query={query}"))?;
    let v: serde_json::Value = serde_json::from_str(&body).ok()?;
    let result = v["data"]["result"].as_array()?;
    (result.len() == 1).then(|| result[0]["value"][1].as_str()?.parse().ok())?
}

#[test]
fn readiness_follows_the_source_and_a_real_prometheus_scrapes_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (prometheus_port, endpoint_port) = (free_port(), free_port());
    let endpoint = format!("127.0.0.1:{endpoint_port}");
    let mut cmd = command(dir);
    cmd.env("K8S_MONITOR_SERVER__LISTEN", &endpoint)
        .env("K8S_MONITOR_PROMETHEUS__TIMEOUT", "1s")
        .env("K8S_MONITOR_PROMETHEUS__RETRIES", "0")
        .args(["run", "--source", "prometheus", "--namespace", "all"])
        .args([
            "--prometheus-url",
            &format!("http://127.0.0.1:{prometheus_port}"),
        ])
        .args(FAST_FLAGS);
    let mut daemon = Daemon::spawn(cmd, &dir.join("run.log"));
    assert_eq!(daemon.endpoint(LIMIT), endpoint);

    // No Prometheus yet: alive, not ready, and why.
    let (status, body) = wait_until(LIMIT, "/readyz to name the source", || {
        http_get(&endpoint, "/readyz").filter(|(_, b)| b.contains("source"))
    });
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains(&format!("127.0.0.1:{prometheus_port}")),
        "{body}"
    );
    assert_eq!(http_get(&endpoint, "/healthz").map(|r| r.0), Some(200));

    // Prometheus comes up (and scrapes the daemon): ready.
    let mut prometheus = start_prometheus(dir, prometheus_port, &endpoint);
    wait_until(LIMIT, "/readyz to answer 200", || {
        daemon.assert_alive();
        (http_get(&endpoint, "/readyz")?.0 == 200).then_some(())
    });
    let prom = format!("127.0.0.1:{prometheus_port}");
    wait_until(LIMIT, "Prometheus to scrape the daemon", || {
        (query(&prom, "up{job=\"k8s-monitor\"}")? == 1.0
            && query(&prom, "k8s_monitor_source_up")? == 1.0
            && query(&prom, "k8s_monitor_build_info")? == 1.0)
            .then_some(())
    });

    // A reload that changes the source's settings rebuilds the source in place: collection
    // and readiness go on.
    std::fs::write(
        dir.join("agents.toml"),
        "[prometheus]\nrate_window = \"1m\"\n",
    )
    .unwrap();
    daemon.send_signal("HUP");
    wait_until(LIMIT, "the source rebuilt by the reload", || {
        daemon.assert_alive();
        let log = daemon.log_text();
        (log.contains("applied=prometheus.rate_window")
            && log.contains("collecting from the reloaded source"))
        .then_some(())
    });
    wait_until(LIMIT, "/readyz 200 on the rebuilt source", || {
        (http_get(&endpoint, "/readyz")?.0 == 200).then_some(())
    });

    // Prometheus goes away: not ready again, still alive.
    prometheus.terminate(LIMIT);
    let (status, body) = wait_until(LIMIT, "/readyz to fail again", || {
        http_get(&endpoint, "/readyz").filter(|(s, _)| *s == 503)
    });
    assert!(body.contains("source"), "{status} {body}");
    assert_eq!(http_get(&endpoint, "/healthz").map(|r| r.0), Some(200));
    assert!(daemon.terminate(LIMIT).success());
}

/// Datagrams received on `socket` until `done` says enough, bounded.
fn receive_until(
    socket: &std::os::unix::net::UnixDatagram,
    got: &mut Vec<String>,
    what: &str,
    done: impl Fn(&[String]) -> bool,
) {
    let mut buf = vec![0u8; 4096];
    wait_until(LIMIT, what, || {
        if let Ok(n) = socket.recv(&mut buf) {
            got.extend(
                String::from_utf8_lossy(&buf[..n])
                    .lines()
                    .map(str::to_string),
            );
        }
        done(got).then_some(())
    });
}

#[test]
fn the_notify_protocol_says_ready_pings_the_watchdog_with_a_status_and_says_stopping() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let path = dir.join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut cmd = command(dir);
    fast_env(&mut cmd)
        .env("NOTIFY_SOCKET", &path)
        // A 1 s watchdog: pings every 0.5 s.
        .env("WATCHDOG_USEC", "1000000")
        .arg("run")
        .args(FAST_FLAGS);
    let mut daemon = Daemon::spawn(cmd, &dir.join("run.log"));
    let mut got = Vec::new();
    receive_until(&socket, &mut got, "READY, pings and a status", |g| {
        g.iter().any(|l| l == "READY=1")
            && g.iter().filter(|l| *l == "WATCHDOG=1").count() >= 3
            && g.iter().any(|l| {
                l.starts_with("STATUS=scoring ") && l.contains(" pods, ") && l.ends_with(" open")
            })
    });
    let ready = got.iter().position(|l| l == "READY=1").unwrap();
    let first_ping = got.iter().position(|l| l == "WATCHDOG=1").unwrap();
    assert!(ready < first_ping, "READY before the first ping: {got:?}");
    daemon.signal("TERM", LIMIT);
    receive_until(&socket, &mut got, "STOPPING=1", |g| {
        g.iter().any(|l| l == "STOPPING=1")
    });
    let stopping = got.iter().position(|l| l == "STOPPING=1").unwrap();
    assert!(
        got[stopping..].iter().all(|l| l != "WATCHDOG=1"),
        "no ping once stopping: {got:?}"
    );
}
