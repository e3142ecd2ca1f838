//! The HTTP client of an OpenAI-compatible chat-completions API: one `POST
//! {base_url}/chat/completions` per explanation, with a timeout per attempt, retries with
//! exponential backoff and jitter on connection errors, 429 and 5xx (a `Retry-After` in seconds
//! is honoured up to [`LlmConfig::max_retry_after`]), no retry on other 4xx nor on a timeout,
//! at most `max_concurrency` requests in flight and at most `max_requests_per_minute` attempts
//! in any minute.
//!
//! It sends what it is given: redaction is the explainer's job, before this client sees the
//! evidence. It logs nothing but counts and statuses at debug level; the key travels only in
//! the `Authorization` header (marked sensitive by reqwest).

use super::config::{ApiKey, LlmConfig};
use super::error::ExplainError;
use super::rate_limit::RateLimiter;
use crate::clock::Clock;
use crate::error_chain::error_chain;
use backon::Retryable;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The system message: the answer's form, and what the placeholders are.
pub const SYSTEM_PROMPT: &str = "\
You are a Kubernetes site-reliability engineer. The user message is the evidence of one \
incident as JSON: the pod's anomaly, the metrics that deviated from its normal, and related \
events. Names are replaced by placeholders: <pod-1>, <namespace-1>, <node-1>, <container-1>, \
<workload-1>; IP addresses by <ip-1>, <ip-2>, ...; event messages by <event-message-1>, .... \
Write these placeholders exactly as given when you refer to those objects; never guess real \
names.\n\
Answer with exactly one JSON object and nothing else, of this form:\n\
{\"summary\": \"one or two sentences: what is wrong\", \
\"root_cause\": \"the most likely cause, grounded in the evidence\", \
\"steps\": [\"concrete step to confirm or fix, e.g. a kubectl command\", \"...\"], \
\"risk\": \"low\" or \"medium\" or \"high\"}\n\
Give 1 to 6 steps. risk is the risk to the service if nothing is done.";

/// An OpenAI-compatible chat-completions client.
pub struct LlmClient {
    http: reqwest::Client,
    base_url: String,
    url: String,
    model: String,
    api_key: Option<ApiKey>,
    timeout: Duration,
    retries: u32,
    max_retry_after: Duration,
    json_mode: bool,
    max_tokens: u32,
    temperature: f64,
    in_flight: Semaphore,
    rate: RateLimiter,
    retry_backoff: Duration,
}

/// A failed attempt, and the server's `Retry-After` if it gave one.
struct Failure {
    error: ExplainError,
    retry_after: Option<Duration>,
}

impl From<ExplainError> for Failure {
    fn from(error: ExplainError) -> Self {
        Failure {
            error,
            retry_after: None,
        }
    }
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
}

