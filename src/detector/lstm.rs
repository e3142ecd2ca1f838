//! The LSTM scorer: each pod's forecaster state advanced one step per sample (all pods in one
//! batched step), its surprise smoothed and calibrated into a probability; in the ensemble it
//! runs beside the statistical detectors and rules, and the stronger of the two speaks.
//!
//! Both probabilities are tail rates under one map (see [`crate::model::calibration`]), so
//! "the stronger" is meaningful, and on healthy pods the ensemble crosses the alert threshold
//! at most as often as the two parts together.

use super::statistical::{round4, statistical_type};
use super::{AnomalyScorer, AnomalyType, Evidence, PodScore, Severity, StatisticalEnsemble};
use crate::features::{FeatureRow, PodKey, Signal};
use crate::model::artifact::SurpriseConfig;
use crate::model::surprise::{is_warm, sample_surprise, smooth};
use crate::model::{Calibration, StepInput, StreamInput, StreamingForecaster, Surprise};
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
    calibration: Calibration,
    surprise: SurpriseConfig,
    statistics: StatisticalEnsemble,
    min_history: u64,
    alert_threshold: f64,
    /// Smoothed surprise per pod, once it is warm.
    smoothed: HashMap<PodKey, f64>,
}

impl LstmScorer {
    pub fn new(
        mode: LstmMode,
        forecaster: StreamingForecaster<PodKey>,
        calibration: Calibration,
        surprise: SurpriseConfig,
        statistics: StatisticalEnsemble,
    ) -> LstmScorer {
        let s = statistics.settings();
        LstmScorer {
            mode,
            min_history: s.min_history,
            alert_threshold: s.alert_threshold,
            forecaster,
            calibration,
            surprise,
            statistics,
            smoothed: HashMap::new(),
        }
    }

    /// The calibrated LSTM probability of one pod's sample, updating its smoothing.
    fn lstm_probability(&mut self, f: &FeatureRow, surprise: Option<&Surprise>) -> f64 {
        let raw = surprise
            .filter(|s| is_warm(f.age_samples, self.min_history, s, &self.surprise))
            .and_then(|s| sample_surprise(s, &self.surprise));
        let Some(raw) = raw else {
            self.smoothed.remove(&f.key);
            return 0.0;
        };
        // Updated in place: a key is cloned only when a pod first warms up, not every sample.
        let s = match self.smoothed.get_mut(&f.key) {
            Some(previous) => {
                *previous = smooth(Some(*previous), raw, &self.surprise);
                *previous
            }
            None => {
                let s = smooth(None, raw, &self.surprise);
                self.smoothed.insert(f.key.clone(), s);
                s
            }
        };
        self.calibration.probability(s)
    }

    fn lstm_score(
        &self,
        f: &FeatureRow,
        input: &StepInput,
        p: f64,
        surprise: Option<&Surprise>,
    ) -> PodScore {
        let mut evidence = Vec::new();
        let mut kind = AnomalyType::LevelShift;
        if let Some((s, (i, r))) = surprise.and_then(|s| Some((s, s.strongest()?))) {
            kind = lstm_type(f, i, r, self.statistics.settings());
            evidence.push(lstm_evidence(f, input, i, r, s));
        }
        let is_anomaly = p >= self.alert_threshold;
        PodScore::of(f, p, is_anomaly, kind, severity(p, is_anomaly), evidence)
    }
}

/// The ensemble's verdict: the higher probability; the type of the statistical side when it
/// alarms on its own (a reported state such as CrashLoopBackOff names the fault better than a
/// forecast miss), else of the side that raised the probability.
fn combine(mut stat: PodScore, lstm: PodScore) -> PodScore {
    if lstm.anomaly_probability <= stat.anomaly_probability {
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
fn lstm_type(
    f: &FeatureRow,
    i: usize,
    residual: f32,
    s: &super::StatisticalSettings,
) -> AnomalyType {
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
            statistical_type(own, residual as f64, false, f, s)
        }
        None => match StepInput::feature_name(i) {
            "not_running" => AnomalyType::Pending,
            "not_ready" => AnomalyType::NotReady,
            _ => AnomalyType::ContainerRestart,
        },
    }
}

fn lstm_evidence(
    f: &FeatureRow,
    input: &StepInput,
    i: usize,
    residual: f32,
    s: &Surprise,
) -> Evidence {
    let name = StepInput::feature_name(i);
    let detail = format!("LSTM forecast missed by {:.1} spreads", residual.abs());
    match StepInput::signal(i) {
        // Back from the model's asinh(z) scale to the signal's own units.
        Some(sig) => {
            let k = sig.index();
            let expected_z = (s.expected[i] as f64).sinh();
            let expected = f.baseline_median[k] + expected_z * f.baseline_scale[k];
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
        let inputs: Vec<StepInput> = features.iter().map(StepInput::from_features).collect();
        let batch: Vec<StreamInput<'_, PodKey>> = features
            .iter()
            .zip(&inputs)
            .map(|(f, x)| StreamInput {
                key: &f.key,
                values: &x.values,
                measured: &x.measured,
            })
            .collect();
        let surprises = self.forecaster.step(&batch);
        let statistical = match self.mode {
            LstmMode::Ensemble => Some(self.statistics.score(features)),
            LstmMode::Alone => None,
        };
        let mut out = Vec::with_capacity(features.len());
        for (j, f) in features.iter().enumerate() {
            let surprise = surprises[j].as_ref();
            let p = self.lstm_probability(f, surprise);
            let lstm = self.lstm_score(f, &inputs[j], p, surprise);
            out.push(match &statistical {
                None => lstm,
                Some(stats) => combine(stats[j].clone(), lstm),
            });
        }
        out
    }

    fn forget(&mut self, pods: &[PodKey]) {
        self.forecaster.forget(pods);
        self.statistics.forget(pods);
        for p in pods {
            self.smoothed.remove(p);
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
        let healthy: Vec<f64> = (0..5000).map(|i| i as f64 / 2500.0).collect();
        LstmScorer::new(
            mode,
            forecaster,
            Calibration::fit(&healthy).unwrap(),
            SurpriseConfig {
                cap: 20.0,
                smoothing: 0.3,
                warmup_steps: 30,
            },
            StatisticalEnsemble::new(StatisticalSettings::default()),
        )
    }

    #[test]
    fn a_new_pod_is_not_alarmed_on_until_it_has_history_and_gone_pods_free_state() {
        let mut fb = FeatureBuilder::new(720, Duration::from_secs(300));
        let mut s = scorer(LstmMode::Alone);
        let min_history = StatisticalSettings::default().min_history as i64;
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
        assert!(s.smoothed.is_empty());
    }
}
