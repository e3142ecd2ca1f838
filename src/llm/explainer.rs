//! [`LlmExplainer`]: one incident's evidence in, a validated [`Explanation`] with the real
//! names out — redact → cache → call → validate → cache → restore.
//!
//! The cache is keyed by the caller's signature and holds the model's answer still in
//! placeholders, restored for each incident that asks; an unusable answer is cached too (the
//! same evidence would get the same answer), while network, server and rate-limit failures are
//! not. Calls for the same signature are serialised, so one incident seen twice at once still
//! asks once.
//!
//! Logging: counts, statuses and the risk at debug level only; never the key, the evidence,
//! the signature (it holds names) or the answer's text.

use super::answer::{parse_answer, AnswerError, Explanation};
use super::cache::AnswerCache;
use super::client::LlmClient;
use super::config::LlmConfig;
use super::error::ExplainError;
use super::redact::{NameKind, Redactor};
use super::LlmActivation;
use crate::clock::{Clock, SystemClock};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type CachedAnswer = Result<Explanation, AnswerError>;

pub struct LlmExplainer {
    client: LlmClient,
    redact: bool,
    cache: Mutex<AnswerCache<CachedAnswer>>,
    /// One lock per signature being explained, so the same incident asks once.
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LlmExplainer {
    pub fn new(config: &LlmConfig) -> Result<LlmExplainer, ExplainError> {
        Self::with_clock(config, Arc::new(SystemClock))
    }

    /// The cache's TTL and the rate limit run on `clock`.
    pub fn with_clock(
        config: &LlmConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<LlmExplainer, ExplainError> {
        Ok(LlmExplainer {
            client: LlmClient::new(config, clock.clone())?,
            redact: config.redact,
            cache: Mutex::new(AnswerCache::new(config.cache_size, config.cache_ttl, clock)),
            gates: Mutex::new(HashMap::new()),
        })
    }

    pub fn client(&self) -> &LlmClient {
        &self.client
    }

    /// Answers in the cache (expired ones included until next looked up).
    pub fn cached(&self) -> usize {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Explains one incident. `signature` identifies it for the cache (e.g. namespace,
    /// workload, fault kind and evidence kinds); `document` is its evidence, any JSON;
    /// `names` its sensitive names, each with its kind (see [`Redactor`] for what is
    /// replaced). On `Err` the caller keeps its rule-based explanation.
    pub async fn explain<S: AsRef<str>>(
        &self,
        signature: &str,
        document: Value,
        names: &[(NameKind, S)],
    ) -> Result<Explanation, ExplainError> {
        let gate = {
            let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
            gates.entry(signature.to_string()).or_default().clone()
        };
        let result = {
            let _held = gate.lock().await;
            self.explain_alone(signature, document, names).await
        };
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map and this call hold it: nobody else waits on this signature.
        if Arc::strong_count(&gate) <= 2 {
            gates.remove(signature);
        }
        result
    }

    async fn explain_alone<S: AsRef<str>>(
        &self,
        signature: &str,
        document: Value,
        names: &[(NameKind, S)],
    ) -> Result<Explanation, ExplainError> {
        let mut redactor = Redactor::new(names);
        let evidence = if self.redact {
            let redacted = redactor.redact(&document);
            if redactor.leaks(&redacted) {
                return Err(ExplainError::Redact);
            }
            redacted
        } else {
            document
        };
        let restore = |e: Explanation| {
            if self.redact {
                e.map_text(|t| redactor.restore(t))
            } else {
                e
            }
        };
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(signature);
        if let Some(answer) = cached {
            tracing::debug!(usable = answer.is_ok(), "LLM answer from the cache");
            return answer.map(restore).map_err(ExplainError::from);
        }
        let evidence = serde_json::to_string(&evidence).unwrap_or_else(|_| "{}".to_string());
        tracing::debug!(
            bytes = evidence.len(),
            redacted = self.redact,
            "asking the LLM"
        );
        let content = self.client.complete(&evidence).await?;
        let answer = parse_answer(&content);
        match &answer {
            Ok(e) => tracing::debug!(risk = %e.risk, steps = e.steps.len(), "LLM answer usable"),
            Err(e) => tracing::debug!(error = %e, "LLM answer unusable"),
        }
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(signature, answer.clone());
        answer.map(restore).map_err(ExplainError::from)
    }
}

impl LlmExplainer {
    /// The LLM explainer, when `[llm]` turns it on; why it is off is logged.
    pub fn configured(
        settings: &crate::settings::LlmSettings,
        env: &std::collections::HashMap<String, String>,
    ) -> Option<LlmExplainer> {
        match LlmActivation::from_settings(settings, env) {
            Ok(LlmActivation::On(config)) => match LlmExplainer::new(&config) {
                Ok(explainer) => {
                    tracing::info!(
                        base_url = %config.base_url,
                        model = %config.model,
                        redact = config.redact,
                        "LLM explanations on"
                    );
                    Some(explainer)
                }
                Err(e) => {
                    tracing::error!(error = %e, "LLM explanations off: cannot build the client");
                    None
                }
            },
            Ok(LlmActivation::Off { reason }) => {
                tracing::info!(%reason, "LLM explanations off; incidents get the rule-based explanation");
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "LLM explanations off");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    fn assert_send<T: Send>(_: &T) {}

    /// The analysis actor may keep the explainer in an `Arc` and spawn `explain` on any runtime.
    #[test]
    fn the_explainer_and_its_future_can_cross_threads() {
        let explainer = LlmExplainer::new(&LlmConfig::new("http://127.0.0.1:1/v1", "m")).unwrap();
        assert_send_sync(&explainer);
        let names = [(NameKind::Pod, "p".to_string())];
        let future = explainer.explain("s", serde_json::json!({}), &names);
        assert_send(&future);
    }
}
