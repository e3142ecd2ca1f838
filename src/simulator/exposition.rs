//! Simulated rows as a Prometheus scrape: the text exposition format 0.0.4 with the metric names
//! and labels of cAdvisor and kube-state-metrics on a standard cluster.
//!
//! Pure: [`CounterState`] integrates the rows' per-second rates into cumulative counters, and
//! [`render`] writes the latest rows plus those counters as text. A field the row does not
//! measure gives no sample. Rows are per pod, so each pod is shown as one container named after
//! its Deployment (the pod name without its ReplicaSet hash and suffix; a CronJob's pod: the
//! CronJob's name), carrying the pod's totals; it is ready when all of the pod's containers are.
//! A row's termination reason is the container's current state when the pod has finished
//! (phase Succeeded or Failed: `Completed`), else the reason it last terminated before a restart.

use crate::metrics_row::{PodMetricsRow, PodPhase};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Content type of the text exposition format served to Prometheus.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Container termination reasons (kube-state-metrics' `terminated_reason` for a finished pod,
/// `last_terminated_reason` after a restart); any other row reason is a waiting reason.
const TERMINATED_REASONS: [&str; 5] = [
    "OOMKilled",
    "Error",
    "Completed",
    "ContainerCannotRun",
    "DeadlineExceeded",
];

const PHASES: [PodPhase; 5] = [
    PodPhase::Pending,
    PodPhase::Running,
    PodPhase::Succeeded,
    PodPhase::Failed,
    PodPhase::Unknown,
];

/// The counters a row's rates feed, in the order of [`Counters::rates`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Counter {
    CpuSeconds,
    NetRxBytes,
    NetTxBytes,
    NetRxErrors,
    NetTxErrors,
    FsReadBytes,
    FsWriteBytes,
}

const COUNTERS: [Counter; 7] = [
    Counter::CpuSeconds,
    Counter::NetRxBytes,
    Counter::NetTxBytes,
    Counter::NetRxErrors,
    Counter::NetTxErrors,
    Counter::FsReadBytes,
    Counter::FsWriteBytes,
];

impl Counter {
    /// Per-second increase measured by `row`, in the counter's unit (CPU: cores, i.e. s/s).
    fn rate(self, row: &PodMetricsRow) -> Option<f64> {
        match self {
            Counter::CpuSeconds => row.cpu_millicores.map(|m| m / 1000.0),
            Counter::NetRxBytes => row.net_rx_bytes_per_s,
            Counter::NetTxBytes => row.net_tx_bytes_per_s,
            Counter::NetRxErrors => row.net_rx_errors_per_s,
            Counter::NetTxErrors => row.net_tx_errors_per_s,
            Counter::FsReadBytes => row.fs_read_bytes_per_s,
            Counter::FsWriteBytes => row.fs_write_bytes_per_s,
        }
    }
}

/// Cumulative counters of one pod's (single, shown) container.
#[derive(Debug, Clone, Default)]
struct PodCounters {
    last_seen: Option<DateTime<Utc>>,
    restarts: Option<u32>,
    /// Value at the pod's latest row. `None`: the series does not exist (field never
    /// measured, or unmeasured in the last row).
    totals: [Option<f64>; COUNTERS.len()],
    /// The latest row's rates: each counter grows at its rate until the next row, so a
    /// scrape between two rows sees a continuous counter, as cAdvisor's are, and `irate`
    /// over two scrapes between the same two rows gives exactly the latest row's rate.
    rates: [Option<f64>; COUNTERS.len()],
    /// The last termination reason seen: kube-state-metrics keeps it after the restart.
    last_terminated_reason: Option<String>,
}

/// Cumulative counters of every live pod, advanced row by row.
#[derive(Debug, Clone, Default)]
pub struct CounterState {
    pods: HashMap<(String, String), PodCounters>,
}

impl CounterState {
    pub fn new() -> CounterState {
        CounterState::default()
    }

