//! LlmExplainer: the optional LLM agent. It answers `ExplainIncident` with the model's
//! explanation (names restored) or the reason there is none; the request runs as a future on
//! this actor's arbiter, bounded in concurrency and rate by the explainer itself.

use crate::llm::{ExplainError, Explanation, LlmExplainer, NameKind};
use crate::service::telemetry::DaemonMetrics;
use actix::prelude::*;
use std::sync::Arc;

/// Explain one incident: its cache signature, evidence document and the names to redact.
#[derive(Debug, Message)]
#[rtype(result = "Result<Explanation, ExplainError>")]
pub struct ExplainIncident {
    pub signature: String,
    pub document: serde_json::Value,
    pub names: Vec<(NameKind, String)>,
}

pub struct LlmExplainerActor {
    explainer: Arc<LlmExplainer>,
    metrics: Arc<DaemonMetrics>,
}

impl LlmExplainerActor {
    pub fn new(explainer: LlmExplainer, metrics: Arc<DaemonMetrics>) -> LlmExplainerActor {
        metrics.llm_request_known("ok");
        LlmExplainerActor {
            explainer: Arc::new(explainer),
            metrics,
        }
    }
}

impl Actor for LlmExplainerActor {
    type Context = Context<Self>;
}

impl Handler<ExplainIncident> for LlmExplainerActor {
    type Result = ResponseFuture<Result<Explanation, ExplainError>>;

    fn handle(&mut self, msg: ExplainIncident, _ctx: &mut Context<Self>) -> Self::Result {
        let (explainer, metrics) = (self.explainer.clone(), self.metrics.clone());
        Box::pin(async move {
            let answer = explainer
                .explain(&msg.signature, msg.document, &msg.names)
                .await;
            metrics.llm_request(match &answer {
                Ok(_) => "ok",
                Err(e) => e.kind(),
            });
            answer
        })
    }
}
