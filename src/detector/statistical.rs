//! The statistical verdict on a pod: its signals' judgements (each against its own past, see
//! [`crate::signal`]) read together with its sibling replicas, plus the rules on the states
//! Kubernetes reports ([`super::kube_state`]). It needs no training and is the fallback of
//! every model.
//!
//! How a probability comes out:
//! 1. **Signals.** Each tracked signal's reading carries a tail probability `u`: the chance of
//!    something this unusual in that signal's normal behaviour.
//! 2. **Siblings.** For CPU, memory and network a deviation counts only when the pod is off
//!    both from its own past *and* from its sibling replicas, in the same direction: the larger
//!    (weaker) of the own and the peer tail. A load swell, an HPA scale-out or a deploy moves
//!    every replica and is not an anomaly; a fault moves one. A pod without siblings has its
//!    own tail discounted (`u^w`, [`StatisticalSettings::singleton_weight`]). Network errors
//!    count above an absolute rate.
//! 3. **One rate per pod.** The least of those tails times their number (Bonferroni), `u`, is
//!    how unusual the pod's metrics are by the signals' own accounts. Those accounts assume
//!    the judged averages are normal, and real noise wanders (it is autocorrelated and
//!    heavy-tailed), so healthy pods reach a given `u` more often than `u` says: on a
//!    simulator run, 5e-4 of healthy samples reached `u = 1e-5`. So `u` is calibrated like
//!    the LSTM's surprise ([`crate::model::calibration`]): the share of healthy samples of the
//!    training data at least as unusual, `−log10 u` being the surprise, through the same
//!    documented map (`p = 0.7` where one healthy sample in 100,000 is as unusual). The table
//!    ships with the model (`config.json`, `statistics`); without it `u` itself is the rate.
//! 4. **States.** The Kubernetes-state rules add findings: single events as evidence, below
//!    the alert threshold; repeated or sustained states as alarms, anchored on the
//!    kubernetes-mixin alerts. A steady memory climb that will reach the limit soon is one more
//!    rule.
//! 5. **A state explains its metrics.** While a pod restarts, is not ready or not running, or
//!    fails a probe, its traffic and CPU move because of that state (a liveness-probe restart
//!    empties its endpoints for half a minute). Its signals are then neither judged nor
//!    learned from ([`FeatureRow::explained_by_state`]): whether the state pages is the rules'
//!    call (a repeated restart, a sustained not-ready spell), and the signals resume against
//!    the pod's normal from before it. A memory climb before an OOM kill is seen before the
//!    state changes.
//! 6. The pod's probability is the largest; its type comes from a paging rule when one fires
//!    (a reported state names the fault better than the metrics it moves), else from what gave
//!    the probability.

use super::anomaly_type::{AnomalyType, Severity};
use super::kube_state::{anchor, KubeStateSettings, PodStateSample, PodStateTracker};
use super::pod_score::{Evidence, PodScore};
use super::AnomalyScorer;
use crate::features::{FeatureRow, PodKey, Signal, SIGNALS};
use crate::model::calibration::{probability_of_rate, Calibration};
use crate::signal::SignalReading;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct StatisticalSettings {
    /// Probability at or above which a pod is anomalous.
    pub alert_threshold: f64,
    /// A lone pod's tail counts as `u^w`: without siblings a load swell cannot be told from a
    /// fault, so it takes stronger evidence.
    pub singleton_weight: f64,
    /// Network errors per second below which errors are not evidence.
    pub min_error_rate: f64,
    /// Time after a rollout (an image pulled into a running pod) during which a level change
    /// is attributed to it.
    pub rollout_window: TimeDelta,
    /// A steady memory climb reaching the limit within this many minutes is a leak.
    pub leak_horizon_minutes: f64,
    /// How well memory must fit a straight line (R²) to count as a steady climb.
    pub leak_min_r_squared: f64,
    /// The Kubernetes-state rules.
    pub kube_state: KubeStateSettings,
}

