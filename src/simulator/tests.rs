//! Behaviour tests of the whole simulator: determinism, data-set files, and that every fault and
//! benign event looks in the rows the way the module documentation says.

use super::*;
use crate::fault_label::read_labels;
use crate::metrics_row::{PodMetricsRow, PodPhase, CSV_HEADER};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

fn start() -> DateTime<Utc> {
    "2026-03-02T08:00:00Z".parse().unwrap()
}

/// Rows and logs of a run at a fixed step.
struct Run {
    rows: Vec<PodMetricsRow>,
    faults: Vec<FaultWindow>,
    benign: Vec<BenignWindow>,
}

impl Run {
    fn new(settings: &SimulatorSettings, minutes: i64, step_secs: i64) -> Run {
        let mut cluster = SimulatedCluster::new(settings, start());
        let mut rows = Vec::new();
        let mut now = start();
        while now < start() + TimeDelta::minutes(minutes) {
            rows.extend(cluster.tick(now));
            now += TimeDelta::seconds(step_secs);
        }
        Run {
            rows,
            faults: cluster.fault_windows().to_vec(),
            benign: cluster.benign_windows().to_vec(),
        }
    }

    fn pod_rows(&self, pod: &str) -> Vec<&PodMetricsRow> {
        self.rows.iter().filter(|r| r.pod == pod).collect()
    }
}

fn two_hour_default_run() -> Run {
    Run::new(&SimulatorSettings::default(), 120, 5)
}

/// A run whose only fault is a `kind` on a pod with 15 minutes of history.
fn single_fault_run(kind: FaultKind, seed: u64) -> Run {
    let settings = SimulatorSettings {
        pods: 20,
        seed,
        first_fault_after: Duration::from_secs(15 * 60),
        first_fault_kind: kind,
        mean_time_between_faults: Duration::from_secs(100 * 365 * 86_400),
        // The shapes of the faults, on the calm cluster.
        benign_churn: false,
    };
    let run = Run::new(&settings, 50, 5);
    assert_eq!(run.faults.len(), 1, "{:?}", run.faults);
    assert_eq!(run.faults[0].kind, kind);
    run
}

fn median(mut values: Vec<f64>) -> f64 {
    assert!(!values.is_empty());
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The fault pod's rows: before, inside and after its window.
struct Phases<'a> {
    before: Vec<&'a PodMetricsRow>,
    during: Vec<&'a PodMetricsRow>,
    after: Vec<&'a PodMetricsRow>,
}

fn phases<'a>(run: &'a Run, window: &FaultWindow) -> Phases<'a> {
    let rows = run.pod_rows(&window.pod);
    Phases {
        before: rows
            .iter()
            .copied()
            .filter(|r| r.timestamp < window.start)
            .collect(),
        during: rows
            .iter()
            .copied()
            .filter(|r| r.timestamp >= window.start && r.timestamp <= window.end)
            .collect(),
        after: rows
            .iter()
            .copied()
            .filter(|r| r.timestamp > window.end)
            .collect(),
    }
}

fn values(rows: &[&PodMetricsRow], field: fn(&PodMetricsRow) -> Option<f64>) -> Vec<f64> {
    rows.iter().filter_map(|r| field(r)).collect()
}

fn cpu(r: &PodMetricsRow) -> Option<f64> {
    r.cpu_millicores
}
fn memory(r: &PodMetricsRow) -> Option<f64> {
    r.memory_bytes
}
fn net_rx(r: &PodMetricsRow) -> Option<f64> {
    r.net_rx_bytes_per_s
}
fn rx_errors(r: &PodMetricsRow) -> Option<f64> {
    r.net_rx_errors_per_s
}

fn all_ready(r: &PodMetricsRow) -> bool {
    r.ready_containers == r.total_containers
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_differs() {
    let generate = |seed: u64| {
        let dir = tempfile::tempdir().unwrap();
        let opts = GenerateOptions {
            settings: SimulatorSettings {
                pods: 30,
                seed,
                ..SimulatorSettings::default()
            },
            start: start(),
            duration: Duration::from_secs(60 * 60),
            step: Duration::from_secs(5),
        };
        let summary = generate_dataset(&opts, dir.path()).unwrap();
        let csv = std::fs::read(&summary.csv_path).unwrap();
        let labels = std::fs::read(&summary.labels_path).unwrap();
        let benign = std::fs::read(&summary.benign_path).unwrap();
        assert_eq!(
            read_benign(&summary.benign_path).unwrap().len(),
            summary.benign
        );
        (csv, labels, benign, dir)
    };
    let (csv_a, labels_a, benign_a, _a) = generate(42);
    let (csv_b, labels_b, benign_b, _b) = generate(42);
    let (csv_c, _, benign_c, _c) = generate(43);
    assert!(csv_a == csv_b, "same seed, same CSV bytes");
    assert_eq!(labels_a, labels_b);
    assert_eq!(benign_a, benign_b, "same seed, same benign events");
    assert!(csv_a != csv_c, "another seed, another cluster");
    assert!(benign_a != benign_c);
}

#[test]
fn two_hour_data_set_labels_every_kind_on_pods_present_in_the_csv() {
    let dir = tempfile::tempdir().unwrap();
    let opts = GenerateOptions {
        settings: SimulatorSettings::default(),
        start: start(),
        duration: Duration::from_secs(2 * 3600),
        step: Duration::from_secs(5),
    };
    let summary = generate_dataset(&opts, dir.path()).unwrap();
    let csv = std::fs::read_to_string(&summary.csv_path).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some(CSV_HEADER));
    // (pod, timestamp) of every row; the first three fields never need quoting.
    let mut seen: BTreeMap<String, Vec<DateTime<Utc>>> = BTreeMap::new();
    let mut last_timestamp = start();
    for line in lines {
        let mut fields = line.split(',');
        let timestamp: DateTime<Utc> = fields.next().unwrap().parse().unwrap();
        let pod = fields.nth(1).unwrap();
        seen.entry(pod.to_string()).or_default().push(timestamp);
        last_timestamp = last_timestamp.max(timestamp);
    }
    assert_eq!(summary.rows as usize, csv.lines().count() - 1);
    assert_eq!(summary.pods_seen, seen.len());
    assert!(
        summary.pods_seen > 50,
        "rolling restarts bring new pod names"
    );

    let labels = read_labels(&summary.labels_path).unwrap();
    assert_eq!(labels.len(), summary.faults);
    assert!((15..=30).contains(&labels.len()), "{} faults", labels.len());
    let kinds: BTreeSet<FaultKind> = labels.iter().map(|w| w.kind).collect();
    assert_eq!(kinds.len(), 7, "{kinds:?}");
    assert_eq!(labels[0].kind, FaultKind::CrashLoop);
    assert_eq!(labels[0].start, start() + TimeDelta::seconds(20));
    for window in &labels {
        assert!(window.start < window.end, "{window:?}");
        assert!(window.start >= start() && window.end <= last_timestamp);
        let minutes = (window.end - window.start).num_minutes();
        assert!(minutes <= 25, "{window:?}");
        let times = &seen[&window.pod];
        let inside = times
            .iter()
            .filter(|t| **t >= window.start && **t <= window.end)
            .count() as i64;
        let expected = (window.end - window.start).num_seconds() / 5;
        assert!(
            inside >= expected - 1,
            "{window:?}: {inside} rows of {expected}"
        );
    }
    for (i, a) in labels.iter().enumerate() {
        for b in &labels[i + 1..] {
            if a.pod == b.pod {
                assert!(a.end < b.start || b.end < a.start, "overlap {a:?} {b:?}");
            }
        }
    }
    // Targets other than the first have a 10-minute history.
    for window in &labels[1..] {
        let first_row = seen[&window.pod][0];
        assert!(
            window.start - first_row >= TimeDelta::minutes(10),
            "{window:?}"
        );
    }
}

