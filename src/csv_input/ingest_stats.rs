//! Counts of accepted and skipped rows, by skip reason, for logs and the status report.

use super::row_error::{RowError, RowErrorKind};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IngestStats {
    pub rows_ok: u64,
    pub rows_skipped: u64,
    /// Keyed by [`RowError::reason`]; a sorted map so reports are stable.
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    /// Fields read as empty because their value cannot be a measurement (their rows kept).
    pub fields_emptied: u64,
    pub emptied_by_reason: BTreeMap<&'static str, u64>,
}

impl IngestStats {
    /// Counts one parse result.
    pub fn record<T>(&mut self, result: &Result<T, RowError>) {
        match result {
            Ok(_) => self.rows_ok += 1,
            Err(e) => {
                self.rows_skipped += 1;
                *self.skipped_by_reason.entry(e.reason()).or_insert(0) += 1;
            }
        }
    }

    /// Counts the fields an accepted row had emptied.
    pub fn record_emptied(&mut self, emptied: &[RowErrorKind]) {
        for e in emptied {
            self.fields_emptied += 1;
            *self.emptied_by_reason.entry(e.reason()).or_insert(0) += 1;
        }
    }

    /// Adds another set of counts into this one.
    pub fn merge(&mut self, other: &IngestStats) {
        self.rows_ok += other.rows_ok;
        self.rows_skipped += other.rows_skipped;
        for (reason, n) in &other.skipped_by_reason {
            *self.skipped_by_reason.entry(reason).or_insert(0) += n;
        }
        self.fields_emptied += other.fields_emptied;
        for (reason, n) in &other.emptied_by_reason {
            *self.emptied_by_reason.entry(reason).or_insert(0) += n;
        }
    }
}
