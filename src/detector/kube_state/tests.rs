//! The rules end to end: what pages, what is only evidence, gaps, and sampling intervals.

use super::*;
use crate::detector::anomaly_type::AnomalyType;
use crate::metrics_row::PodPhase;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, BTreeSet};

fn at(secs: f64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
        + TimeDelta::milliseconds((secs * 1000.0).round() as i64)
}

fn secs(t: DateTime<Utc>) -> f64 {
    (t - at(0.0)).num_milliseconds() as f64 / 1000.0
}

/// A running, ready pod using 30% of its CPU limit and half its memory limit.
fn healthy(secs: f64) -> PodStateSample<'static> {
    PodStateSample {
        phase: Some(PodPhase::Running),
        restarts: Some(0),
        ready_containers: Some(1),
        total_containers: Some(1),
        cpu_utilisation: Some(0.3),
        memory_utilisation: Some(0.5),
        ..PodStateSample::unknown(at(secs))
    }
}

/// Samples every `step` seconds in `[from, to)`.
fn every(step: f64, from: f64, to: f64) -> impl Iterator<Item = f64> {
    let n = ((to - from) / step).ceil() as usize;
    (0..n).map(move |k| from + k as f64 * step)
}

fn run<'a>(samples: impl IntoIterator<Item = PodStateSample<'a>>) -> Vec<(f64, Verdict)> {
    let settings = KubeStateSettings::default();
    let mut tracker = PodStateTracker::new();
    samples
        .into_iter()
        .map(|s| (secs(s.timestamp), tracker.observe(&s, &settings)))
        .collect()
}

fn find(v: &Verdict, kind: AnomalyType) -> Option<&Finding> {
    v.findings.iter().find(|f| f.kind == kind)
}

fn pages(v: &Verdict, kind: AnomalyType) -> bool {
    v.findings.iter().any(|f| f.kind == kind && f.pages)
}

/// Time of the first sample at which `kind` pages.
fn first_page(run: &[(f64, Verdict)], kind: AnomalyType) -> Option<f64> {
    run.iter().find(|(_, v)| pages(v, kind)).map(|(t, _)| *t)
}

fn never_pages(run: &[(f64, Verdict)]) -> bool {
    run.iter().all(|(_, v)| !v.pages())
}

/// Every finding pages exactly when its probability reaches the threshold.
fn assert_consistent(run: &[(f64, Verdict)]) {
    for (t, v) in run {
        for f in &v.findings {
            assert_eq!(f.pages, f.probability >= ALERT_THRESHOLD, "at {t}: {f:?}");
            assert!(f.evidence.detail.as_deref().is_some_and(|d| !d.is_empty()));
        }
    }
}

#[test]
fn a_single_restart_is_evidence_and_does_not_page() {
    let result = run(every(5.0, 0.0, 1500.0).map(|t| {
        let mut s = healthy(t);
        if t >= 300.0 {
            s.restarts = Some(1);
        }
        if t == 300.0 {
            s.reason = Some("Error");
        }
        s
    }));
    assert_consistent(&result);
    assert!(never_pages(&result));
    let (_, at_restart) = &result[60];
    let f = find(at_restart, AnomalyType::ContainerRestart).expect("the restart is shown");
    assert!(f.probability >= 0.3 && !f.pages);
    let detail = f.evidence.detail.as_deref().unwrap();
    assert!(detail.contains("1 restart in the last 15 min"), "{detail}");
    assert!(detail.contains("exited with an error"), "{detail}");
    // Shown while inside the 15 min window, gone after it.
    assert!(find(&result[60 + 170].1, AnomalyType::ContainerRestart).is_some());
    assert!(find(&result[60 + 181].1, AnomalyType::ContainerRestart).is_none());
}

#[test]
fn a_liveness_probe_kill_is_one_restart_with_its_cause() {
    let result = run(every(5.0, 0.0, 600.0).map(|t| {
        let mut s = healthy(t);
        if t == 280.0 {
            s.event_reason = Some("Killing");
            s.event_type = Some("Normal");
            s.event_message = Some("Container app failed liveness probe, will be restarted");
        }
        if t >= 300.0 {
            s.restarts = Some(1);
        }
        if t == 300.0 {
            s.reason = Some("Completed");
        }
        s
    }));
    assert!(never_pages(&result));
    let f = find(&result[60].1, AnomalyType::ContainerRestart).unwrap();
    let detail = f.evidence.detail.as_deref().unwrap();
    assert!(detail.contains("killed by its liveness probe"), "{detail}");
}

