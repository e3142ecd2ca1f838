//! Why one CSV row was rejected, with enough context (file, line, field) to find it, and a
//! short stable reason code for counting skipped rows.

use super::line_split::SplitLineError;
use chrono::{DateTime, Utc};

/// At most this many characters of a bad value are echoed in an error: a corrupt field can be
/// a megabyte long and the message goes to the log.
const MAX_ECHOED_CHARS: usize = 80;

/// A rejected row: `file:line: what`, e.g.
/// `data/pod_metrics.csv:42: field cpu_millicores: not a number: "abc"`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {kind}")]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub kind: RowErrorKind,
}

impl RowError {
    /// Stable reason code, used as the key of [`IngestStats::skipped_by_reason`](super::IngestStats).
    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }
}

/// What was wrong with the row. `field` is the column name as the file's header spells it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RowErrorKind {
    #[error("field {field}: bad quoting: {source}")]
    Quoting {
        field: String,
        source: SplitLineError,
    },
    #[error("wrong field count: expected {expected}, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("field {field}: not a number: {value:?}")]
    NotANumber { field: &'static str, value: String },
    #[error("field {field}: not a whole number: {value:?}")]
    NotAnInteger { field: &'static str, value: String },
    #[error("field {field}: not finite: {value:?}")]
    NotFinite { field: &'static str, value: String },
    #[error("field {field}: negative: {value:?}")]
    Negative { field: &'static str, value: String },
    #[error("field {field}: absurd magnitude: {value:?} (limit {limit})")]
    OutOfRange {
        field: &'static str,
        value: String,
        limit: f64,
    },
    #[error("field {field}: {ready} ready containers exceed {total} total")]
    ReadyExceedsTotal {
        field: &'static str,
        ready: u32,
        total: u32,
    },
    #[error("field {field}: bad timestamp {value:?}: {why}")]
    BadTimestamp {
        field: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("field {field}: empty")]
    EmptyIdentity { field: &'static str },
    #[error(
        "field {field}: {timestamp} is ahead of this machine's clock ({now}) by more than \
         [dataset_generator] max_clock_skew = {}",
        humantime::format_duration(*skew)
    )]
    FromTheFuture {
        field: &'static str,
        timestamp: DateTime<Utc>,
        now: DateTime<Utc>,
        skew: std::time::Duration,
    },
    #[error("field {field}: not a Kubernetes name: {value:?} ({why})")]
    BadName {
        field: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("field {field}: unknown phase: {value:?}")]
    UnknownPhase { field: &'static str, value: String },
    #[error(
        "field {field}: {timestamp} is older than the last accepted row of {namespace}/{pod} ({last})"
    )]
    OutOfOrder {
        field: &'static str,
        namespace: String,
        pod: String,
        timestamp: DateTime<Utc>,
        last: DateTime<Utc>,
    },
    #[error("field {field}: duplicate row for {namespace}/{pod} at {timestamp}")]
    Duplicate {
        field: &'static str,
        namespace: String,
        pod: String,
        timestamp: DateTime<Utc>,
    },
}

impl RowErrorKind {
    /// The field the error is about, when it names one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            RowErrorKind::NotANumber { field, .. }
            | RowErrorKind::NotAnInteger { field, .. }
            | RowErrorKind::NotFinite { field, .. }
            | RowErrorKind::Negative { field, .. }
            | RowErrorKind::OutOfRange { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Stable, snake_case reason code for counting.
    pub fn reason(&self) -> &'static str {
        match self {
            RowErrorKind::Quoting { .. } => "bad_quoting",
            RowErrorKind::FieldCount { .. } => "wrong_field_count",
            RowErrorKind::NotANumber { .. } => "not_a_number",
            RowErrorKind::NotAnInteger { .. } => "not_an_integer",
            RowErrorKind::NotFinite { .. } => "not_finite",
            RowErrorKind::Negative { .. } => "negative",
            RowErrorKind::OutOfRange { .. } => "absurd_magnitude",
            RowErrorKind::ReadyExceedsTotal { .. } => "ready_exceeds_total",
            RowErrorKind::BadTimestamp { .. } => "bad_timestamp",
            RowErrorKind::EmptyIdentity { .. } => "empty_identity",
            RowErrorKind::BadName { .. } => "bad_name",
            RowErrorKind::FromTheFuture { .. } => "future_timestamp",
            RowErrorKind::UnknownPhase { .. } => "unknown_phase",
            RowErrorKind::OutOfOrder { .. } => "out_of_order",
            RowErrorKind::Duplicate { .. } => "duplicate",
        }
    }
}

/// A bad value for an error message, cut to a bounded length.
pub(crate) fn echo(value: &str) -> String {
    match value.char_indices().nth(MAX_ECHOED_CHARS) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}…", &value[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_field() {
        let e = RowError {
            file: "data/pod_metrics.csv".into(),
            line: 42,
            kind: RowErrorKind::NotANumber {
                field: "cpu_millicores",
                value: "abc".into(),
            },
        };
        assert_eq!(
            e.to_string(),
            r#"data/pod_metrics.csv:42: field cpu_millicores: not a number: "abc""#
        );
        assert_eq!(e.reason(), "not_a_number");
    }

    #[test]
    fn echoed_values_are_bounded() {
        let long = "x".repeat(10_000);
        let e = echo(&long);
        assert_eq!(e.chars().count(), MAX_ECHOED_CHARS + 1);
        assert_eq!(echo("short"), "short");
    }
}