#[test]
fn memory_leak_climbs_to_the_limit_then_is_oom_killed() {
    let run = single_fault_run(FaultKind::MemoryLeak, 42);
    let window = &run.faults[0];
    let p = phases(&run, window);
    let kill = p
        .during
        .iter()
        .position(|r| r.reason.as_deref() == Some("OOMKilled"))
        .expect("an OOMKilled row");
    let killed = p.during[kill];
    let limit = killed.memory_limit_bytes.expect("a memory limit");
    assert_eq!(
        killed.restarts.unwrap(),
        p.during[kill - 1].restarts.unwrap() + 1
    );
    assert_eq!(killed.event_reason.as_deref(), Some("OOMKilling"));
    assert_eq!(killed.event_type.as_deref(), Some("Warning"));
    assert!(killed.memory_bytes.unwrap() < 0.75 * limit, "memory resets");
    let peak = values(&p.during[..kill], memory)
        .into_iter()
        .fold(0.0, f64::max);
    assert!(peak >= 0.9 * limit && peak <= limit, "{peak} vs {limit}");
    let normal = median(values(&p.before, memory));
    assert!(peak > 1.2 * normal);
    // Steady growth: each third of the leak is above the previous one.
    let leak = values(&p.during[..kill], memory);
    let third = leak.len() / 3;
    let thirds: Vec<f64> = leak
        .chunks(third)
        .take(3)
        .map(|c| median(c.to_vec()))
        .collect();
    assert!(thirds[0] < thirds[1] && thirds[1] < thirds[2], "{thirds:?}");
    assert!(!all_ready(p.during[kill]) || !all_ready(p.during[kill + 1]));
    let ended = (window.end - killed.timestamp).num_seconds();
    assert!(
        (55..=65).contains(&ended),
        "window ends about 1 min after the kill: {ended}"
    );
}

#[test]
fn cpu_saturation_pins_cpu_at_the_limit_or_far_above_normal() {
    for seed in [1, 2, 3, 4] {
        let run = single_fault_run(FaultKind::CpuSaturation, seed);
        let p = phases(&run, &run.faults[0]);
        let during = median(values(&p.during, cpu));
        let normal = median(values(&p.before, cpu));
        match p.during[0].cpu_limit_millicores {
            Some(limit) => {
                assert!(
                    during >= 0.95 * limit && during <= limit,
                    "{during} vs {limit}"
                );
                assert!(during > 2.0 * normal);
            }
            None => assert!(during >= 3.5 * normal, "{during} vs {normal}"),
        }
        assert!(p.during.iter().all(|r| all_ready(r) && r.reason.is_none()));
    }
}

#[test]
fn crash_loop_backs_off_with_climbing_restarts_then_recovers() {
    let run = single_fault_run(FaultKind::CrashLoop, 42);
    let p = phases(&run, &run.faults[0]);
    let crashing: Vec<_> = p
        .during
        .iter()
        .filter(|r| matches!(r.reason.as_deref(), Some("CrashLoopBackOff" | "Error")))
        .collect();
    assert!(crashing.len() * 10 >= p.during.len() * 7, "most rows crash");
    assert!(crashing.iter().all(|r| !all_ready(r)));
    assert!(crashing
        .iter()
        .any(|r| r.reason.as_deref() == Some("Error")));
    let backoff_event = crashing
        .iter()
        .find(|r| r.event_reason.as_deref() == Some("BackOff"));
    let message = backoff_event.unwrap().event_message.as_deref().unwrap();
    assert!(message.starts_with("Back-off restarting failed container app in pod "));
    let normal_cpu = median(values(&p.before, cpu));
    let backoff_cpu = median(crashing.iter().filter_map(|r| r.cpu_millicores).collect());
    assert!(backoff_cpu < 0.1 * normal_cpu);
    assert!(
        median(
            crashing
                .iter()
                .filter_map(|r| r.net_rx_bytes_per_s)
                .collect()
        ) < 0.1 * median(values(&p.before, net_rx))
    );

    let restarts: Vec<u32> = p.during.iter().map(|r| r.restarts.unwrap()).collect();
    let before = p.before.last().unwrap().restarts.unwrap();
    assert!(restarts.last().unwrap() - before >= 4, "{restarts:?}");
    // Exponential back-off: gaps between restarts grow.
    let restart_times: Vec<DateTime<Utc>> = p
        .during
        .windows(2)
        .filter(|w| w[1].restarts > w[0].restarts)
        .map(|w| w[1].timestamp)
        .collect();
    let gaps: Vec<i64> = restart_times
        .windows(2)
        .map(|w| (w[1] - w[0]).num_seconds())
        .collect();
    assert!(gaps.len() >= 3 && gaps[2] > gaps[0] * 2, "{gaps:?}");
    let last = p.during.last().unwrap();
    assert!(
        last.reason.is_none() && all_ready(last),
        "recovered by the end: {last:?}"
    );
    assert!(p.after.iter().all(|r| r.reason.is_none() && all_ready(r)));
    assert!(p.during.iter().all(|r| r.phase == Some(PodPhase::Running)));
}

#[test]
fn network_errors_jump_from_near_zero() {
    let run = single_fault_run(FaultKind::NetworkErrors, 42);
    let p = phases(&run, &run.faults[0]);
    let before_max = values(&p.before, rx_errors).into_iter().fold(0.0, f64::max);
    assert!(before_max <= 0.05);
    assert!(median(values(&p.during, rx_errors)) >= 1.0);
    assert!(p
        .during
        .iter()
        .all(|r| r.net_tx_errors_per_s.unwrap() >= 1.0));
    assert!(p
        .after
        .iter()
        .all(|r| r.net_rx_errors_per_s.unwrap() <= 0.05));
}

#[test]
fn traffic_drop_collapses_network_and_cpu_while_the_pod_stays_ready() {
    let run = single_fault_run(FaultKind::TrafficDrop, 42);
    let p = phases(&run, &run.faults[0]);
    assert!(median(values(&p.during, net_rx)) < 0.25 * median(values(&p.before, net_rx)));
    assert!(median(values(&p.during, cpu)) < 0.3 * median(values(&p.before, cpu)));
    assert!(p
        .during
        .iter()
        .all(|r| r.phase == Some(PodPhase::Running) && all_ready(r) && r.reason.is_none()));
    let after = median(values(&p.after, net_rx));
    assert!(
        after > 0.6 * median(values(&p.before, net_rx)),
        "traffic comes back"
    );
}

#[test]
fn readiness_flapping_toggles_one_container_with_probe_events() {
    let run = single_fault_run(FaultKind::ReadinessFlapping, 42);
    let p = phases(&run, &run.faults[0]);
    assert!(p.before.iter().all(|r| all_ready(r)));
    let total = p.during[0].total_containers.unwrap();
    let ready: Vec<u32> = p
        .during
        .iter()
        .map(|r| r.ready_containers.unwrap())
        .collect();
    assert!(ready.iter().all(|&n| n == total || n + 1 == total));
    let flips = ready.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(flips >= 8, "{flips} flips");
    let probe_failures = p
        .during
        .iter()
        .filter(|r| {
            r.event_reason.as_deref() == Some("Unhealthy")
                && r.event_type.as_deref() == Some("Warning")
                && r.event_message.as_deref()
                    == Some("Readiness probe failed: HTTP probe failed with statuscode: 503")
        })
        .count();
    assert!(probe_failures >= 8);
    assert!(p.after.iter().all(|r| all_ready(r)));
}