    /// Integrates one tick's rows: each counter grows by the previous row's rate times the
    /// time since that row (the rate it was rendered with in between). A pod absent from `rows` is forgotten (a replacement pod has a
    /// new name, hence new series), and a restart resets the pod's cAdvisor counters to zero,
    /// as a new container does.
    pub fn observe(&mut self, rows: &[PodMetricsRow]) {
        let mut next = HashMap::with_capacity(rows.len());
        for row in rows {
            let key = (row.namespace.clone(), row.pod.clone());
            let mut pod = self.pods.remove(&key).unwrap_or_default();
            let restarted = matches!((pod.restarts, row.restarts), (Some(a), Some(b)) if b > a);
            let dt = pod
                .last_seen
                .map_or(0.0, |t| (row.timestamp - t).as_seconds_f64().max(0.0));
            for (i, counter) in COUNTERS.into_iter().enumerate() {
                pod.totals[i] = match (counter.rate(row), pod.totals[i]) {
                    // Unmeasured breaks the series rather than guessing the gap.
                    (None, _) => None,
                    (Some(_), None) => Some(0.0),
                    (Some(_), Some(_)) if restarted => Some(0.0),
                    (Some(_), Some(sum)) => Some(sum + pod.rates[i].unwrap_or(0.0).max(0.0) * dt),
                };
                pod.rates[i] = counter.rate(row);
            }
            if let Some(reason) = &row.reason {
                if TERMINATED_REASONS.contains(&reason.as_str()) && !finished(row) {
                    pod.last_terminated_reason = Some(reason.clone());
                }
            }
            pod.restarts = row.restarts.or(pod.restarts);
            pod.last_seen = Some(row.timestamp);
            next.insert(key, pod);
        }
        self.pods = next;
    }

    fn get(&self, row: &PodMetricsRow) -> Option<&PodCounters> {
        self.pods.get(&(row.namespace.clone(), row.pod.clone()))
    }
}

/// A pod whose containers have exited for good: its termination reason is current.
fn finished(row: &PodMetricsRow) -> bool {
    matches!(row.phase, Some(PodPhase::Succeeded | PodPhase::Failed))
}

/// The container shown for a pod: its Deployment's name (`cart-7d9f8b6c5d-x2x9k` → `cart`).
pub fn container_name(pod: &str) -> &str {
    let mut parts = pod.rsplitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(_), Some(name)) if !name.is_empty() => name,
        _ => pod,
    }
}

