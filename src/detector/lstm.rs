//! The LSTM scorer: each pod's forecaster state advanced one step per trained interval (all
//! pods in one batched step), its residuals read as a spike and a drift statistic and
//! calibrated into a probability; in the ensemble it corroborates the statistical detectors
//! and rules (see `combine` and [`super::corroboration`]).
//!
//! Both probabilities are calibrated tail rates under one map (see
//! [`crate::model::calibration`]), so they can be fused. The network steps at the interval it
//! was trained at: a pod sampled more finely is stepped every trained interval (its verdict
//! held in between), one sampled more coarsely is left to the statistics (logged once).

use super::corroboration::corroborate;
use super::statistical::{round4, statistical_type};
use super::{AnomalyScorer, AnomalyType, Evidence, PodScore, Severity, StatisticalEnsemble};
use crate::features::{FeatureRow, PodKey, Signal};
use crate::model::artifact::SurpriseConfig;
use crate::model::calibration::{probability_of_rate, rate_of_probability, ReadingCalibration};
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

/// The ensemble's verdict: the statistics' verdict, raised where the LSTM corroborates the
/// signals' evidence (`signals_probability`; [`corroborate`] on the two calibrated rates). The
/// Kubernetes-state rules' evidence is not corroborated: it pages after the mixin's durations
/// or not at all (a single restart with a forecast still settling after it is not a page). The
/// type is the statistical side's when it sees anything itself (a reported state such as
/// CrashLoopBackOff names the fault better than a forecast miss), else the LSTM's; evidence
/// from both is listed.
fn combine(
    stat: PodScore,
    signals_probability: f64,
    lstm: PodScore,
    alert_threshold: f64,
) -> PodScore {
    let signals = rate_of_probability(signals_probability);
    let fused = corroborate(signals, rate_of_probability(lstm.anomaly_probability));
    // Nothing added (an LSTM that saw nothing, or had no verdict): the statistics' verdict as
    // it is. The probability map is flat at rate 1, so mapping back would raise a verdict of
    // nothing to the map's floor.
    if fused >= signals {
        return stat;
    }
    let p = probability_of_rate(fused);
    if p <= stat.anomaly_probability {
        return stat;
    }
    // The statistics name the fault whenever they see something themselves (one healthy
    // sample in a hundred is as unusual): their type reads a reported state or the signal that
    // moved, the LSTM's the feature its forecast missed most, which may be a side effect.
    let mut out = if stat.is_anomaly || rate_of_probability(stat.anomaly_probability) <= 0.01 {
        let mut stat = stat;
        stat.evidence.extend(lstm.evidence);
        stat
    } else {
        let mut out = lstm;
        out.evidence.extend(stat.evidence);
        out
    };
    out.anomaly_probability = p;
    out.is_anomaly = p >= alert_threshold;
    out.severity = out.severity.max(severity(p, out.is_anomaly));
    out
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
            let (level, spread) =
                f.readings[k].map_or((f64::NAN, f64::NAN), |r| (r.level, r.spread));
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
            LstmMode::Ensemble => Some(self.statistics.score_detailed(features)),
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
                    Some((at, v))
                        if f.measured && f.timestamp - *at < step_span(self.step_seconds) =>
                    {
                        PodScore {
                            timestamp: f.timestamp,
                            ..v.clone()
                        }
                    }
                    _ => PodScore::of(
                        f,
                        0.0,
                        false,
                        AnomalyType::LevelShift,
                        Severity::Info,
                        Vec::new(),
                    ),
                },
            };
            lstm.push(verdict);
        }
        match statistical {
            None => lstm,
            Some(stats) => stats
                .into_iter()
                .zip(lstm)
                .map(|(stat, lstm)| {
                    // A state that explains the metrics (a restart, a not-ready spell) explains
                    // the forecast misses too: the statistics and the rules speak alone.
                    if stat.explained_by_state {
                        stat.score
                    } else {
                        combine(
                            stat.score,
                            stat.signals_probability,
                            lstm,
                            self.alert_threshold,
                        )
                    }
                })
                .collect(),
        }
    }

    fn forget(&mut self, pods: &[PodKey]) {
        self.forecaster.forget(pods);
        self.statistics.forget(pods);
        for p in pods {
            self.trackers.remove(p);
        }
    }

    fn set_alert_threshold(&mut self, threshold: f64) {
        self.alert_threshold = threshold;
        self.statistics.set_alert_threshold(threshold);
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
        let mut fb = FeatureBuilder::new(
            crate::signal::SignalSettings::default(),
            Duration::from_secs(300),
        );
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
    fn the_lstm_corroborates_the_statistics_and_alone_needs_overwhelming_evidence() {
        let lstm = |p: f64| verdict(p, AnomalyType::TrafficDrop, "net_rx");
        // Statistics see nothing: the LSTM's miss raises the probability, not to an alarm.
        let alone = combine(
            verdict(0.2, AnomalyType::LevelShift, "cpu"),
            0.2,
            lstm(0.9),
            0.7,
        );
        assert!(
            !alone.is_anomaly && alone.anomaly_probability < 0.7,
            "{alone:?}"
        );
        // Both see something: together they alarm, the statistics naming the fault, with both
        // sides' evidence.
        let backed = combine(
            verdict(0.6, AnomalyType::LevelShift, "cpu"),
            0.6,
            lstm(0.9),
            0.7,
        );
        assert!(
            backed.is_anomaly && backed.anomaly_probability > 0.7,
            "{backed:?}"
        );
        assert_eq!(backed.anomaly_type, Some(AnomalyType::LevelShift));
        assert_eq!(backed.evidence.len(), 2, "both sides' evidence");
        // The LSTM alone on overwhelming evidence alarms, naming what it missed.
        let lone = combine(
            verdict(0.2, AnomalyType::LevelShift, "cpu"),
            0.2,
            lstm(0.9999),
            0.7,
        );
        assert!(lone.is_anomaly, "{lone:?}");
        assert_eq!(lone.anomaly_type, Some(AnomalyType::TrafficDrop));
        // Statistics alarm on their own: their type names the fault.
        let both = combine(
            verdict(0.8, AnomalyType::CrashLoop, "restarts"),
            0.0,
            lstm(0.9999),
            0.7,
        );
        assert!(both.anomaly_probability > 0.8);
        assert_eq!(both.anomaly_type, Some(AnomalyType::CrashLoop));
        // A calm LSTM never lowers the statistics.
        let calm = combine(
            verdict(0.8, AnomalyType::CrashLoop, "restarts"),
            0.0,
            lstm(0.1),
            0.7,
        );
        assert_eq!(calm.anomaly_probability, 0.8);
        // An LSTM without a verdict leaves a verdict of nothing at nothing.
        let nothing = combine(
            verdict(0.0, AnomalyType::LevelShift, "cpu"),
            0.0,
            lstm(0.0),
            0.7,
        );
        assert_eq!(nothing.anomaly_probability, 0.0);
        // A rule's evidence (one restart, 0.5) is not corroborated into a page: the LSTM
        // agreeing with it adds nothing the signals did not see.
        let restart = combine(
            verdict(0.5, AnomalyType::ContainerRestart, "restarts"),
            0.0,
            lstm(0.9),
            0.7,
        );
        assert!(
            !restart.is_anomaly && restart.anomaly_probability < 0.7,
            "{restart:?}"
        );
        assert_eq!(restart.anomaly_type, Some(AnomalyType::ContainerRestart));
    }

    #[test]
    fn a_new_pod_is_not_alarmed_on_until_it_has_history_and_gone_pods_free_state() {
        let mut fb = FeatureBuilder::new(
            crate::signal::SignalSettings::default(),
            Duration::from_secs(300),
        );
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