#[test]
fn level_shift_restarts_on_a_new_image_and_steps_usage_up_then_reverts() {
    let run = single_fault_run(FaultKind::LevelShift, 42);
    let window = &run.faults[0];
    let p = phases(&run, window);
    let before_restarts = p.before.last().unwrap().restarts.unwrap();
    assert_eq!(p.during[0].restarts.unwrap(), before_restarts + 1);
    let pulled = p.during[0].event_message.as_deref().unwrap();
    assert!(
        pulled.starts_with("Successfully pulled image \"registry.local/"),
        "{pulled}"
    );
    assert_eq!(p.during[0].event_reason.as_deref(), Some("Pulled"));
    // Skip the warm-up minute; compare the settled middle of the window.
    let middle: Vec<&PodMetricsRow> = p
        .during
        .iter()
        .copied()
        .filter(|r| {
            r.timestamp > window.start + TimeDelta::seconds(90)
                && r.timestamp < window.end - TimeDelta::seconds(90)
        })
        .collect();
    assert!(median(values(&middle, cpu)) > 1.6 * median(values(&p.before, cpu)));
    assert!(median(values(&middle, memory)) > 1.5 * median(values(&p.before, memory)));
    let reverts = p
        .during
        .iter()
        .filter(|r| r.event_reason.as_deref() == Some("Pulled"))
        .count();
    assert_eq!(reverts, 2, "one pull to shift, one to revert");
    assert_eq!(
        p.during.last().unwrap().restarts.unwrap(),
        before_restarts + 2
    );
    let after_cpu = median(values(&p.after, cpu));
    let before_cpu = median(values(&p.before, cpu));
    assert!(after_cpu < 1.4 * before_cpu && after_cpu > 0.6 * before_cpu);
}

/// Whether `row` is a pod of the Deployment `workload` in `namespace` (`<name>-<hash>-<suffix>`).
fn is_replica_of(row: &PodMetricsRow, namespace: &str, workload: &str) -> bool {
    row.namespace == namespace
        && row
            .pod
            .strip_prefix(workload)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|rest| rest.matches('-').count() == 1)
}

/// The ReplicaSet hash of a Deployment pod's name.
fn replica_set_hash<'a>(pod: &'a str, workload: &str) -> &'a str {
    pod[workload.len() + 1..].split('-').next().unwrap()
}

/// Checks a finished rollout sampled every `step` seconds: every old pod replaced by a pod of
/// one new ReplicaSet, one at a time, never fewer Ready replicas than before. Returns how many
/// new pods it made and how many of them showed a Pending first row with `Scheduled`.
fn check_rollout(run: &Run, rollout: &BenignWindow, step: i64) -> (usize, usize) {
    let workload = rollout.workload.as_str();
    let new_hash = replica_set_hash(rollout.pods.last().unwrap(), workload);
    let (new, old): (Vec<&String>, Vec<&String>) = rollout
        .pods
        .iter()
        .partition(|p| replica_set_hash(p, workload) == new_hash);
    assert!(!old.is_empty() && old.len() == new.len(), "{rollout:?}");
    let step = TimeDelta::seconds(step);
    for pod in &old {
        let rows = run.pod_rows(pod);
        assert!(rows.iter().all(|r| r.timestamp < rollout.end + step));
        assert_eq!(
            rows.last().unwrap().event_reason.as_deref(),
            Some("Killing")
        );
        assert_eq!(
            rows.last().unwrap().event_message.as_deref(),
            Some("Stopping container app")
        );
    }
    let mut scheduled_first = 0;
    for pod in &new {
        let rows = run.pod_rows(pod);
        assert!(rows[0].timestamp >= rollout.start);
        if rows[0].phase == Some(PodPhase::Pending) {
            assert!(rows[0].cpu_millicores.is_none() && rows[0].memory_bytes.is_none());
            assert_eq!(rows[0].reason.as_deref(), Some("ContainerCreating"));
            if rows[0].event_reason.as_deref() == Some("Scheduled") {
                scheduled_first += 1;
            }
        }
        let first_ready = rows
            .iter()
            .position(|r| all_ready(r))
            .expect("becomes ready");
        assert!(first_ready >= 1, "{pod} is not ready at once");
        let starting = rows[..first_ready]
            .iter()
            .filter(|r| r.phase == Some(PodPhase::Running) && r.ready_containers == Some(0))
            .count() as i64;
        let most = 30 / step.num_seconds() + 1;
        assert!(
            (1..=most).contains(&starting),
            "{pod}: {starting} rows not ready"
        );
        assert!(rows[..=first_ready]
            .iter()
            .any(|r| r.event_reason.as_deref() == Some("Started")));
        assert!(rows[first_ready..]
            .iter()
            .filter(|r| r.timestamp <= rollout.end)
            .all(|r| all_ready(r)));
    }
    // Max unavailable 0: never fewer Ready replicas than before.
    let mut ready_at: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
    for row in run.rows.iter().filter(|r| {
        r.timestamp >= rollout.start
            && r.timestamp <= rollout.end
            && is_replica_of(r, &rollout.namespace, workload)
    }) {
        *ready_at.entry(row.timestamp).or_default() += usize::from(all_ready(row));
    }
    assert!(
        ready_at.values().all(|&n| n >= old.len()),
        "{rollout:?}: {ready_at:?}"
    );
    (new.len(), scheduled_first)
}

#[test]
fn rolling_restart_replaces_every_pod_with_a_new_replica_set() {
    let run = two_hour_default_run();
    let rollouts: Vec<&BenignWindow> = run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::RollingRestart)
        .filter(|r| r.end < start() + TimeDelta::minutes(115))
        .collect();
    let (mut new_pods, mut scheduled_first) = (0, 0);
    for rollout in &rollouts {
        let (made, scheduled) = check_rollout(&run, rollout, 5);
        new_pods += made;
        scheduled_first += scheduled;
        // The image is on the node already: nothing is pulled.
        for pod in rollout.pods.iter() {
            assert!(run
                .pod_rows(pod)
                .iter()
                .all(|r| r.event_reason.as_deref() != Some("Pulling")));
        }
    }
    assert!(!rollouts.is_empty(), "{rollouts:?}");
    // A tick usually falls in the 3-9 s a new pod is Pending.
    assert!(
        scheduled_first * 2 >= new_pods,
        "{scheduled_first} of {new_pods}"
    );
}

/// Median of `field` over the rows of a Deployment's pods in `[from, to)`, each pod counted
/// alike (the median of the pods' medians).
fn workload_median(
    run: &Run,
    namespace: &str,
    workload: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    field: fn(&PodMetricsRow) -> Option<f64>,
) -> f64 {
    let mut by_pod: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for row in run.rows.iter().filter(|r| {
        r.timestamp >= from && r.timestamp < to && is_replica_of(r, namespace, workload)
    }) {
        if let Some(v) = field(row).filter(|_| all_ready(row)) {
            by_pod.entry(row.pod.as_str()).or_default().push(v);
        }
    }
    median(by_pod.into_values().map(median).collect())
}

/// Three hours of the default cluster (50 pods, churn on) sampled every 5 s.
fn three_hour_churn_run(seed: u64) -> Run {
    Run::new(
        &SimulatorSettings {
            seed,
            ..SimulatorSettings::default()
        },
        180,
        5,
    )
}

