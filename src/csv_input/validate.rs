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
//! A value that cannot be a measurement (NaN, ±inf, negative, beyond these bounds) empties its
//! field, counted by field and reason, and the rest of the row is kept ([`Measured`]): the
//! phase, node and state of a row are worth as much as its CPU. Text that is not a number at
//! all refuses the row (a corrupt write). The collector applies the same rule before writing
//! ([`clear_unmeasurable`]), so what it writes is what the reader accepts. An empty field is
//! `None` (not measured).

use super::row_error::{echo, RowErrorKind};
use crate::metrics_row::PodPhase;
use chrono::{DateTime, NaiveDateTime, Utc};

pub const MAX_CPU_MILLICORES: f64 = 10_000_000.0;
pub const MAX_BYTES: f64 = 1_125_899_906_842_624.0; // 2^50
pub const MAX_BYTES_PER_S: f64 = 1e12;
pub const MAX_ERRORS_PER_S: f64 = 1e9;
pub const MAX_RESTARTS: u32 = 1_000_000;
pub const MAX_CONTAINERS: u32 = 1_000;

/// The bound of each measured gauge of the canonical layout: one table for the reader
/// (`canonical.rs`) and the writer's [`clear_unmeasurable`].
pub(crate) fn gauge_max(field: &str) -> f64 {
    match field {
        "cpu_millicores" | "cpu_limit_millicores" => MAX_CPU_MILLICORES,
        "memory_bytes" | "memory_limit_bytes" => MAX_BYTES,
        "net_rx_errors_per_s" | "net_tx_errors_per_s" => MAX_ERRORS_PER_S,
        _ => MAX_BYTES_PER_S,
    }
}

/// The bound of each count of the canonical layout.
pub(crate) fn count_max(field: &str) -> u32 {
    match field {
        "restarts" => MAX_RESTARTS,
        _ => MAX_CONTAINERS,
    }
}

/// Fields emptied while reading one row, each with its reason (a [`RowErrorKind`] that did
/// not refuse the row).
pub type Emptied = Vec<RowErrorKind>;

/// Whether a field's error only empties it: the value parsed but cannot be a measurement.
pub(crate) fn empties_the_field(kind: &RowErrorKind) -> bool {
    matches!(
        kind,
        RowErrorKind::NotFinite { .. }
            | RowErrorKind::Negative { .. }
            | RowErrorKind::OutOfRange { .. }
    )
}

/// `result` with a value that cannot be a measurement turned into an empty field, recorded in
/// `emptied`; other errors refuse the row.
pub(crate) fn measured<T>(
    result: Result<Option<T>, RowErrorKind>,
    emptied: &mut Emptied,
) -> Result<Option<T>, RowErrorKind> {
    match result {
        Err(kind) if empties_the_field(&kind) => {
            emptied.push(kind);
            Ok(None)
        }
        other => other,
    }
}

/// A non-negative finite gauge not above `max`; empty is `None`.
pub(crate) fn gauge(field: &'static str, raw: &str, max: f64) -> Result<Option<f64>, RowErrorKind> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let v: f64 = s.parse().map_err(|_| RowErrorKind::NotANumber {
        field,
        value: echo(s),
    })?;
    check_gauge(field, v, max, s).map(Some)
}

/// The one rule for a measured value: finite, not negative, not above `max`. `shown` is the
/// value as written, for the error.
fn check_gauge(field: &'static str, v: f64, max: f64, shown: &str) -> Result<f64, RowErrorKind> {
    if !v.is_finite() {
        return Err(RowErrorKind::NotFinite {
            field,
            value: echo(shown),
        });
    }
    if v < 0.0 {
        return Err(RowErrorKind::Negative {
            field,
            value: echo(shown),
        });
    }
    if v > max {
        return Err(RowErrorKind::OutOfRange {
            field,
            value: echo(shown),
            limit: max,
        });
    }
    Ok(v)
}

