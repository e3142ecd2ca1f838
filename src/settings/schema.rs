//! The one list of sections and keys (what "unknown key" is checked against), and the untyped,
//! located values that the file, environment and flag layers produce before validation.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::error::Origin;

/// Every section with its keys, in the order they are documented and printed.
pub(crate) const SECTIONS: &[(&str, &[&str])] = &[
    (
        "collector",
        &[
            "source",
            "generator_interval",
            "output_file",
            "prometheus_url",
            "namespace",
            "max_file_bytes",
            "max_files",
        ],
    ),
    (
        "simulator",
        &[
            "pods",
            "seed",
            "first_fault_after",
            "mean_time_between_faults",
        ],
    ),
    (
        "dataset_generator",
        &[
            "watch_interval",
            "poll_interval",
            "evict_after",
            "offset_file",
            "max_clock_skew",
        ],
    ),
    (
        "prometheus",
        &[
            "timeout",
            "retries",
            "retry_backoff",
            "rate_window",
            "backfill",
            "bearer_token_file",
            "basic_auth_username",
            "basic_auth_password_file",
            "ca_file",
        ],
    ),
    (
        "prometheus_queries",
        &[
            "cpu_millicores",
            "cpu_limit_millicores",
            "memory_bytes",
            "memory_limit_bytes",
            "net_rx_bytes_per_s",
            "net_tx_bytes_per_s",
            "net_rx_errors_per_s",
            "net_tx_errors_per_s",
            "fs_read_bytes_per_s",
            "fs_write_bytes_per_s",
            "restarts",
            "ready_containers",
            "total_containers",
            "phase",
            "reason",
            "node",
        ],
    ),
    ("kubernetes", &["kubeconfig", "context"]),
    (
        "anomaly_model",
        &["alert_threshold", "warm_up", "detector", "model_dir"],
    ),
    ("insights", &["output_file", "max_pods", "summary_every"]),
    ("analysis", &["incidents_file", "resolve_after", "cooldown"]),
    (
        "alerts",
        &[
            "alertmanager_url",
            "webhook_url",
            "resend_interval",
            "max_per_minute",
            "timeout",
        ],
    ),
    (
        "llm",
        &[
            "base_url",
            "model",
            "api_key_file",
            "mode",
            "redact",
            "timeout",
            "retries",
            "max_concurrency",
            "max_requests_per_minute",
            "cache_ttl",
            "cache_size",
            "json_mode",
            "max_tokens",
        ],
    ),
    ("server", &["listen", "max_pod_series"]),
    ("logging", &["level", "format"]),
];

/// A (section, key) pair, borrowed from [`SECTIONS`] so layers cannot invent keys.
pub(crate) type KeyId = (&'static str, &'static str);

/// Looks up a section by name.
pub(crate) fn section(name: &str) -> Option<(&'static str, &'static [&'static str])> {
    SECTIONS
        .iter()
        .copied()
        .find(|(section, _)| *section == name)
}

/// Looks up a key of a known section.
pub(crate) fn key(section_name: &str, key_name: &str) -> Option<KeyId> {
    let (section, keys) = section(section_name)?;
    keys.iter().find(|k| **k == key_name).map(|k| (section, *k))
}

pub(crate) fn section_names() -> String {
    SECTIONS
        .iter()
        .map(|(s, _)| *s)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn key_names(keys: &[&str]) -> String {
    keys.join(", ")
}

/// A value before it is checked against its key's type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawValue {
    /// Typed values from the TOML file.
    Str(String),
    Int(i64),
    Float(f64),
    /// A TOML value no key accepts (boolean, array, table, datetime), by type name and text.
    Other {
        type_name: &'static str,
        text: String,
    },
    /// Untyped text from an environment variable or a string flag, parsed as the key requires.
    Text(String),
    /// A path flag, kept as a path because it need not be UTF-8.
    Path(PathBuf),
    /// A number flag.
    Number(f64),
}

impl RawValue {
    /// The type as a user would name it, for "expected X, found Y".
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            RawValue::Str(_) | RawValue::Text(_) => "a string",
            RawValue::Int(_) => "an integer",
            RawValue::Float(_) | RawValue::Number(_) => "a float",
            RawValue::Other { type_name, .. } => type_name,
            RawValue::Path(_) => "a path",
        }
    }

    /// The value as it was written, for error messages.
    pub(crate) fn shown(&self) -> String {
        match self {
            // Text from the environment is quoted too, so `level = "a=b"` is not ambiguous.
            RawValue::Str(s) | RawValue::Text(s) => toml::Value::String(s.clone()).to_string(),
            RawValue::Int(i) => i.to_string(),
            RawValue::Float(f) | RawValue::Number(f) => f.to_string(),
            RawValue::Other { text, .. } => text.clone(),
            RawValue::Path(p) => toml::Value::String(p.display().to_string()).to_string(),
        }
    }
}

/// A raw value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Located {
    pub value: RawValue,
    pub origin: Origin,
}

/// Every value given for each key, lowest precedence first (file, environment, flag). All are
/// validated, so a bad file value is reported even while an environment variable overrides it.
pub(crate) type Layers = BTreeMap<KeyId, Vec<Located>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_lower_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for (section, keys) in SECTIONS {
            for k in *keys {
                assert!(seen.insert((section, k)), "duplicate {section}.{k}");
                assert!(k.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{k}");
                // The env form splits on "__", so a key must not contain it.
                assert!(!k.contains("__") && !section.contains("__"));
            }
        }
        assert_eq!(key("collector", "source"), Some(("collector", "source")));
        assert_eq!(key("collector", "pods"), None);
        assert_eq!(key("nope", "pods"), None);
    }
}