#[test]
fn three_restarts_within_the_window_page_as_a_crash_loop() {
    let restarts_at = |t: f64| [60.0, 180.0, 300.0].iter().filter(|r| t >= **r).count() as u32;
    let result = run(every(5.0, 0.0, 700.0).map(|t| PodStateSample {
        restarts: Some(restarts_at(t)),
        ..healthy(t)
    }));
    assert_consistent(&result);
    assert_eq!(first_page(&result, AnomalyType::CrashLoop), Some(300.0));
    let two = find(&result[36].1, AnomalyType::ContainerRestart).unwrap();
    assert!(!two.pages, "two restarts are evidence");
    assert!(
        two.probability
            > find(&result[12].1, AnomalyType::ContainerRestart)
                .unwrap()
                .probability
    );
    let loop_finding = find(&result[60].1, AnomalyType::CrashLoop).unwrap();
    assert_eq!(loop_finding.anchor, anchor::KUBE_POD_CRASH_LOOPING);
    assert!(loop_finding
        .evidence
        .detail
        .as_deref()
        .unwrap()
        .starts_with("3 restarts in the last 15 min, the last just now"));
    // No restart for the kubelet's longest back-off (5 min): the loop is over, still shown.
    assert!(pages(&result[120].1, AnomalyType::CrashLoop));
    let over = find(&result[121].1, AnomalyType::CrashLoop).unwrap();
    assert!(!over.pages, "{over:?}");

    // The same three restarts spread over 16 minutes are never three within 15.
    let spread = |t: f64| [0.0, 480.0, 960.0].iter().filter(|r| t >= **r).count() as u32;
    let result = run(every(5.0, -5.0, 1200.0).map(|t| PodStateSample {
        restarts: Some(spread(t)),
        ..healthy(t)
    }));
    assert!(never_pages(&result));
}

#[test]
fn a_rollout_restart_is_expected_but_a_second_restart_is_not() {
    let result = run(every(5.0, 0.0, 600.0).map(|t| {
        let mut s = healthy(t);
        if t >= 100.0 {
            s.restarts = Some(1);
        }
        if t == 100.0 {
            s.event_reason = Some("Pulled");
            s.event_message = Some("Successfully pulled image \"shop/cart:1.4.2\" in 1.2s");
        }
        // The new container is not ready until its probes pass.
        if (100.0..120.0).contains(&t) {
            s.ready_containers = Some(0);
        }
        if t >= 400.0 {
            s.restarts = Some(2);
        }
        if t == 400.0 {
            s.event_reason = Some("Pulled");
        }
        s
    }));
    assert!(
        result[..80].iter().all(|(_, v)| v.is_empty()),
        "the rollout is quiet"
    );
    let f = find(&result[80].1, AnomalyType::ContainerRestart).expect("the second restart counts");
    assert!(!f.pages);
}

#[test]
fn one_oom_kill_is_strong_evidence_and_a_second_pages() {
    let result = run(every(5.0, 0.0, 600.0).map(|t| {
        let mut s = healthy(t);
        s.restarts = Some(u32::from(t >= 100.0) + u32::from(t >= 400.0));
        if t == 100.0 || t == 400.0 {
            s.reason = Some("OOMKilled");
        }
        s
    }));
    assert_consistent(&result);
    let once = find(&result[20].1, AnomalyType::OomKilled).unwrap();
    assert!(!once.pages && once.probability >= 0.6, "{once:?}");
    assert_eq!(first_page(&result, AnomalyType::OomKilled), Some(400.0));
    assert_eq!(first_page(&result, AnomalyType::CrashLoop), None);
}

