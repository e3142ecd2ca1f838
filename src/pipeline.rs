//! The scoring pipeline shared by the daemon and `detect`: rows → ticks → features → scores.
//!
//! Both paths call [`ScoringPipeline::score_rows`], so a CSV scored offline gets exactly the
//! probabilities the daemon gave it live, however the rows were batched.

use crate::detector::{
    AnomalyScorer, LstmMode, LstmScorer, PodScore, StatisticalEnsemble, StatisticalSettings,
};
use crate::features::tick_features::ticks;
use crate::features::{FeatureBuilder, FeatureError, FeatureRow, PodKey};
use crate::metrics_row::PodMetricsRow;
use crate::model::artifact::StatisticsCalibration;
use crate::model::artifact::{self, POD_MODEL_KIND};
use crate::model::training::cpu_device;
use crate::model::{ModelLoadError, StreamingForecaster, POD_FEATURES};
use crate::settings::DetectorKind;
use crate::signal::{Horizon, SignalSettings};

pub struct ScoringPipeline {
    features: FeatureBuilder,
    scorer: Box<dyn AnomalyScorer>,
    /// Whether any pod's signals have been judged yet (the first warm-up is over).
    judging: bool,
}

impl ScoringPipeline {
    pub fn new(features: FeatureBuilder, scorer: Box<dyn AnomalyScorer>) -> ScoringPipeline {
        ScoringPipeline {
            features,
            scorer,
            judging: false,
        }
    }

    /// How long a pod's signals are observed before they are judged.
    pub fn warm_up(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.features.streams().settings().warm_up.seconds())
    }

    /// Whether some pod's signals have been judged: the daemon's first warm-up is over. (Every
    /// new pod warms up too; the Kubernetes-state rules speak from a pod's first sample.)
    /// A reloaded alert threshold; every pod's state stays.
    pub fn set_alert_threshold(&mut self, threshold: f64) {
        self.scorer.set_alert_threshold(threshold);
    }

    pub fn judging(&self) -> bool {
        self.judging
    }

    pub fn scorer_name(&self) -> &'static str {
        self.scorer.name()
    }

    /// Pods currently remembered.
    pub fn pods_tracked(&self) -> usize {
        self.features.pods()
    }

    /// Rebuilds state from rows scored before a restart, without publishing them again: they
    /// go through exactly the path [`Self::score_rows`] takes and their scores are dropped, so
    /// the scores that follow equal those of a pipeline that never restarted (tested below).
    /// Every per-pod summary is streamed, so this costs one pass over the rows.
    pub fn replay(&mut self, rows: &[PodMetricsRow]) -> Result<Vec<PodKey>, FeatureError> {
        self.score_rows(rows).map(|(_, evicted)| evicted)
    }

    /// Scores time-ordered rows; one score per row, in the same order. Pods silent for longer
    /// than the eviction horizon (in data time) are forgotten; they are returned.
    pub fn score_rows(
        &mut self,
        rows: &[PodMetricsRow],
    ) -> Result<(Vec<PodScore>, Vec<PodKey>), FeatureError> {
        let mut scores = Vec::with_capacity(rows.len());
        let mut evicted = Vec::new();
        for tick in ticks(rows) {
            let features = self.features.tick(tick)?;
            self.judging = self.judging
                || features
                    .iter()
                    .any(|f| f.readings.iter().any(Option::is_some));
            scores.extend(self.score_tick(features));
            let gone = self.features.evict(tick[0].timestamp);
            if !gone.is_empty() {
                self.scorer.forget(&gone);
                evicted.extend(gone);
            }
        }
        Ok((scores, evicted))
    }

    /// One tick's scores, in row order. Rows that measured nothing (a source's gap) get an
    /// unknown verdict and never reach the scorer: a gap is not a sample, so it must not move
    /// the scorer's state (the LSTM would step on zeros as on a calm pod, smoothed deviations
    /// and crash memories would decay as if time had passed quietly).
    fn score_tick(&mut self, features: Vec<FeatureRow>) -> Vec<PodScore> {
        if features.iter().all(FeatureRow::observed) {
            return self.scorer.score(&features);
        }
        let verdicts: Vec<Option<PodScore>> = features
            .iter()
            .map(|f| (!f.observed()).then(|| PodScore::unknown(f)))
            .collect();
        let observed: Vec<FeatureRow> = features.into_iter().filter(FeatureRow::observed).collect();
        let mut scored = self.scorer.score(&observed).into_iter();
        verdicts
            .into_iter()
            .map(|v| v.unwrap_or_else(|| scored.next().expect("one score per observed row")))
            .collect()
    }
}