/// The scrape at `now` (at or after the rows' time): every family with HELP and TYPE, then one
/// sample per row that measures it. Counters are extrapolated to `now` at the latest rates.
pub fn render(rows: &[PodMetricsRow], counters: &CounterState, now: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(512 + rows.len() * 2048);
    let counter_family = |out: &mut String, name: &str, help: &str, counter: Counter| {
        header(out, name, help, "counter");
        for row in rows {
            let Some(pod) = counters.get(row) else {
                continue;
            };
            let Some(total) = pod.totals[counter as usize] else {
                continue;
            };
            let since_row = pod
                .last_seen
                .map_or(0.0, |t| (now - t).as_seconds_f64().max(0.0));
            let total = total + pod.rates[counter as usize].unwrap_or(0.0).max(0.0) * since_row;
            let labels = match counter {
                // cAdvisor reports network per pod (the pause container's namespace).
                Counter::NetRxBytes
                | Counter::NetTxBytes
                | Counter::NetRxErrors
                | Counter::NetTxErrors => labels(&[
                    ("namespace", &row.namespace),
                    ("pod", &row.pod),
                    ("interface", "eth0"),
                ]),
                _ => container_labels(row, &[]),
            };
            sample(out, name, &labels, total);
        }
    };

    // cAdvisor
    counter_family(
        &mut out,
        "container_cpu_usage_seconds_total",
        "Cumulative cpu time consumed in seconds.",
        Counter::CpuSeconds,
    );
    header(
        &mut out,
        "container_memory_working_set_bytes",
        "Current working set in bytes.",
        "gauge",
    );
    for row in rows {
        if let Some(v) = row.memory_bytes {
            sample(
                &mut out,
                "container_memory_working_set_bytes",
                &container_labels(row, &[]),
                v,
            );
        }
    }
    for (name, help, counter) in [
        (
            "container_network_receive_bytes_total",
            "Cumulative count of bytes received",
            Counter::NetRxBytes,
        ),
        (
            "container_network_transmit_bytes_total",
            "Cumulative count of bytes transmitted",
            Counter::NetTxBytes,
        ),
        (
            "container_network_receive_errors_total",
            "Cumulative count of errors encountered while receiving",
            Counter::NetRxErrors,
        ),
        (
            "container_network_transmit_errors_total",
            "Cumulative count of errors encountered while transmitting",
            Counter::NetTxErrors,
        ),
        (
            "container_fs_reads_bytes_total",
            "Cumulative count of bytes read",
            Counter::FsReadBytes,
        ),
        (
            "container_fs_writes_bytes_total",
            "Cumulative count of bytes written",
            Counter::FsWriteBytes,
        ),
    ] {
        counter_family(&mut out, name, help, counter);
    }

    // kube-state-metrics
    let limits = "kube_pod_container_resource_limits";
    header(
        &mut out,
        limits,
        "The number of requested limit resource by a container.",
        "gauge",
    );
    for row in rows {
        let node = [("node", row.node.as_str())];
        if let Some(m) = row.cpu_limit_millicores {
            let l = container_labels(row, &[node[0], ("resource", "cpu"), ("unit", "core")]);
            sample(&mut out, limits, &l, m / 1000.0);
        }
        if let Some(b) = row.memory_limit_bytes {
            let l = container_labels(row, &[node[0], ("resource", "memory"), ("unit", "byte")]);
            sample(&mut out, limits, &l, b);
        }
    }
    let restarts = "kube_pod_container_status_restarts_total";
    header(
        &mut out,
        restarts,
        "The number of container restarts per container.",
        "counter",
    );
    for row in rows {
        if let Some(n) = row.restarts {
            sample(
                &mut out,
                restarts,
                &container_labels(row, &[]),
                f64::from(n),
            );
        }
    }
    let ready = "kube_pod_container_status_ready";
    header(
        &mut out,
        ready,
        "Describes whether the containers readiness check succeeded.",
        "gauge",
    );
    for row in rows {
        if let (Some(r), Some(t)) = (row.ready_containers, row.total_containers) {
            let v = if r >= t { 1.0 } else { 0.0 };
            sample(&mut out, ready, &container_labels(row, &[]), v);
        }
    }
    let waiting = "kube_pod_container_status_waiting_reason";
    header(
        &mut out,
        waiting,
        "Describes the reason the container is currently in waiting state.",
        "gauge",
    );
    for row in rows {
        if let Some(reason) = &row.reason {
            if !TERMINATED_REASONS.contains(&reason.as_str()) {
                sample(
                    &mut out,
                    waiting,
                    &container_labels(row, &[("reason", reason)]),
                    1.0,
                );
            }
        }
    }
    let terminated_now = "kube_pod_container_status_terminated_reason";
    header(
        &mut out,
        terminated_now,
        "Describes the reason the container is currently in terminated state.",
        "gauge",
    );
    for row in rows.iter().filter(|row| finished(row)) {
        if let Some(reason) = &row.reason {
            if TERMINATED_REASONS.contains(&reason.as_str()) {
                sample(
                    &mut out,
                    terminated_now,
                    &container_labels(row, &[("reason", reason)]),
                    1.0,
                );
            }
        }
    }
    let terminated = "kube_pod_container_status_last_terminated_reason";
    header(
        &mut out,
        terminated,
        "Describes the last reason the container was in terminated state.",
        "gauge",
    );
    for row in rows {
        if let Some(reason) = counters
            .get(row)
            .and_then(|c| c.last_terminated_reason.as_deref())
        {
            sample(
                &mut out,
                terminated,
                &container_labels(row, &[("reason", reason)]),
                1.0,
            );
        }
    }
    let phase = "kube_pod_status_phase";
    header(&mut out, phase, "The pods current phase.", "gauge");
    for row in rows {
        if let Some(current) = row.phase {
            for p in PHASES {
                let l = labels(&[
                    ("namespace", &row.namespace),
                    ("pod", &row.pod),
                    ("phase", p.as_str()),
                ]);
                sample(&mut out, phase, &l, if p == current { 1.0 } else { 0.0 });
            }
        }
    }
    let info = "kube_pod_info";
    header(&mut out, info, "Information about pod.", "gauge");
    for row in rows {
        let l = labels(&[
            ("namespace", &row.namespace),
            ("pod", &row.pod),
            ("node", &row.node),
        ]);
        sample(&mut out, info, &l, 1.0);
    }
    out
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &str, value: f64) {
    let _ = writeln!(out, "{name}{labels} {value}");
}

