//! The Kubernetes source, end to end: the real binary (`k8s-monitor collect --source
//! kubernetes`) with kube's real client against the loopback [`FakeApiServer`], whose answers
//! the real `kubectl` parses too.

use crate::fake_apiserver::{pod, pod_event, pod_metrics, FakeApiServer};
use crate::harness::{command, run_bounded, wait_until, Daemon};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

type Row = HashMap<String, String>;

/// One CSV record split into fields (RFC 4180 quotes).
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

fn read_rows(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut lines = text.lines();
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let names = split_csv(header);
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let fields = split_csv(l);
            assert_eq!(fields.len(), names.len(), "bad record {l:?}");
            names.iter().cloned().zip(fields).collect()
        })
        .collect()
}

fn rows_of<'a>(rows: &'a [Row], pod: &str) -> Vec<&'a Row> {
    rows.iter().filter(|r| r["pod"] == pod).collect()
}

/// The rows of the latest collection.
fn latest(rows: &[Row]) -> Vec<&Row> {
    let Some(last) = rows.last() else {
        return Vec::new();
    };
    rows.iter()
        .filter(|r| r["timestamp"] == last["timestamp"])
        .collect()
}

fn pods_in(rows: &[&Row]) -> BTreeSet<String> {
    rows.iter().map(|r| r["pod"].clone()).collect()
}

/// A directory with the fake server's kubeconfig named in `agents.toml`.
struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    csv: PathBuf,
}

impl Setup {
    fn new(server: &FakeApiServer) -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let kubeconfig = server.write_kubeconfig(&dir);
        std::fs::write(
            dir.join("agents.toml"),
            format!(
                "[kubernetes]\nkubeconfig = {:?}\n",
                kubeconfig.display().to_string()
            ),
        )
        .unwrap();
        Setup {
            csv: dir.join("pod_metrics.csv"),
            dir,
            _tmp: tmp,
        }
    }

    /// `k8s-monitor collect --source kubernetes` every 0.2 s.
    fn collect(&self, namespace: &str) -> Daemon {
        let mut cmd = command(&self.dir);
        cmd.env(
            "K8S_MONITOR_LOG",
            "info,k8s_monitor::source::kubernetes=debug",
        )
        .args([
            "collect",
            "--source",
            "kubernetes",
            "--namespace",
            namespace,
        ])
        .args(["--generator-interval", "0.2", "--output"])
        .arg(&self.csv);
        Daemon::spawn(cmd, &self.dir.join("collect.log"))
    }

    fn rows(&self) -> Vec<Row> {
        read_rows(&self.csv)
    }

    /// Waits until `probe` accepts the rows, checking that the daemon is alive.
    fn wait_rows<T>(
        &self,
        daemon: &mut Daemon,
        limit: Duration,
        what: &str,
        mut probe: impl FnMut(&[Row]) -> Option<T>,
    ) -> T {
        wait_until(limit, what, || {
            daemon.assert_alive();
            probe(&self.rows())
        })
    }

    /// Waits until at least `n` more collections were written after the current last one.
    fn wait_collections(&self, daemon: &mut Daemon, n: usize) {
        let start = self.rows().len();
        self.wait_rows(daemon, LIMIT, &format!("{n} more collections"), |rows| {
            let stamps: BTreeSet<&String> = rows[start.min(rows.len())..]
                .iter()
                .map(|r| &r["timestamp"])
                .collect();
            (stamps.len() >= n).then_some(())
        });
    }
}

const LIMIT: Duration = Duration::from_secs(30);

fn count(log: &str, needle: &str) -> usize {
    log.lines().filter(|l| l.contains(needle)).count()
}

fn shop_cluster(server: &FakeApiServer) {
    server.put_pod(pod(
        "shop",
        "cart-1",
        Some("node-a"),
        &[("app", "500m", "128Mi"), ("proxy", "0.1", "64Mi")],
    ));
    server.put_pod(pod("shop", "web-1", None, &[("web", "1", "1Gi")]));
    server.put_pod(pod(
        "kube-system",
        "dns-1",
        Some("node-b"),
        &[("dns", "100m", "70Mi")],
    ));
    server.set_pod_metrics(Some(vec![
        pod_metrics(
            "shop",
            "cart-1",
            &[("app", "250000000n", "102400Ki"), ("proxy", "5m", "10Mi")],
        ),
        pod_metrics("kube-system", "dns-1", &[("dns", "2m", "20Mi")]),
    ]));
}