#[test]
fn crash_loop_back_off_pages_once_it_has_recurred_for_five_minutes() {
    // Back-off 40 s, running 20 s, over and over; the restart counter is not reported.
    let result = run(every(5.0, 0.0, 700.0).map(|t| {
        let mut s = healthy(t);
        s.restarts = None;
        if t >= 60.0 && (t - 60.0) % 60.0 < 40.0 {
            s.reason = Some("CrashLoopBackOff");
            s.ready_containers = Some(0);
        }
        s
    }));
    assert_consistent(&result);
    let first = find(&result[12].1, AnomalyType::CrashLoop).unwrap();
    assert!(!first.pages, "a first back-off is evidence");
    // Between back-offs the loop goes on (the mixin's max_over_time over 5 min).
    assert!(find(&result[22].1, AnomalyType::CrashLoop).is_some());
    assert_eq!(first_page(&result, AnomalyType::CrashLoop), Some(360.0));
}

#[test]
fn an_image_that_cannot_be_pulled_pages_after_five_minutes_and_pending_after_fifteen() {
    let result = run(every(5.0, 0.0, 1200.0).map(|t| PodStateSample {
        phase: Some(PodPhase::Pending),
        reason: Some(if t < 20.0 {
            "ContainerCreating"
        } else if (t as i64 / 20) % 2 == 0 {
            "ErrImagePull"
        } else {
            "ImagePullBackOff"
        }),
        restarts: Some(0),
        ready_containers: Some(0),
        total_containers: Some(1),
        ..PodStateSample::unknown(at(t))
    }));
    assert_consistent(&result);
    let seen = find(&result[4].1, AnomalyType::ImagePullError).unwrap();
    assert!(!seen.pages);
    assert_eq!(
        first_page(&result, AnomalyType::ImagePullError),
        Some(320.0)
    );
    assert!(
        find(&result[50].1, AnomalyType::Pending).is_none(),
        "pods start Pending"
    );
    assert!(find(&result[70].1, AnomalyType::Pending).is_some_and(|f| !f.pages));
    assert_eq!(first_page(&result, AnomalyType::Pending), Some(900.0));
}

#[test]
fn a_config_error_pages_after_five_minutes() {
    let result = run(every(5.0, 0.0, 400.0).map(|t| PodStateSample {
        phase: Some(PodPhase::Pending),
        reason: Some("CreateContainerConfigError"),
        ..PodStateSample::unknown(at(t))
    }));
    assert_eq!(
        first_page(&result, AnomalyType::ContainerConfigError),
        Some(300.0)
    );
}

#[test]
fn a_single_cpu_sample_at_the_limit_does_not_page_and_ten_minutes_do() {
    let result = run(every(5.0, 0.0, 600.0).map(|t| PodStateSample {
        cpu_utilisation: Some(if t == 300.0 { 0.97 } else { 0.3 }),
        ..healthy(t)
    }));
    assert!(never_pages(&result));
    assert!(find(&result[60].1, AnomalyType::CpuSaturation).is_some_and(|f| !f.pages));

    // Pinned from 100 s on, with one noisy sample below the threshold at 400 s.
    let result = run(every(5.0, 0.0, 900.0).map(|t| PodStateSample {
        cpu_utilisation: Some(match t {
            400.0 => 0.86,
            t if t >= 100.0 => 0.96,
            _ => 0.3,
        }),
        ..healthy(t)
    }));
    assert_consistent(&result);
    assert_eq!(first_page(&result, AnomalyType::CpuSaturation), Some(700.0));
    let f = find(&result[140].1, AnomalyType::CpuSaturation).unwrap();
    let detail = f.evidence.detail.as_deref().unwrap();
    assert_eq!(
        detail,
        "CPU at 96% of its limit, at or above 90% for 10 min"
    );
}

#[test]
fn memory_close_to_its_limit_is_evidence_that_never_pages() {
    let result = run(every(5.0, 0.0, 3600.0).map(|t| PodStateSample {
        memory_utilisation: Some(0.94),
        ..healthy(t)
    }));
    assert!(never_pages(&result));
    let early = find(&result[1].1, AnomalyType::MemoryLeak)
        .unwrap()
        .probability;
    let late = find(&result[700].1, AnomalyType::MemoryLeak)
        .unwrap()
        .probability;
    assert!(late > early, "lasting is stronger evidence");
}