/// `namespace`, `pod`, `container`, then `extra`, as a label set.
fn container_labels(row: &PodMetricsRow, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("namespace", row.namespace.as_str()),
        ("pod", row.pod.as_str()),
        ("container", container_name(&row.pod)),
    ];
    pairs.extend_from_slice(extra);
    labels(&pairs)
}

/// `{a="1",b="2"}` with values escaped as the format requires (`\`, `"`, line feed).
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut s = String::from("{");
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(name);
        s.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '"' => s.push_str("\\\""),
                '\n' => s.push_str("\\n"),
                c => s.push(c),
            }
        }
        s.push('"');
    }
    s.push('}');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn t0() -> DateTime<Utc> {
        "2026-01-05T00:00:00Z".parse().unwrap()
    }

    fn row(at: DateTime<Utc>, restarts: u32) -> PodMetricsRow {
        let mut r = PodMetricsRow::empty(at, "shop", "cart-7d9f8b6c5d-x2x9k");
        r.node = "node-1".into();
        r.phase = Some(PodPhase::Running);
        r.restarts = Some(restarts);
        r.ready_containers = Some(1);
        r.total_containers = Some(1);
        r.cpu_millicores = Some(250.0);
        r.cpu_limit_millicores = Some(500.0);
        r.memory_bytes = Some(1_000_000.0);
        r.memory_limit_bytes = Some(2_000_000.0);
        r.net_rx_bytes_per_s = Some(100.0);
        r.net_tx_bytes_per_s = Some(50.0);
        r.net_rx_errors_per_s = Some(0.5);
        r.net_tx_errors_per_s = Some(0.0);
        r.fs_read_bytes_per_s = Some(10.0);
        r.fs_write_bytes_per_s = Some(20.0);
        r
    }

    /// The value of the one sample whose line starts with `prefix` (name and labels).
    fn value(text: &str, prefix: &str) -> Option<f64> {
        let hits: Vec<f64> = text
            .lines()
            .filter(|l| l.starts_with(prefix))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        assert!(hits.len() <= 1, "{prefix} matched {hits:?}");
        hits.first().copied()
    }

    const CPU: &str = "container_cpu_usage_seconds_total{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",container=\"cart\"}";
    const RX: &str = "container_network_receive_bytes_total{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",interface=\"eth0\"}";

    fn scrape(state: &mut CounterState, rows: &[PodMetricsRow]) -> String {
        state.observe(rows);
        render(rows, state, rows[0].timestamp)
    }

    #[test]
    fn every_family_has_help_and_type_before_its_samples() {
        let text = scrape(&mut CounterState::new(), &[row(t0(), 0)]);
        let mut announced = std::collections::HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert!(kind == "counter" || kind == "gauge", "{line}");
                assert!(text.contains(&format!("# HELP {name} ")), "{name}");
                announced.insert(name.to_string());
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(announced.contains(name), "sample before TYPE: {line}");
            }
        }
        assert_eq!(announced.len(), 16);
        assert!(text.contains(
            "kube_pod_container_resource_limits{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",container=\"cart\",node=\"node-1\",resource=\"cpu\",unit=\"core\"} 0.5\n"
        ));
        assert!(text.contains("kube_pod_status_phase{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",phase=\"Running\"} 1\n"));
        assert!(text.contains("kube_pod_status_phase{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",phase=\"Pending\"} 0\n"));
        assert!(text.contains(
            "kube_pod_info{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",node=\"node-1\"} 1\n"
        ));
    }

    #[test]
    fn label_values_are_escaped() {
        let mut r = row(t0(), 0);
        r.namespace = "a\\b\"c\nd".into();
        let text = scrape(&mut CounterState::new(), &[r]);
        assert!(
            text.contains("kube_pod_info{namespace=\"a\\\\b\\\"c\\nd\","),
            "{text}"
        );
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("kube_pod_info"))
                .count(),
            1
        );
    }

    #[test]
    fn counters_grow_by_rate_times_elapsed_time() {
        let mut state = CounterState::new();
        let first = scrape(&mut state, &[row(t0(), 0)]);
        assert_eq!(value(&first, CPU), Some(0.0));
        let mut later = row(t0() + TimeDelta::seconds(10), 0);
        later.cpu_millicores = Some(400.0);
        // Between two rows the counter grows at the earlier row's rate (0.25 cores).
        let second = scrape(&mut state, &[later.clone()]);
        assert!((value(&second, CPU).unwrap() - 0.25 * 10.0).abs() < 1e-9);
        assert!((value(&second, RX).unwrap() - 100.0 * 10.0).abs() < 1e-9);
        // A scrape 2 s after the row extrapolates at the row's rate: irate gives 0.4 exactly.
        let between = render(
            &[later.clone()],
            &state,
            later.timestamp + TimeDelta::seconds(2),
        );
        assert!((value(&between, CPU).unwrap() - (2.5 + 0.4 * 2.0)).abs() < 1e-9);
        let third = scrape(&mut state, &[row(t0() + TimeDelta::seconds(15), 0)]);
        assert!((value(&third, CPU).unwrap() - (2.5 + 0.4 * 5.0)).abs() < 1e-9);
        assert!(
            value(&third, CPU) >= value(&between, CPU),
            "continuous and monotonic"
        );
    }

    #[test]
    fn a_missing_field_omits_the_sample_and_restarts_its_series() {
        let mut state = CounterState::new();
        scrape(&mut state, &[row(t0(), 0)]);
        let mut r = row(t0() + TimeDelta::seconds(5), 0);
        r.cpu_millicores = None;
        r.memory_bytes = None;
        r.cpu_limit_millicores = None;
        let text = scrape(&mut state, &[r]);
        assert_eq!(value(&text, CPU), None);
        assert!(!text.contains("container_memory_working_set_bytes{"));
        assert!(!text.contains("resource=\"cpu\""));
        assert!(text.contains("resource=\"memory\""));
        assert_eq!(value(&text, RX), Some(500.0));
        let back = scrape(&mut state, &[row(t0() + TimeDelta::seconds(10), 0)]);
        assert_eq!(value(&back, CPU), Some(0.0));
    }

    #[test]
    fn a_restart_resets_the_counters_and_keeps_the_termination_reason() {
        let mut state = CounterState::new();
        scrape(&mut state, &[row(t0(), 1)]);
        let before = scrape(&mut state, &[row(t0() + TimeDelta::seconds(5), 1)]);
        assert!(value(&before, CPU).unwrap() > 0.0);
        let mut killed = row(t0() + TimeDelta::seconds(10), 2);
        killed.reason = Some("OOMKilled".into());
        killed.ready_containers = Some(0);
        let after = scrape(&mut state, &[killed]);
        assert_eq!(value(&after, CPU), Some(0.0));
        let labels = "{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",container=\"cart\"}";
        assert_eq!(
            value(
                &after,
                &format!("kube_pod_container_status_restarts_total{labels}")
            ),
            Some(2.0)
        );
        assert_eq!(
            value(&after, &format!("kube_pod_container_status_ready{labels}")),
            Some(0.0)
        );
        let reason = "kube_pod_container_status_last_terminated_reason{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",container=\"cart\",reason=\"OOMKilled\"}";
        assert_eq!(value(&after, reason), Some(1.0));
        assert!(!after.contains("kube_pod_container_status_waiting_reason{"));
        let mut waiting = row(t0() + TimeDelta::seconds(15), 2);
        waiting.reason = Some("CrashLoopBackOff".into());
        let text = scrape(&mut state, &[waiting]);
        assert_eq!(value(&text, reason), Some(1.0));
        assert!(text.contains("kube_pod_container_status_waiting_reason{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",container=\"cart\",reason=\"CrashLoopBackOff\"} 1\n"));
    }

    #[test]
    fn a_replaced_pod_starts_new_series_and_the_old_ones_go() {
        let mut state = CounterState::new();
        scrape(&mut state, &[row(t0(), 0)]);
        scrape(&mut state, &[row(t0() + TimeDelta::seconds(5), 0)]);
        let mut new = row(t0() + TimeDelta::seconds(10), 0);
        new.pod = "cart-7d9f8b6c5d-zzzzz".into();
        let text = scrape(&mut state, &[new]);
        assert!(!text.contains("x2x9k"));
        assert_eq!(value(&text, &CPU.replace("x2x9k", "zzzzz")), Some(0.0));
    }

    #[test]
    fn a_completed_job_pod_is_succeeded_and_terminated_without_usage() {
        let mut state = CounterState::new();
        let mut running = row(t0(), 0);
        running.pod = "report-builder-29512340-x7k2p".into();
        scrape(&mut state, &[running.clone()]);
        let mut done = PodMetricsRow::empty(t0() + TimeDelta::seconds(5), "shop", &running.pod);
        done.node = "node-1".into();
        done.phase = Some(PodPhase::Succeeded);
        done.reason = Some("Completed".into());
        done.restarts = Some(0);
        done.ready_containers = Some(0);
        done.total_containers = Some(1);
        let text = scrape(&mut state, &[done]);
        let labels = "{namespace=\"shop\",pod=\"report-builder-29512340-x7k2p\",container=\"report-builder\"";
        assert!(text.contains("kube_pod_status_phase{namespace=\"shop\",pod=\"report-builder-29512340-x7k2p\",phase=\"Succeeded\"} 1\n"));
        assert!(text.contains(&format!(
            "kube_pod_container_status_terminated_reason{labels},reason=\"Completed\"}} 1\n"
        )));
        assert!(!text.contains("kube_pod_container_status_last_terminated_reason{"));
        assert!(!text.contains("kube_pod_container_status_waiting_reason{"));
        assert_eq!(
            value(&text, &format!("kube_pod_container_status_ready{labels}}}")),
            Some(0.0)
        );
        assert!(!text.contains("container_cpu_usage_seconds_total{"));
        assert!(!text.contains("container_memory_working_set_bytes{"));
    }

    #[test]
    fn a_liveness_restart_shows_error_as_the_last_termination() {
        let mut state = CounterState::new();
        scrape(&mut state, &[row(t0(), 1)]);
        let mut restarted = row(t0() + TimeDelta::seconds(5), 2);
        restarted.reason = Some("Error".into());
        restarted.ready_containers = Some(0);
        scrape(&mut state, &[restarted]);
        let text = scrape(&mut state, &[row(t0() + TimeDelta::seconds(10), 2)]);
        assert!(text.contains("kube_pod_container_status_last_terminated_reason{namespace=\"shop\",pod=\"cart-7d9f8b6c5d-x2x9k\",container=\"cart\",reason=\"Error\"} 1\n"));
        assert!(!text.contains("kube_pod_container_status_terminated_reason{"));
    }

    #[test]
    fn container_is_the_deployment_name() {
        assert_eq!(container_name("cart-7d9f8b6c5d-x2x9k"), "cart");
        assert_eq!(
            container_name("api-gateway-7d9f8b6c5d-x2x9k"),
            "api-gateway"
        );
        assert_eq!(container_name("db-0"), "db-0");
        assert_eq!(
            container_name("report-builder-29512340-x7k2p"),
            "report-builder"
        );
    }
}
