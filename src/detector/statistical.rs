//! The statistical ensemble: robust z-scores against each pod's own history *and* its sibling
//! replicas, smoothed over time, plus rules on the states Kubernetes reports (crash loops, OOM
//! kills, readiness, saturation). It needs no training and is the fallback of every model.
//!
//! How a probability comes out:
//! 1. For CPU, memory and network, a deviation counts only when the pod is off both from its own
//!    past and from its siblings in the same direction (`min(|z_own|, |z_peer|)`): a load swell
//!    moves all replicas and is not an anomaly; a fault moves one. A pod without siblings uses its
//!    own z, discounted. Network errors use their own z above an absolute rate floor.
//! 2. Each deviation is smoothed with an EWMA, so one noisy sample does not alarm.
//! 3. The strongest smoothed deviation `E` maps to `p = 1 / (1 + exp(−k (E − c)))`.
//! 4. Rules give fixed probabilities for states that are anomalous by definition.
//! 5. The pod's probability is the largest of these; its type is the one that gave it.
//!
//! The probability is a monotone score in [0, 1], not yet calibrated against observed
//! false-alarm rates (calibration comes with the LSTM model).

use super::anomaly_type::{AnomalyType, Severity};
use super::pod_score::{Evidence, PodScore};
use super::AnomalyScorer;
use crate::features::{FeatureRow, PodKey, Signal, SIGNALS};
use crate::metrics_row::PodPhase;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct StatisticalSettings {
    /// Probability at or above which a pod is anomalous.
    pub alert_threshold: f64,
    /// Samples of history before statistical signals are trusted (rules apply from the start).
    pub min_history: u64,
    /// EWMA weight of the newest deviation.
    pub smoothing: f64,
    /// Deviation (in robust z units) at which the statistical probability is 0.5.
    pub midpoint: f64,
    /// Slope of the logistic map from deviation to probability.
    pub steepness: f64,
    /// Weight of a pod's own z when it has no sibling to compare with.
    pub singleton_weight: f64,
    /// Network errors per second below which errors are not evidence.
    pub min_error_rate: f64,
    /// Samples after a rollout during which a level change is attributed to it.
    pub rollout_window: u64,
    /// CPU utilisation of its limit counted as saturated.
    pub cpu_saturation: f64,
    /// Samples after a crash during which a restart counts as part of a crash loop.
    pub crash_memory: u64,
    /// A steady memory climb reaching the limit within this many minutes is a leak.
    pub leak_horizon_minutes: f64,
    /// How well memory must fit a straight line (R²) to count as a steady climb.
    pub leak_min_r_squared: f64,
}

impl Default for StatisticalSettings {
    fn default() -> Self {
        StatisticalSettings {
            alert_threshold: 0.7,
            min_history: 60,
            smoothing: 0.5,
            midpoint: 5.0,
            steepness: 1.5,
            singleton_weight: 0.6,
            min_error_rate: 0.5,
            rollout_window: 240,
            cpu_saturation: 0.9,
            crash_memory: 60,
            leak_horizon_minutes: 15.0,
            leak_min_r_squared: 0.7,
        }
    }
}

/// The deviations the ensemble tracks, in this order.
const TRACKED: [Signal; 5] = [
    Signal::Cpu,
    Signal::Memory,
    Signal::NetRx,
    Signal::NetTx,
    Signal::NetErrors,
];

#[derive(Debug, Clone, Default)]
struct PodState {
    smoothed: [f64; TRACKED.len()],
    samples_since_rollout: Option<u64>,
    /// Decaying peak of the smoothed memory deviation: was memory climbing before an OOM kill?
    memory_pressure: f64,
    last_memory_utilisation: Option<f64>,
    pending_samples: u64,
    saturated_samples: u64,
    /// Samples since the container last crashed (Error, CrashLoopBackOff, …).
    samples_since_crash: Option<u64>,
}

pub struct StatisticalEnsemble {
    settings: StatisticalSettings,
    pods: HashMap<PodKey, PodState>,
}

impl StatisticalEnsemble {
    pub fn settings(&self) -> &StatisticalSettings {
        &self.settings
    }

    pub fn new(settings: StatisticalSettings) -> StatisticalEnsemble {
        StatisticalEnsemble {
            settings,
            pods: HashMap::new(),
        }
    }