#[test]
fn kubectl_parses_the_fake_api_servers_answers() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    server.put_event(pod_event(
        "shop",
        "cart-1",
        "cart-1.1",
        "Normal",
        "Pulled",
        "Pulled image",
    ));
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(tmp.path());
    let kubectl = |args: &[&str]| {
        let mut cmd = Command::new("kubectl");
        cmd.env("HOME", tmp.path())
            .env_remove("KUBECONFIG")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--cache-dir"])
            .arg(tmp.path().join("cache"))
            .args(args);
        let out = run_bounded(cmd, Duration::from_secs(60));
        out.assert_success();
        out.stdout
    };
    let pods: Value = serde_json::from_str(&kubectl(&["get", "pods", "-A", "-o", "json"])).unwrap();
    let names: BTreeSet<&str> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["cart-1", "web-1", "dns-1"]));
    let shop: Value =
        serde_json::from_str(&kubectl(&["get", "pods", "-n", "shop", "-o", "json"])).unwrap();
    assert_eq!(shop["items"].as_array().unwrap().len(), 2);
    // The fake serves no server-side Table; kubectl falls back to its own columns.
    let table = kubectl(&["get", "pods", "-A"]);
    assert!(
        ["cart-1", "web-1", "dns-1"]
            .iter()
            .all(|p| table.contains(p)),
        "{table}"
    );
    let events: Value = serde_json::from_str(&kubectl(&[
        "get",
        "events",
        "-A",
        "--field-selector",
        "involvedObject.kind=Pod",
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(events["items"][0]["reason"], "Pulled");
    // kubectl top reads metrics.k8s.io through discovery: the PodMetrics list parses.
    let top = kubectl(&["top", "pods", "-A"]);
    assert!(
        top.contains("cart-1") && top.contains("255m") && top.contains("110Mi"),
        "{top}"
    );
}

#[test]
fn lists_and_watches_pods_restarts_oomkilled_events_new_and_deleted_pods() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    // History from before the start: not news.
    server.put_event(pod_event(
        "shop",
        "cart-1",
        "cart-1.old",
        "Normal",
        "Pulled",
        "Pulled image",
    ));
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("all");

    setup.wait_rows(&mut daemon, LIMIT, "rows of all three pods", |rows| {
        (pods_in(&latest(rows))
            == BTreeSet::from(["cart-1".into(), "web-1".into(), "dns-1".into()]))
        .then_some(())
    });
    let rows = setup.rows();
    let cart = rows_of(&rows, "cart-1")[0].clone();
    let want = [
        ("namespace", "shop"),
        ("node", "node-a"),
        ("phase", "Running"),
        ("reason", ""),
        ("restarts", "0"),
        ("ready_containers", "2"),
        ("total_containers", "2"),
        ("cpu_millicores", "255"),
        ("cpu_limit_millicores", "600"),
        ("memory_bytes", &(110u64 * 1024 * 1024).to_string()),
        ("memory_limit_bytes", &(192u64 * 1024 * 1024).to_string()),
        ("net_rx_bytes_per_s", ""),
        ("event_reason", ""),
    ];
    for (column, value) in want {
        assert_eq!(cart[column], value, "{column} in {cart:?}");
    }
    let web = rows_of(&rows, "web-1")[0].clone();
    assert_eq!(
        (
            web["node"].as_str(),
            web["phase"].as_str(),
            web["ready_containers"].as_str()
        ),
        ("", "Pending", "0")
    );
    assert_eq!(
        web["cpu_millicores"], "",
        "no PodMetrics for it: empty, not 0"
    );
    assert_eq!(web["memory_limit_bytes"], "1073741824");
    assert!(
        rows.iter().all(|r| r["event_reason"].is_empty()),
        "events from before the start are history"
    );

    // The app container is OOMKilled and restarts; the kubelet reports a back-off.
    server.modify_pod("shop", "cart-1", |p| {
        let c = &mut p["status"]["containerStatuses"][0];
        c["restartCount"] = json!(1);
        c["ready"] = json!(false);
        c["lastState"] = json!({"terminated": {
            "exitCode": 137, "reason": "OOMKilled",
            "startedAt": "2030-01-01T00:00:00Z", "finishedAt": chrono::Utc::now().to_rfc3339()
        }});
    });
    let message = "Back-off restarting failed container app in pod cart-1_shop(uid), \"quoted\"";
    server.put_event(pod_event(
        "shop",
        "cart-1",
        "cart-1.backoff",
        "Warning",
        "BackOff",
        message,
    ));
    setup.wait_rows(&mut daemon, LIMIT, "the restart and the event", |rows| {
        let cart = rows_of(rows, "cart-1");
        (cart.iter().any(|r| r["restarts"] == "1")
            && cart.iter().any(|r| r["event_reason"] == "BackOff"))
        .then_some(())
    });
    setup.wait_collections(&mut daemon, 3);
    let rows = setup.rows();
    let cart = rows_of(&rows, "cart-1");
    let first_restarted = cart.iter().position(|r| r["restarts"] == "1").unwrap();
    let oom: Vec<usize> = (0..cart.len())
        .filter(|&i| cart[i]["reason"] == "OOMKilled")
        .collect();
    assert_eq!(
        oom,
        vec![first_restarted],
        "OOMKilled in the row of the restart only"
    );
    assert_eq!(cart[first_restarted]["ready_containers"], "1");
    let events: Vec<&&Row> = cart
        .iter()
        .filter(|r| !r["event_reason"].is_empty())
        .collect();
    assert_eq!(events.len(), 1, "an event is reported once: {events:?}");
    assert_eq!(events[0]["event_type"], "Warning");
    assert_eq!(events[0]["event_message"], message);

    // A new pod, and a deleted one.
    server.put_pod(pod(
        "shop",
        "cart-2",
        Some("node-b"),
        &[("app", "500m", "128Mi")],
    ));
    server.delete_pod("shop", "web-1");
    setup.wait_rows(&mut daemon, LIMIT, "cart-2 in, web-1 out", |rows| {
        let pods = pods_in(&latest(rows));
        (pods.contains("cart-2") && !pods.contains("web-1")).then_some(())
    });
    setup.wait_collections(&mut daemon, 3);
    let rows = setup.rows();
    // Once a collection lacks web-1, none after it has it.
    let mut collections: Vec<Vec<&Row>> = Vec::new();
    for r in &rows {
        match collections.last_mut() {
            Some(c) if c[0]["timestamp"] == r["timestamp"] => c.push(r),
            _ => collections.push(vec![r]),
        }
    }
    let has_web = |c: &Vec<&Row>| c.iter().any(|r| r["pod"] == "web-1");
    let gone = collections.iter().position(|c| !has_web(c)).unwrap();
    assert!(
        !collections[gone..].iter().any(has_web),
        "web-1 rows after it was deleted"
    );
    let cart2 = (*rows_of(&rows, "cart-2").last().unwrap()).clone();
    assert_eq!(cart2["node"], "node-b");
    assert_eq!(
        cart2["cpu_millicores"], "",
        "no PodMetrics for the new pod yet"
    );
    let log = daemon.log_text();
    assert_eq!(count(&log, "Kubernetes API server"), 0, "{log}");
    assert_eq!(
        count(&log, "metrics API (metrics.k8s.io)"),
        0,
        "metrics are served: {log}"
    );
    daemon.terminate(LIMIT);
}

#[test]
fn a_410_gone_forces_a_relist_in_one_namespace() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    server.put_pod(pod(
        "shop",
        "cart-9",
        Some("node-c"),
        &[("app", "1", "1Gi")],
    ));
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("shop");
    setup.wait_rows(&mut daemon, LIMIT, "rows of the shop pods", |rows| {
        (pods_in(&latest(rows))
            == BTreeSet::from(["cart-1".into(), "cart-9".into(), "web-1".into()]))
        .then_some(())
    });
    assert!(
        setup.rows().iter().all(|r| r["namespace"] == "shop"),
        "--namespace shop"
    );
    assert!(
        !daemon.log_text().contains("has no pods"),
        "a namespace with pods is not said empty"
    );
    let lists = server.lists_of("/api/v1/namespaces/shop/pods");
    assert_eq!(lists, 1, "{:?}", server.requests());
    assert_eq!(
        server.lists_of("/api/v1/pods"),
        0,
        "namespaced requests only"
    );

    // Changes the watch history no longer holds; then the watch expires.
    server.expire_watches_after(|s| {
        s.delete_pod("shop", "cart-9");
        s.modify_pod("shop", "cart-1", |p| p["status"]["phase"] = json!("Failed"));
    });
    setup.wait_rows(&mut daemon, LIMIT, "the re-listed state", |rows| {
        let now = latest(rows);
        let cart = now.iter().find(|r| r["pod"] == "cart-1")?;
        (!pods_in(&now).contains("cart-9") && cart["phase"] == "Failed").then_some(())
    });
    assert!(
        server.lists_of("/api/v1/namespaces/shop/pods") > lists,
        "re-listed after 410"
    );
    // 410 is routine: no outage logged, no empty rows.
    let log = daemon.log_text();
    assert_eq!(count(&log, "Kubernetes API server"), 0, "{log}");
    assert!(setup.rows().iter().all(|r| !r["phase"].is_empty()));
    daemon.terminate(LIMIT);
}