impl Default for StatisticalSettings {
    fn default() -> Self {
        StatisticalSettings {
            alert_threshold: 0.7,
            singleton_weight: 0.6,
            min_error_rate: 0.5,
            rollout_window: TimeDelta::minutes(20),
            leak_horizon_minutes: 15.0,
            leak_min_r_squared: 0.7,
            kube_state: KubeStateSettings::default(),
        }
    }
}

/// The signals whose deviations can raise an alarm, in this order. Disk I/O is evidence only:
/// it has no sibling comparison, and a backup or a compaction moves it on healthy pods.
const TRACKED: [Signal; 5] = [
    Signal::Cpu,
    Signal::Memory,
    Signal::NetRx,
    Signal::NetTx,
    Signal::NetErrors,
];

/// How long a memory deviation is remembered when an OOM kill comes (was it a climb?).
const MEMORY_PRESSURE_SECONDS: f64 = 240.0;

#[derive(Debug, Clone, Default)]
struct PodState {
    rules: PodStateTracker,
    last_rollout: Option<DateTime<Utc>>,
    /// Decaying peak of the memory z-score: was memory climbing before an OOM kill?
    memory_pressure: f64,
    last_memory_utilisation: Option<f64>,
}

pub struct StatisticalEnsemble {
    settings: StatisticalSettings,
    /// Healthy tail rates of the evidence's decades (`−log10 u`); `None`: `u` is the rate.
    calibration: Option<Calibration>,
    pods: HashMap<PodKey, PodState>,
}

/// Where a candidate probability came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The signals, read with the siblings.
    Signals,
    /// A rule that pages (repeated or sustained state, or the memory projection).
    Page,
    /// A rule's evidence: a single event, below the alert threshold.
    Evidence,
}

/// A candidate verdict: probability, type, where it came from.
type Candidate = (f64, AnomalyType, Source);

/// One tracked signal's evidence: its corrected tail and the reading that gave it.
#[derive(Debug, Clone, Copy)]
struct SignalEvidence {
    signal: Signal,
    tail: f64,
    z: f64,
}

impl StatisticalEnsemble {
    pub fn settings(&self) -> &StatisticalSettings {
        &self.settings
    }

    pub fn new(settings: StatisticalSettings) -> StatisticalEnsemble {
        StatisticalEnsemble {
            settings,
            calibration: None,
            pods: HashMap::new(),
        }
    }

    /// The same detector, its evidence calibrated by `calibration` (see the module docs).
    pub fn calibrated(mut self, calibration: Calibration) -> StatisticalEnsemble {
        self.calibration = Some(calibration);
        self
    }

    /// Scores one tick with the details an ensemble or a calibration needs.
    pub fn score_detailed(&mut self, features: &[FeatureRow]) -> Vec<StatisticalVerdict> {
        features.iter().map(|f| self.score_one(f)).collect()
    }