    fn score_one(&mut self, f: &FeatureRow) -> PodScore {
        let s = &self.settings;
        let state = self.pods.entry(f.key.clone()).or_default();
        let mut evidence = Vec::new();
        let mut candidates: Vec<(f64, AnomalyType)> = Vec::new();

        // Rollouts (an image pulled into a running pod) explain level changes that follow.
        if is_rollout_event(f) {
            state.samples_since_rollout = Some(0);
        } else if let Some(n) = state.samples_since_rollout.as_mut() {
            *n += 1;
        }
        let recent_rollout = state
            .samples_since_rollout
            .is_some_and(|n| n <= s.rollout_window);

        // 1–3: statistical deviations.
        let warm = f.age_samples >= s.min_history;
        if warm {
            for (slot, sig) in TRACKED.iter().enumerate() {
                let d = deviation(f, *sig, s);
                state.smoothed[slot] = s.smoothing * d + (1.0 - s.smoothing) * state.smoothed[slot];
            }
        } else {
            state.smoothed = Default::default();
        }
        let mem_slot = 1;
        state.memory_pressure = (state.memory_pressure * 0.98).max(state.smoothed[mem_slot]);
        let (slot, strongest) = state
            .smoothed
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .map(|(i, v)| (i, *v))
            .unwrap_or((0, 0.0));
        if warm && strongest != 0.0 {
            let p = 1.0 / (1.0 + (-s.steepness * (strongest.abs() - s.midpoint)).exp());
            let kind = statistical_type(TRACKED[slot], strongest, recent_rollout, f, s);
            candidates.push((p, kind));
        }
        if warm {
            for sig in SIGNALS {
                let z = f.z(sig);
                if z.is_finite() && z.abs() >= 3.0 {
                    evidence.push(Evidence {
                        feature: sig.name().to_string(),
                        value: round4(f.natural_value(sig)),
                        baseline: round4(f.natural_baseline(sig)),
                        deviation: round4(z),
                        detail: None,
                    });
                }
            }
        }

        // 4: rules on reported state (their candidates start here).
        let first_rule = candidates.len();
        let crashed_recently = state
            .samples_since_crash
            .is_some_and(|n| n < s.crash_memory);
        state.samples_since_crash = if is_crash_reason(f.reason.as_deref()) {
            Some(0)
        } else {
            state.samples_since_crash.map(|n| n + 1)
        };
        match f.reason.as_deref() {
            Some("CrashLoopBackOff") => {
                candidates.push((0.97, AnomalyType::CrashLoop));
                evidence.push(rule("reason", 1.0, 0.0, "container in CrashLoopBackOff"));
            }
            Some("OOMKilled") => {
                let leaking = state.memory_pressure >= 2.5
                    || state.last_memory_utilisation.is_some_and(|u| u >= 0.8);
                let kind = if leaking {
                    AnomalyType::MemoryLeak
                } else {
                    AnomalyType::OomKilled
                };
                candidates.push((0.95, kind));
                evidence.push(rule("reason", 1.0, 0.0, "container OOMKilled"));
            }
            Some("ImagePullBackOff" | "ErrImagePull" | "InvalidImageName") => {
                candidates.push((0.9, AnomalyType::ImagePullError));
                evidence.push(rule("reason", 1.0, 0.0, "image cannot be pulled"));
            }
            Some("CreateContainerConfigError" | "CreateContainerError" | "RunContainerError") => {
                candidates.push((0.9, AnomalyType::ContainerConfigError));
                evidence.push(rule("reason", 1.0, 0.0, "container cannot be created"));
            }
            Some("Error" | "ContainerCannotRun") => {
                candidates.push((0.85, AnomalyType::CrashLoop));
                evidence.push(rule("reason", 1.0, 0.0, "container exited with an error"));
            }
            _ => {}
        }
        if let Some(delta) = f.restart_delta.filter(|d| *d > 0) {
            // A restart soon after a crash is the crash loop going round; one that comes with a
            // rollout's image pull is expected.
            if crashed_recently {
                candidates.push((0.9, AnomalyType::CrashLoop));
            } else if state.samples_since_rollout != Some(0) {
                candidates.push((0.75, AnomalyType::ContainerRestart));
            }
            evidence.push(rule(
                "restarts",
                f.restarts.unwrap_or(0) as f64,
                (f.restarts.unwrap_or(0) - delta) as f64,
                &format!("{delta} restart(s) since the previous sample"),
            ));
        }
        if f.phase == Some(PodPhase::Pending) {
            state.pending_samples += 1;
            if state.pending_samples >= s.min_history {
                candidates.push((0.8, AnomalyType::Pending));
                evidence.push(rule(
                    "phase",
                    state.pending_samples as f64,
                    0.0,
                    "pod stuck in Pending",
                ));
            }
        } else {
            state.pending_samples = 0;
        }
        if warm && f.phase == Some(PodPhase::Running) {
            if f.ready_flips >= 3 {
                candidates.push((0.9, AnomalyType::ReadinessFlapping));
                evidence.push(rule(
                    "ready_flips",
                    f.ready_flips as f64,
                    0.0,
                    "readiness changed repeatedly in the last 2 minutes",
                ));
            } else if f.not_ready_recent >= 12 && f.ready_ratio.is_some_and(|r| r < 1.0) {
                candidates.push((0.8, AnomalyType::NotReady));
                evidence.push(rule(
                    "ready_ratio",
                    f.ready_ratio.unwrap_or(0.0),
                    1.0,
                    "running but not ready for a minute or more",
                ));
            }
        }
        match f.cpu_utilisation {
            Some(u) if u >= s.cpu_saturation => {
                state.saturated_samples += 1;
                if state.saturated_samples >= 3 {
                    candidates.push((0.85, AnomalyType::CpuSaturation));
                    evidence.push(rule("cpu_utilisation", round4(u), 1.0, "CPU at its limit"));
                }
            }
            _ => state.saturated_samples = 0,
        }
        if let Some(u) = f.memory_utilisation {
            if u >= 0.9 && state.smoothed[mem_slot] >= 2.0 {
                candidates.push((0.85, AnomalyType::MemoryLeak));
                evidence.push(rule(
                    "memory_utilisation",
                    round4(u),
                    1.0,
                    "memory close to its limit and rising",
                ));
            }
        }
        if let Some(t) = f.memory_trend.filter(|_| warm) {
            if let Some(minutes) = t.minutes_to_limit {
                let steady = t.r_squared >= s.leak_min_r_squared;
                let high = f.memory_utilisation.is_some_and(|u| u >= 0.5);
                // A sawtooth climbs too, but within its usual range; a leak leaves it.
                let above_normal = f.z(Signal::Memory) >= 2.0;
                if steady && high && above_normal && minutes <= s.leak_horizon_minutes {
                    let p = if minutes <= s.leak_horizon_minutes / 3.0 {
                        0.9
                    } else {
                        0.8
                    };
                    candidates.push((p, AnomalyType::MemoryLeak));
                    evidence.push(rule(
                        "memory_minutes_to_limit",
                        round4(minutes),
                        s.leak_horizon_minutes,
                        &format!(
                            "memory growing {:.1} MiB/min; limit reached in about {:.0} min",
                            t.bytes_per_minute / 1048576.0,
                            minutes.ceil()
                        ),
                    ));
                }
            }
        }
        state.last_memory_utilisation = f.memory_utilisation;

        // 5: the strongest candidate gives the probability; the type comes from the strongest
        // rule when one fired, since a reported state (CrashLoopBackOff, OOMKilled) names the
        // fault more precisely than the metric deviations it causes.
        let strongest_of =
            |c: &[(f64, AnomalyType)]| c.iter().copied().max_by(|a, b| a.0.total_cmp(&b.0));
        let best = strongest_of(&candidates);
        let best_rule = strongest_of(&candidates[first_rule..]);
        let (p, kind) = match (best, best_rule) {
            (Some((p, _)), Some((_, rule_kind))) => (p, rule_kind),
            (Some(best), None) => best,
            _ => (0.0, AnomalyType::LevelShift),
        };
        let p = p.clamp(0.0, 1.0);
        let is_anomaly = p >= s.alert_threshold;
        let severity = if !is_anomaly {
            Severity::Info
        } else if p >= 0.95 || matches!(kind, AnomalyType::CrashLoop | AnomalyType::OomKilled) {
            Severity::Critical
        } else {
            Severity::Warning
        };
        PodScore::of(f, p, is_anomaly, kind, severity, evidence)
    }
}

