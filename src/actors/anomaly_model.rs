//! AnomalyModel: scores rows with the [`ScoringPipeline`], on its own thread (a SyncArbiter)
//! because feature building and scoring are CPU-bound and must not stall the async actors.
//!
//! The pipeline is stateful (per-pod history), so one instance owns it. A panic inside scoring is
//! caught; the actor is then recreated from its factory with fresh state and the daemon carries on.

use crate::detector::PodScore;
use crate::features::PodKey;
use crate::metrics_row::PodMetricsRow;
use crate::pipeline::ScoringPipeline;
use crate::service::health::Progress;
use actix::prelude::*;

/// Scores time-ordered rows. `replay` rows come first and only rebuild state (they were scored
/// before a restart): no scores are returned for them.
#[derive(Debug, Default, Message)]
#[rtype(result = "Result<ScoredRows, ScoringFailed>")]
pub struct ScoreRows {
    pub replay: Vec<PodMetricsRow>,
    pub rows: Vec<PodMetricsRow>,
}

#[derive(Debug, Default)]
pub struct ScoredRows {
    pub scores: Vec<PodScore>,
    /// Pods forgotten because they went silent.
    pub evicted: Vec<PodKey>,
    pub pods_tracked: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("scoring {rows} rows failed: {message}")]
pub struct ScoringFailed {
    pub rows: usize,
    pub message: String,
}

/// A reload: the probability at or above which a pod is anomalous. The learnt state stays.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SetAlertThreshold(pub f64);

pub struct AnomalyModel {
    pipeline: ScoringPipeline,
    /// Whether the end of the warm-up was logged.
    warm_announced: bool,
    progress: Progress,
}

impl AnomalyModel {
    /// `progress` advances after every message handled (see [`Progress`]).
    pub fn new(pipeline: ScoringPipeline, progress: Progress) -> AnomalyModel {
        AnomalyModel {
            pipeline,
            warm_announced: false,
            progress,
        }
    }
}

impl Actor for AnomalyModel {
    type Context = SyncContext<Self>;

    fn started(&mut self, _ctx: &mut SyncContext<Self>) {
        tracing::info!(
            scorer = self.pipeline.scorer_name(),
            "anomaly model started"
        );
        if !self.pipeline.judging() {
            tracing::info!(
                warm_up = %humantime::format_duration(self.pipeline.warm_up()),
                "warming up: a pod's signals are judged once it has been observed this long; \
                 the Kubernetes-state rules speak from its first sample"
            );
        }
    }
}

impl Handler<ScoreRows> for AnomalyModel {
    type Result = Result<ScoredRows, ScoringFailed>;

    fn handle(&mut self, msg: ScoreRows, ctx: &mut SyncContext<Self>) -> Self::Result {
        let n = msg.rows.len();
        let _span =
            tracing::debug_span!("score_rows", rows = n, replay = msg.replay.len()).entered();
        let failed = |message: String| ScoringFailed { rows: n, message };
        // Counted before the work too: a message that starts is progress as much as one that ends.
        self.progress.advance();
        let _advance = AdvanceOnDrop(&self.progress);
        let result = super::catch_panic(|| {
            let mut evicted = self.pipeline.replay(&msg.replay)?;
            let (scores, more) = self.pipeline.score_rows(&msg.rows)?;
            evicted.extend(more);
            Ok::<_, crate::features::FeatureError>((scores, evicted))
        });
        match result {
            Ok(Ok((scores, evicted))) => {
                if !self.warm_announced && self.pipeline.judging() {
                    self.warm_announced = true;
                    tracing::info!(
                        pods = self.pipeline.pods_tracked(),
                        "warm-up over: pods' signals are judged"
                    );
                }
                Ok(ScoredRows {
                    scores,
                    evicted,
                    pods_tracked: self.pipeline.pods_tracked(),
                })
            }
            Ok(Err(e)) => Err(failed(e.to_string())),
            Err(panic) => {
                tracing::error!(panic = %panic, "anomaly model panicked; restarting it with fresh state");
                ctx.stop();
                Err(failed(format!("panicked: {panic}")))
            }
        }
    }
}

impl Handler<SetAlertThreshold> for AnomalyModel {
    type Result = ();

    fn handle(&mut self, msg: SetAlertThreshold, _ctx: &mut SyncContext<Self>) {
        self.pipeline.set_alert_threshold(msg.0);
    }
}

/// Advances the progress when the handler returns, whichever way.
struct AdvanceOnDrop<'a>(&'a Progress);

impl Drop for AdvanceOnDrop<'_> {
    fn drop(&mut self) {
        self.0.advance();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::AnomalyScorer;
    use crate::features::{FeatureBuilder, FeatureRow};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    /// Panics on its first call ever (shared across restarts), then scores everything 0.
    struct PanicsOnce(Arc<AtomicUsize>);

    impl AnomalyScorer for PanicsOnce {
        fn name(&self) -> &'static str {
            "panics-once"
        }
        fn score(&mut self, features: &[FeatureRow]) -> Vec<PodScore> {
            if self.0.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("scorer bug");
            }
            features
                .iter()
                .map(|f| PodScore {
                    timestamp: f.timestamp,
                    namespace: f.key.namespace.clone(),
                    pod: f.key.pod.clone(),
                    node: f.node.clone(),
                    workload: f.workload.clone(),
                    anomaly_probability: 0.0,
                    is_anomaly: false,
                    anomaly_type: None,
                    severity: crate::detector::Severity::Info,
                    evidence: vec![],
                    context: Default::default(),
                    status: Default::default(),
                })
                .collect()
        }
        fn forget(&mut self, _pods: &[PodKey]) {}
        fn set_alert_threshold(&mut self, _: f64) {}
    }

    fn row(t: i64) -> PodMetricsRow {
        let ts = chrono::DateTime::from_timestamp(1_700_000_000 + t, 0).unwrap();
        PodMetricsRow::empty(ts, "ns", "pod-a")
    }

    #[test]
    fn a_panicking_model_is_restarted_and_keeps_serving() {
        let calls = Arc::new(AtomicUsize::new(0));
        let factories = Arc::new(AtomicUsize::new(0));
        let (c, f) = (calls.clone(), factories.clone());
        actix::System::new().block_on(async move {
            let model = SyncArbiter::start(1, move || {
                f.fetch_add(1, Ordering::SeqCst);
                let features = FeatureBuilder::new(
                    crate::signal::SignalSettings::default(),
                    Duration::from_secs(60),
                );
                AnomalyModel::new(
                    ScoringPipeline::new(features, Box::new(PanicsOnce(c.clone()))),
                    Progress::new(),
                )
            });
            let first = model
                .send(ScoreRows {
                    replay: vec![],
                    rows: vec![row(0)],
                })
                .await
                .expect("actor answers even when scoring panicked");
            assert!(first.unwrap_err().message.contains("scorer bug"));
            let second = model
                .send(ScoreRows {
                    replay: vec![],
                    rows: vec![row(5)],
                })
                .await
                .expect("restarted actor answers");
            assert_eq!(second.unwrap().scores.len(), 1);
        });
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(
            factories.load(Ordering::SeqCst),
            2,
            "a fresh actor after the panic"
        );
    }
}