#[test]
fn forbidden_and_unauthorized_answers_are_logged_once_naming_the_rbac() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    server.set_failure(Some(403));
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("all");
    let forbidden = "Kubernetes API server forbids access (403 Forbidden)";
    wait_until(LIMIT, "the 403 logged", || {
        daemon.assert_alive();
        daemon.log_text().contains(forbidden).then_some(())
    });
    let log = daemon.log_text();
    assert!(log.contains("get/list/watch on pods and events"), "{log}");
    assert!(log.contains("pods.metrics.k8s.io"), "{log}");
    assert!(
        log.contains("cannot list resource"),
        "the server's message: {log}"
    );
    assert!(setup.rows().is_empty(), "nothing listed, nothing written");

    server.set_failure(Some(401));
    let unauthorized = "Kubernetes API server rejects our credentials (401 Unauthorized)";
    wait_until(LIMIT, "the 401 logged", || {
        daemon.assert_alive();
        daemon.log_text().contains(unauthorized).then_some(())
    });
    // Still failing: several more collections, no more lines about it.
    std::thread::sleep(Duration::from_secs(2));
    server.set_failure(None);
    setup.wait_rows(&mut daemon, LIMIT, "rows once allowed", |rows| {
        (!rows.is_empty()).then_some(())
    });

    // RBAC revoked while running: known pods, empty fields.
    server.set_failure(Some(403));
    server.drop_watches();
    let before = setup.rows().len();
    setup.wait_rows(&mut daemon, LIMIT, "empty rows while forbidden", |rows| {
        let after = &rows[before..];
        (after
            .iter()
            .filter(|r| r["pod"] == "cart-1" && r["phase"].is_empty())
            .count()
            >= 3)
            .then_some(())
    });
    let rows = setup.rows();
    let empty = rows[before..]
        .iter()
        .find(|r| r["pod"] == "cart-1" && r["phase"].is_empty())
        .unwrap();
    assert_eq!(empty["node"], "node-a", "identity kept");
    assert_eq!(
        (empty["restarts"].as_str(), empty["cpu_millicores"].as_str()),
        ("", "")
    );
    // Dropping the watches can close a request in flight before the first 403 is served, so
    // the outage may begin as "unreachable": the 403 stays until it is said.
    wait_until(LIMIT, "the second 403 logged", || {
        daemon.assert_alive();
        (count(&daemon.log_text(), forbidden) >= 2).then_some(())
    });
    server.set_failure(None);
    wait_until(LIMIT, "recovery", || {
        daemon.assert_alive();
        (count(&daemon.log_text(), "Kubernetes API server answering again") == 2).then_some(())
    });
    let log = daemon.log_text();
    assert_eq!(count(&log, forbidden), 2, "once per state change: {log}");
    assert_eq!(count(&log, unauthorized), 1, "{log}");
    daemon.terminate(LIMIT);
}