#[test]
fn a_readiness_blip_is_evidence_and_flapping_pages() {
    let not_ready = |spells: &'static [f64]| {
        move |t: f64| PodStateSample {
            ready_containers: Some(if spells.iter().any(|s| (*s..*s + 30.0).contains(&t)) {
                0
            } else {
                1
            }),
            ..healthy(t)
        }
    };
    let blip = run(every(5.0, 0.0, 600.0).map(not_ready(&[200.0])));
    assert!(never_pages(&blip));
    let f = find(&blip[41].1, AnomalyType::NotReady).unwrap();
    assert!(!f.pages);
    assert_eq!(
        f.evidence.detail.as_deref(),
        Some("running but not ready for 5 s (0/1 containers ready)")
    );
    assert!(
        find(&blip[50].1, AnomalyType::NotReady).is_none(),
        "ready again"
    );

    let flapping = run(every(5.0, 0.0, 600.0).map(not_ready(&[100.0, 170.0, 240.0, 310.0])));
    assert_consistent(&flapping);
    assert_eq!(
        first_page(&flapping, AnomalyType::ReadinessFlapping),
        Some(240.0)
    );
    let f = find(&flapping[63].1, AnomalyType::ReadinessFlapping).unwrap();
    assert_eq!(
        f.evidence.detail.as_deref(),
        Some("readiness lost 4 times in the last 5 min")
    );
}

#[test]
fn readiness_lost_to_restarts_is_not_flapping() {
    // Three restarts, each with its not-ready spell: a crash loop, not flapping.
    let restart_times = [100.0, 170.0, 240.0];
    let result = run(every(5.0, 0.0, 400.0).map(|t| PodStateSample {
        restarts: Some(restart_times.iter().filter(|r| t >= **r).count() as u32),
        ready_containers: Some(
            if restart_times
                .iter()
                .any(|r| (*r - 10.0..*r + 20.0).contains(&t))
            {
                0
            } else {
                1
            },
        ),
        ..healthy(t)
    }));
    assert_eq!(first_page(&result, AnomalyType::ReadinessFlapping), None);
    assert_eq!(first_page(&result, AnomalyType::CrashLoop), Some(240.0));
}

#[test]
fn running_but_not_ready_for_fifteen_minutes_pages() {
    let result = run(every(5.0, 0.0, 1200.0).map(|t| PodStateSample {
        ready_containers: Some(u32::from(t < 100.0) + 1),
        total_containers: Some(2),
        ..healthy(t)
    }));
    assert_consistent(&result);
    assert_eq!(first_page(&result, AnomalyType::NotReady), Some(1000.0));
    assert_eq!(
        first_page(&result, AnomalyType::ReadinessFlapping),
        None,
        "one loss"
    );
}

#[test]
fn succeeded_pods_never_page() {
    // A Job pod: Pending for 2 min, runs, exits 0 and stays Succeeded for an hour and a half.
    let result = run(every(5.0, 0.0, 6000.0).map(|t| {
        if t < 120.0 {
            PodStateSample {
                phase: Some(PodPhase::Pending),
                ..PodStateSample::unknown(at(t))
            }
        } else if t < 1300.0 {
            healthy(t)
        } else {
            PodStateSample {
                phase: Some(PodPhase::Succeeded),
                reason: Some("Completed"),
                restarts: Some(0),
                ready_containers: Some(0),
                total_containers: Some(1),
                ..PodStateSample::unknown(at(t))
            }
        }
    }));
    assert!(never_pages(&result));
    assert!(result
        .iter()
        .filter(|(t, _)| *t >= 1300.0)
        .all(|(_, v)| v.is_empty()));
}

#[test]
fn a_failed_pod_is_evidence_that_never_pages() {
    let result = run(every(5.0, 0.0, 3600.0).map(|t| PodStateSample {
        phase: Some(PodPhase::Failed),
        reason: Some("Evicted"),
        ..PodStateSample::unknown(at(t))
    }));
    assert!(never_pages(&result));
    let f = find(&result[700].1, AnomalyType::NotReady).unwrap();
    assert_eq!(f.anchor, anchor::KUBE_POD_NOT_READY);
    assert!(f
        .evidence
        .detail
        .as_deref()
        .unwrap()
        .starts_with("pod Failed (Evicted) for 58 min"));
}

#[test]
fn a_node_that_stops_reporting_is_evidence_at_once_and_pages_after_fifteen_minutes() {
    let result = run(every(5.0, 0.0, 1000.0).map(|t| PodStateSample {
        phase: Some(if t < 50.0 {
            PodPhase::Running
        } else {
            PodPhase::Unknown
        }),
        ..healthy(t)
    }));
    assert!(find(&result[10].1, AnomalyType::NotReady).is_some_and(|f| !f.pages));
    assert_eq!(first_page(&result, AnomalyType::NotReady), Some(950.0));
}