#[test]
fn rolling_updates_pull_a_new_version_and_half_of_them_move_the_normal_for_good() {
    let run = three_hour_churn_run(7);
    let end = start() + TimeDelta::minutes(180);
    let updates: Vec<&BenignWindow> = run
        .benign
        .iter()
        .filter(|b| {
            matches!(
                b.kind,
                BenignKind::RollingUpdate | BenignKind::RollingUpdateNewNormal
            )
        })
        .filter(|b| b.end < end - TimeDelta::minutes(5))
        .collect();
    assert!(updates.len() >= 3, "{updates:?}");
    let mut checked_normals = 0;
    for update in &updates {
        check_rollout(&run, update, 5);
        // New pods pull one new version of the image.
        let workload = update.workload.as_str();
        let new_hash = replica_set_hash(update.pods.last().unwrap(), workload);
        let mut versions = BTreeSet::new();
        for pod in update
            .pods
            .iter()
            .filter(|p| replica_set_hash(p, workload) == new_hash)
        {
            for row in run.pod_rows(pod) {
                if let Some(message) = row.event_message.as_deref() {
                    if let Some(image) = message
                        .strip_prefix("Pulling image \"")
                        .or_else(|| message.strip_prefix("Successfully pulled image \""))
                    {
                        versions.insert(image.split('"').next().unwrap().to_string());
                    }
                }
            }
        }
        assert_eq!(versions.len(), 1, "{versions:?}");
        assert!(versions
            .iter()
            .next()
            .unwrap()
            .starts_with(&format!("registry.local/{workload}:v")));
        assert_eq!(
            update.kind == BenignKind::RollingUpdateNewNormal,
            update.change.is_some()
        );

        // The level 30 min after the rollout against the 20 min before it, on a workload left
        // alone meanwhile.
        let before = (update.start - TimeDelta::minutes(20), update.start);
        let after = (
            update.end + TimeDelta::minutes(20),
            update.end + TimeDelta::minutes(40),
        );
        if before.0 < start() || after.1 > end {
            continue;
        }
        let disturbed = run.benign.iter().any(|b| {
            b.workload == update.workload
                && b.start < after.1
                && b.end > before.0
                && !std::ptr::eq(b, *update)
        }) || run.faults.iter().any(|f| {
            f.pod.starts_with(&format!("{workload}-")) && f.start < after.1 && f.end > before.0
        });
        if disturbed {
            continue;
        }
        let ratio = |field: fn(&PodMetricsRow) -> Option<f64>| {
            workload_median(&run, &update.namespace, workload, after.0, after.1, field)
                / workload_median(&run, &update.namespace, workload, before.0, before.1, field)
        };
        let (cpu_ratio, memory_ratio) = (ratio(cpu), ratio(memory));
        let change = update.change.unwrap_or_default();
        // The daily cycle moves the load a little in an hour; noise a little more.
        for (measured, planned) in [(cpu_ratio, change.cpu), (memory_ratio, change.memory)] {
            assert!(
                (measured / planned).ln().abs() < 0.2f64.max(planned.ln().abs() * 0.5),
                "{update:?}: measured {measured}, planned {planned}"
            );
        }
        if update.change.is_some() {
            checked_normals += 1;
        }
    }
    assert!(checked_normals >= 1, "no undisturbed new-normal update");
}

/// Rows of a run with a few rows per pod kept: only `wanted` pods' rows are stored.
fn run_keeping(
    settings: &SimulatorSettings,
    minutes: i64,
    step_secs: i64,
    wanted: impl Fn(&PodMetricsRow) -> bool,
) -> Run {
    let mut cluster = SimulatedCluster::new(settings, start());
    let mut rows = Vec::new();
    let mut now = start();
    while now < start() + TimeDelta::minutes(minutes) {
        rows.extend(cluster.tick(now).into_iter().filter(&wanted));
        now += TimeDelta::seconds(step_secs);
    }
    Run {
        rows,
        faults: cluster.fault_windows().to_vec(),
        benign: cluster.benign_windows().to_vec(),
    }
}

#[test]
fn liveness_restart_kills_the_container_once_then_it_is_ready_again() {
    let run = three_hour_churn_run(5);
    let end = start() + TimeDelta::minutes(180);
    let restarts: Vec<&BenignWindow> = run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::LivenessRestart && b.end < end - TimeDelta::minutes(2))
        .collect();
    assert!(restarts.len() >= 5, "{restarts:?}");
    let mut killing_seen = 0;
    for restart in &restarts {
        let pod = &restart.pods[0];
        let rows = run.pod_rows(pod);
        let before: Vec<&PodMetricsRow> = rows
            .iter()
            .copied()
            .filter(|r| r.timestamp < restart.start)
            .collect();
        let during: Vec<&PodMetricsRow> = rows
            .iter()
            .copied()
            .filter(|r| r.timestamp >= restart.start && r.timestamp <= restart.end)
            .collect();
        // Healthy afterwards: no fault may follow within its cooldown (10 min).
        let after: Vec<&PodMetricsRow> = rows
            .iter()
            .copied()
            .filter(|r| {
                r.timestamp > restart.end && r.timestamp <= restart.end + TimeDelta::minutes(10)
            })
            .collect();
        let restarts_before = before.last().unwrap().restarts.unwrap();
        assert!(before
            .iter()
            .rev()
            .take(12)
            .all(|r| all_ready(r) && r.reason.is_none()));
        // Restarts +1, once, with the termination reason in that row only.
        let went_up: Vec<_> = during
            .windows(2)
            .filter(|w| w[1].restarts != w[0].restarts)
            .map(|w| w[1])
            .collect();
        assert_eq!(went_up.len(), 1, "{pod}");
        assert_eq!(went_up[0].restarts, Some(restarts_before + 1));
        assert_eq!(went_up[0].reason.as_deref(), Some("Error"));
        assert_eq!(
            during.iter().filter(|r| r.reason.is_some()).count(),
            1,
            "{pod}"
        );
        let probe_failures = during
            .iter()
            .filter(|r| {
                r.event_reason.as_deref() == Some("Unhealthy")
                    && r.event_type.as_deref() == Some("Warning")
                    && r.event_message
                        .as_deref()
                        .is_some_and(|m| m.starts_with("Liveness probe failed: "))
            })
            .count();
        assert!(probe_failures >= 2, "{pod}: {probe_failures}");
        if during.iter().any(|r| {
            r.event_reason.as_deref() == Some("Killing")
                && r.event_message.as_deref()
                    == Some("Container app failed liveness probe, will be restarted")
        }) {
            killing_seen += 1;
        }
        // Briefly not ready (10-40 s), then Ready again for good.
        let not_ready = during.iter().filter(|r| !all_ready(r)).count() as i64 * 5;
        assert!((5..=45).contains(&not_ready), "{pod}: {not_ready} s");
        let first_not_ready = during.iter().position(|r| !all_ready(r)).unwrap();
        let last_not_ready = during.iter().rposition(|r| !all_ready(r)).unwrap();
        assert!(
            during[first_not_ready..=last_not_ready]
                .iter()
                .all(|r| !all_ready(r)),
            "{pod}: one stretch"
        );
        assert!(during.last().is_some_and(|r| all_ready(r)));
        assert!(after
            .iter()
            .all(|r| all_ready(r) && r.restarts == Some(restarts_before + 1)));
        // Usage dips while hung and restarting.
        let hung_cpu = median(
            during[..=last_not_ready]
                .iter()
                .filter_map(|r| r.cpu_millicores)
                .collect(),
        );
        assert!(hung_cpu < 0.7 * median(values(&before, cpu)), "{pod}");
    }
    // The kill and the restart are 5-10 s apart: 5 s ticks usually show the kill.
    assert!(
        killing_seen * 10 >= restarts.len() * 7,
        "{killing_seen} of {}",
        restarts.len()
    );
}

#[test]
fn liveness_restarts_never_repeat_on_a_pod_within_the_hour() {
    let run = run_keeping(&SimulatorSettings::default(), 12 * 60, 30, |_| false);
    let mut by_pod: BTreeMap<&str, Vec<DateTime<Utc>>> = BTreeMap::new();
    for restart in run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::LivenessRestart)
    {
        by_pod
            .entry(restart.pods[0].as_str())
            .or_default()
            .push(restart.start);
    }
    assert!(by_pod.len() >= 20, "{by_pod:?}");
    for (pod, starts) in by_pod {
        assert!(
            starts
                .windows(2)
                .all(|w| w[1] - w[0] >= TimeDelta::minutes(60)),
            "{pod}: {starts:?}"
        );
    }
}

