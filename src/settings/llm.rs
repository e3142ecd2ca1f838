//! `[llm]`: the optional LLM explainer (any OpenAI-compatible chat-completions API), its typed
//! settings, defaults and printout. The API key is not a setting: it is read from
//! `api_key_file` or `NVIDIA_API_KEY` when the explainer is built (see [`crate::llm::config`]),
//! so it never appears in `--print-config`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// When the explainer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LlmMode {
    /// On when an API key is found or `base_url` is a loopback address (a local server).
    Auto,
    /// Always on (a server that needs no key, on another machine).
    On,
    Off,
}

impl LlmMode {
    pub const ALL: [LlmMode; 3] = [Self::Auto, Self::On, Self::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::On => "on",
            Self::Off => "off",
        }
    }
}

impl fmt::Display for LlmMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[llm]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmSettings {
    /// The API root; requests go to `{base_url}/chat/completions`.
    pub base_url: String,
    pub model: String,
    /// A file holding the API key; `None`: the `NVIDIA_API_KEY` environment variable.
    pub api_key_file: Option<PathBuf>,
    pub mode: LlmMode,
    /// Replace names, IPs and event messages by placeholders before sending (default on).
    pub redact: bool,
    /// Per attempt, connect to last byte.
    pub timeout: Duration,
    /// Further attempts after a connection error, 429 or 5xx.
    pub retries: u32,
    /// Requests in flight at once.
    pub max_concurrency: usize,
    /// Requests (attempts) in any 60 seconds.
    pub max_requests_per_minute: u32,
    /// How long an answer is reused for the same incident signature.
    pub cache_ttl: Duration,
    /// Answers kept.
    pub cache_size: usize,
    /// Send `response_format: {"type": "json_object"}` (not every server supports it).
    pub json_mode: bool,
    /// `max_tokens` of each request.
    pub max_tokens: u32,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            base_url: "https://integrate.api.nvidia.com/v1".to_string(),
            model: "nvidia/llama-3.1-nemotron-70b-instruct".to_string(),
            api_key_file: None,
            mode: LlmMode::Auto,
            redact: true,
            timeout: Duration::from_secs(30),
            retries: 2,
            max_concurrency: 2,
            max_requests_per_minute: 30,
            cache_ttl: Duration::from_secs(3600),
            cache_size: 1000,
            json_mode: false,
            max_tokens: 512,
        }
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// The `[llm]` lines of `--print-config`.
pub(crate) fn write_section(
    f: &mut fmt::Formatter<'_>,
    s: &LlmSettings,
    string: impl Fn(&str) -> String,
    duration: impl Fn(Duration) -> String,
) -> fmt::Result {
    writeln!(f, "\n[llm]")?;
    writeln!(f, "base_url = {}", string(&s.base_url))?;
    writeln!(f, "model = {}", string(&s.model))?;
    let key_file = super::sources::optional_path(&s.api_key_file);
    writeln!(f, "api_key_file = {}", string(&key_file))?;
    writeln!(f, "mode = {}", string(s.mode.as_str()))?;
    writeln!(f, "redact = {}", string(on_off(s.redact)))?;
    writeln!(f, "timeout = {}", duration(s.timeout))?;
    writeln!(f, "retries = {}", s.retries)?;
    writeln!(f, "max_concurrency = {}", s.max_concurrency)?;
    writeln!(f, "max_requests_per_minute = {}", s.max_requests_per_minute)?;
    writeln!(f, "cache_ttl = {}", duration(s.cache_ttl))?;
    writeln!(f, "cache_size = {}", s.cache_size)?;
    writeln!(f, "json_mode = {}", string(on_off(s.json_mode)))?;
    writeln!(f, "max_tokens = {}", s.max_tokens)
}