    fn score_one(&mut self, f: &FeatureRow) -> StatisticalVerdict {
        let s = &self.settings;
        let state = match self.pods.get_mut(&f.key) {
            Some(state) => state,
            None => self.pods.entry(f.key.clone()).or_default(),
        };
        if !f.measured {
            return StatisticalVerdict {
                score: PodScore::unknown(f),
                decades: None,
                explained_by_state: false,
                signals_probability: 0.0,
            };
        }
        // 5: a state that explains the metrics: the features judged no signal.
        let explained_by_state = f.explained_by_state;
        let mut evidence = Vec::new();
        let mut candidates: Vec<Candidate> = Vec::new();

        // Rollouts (an image pulled into a running pod) explain level changes that follow.
        if is_rollout_event(f) {
            state.last_rollout = Some(f.timestamp);
        }
        let recent_rollout = state
            .last_rollout
            .is_some_and(|r| f.timestamp - r <= s.rollout_window);

        // 1-3: the signals, read with the siblings.
        let judged: Vec<SignalEvidence> = TRACKED
            .iter()
            .filter_map(|sig| signal_evidence(f, *sig, s))
            .collect();
        let mut decades = None;
        let mut signals_probability = 0.0;
        if let Some(strongest) = judged.iter().min_by(|a, b| a.tail.total_cmp(&b.tail)) {
            let u = (strongest.tail * judged.len() as f64).clamp(1e-300, 1.0);
            let surprise = -u.log10();
            decades = Some(surprise);
            let rate = self
                .calibration
                .as_ref()
                .map_or(u, |c| c.tail_rate(surprise));
            let p = probability_of_rate(rate);
            signals_probability = p;
            let kind = statistical_type(strongest.signal, strongest.z, recent_rollout, f);
            candidates.push((p, kind, Source::Signals));
        }
        let memory_z = f.z(Signal::Memory);
        let keep = (-f.tick.elapsed / MEMORY_PRESSURE_SECONDS).exp();
        state.memory_pressure =
            (state.memory_pressure * keep).max(if memory_z.is_finite() { memory_z } else { 0.0 });
        for sig in SIGNALS {
            if let Some(r) = f.readings[sig.index()].filter(|r| r.z.abs() >= 3.0) {
                evidence.push(signal_evidence_entry(f, sig, &r));
            }
        }

        // 4: the Kubernetes-state rules.
        let verdict = state
            .rules
            .observe(&PodStateSample::from_features(f), &s.kube_state);
        for finding in verdict.findings {
            let mut kind = finding.kind;
            if kind == AnomalyType::OomKilled
                && (state.memory_pressure >= 2.5
                    || state.last_memory_utilisation.is_some_and(|u| u >= 0.8))
            {
                kind = AnomalyType::MemoryLeak;
            }
            // Usage at a limit is a metric too: as evidence it does not name the fault over
            // the signals (a level shift can touch 90% of the CPU limit).
            let usage = matches!(
                finding.anchor,
                anchor::CPU_THROTTLING_HIGH | anchor::KUBE_QUOTA_ALMOST_FULL
            );
            let source = if finding.pages {
                Source::Page
            } else if usage {
                Source::Signals
            } else {
                Source::Evidence
            };
            candidates.push((finding.probability, kind, source));
            evidence.push(finding.evidence);
        }
        if let Some(leak) = leak_projection(f, s) {
            candidates.push((leak.0, AnomalyType::MemoryLeak, Source::Page));
            evidence.push(leak.1);
        }
        state.last_memory_utilisation = f.memory_utilisation;

        // 5: the strongest candidate gives the probability; a rule names the type when one
        // found anything (a paging one first): a reported state such as CrashLoopBackOff names
        // the fault better than the drop in traffic it causes.
        let strongest =
            |c: &mut dyn Iterator<Item = &Candidate>| c.copied().max_by(|a, b| a.0.total_cmp(&b.0));
        let best = strongest(&mut candidates.iter());
        let best_rule = strongest(&mut candidates.iter().filter(|c| c.2 == Source::Page))
            .or_else(|| strongest(&mut candidates.iter().filter(|c| c.2 == Source::Evidence)));
        let (p, kind) = match (best, best_rule) {
            (Some((p, _, _)), Some((_, rule_kind, _))) => (p, rule_kind),
            (Some((p, kind, _)), None) => (p, kind),
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
        StatisticalVerdict {
            score: PodScore::of(f, p, is_anomaly, kind, severity, evidence),
            decades,
            explained_by_state,
            signals_probability,
        }
    }
}

/// The statistical verdict on a pod with what an ensemble or a calibration needs besides.
#[derive(Debug, Clone)]
pub struct StatisticalVerdict {
    pub score: PodScore,
    /// The decades of the signals' evidence (`−log10 u`, before calibration; `None` where no
    /// signal judged): what calibration is fitted on.
    pub decades: Option<f64>,
    /// Whether a state the pod is (or just was) in explains its metrics (module docs, 5): a
    /// model reading the same metrics must not page on them either.
    pub explained_by_state: bool,
    /// The probability the signals' evidence alone gives (0 where no signal judged): what a
    /// model reading the same metrics may corroborate. The Kubernetes-state rules' evidence is
    /// left out: a single restart is evidence, and agreeing with it must not page.
    pub signals_probability: f64,
}

impl AnomalyScorer for StatisticalEnsemble {
    fn name(&self) -> &'static str {
        "statistical"
    }

