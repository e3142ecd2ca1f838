//! From `[llm]` settings and the API key to an [`LlmConfig`], or the reason the explainer is
//! off. The key comes from `api_key_file` when that is set, else from [`API_KEY_ENV_VAR`]; it is
//! never a flag and never printed (its `Debug` is hidden).

use super::error::ExplainError;
use crate::settings::{LlmMode, LlmSettings};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// The environment variable read for the key when `[llm] api_key_file` is empty.
pub const API_KEY_ENV_VAR: &str = "NVIDIA_API_KEY";

/// An API key. Its `Debug` shows no part of it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// `None` for an empty or blank key. Surrounding whitespace (a file's newline) is dropped.
    pub fn new(key: &str) -> Option<ApiKey> {
        let key = key.trim();
        (!key.is_empty()).then(|| ApiKey(key.to_string()))
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<hidden>)")
    }
}

/// Everything the explainer needs; built from settings by [`LlmActivation::from_settings`], or
/// directly (tests, other callers).
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The API root, e.g. `https://integrate.api.nvidia.com/v1` or `http://127.0.0.1:8080/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<ApiKey>,
    /// Redact names, IPs and event messages before sending.
    pub redact: bool,
    /// Per attempt.
    pub timeout: Duration,
    pub retries: u32,
    /// First retry wait, doubled per retry, plus up to as much again at random.
    pub retry_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one ends the retries at once.
    pub max_retry_after: Duration,
    pub max_concurrency: usize,
    pub max_requests_per_minute: u32,
    pub cache_ttl: Duration,
    pub cache_size: usize,
    pub json_mode: bool,
    pub max_tokens: u32,
    pub temperature: f64,
}

impl LlmConfig {
    /// The settings' values, with `api_key`.
    pub fn from_settings(s: &LlmSettings, api_key: Option<ApiKey>) -> LlmConfig {
        LlmConfig {
            base_url: s.base_url.trim_end_matches('/').to_string(),
            model: s.model.clone(),
            api_key,
            redact: s.redact,
            timeout: s.timeout,
            retries: s.retries,
            retry_backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
            max_concurrency: s.max_concurrency,
            max_requests_per_minute: s.max_requests_per_minute,
            cache_ttl: s.cache_ttl,
            cache_size: s.cache_size,
            json_mode: s.json_mode,
            max_tokens: s.max_tokens,
            temperature: 0.1,
        }
    }

    /// The defaults of `[llm]` for another server and model, without a key.
    pub fn new(base_url: &str, model: &str) -> LlmConfig {
        let settings = LlmSettings {
            base_url: base_url.to_string(),
            model: model.to_string(),
            ..LlmSettings::default()
        };
        LlmConfig::from_settings(&settings, None)
    }
}

/// Whether the explainer runs.
#[derive(Debug)]
pub enum LlmActivation {
    On(LlmConfig),
    /// Off, and why (for one info line at start-up; names no secret).
    Off {
        reason: String,
    },
}

impl LlmActivation {
    /// Decides from `[llm] mode`, the key and `base_url`. Reads the key file only when the
    /// explainer may run; an unreadable key file is an error rather than a silent "off".
    pub fn from_settings(
        s: &LlmSettings,
        env: &HashMap<String, String>,
    ) -> Result<LlmActivation, ExplainError> {
        if s.mode == LlmMode::Off {
            return Ok(LlmActivation::Off {
                reason: "[llm] mode = \"off\"".to_string(),
            });
        }
        let key = match &s.api_key_file {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ExplainError::ReadApiKey {
                        path: path.clone(),
                        source,
                    })?;
                ApiKey::new(&text)
            }
            None => env.get(API_KEY_ENV_VAR).and_then(|k| ApiKey::new(k)),
        };
        let local = is_loopback_url(&s.base_url);
        if s.mode == LlmMode::Auto && key.is_none() && !local {
            let source = match &s.api_key_file {
                Some(path) => format!("{} is empty", path.display()),
                None => format!("{API_KEY_ENV_VAR} is not set"),
            };
            return Ok(LlmActivation::Off {
                reason: format!(
                    "[llm] mode = \"auto\", no API key ({source}) and base_url is not a \
                     loopback address"
                ),
            });
        }
        if s.mode == LlmMode::On && key.is_none() && !local {
            return Err(ExplainError::NoApiKey {
                missing: match &s.api_key_file {
                    Some(path) => format!("{} is empty", path.display()),
                    None => format!("{API_KEY_ENV_VAR} is not set"),
                },
            });
        }
        Ok(LlmActivation::On(LlmConfig::from_settings(s, key)))
    }
}

/// Whether the URL's host is `localhost` or a loopback IP (`127.0.0.0/8`, `::1`).
pub fn is_loopback_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(bracketed) = host_port.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn on(a: LlmActivation) -> LlmConfig {
        match a {
            LlmActivation::On(c) => c,
            LlmActivation::Off { reason } => panic!("off: {reason}"),
        }
    }

    fn off(a: LlmActivation) -> String {
        match a {
            LlmActivation::On(c) => panic!("on: {c:?}"),
            LlmActivation::Off { reason } => reason,
        }
    }

    #[test]
    fn loopback_urls() {
        for yes in [
            "http://localhost:8080/v1",
            "http://127.0.0.1:8080/v1",
            "https://127.3.2.1",
            "http://[::1]:11434/v1",
            "http://user@LOCALHOST/v1",
        ] {
            assert!(is_loopback_url(yes), "{yes}");
        }
        for no in [
            "https://integrate.api.nvidia.com/v1",
            "http://10.0.0.1:8000/v1",
            "http://localhost.example.com/v1",
            "http://[2001:db8::1]/v1",
            "localhost:8080",
        ] {
            assert!(!is_loopback_url(no), "{no}");
        }
    }

    #[test]
    fn auto_needs_a_key_or_a_local_server() {
        let defaults = LlmSettings::default();
        let reason = off(LlmActivation::from_settings(&defaults, &env(&[])).unwrap());
        assert!(reason.contains("NVIDIA_API_KEY is not set"), "{reason}");
        // Blank counts as unset.
        let blank = env(&[(API_KEY_ENV_VAR, " \n")]);
        off(LlmActivation::from_settings(&defaults, &blank).unwrap());

        let with_key = env(&[(API_KEY_ENV_VAR, "nvapi-secret\n")]);
        let config = on(LlmActivation::from_settings(&defaults, &with_key).unwrap());
        assert_eq!(config.api_key, ApiKey::new("nvapi-secret"));
        assert_eq!(config.base_url, "https://integrate.api.nvidia.com/v1");
        assert!(config.redact);
        // The key never shows in Debug output.
        assert!(!format!("{config:?}").contains("nvapi-secret"));

        let local = LlmSettings {
            base_url: "http://127.0.0.1:8080/v1/".to_string(),
            ..LlmSettings::default()
        };
        let config = on(LlmActivation::from_settings(&local, &env(&[])).unwrap());
        assert_eq!(config.api_key, None);
        assert_eq!(config.base_url, "http://127.0.0.1:8080/v1");
    }

    #[test]
    fn on_and_off_override_auto() {
        let forced = LlmSettings {
            mode: LlmMode::On,
            ..LlmSettings::default()
        };
        on(LlmActivation::from_settings(&forced, &env(&[(API_KEY_ENV_VAR, "k")])).unwrap());
        // On, for a server elsewhere, with no key: an error, not a silent "off".
        let e = LlmActivation::from_settings(&forced, &env(&[])).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("no LLM API key (NVIDIA_API_KEY is not set)"),
            "{e}"
        );
        let disabled = LlmSettings {
            mode: LlmMode::Off,
            api_key_file: Some("/nonexistent/key".into()),
            ..LlmSettings::default()
        };
        let with_key = env(&[(API_KEY_ENV_VAR, "k")]);
        let reason = off(LlmActivation::from_settings(&disabled, &with_key).unwrap());
        assert_eq!(reason, "[llm] mode = \"off\"");
    }

    #[test]
    fn the_key_file_wins_over_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key");
        std::fs::write(&path, "from-file\n").unwrap();
        let s = LlmSettings {
            api_key_file: Some(path.clone()),
            ..LlmSettings::default()
        };
        let config =
            on(LlmActivation::from_settings(&s, &env(&[(API_KEY_ENV_VAR, "env")])).unwrap());
        assert_eq!(config.api_key, ApiKey::new("from-file"));

        std::fs::write(&path, "").unwrap();
        let reason =
            off(LlmActivation::from_settings(&s, &env(&[(API_KEY_ENV_VAR, "env")])).unwrap());
        assert!(reason.contains("is empty"), "{reason}");

        let missing = LlmSettings {
            api_key_file: Some(dir.path().join("nope")),
            ..LlmSettings::default()
        };
        let e = LlmActivation::from_settings(&missing, &env(&[])).unwrap_err();
        assert!(matches!(e, ExplainError::ReadApiKey { .. }), "{e}");
        assert!(
            e.to_string().starts_with("reading the LLM API key file "),
            "{e}"
        );
    }
}