impl AnomalyScorer for StatisticalEnsemble {
    fn name(&self) -> &'static str {
        "statistical"
    }

    fn score(&mut self, features: &[FeatureRow]) -> Vec<PodScore> {
        features.iter().map(|f| self.score_one(f)).collect()
    }

    fn forget(&mut self, pods: &[PodKey]) {
        for p in pods {
            self.pods.remove(p);
        }
    }
}

/// Signed deviation of one tracked signal (0 when there is no evidence).
fn deviation(f: &FeatureRow, sig: Signal, s: &StatisticalSettings) -> f64 {
    let own = f.z(sig);
    if !own.is_finite() {
        return 0.0;
    }
    if sig == Signal::NetErrors {
        let rate = f.natural_value(sig);
        return if own > 0.0 && rate >= s.min_error_rate {
            own
        } else {
            0.0
        };
    }
    let peer = match sig {
        Signal::Cpu => f.z(Signal::PeerCpu),
        Signal::Memory => f.z(Signal::PeerMemory),
        Signal::NetRx => f.z(Signal::PeerNetRx),
        Signal::NetTx => f.z(Signal::PeerNetTx),
        _ => f64::NAN,
    };
    if peer.is_finite() {
        if own.signum() == peer.signum() {
            own.signum() * own.abs().min(peer.abs())
        } else {
            0.0
        }
    } else {
        own * s.singleton_weight
    }
}

