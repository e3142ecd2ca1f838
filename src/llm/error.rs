//! [`ExplainError`]: why no explanation came back, one variant per failed operation. The caller
//! falls back to its rule-based explanation on every one of them; none carries the API key, the
//! evidence or the answer's text.

use super::answer::AnswerError;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// The `[llm] api_key_file` could not be read.
    #[error("reading the LLM API key file {path} failed: {source}")]
    ReadApiKey {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `[llm] mode = "on"` for a server that is not on this machine, and no key.
    #[error(
        "no LLM API key ({missing}) for a base_url that is not a loopback address; set \
         [llm] api_key_file or NVIDIA_API_KEY, or mode = \"auto\" to run without the LLM"
    )]
    NoApiKey { missing: String },
    /// The HTTP client could not be built.
    #[error("building the LLM HTTP client failed: {message}")]
    BuildClient { message: String },
    /// Redaction left a name or an IP in the evidence (a bug): nothing was sent.
    #[error("redacting the evidence left a sensitive value in it; nothing was sent")]
    Redact,
    /// `[llm] max_requests_per_minute` is used up; nothing was sent.
    #[error(
        "the LLM rate limit of {per_minute} requests per minute is used up (next slot in {:.1}s)",
        retry_in.as_secs_f64()
    )]
    RateLimit { per_minute: u32, retry_in: Duration },
    /// The server could not be reached (refused, DNS, TLS, reset), after the retries.
    #[error("sending the request to the LLM at {url} failed: {message}")]
    SendRequest { url: String, message: String },
    /// No complete answer within `[llm] timeout` (not retried: a slow model stays slow).
    #[error("the LLM at {url} did not answer within {:.1}s", timeout.as_secs_f64())]
    Timeout { url: String, timeout: Duration },
    /// An HTTP error status: 4xx at once, 429 and 5xx after the retries.
    #[error("the LLM answered HTTP {status}: {body}{}", auth_hint(*status))]
    HttpStatus { status: u16, body: String },
    /// The response is not a chat completion (not JSON, no choices, no content).
    #[error("reading the LLM's chat completion failed: {message}")]
    ReadCompletion { message: String },
    /// The model's content is not the structured answer asked for.
    #[error("the LLM's answer is unusable: {0}")]
    ParseAnswer(#[from] AnswerError),
}

fn auth_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => " (check [llm] api_key_file or NVIDIA_API_KEY)",
        404 => " (check [llm] base_url and model)",
        _ => "",
    }
}

impl ExplainError {
    /// The outcome label of `k8s_monitor_llm_requests_total`.
    pub fn kind(&self) -> &'static str {
        match self {
            ExplainError::ReadApiKey { .. } => "api_key_unreadable",
            ExplainError::NoApiKey { .. } => "no_api_key",
            ExplainError::BuildClient { .. } => "client_error",
            ExplainError::Redact => "redaction_refused",
            ExplainError::RateLimit { .. } => "rate_limited",
            ExplainError::SendRequest { .. } => "unreachable",
            ExplainError::Timeout { .. } => "timeout",
            ExplainError::HttpStatus { .. } => "http_error",
            ExplainError::ReadCompletion { .. } => "bad_response",
            ExplainError::ParseAnswer(_) => "unusable_answer",
        }
    }

    /// Whether trying again later may succeed (network, server, rate). The explainer does not
    /// cache these; it caches an unusable answer like a good one.
    pub fn is_transient(&self) -> bool {
        match self {
            ExplainError::RateLimit { .. }
            | ExplainError::SendRequest { .. }
            | ExplainError::Timeout { .. } => true,
            ExplainError::HttpStatus { status, .. } => *status == 429 || *status >= 500,
            ExplainError::ReadApiKey { .. }
            | ExplainError::NoApiKey { .. }
            | ExplainError::BuildClient { .. }
            | ExplainError::Redact
            | ExplainError::ReadCompletion { .. }
            | ExplainError::ParseAnswer(_) => false,
        }
    }
}
