//! AnomalyModel: scores rows with the [`ScoringPipeline`], on its own thread (a SyncArbiter)
//! because feature building and scoring are CPU-bound and must not stall the async actors.
//!
//! The pipeline is stateful (per-pod history), so one instance owns it. A panic inside scoring is
//! caught; the actor is then recreated from its factory with fresh state and the daemon carries on.

use crate::detector::PodScore;
use crate::features::PodKey;
use crate::metrics_row::PodMetricsRow;
use crate::pipeline::ScoringPipeline;
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

pub struct AnomalyModel {
    pipeline: ScoringPipeline,
}

impl AnomalyModel {
    pub fn new(pipeline: ScoringPipeline) -> AnomalyModel {
        AnomalyModel { pipeline }
    }
}

impl Actor for AnomalyModel {
    type Context = SyncContext<Self>;

    fn started(&mut self, _ctx: &mut SyncContext<Self>) {
        tracing::info!(
            scorer = self.pipeline.scorer_name(),
            "anomaly model started"
        );
    }
}

impl Handler<ScoreRows> for AnomalyModel {
    type Result = Result<ScoredRows, ScoringFailed>;

    fn handle(&mut self, msg: ScoreRows, ctx: &mut SyncContext<Self>) -> Self::Result {
        let n = msg.rows.len();
        let _span =
            tracing::debug_span!("score_rows", rows = n, replay = msg.replay.len()).entered();
        let failed = |message: String| ScoringFailed { rows: n, message };
        let result = super::catch_panic(|| {
            let (_, mut evicted) = self.pipeline.score_rows(&msg.replay)?;
            let (scores, more) = self.pipeline.score_rows(&msg.rows)?;
            evicted.extend(more);
            Ok::<_, crate::features::FeatureError>((scores, evicted))
        });
        match result {
            Ok(Ok((scores, evicted))) => Ok(ScoredRows {
                scores,
                evicted,
                pods_tracked: self.pipeline.pods_tracked(),
            }),
            Ok(Err(e)) => Err(failed(e.to_string())),
            Err(panic) => {
                tracing::error!(panic = %panic, "anomaly model panicked; restarting it with fresh state");
                ctx.stop();
                Err(failed(format!("panicked: {panic}")))
            }
        }
    }
}