    fn score(&mut self, features: &[FeatureRow]) -> Vec<PodScore> {
        features.iter().map(|f| self.score_one(f).score).collect()
    }

    fn forget(&mut self, pods: &[PodKey]) {
        for p in pods {
            self.pods.remove(p);
        }
    }

    fn set_alert_threshold(&mut self, threshold: f64) {
        self.settings.alert_threshold = threshold;
    }
}

/// The evidence one tracked signal gives, read with its sibling comparison (module docs, 2).
fn signal_evidence(f: &FeatureRow, sig: Signal, s: &StatisticalSettings) -> Option<SignalEvidence> {
    let own = f.readings[sig.index()]?;
    if sig == Signal::NetErrors {
        let rate = f.natural_value(sig);
        return (own.z > 0.0 && rate >= s.min_error_rate).then_some(SignalEvidence {
            signal: sig,
            tail: own.tail,
            z: own.z,
        });
    }
    let peer = match sig {
        Signal::Cpu => Signal::PeerCpu,
        Signal::Memory => Signal::PeerMemory,
        Signal::NetRx => Signal::PeerNetRx,
        Signal::NetTx => Signal::PeerNetTx,
        _ => return None,
    };
    let tail = match f.readings[peer.index()].filter(|_| f.has_peers) {
        Some(p) if p.z.signum() == own.z.signum() => own.tail.max(p.tail),
        Some(_) => return None,
        None if f.has_peers => return None,
        None => own.tail.powf(s.singleton_weight),
    };
    Some(SignalEvidence {
        signal: sig,
        tail,
        z: own.z,
    })
}

/// A signal's reading as evidence: value, normal and z, and in words how unusual it is.
fn signal_evidence_entry(f: &FeatureRow, sig: Signal, r: &SignalReading) -> Evidence {
    Evidence {
        feature: sig.name().to_string(),
        value: round4(f.natural_value(sig)),
        baseline: round4(sig.untransform(r.level)),
        deviation: round4(r.z),
        detail: Some(format!(
            "{} for this pod: about 1 in {:.0e} of its normal ({})",
            if r.z > 0.0 { "high" } else { "low" },
            1.0 / r.tail.max(1e-300),
            r.strongest.name().replace('_', " ")
        )),
    }
}

/// A steady memory climb that reaches the limit soon: `(probability, evidence)`. It follows
/// the spirit of node-exporter's `NodeFilesystemSpaceFillingUp` (`predict_linear` to full),
/// for a container's memory.
fn leak_projection(f: &FeatureRow, s: &StatisticalSettings) -> Option<(f64, Evidence)> {
    let t = f.memory_trend?;
    let minutes = t.minutes_to_limit?;
    let steady = t.r_squared >= s.leak_min_r_squared;
    let high = f.memory_utilisation.is_some_and(|u| u >= 0.5);
    // A sawtooth climbs too, but within its usual range; a leak leaves it.
    let above_normal = f.z(Signal::Memory) >= 2.0;
    if !(steady && high && above_normal && minutes <= s.leak_horizon_minutes) {
        return None;
    }
    let p = if minutes <= s.leak_horizon_minutes / 3.0 {
        0.9
    } else {
        0.8
    };
    let evidence = rule(
        "memory_minutes_to_limit",
        round4(minutes),
        s.leak_horizon_minutes,
        &format!(
            "memory growing {:.1} MiB/min; limit reached in about {:.0} min",
            t.bytes_per_minute / 1048576.0,
            minutes.ceil()
        ),
    );
    Some((p, evidence))
}

