//! Configuration: `agents.toml` -> validated -> runtime [`Settings`].
//!
//! Precedence, highest first: command-line flag ([`Overrides`]) > environment
//! (`K8S_MONITOR_<SECTION>__<KEY>`) > `agents.toml` > built-in default ([`Settings::default`]).
//!
//! The layering is done here rather than with the `config` crate because `config` drops the
//! TOML spans (no line numbers in errors), reports environment values by key rather than by
//! variable name, and silently accepts unknown environment variables. Here every value stays
//! tied to its [`Origin`] until it is validated, unknown sections, keys and prefixed variables
//! are errors, and all problems are reported together.
//!
//! Nothing here reads global state: the environment is passed in as a map (`main` passes
//! `std::env::vars().collect()`), so tests are deterministic.

mod duration;
mod env;
mod error;
mod file;
mod llm;
mod model;
mod overrides;
pub mod reload;
mod schema;
mod sources;
mod validate;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;

pub use duration::parse_duration_text;
pub use env::{env_var_name, ENV_PREFIX, NON_SETTINGS_ENV_VARS};
pub use error::{Origin, Problem, SettingsError};
pub use llm::{LlmMode, LlmSettings};
pub use model::{
    AlertsSettings, AnalysisSettings, AnomalyModelSettings, CollectorSettings,
    DatasetGeneratorSettings, DetectorKind, InsightsSettings, LogFormat, LoggingSettings,
    ParseSourceKindError, ServerSettings, Settings, SimulatorSection, SourceKind,
};
pub use overrides::{flag_for, Overrides, OVERRIDE_FLAGS};
pub use sources::{
    KubernetesSettings, PrometheusAuth, PrometheusQueries, PrometheusSettings, QueryAnswer,
    QueryField,
};
pub use validate::{check_filter_directive, effective_log_filter, QUIET_DEPENDENCIES};

/// The config file used when none is given on the command line.
pub const DEFAULT_CONFIG_PATH: &str = "agents.toml";

/// Loads the settings: defaults, then the file at `config_path`, then `env`, then `overrides`.
///
/// A missing file is fine when `config_path_explicit` is false (the default path: defaults
/// apply) and an error naming the path when the user gave it. Every invalid value in every
/// layer is reported in one [`SettingsError::ValidateSettings`].
pub fn load(
    config_path: &Path,
    config_path_explicit: bool,
    env: &HashMap<String, String>,
    overrides: &Overrides,
) -> Result<Settings, SettingsError> {
    let mut layers = schema::Layers::new();
    let mut problems = Vec::new();

    match std::fs::read_to_string(config_path) {
        Ok(text) => file::read_into(config_path, &text, &mut layers, &mut problems)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !config_path_explicit => {
            tracing::debug!(path = %config_path.display(), "no config file; using defaults");
        }
        Err(source) => {
            return Err(SettingsError::ReadConfigFile {
                path: config_path.to_path_buf(),
                source,
            })
        }
    }
    env::read_into(env, &mut layers, &mut problems);
    overrides::read_into(overrides, &mut layers);

    validate::validate(&layers, problems).map_err(|mut problems| {
        // File problems by line, then variables by name, then flags: the order a user fixes them.
        problems.sort_by_cached_key(|p| match &p.origin {
            Origin::File { line, .. } => (0, *line, String::new()),
            Origin::Env { var } => (1, 0, var.clone()),
            Origin::Flag { flag } => (2, 0, flag.to_string()),
            Origin::Default => (3, 0, String::new()),
        });
        SettingsError::ValidateSettings { problems }
    })
}