#[test]
fn autoscaler_adds_replicas_under_load_and_removes_them_after() {
    let run = three_hour_churn_run(9);
    let end = start() + TimeDelta::minutes(180);
    let mut checked = 0;
    for out in run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::ScaleOut && b.end < end - TimeDelta::minutes(3))
    {
        let scale_in = run
            .benign
            .iter()
            .find(|b| {
                b.kind == BenignKind::ScaleIn && b.workload == out.workload && b.start == out.end
            })
            .expect("a scale-in ends the episode");
        assert_eq!(scale_in.pods, out.pods);
        let added = out.pods.len();
        assert!((1..=3).contains(&added));
        let replicas_at = |t: DateTime<Utc>| {
            run.rows
                .iter()
                .filter(|r| r.timestamp == t && is_replica_of(r, &out.namespace, &out.workload))
                .map(|r| r.pod.as_str())
                .collect::<BTreeSet<_>>()
        };
        let tick =
            |t: DateTime<Utc>| start() + TimeDelta::seconds((t - start()).num_seconds() / 5 * 5);
        let before = replicas_at(tick(out.start));
        let scaled_out = replicas_at(tick(scale_in.start));
        let after = replicas_at(tick(scale_in.start) + TimeDelta::seconds(10));
        assert_eq!(scaled_out.len(), before.len() + added, "{out:?}");
        assert_eq!(after, before, "the added replicas go, the others stay");
        let mut all_ready_at = out.start;
        for pod in &out.pods {
            let rows = run.pod_rows(pod);
            assert!(!all_ready(rows[0]), "{pod} starts not ready");
            let ready = rows.iter().find(|r| all_ready(r)).expect("becomes ready");
            all_ready_at = all_ready_at.max(ready.timestamp);
            let last = rows.last().unwrap();
            assert_eq!(last.event_reason.as_deref(), Some("Killing"));
            assert!(last.timestamp >= scale_in.start);
        }
        // Per-pod CPU of the original replicas: down when the new ones serve, up when they go.
        let per_pod = |from: DateTime<Utc>, to: DateTime<Utc>| -> f64 {
            let pods: Vec<f64> = before
                .iter()
                .map(|pod| {
                    median(
                        run.pod_rows(pod)
                            .iter()
                            .filter(|r| r.timestamp >= from && r.timestamp < to)
                            .filter_map(|r| r.cpu_millicores)
                            .collect(),
                    )
                })
                .collect();
            pods.iter().sum::<f64>() / pods.len() as f64
        };
        let minute = TimeDelta::minutes(1);
        let first_ready = out
            .pods
            .iter()
            .filter_map(|pod| run.pod_rows(pod).into_iter().find(|r| all_ready(r)))
            .map(|r| r.timestamp)
            .min()
            .unwrap();
        let out_ratio = per_pod(all_ready_at, all_ready_at + minute)
            / per_pod(first_ready - minute, first_ready);
        assert!(out_ratio < 0.9, "{out:?}: scale-out ratio {out_ratio}");
        let in_ratio = per_pod(
            scale_in.start + TimeDelta::seconds(10),
            scale_in.start + minute * 2,
        ) / per_pod(scale_in.start - minute * 2, scale_in.start);
        assert!(in_ratio > 1.25, "{out:?}: scale-in ratio {in_ratio}");
        checked += 1;
    }
    assert!(checked >= 1, "no complete autoscaler episode");
}

#[test]
fn node_drain_evicts_every_pod_one_at_a_time_and_replaces_it_elsewhere() {
    let settings = SimulatorSettings {
        pods: 100,
        seed: 4,
        ..SimulatorSettings::default()
    };
    let run = Run::new(&settings, 150, 5);
    let end = start() + TimeDelta::minutes(150);
    let drains: Vec<&BenignWindow> = run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::NodeDrain)
        .collect();
    let mut nodes_drained = BTreeSet::new();
    for window in drains
        .iter()
        .filter(|w| w.end < end - TimeDelta::minutes(1))
    {
        let node = window.node.as_deref().unwrap();
        let drain_start = drains
            .iter()
            .filter(|w| w.node.as_deref() == Some(node) && w.start <= window.start)
            .map(|w| w.start)
            .max()
            .unwrap();
        nodes_drained.insert((node.to_string(), drain_start));
        let (evicted, replacements): (Vec<&String>, Vec<&String>) = window
            .pods
            .iter()
            .partition(|p| run.pod_rows(p)[0].timestamp < window.start);
        assert_eq!(evicted.len(), replacements.len(), "{window:?}");
        for pod in &evicted {
            let rows = run.pod_rows(pod);
            assert!(rows.iter().all(|r| r.node == node));
            let last = rows.last().unwrap();
            assert_eq!(last.event_reason.as_deref(), Some("Killing"));
            assert!(last.timestamp < window.end + TimeDelta::seconds(5));
        }
        for pod in &replacements {
            let rows = run.pod_rows(pod);
            assert!(rows.iter().all(|r| r.node != node), "{pod} elsewhere");
            assert!(!all_ready(rows[0]));
            assert!(rows.iter().any(|r| all_ready(r)));
        }
        // One at a time: at most one replica short of Ready at any tick.
        let replicas = run
            .rows
            .iter()
            .filter(|r| {
                r.timestamp
                    == start() + TimeDelta::seconds((window.start - start()).num_seconds() / 5 * 5)
                    && is_replica_of(r, &window.namespace, &window.workload)
            })
            .count();
        let mut ready_at: BTreeMap<DateTime<Utc>, usize> = BTreeMap::new();
        for row in run.rows.iter().filter(|r| {
            r.timestamp >= window.start
                && r.timestamp <= window.end
                && is_replica_of(r, &window.namespace, &window.workload)
                && r.event_reason.as_deref() != Some("Killing")
        }) {
            *ready_at.entry(row.timestamp).or_default() += usize::from(all_ready(row));
        }
        assert!(
            ready_at.values().all(|&n| n + 1 >= replicas),
            "{window:?}: {replicas} replicas, {ready_at:?}"
        );
    }
    assert!(!nodes_drained.is_empty(), "no drain in 150 min of 100 pods");
    // The drained node gets no new pod while cordoned, and every pod that was on it went.
    for (node, drain_start) in &nodes_drained {
        let windows: Vec<_> = drains
            .iter()
            .filter(|w| w.node.as_deref() == Some(node.as_str()) && w.start == *drain_start)
            .collect();
        let drain_end = windows.iter().map(|w| w.end).max().unwrap();
        let on_node_before: BTreeSet<&str> = run
            .rows
            .iter()
            .filter(|r| {
                r.node == *node
                    && r.timestamp <= *drain_start
                    && r.timestamp > *drain_start - TimeDelta::seconds(5)
            })
            .map(|r| r.pod.as_str())
            .collect();
        let evicted: BTreeSet<&str> = windows
            .iter()
            .flat_map(|w| w.pods.iter().map(String::as_str))
            .filter(|p| on_node_before.contains(p))
            .collect();
        assert_eq!(evicted, on_node_before, "every pod of {node} evicted");
        assert!(!run.rows.iter().any(|r| r.node == *node
            && r.timestamp > *drain_start
            && r.timestamp <= drain_end
            && !on_node_before.contains(r.pod.as_str())));
    }
}

