//! The alert sinks against a real Alertmanager (Debian's `prometheus-alertmanager`, which
//! `.ci/run` installs), started on 127.0.0.1 with no cluster port: the analysis and alerter
//! actors get a pod's anomalous scores, the alert appears in Alertmanager with its labels, and
//! it resolves when the pod's scores are normal again (queried back through its API). The
//! webhook sink posts to a loopback receiver at the same time.

use crate::harness::{free_port, http_get, wait_until, Daemon};
use actix::prelude::*;
use chrono::{TimeDelta, Utc};
use k8s_monitor::actors::alerter::Alerter;
use k8s_monitor::actors::analysis::Analysis;
use k8s_monitor::actors::insights_writer::{InsightsWriter, PublishScores};
use k8s_monitor::alerts::AlertClient;
use k8s_monitor::analysis::{IncidentJournal, IncidentTracker};
use k8s_monitor::detector::{AnomalyType, PodScore, Severity};
use k8s_monitor::service::live_view::LiveView;
use k8s_monitor::service::telemetry::DaemonMetrics;
use k8s_monitor::settings::AlertsSettings;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

fn alertmanager_binary() -> PathBuf {
    let dirs = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    dirs.into_iter()
        .chain([PathBuf::from("/usr/bin")])
        .flat_map(|d| [d.join("prometheus-alertmanager"), d.join("alertmanager")])
        .find(|p| p.is_file())
        .expect(
            "no Alertmanager binary on PATH: install Debian's package \
             (`apt-get install -y prometheus-alertmanager`, as .ci/run does)",
        )
}

