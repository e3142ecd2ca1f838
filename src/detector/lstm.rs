//! The LSTM scorer: each pod's forecaster state advanced one step per sample (all pods in one
//! batched step), its residuals read as a spike and a drift statistic and calibrated into a
//! probability; in the ensemble it runs beside the statistical detectors and rules, and the
//! stronger of the two speaks where the statistics or the pod's siblings back the LSTM (see
//! `combine`).
//!
//! Both probabilities are tail rates under one map (see [`crate::model::calibration`]), so
//! "the stronger" is meaningful, and on healthy pods the ensemble crosses the alert threshold
//! at most as often as the two parts together.

use super::statistical::{round4, statistical_type};
use super::{AnomalyScorer, AnomalyType, Evidence, PodScore, Severity, StatisticalEnsemble};
use crate::features::{FeatureRow, PodKey, Signal};
use crate::model::artifact::SurpriseConfig;
use crate::model::calibration::ReadingCalibration;
use crate::model::surprise::{Reading, SurpriseTracker};
use crate::model::{StepInput, StreamInput, StreamingForecaster, Surprise};
use std::collections::HashMap;

/// Which parts speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LstmMode {
    /// The LSTM alone.
    Alone,
    /// The LSTM with the statistical detectors and rules.
    Ensemble,
}

pub struct LstmScorer {
    mode: LstmMode,
    forecaster: StreamingForecaster<PodKey>,
    calibration: ReadingCalibration,
    surprise: SurpriseConfig,
    statistics: StatisticalEnsemble,
    /// Seconds a pod is observed before the LSTM's surprise counts (the signals' warm-up).
    warm_up: f64,
    /// The interval the network was trained at: one LSTM step is this long.
    step_seconds: f64,
    alert_threshold: f64,
    /// Per pod: spike and drift statistics once warm, and the LSTM's latest step.
    trackers: HashMap<PodKey, PodLstm>,
    /// Whether the warning about pods sampled too coarsely for the LSTM was logged.
    coarse_warned: bool,
}

/// One pod's LSTM bookkeeping between steps.
#[derive(Debug, Clone, Default)]
struct PodLstm {
    tracker: SurpriseTracker,
    /// When the LSTM last stepped this pod, and what it said then (held until the next step).
    last_step: Option<(chrono::DateTime<chrono::Utc>, PodScore)>,
}

/// Streams sampled more coarsely than this many trained steps are not given to the network.
pub const MAX_STEP_RATIO: f64 = 1.5;
/// A finer stream steps the network once this share of a trained step has passed.
const STEP_TOLERANCE: f64 = 0.9;

impl LstmScorer {
    pub fn new(
        mode: LstmMode,
        forecaster: StreamingForecaster<PodKey>,
        calibration: ReadingCalibration,
        surprise: SurpriseConfig,
        statistics: StatisticalEnsemble,
        step_seconds: f64,
        warm_up: f64,
    ) -> LstmScorer {
        let alert_threshold = statistics.settings().alert_threshold;
        LstmScorer {
            mode,
            warm_up,
            step_seconds,
            alert_threshold,
            forecaster,
            calibration,
            surprise,
            statistics,
            trackers: HashMap::new(),
            coarse_warned: false,
        }
    }

    /// One pod's bookkeeping, created on first sight (a key is cloned only then).
    fn pod(&mut self, key: &PodKey) -> &mut PodLstm {
        if !self.trackers.contains_key(key) {
            self.trackers.insert(key.clone(), PodLstm::default());
        }
        self.trackers.get_mut(key).expect("inserted above")
    }

    /// Whether the network takes a step on this row: the pod was observed, is not sampled
    /// more coarsely than the network was trained for, and a trained step has passed since
    /// its last step (a finer stream is stepped at the trained interval).
    fn steps(&mut self, f: &FeatureRow) -> bool {
        if !f.measured {
            return false;
        }
        if f.sampling_step
            .is_some_and(|s| s > MAX_STEP_RATIO * self.step_seconds)
        {
            if !self.coarse_warned {
                self.coarse_warned = true;
                tracing::warn!(
                    "the LSTM was trained at {}s steps; pods sampled every {:.0}s or more coarsely \
                     are judged by the statistical detectors alone",
                    self.step_seconds,
                    f.sampling_step.unwrap_or_default()
                );
            }
            return false;
        }
        let step = self.step_seconds;
        let pod = self.pod(&f.key);
        pod.last_step.as_ref().is_none_or(|(at, _)| {
            (f.timestamp - *at).num_milliseconds() as f64 / 1000.0 >= STEP_TOLERANCE * step
        })
    }