pub(crate) fn statistical_type(
    sig: Signal,
    d: f64,
    recent_rollout: bool,
    f: &FeatureRow,
    s: &StatisticalSettings,
) -> AnomalyType {
    match (sig, d > 0.0) {
        (Signal::NetErrors, _) => AnomalyType::NetworkErrors,
        (_, true) if recent_rollout => AnomalyType::LevelShift,
        (Signal::Cpu, true) => {
            if f.cpu_utilisation
                .is_some_and(|u| u < s.cpu_saturation * 0.8)
            {
                AnomalyType::LevelShift
            } else {
                AnomalyType::CpuSaturation
            }
        }
        (Signal::Memory, true) => AnomalyType::MemoryLeak,
        (Signal::NetRx | Signal::NetTx, true) => AnomalyType::TrafficSurge,
        (Signal::Memory, false) => AnomalyType::LevelShift,
        (_, false) => AnomalyType::TrafficDrop,
        // Only the tracked signals reach here; anything else is a generic level change.
        (_, true) => AnomalyType::LevelShift,
    }
}

fn is_crash_reason(reason: Option<&str>) -> bool {
    matches!(
        reason,
        Some("CrashLoopBackOff" | "Error" | "ContainerCannotRun" | "OOMKilled")
    )
}

fn is_rollout_event(f: &FeatureRow) -> bool {
    matches!(f.event_reason.as_deref(), Some("Pulled")) && f.restart_delta.is_some_and(|d| d > 0)
}

fn rule(feature: &str, value: f64, baseline: f64, detail: &str) -> Evidence {
    Evidence {
        feature: feature.to_string(),
        value,
        baseline,
        deviation: if baseline != 0.0 {
            value / baseline
        } else {
            value
        },
        detail: Some(detail.to_string()),
    }
}