impl ScoringPipeline {
    /// The pipeline the daemon and `detect` run, as configured. A model that cannot be used
    /// is logged as a warning, and the statistical detectors run instead.
    pub fn from_settings(settings: &crate::settings::Settings) -> ScoringPipeline {
        let features = FeatureBuilder::new(
            signal_settings(settings),
            settings.dataset_generator.evict_after,
        );
        let (scorer, choice) = scorer_from_settings(settings);
        match &choice {
            ScorerChoice::Configured => {
                let model =
                    artifact::ModelLocation::of(settings.anomaly_model.model_dir.as_deref());
                tracing::info!(scorer = scorer.name(), %model, "scorer ready")
            }
            ScorerChoice::FellBack { wanted, error } => tracing::warn!(
                "the {wanted} detector cannot run, using the statistical detectors alone: {error}"
            ),
        }
        ScoringPipeline::new(features, scorer)
    }
}

/// The per-signal detector's settings, as configured (the warm-up is a setting).
pub fn signal_settings(settings: &crate::settings::Settings) -> SignalSettings {
    SignalSettings {
        warm_up: Horizon(settings.anomaly_model.warm_up.as_secs_f64()),
        ..SignalSettings::default()
    }
}

/// Whether the configured scorer is the one running.
#[derive(Debug)]
pub enum ScorerChoice {
    Configured,
    /// The model could not be loaded; the statistical detectors run instead.
    FellBack {
        wanted: DetectorKind,
        error: ModelLoadError,
    },
}