/// Empties every field of `row` that cannot be a measurement, by the reader's rule: what the
/// collector writes is then exactly what the reader keeps. The fields emptied, with why.
pub fn clear_unmeasurable(row: &mut crate::metrics_row::PodMetricsRow) -> Emptied {
    let mut emptied = Vec::new();
    let mut gauge = |field: &'static str, value: &mut Option<f64>| {
        if let Some(v) = *value {
            if let Err(kind) = check_gauge(field, v, gauge_max(field), &v.to_string()) {
                *value = None;
                emptied.push(kind);
            }
        }
    };
    gauge("cpu_millicores", &mut row.cpu_millicores);
    gauge("cpu_limit_millicores", &mut row.cpu_limit_millicores);
    gauge("memory_bytes", &mut row.memory_bytes);
    gauge("memory_limit_bytes", &mut row.memory_limit_bytes);
    gauge("net_rx_bytes_per_s", &mut row.net_rx_bytes_per_s);
    gauge("net_tx_bytes_per_s", &mut row.net_tx_bytes_per_s);
    gauge("net_rx_errors_per_s", &mut row.net_rx_errors_per_s);
    gauge("net_tx_errors_per_s", &mut row.net_tx_errors_per_s);
    gauge("fs_read_bytes_per_s", &mut row.fs_read_bytes_per_s);
    gauge("fs_write_bytes_per_s", &mut row.fs_write_bytes_per_s);
    let mut count = |field: &'static str, value: &mut Option<u32>| {
        if let Some(v) = *value {
            let max = count_max(field);
            if v > max {
                *value = None;
                emptied.push(RowErrorKind::OutOfRange {
                    field,
                    value: v.to_string(),
                    limit: f64::from(max),
                });
            }
        }
    };
    count("restarts", &mut row.restarts);
    count("ready_containers", &mut row.ready_containers);
    count("total_containers", &mut row.total_containers);
    emptied
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

/// A finite, non-negative number (for [`count`]).
fn number(field: &'static str, s: &str) -> Result<f64, RowErrorKind> {
    let v: f64 = s.parse().map_err(|_| RowErrorKind::NotANumber {
        field,
        value: echo(s),
    })?;
    check_gauge(field, v, f64::MAX, s)
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

/// Which of Kubernetes' name rules a field follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameRule {
    /// RFC 1123 label (namespaces): at most 63 characters.
    Label,
    /// RFC 1123 subdomain (pods, nodes): at most 253 characters, dots allowed.
    Subdomain,
}

/// Why `name` breaks `rule`, if it does: lowercase letters, digits and `-` (and `.` in a
/// subdomain), starting and ending with a letter or digit. Names are data that reach logs,
/// incident ids and the commands shown to people; what Kubernetes itself refuses is refused
/// here too, so a hostile row cannot smuggle shell or terminal syntax in.
pub fn kubernetes_name_problem(name: &str, label_only: bool) -> Option<&'static str> {
    let max = if label_only { 63 } else { 253 };
    if name.len() > max {
        return Some(if label_only {
            "longer than 63 characters"
        } else {
            "longer than 253 characters"
        });
    }
    let allowed = |c: char| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (!label_only && c == '.')
    };
    if !name.chars().all(allowed) {
        return Some(if label_only {
            "only a-z, 0-9 and '-' are allowed"
        } else {
            "only a-z, 0-9, '-' and '.' are allowed"
        });
    }
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !alnum(name.chars().next()) || !alnum(name.chars().last()) {
        return Some("must start and end with a letter or digit");
    }
    None
}

/// A namespace or pod name: not empty, and valid under `rule`.
pub(crate) fn identity<'a>(
    field: &'static str,
    raw: &'a str,
    rule: NameRule,
) -> Result<&'a str, RowErrorKind> {
    if raw.trim().is_empty() {
        return Err(RowErrorKind::EmptyIdentity { field });
    }
    name(field, raw, rule)
}

/// A name valid under `rule` (empty allowed: the node of a pod not scheduled yet).
pub(crate) fn name<'a>(
    field: &'static str,
    raw: &'a str,
    rule: NameRule,
) -> Result<&'a str, RowErrorKind> {
    if raw.is_empty() {
        return Ok(raw);
    }
    match kubernetes_name_problem(raw, rule == NameRule::Label) {
        None => Ok(raw),
        Some(why) => Err(RowErrorKind::BadName {
            field,
            value: echo(raw),
            why,
        }),
    }
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
