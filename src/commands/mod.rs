//! The subcommands: each adapts command-line arguments to library calls.

pub mod detect;
pub mod eval;
pub mod explain;
pub mod generate;
pub mod run;
pub mod simulate;
pub mod train;
pub mod train_progress;

use std::time::Duration;

/// A duration flag: "5s", "2h 30m", or a plain number of seconds ("5", "2.5"), parsed exactly
/// as in `agents.toml`.
pub fn duration_flag(flag: &str, value: &str) -> anyhow::Result<Duration> {
    crate::settings::parse_duration_text(value).map_err(|e| anyhow::anyhow!("{flag} {value:?} {e}"))
}
