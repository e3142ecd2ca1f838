//! Durations as users write them: humantime strings (`"5s"`, `"1h 30m"`, `"250ms"`) or plain
//! numbers of seconds (`5`, `2.5`), because the original Python flags took seconds.

use std::time::Duration;

/// Shown after a bad duration so the user sees what is accepted.
pub(crate) const DURATION_FORMS: &str =
    r#"expected e.g. "5s", "250ms", "2m", "1h 30m" or a number of seconds"#;

/// Parses text from the file, an environment variable or a flag.
pub fn parse_duration_text(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    // A bare number is seconds; humantime would reject "2.5" and read "5" only as zero-or-error.
    if let Ok(seconds) = text.parse::<f64>() {
        return seconds_to_duration(seconds);
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("is not a duration ({e}); {DURATION_FORMS}"))
}

/// Converts a number of seconds, rejecting negative, NaN and infinite values.
pub(crate) fn seconds_to_duration(seconds: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| "is not a duration: seconds must be a finite number >= 0".to_string())
}

/// Formats a duration the way it can be written back (`5s`, `4m`, `1h 30m`, `250ms`).
pub(crate) fn format_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humantime_strings_and_seconds_parse() {
        assert_eq!(parse_duration_text("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration_text("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration_text("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration_text("5"), Ok(Duration::from_secs(5)));
        assert_eq!(
            parse_duration_text(" 2.5 "),
            Ok(Duration::from_millis(2500))
        );
    }

    #[test]
    fn bad_durations_are_rejected_with_the_accepted_forms() {
        let err = parse_duration_text("5 parsecs").unwrap_err();
        assert!(err.contains("is not a duration"), "{err}");
        assert!(err.contains("number of seconds"), "{err}");
        assert!(parse_duration_text("-1").is_err());
        assert!(parse_duration_text("nan").is_err());
        assert!(parse_duration_text("inf").is_err());
        assert!(parse_duration_text("").is_err());
    }

    #[test]
    fn formatting_round_trips() {
        for d in [
            Duration::from_millis(250),
            Duration::from_secs(5400),
            Duration::from_secs(240),
        ] {
            assert_eq!(parse_duration_text(&format_duration(d)), Ok(d));
        }
        assert_eq!(format_duration(Duration::from_secs(240)), "4m");
    }
}
