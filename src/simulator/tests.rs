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
                pods: 12,
                seed,
                ..SimulatorSettings::default()
            },
            start: start(),
            duration: Duration::from_secs(30 * 60),
            step: Duration::from_secs(5),
        };
        let summary = generate_dataset(&opts, dir.path()).unwrap();
        let csv = std::fs::read(&summary.csv_path).unwrap();
        let labels = std::fs::read(&summary.labels_path).unwrap();
        (csv, labels, dir)
    };
    let (csv_a, labels_a, _a) = generate(42);
    let (csv_b, labels_b, _b) = generate(42);
    let (csv_c, _, _c) = generate(43);
    assert!(csv_a == csv_b, "same seed, same CSV bytes");
    assert_eq!(labels_a, labels_b);
    assert!(csv_a != csv_c, "another seed, another cluster");
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

#[test]
fn rolling_restart_replaces_every_pod_with_a_new_replica_set() {
    let run = two_hour_default_run();
    let rollouts: Vec<&BenignWindow> = run
        .benign
        .iter()
        .filter(|b| b.kind == BenignKind::RollingRestart)
        .collect();
    assert!(!rollouts.is_empty());
    let mut checked = 0;
    for rollout in rollouts
        .iter()
        .filter(|r| r.end < start() + TimeDelta::minutes(115))
    {
        checked += 1;
        let prefix = format!("{}-", rollout.workload);
        let pods_at = |t: DateTime<Utc>| -> BTreeSet<String> {
            run.rows
                .iter()
                .filter(|r| r.timestamp == t && r.namespace == rollout.namespace)
                .filter(|r| {
                    r.pod
                        .strip_prefix(&prefix)
                        .is_some_and(|rest| rest.matches('-').count() == 1)
                })
                .map(|r| r.pod.clone())
                .collect()
        };
        let tick =
            |t: DateTime<Utc>| start() + TimeDelta::seconds((t - start()).num_seconds() / 5 * 5);
        let old = pods_at(tick(rollout.start) - TimeDelta::seconds(5));
        let new = pods_at(tick(rollout.end) + TimeDelta::seconds(5));
        assert_eq!(old.len(), new.len(), "{rollout:?}");
        assert!(old.is_disjoint(&new), "every pod replaced: {old:?} {new:?}");
        let hash = |pod: &String| pod[prefix.len()..].split('-').next().unwrap().to_string();
        let new_hashes: BTreeSet<String> = new.iter().map(hash).collect();
        assert_eq!(new_hashes.len(), 1, "one new ReplicaSet");
        assert!(old.iter().all(|p| !new_hashes.contains(&hash(p))));
        for pod in &old {
            assert!(run.pod_rows(pod).iter().all(|r| r.timestamp <= rollout.end));
            let last = *run.pod_rows(pod).last().unwrap();
            assert_eq!(last.event_reason.as_deref(), Some("Killing"));
        }
        for pod in &new {
            let rows = run.pod_rows(pod);
            assert_eq!(rows[0].phase, Some(PodPhase::Pending));
            assert_eq!(rows[0].event_reason.as_deref(), Some("Scheduled"));
            assert!(rows[0].cpu_millicores.is_none() && rows[0].memory_bytes.is_none());
            let first_ready = rows
                .iter()
                .position(|r| all_ready(r))
                .expect("becomes ready");
            let starting = rows[..first_ready]
                .iter()
                .filter(|r| r.phase == Some(PodPhase::Running) && r.ready_containers == Some(0))
                .count();
            assert!(
                (1..=7).contains(&starting),
                "not ready for 10-30 s: {starting} rows"
            );
            assert!(rows[..=first_ready]
                .iter()
                .any(|r| r.event_reason.as_deref() == Some("Started")));
        }
    }
    assert!(checked >= 2, "{rollouts:?}");
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
        let busy = run.benign.iter().any(|b| {
            b.workload == swell.workload
                && b.kind == BenignKind::RollingRestart
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
        if row.phase == Some(PodPhase::Pending) {
            assert!(row.cpu_millicores.is_none() && row.net_rx_bytes_per_s.is_none());
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
    let mut by_pod: BTreeMap<&str, Vec<&PodMetricsRow>> = BTreeMap::new();
    for row in &run.rows {
        if row.timestamp == start() || by_pod.contains_key(row.pod.as_str()) {
            by_pod.entry(row.pod.as_str()).or_default().push(row);
        }
    }
    let mut quiet_pods = 0;
    for (pod, rows) in by_pod.iter().filter(|(pod, _)| !faulted.contains(*pod)) {
        // Pods replaced by a rolling restart get a Killing event on their last row.
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