/// The configured scorer, or the statistical one when the model cannot be loaded. The
/// statistics' calibration (`statistics.json` in the model directory) is loaded on its own:
/// without it they run uncalibrated (logged).
pub fn scorer_from_settings(
    settings: &crate::settings::Settings,
) -> (Box<dyn AnomalyScorer>, ScorerChoice) {
    let am = &settings.anomaly_model;
    let device = cpu_device();
    let at = artifact::ModelLocation::of(am.model_dir.as_deref());
    let calibration = match artifact::load_statistics_from(at) {
        Ok(s) => {
            let now = StatisticsCalibration::describe(&signal_settings(settings));
            if s.signal_settings != now {
                tracing::warn!(
                    "the statistics' calibration in {at} was fitted with other per-signal \
                     settings than these; it is used, but retrain to refit it"
                );
            }
            Some(s.evidence)
        }
        Err(error) => {
            tracing::warn!(
                "the statistical detectors run uncalibrated (their tail rates taken at face \
                 value): {error}"
            );
            None
        }
    };
    let statistics = || {
        let s = StatisticalEnsemble::new(StatisticalSettings {
            alert_threshold: am.alert_threshold,
            ..StatisticalSettings::default()
        });
        match &calibration {
            Some(c) => s.calibrated(c.clone()),
            None => s,
        }
    };
    let mode = match am.detector {
        DetectorKind::Statistical => {
            return (Box::new(statistics()), ScorerChoice::Configured);
        }
        DetectorKind::Lstm => LstmMode::Alone,
        DetectorKind::Ensemble => LstmMode::Ensemble,
    };
    match artifact::load_from(at, POD_MODEL_KIND, &POD_FEATURES, &device) {
        Ok(model) => {
            let config = model.config;
            let forecaster = StreamingForecaster::new(model.network, config.architecture, device);
            let scorer = LstmScorer::new(
                mode,
                forecaster,
                config.calibration,
                config.surprise,
                statistics(),
                config.step_seconds,
                am.warm_up.as_secs_f64(),
            );
            (Box::new(scorer), ScorerChoice::Configured)
        }
        Err(error) => (
            Box::new(statistics()),
            ScorerChoice::FellBack {
                wanted: am.detector,
                error,
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;
    use crate::simulator::{SimulatedCluster, SimulatorSettings};
    use std::time::Duration;

    /// A simulated cluster with 40 minutes of calm (replayed after a "restart") then
    /// `after_ticks` of 5 s with frequent faults (scored).
    fn calm_then_faults(
        pods: usize,
        seed: u64,
        after_ticks: i64,
    ) -> (Vec<PodMetricsRow>, Vec<PodMetricsRow>) {
        let start = "2026-01-05T00:00:00Z".parse().unwrap();
        let mut cluster = SimulatedCluster::new(
            &SimulatorSettings {
                pods,
                seed,
                first_fault_after: Duration::from_secs(40 * 60),
                mean_time_between_faults: Duration::from_secs(120),
                ..SimulatorSettings::default()
            },
            start,
        );
        let mut rows_until = |from: i64, to: i64| {
            (from..to)
                .flat_map(|t| cluster.tick(start + chrono::Duration::seconds(5 * t)))
                .collect::<Vec<_>>()
        };
        let before = rows_until(0, 480);
        let after = rows_until(480, 480 + after_ticks);
        (before, after)
    }

    /// Scores of `after` from a pipeline that saw `before`, and from one that replayed it.
    fn throughout_and_restarted(
        settings: &Settings,
        before: &[PodMetricsRow],
        after: &[PodMetricsRow],
    ) -> (Vec<PodScore>, Vec<PodScore>) {
        let mut throughout = ScoringPipeline::from_settings(settings);
        throughout.score_rows(before).unwrap();
        let (expected, _) = throughout.score_rows(after).unwrap();
        let mut restarted = ScoringPipeline::from_settings(settings);
        restarted.replay(before).unwrap();
        let (got, _) = restarted.score_rows(after).unwrap();
        (expected, got)
    }

    #[test]
    fn scores_after_a_replay_equal_scores_without_a_restart() {
        let (before, after) = calm_then_faults(20, 3, 360);
        let mut settings = Settings::default();
        settings.anomaly_model.detector = DetectorKind::Statistical;
        let (expected, got) = throughout_and_restarted(&settings, &before, &after);

        assert_eq!(expected.len(), got.len());
        assert!(
            expected.iter().any(|s| s.is_anomaly),
            "the window has faults"
        );
        let differ = expected.iter().zip(&got).filter(|(a, b)| a != b).count();
        assert_eq!(differ, 0, "{differ} of {} scores differ", expected.len());
    }

    #[test]
    fn an_ensemble_after_a_replay_equals_one_that_never_restarted() {
        let (before, after) = calm_then_faults(12, 4, 240);
        let mut settings = Settings::default();
        // The built-in model (the default): the one in models/model_artifacts.
        settings.anomaly_model.model_dir = None;
        let (_, choice) = scorer_from_settings(&settings);
        assert!(matches!(choice, ScorerChoice::Configured), "{choice:?}");

        let (expected, got) = throughout_and_restarted(&settings, &before, &after);
        assert_eq!(expected.len(), got.len());
        let differ = expected.iter().zip(&got).filter(|(a, b)| a != b).count();
        assert_eq!(differ, 0, "{differ} of {} scores differ", expected.len());
    }

    /// Records the pods of each call; scores every row 0.
    struct Recording(std::sync::Arc<std::sync::Mutex<Vec<Vec<String>>>>);

    impl AnomalyScorer for Recording {
        fn name(&self) -> &'static str {
            "recording"
        }
        fn score(&mut self, features: &[FeatureRow]) -> Vec<PodScore> {
            self.0
                .lock()
                .unwrap()
                .push(features.iter().map(|f| f.key.pod.clone()).collect());
            features
                .iter()
                .map(|f| {
                    PodScore::of(
                        f,
                        0.0,
                        false,
                        crate::detector::AnomalyType::LevelShift,
                        crate::detector::Severity::Info,
                        vec![],
                    )
                })
                .collect()
        }
        fn forget(&mut self, _pods: &[PodKey]) {}
        fn set_alert_threshold(&mut self, _: f64) {}
    }

    #[test]
    fn rows_that_measured_nothing_get_unknown_verdicts_and_never_reach_the_scorer() {
        let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut pipeline = ScoringPipeline::new(
            FeatureBuilder::new(SignalSettings::default(), Duration::from_secs(60)),
            Box::new(Recording(calls.clone())),
        );
        let at = |secs: i64| chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap();
        let measured = |secs: i64, pod: &str| {
            let mut r = PodMetricsRow::empty(at(secs), "shop", pod);
            r.phase = Some(crate::metrics_row::PodPhase::Running);
            r.cpu_millicores = Some(100.0);
            r
        };
        let gap = |secs: i64, pod: &str| PodMetricsRow::empty(at(secs), "shop", pod);
        let rows = [
            measured(0, "a"),
            gap(0, "b"),
            measured(0, "c"),
            gap(5, "a"),
            gap(5, "b"),
            gap(5, "c"),
        ];
        let (scores, _) = pipeline.score_rows(&rows).unwrap();
        let verdicts: Vec<(&str, bool)> = scores
            .iter()
            .map(|s| (s.pod.as_str(), s.is_unknown()))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("a", false),
                ("b", true),
                ("c", false),
                ("a", true),
                ("b", true),
                ("c", true)
            ]
        );
        // The scorer saw the measured rows only (a tick without any is an empty call).
        let seen = calls.lock().unwrap().clone();
        assert_eq!(seen, [vec!["a".to_string(), "c".to_string()], vec![]]);
        // A replay treats gaps alike.
        pipeline.replay(&[gap(10, "a"), measured(10, "b")]).unwrap();
        assert_eq!(calls.lock().unwrap().last().unwrap(), &["b".to_string()]);
    }
}