/// Rows of `pod` after `from` whose state fields are empty.
fn empty_rows(rows: &[Row], from: usize, pod: &str) -> usize {
    rows[from.min(rows.len())..]
        .iter()
        .filter(|r| r["pod"] == pod && r["phase"].is_empty() && r["restarts"].is_empty())
        .count()
}

#[test]
fn internal_errors_empty_the_fields_until_the_api_server_recovers() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("all");
    setup.wait_rows(&mut daemon, LIMIT, "rows", |rows| {
        (!rows.is_empty()).then_some(())
    });
    server.set_failure(Some(500));
    server.drop_watches();
    let before = setup.rows().len();
    setup.wait_rows(&mut daemon, LIMIT, "empty rows", |rows| {
        (empty_rows(rows, before, "cart-1") >= 5).then_some(())
    });
    // The dropped watches first see their connection closed ("unreachable") and retry after
    // a backoff; the outage lasts until the retry has met the 500 too.
    wait_until(LIMIT, "the 500 logged", || {
        daemon.assert_alive();
        daemon
            .log_text()
            .contains("Kubernetes API server failing")
            .then_some(())
    });
    server.set_failure(None);
    let resumed = setup.rows().len();
    setup.wait_rows(&mut daemon, LIMIT, "full rows again", |rows| {
        rows[resumed..]
            .iter()
            .any(|r| {
                r["pod"] == "cart-1" && r["phase"] == "Running" && r["cpu_millicores"] == "255"
            })
            .then_some(())
    });
    let log = daemon.log_text();
    // Dropping the watches can close a request in flight before the first 500 is served, so
    // the outage may begin as "unreachable": each state is logged once, and its end once.
    assert_eq!(count(&log, "Kubernetes API server failing"), 1, "{log}");
    // kube's own per-attempt lines are off (the filter here is "info,…"): the outage is said
    // by the daemon, once.
    assert_eq!(count(&log, " kube_client"), 0, "{log}");
    assert_eq!(count(&log, " kube_runtime"), 0, "{log}");
    assert!(
        count(&log, "Kubernetes API server unreachable") <= 1,
        "{log}"
    );
    assert_eq!(
        count(&log, "Kubernetes API server answering again"),
        1,
        "{log}"
    );
    assert!(
        log.contains("etcdserver: request timed out"),
        "the server's message: {log}"
    );
    daemon.terminate(LIMIT);
}