/// A gap is not a recovery: unknown samples neither confirm nor clear a condition, its start
/// survives them, and only a sample that shows it gone ends it.
#[test]
fn a_gap_is_not_a_recovery() {
    let outage = |t: f64| (480.0..840.0).contains(&t);

    // Pending from 0; the API server is unreachable from 8 to 14 min (every field unknown).
    let result = run(every(5.0, 0.0, 1000.0).map(|t| {
        if outage(t) {
            PodStateSample::unknown(at(t))
        } else {
            PodStateSample {
                phase: Some(PodPhase::Pending),
                ..PodStateSample::unknown(at(t))
            }
        }
    }));
    assert!(result
        .iter()
        .filter(|(t, _)| outage(*t))
        .all(|(_, v)| v.is_empty()));
    assert!(find(&result[168].1, AnomalyType::Pending).is_some_and(|f| !f.pages));
    assert_eq!(first_page(&result, AnomalyType::Pending), Some(900.0));

    // Not ready from 100 s; ready unknown during the outage; not ready after it; pages 15 min
    // after 100 s. Then a ready sample ends it, and the next spell starts from zero.
    let result = run(every(5.0, 0.0, 2400.0).map(|t| {
        let mut s = healthy(t);
        if outage(t) {
            s.ready_containers = None;
        } else if (100.0..1100.0).contains(&t) || t >= 1200.0 {
            s.ready_containers = Some(0);
        }
        s
    }));
    assert_eq!(first_page(&result, AnomalyType::NotReady), Some(1000.0));
    let second = result.iter().filter(|(t, _)| *t >= 1100.0);
    let second: Vec<_> = second.cloned().collect();
    assert_eq!(first_page(&second, AnomalyType::NotReady), Some(2100.0));

    // CPU pinned from 0; usage unknown during the outage (metrics-server down): the page comes
    // 10 min after the start, with the outage counted in.
    let result = run(every(5.0, 0.0, 900.0).map(|t| PodStateSample {
        cpu_utilisation: if (200.0..500.0).contains(&t) {
            None
        } else {
            Some(0.95)
        },
        ..healthy(t)
    }));
    assert!(result[40..100].iter().all(|(_, v)| v.is_empty()));
    assert_eq!(first_page(&result, AnomalyType::CpuSaturation), Some(600.0));

    // CrashLoopBackOff, then an outage longer than the back-off memory, then back-off again:
    // nothing showed it gone, so it has lasted since the first sighting.
    let result = run(every(5.0, 0.0, 500.0).map(|t| {
        if (100.0..430.0).contains(&t) {
            PodStateSample::unknown(at(t))
        } else {
            PodStateSample {
                reason: Some("CrashLoopBackOff"),
                ready_containers: Some(0),
                ..healthy(t)
            }
        }
    }));
    assert_eq!(first_page(&result, AnomalyType::CrashLoop), Some(430.0));

    // Restarts hidden by a gap are spread over it: three in an hour's gap are not a loop,
    // three in a 10 min gap are.
    let hidden = |gap: f64| {
        run(every(5.0, 0.0, gap + 100.0).map(move |t| PodStateSample {
            restarts: match t {
                t if t < 50.0 => Some(0),
                t if t < 50.0 + gap => None,
                _ => Some(3),
            },
            ..healthy(t)
        }))
    };
    assert!(never_pages(&hidden(3600.0)));
    assert_eq!(
        first_page(&hidden(600.0), AnomalyType::CrashLoop),
        Some(650.0)
    );
}

#[test]
fn samples_out_of_order_are_ignored() {
    let settings = KubeStateSettings::default();
    let mut tracker = PodStateTracker::new();
    let pending = |t| PodStateSample {
        phase: Some(PodPhase::Pending),
        ..PodStateSample::unknown(at(t))
    };
    tracker.observe(&pending(0.0), &settings);
    tracker.observe(&pending(1000.0), &settings);
    let before = tracker;
    assert!(tracker.observe(&healthy(500.0), &settings).is_empty());
    assert_eq!(tracker, before);
}