pub(crate) fn round4(v: f64) -> f64 {
    if v.is_finite() {
        (v * 1e4).round() / 1e4
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::FeatureBuilder;
    use crate::metrics_row::PodMetricsRow;
    use std::time::Duration;

    const PODS: [&str; 3] = [
        "web-5d8f7c9b4-bbbbb",
        "web-5d8f7c9b4-ccccc",
        "web-5d8f7c9b4-ddddd",
    ];

    fn healthy(t: i64, pod: &str, load: f64) -> PodMetricsRow {
        let ts = chrono::DateTime::from_timestamp(1_700_000_000 + 5 * t, 0).unwrap();
        let mut r = PodMetricsRow::empty(ts, "shop", pod);
        r.phase = Some(PodPhase::Running);
        r.restarts = Some(0);
        r.ready_containers = Some(1);
        r.total_containers = Some(1);
        // Deterministic small wobble so the baselines have a spread.
        let wobble = 1.0 + 0.03 * ((t as f64 * 0.7 + pod.len() as f64).sin());
        r.cpu_millicores = Some(100.0 * load * wobble);
        r.memory_bytes = Some(200e6 * wobble);
        r.memory_limit_bytes = Some(400e6);
        r.net_rx_bytes_per_s = Some(1e6 * load * wobble);
        r.net_tx_bytes_per_s = Some(5e5 * load * wobble);
        r
    }

    /// Runs `ticks` ticks; `change` may alter each row. Returns the scores of the last tick.
    fn run(
        ticks: i64,
        change: impl Fn(i64, &str, &mut PodMetricsRow),
    ) -> (Vec<PodScore>, Vec<Vec<PodScore>>) {
        let mut fb = FeatureBuilder::new(720, Duration::from_secs(300));
        let mut scorer = StatisticalEnsemble::new(StatisticalSettings::default());
        let mut all = Vec::new();
        for t in 0..ticks {
            let rows: Vec<_> = PODS
                .iter()
                .map(|p| {
                    let mut r = healthy(t, p, 1.0);
                    change(t, p, &mut r);
                    r
                })
                .collect();
            let f = fb.tick(&rows).unwrap();
            all.push(scorer.score(&f));
        }
        (all.last().unwrap().clone(), all)
    }

    #[test]
    fn a_swell_on_every_replica_is_not_an_anomaly() {
        let (_, all) = run(200, |t, _, r| {
            if t >= 120 {
                let swell = 1.0 + (t - 120) as f64 / 40.0; // up to 3x
                *r = healthy(t, &r.pod.clone(), swell);
            }
        });
        assert!(all.iter().flatten().all(|s| !s.is_anomaly));
    }

    #[test]
    fn the_same_rise_on_one_replica_is() {
        // Checked 10 ticks after the rise: once a change fills about a quarter of the history
        // window, the quartiles move and it becomes the pod's new normal.
        let (last, _) = run(130, |t, pod, r| {
            if t >= 120 && pod == PODS[0] {
                r.cpu_millicores = r.cpu_millicores.map(|c| c * 3.0);
            }
        });
        assert!(last[0].is_anomaly, "{:?}", last[0]);
        // CPU alone rising, with no limit to compare with: saturation.
        assert_eq!(last[0].anomaly_type, Some(AnomalyType::CpuSaturation));
        assert!(last[0].evidence.iter().any(|e| e.feature == "cpu"));
        assert!(!last[1].is_anomaly && !last[2].is_anomaly);
    }

    #[test]
    fn crash_loop_is_reported_without_history_and_statistics_wait_for_it() {
        // Back-off, back-off, then the restart (no reason, restarts + 1): still the crash loop.
        let (_, all) = run(3, |t, pod, r| {
            if pod == PODS[1] {
                r.reason = (t < 2).then(|| "CrashLoopBackOff".into());
                r.restarts = Some((t / 2) as u32);
                r.ready_containers = Some(0);
            }
            if pod == PODS[2] {
                r.cpu_millicores = Some(5000.0); // no baseline yet: not judged
            }
        });
        let first = &all[0];
        assert!(all
            .iter()
            .all(|tick| tick[1].anomaly_type == Some(AnomalyType::CrashLoop)));
        assert!(first[1].is_anomaly);
        assert_eq!(first[1].anomaly_type, Some(AnomalyType::CrashLoop));
        assert_eq!(first[1].severity, Severity::Critical);
        assert!(all.iter().all(|tick| !tick[2].is_anomaly));
    }

    #[test]
    fn a_leak_is_flagged_before_the_oom_kill() {
        let (_, all) = run(260, |t, pod, r| {
            if pod == PODS[0] && t >= 120 {
                // +1.2 MB per 5 s: 200 MB -> 368 MB over 140 ticks; limit 400 MB.
                r.memory_bytes = Some(200e6 + (t - 120) as f64 * 1.2e6);
            }
        });
        let first_alert = all.iter().position(|tick| tick[0].is_anomaly);
        let first_alert = first_alert.expect("leak flagged");
        assert!(first_alert < 260, "flagged before reaching the limit");
        assert_eq!(
            all[first_alert][0].anomaly_type,
            Some(AnomalyType::MemoryLeak)
        );
        let last = all.last().unwrap();
        assert!(last[0]
            .evidence
            .iter()
            .any(|e| e.feature == "memory_minutes_to_limit"));
    }
}