    fn lstm_score(
        &self,
        f: &FeatureRow,
        input: &StepInput,
        reading: Option<&Reading>,
        surprise: Option<&Surprise>,
    ) -> PodScore {
        let (p, drift_speaks) = reading.map_or((0.0, false), |r| self.calibration.assess(r));
        let mut evidence = Vec::new();
        let mut kind = AnomalyType::LevelShift;
        let drift = reading
            .filter(|_| drift_speaks)
            .and_then(|r| Some((r.drift, r.drift_feature?)));
        let missed = match drift {
            Some((_, (i, sign))) => Some((i, sign)),
            None => surprise.and_then(|s| s.strongest()),
        };
        if let (Some(s), Some((i, r))) = (surprise, missed) {
            kind = lstm_type(f, i, r);
            evidence.push(lstm_evidence(f, input, i, r, s, drift.map(|(d, _)| d)));
        }
        let is_anomaly = p >= self.alert_threshold;
        PodScore::of(f, p, is_anomaly, kind, severity(p, is_anomaly), evidence)
    }
}

/// The statistical probability at which the LSTM's higher probability joins the statistics'
/// in the ensemble (a healthy pod's statistical probability is mostly under 0.01: median
/// 0.002, 90th percentile 0.006 on a simulator run). Below it, the LSTM speaks alone only when
/// its pod's siblings vouch for it (see `siblings_quiet`).
pub const CORROBORATION: f64 = 0.05;

/// An LSTM probability at which a sibling counts as surprised too: "one healthy sample in a
/// thousand looks like this" (see [`crate::model::calibration`]).
pub const SIBLING_SURPRISE: f64 = 0.5;

/// Per pod of one tick: whether it has sibling replicas in the tick and none of them surprised
/// the LSTM (probability at or above [`SIBLING_SURPRISE`]).
///
/// The network sees one pod at a time, so a load swell that moves every replica looks like a
/// fault to it on each of them; the statistics' peer comparison knows better. A fault moves one
/// replica. So the LSTM alarms alone, with the statistics silent, only on a pod whose siblings
/// it finds unremarkable; a pod without siblings has nobody to vouch for it and does not. On
/// eight simulator seeds this kept 1 of the LSTM's 9 lone false alarms and its one lone true
/// catch (a traffic drop the statistics missed); without the rule, it was all 9 or, requiring
/// the statistics' corroboration instead, none of either.
fn siblings_quiet(features: &[FeatureRow], lstm: &[PodScore]) -> Vec<bool> {
    // (namespace, workload) -> (pods in the tick, pods that surprised the LSTM)
    let mut workloads: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    let surprised = |v: &PodScore| v.anomaly_probability >= SIBLING_SURPRISE;
    for (f, v) in features.iter().zip(lstm) {
        let entry = workloads
            .entry((f.key.namespace.as_str(), f.workload.as_str()))
            .or_default();
        entry.0 += 1;
        entry.1 += usize::from(surprised(v));
    }
    features
        .iter()
        .zip(lstm)
        .map(|(f, v)| {
            if f.workload.is_empty() {
                return false; // siblings unknown
            }
            let (pods, surprised_pods) =
                workloads[&(f.key.namespace.as_str(), f.workload.as_str())];
            pods > 1 && surprised_pods - usize::from(surprised(v)) == 0
        })
        .collect()
}

/// The ensemble's verdict: the higher probability when the statistics corroborate the LSTM
/// (see [`CORROBORATION`]) or its siblings vouch for it (see [`siblings_quiet`]), else the
/// statistical one; the type of the statistical side when it alarms on its own (a reported
/// state such as CrashLoopBackOff names the fault better than a forecast miss), else of the
/// side that raised the probability.
fn combine(mut stat: PodScore, lstm: PodScore, siblings_quiet: bool) -> PodScore {
    if lstm.anomaly_probability <= stat.anomaly_probability
        || (stat.anomaly_probability < CORROBORATION && !siblings_quiet)
    {
        if lstm.is_anomaly {
            stat.evidence.extend(lstm.evidence);
        }
        return stat;
    }
    if stat.is_anomaly {
        stat.anomaly_probability = lstm.anomaly_probability;
        stat.severity = stat.severity.max(lstm.severity);
        stat.evidence.extend(lstm.evidence);
        stat
    } else {
        let mut lstm = lstm;
        lstm.evidence.extend(stat.evidence);
        lstm
    }
}

