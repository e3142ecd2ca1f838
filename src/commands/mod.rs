//! The subcommands: each adapts command-line arguments to library calls.

pub mod detect;
pub mod eval;
pub mod generate;
pub mod run;

use std::time::Duration;

/// Parses "5s", "2h 30m", or a plain number of seconds ("5", "2.5").
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(Duration::from_secs_f64(secs));
        }
        return Err(format!(
            "{s:?} is not a duration: seconds must be finite and >= 0"
        ));
    }
    humantime::parse_duration(t)
        .map_err(|e| format!("{s:?} is not a duration ({e}); use e.g. 5s, 2m, 1h 30m"))
}