#[test]
fn cronjob_pods_burst_complete_and_go_on_schedule() {
    let run = two_hour_default_run();
    let runs: Vec<&BenignWindow> = run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::CronJobRun)
        .collect();
    let jobs: BTreeSet<&str> = runs.iter().map(|r| r.workload.as_str()).collect();
    assert!((1..=2).contains(&jobs.len()), "{jobs:?}");
    // 50 pods: a CronJob pod every 10-15 min.
    assert!((8..=13).contains(&runs.len()), "{} runs", runs.len());
    for job in &jobs {
        let starts: Vec<DateTime<Utc>> = runs
            .iter()
            .filter(|r| r.workload == *job)
            .map(|r| r.start)
            .collect();
        let periods: BTreeSet<i64> = starts
            .windows(2)
            .map(|w| ((w[1] - w[0]).num_seconds() as f64 / 60.0).round() as i64)
            .collect();
        assert!(
            periods.len() == 1 && [20, 30].contains(periods.first().unwrap()),
            "{periods:?}"
        );
    }
    let last_row = start() + TimeDelta::minutes(120) - TimeDelta::seconds(5);
    for window in runs.iter().filter(|r| r.end < last_row) {
        let pod = &window.pods[0];
        let (name, suffix) = pod.rsplit_once('-').unwrap();
        let (job, minutes) = name.rsplit_once('-').unwrap();
        assert_eq!(job, window.workload);
        assert_eq!(suffix.len(), 5);
        let scheduled = minutes.parse::<i64>().unwrap() * 60;
        let created = window.start.timestamp();
        assert!(
            (0..=3).contains(&(created - scheduled)),
            "{pod} at {}",
            window.start
        );
        let rows = run.pod_rows(pod);
        let phases: Vec<PodPhase> = rows.iter().map(|r| r.phase.unwrap()).collect();
        let running = phases.iter().position(|p| *p == PodPhase::Running).unwrap();
        let done = phases
            .iter()
            .position(|p| *p == PodPhase::Succeeded)
            .unwrap();
        assert!(phases[..running].iter().all(|p| *p == PodPhase::Pending));
        assert!(phases[running..done]
            .iter()
            .all(|p| *p == PodPhase::Running));
        assert!(phases[done..].iter().all(|p| *p == PodPhase::Succeeded));
        let run_secs = (done - running) as i64 * 5;
        assert!((55..=305).contains(&run_secs), "{pod}: ran {run_secs} s");
        let kept_secs = (phases.len() - done) as i64 * 5;
        assert!((55..=185).contains(&kept_secs), "{pod}: kept {kept_secs} s");
        for row in &rows[running..done] {
            assert_eq!(row.ready_containers, Some(1));
            assert!(row.cpu_millicores.is_some_and(|c| c > 0.0));
            assert!(row.fs_write_bytes_per_s.is_some());
        }
        for row in &rows[done..] {
            assert_eq!(row.reason.as_deref(), Some("Completed"));
            assert_eq!(row.ready_containers, Some(0));
            assert!(row.cpu_millicores.is_none() && row.memory_bytes.is_none());
        }
        if phases[0] == PodPhase::Pending {
            assert_eq!(rows[0].event_reason.as_deref(), Some("Scheduled"));
        }
        assert!(rows[..=running]
            .iter()
            .any(|r| r.event_reason.as_deref() == Some("Started")));
        assert!(rows.iter().all(|r| r.restarts == Some(0)));
    }
}

#[test]
fn weekends_run_at_a_lower_load_and_multi_day_runs_show_both_cycles() {
    // Monday 5 January noon (UTC; a weekday in the cluster's local time too) to Wednesday 14
    // January, every 10 minutes. Network traffic follows the load; new versions seldom change
    // it.
    let monday: DateTime<Utc> = "2026-01-05T12:00:00Z".parse().unwrap();
    let settings = SimulatorSettings {
        seed: 8,
        ..SimulatorSettings::default()
    };
    let mut cluster = SimulatedCluster::new(&settings, monday);
    let mut by_workload: BTreeMap<String, Vec<(DateTime<Utc>, f64)>> = BTreeMap::new();
    let mut now = monday;
    while now < monday + TimeDelta::days(9) {
        for row in cluster.tick(now) {
            if let (Some(rx), true) = (row.net_rx_bytes_per_s, all_ready(&row)) {
                let workload = crate::features::pod_key::workload_of(&row.pod).to_string();
                by_workload
                    .entry(workload)
                    .or_default()
                    .push((row.timestamp, rx));
            }
        }
        now += TimeDelta::minutes(10);
    }
    let benign = cluster.benign_windows();
    // Local time is the cluster's own (up to a day off UTC): the run holds one or two weekends
    // (a day apart from the start and end of the run), one of them whole.
    let weekends: Vec<&BenignWindow> = benign
        .iter()
        .filter(|b| b.kind == BenignKind::Weekend)
        .collect();
    assert!((1..=2).contains(&weekends.len()), "{weekends:?}");
    for pair in weekends.windows(2) {
        assert_eq!(pair[1].start - pair[0].start, TimeDelta::days(7));
    }
    let weekend = *weekends
        .iter()
        .find(|w| w.start >= monday + TimeDelta::days(1) && w.end <= now)
        .expect("a whole weekend");
    assert!(weekend.namespace.is_empty() && weekend.workload.is_empty());
    assert_eq!(weekend.end - weekend.start, TimeDelta::hours(54));
    // The day before the weekend against its first full day: whole days, so the daily cycle
    // weighs alike on both sides.
    let friday = (weekend.start - TimeDelta::days(1), weekend.start);
    let saturday = (
        weekend.start + TimeDelta::hours(6),
        weekend.start + TimeDelta::hours(30),
    );
    let (mut lower, mut compared, mut daily) = (0, 0, 0);
    for (workload, samples) in &by_workload {
        // A new version may change the network level: inside the compared days it blurs them
        // (skipped), between them it is divided out.
        let network_changes: Vec<&BenignWindow> = benign
            .iter()
            .filter(|b| {
                b.workload == *workload
                    && b.start < saturday.1
                    && b.end > friday.0
                    && b.change.is_some_and(|c| c.network != 1.0)
            })
            .collect();
        let inside = network_changes
            .iter()
            .any(|b| b.start < friday.1 || b.end > saturday.0);
        let between: f64 = network_changes
            .iter()
            .map(|b| b.change.unwrap().network)
            .product();
        let within = |(from, to): (DateTime<Utc>, DateTime<Utc>)| -> Vec<f64> {
            samples
                .iter()
                .filter(|(t, _)| *t >= from && *t < to)
                .map(|(_, v)| *v)
                .collect()
        };
        let (before, during) = (within(friday), within(saturday));
        if inside || before.len() < 120 || during.len() < 120 {
            continue;
        }
        compared += 1;
        let ratio = median(during) / median(before) / between;
        if ratio < 0.92 {
            lower += 1;
        }
        // Weekdays: the busiest hour of the day well above the quietest.
        let mut hourly: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for (t, v) in samples.iter().filter(|(t, _)| *t < friday.1) {
            hourly
                .entry(chrono::Timelike::hour(t))
                .or_default()
                .push(*v);
        }
        let medians: Vec<f64> = hourly.into_values().map(median).collect();
        let (low, high) = medians
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), m| (l.min(*m), h.max(*m)));
        if high > 1.25 * low {
            daily += 1;
        }
    }
    assert!(compared >= 5, "{compared} workloads compared");
    assert!(
        lower * 10 >= compared * 7,
        "{lower} of {compared} lower on the weekend"
    );
    assert!(
        daily * 10 >= compared * 7,
        "{daily} of {compared} show a daily cycle"
    );
}

#[test]
fn without_churn_the_cluster_is_calm() {
    let settings = SimulatorSettings {
        benign_churn: false,
        ..SimulatorSettings::default()
    };
    let run = run_keeping(&settings, 4 * 60, 15, |r| {
        r.phase != Some(PodPhase::Running)
    });
    let kinds: BTreeSet<BenignKind> = run.benign.iter().map(|b| b.kind).collect();
    assert!(
        kinds
            .iter()
            .all(|k| matches!(k, BenignKind::RollingRestart | BenignKind::LoadSwell)),
        "{kinds:?}"
    );
    assert!(run.rows.iter().all(|r| r.phase == Some(PodPhase::Pending)));
}

/// What a run shows at every 15 s: (pod, time) -> (phase, restarts, ready containers, node).
type Snapshot =
    BTreeMap<(String, DateTime<Utc>), (Option<PodPhase>, Option<u32>, Option<u32>, String)>;

fn run_at_step(
    settings: &SimulatorSettings,
    minutes: i64,
    step_secs: i64,
) -> (Vec<BenignWindow>, Vec<FaultWindow>, Snapshot) {
    let mut cluster = SimulatedCluster::new(settings, start());
    let mut snapshot = Snapshot::new();
    let mut now = start();
    // Up to and including the last instant, so every step has handled the same events.
    while now <= start() + TimeDelta::minutes(minutes) {
        let rows = cluster.tick(now);
        if (now - start()).num_seconds() % 15 == 0 {
            for r in rows {
                snapshot.insert(
                    (r.pod, r.timestamp),
                    (r.phase, r.restarts, r.ready_containers, r.node),
                );
            }
        }
        now += TimeDelta::seconds(step_secs);
    }
    (
        cluster.benign_windows().to_vec(),
        cluster.fault_windows().to_vec(),
        snapshot,
    )
}

