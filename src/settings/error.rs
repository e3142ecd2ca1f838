//! Errors of [`load`](super::load): where a bad setting came from, which key, and what is allowed.

use std::fmt;
use std::path::PathBuf;

/// Where a setting's value came from, so an error can point the user at the thing to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default (only appears in cross-key checks).
    Default,
    /// A line of the TOML file (1-based).
    File { path: PathBuf, line: usize },
    /// An environment variable, by name.
    Env { var: String },
    /// A command-line flag, e.g. `--alert-threshold`.
    Flag { flag: &'static str },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("built-in default"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
            Origin::Env { var } => write!(f, "environment variable {var}"),
            Origin::Flag { flag } => write!(f, "flag {flag}"),
        }
    }
}

/// One invalid setting. Several are collected before failing so a user fixes them in one go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub origin: Origin,
    /// The section concerned, as written by the user (may be unknown).
    pub section: String,
    /// The key concerned, as written by the user; `None` for a problem with a whole section.
    pub key: Option<String>,
    /// What is wrong and what is allowed, starting with the key, e.g.
    /// `[simulator] pods = 0 is out of range: allowed 1..=100000`.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// Why the settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read, including an explicitly given file that does not exist.
    #[error("cannot read config file {}: {source}", path.display())]
    ReadConfigFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML; nothing in it can be trusted, so this stops loading at once.
    #[error("{}: malformed TOML: {message}", position(path, *line, *column))]
    ParseConfigFile {
        path: PathBuf,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    /// One or more keys are unknown or have unacceptable values.
    #[error("invalid settings:{}", list(problems))]
    ValidateSettings { problems: Vec<Problem> },
}

fn position(path: &std::path::Path, line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!("{}:{line}:{column}", path.display()),
        _ => path.display().to_string(),
    }
}

fn list(problems: &[Problem]) -> String {
    // One problem stays on one line (log-friendly); several get one indented line each.
    match problems {
        [one] => format!(" {one}"),
        many => many.iter().map(|p| format!("\n  {p}")).collect(),
    }
}