impl LlmClient {
    /// The rate limit runs on `clock`.
    pub fn new(config: &LlmConfig, clock: Arc<dyn Clock>) -> Result<LlmClient, ExplainError> {
        crate::source::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("k8s-monitor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ExplainError::BuildClient {
                message: error_chain(&e),
            })?;
        let base_url = config.base_url.trim_end_matches('/').to_string();
        Ok(LlmClient {
            http,
            url: format!("{base_url}/chat/completions"),
            base_url,
            model: config.model.clone(),
            api_key: config.api_key.clone(),
            timeout: config.timeout,
            retries: config.retries,
            max_retry_after: config.max_retry_after,
            json_mode: config.json_mode,
            max_tokens: config.max_tokens,
            temperature: config.temperature,
            in_flight: Semaphore::new(config.max_concurrency.max(1)),
            rate: RateLimiter::new(config.max_requests_per_minute, clock),
            retry_backoff: config.retry_backoff,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The request body for `evidence` (the user message, sent as given).
    pub fn request_body(&self, evidence: &str) -> Value {
        let mut body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": format!("Incident evidence:\n{evidence}")},
            ],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stream": false,
        });
        if self.json_mode {
            body["response_format"] = json!({"type": "json_object"});
        }
        body
    }

    /// Asks the model about `evidence` and returns its message content, unparsed.
    pub async fn complete(&self, evidence: &str) -> Result<String, ExplainError> {
        let body = self.request_body(evidence);
        // The semaphore is never closed.
        let _permit = self
            .in_flight
            .acquire()
            .await
            .map_err(|_| ExplainError::BuildClient {
                message: "the client was shut down".to_string(),
            })?;
        // Each attempt takes a slot of the rate limit; a full limit is not retried.
        let attempt = || async {
            self.rate.try_acquire().map_err(|retry_in| Failure {
                error: ExplainError::RateLimit {
                    per_minute: self.rate.per_minute(),
                    retry_in,
                },
                retry_after: None,
            })?;
            self.send_once(&body).await
        };
        attempt
            .retry(crate::retry::policy(self.retry_backoff, self.retries))
            .when(|f: &Failure| match &f.error {
                ExplainError::SendRequest { .. } => true,
                ExplainError::HttpStatus { status, .. } => *status == 429 || *status >= 500,
                _ => false,
            })
            // The server's Retry-After replaces the backoff, within the retries allowed; one
            // longer than we retry for gives up at once.
            .adjust(|f, backoff| match (f.retry_after, backoff) {
                (_, None) => None,
                (Some(wait), Some(_)) if wait > self.max_retry_after => {
                    tracing::debug!(
                        retry_after_s = wait.as_secs(),
                        "the LLM asks to wait longer than we retry for"
                    );
                    None
                }
                (Some(wait), Some(_)) => Some(wait),
                (None, backoff) => backoff,
            })
            .notify(|f, wait| {
                tracing::debug!(wait_ms = wait.as_millis() as u64, error = %f.error, "retrying the LLM request")
            })
            .await
            .map_err(|f| f.error)
    }

    fn transport_error(&self, e: &reqwest::Error) -> ExplainError {
        if e.is_timeout() {
            ExplainError::Timeout {
                url: self.base_url.clone(),
                timeout: self.timeout,
            }
        } else {
            ExplainError::SendRequest {
                url: self.base_url.clone(),
                message: error_chain(e),
            }
        }
    }

    async fn send_once(&self, body: &Value) -> Result<String, Failure> {
        let mut request = self.http.post(&self.url).json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.expose());
        }
        let response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(&e))?;
        tracing::debug!(
            status = status.as_u16(),
            bytes = bytes.len(),
            "LLM answered"
        );
        if !status.is_success() {
            return Err(Failure {
                error: ExplainError::HttpStatus {
                    status: status.as_u16(),
                    body: snippet(&bytes),
                },
                retry_after,
            });
        }
        Ok(completion_content(&bytes)?)
    }
}

/// The first choice's message content.
fn completion_content(bytes: &[u8]) -> Result<String, ExplainError> {
    let bad = |message: String| ExplainError::ReadCompletion { message };
    // Some proxies answer 200 with an OpenAI-style error object.
    if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(bytes) {
        if let Some(error) = map.get("error").filter(|_| !map.contains_key("choices")) {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .map_or_else(|| error.to_string(), str::to_string);
            return Err(bad(format!(
                "the server reported an error: {}",
                message.chars().take(200).collect::<String>()
            )));
        }
    }
    let completion: Completion =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not a chat completion ({e})")))?;
    let choice = completion
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| bad("no choices".to_string()))?;
    choice
        .message
        .content
        .ok_or_else(|| bad("the message has no content".to_string()))
}

/// The start of an error body, for the error message.
fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_content_is_the_first_choice() {
        let ok = br#"{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"{}"},"finish_reason":"stop"}]}"#;
        assert_eq!(completion_content(ok).unwrap(), "{}");
        for (body, want) in [
            (&b"{not json"[..], "not a chat completion"),
            (br#"{"choices":[]}"#, "no choices"),
            (
                br#"{"choices":[{"message":{"role":"assistant"}}]}"#,
                "no content",
            ),
            (
                br#"{"error":{"message":"model not loaded"}}"#,
                "model not loaded",
            ),
        ] {
            let e = completion_content(body).unwrap_err();
            assert!(matches!(e, ExplainError::ReadCompletion { .. }), "{e}");
            assert!(e.to_string().contains(want), "{e}");
        }
    }

    #[test]
    fn the_request_asks_for_the_json_answer() {
        let clock = Arc::new(crate::clock::SystemClock);
        let mut config = LlmConfig::new("http://127.0.0.1:1/v1/", "m");
        let client = LlmClient::new(&config, clock.clone()).unwrap();
        assert_eq!(client.url, "http://127.0.0.1:1/v1/chat/completions");
        let body = client.request_body("{\"pod\":\"<pod-1>\"}");
        assert_eq!(body["model"], "m");
        assert_eq!(body["max_tokens"], 512);
        assert_eq!(body["temperature"], 0.1);
        assert_eq!(body["messages"][0]["role"], "system");
        assert_eq!(body["messages"][1]["role"], "user");
        assert!(body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .ends_with("{\"pod\":\"<pod-1>\"}"));
        assert!(body.get("response_format").is_none());
        config.json_mode = true;
        let client = LlmClient::new(&config, clock).unwrap();
        assert_eq!(
            client.request_body("{}")["response_format"],
            json!({"type": "json_object"})
        );
    }
}
