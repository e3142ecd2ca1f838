//! Reloading the running daemon: SIGHUP with an invalid file is rejected with every problem
//! named and changes nothing; an edited file is picked up without a signal and applied with
//! the pods' history and the open incidents kept, naming what needs a restart; both counted
//! in `/metrics`.

use crate::harness::{command, fast_env, http_get, wait_until, Daemon, FAST_FLAGS};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(90);

fn insights(addr: &str) -> Vec<serde_json::Value> {
    let (_, body) = http_get(addr, "/api/v1/insights").expect("/api/v1/insights");
    serde_json::from_str(&body).expect("insights JSON")
}

fn open_incident_ids(addr: &str) -> Vec<String> {
    let (_, body) = http_get(addr, "/api/v1/incidents").expect("/api/v1/incidents");
    let incidents: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    incidents
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

fn metric_line(addr: &str, prefix: &str) -> Option<String> {
    let (_, text) = http_get(addr, "/metrics")?;
    text.lines()
        .find(|l| l.starts_with(prefix))
        .map(str::to_string)
}

#[test]
fn an_invalid_reload_changes_nothing_and_a_valid_one_applies_keeping_history() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = d.join("agents.toml");
    // The log level comes from the file (no K8S_MONITOR_LOG, which would win): debug for the
    // dataset generator only, whose lines count the scored batches.
    const LEVEL: &str = "info,k8s_monitor::actors::dataset_generator=debug";
    std::fs::write(
        &config,
        format!("[insights]\nmax_pods = 100\n\n[logging]\nlevel = \"{LEVEL}\"\n"),
    )
    .unwrap();
    let mut cmd = command(d);
    fast_env(&mut cmd)
        .env_remove("K8S_MONITOR_LOG")
        .arg("run")
        .args(FAST_FLAGS);
    let mut daemon = Daemon::spawn(cmd, &d.join("daemon.log"));
    let addr = daemon.endpoint(LIMIT);
    // The simulator's first fault, a crash loop, becomes an incident (slower on a loaded CI).
    let before = wait_until(Duration::from_secs(240), "an open incident", || {
        daemon.assert_alive();
        let ids = open_incident_ids(&addr);
        (!ids.is_empty()).then_some(ids)
    });
    // 20 pods, more when the simulator scales a workload out.
    assert!(insights(&addr).len() >= 20);

    // Invalid: two problems, both named; nothing changes.
    std::fs::write(
        &config,
        "[insights]\nmax_pods = 0\n\n[anomaly_model]\nalert_threshold = 2.0\n",
    )
    .unwrap();
    daemon.send_signal("HUP");
    let rejected = wait_until(LIMIT, "the reload to be rejected", || {
        daemon.assert_alive();
        let log = daemon.log_text();
        // The event and the problems listed under it, up to the next event.
        let (_, rest) = log.split_once("reload rejected")?;
        let end = rest.find("\n20").unwrap_or(rest.len());
        Some(rest[..end].to_string())
    });
    assert!(
        rejected.contains("max_pods") && rejected.contains("alert_threshold"),
        "{rejected}"
    );
    assert_eq!(
        metric_line(&addr, "k8s_monitor_reloads_total{result=\"rejected\"}").as_deref(),
        Some("k8s_monitor_reloads_total{result=\"rejected\"} 1")
    );
    daemon.wait_for_batches(daemon.batches().len() + 2, LIMIT);
    assert!(insights(&addr).len() >= 20, "the old max_pods still holds");

    // Valid, picked up from the file without a signal: three keys applied (the collector's
    // debug lines, a webhook), one for the restart.
    assert!(!daemon.log_text().contains(" collected rows="));
    let (webhook, posts) = crate::alertmanager::capture_server();
    std::fs::write(
        &config,
        format!(
            "[insights]\nmax_pods = 5\noutput_file = \"data/elsewhere.json\"\n\n\
             [alerts]\nwebhook_url = \"{webhook}\"\n\n\
             [logging]\nlevel = \"{LEVEL},k8s_monitor::actors::collector=debug\"\n"
        ),
    )
    .unwrap();
    wait_until(LIMIT, "the edited file to be applied", || {
        daemon.assert_alive();
        let log = daemon.log_text();
        (log.contains("settings reloaded")
            && log.contains("applied=insights.max_pods, alerts.webhook_url, logging.level"))
        .then_some(())
    });
    let log = daemon.log_text();
    assert!(log.contains("trigger=\"config file changed\""), "{log}");
    let restart = log
        .lines()
        .find(|l| l.contains("take effect at the next restart"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(restart.contains("insights.output_file"), "{restart}");
    wait_until(LIMIT, "the collector's debug lines", || {
        daemon.log_text().contains(" collected rows=").then_some(())
    });
    wait_until(LIMIT, "5 insights entries", || {
        (insights(&addr).len() == 5).then_some(())
    });
    assert!(
        !d.join("data/elsewhere.json").exists(),
        "restart-only key not applied"
    );
    assert_eq!(
        metric_line(&addr, "k8s_monitor_reloads_total{result=\"applied\"}").as_deref(),
        Some("k8s_monitor_reloads_total{result=\"applied\"} 1")
    );
    // The new sink hears of the incidents open at the reload.
    let posted = wait_until(LIMIT, "the open incidents at the new webhook", || {
        let posts = posts.lock().unwrap().clone();
        (!posts.is_empty()).then_some(posts)
    });
    assert_eq!(posted[0]["event"], "opened", "{posted:?}");
    // History kept: the incidents open before are still open, and the model was not rebuilt
    // (it starts once).
    let after = open_incident_ids(&addr);
    assert!(
        before.iter().all(|id| after.contains(id)),
        "{before:?} {after:?}"
    );
    assert_eq!(
        daemon.log_text().matches("anomaly model started").count(),
        1
    );

    // An LLM turned on without a usable key is refused as at start-up.
    std::fs::write(
        &config,
        "[llm]\nmode = \"on\"\napi_key_file = \"no-such-key\"\n",
    )
    .unwrap();
    daemon.send_signal("HUP");
    let refused = "reload rejected, running on with the settings in use: [llm]: reading the \
                   LLM API key file no-such-key";
    wait_until(LIMIT, "the LLM reload refused", || {
        daemon.assert_alive();
        daemon.log_text().contains(refused).then_some(())
    });
    assert_eq!(
        metric_line(&addr, "k8s_monitor_reloads_total{result=\"rejected\"}").as_deref(),
        Some("k8s_monitor_reloads_total{result=\"rejected\"} 2")
    );
    assert!(daemon.terminate(LIMIT).success());
}
