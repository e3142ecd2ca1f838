//! Field-level validation shared by both layouts: numbers, counts, timestamps, identity, phase.
//!
//! Bounds reject values no real pod can produce (a unit mix-up or a corrupt write), not merely
//! unusual ones — the scorer is there to judge unusual values:
//!
//! | fields | rejected above |
//! | --- | --- |
//! | `cpu_millicores`, `cpu_limit_millicores` | 10,000,000 m (10,000 cores) |
//! | `memory_bytes`, `memory_limit_bytes` | 2^50 B (1 PiB) |
//! | `net_*_bytes_per_s`, `fs_*_bytes_per_s` | 1e12 B/s |
//! | `net_*_errors_per_s` | 1e9 /s |
//! | `restarts` | 1,000,000 |
//! | `ready_containers`, `total_containers` | 1,000 (and ready ≤ total) |
//!
//! Every numeric field rejects NaN, ±inf and negatives; an empty field is `None` (not measured).

use super::row_error::{echo, RowErrorKind};
use crate::metrics_row::PodPhase;
use chrono::{DateTime, NaiveDateTime, Utc};

pub const MAX_CPU_MILLICORES: f64 = 10_000_000.0;
pub const MAX_BYTES: f64 = 1_125_899_906_842_624.0; // 2^50
pub const MAX_BYTES_PER_S: f64 = 1e12;
pub const MAX_ERRORS_PER_S: f64 = 1e9;
pub const MAX_RESTARTS: u32 = 1_000_000;
pub const MAX_CONTAINERS: u32 = 1_000;

/// A non-negative finite gauge not above `max`; empty is `None`.
pub(crate) fn gauge(field: &'static str, raw: &str, max: f64) -> Result<Option<f64>, RowErrorKind> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let v = number(field, s)?;
    if v > max {
        return Err(RowErrorKind::OutOfRange {
            field,
            value: echo(s),
            limit: max,
        });
    }
    Ok(Some(v))
}

/// A non-negative whole count not above `max`; `3.0` is accepted (pandas writes integer
/// columns with missing values as floats), `3.5` is not. Empty is `None`.
pub(crate) fn count(field: &'static str, raw: &str, max: u32) -> Result<Option<u32>, RowErrorKind> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let v = match s.parse::<u64>() {
        Ok(v) => v as f64,
        Err(_) => {
            let v = number(field, s)?;
            if v.fract() != 0.0 {
                return Err(RowErrorKind::NotAnInteger {
                    field,
                    value: echo(s),
                });
            }
            v
        }
    };
    if v > f64::from(max) {
        return Err(RowErrorKind::OutOfRange {
            field,
            value: echo(s),
            limit: f64::from(max),
        });
    }
    Ok(Some(v as u32))
}

/// A finite, non-negative number (shared by [`gauge`] and [`count`]).
fn number(field: &'static str, s: &str) -> Result<f64, RowErrorKind> {
    let v: f64 = s.parse().map_err(|_| RowErrorKind::NotANumber {
        field,
        value: echo(s),
    })?;
    if !v.is_finite() {
        return Err(RowErrorKind::NotFinite {
            field,
            value: echo(s),
        });
    }
    if v < 0.0 {
        return Err(RowErrorKind::Negative {
            field,
            value: echo(s),
        });
    }
    Ok(v)
}

/// `ready ≤ total` when both are known.
pub(crate) fn ready_within_total(
    field: &'static str,
    ready: Option<u32>,
    total: Option<u32>,
) -> Result<(), RowErrorKind> {
    match (ready, total) {
        (Some(ready), Some(total)) if ready > total => Err(RowErrorKind::ReadyExceedsTotal {
            field,
            ready,
            total,
        }),
        _ => Ok(()),
    }
}

/// An RFC 3339 timestamp (required).
pub(crate) fn timestamp_rfc3339(
    field: &'static str,
    raw: &str,
) -> Result<DateTime<Utc>, RowErrorKind> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(bad_timestamp(field, s, "empty"));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad_timestamp(field, s, "not RFC 3339"))
}