#[test]
fn the_api_server_going_away_and_coming_back() {
    let mut server = FakeApiServer::start();
    shop_cluster(&server);
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("all");
    setup.wait_rows(&mut daemon, LIMIT, "rows", |rows| {
        (!rows.is_empty()).then_some(())
    });

    server.stop();
    let before = setup.rows().len();
    setup.wait_rows(
        &mut daemon,
        LIMIT,
        "empty rows through the outage",
        |rows| (empty_rows(rows, before, "cart-1") >= 8).then_some(()),
    );
    let rows = setup.rows();
    let empty = rows[before..]
        .iter()
        .find(|r| r["pod"] == "cart-1" && r["phase"].is_empty())
        .unwrap();
    assert_eq!(
        (
            empty["namespace"].as_str(),
            empty["node"].as_str(),
            empty["memory_bytes"].as_str()
        ),
        ("shop", "node-a", "")
    );
    // Back with nothing changed: no watch event announces the recovery, yet it must show.
    server.restart();
    let resumed = setup.rows().len();
    setup.wait_rows(
        &mut daemon,
        Duration::from_secs(60),
        "collection to resume",
        |rows| {
            rows[resumed..]
                .iter()
                .any(|r| {
                    r["pod"] == "cart-1" && r["phase"] == "Running" && r["cpu_millicores"] == "255"
                })
                .then_some(())
        },
    );
    server.put_pod(pod(
        "shop",
        "cart-3",
        Some("node-c"),
        &[("app", "1", "1Gi")],
    ));
    setup.wait_rows(&mut daemon, LIMIT, "the new pod", |rows| {
        pods_in(&latest(rows)).contains("cart-3").then_some(())
    });
    let log = daemon.log_text();
    assert_eq!(count(&log, "Kubernetes API server unreachable"), 1, "{log}");
    assert_eq!(
        count(&log, "Kubernetes API server answering again"),
        1,
        "{log}"
    );
    daemon.terminate(LIMIT);
}