fn start_alertmanager(dir: &Path, port: u16) -> Daemon {
    let config = dir.join("alertmanager.yml");
    std::fs::write(
        &config,
        "route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n",
    )
    .unwrap();
    let mut cmd = Command::new(alertmanager_binary());
    cmd.args([
        format!("--config.file={}", config.display()),
        format!("--storage.path={}", dir.join("am-data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        // Empty: no cluster listener, so it opens no other port.
        "--cluster.listen-address=".to_string(),
    ]);
    let daemon = Daemon::spawn(cmd, &dir.join("alertmanager.log"));
    wait_until(Duration::from_secs(30), "Alertmanager to be ready", || {
        http_get(&format!("127.0.0.1:{port}"), "/-/ready").filter(|(s, _)| *s == 200)
    });
    daemon
}

/// A loopback webhook receiver: answers 200 and keeps every JSON body posted.
pub(crate) fn capture_server() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
) {
    let posts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = posts.clone();
    let hook = move |body: String| async move {
        if let Ok(json) = serde_json::from_str(&body) {
            seen.lock().unwrap().push(json);
        }
        "ok"
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(hook));
    let url = format!("http://{}/hook", crate::harness::serve_in_background(app));
    (url, posts)
}

fn score(pod: &str, at: chrono::DateTime<Utc>, anomalous: bool) -> PodScore {
    PodScore {
        timestamp: at,
        namespace: "payments".into(),
        pod: pod.into(),
        node: "node-1".into(),
        workload: "fraud-check".into(),
        anomaly_probability: if anomalous { 0.93 } else { 0.02 },
        is_anomaly: anomalous,
        anomaly_type: Some(AnomalyType::CrashLoop),
        severity: if anomalous {
            Severity::Critical
        } else {
            Severity::Info
        },
        evidence: vec![],
        context: Default::default(),
        status: Default::default(),
    }
}

/// The alerts Alertmanager lists for `pod` (active ones: resolved alerts are not listed).
fn alerts_for(addr: &str, pod: &str) -> Vec<serde_json::Value> {
    let Some((200, body)) = http_get(addr, "/api/v2/alerts") else {
        return Vec::new();
    };
    let all: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    all.into_iter()
        .filter(|a| a["labels"]["pod"] == pod)
        .collect()
}

#[test]
fn an_incident_raises_an_alert_in_alertmanager_that_resolves_when_the_pod_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path().to_path_buf();
    let port = free_port();
    let _alertmanager = start_alertmanager(&dir, port);
    let addr = format!("127.0.0.1:{port}");
    let pod = "fraud-check-45zhqtbmvv-wkqxt";

    let (webhook_url, webhook_posts) = capture_server();
    let settings = AlertsSettings {
        alertmanager_url: Some(format!("http://{addr}")),
        webhook_url: Some(webhook_url),
        resend_interval: Duration::from_secs(1),
        max_per_minute: 30,
        timeout: Duration::from_secs(5),
    };
    let (to_actors, from_test) = std::sync::mpsc::channel::<Vec<PodScore>>();
    let system_dir = dir.clone();
    let metrics = Arc::new(DaemonMetrics::new(10));
    let m = metrics.clone();
    let system = std::thread::spawn(move || {
        actix::System::new().block_on(async move {
            let view = LiveView::new();
            let insights = InsightsWriter::new(
                system_dir.join("insights.json"),
                100,
                std::time::Duration::ZERO,
                m.clone(),
                view.clone(),
            )
            .start();
            let client = AlertClient::new(Duration::from_secs(5)).unwrap();
            let alerter = Alerter::new(settings, client, m.clone()).start();
            let analysis = Analysis::new(
                IncidentTracker::new(Duration::from_secs(2), Duration::from_secs(60)),
                Some(IncidentJournal::open(&system_dir.join("incidents.jsonl")).unwrap()),
                insights.recipient(),
                Some(alerter.recipient()),
                None,
                m,
                view,
            )
            .start();
            loop {
                match from_test.try_recv() {
                    Ok(scores) => analysis.do_send(PublishScores {
                        scores,
                        evicted: vec![],
                        incidents: None,
                    }),
                    Err(std::sync::mpsc::TryRecvError::Empty) => {
                        tokio::time::sleep(Duration::from_millis(20)).await
                    }
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                }
            }
        })
    });

    let t0 = Utc::now();
    for k in 0..3 {
        to_actors
            .send(vec![score(pod, t0 + TimeDelta::seconds(k), true)])
            .unwrap();
    }
    let alert = wait_until(Duration::from_secs(20), "the alert in Alertmanager", || {
        alerts_for(&addr, pod).into_iter().next()
    });
    let labels = &alert["labels"];
    assert_eq!(labels["alertname"], "K8sMonitorIncident", "{alert}");
    assert_eq!(labels["namespace"], "payments");
    assert_eq!(labels["workload"], "fraud-check");
    assert_eq!(labels["severity"], "critical");
    assert_eq!(labels["fault_kind"], "crash_loop");
    assert!(
        alert["annotations"]["remediation"]
            .as_str()
            .unwrap()
            .contains(&format!("kubectl -n payments logs {pod}")),
        "{alert}"
    );
    assert_eq!(alert["status"]["state"], "active", "{alert}");

    // The pod recovers: normal scores, a pass at a time as the daemon sends them, until it has
    // been normal for resolve_after (2 s).
    wait_until(Duration::from_secs(20), "the alert to resolve", || {
        to_actors.send(vec![score(pod, Utc::now(), false)]).unwrap();
        alerts_for(&addr, pod).is_empty().then_some(())
    });
    let journal = std::fs::read_to_string(dir.join("incidents.jsonl")).unwrap();
    let events: Vec<String> = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].to_string())
        .collect();
    assert_eq!(events, ["\"opened\"", "\"resolved\""], "{journal}");
    // The webhook got the opening and the resolution, Slack-style.
    let posts = wait_until(Duration::from_secs(10), "two webhook posts", || {
        let posts = webhook_posts.lock().unwrap().clone();
        (posts.len() >= 2).then_some(posts)
    });
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!(posts[0]["event"], "opened");
    assert!(
        posts[0]["text"].as_str().unwrap().contains(pod),
        "{posts:?}"
    );
    assert!(posts[0]["text"]
        .as_str()
        .unwrap()
        .contains("kubectl -n payments"));
    assert_eq!(posts[1]["event"], "resolved");
    let text = metrics.encode();
    for line in [
        "k8s_monitor_alerts_sent_total{sink=\"webhook\"} 2",
        "k8s_monitor_incidents_open{kind=\"crash_loop\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("k8s_monitor_alerts_sent_total{sink=\"alertmanager\"}")),
        "{text}"
    );
    drop(to_actors);
    system.join().unwrap();
}
