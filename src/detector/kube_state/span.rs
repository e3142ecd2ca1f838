//! Time inside a tracker: milliseconds since the epoch (`i64`, 8 bytes), and spans of it in
//! words for evidence ("40 s", "12 min", "1 h 5 min").

use chrono::{DateTime, Utc};
use std::time::Duration;

/// A stamp that never happened: earlier than any sample.
pub(crate) const NEVER: i64 = i64::MIN;

pub(crate) fn stamp(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A setting's duration in milliseconds (saturating: a century is as good as forever).
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// `at` lies within `span` before `now` (inclusive); false for [`NEVER`].
pub(crate) fn within(at: i64, now: i64, span: i64) -> bool {
    at != NEVER && now.saturating_sub(at) <= span
}

/// A span in words, rounded down: "40 s", "12 min", "2 h", "1 h 5 min".
pub(crate) fn words(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min", s / 60)
    } else if s % 3600 < 60 {
        format!("{} h", s / 3600)
    } else {
        format!("{} h {} min", s / 3600, (s % 3600) / 60)
    }
}

/// " for 12 min", or nothing on a condition's first sample.
pub(crate) fn for_how_long(ms: i64) -> String {
    if ms < 1000 {
        String::new()
    } else {
        format!(" for {}", words(ms))
    }
}

/// "12 min ago", or "just now".
pub(crate) fn ago(ms: i64) -> String {
    if ms < 1000 {
        "just now".to_string()
    } else {
        format!("{} ago", words(ms))
    }
}

/// A setting's duration in words.
pub(crate) fn duration_words(d: Duration) -> String {
    words(millis(d))
}

/// A span in minutes, to two decimals, for an evidence's value.
pub(crate) fn minutes(ms: i64) -> f64 {
    (ms as f64 / 600.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_an_sre_would_say_them() {
        assert_eq!(words(40_999), "40 s");
        assert_eq!(words(12 * 60_000 + 59_000), "12 min");
        assert_eq!(words(2 * 3_600_000 + 30_000), "2 h");
        assert_eq!(words(3_900_000), "1 h 5 min");
        assert_eq!(minutes(90_000), 1.5);
        assert_eq!(for_how_long(999), "");
        assert_eq!(for_how_long(61_000), " for 1 min");
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(5_000), "5 s ago");
        assert!(within(1_000, 61_000, 60_000));
        assert!(!within(NEVER, 0, i64::MAX));
    }
}
