//! The LLM explainer: turns an incident's evidence into a structured explanation (summary, root
//! cause, steps, risk) through any OpenAI-compatible chat-completions API (NVIDIA's, vLLM,
//! Ollama, llama.cpp), without letting a name, IP address or event message leave the machine.
//!
//! The library knows nothing of incidents: the caller hands [`LlmExplainer::explain`] a
//! signature (its cache key), a JSON document of evidence and the incident's sensitive names,
//! and falls back to its rule-based explanation on any `Err`.
//!
//! - [`redact`]: names, IPs and event messages → stable placeholders, and back.
//! - [`answer`]: the model's message content → a validated [`Explanation`].
//! - [`client`]: the HTTP client (timeouts, retries with backoff and jitter, bounded
//!   concurrency, a rate limit).
//! - [`rate_limit`]: at most N requests in any minute, over an injectable clock.
//! - [`cache`]: answers by signature, bounded, with a TTL.
//! - [`config`]: `[llm]` settings + the API key → an [`LlmConfig`], or why the explainer is off.
//! - [`explainer`]: cache → redact → call → validate → restore.
//! - [`error`]: [`ExplainError`], one variant per failed operation.

pub mod answer;
pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod explainer;
pub mod rate_limit;
pub mod redact;

pub use answer::{parse_answer, AnswerError, Explanation, Risk};
pub use cache::AnswerCache;
pub use client::{LlmClient, SYSTEM_PROMPT};
pub use config::{ApiKey, LlmActivation, LlmConfig, API_KEY_ENV_VAR};
pub use error::ExplainError;
pub use explainer::LlmExplainer;
pub use rate_limit::RateLimiter;
pub use redact::{NameKind, Redactor, EVENT_MESSAGE_KEYS};