/// One pod's history as a function of time, sampled like the collector does: the termination
/// reason is shown in the interval in which the restart counter rose.
#[derive(Clone, Copy)]
struct Moment {
    phase: PodPhase,
    reason: Option<&'static str>,
    last_termination: Option<&'static str>,
    restarts: u32,
    ready: bool,
    cpu: f64,
}

/// The scripted history of a service pod: a restart, CPU pinned for 15 min, readiness flapping,
/// a crash loop, two OOM kills. Onsets are off the 5 s and 15 s grids on purpose.
fn service_pod(t: f64) -> Moment {
    let mut m = Moment {
        phase: PodPhase::Running,
        reason: None,
        last_termination: None,
        restarts: 0,
        ready: true,
        cpu: 0.4,
    };
    let within = |from: f64, to: f64| (from..to).contains(&t);
    // One crash at 607 s, restarted at 622 s, ready at 652 s.
    m.restarts += u32::from(t >= 622.0);
    if within(607.0, 622.0) {
        m.reason = Some("Error");
    }
    if t >= 607.0 {
        m.last_termination = Some("Error");
    }
    if within(607.0, 652.0) {
        m.ready = false;
    }
    if within(1203.0, 2103.0) {
        m.cpu = 0.95;
    }
    // Not ready 30 s out of every 70 s, four times.
    for start in [2411.0, 2481.0, 2551.0, 2621.0] {
        if within(start, start + 30.0) {
            m.ready = false;
        }
    }
    // A crash loop from 3307 s: back-offs of 20, 40, 80 and 160 s, 6 s of running between.
    let crashes = [3307.0, 3335.0, 3381.0, 3467.0];
    let restarts = [3327.0, 3375.0, 3461.0, 3627.0];
    for (crash, restart) in crashes.iter().zip(restarts) {
        m.restarts += u32::from(t >= restart);
        if within(*crash, restart) {
            m.reason = Some("CrashLoopBackOff");
        }
    }
    if within(3307.0, 3650.0) {
        m.ready = false;
    }
    // Two OOM kills, 5 min apart.
    for kill in [5007.0, 5307.0] {
        m.restarts += u32::from(t >= kill);
        if within(kill, kill + 20.0) {
            m.ready = false;
        }
        if t >= kill {
            m.last_termination = Some("OOMKilled");
        }
    }
    m
}

/// A pod that cannot pull its image for 25 min, then runs; later its node stops reporting.
fn stuck_pod(t: f64) -> Moment {
    let (phase, reason) = match t {
        t if t < 23.0 => (PodPhase::Pending, Some("ContainerCreating")),
        t if t < 1523.0 => (
            PodPhase::Pending,
            Some(if ((t - 23.0) / 20.0) as i64 % 2 == 0 {
                "ErrImagePull"
            } else {
                "ImagePullBackOff"
            }),
        ),
        t if (2003.0..3013.0).contains(&t) => (PodPhase::Unknown, None),
        _ => (PodPhase::Running, None),
    };
    Moment {
        phase,
        reason,
        last_termination: None,
        restarts: 0,
        ready: phase == PodPhase::Running && t >= 1543.0,
        cpu: 0.2,
    }
}

fn sample_script(script: fn(f64) -> Moment, step: f64, end: f64) -> Vec<(f64, Verdict)> {
    let mut previous_restarts = None;
    let samples: Vec<_> = every(step, 0.0, end)
        .map(|t| {
            let m = script(t);
            let rose = previous_restarts.is_some_and(|p| m.restarts > p);
            previous_restarts = Some(m.restarts);
            PodStateSample {
                phase: Some(m.phase),
                reason: m.reason.or(m.last_termination.filter(|_| rose)),
                restarts: Some(m.restarts),
                ready_containers: Some(u32::from(m.ready)),
                total_containers: Some(1),
                cpu_utilisation: Some(m.cpu).filter(|_| m.phase == PodPhase::Running),
                memory_utilisation: Some(0.5).filter(|_| m.phase == PodPhase::Running),
                ..PodStateSample::unknown(at(t))
            }
        })
        .collect();
    run(samples)
}