/// RFC 3339, or the original Python system's `YYYY-MM-DD HH:MM:SS` (its
/// `datetime.now().strftime(...)`: local time without an offset, taken here as UTC because the
/// file does not record the writer's zone).
pub(crate) fn timestamp_legacy(
    field: &'static str,
    raw: &str,
) -> Result<DateTime<Utc>, RowErrorKind> {
    let s = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if s.is_empty() {
        return Err(bad_timestamp(field, s, "empty"));
    }
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .map(|t| t.and_utc())
        .map_err(|_| bad_timestamp(field, s, "neither RFC 3339 nor YYYY-MM-DD HH:MM:SS"))
}

fn bad_timestamp(field: &'static str, s: &str, why: &'static str) -> RowErrorKind {
    RowErrorKind::BadTimestamp {
        field,
        value: echo(s),
        why,
    }
}

/// A namespace or pod name: must not be empty.
pub(crate) fn identity<'a>(field: &'static str, raw: &'a str) -> Result<&'a str, RowErrorKind> {
    if raw.trim().is_empty() {
        return Err(RowErrorKind::EmptyIdentity { field });
    }
    Ok(raw)
}

/// The exact Kubernetes phase spelling; empty is `None`.
pub(crate) fn phase(field: &'static str, raw: &str) -> Result<Option<PodPhase>, RowErrorKind> {
    if raw.is_empty() {
        return Ok(None);
    }
    PodPhase::parse(raw)
        .map(Some)
        .ok_or_else(|| RowErrorKind::UnknownPhase {
            field,
            value: echo(raw),
        })
}

/// Optional free text: empty is `None`.
pub(crate) fn text(raw: &str) -> Option<String> {
    (!raw.is_empty()).then(|| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges() {
        assert_eq!(gauge("f", "", 1.0), Ok(None));
        assert_eq!(gauge("f", " 0.5 ", 1.0), Ok(Some(0.5)));
        assert_eq!(gauge("f", "1e3", 1e12), Ok(Some(1000.0)));
        assert_eq!(gauge("f", "-0", 1.0), Ok(Some(0.0)));
        assert_eq!(gauge("f", "abc", 1.0).unwrap_err().reason(), "not_a_number");
        for s in ["NaN", "inf", "-inf", "infinity"] {
            assert_eq!(
                gauge("f", s, 1.0).unwrap_err().reason(),
                "not_finite",
                "{s}"
            );
        }
        assert_eq!(gauge("f", "-1", 1.0).unwrap_err().reason(), "negative");
        assert_eq!(
            gauge("f", "1.5", 1.0).unwrap_err().reason(),
            "absurd_magnitude"
        );
    }

    #[test]
    fn counts() {
        assert_eq!(count("f", "", 10), Ok(None));
        assert_eq!(count("f", "7", 10), Ok(Some(7)));
        assert_eq!(count("f", "7.0", 10), Ok(Some(7)));
        assert_eq!(
            count("f", "7.5", 10).unwrap_err().reason(),
            "not_an_integer"
        );
        assert_eq!(count("f", "-2", 10).unwrap_err().reason(), "negative");
        assert_eq!(
            count("f", "11", 10).unwrap_err().reason(),
            "absurd_magnitude"
        );
        assert_eq!(
            count("f", "99999999999999999999999", 10)
                .unwrap_err()
                .reason(),
            "absurd_magnitude"
        );
        assert_eq!(count("f", "x", 10).unwrap_err().reason(), "not_a_number");
    }

    #[test]
    fn timestamps() {
        let t = timestamp_rfc3339("t", "2026-01-02T03:04:05+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-01-02T02:04:05+00:00");
        assert_eq!(
            timestamp_rfc3339("t", "").unwrap_err().reason(),
            "bad_timestamp"
        );
        assert!(timestamp_rfc3339("t", "2026-01-02 03:04:05").is_err());
        let t = timestamp_legacy("t", "2025-04-13 17:00:11").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-04-13T17:00:11+00:00");
        assert!(timestamp_legacy("t", "2025-04-13 17:00:11.25").is_ok());
        assert!(timestamp_legacy("t", "2025-04-13T17:00:11Z").is_ok());
        assert!(timestamp_legacy("t", "yesterday").is_err());
    }
}