pub(crate) fn statistical_type(
    sig: Signal,
    d: f64,
    recent_rollout: bool,
    f: &FeatureRow,
) -> AnomalyType {
    match (sig, d > 0.0) {
        (Signal::NetErrors, _) => AnomalyType::NetworkErrors,
        (_, true) if recent_rollout => AnomalyType::LevelShift,
        (Signal::Cpu, true) => {
            if f.cpu_utilisation.is_some_and(|u| u < 0.72) {
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
    use crate::metrics_row::{PodMetricsRow, PodPhase};
    use crate::signal::SignalSettings;
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
        // Deterministic small wobble, its own on each pod, so levels and peers have a spread.
        let phase = pod.bytes().last().unwrap_or(0) as f64;
        let wobble = 1.0 + 0.03 * ((t as f64 * 0.7 + phase).sin());
        r.cpu_millicores = Some(100.0 * load * wobble);
        r.memory_bytes = Some(200e6 * wobble);
        r.memory_limit_bytes = Some(400e6);
        r.net_rx_bytes_per_s = Some(1e6 * load * wobble);
        r.net_tx_bytes_per_s = Some(5e5 * load * wobble);
        r
    }

    /// Runs `ticks` ticks of 5 s; `change` may alter each row. Returns every tick's scores.
    fn run(ticks: i64, change: impl Fn(i64, &str, &mut PodMetricsRow)) -> Vec<Vec<PodScore>> {
        let mut fb = FeatureBuilder::new(SignalSettings::default(), Duration::from_secs(300));
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
        all
    }

    #[test]
    fn a_reloaded_threshold_applies_from_the_next_tick_with_the_state_kept() {
        let mut fb = FeatureBuilder::new(SignalSettings::default(), Duration::from_secs(300));
        let mut scorer = StatisticalEnsemble::new(StatisticalSettings::default());
        let mut last = Vec::new();
        for t in 0..60 {
            if t == 30 {
                // A threshold above what the crash loop scores: it no longer pages.
                scorer.set_alert_threshold(0.999);
            }
            let rows: Vec<_> = PODS
                .iter()
                .map(|p| {
                    let mut r = healthy(t, p, 1.0);
                    if *p == PODS[2] {
                        r.reason = Some("CrashLoopBackOff".into());
                        r.restarts = Some((t / 6) as u32);
                        r.ready_containers = Some(0);
                    }
                    r
                })
                .collect();
            let scores = scorer.score(&fb.tick(&rows).unwrap());
            if t == 29 {
                assert!(scores[2].is_anomaly, "pages at 0.7: {:?}", scores[2]);
            }
            last = scores;
        }
        let crash = &last[2];
        assert!(!crash.is_anomaly, "{crash:?}");
        assert!(crash.anomaly_probability < 0.999 && crash.anomaly_probability >= 0.7);
        assert_eq!(
            crash.anomaly_type,
            Some(AnomalyType::CrashLoop),
            "the state (the crash loop seen) is kept"
        );
    }

    /// After 30 minutes of calm (ticks 0..360), a change.
    const CHANGE_AT: i64 = 360;

    #[test]
    fn a_swell_on_every_replica_is_not_an_anomaly() {
        let all = run(CHANGE_AT + 200, |t, pod, r| {
            if t >= CHANGE_AT {
                let swell = 1.0 + (t - CHANGE_AT) as f64 / 60.0; // up to 4x in 17 minutes
                *r = healthy(t, pod, swell.min(3.0));
            }
        });
        let worst = all
            .iter()
            .flatten()
            .map(|s| s.anomaly_probability)
            .fold(0.0, f64::max);
        assert!(all.iter().flatten().all(|s| !s.is_anomaly), "worst {worst}");
    }

    #[test]
    fn the_same_rise_on_one_replica_is() {
        let all = run(CHANGE_AT + 24, |t, pod, r| {
            if t >= CHANGE_AT && pod == PODS[0] {
                r.cpu_millicores = r.cpu_millicores.map(|c| c * 3.0);
            }
        });
        let first = all[CHANGE_AT as usize..]
            .iter()
            .position(|tick| tick[0].is_anomaly)
            .expect("the rise is found within two minutes");
        let at = &all[CHANGE_AT as usize + first][0];
        assert_eq!(at.anomaly_type, Some(AnomalyType::CpuSaturation), "{at:?}");
        assert!(at.evidence.iter().any(|e| e.feature == "cpu"));
        assert!(all
            .iter()
            .all(|tick| !tick[1].is_anomaly && !tick[2].is_anomaly));
    }

    #[test]
    fn a_single_restart_is_evidence_and_a_crash_loop_pages_without_waiting_for_warm_up() {
        // Pod 1 restarts once at 1 min; pod 2 crash-loops from its first sample.
        let all = run(120, |t, pod, r| {
            if pod == PODS[1] && t >= 12 {
                r.restarts = Some(1);
            }
            if pod == PODS[2] {
                r.reason = (t % 6 < 4).then(|| "CrashLoopBackOff".into());
                r.restarts = Some((t / 6) as u32);
                r.ready_containers = Some(0);
            }
        });
        let restart = &all[12][1];
        assert!(!restart.is_anomaly, "{restart:?}");
        assert!(
            restart.evidence.iter().any(|e| e.feature == "restarts"),
            "{restart:?}"
        );
        assert!(all.iter().all(|tick| !tick[1].is_anomaly));
        let first = all.iter().position(|tick| tick[2].is_anomaly);
        let first = first.expect("the crash loop pages");
        assert!(first < 96, "before the signals' 8-minute warm-up: {first}");
        assert_eq!(all[first][2].anomaly_type, Some(AnomalyType::CrashLoop));
        assert_eq!(all[first][2].severity, Severity::Critical);
    }

    #[test]
    fn a_single_sample_at_the_cpu_limit_is_evidence_and_a_sustained_one_pages() {
        let with_limit = |r: &mut PodMetricsRow| r.cpu_limit_millicores = Some(200.0);
        // One sample at 98% of the limit on one replica, then normal again.
        let blip = run(CHANGE_AT + 24, |t, pod, r| {
            with_limit(r);
            if t == CHANGE_AT && pod == PODS[0] {
                r.cpu_millicores = Some(196.0);
            }
        });
        let at = &blip[CHANGE_AT as usize][0];
        assert!(
            at.evidence.iter().any(|e| e.feature == "cpu_utilisation"),
            "{at:?}"
        );
        assert!(
            blip.iter().flatten().all(|s| !s.is_anomaly),
            "a blip does not page"
        );
        // The same level for 12 minutes pages.
        let sustained = run(CHANGE_AT + 144, |t, pod, r| {
            with_limit(r);
            if t >= CHANGE_AT && pod == PODS[0] {
                r.cpu_millicores = Some(196.0);
            }
        });
        let first = sustained.iter().position(|tick| tick[0].is_anomaly);
        let first = first.expect("sustained saturation pages");
        assert!(first as i64 >= CHANGE_AT, "not before it starts");
        assert_eq!(
            sustained[first][0].anomaly_type,
            Some(AnomalyType::CpuSaturation)
        );
    }

    #[test]
    fn a_leak_is_flagged_before_the_oom_kill() {
        let all = run(CHANGE_AT + 150, |t, pod, r| {
            if pod == PODS[0] && t >= CHANGE_AT {
                // +1.2 MB per 5 s: 200 MB -> 380 MB over 150 ticks; limit 400 MB.
                r.memory_bytes = Some(200e6 + (t - CHANGE_AT) as f64 * 1.2e6);
            }
        });
        let first = all.iter().position(|tick| tick[0].is_anomaly);
        let first = first.expect("leak flagged");
        assert_eq!(all[first][0].anomaly_type, Some(AnomalyType::MemoryLeak));
        let last = all.last().unwrap();
        assert!(last[0]
            .evidence
            .iter()
            .any(|e| e.feature == "memory_minutes_to_limit"));
    }

    #[test]
    fn an_empty_row_is_unknown_not_normal() {
        let all = run(CHANGE_AT + 2, |t, pod, r| {
            if t > CHANGE_AT && pod == PODS[0] {
                *r = PodMetricsRow::empty(r.timestamp, "shop", pod);
            }
        });
        let last = &all.last().unwrap()[0];
        assert!(last.is_unknown() && !last.is_anomaly, "{last:?}");
    }
}
