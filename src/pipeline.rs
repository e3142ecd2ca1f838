//! The scoring pipeline shared by the daemon and `detect`: rows → ticks → features → scores.
//!
//! Both paths call [`ScoringPipeline::score_rows`], so a CSV scored offline gets exactly the
//! probabilities the daemon gave it live, however the rows were batched.

use crate::detector::{AnomalyScorer, PodScore, StatisticalEnsemble, StatisticalSettings};
use crate::features::tick_features::ticks;
use crate::features::{FeatureBuilder, FeatureError, PodKey};
use crate::metrics_row::PodMetricsRow;

pub struct ScoringPipeline {
    features: FeatureBuilder,
    scorer: Box<dyn AnomalyScorer>,
}

impl ScoringPipeline {
    pub fn new(features: FeatureBuilder, scorer: Box<dyn AnomalyScorer>) -> ScoringPipeline {
        ScoringPipeline { features, scorer }
    }

    pub fn scorer_name(&self) -> &'static str {
        self.scorer.name()
    }

    /// Pods currently remembered.
    pub fn pods_tracked(&self) -> usize {
        self.features.history().len()
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
            scores.extend(self.scorer.score(&features));
            let gone = self.features.evict(tick[0].timestamp);
            if !gone.is_empty() {
                self.scorer.forget(&gone);
                evicted.extend(gone);
            }
        }
        Ok((scores, evicted))
    }
}

impl ScoringPipeline {
    /// The pipeline the daemon and `detect` run, as configured.
    pub fn from_settings(settings: &crate::settings::Settings) -> ScoringPipeline {
        let dg = &settings.dataset_generator;
        let features = FeatureBuilder::new(dg.history_per_pod, dg.evict_after);
        let scorer = StatisticalEnsemble::new(StatisticalSettings {
            alert_threshold: settings.anomaly_model.alert_threshold,
            min_history: settings.anomaly_model.min_history as u64,
            ..StatisticalSettings::default()
        });
        ScoringPipeline::new(features, Box::new(scorer))
    }
}