#[test]
fn one_five_and_fifteen_second_steps_see_the_same_events_at_the_same_times() {
    let settings = SimulatorSettings {
        pods: 40,
        seed: 21,
        first_fault_after: Duration::from_secs(10 * 60),
        ..SimulatorSettings::default()
    };
    let (benign_1, faults_1, snap_1) = run_at_step(&settings, 150, 1);
    let (benign_5, faults_5, snap_5) = run_at_step(&settings, 150, 5);
    let (benign_15, faults_15, snap_15) = run_at_step(&settings, 150, 15);
    let kinds: BTreeSet<BenignKind> = benign_1.iter().map(|b| b.kind).collect();
    assert!(kinds.len() >= 7, "{kinds:?}");
    assert!(faults_1.len() >= 10);
    assert_eq!(benign_1, benign_5);
    assert_eq!(benign_1, benign_15);
    assert_eq!(faults_1, faults_5);
    assert_eq!(faults_1, faults_15);
    // The state of every pod seen by all three at the same instant is the same; a pod's last
    // row (its deletion) falls on the first tick after it, so coarse steps see a few more.
    let mut common = 0;
    for (key, state) in &snap_15 {
        if let (Some(a), Some(b)) = (snap_1.get(key), snap_5.get(key)) {
            assert_eq!(state, a, "{key:?}");
            assert_eq!(state, b, "{key:?}");
            common += 1;
        }
    }
    assert!(
        common * 100 >= snap_15.len() * 99,
        "{common} of {}",
        snap_15.len()
    );
    assert!(snap_1.len() <= snap_15.len() && snap_5.len() <= snap_15.len());
}

#[test]
fn benign_events_come_at_their_configured_rates_and_never_blur_a_fault() {
    // A day of 50 pods at 30 s; only what is needed for the checks is kept.
    let settings = SimulatorSettings {
        seed: 17,
        ..SimulatorSettings::default()
    };
    let mut cluster = SimulatedCluster::new(&settings, start());
    let mut lifetimes: BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    let mut now = start();
    while now < start() + TimeDelta::hours(24) {
        for row in cluster.tick(now) {
            lifetimes
                .entry(row.pod)
                .and_modify(|(_, last)| *last = row.timestamp)
                .or_insert((row.timestamp, row.timestamp));
        }
        now += TimeDelta::seconds(30);
    }
    let benign = cluster.benign_windows();
    let count = |kind: BenignKind| benign.iter().filter(|b| b.kind == kind).count() as f64;
    let hours = 24.0;
    // Per 50 pods and hour (settings.rs), within what a day of Poisson arrivals allows.
    let within = |kind: BenignKind, per_hour: f64| {
        let expected = per_hour * hours;
        let got = count(kind);
        assert!(
            (got - expected).abs() <= 3.0 * expected.sqrt() + 0.1 * expected,
            "{kind:?}: {got} in a day, expected about {expected}"
        );
    };
    within(BenignKind::RollingRestart, 60.0 / 40.0);
    within(BenignKind::LoadSwell, 2.0);
    let updates = count(BenignKind::RollingUpdate) + count(BenignKind::RollingUpdateNewNormal);
    assert!(
        (updates - 48.0).abs() <= 3.0 * 48f64.sqrt() + 4.8,
        "{updates} updates"
    );
    let share = count(BenignKind::RollingUpdateNewNormal) / updates;
    assert!(
        (0.3..=0.65).contains(&share),
        "{share} of updates change the normal"
    );
    within(BenignKind::LivenessRestart, 3.0);
    within(BenignKind::ScaleOut, 1.0);
    assert!((count(BenignKind::ScaleIn) - count(BenignKind::ScaleOut)).abs() <= 1.0);
    let drains: BTreeSet<(Option<String>, DateTime<Utc>)> = benign
        .iter()
        .filter(|b| b.kind == BenignKind::NodeDrain)
        .map(|b| (b.node.clone(), b.start))
        .collect();
    // Every 3-4 h, the first within 3.5 h of the start.
    assert!(
        (5..=8).contains(&drains.len()),
        "{} drains in a day",
        drains.len()
    );
    let cron_per_hour = count(BenignKind::CronJobRun) / hours;
    assert!(
        (3.9..=6.1).contains(&cron_per_hour),
        "{cron_per_hour} CronJob pods an hour"
    );

    // No fault shares its time with a benign event on its workload, and its pod lives through it.
    let faults = cluster.fault_windows();
    assert!(faults.len() >= 200, "{} faults", faults.len());
    for fault in faults.iter().filter(|f| f.end < now) {
        let workload = crate::features::pod_key::workload_of(&fault.pod);
        for b in benign.iter().filter(|b| {
            !matches!(
                b.kind,
                BenignKind::LoadSwell | BenignKind::Weekend | BenignKind::CronJobRun
            )
        }) {
            let overlaps = b.start < fault.end && b.end > fault.start;
            assert!(
                !(overlaps && b.namespace == fault.namespace && b.workload == workload),
                "{fault:?} overlaps {b:?}"
            );
            assert!(
                !(overlaps && b.pods.contains(&fault.pod)),
                "{fault:?} {b:?}"
            );
        }
        let (first, last) = lifetimes[&fault.pod];
        assert!(
            first <= fault.start && last >= fault.end - TimeDelta::seconds(30),
            "{fault:?}"
        );
    }
}

#[test]
fn load_swell_moves_all_replicas_of_a_workload_together() {
    let run = two_hour_default_run();
    let mut checked = 0;
    for swell in run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::LoadSwell)
    {
        let before_from = swell.start - TimeDelta::minutes(10);
        let duration = swell.end - swell.start;
        let peak_from = swell.start + duration / 3;
        let peak_to = swell.end - duration / 3;
        if before_from < start() || swell.end > start() + TimeDelta::minutes(119) {
            continue;
        }
        // Any other event on the workload (a rollout, an autoscaler episode, a drain, a
        // liveness restart) would move its pods for reasons of its own.
        let busy = run.benign.iter().any(|b| {
            b.workload == swell.workload
                && !std::ptr::eq(b, swell)
                && b.kind != BenignKind::Weekend
                && b.start < swell.end
                && b.end > before_from
        }) || run.faults.iter().any(|f| {
            f.pod.starts_with(&format!("{}-", swell.workload))
                && f.start < swell.end
                && f.end > before_from
        });
        if busy {
            continue;
        }
        let mut ratios = Vec::new();
        let prefix = format!("{}-", swell.workload);
        let replicas: BTreeSet<&str> = run
            .rows
            .iter()
            .filter(|r| r.timestamp >= before_from && r.timestamp <= swell.end)
            .filter(|r| r.namespace == swell.namespace)
            .filter(|r| {
                r.pod
                    .strip_prefix(&prefix)
                    .is_some_and(|rest| rest.matches('-').count() == 1)
            })
            .map(|r| r.pod.as_str())
            .collect();
        for pod in &replicas {
            let rows = run.pod_rows(pod);
            let window = |from: DateTime<Utc>,
                          to: DateTime<Utc>,
                          field: fn(&PodMetricsRow) -> Option<f64>| {
                median(
                    rows.iter()
                        .filter(|r| r.timestamp >= from && r.timestamp < to)
                        .filter_map(|r| field(r))
                        .collect(),
                )
            };
            let cpu_ratio = window(peak_from, peak_to, cpu) / window(before_from, swell.start, cpu);
            let net_ratio =
                window(peak_from, peak_to, net_rx) / window(before_from, swell.start, net_rx);
            assert!(
                cpu_ratio > 1.25 && net_ratio > 1.25,
                "{pod}: {cpu_ratio} {net_ratio}"
            );
            ratios.push(cpu_ratio);
        }
        if ratios.len() >= 2 {
            let low = ratios.iter().copied().fold(f64::MAX, f64::min);
            let high = ratios.iter().copied().fold(0.0, f64::max);
            assert!(high / low < 1.3, "replicas move together: {ratios:?}");
            checked += 1;
        }
    }
    assert!(
        checked >= 1,
        "at least one clean swell on a replicated workload"
    );
}