/// One trained step as a time span.
fn step_span(step_seconds: f64) -> chrono::TimeDelta {
    chrono::TimeDelta::milliseconds((step_seconds * 1000.0).round() as i64)
}

fn severity(p: f64, is_anomaly: bool) -> Severity {
    if !is_anomaly {
        Severity::Info
    } else if p >= 0.95 {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

/// The fault a forecast miss on feature `i` points to.
fn lstm_type(f: &FeatureRow, i: usize, residual: f32) -> AnomalyType {
    match StepInput::signal(i) {
        Some(sig) => {
            let own = match sig {
                Signal::PeerCpu => Signal::Cpu,
                Signal::PeerMemory => Signal::Memory,
                Signal::PeerNetRx => Signal::NetRx,
                Signal::PeerNetTx => Signal::NetTx,
                Signal::FsRead | Signal::FsWrite => return AnomalyType::LevelShift,
                other => other,
            };
            statistical_type(own, residual as f64, false, f)
        }
        None => match StepInput::feature_name(i) {
            "not_running" => AnomalyType::Pending,
            "not_ready" => AnomalyType::NotReady,
            _ => AnomalyType::ContainerRestart,
        },
    }
}

/// What the LSTM saw on feature `i`: the latest residual, and with `drift` the sum of the
/// one-sided misses that built up.
fn lstm_evidence(
    f: &FeatureRow,
    input: &StepInput,
    i: usize,
    residual: f32,
    s: &Surprise,
    drift: Option<f64>,
) -> Evidence {
    let name = StepInput::feature_name(i);
    let detail = match drift {
        Some(d) => format!(
            "LSTM forecasts missed {} for a while: {d:.1} spreads beyond the slack in all",
            if residual > 0.0 { "low" } else { "high" }
        ),
        None => format!("LSTM forecast missed by {:.1} spreads", residual.abs()),
    };
    // With drift, the sign stood for the residual; show the latest one when it was measured.
    let residual = match drift {
        Some(_) if s.residuals[i].is_finite() => s.residuals[i],
        _ => residual,
    };
    match StepInput::signal(i) {
        // Back from the model's asinh(z) scale to the signal's own units.
        Some(sig) => {
            let k = sig.index();
            let expected_z = (s.expected[i] as f64).sinh();
            let (level, spread) = f.readings[k].map_or((f64::NAN, f64::NAN), |r| (r.level, r.spread));
            let expected = level + expected_z * spread;
            Evidence {
                feature: name.to_string(),
                value: round4(f.natural_value(sig)),
                baseline: round4(sig.untransform(expected)),
                deviation: round4(residual as f64),
                detail: Some(detail),
            }
        }
        None => Evidence {
            feature: name.to_string(),
            value: round4(input.values[i] as f64),
            baseline: round4(s.expected[i] as f64),
            deviation: round4(residual as f64),
            detail: Some(detail),
        },
    }
}

impl AnomalyScorer for LstmScorer {
    fn name(&self) -> &'static str {
        match self.mode {
            LstmMode::Alone => "lstm",
            LstmMode::Ensemble => "ensemble",
        }
    }

    fn score(&mut self, features: &[FeatureRow]) -> Vec<PodScore> {
        let stepping: Vec<usize> = (0..features.len())
            .filter(|&j| self.steps(&features[j]))
            .collect();
        let inputs: Vec<StepInput> = stepping
            .iter()
            .map(|&j| StepInput::from_features(&features[j]))
            .collect();
        let batch: Vec<StreamInput<'_, PodKey>> = stepping
            .iter()
            .zip(&inputs)
            .map(|(&j, x)| StreamInput {
                key: &features[j].key,
                values: &x.values,
                measured: &x.measured,
            })
            .collect();
        let surprises = self.forecaster.step(&batch);
        let statistical = match self.mode {
            LstmMode::Ensemble => Some(self.statistics.score(features)),
            LstmMode::Alone => None,
        };
        let mut stepped = stepping.iter().zip(&inputs).zip(&surprises).peekable();
        let mut lstm = Vec::with_capacity(features.len());
        for (j, f) in features.iter().enumerate() {
            let verdict = match stepped.next_if(|((&k, _), _)| k == j) {
                Some(((_, input), surprise)) => {
                    let (warm_up, config) = (self.warm_up, self.surprise);
                    let pod = self.pod(&f.key);
                    let reading =
                        pod.tracker
                            .observe(surprise.as_ref(), f.observed_for, warm_up, &config);
                    let verdict = self.lstm_score(f, input, reading.as_ref(), surprise.as_ref());
                    self.pod(&f.key).last_step = Some((f.timestamp, verdict.clone()));
                    verdict
                }
                // Between steps (a finer stream) the latest step's verdict holds; a gap, a
                // coarse stream or a pod not yet stepped has none.
                None => match self.trackers.get(&f.key).and_then(|p| p.last_step.as_ref()) {
                    Some((at, v)) if f.measured && f.timestamp - *at < step_span(self.step_seconds) => {
                        PodScore { timestamp: f.timestamp, ..v.clone() }
                    }
                    _ => PodScore::of(f, 0.0, false, AnomalyType::LevelShift, Severity::Info, Vec::new()),
                },
            };
            lstm.push(verdict);
        }
        match statistical {
            None => lstm,
            Some(stats) => {
                let quiet = siblings_quiet(features, &lstm);
                stats
                    .into_iter()
                    .zip(lstm)
                    .zip(quiet)
                    .map(|((stat, lstm), quiet)| combine(stat, lstm, quiet))
                    .collect()
            }
        }
    }

    fn forget(&mut self, pods: &[PodKey]) {
        self.forecaster.forget(pods);
        self.statistics.forget(pods);
        for p in pods {
            self.trackers.remove(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::StatisticalSettings;
    use crate::features::FeatureBuilder;
    use crate::metrics_row::{PodMetricsRow, PodPhase};
    use crate::model::artifact::SurpriseConfig;
    use crate::model::training::cpu_device;
    use crate::model::{Architecture, POD_FEATURE_COUNT};
    use std::time::Duration;

    /// A pod whose CPU swings wildly from its very first sample.
    fn row(t: i64) -> PodMetricsRow {
        let ts = chrono::DateTime::from_timestamp(1_700_000_000 + 5 * t, 0).unwrap();
        let mut r = PodMetricsRow::empty(ts, "shop", "web-5d8f7c9b4-bbbbb");
        r.phase = Some(PodPhase::Running);
        r.restarts = Some(0);
        r.cpu_millicores = Some(if t % 2 == 0 { 10.0 } else { 900.0 } + t as f64);
        r.memory_bytes = Some(200e6);
        r
    }

    fn scorer(mode: LstmMode) -> LstmScorer {
        let arch = Architecture {
            inputs: POD_FEATURE_COUNT,
            forecast: POD_FEATURE_COUNT,
            hidden: 8,
        };
        let device = cpu_device();
        let forecaster = StreamingForecaster::new(arch.init_seeded(&device, 1), arch, device);
        // Healthy surprises between 0 and 2: anything far beyond is rare.
        let healthy: Vec<Reading> = (0..5000)
            .map(|i| Reading {
                spike: i as f64 / 2500.0,
                drift: i as f64 / 1000.0,
                drift_feature: None,
            })
            .collect();
        LstmScorer::new(
            mode,
            forecaster,
            ReadingCalibration::fit(&healthy).unwrap(),
            SurpriseConfig {
                cap: 20.0,
                smoothing: 0.3,
                warmup_steps: 30,
                drift_slack: 1.0,
                drift_residual_cap: 4.0,
                drift_memory: 1.0 / 120.0,
                drift_warmup: 30,
                drift_features: 11,
            },
            StatisticalEnsemble::new(StatisticalSettings::default()),
            5.0,
            300.0,
        )
    }

    fn verdict(p: f64, kind: AnomalyType, feature: &str) -> PodScore {
        let mut fb = FeatureBuilder::new(crate::signal::SignalSettings::default(), Duration::from_secs(300));
        let f = fb.tick(&[row(0)]).unwrap().remove(0);
        let is_anomaly = p >= 0.7;
        let evidence = vec![Evidence {
            feature: feature.into(),
            value: 1.0,
            baseline: 0.0,
            deviation: 1.0,
            detail: None,
        }];
        PodScore::of(&f, p, is_anomaly, kind, severity(p, is_anomaly), evidence)
    }

    #[test]
    fn siblings_vouch_only_when_none_of_them_surprised_the_lstm() {
        let mut fb = FeatureBuilder::new(crate::signal::SignalSettings::default(), Duration::from_secs(300));
        let base = fb.tick(&[row(0)]).unwrap().remove(0);
        let pod = |name: &str, workload: &str| {
            let mut f = base.clone();
            f.key = PodKey::new("shop", name);
            f.workload = workload.into();
            f
        };
        let features = vec![
            pod("web-a", "web"),
            pod("web-b", "web"),
            pod("web-c", "web"),
            pod("api-a", "api"),
            pod("api-b", "api"),
            pod("db-0", "db"),
            pod("x", ""),
        ];
        let p = |v: f64| verdict(v, AnomalyType::LevelShift, "cpu");
        // web: only web-a surprised; api: both surprised; db and x: alone.
        let lstm = vec![p(0.9), p(0.1), p(0.49), p(0.9), p(0.6), p(0.9), p(0.9)];
        assert_eq!(
            siblings_quiet(&features, &lstm),
            vec![true, false, false, false, false, false, false]
        );
    }

    #[test]
    fn the_lstm_speaks_alone_in_the_ensemble_only_when_vouched_for() {
        let lstm = || verdict(0.9, AnomalyType::TrafficDrop, "net_rx");
        // Statistics see nothing: the LSTM's miss alone is not an alarm.
        let alone = combine(verdict(0.01, AnomalyType::LevelShift, "cpu"), lstm(), false);
        assert_eq!(alone.anomaly_probability, 0.01);
        assert!(!alone.is_anomaly);
        // ... unless its siblings vouch for it.
        let vouched = combine(verdict(0.01, AnomalyType::LevelShift, "cpu"), lstm(), true);
        assert_eq!(vouched.anomaly_probability, 0.9);
        assert_eq!(vouched.anomaly_type, Some(AnomalyType::TrafficDrop));
        // Statistics see something: the LSTM advances it to an alarm, with its own type.
        let backed = combine(verdict(0.3, AnomalyType::LevelShift, "cpu"), lstm(), false);
        assert_eq!(backed.anomaly_probability, 0.9);
        assert!(backed.is_anomaly);
        assert_eq!(backed.anomaly_type, Some(AnomalyType::TrafficDrop));
        assert_eq!(backed.evidence.len(), 2, "both sides' evidence");
        // Statistics alarm on their own: their type names the fault, the higher p wins.
        let both = combine(
            verdict(0.8, AnomalyType::CrashLoop, "restarts"),
            lstm(),
            false,
        );
        assert_eq!(both.anomaly_probability, 0.9);
        assert_eq!(both.anomaly_type, Some(AnomalyType::CrashLoop));
    }

    #[test]
    fn a_new_pod_is_not_alarmed_on_until_it_has_history_and_gone_pods_free_state() {
        let mut fb = FeatureBuilder::new(crate::signal::SignalSettings::default(), Duration::from_secs(300));
        let mut s = scorer(LstmMode::Alone);
        // Warm after 300 s of 5 s samples.
        let min_history = 60;
        let mut probabilities = Vec::new();
        for t in 0..min_history + 40 {
            let features = fb.tick(&[row(t)]).unwrap();
            probabilities.push(s.score(&features)[0].anomaly_probability);
        }
        let cold = &probabilities[..min_history as usize];
        assert!(
            cold.iter().all(|p| *p == 0.0),
            "cold start silent: {cold:?}"
        );
        assert!(
            probabilities[min_history as usize..]
                .iter()
                .any(|p| *p > 0.0),
            "scored once warm: {probabilities:?}"
        );
        assert_eq!(s.forecaster.len(), 1);
        s.forget(&[PodKey::new("shop", "web-5d8f7c9b4-bbbbb")]);
        assert_eq!(s.forecaster.len(), 0, "an evicted pod frees its LSTM state");
        assert!(s.trackers.is_empty());
    }
}
