//! `simulate` is a Prometheus target: it binds, serves cAdvisor and kube-state-metrics samples
//! whose counters grow between scrapes, serves its fault windows, and stops on SIGTERM.

use crate::harness::{command, wait_until, Daemon};
use std::time::Duration;

/// One GET over a fresh connection: (status, body), bounded in time.
fn get(addr: &str, path: &str) -> (u16, String) {
    crate::harness::http_get(addr, path).expect("an HTTP answer")
}

/// Sum of the samples of `name` (all label sets).
fn total(body: &str, name: &str) -> f64 {
    body.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

#[test]
fn simulate_serves_metrics_and_faults_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(dir.path());
    cmd.args([
        "simulate",
        "--listen",
        "127.0.0.1:0",
        "--pods",
        "6",
        "--step",
        "200ms",
        "--first-fault-after",
        "1s",
    ]);
    let mut daemon = Daemon::spawn(cmd, &dir.path().join("simulate.log"));
    let addr = wait_until(Duration::from_secs(20), "the bound address", || {
        let log = daemon.log_text();
        let rest = log.split("listening on ").nth(1)?;
        Some(rest.lines().next()?.trim().to_string())
    });

    let (status, first) = get(&addr, "/metrics");
    assert_eq!(status, 200);
    for family in [
        "container_cpu_usage_seconds_total",
        "container_memory_working_set_bytes",
        "container_network_receive_bytes_total",
        "container_network_transmit_bytes_total",
        "kube_pod_container_resource_limits",
        "kube_pod_container_status_restarts_total",
        "kube_pod_container_status_ready",
        "kube_pod_status_phase",
        "kube_pod_info",
    ] {
        assert!(first.contains(&format!("# TYPE {family} ")), "{family}");
        assert!(
            first.contains(&format!("\n{family}{{namespace=\"")),
            "no {family} sample"
        );
    }
    assert!(first.contains(",interface=\"eth0\"} "));
    assert!(first.contains(",phase=\"Running\"} 1\n"));
    assert!(first.contains(",resource=\"memory\",unit=\"byte\"} "));

    std::thread::sleep(Duration::from_millis(1500));
    let (_, second) = get(&addr, "/metrics");
    for counter in [
        "container_cpu_usage_seconds_total",
        "container_network_receive_bytes_total",
    ] {
        let (a, b) = (total(&first, counter), total(&second, counter));
        assert!(b > a, "{counter} did not grow: {a} -> {b}");
    }

    let (status, faults) = get(&addr, "/faults");
    assert_eq!(status, 200);
    let faults: Vec<k8s_monitor::fault_label::FaultWindow> =
        serde_json::from_str(&faults).expect("fault windows as JSON");
    assert!(!faults.is_empty(), "the first fault starts 1 s in");
    assert!(second.contains(&format!("pod=\"{}\"", faults[0].pod)));

    assert_eq!(get(&addr, "/-/healthy").0, 200);
    assert_eq!(get(&addr, "/nope").0, 404);

    let status = daemon.terminate(Duration::from_secs(10));
    assert!(status.success(), "{status:?}\n{}", daemon.log_text());
}