#[test]
fn an_api_server_that_stops_answering_is_noticed_and_rewatched() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("all");
    setup.wait_rows(&mut daemon, LIMIT, "rows", |rows| {
        (!rows.is_empty()).then_some(())
    });
    // Connections stay open, nothing comes back; the watch looks merely quiet.
    server.set_hang(true);
    let before = setup.rows().len();
    setup.wait_rows(
        &mut daemon,
        LIMIT,
        "empty rows once the poll times out",
        |rows| (empty_rows(rows, before, "cart-1") >= 3).then_some(()),
    );
    // A change made while hung reaches us only if the watch is set up again afterwards.
    let lists = server.lists_of("/api/v1/pods");
    server.set_hang(false);
    server.modify_pod("shop", "web-1", |p| p["status"]["phase"] = json!("Failed"));
    setup.wait_rows(&mut daemon, LIMIT, "fresh state", |rows| {
        let now = latest(rows);
        let web = now.iter().find(|r| r["pod"] == "web-1")?;
        (web["phase"] == "Failed").then_some(())
    });
    assert!(
        server.lists_of("/api/v1/pods") > lists,
        "re-listed after the silence"
    );
    let log = daemon.log_text();
    assert_eq!(count(&log, "Kubernetes API server unreachable"), 1, "{log}");
    assert!(log.contains("no answer within 5s"), "{log}");
    assert_eq!(
        count(&log, "Kubernetes API server answering again"),
        1,
        "{log}"
    );
    daemon.terminate(LIMIT);
}

#[test]
fn a_slow_api_server_never_holds_up_a_collection() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    server.set_delay(Duration::from_millis(1500));
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("all");
    setup.wait_rows(&mut daemon, LIMIT, "rows", |rows| {
        (!rows.is_empty()).then_some(())
    });
    server.modify_pod("shop", "web-1", |p| p["status"]["phase"] = json!("Failed"));
    setup.wait_rows(&mut daemon, LIMIT, "the change", |rows| {
        latest(rows)
            .iter()
            .any(|r| r["pod"] == "web-1" && r["phase"] == "Failed")
            .then_some(())
    });
    // Every 0.2 s a collection, although each request takes 1.5 s.
    let start = setup.rows().len();
    setup.wait_collections(&mut daemon, 10);
    // A collection waiting on the server would make the Collector skip intervals, and say so.
    let log = daemon.log_text();
    assert!(
        !log.contains("the previous collection is still running"),
        "{log}"
    );
    let rows = setup.rows();
    assert!(
        rows[start..]
            .iter()
            .filter(|r| r["pod"] == "cart-1")
            .all(|r| r["phase"] == "Running" && r["cpu_millicores"] == "255"),
        "slow is not down"
    );
    let log = daemon.log_text();
    assert_eq!(count(&log, "skipping intervals"), 0, "{log}");
    assert_eq!(count(&log, "Kubernetes API server"), 0, "{log}");
    daemon.terminate(LIMIT);
}

#[test]
fn without_metrics_server_usage_is_empty_and_the_hint_logged_once() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    server.set_pod_metrics(None);
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("all");
    setup.wait_rows(&mut daemon, LIMIT, "rows", |rows| {
        (!rows.is_empty()).then_some(())
    });
    setup.wait_collections(&mut daemon, 5);
    let rows = setup.rows();
    assert!(rows
        .iter()
        .all(|r| r["cpu_millicores"].is_empty() && r["memory_bytes"].is_empty()));
    assert!(
        rows.iter().any(|r| r["phase"] == "Running"),
        "state is unaffected"
    );
    let log = daemon.log_text();
    assert_eq!(
        count(
            &log,
            "metrics API (metrics.k8s.io) not served (404 Not Found)"
        ),
        1,
        "{log}"
    );
    assert!(log.contains("is metrics-server installed?"), "{log}");
    daemon.terminate(LIMIT);
}