#[test]
fn rows_are_finite_rounded_and_unmeasured_fields_stay_empty() {
    let run = two_hour_default_run();
    let mut pods_with_fs = BTreeSet::new();
    let mut pods_without_fs = BTreeSet::new();
    let mut pods_without_cpu_limit = BTreeSet::new();
    for row in &run.rows {
        let gauges = [
            row.cpu_millicores,
            row.cpu_limit_millicores,
            row.memory_bytes,
            row.memory_limit_bytes,
            row.net_rx_bytes_per_s,
            row.net_tx_bytes_per_s,
            row.net_rx_errors_per_s,
            row.net_tx_errors_per_s,
            row.fs_read_bytes_per_s,
            row.fs_write_bytes_per_s,
        ];
        for value in gauges.into_iter().flatten() {
            assert!(
                value.is_finite() && value >= 0.0 && value.is_sign_positive(),
                "{row:?}"
            );
        }
        for bytes in [
            row.memory_bytes,
            row.net_rx_bytes_per_s,
            row.fs_write_bytes_per_s,
        ] {
            assert!(bytes.is_none_or(|b| b.fract() == 0.0));
        }
        assert!(row
            .cpu_millicores
            .is_none_or(|c| ((c * 10.0).round() - c * 10.0).abs() < 1e-6));
        assert!(row
            .net_rx_errors_per_s
            .is_none_or(|e| ((e * 100.0).round() - e * 100.0).abs() < 1e-6));
        assert!(row.ready_containers <= row.total_containers);
        assert!((1..=3).contains(&row.total_containers.unwrap()));
        assert!(!row.node.is_empty());
        if matches!(row.phase, Some(PodPhase::Pending | PodPhase::Succeeded)) {
            assert!(row.cpu_millicores.is_none() && row.net_rx_bytes_per_s.is_none());
            assert_eq!(row.ready_containers, Some(0));
            continue;
        }
        assert!(row.cpu_millicores.is_some() && row.memory_bytes.is_some());
        if row.fs_read_bytes_per_s.is_some() {
            pods_with_fs.insert(row.pod.clone());
        } else {
            pods_without_fs.insert(row.pod.clone());
        }
        if row.cpu_limit_millicores.is_none() {
            pods_without_cpu_limit.insert(row.pod.clone());
        }
    }
    assert!(
        pods_with_fs.is_disjoint(&pods_without_fs),
        "fs is measured always or never"
    );
    assert!(!pods_with_fs.is_empty() && !pods_without_fs.is_empty());
    assert!(!pods_without_cpu_limit.is_empty());
}

#[test]
fn healthy_pods_look_quiet_and_realistic() {
    let run = two_hour_default_run();
    let faulted: BTreeSet<&str> = run.faults.iter().map(|f| f.pod.as_str()).collect();
    // Pods restarted by their liveness probe are healthy but not quiet (checked elsewhere).
    let restarted: BTreeSet<&str> = run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::LivenessRestart)
        .flat_map(|b| b.pods.iter().map(String::as_str))
        .collect();
    let mut by_pod: BTreeMap<&str, Vec<&PodMetricsRow>> = BTreeMap::new();
    for row in &run.rows {
        if row.timestamp == start() || by_pod.contains_key(row.pod.as_str()) {
            by_pod.entry(row.pod.as_str()).or_default().push(row);
        }
    }
    let mut quiet_pods = 0;
    for (pod, rows) in by_pod
        .iter()
        .filter(|(pod, _)| !faulted.contains(*pod) && !restarted.contains(*pod))
    {
        // Pods replaced (a rollout, a drain) get a Killing event on their last row.
        let rows = &rows[..rows.len() - 1];
        assert!(
            rows.iter()
                .all(|r| r.reason.is_none() && all_ready(r) && r.event_reason.is_none()),
            "{pod}"
        );
        assert!(rows.iter().all(|r| r.restarts == rows[0].restarts));
        assert!(rows.iter().all(|r| r.net_rx_errors_per_s.unwrap() <= 0.05));
        let cpus = values(rows, cpu);
        let typical = median(cpus.clone());
        let within = cpus
            .iter()
            .filter(|c| **c > 0.4 * typical && **c < 2.6 * typical)
            .count();
        assert!(
            within * 100 >= cpus.len() * 98,
            "{pod}: cpu stays near its typical level"
        );
        if let (Some(limit), Some(peak)) = (
            rows[0].memory_limit_bytes,
            values(rows, memory).into_iter().reduce(f64::max),
        ) {
            assert!(
                peak < 0.85 * limit,
                "{pod}: benign memory stays well under the limit"
            );
        }
        if let Some(limit) = rows[0].cpu_limit_millicores {
            let peak = cpus.iter().copied().fold(0.0, f64::max);
            assert!(
                peak < 0.8 * limit,
                "{pod}: only a fault pins CPU at its limit"
            );
        }
        quiet_pods += 1;
    }
    assert!(quiet_pods >= 20);
    assert!(run
        .rows
        .iter()
        .any(|r| r.restarts.unwrap_or(0) > 0 && !faulted.contains(r.pod.as_str())));
}

#[test]
fn irregular_real_time_steps_work() {
    let settings = SimulatorSettings {
        pods: 10,
        ..SimulatorSettings::default()
    };
    let mut cluster = SimulatedCluster::new(&settings, start());
    let steps_ms = [4_900, 5_200, 300, 5_000, 61_000, 4_950];
    let mut now = start();
    let mut started = Vec::new();
    let mut crash_rows = Vec::new();
    for i in 0..800 {
        let rows = cluster.tick(now);
        assert_eq!(rows.len(), cluster_pod_count(&rows));
        assert!(rows.iter().all(|r| r.timestamp == now));
        started.extend(cluster.faults_started_last_tick().iter().cloned());
        if let Some(first) = cluster.fault_windows().first() {
            crash_rows.extend(
                rows.into_iter()
                    .filter(|r| r.pod == first.pod && r.timestamp <= first.end),
            );
        }
        now += TimeDelta::milliseconds(steps_ms[i % steps_ms.len()]);
    }
    assert_eq!(
        started.len(),
        cluster.fault_windows().len(),
        "each start reported once"
    );
    let first = &cluster.fault_windows()[0];
    assert_eq!(first.kind, FaultKind::CrashLoop);
    assert_eq!(first.start, start() + TimeDelta::seconds(20));
    assert!(first.end <= now);
    let restarts: Vec<u32> = crash_rows.iter().filter_map(|r| r.restarts).collect();
    assert!(
        restarts.last().unwrap() - restarts.first().unwrap() >= 4,
        "{restarts:?}"
    );
    assert!(crash_rows
        .iter()
        .any(|r| r.reason.as_deref() == Some("CrashLoopBackOff")));

    // A clock stepping back does not rewind the simulation.
    let rows = cluster.tick(now - TimeDelta::seconds(30));
    assert!(rows
        .iter()
        .all(|r| r.timestamp == now - TimeDelta::milliseconds(steps_ms[799 % 6])));
}

fn cluster_pod_count(rows: &[PodMetricsRow]) -> usize {
    rows.iter().map(|r| &r.pod).collect::<BTreeSet<_>>().len()
}

#[test]
fn pod_names_and_nodes_look_like_kubernetes() {
    let settings = SimulatorSettings::default();
    let rows = SimulatedCluster::new(&settings, start()).tick(start());
    assert_eq!(rows.len(), 50);
    let namespaces: BTreeSet<&str> = rows.iter().map(|r| r.namespace.as_str()).collect();
    assert!(namespaces.len() >= 3, "{namespaces:?}");
    for row in &rows {
        let parts: Vec<&str> = row.pod.rsplitn(3, '-').collect();
        assert_eq!(parts[0].len(), 5, "{}", row.pod);
        assert!((9..=10).contains(&parts[1].len()), "{}", row.pod);
        assert!(row
            .pod
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert!(row.node.starts_with("node-"));
        assert_eq!(row.phase, Some(PodPhase::Running));
    }
}