/// Per (kind, anchor): the start of each run of consecutive paging samples.
fn paging_runs(result: &[(f64, Verdict)]) -> BTreeMap<(AnomalyType, &'static str), Vec<f64>> {
    let mut runs: BTreeMap<_, Vec<f64>> = BTreeMap::new();
    let mut paging_before = BTreeSet::new();
    for (t, v) in result {
        let now: BTreeSet<_> = v
            .findings
            .iter()
            .filter(|f| f.pages)
            .map(|f| (f.kind, f.anchor))
            .collect();
        for key in now.difference(&paging_before) {
            runs.entry(*key).or_default().push(*t);
        }
        paging_before = now;
    }
    runs
}

fn kinds_seen(result: &[(f64, Verdict)]) -> BTreeSet<AnomalyType> {
    result
        .iter()
        .flat_map(|(_, v)| v.findings.iter().map(|f| f.kind))
        .collect()
}

/// The same behaviour sampled every 1 s, 5 s or 15 s gives the same findings: the same kinds,
/// the same pages, each starting within one sampling interval of the 1 s run's.
#[test]
fn findings_do_not_depend_on_the_sampling_interval() {
    for (script, end, expected) in [
        (
            service_pod as fn(f64) -> Moment,
            6000.0,
            vec![
                (AnomalyType::CpuSaturation, 1803.0),
                (AnomalyType::ReadinessFlapping, 2551.0),
                (AnomalyType::CrashLoop, 3461.0),
                (AnomalyType::OomKilled, 5307.0),
            ],
        ),
        (
            stuck_pod as fn(f64) -> Moment,
            4000.0,
            vec![
                (AnomalyType::ImagePullError, 323.0),
                (AnomalyType::Pending, 900.0),
                (AnomalyType::NotReady, 2903.0),
            ],
        ),
    ] {
        let fine = sample_script(script, 1.0, end);
        assert_consistent(&fine);
        let fine_runs = paging_runs(&fine);
        for (kind, at) in &expected {
            let starts: Vec<f64> = fine_runs
                .iter()
                .filter(|((k, _), _)| k == kind)
                .flat_map(|(_, starts)| starts.iter().copied())
                .collect();
            assert!(
                starts.contains(at),
                "{kind} pages at {starts:?}, expected {at}"
            );
        }
        let paged: BTreeSet<_> = fine_runs.keys().map(|(k, _)| *k).collect();
        let expected_kinds: BTreeSet<_> = expected.iter().map(|(k, _)| *k).collect();
        assert_eq!(paged, expected_kinds, "nothing else pages");

        for step in [5.0, 15.0] {
            let coarse = sample_script(script, step, end);
            assert_consistent(&coarse);
            assert_eq!(kinds_seen(&coarse), kinds_seen(&fine), "every {step} s");
            let coarse_runs = paging_runs(&coarse);
            assert_eq!(
                coarse_runs.keys().collect::<Vec<_>>(),
                fine_runs.keys().collect::<Vec<_>>(),
                "every {step} s"
            );
            for (key, fine_starts) in &fine_runs {
                let coarse_starts = &coarse_runs[key];
                assert_eq!(
                    coarse_starts.len(),
                    fine_starts.len(),
                    "{key:?} every {step} s"
                );
                for (c, f) in coarse_starts.iter().zip(fine_starts) {
                    assert!(
                        (c - f).abs() <= step,
                        "{key:?} every {step} s pages at {c}, every 1 s at {f}"
                    );
                }
            }
        }
    }
}

/// A tracker is kept per pod, so it must stay small: fixed rings and stamps, no vectors.
/// At most 256 bytes (four 64-byte cache lines) for every rule; 10 000 pods hold 2.5 MB.
#[test]
fn the_tracker_stays_small() {
    let size = std::mem::size_of::<PodStateTracker>();
    assert!(size <= 256, "PodStateTracker is {size} bytes");
}

#[test]
fn settings_outside_what_a_tracker_can_count_are_rejected() {
    assert_eq!(KubeStateSettings::default().validate(), Ok(()));
    let too_many = KubeStateSettings {
        crash_loop_restarts: 5,
        ..KubeStateSettings::default()
    };
    assert!(matches!(
        too_many.validate(),
        Err(KubeStateSettingsError::CountOutOfRange {
            name: "crash_loop_restarts",
            value: 5
        })
    ));
    let no_fraction = KubeStateSettings {
        cpu_saturation: 1.5,
        ..KubeStateSettings::default()
    };
    assert!(no_fraction.validate().is_err());
}