#[test]
fn a_missing_kubeconfig_stops_start_up_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("agents.toml"),
        "[kubernetes]\nkubeconfig = \"missing-kubeconfig\"\n",
    )
    .unwrap();
    for command in ["run", "collect"] {
        let out = crate::harness::run_cli(tmp.path(), &[command, "--source", "kubernetes"]);
        let err = out.assert_failure();
        assert!(
            err.contains("setting up the Kubernetes source")
                && err.contains("reading the kubeconfig missing-kubeconfig"),
            "{err}"
        );
        assert!(
            !tmp.path().join("data").exists(),
            "{command} started anyway"
        );
    }
}

/// While every list fails, retries back off (0.8 s doubling, with jitter: attempts at 0, then
/// at ≥0.8, ≥2.4, ≥5.6, ≥12 s), rather than hammering a struggling API server every 0.8 s.
#[test]
fn failing_lists_back_off() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    server.set_failure(Some(500));
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("all");
    wait_until(LIMIT, "the first list attempt", || {
        (server.lists_of("/api/v1/pods") >= 1).then_some(())
    });
    // A measurement window, not a wait for an outcome.
    std::thread::sleep(Duration::from_secs(10));
    daemon.assert_alive();
    let (pods, events) = (
        server.lists_of("/api/v1/pods"),
        server.lists_of("/api/v1/events"),
    );
    assert!(pods <= 5, "{pods} pod lists in 10 s");
    assert!(events <= 5, "{events} event lists in 10 s");
    assert!(pods >= 2, "it does retry: {pods}");
    let log = daemon.log_text();
    assert_eq!(count(&log, "Kubernetes API server failing"), 1, "{log}");
    daemon.terminate(LIMIT);
}

/// With usage from Prometheus the PodMetrics API is never asked; the API server is polled with
/// `/version` instead, and state comes through even while Prometheus is away.
#[test]
fn with_prometheus_for_usage_the_metrics_api_is_not_used() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    let setup = Setup::new(&server);
    let mut cmd = command(&setup.dir);
    cmd.args([
        "collect",
        "--source",
        "kubernetes+prometheus",
        "--namespace",
        "all",
    ])
    .args([
        "--prometheus-url",
        "http://127.0.0.1:9",
        "--generator-interval",
        "0.2",
    ])
    .arg("--output")
    .arg(&setup.csv);
    let mut daemon = Daemon::spawn(cmd, &setup.dir.join("collect.log"));
    setup.wait_rows(&mut daemon, LIMIT, "state rows", |rows| {
        rows.iter()
            .any(|r| r["pod"] == "cart-1" && r["phase"] == "Running")
            .then_some(())
    });
    wait_until(LIMIT, "a /version poll", || {
        server
            .requests()
            .iter()
            .any(|r| r == "GET /version")
            .then_some(())
    });
    let rows = setup.rows();
    assert!(
        rows.iter().all(|r| r["cpu_millicores"].is_empty()),
        "Prometheus is away"
    );
    let cart = rows.iter().find(|r| r["pod"] == "cart-1").unwrap();
    assert_eq!(
        cart["cpu_limit_millicores"], "600",
        "limits from the pod spec"
    );
    assert!(
        !server
            .requests()
            .iter()
            .any(|r| r.contains("metrics.k8s.io")),
        "{:?}",
        server.requests()
    );
    daemon.terminate(LIMIT);
}

#[test]
fn a_namespace_without_pods_is_said_once_naming_those_with_pods() {
    let server = FakeApiServer::start();
    shop_cluster(&server);
    let setup = Setup::new(&server);
    let mut daemon = setup.collect("shpo");
    let warning = wait_until(LIMIT, "the empty-namespace warning", || {
        daemon.assert_alive();
        daemon
            .log_text()
            .lines()
            .find(|l| l.contains("the namespace has no pods"))
            .map(str::to_string)
    });
    assert!(
        warning.contains("WARN")
            && warning.contains("namespace=\"shpo\"")
            && warning.contains("namespaces with pods: shop (2), kube-system (1)"),
        "{warning}"
    );
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        daemon
            .log_text()
            .matches("the namespace has no pods")
            .count(),
        1,
        "said once"
    );
    daemon.terminate(LIMIT);
}
