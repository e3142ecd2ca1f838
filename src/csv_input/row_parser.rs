//! Parses the data lines of one metrics CSV into validated [`PodMetricsRow`]s, rejecting rows
//! that are malformed, absurd, duplicated or older than what was already accepted for a pod.
//!
//! The parser remembers, per pod, the timestamp of the last row it accepted. Only an accepted
//! row updates it, so a bad row never changes what the next row is judged against. A row
//! with the same timestamp as the pod's last accepted row is a `duplicate`; an older one is
//! `out_of_order` (this includes re-sent copies of older rows). [`RowParser::forget_pod`]
//! drops a pod that is gone, to keep memory bounded.

use super::canonical;
use super::layout::Layout;
use super::line_split::LineSplitter;
use super::row_error::{RowError, RowErrorKind};
use super::validate::Emptied;
use crate::metrics_row::PodMetricsRow;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub struct RowParser {
    file_label: String,
    layout: Layout,
    splitter: LineSplitter,
    /// namespace -> pod -> last accepted timestamp. Nested so lookups take `&str` and only a
    /// new pod allocates.
    last_accepted: HashMap<String, HashMap<String, DateTime<Utc>>>,
    /// Rows stamped after this are refused (the reader's clock plus the allowed skew); `None`
    /// offline, where there is no "now" to compare with.
    latest_allowed: Option<FutureLimit>,
    /// Fields the last accepted row had emptied (values that cannot be measurements).
    emptied: Emptied,
}

/// The latest timestamp a row may carry, and the setting that allows it (for the error).
#[derive(Debug, Clone, Copy)]
pub struct FutureLimit {
    pub now: DateTime<Utc>,
    pub skew: std::time::Duration,
}

impl RowParser {
    /// `file_label` names the file in errors (e.g. `data/pod_metrics.csv`).
    pub fn new(file_label: String, layout: Layout) -> RowParser {
        RowParser {
            file_label,
            layout,
            splitter: LineSplitter::new(),
            last_accepted: HashMap::new(),
            latest_allowed: None,
            emptied: Vec::new(),
        }
    }

    /// Refuses rows stamped more than `limit.skew` after `limit.now` from now on, before they
    /// can move a pod's "last seen" (one row stamped in 2099 would otherwise make every later
    /// row of its pod out of order, for good).
    pub fn set_future_limit(&mut self, limit: Option<FutureLimit>) {
        self.latest_allowed = limit;
    }

    /// The fields the last accepted row had emptied, each with why (its value parsed but
    /// cannot be a measurement); the row itself was kept.
    pub fn emptied(&self) -> &[RowErrorKind] {
        &self.emptied
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Switches layout (a rotated file with another header) and keeps the per-pod history,
    /// so a row repeated across the rotation is still caught.
    pub fn set_layout(&mut self, layout: Layout) {
        self.layout = layout;
    }

    /// Parses data line `line_no` (1-based, as in the file) without its line terminator.
    pub fn parse(&mut self, line_no: u64, line: &str) -> Result<PodMetricsRow, RowError> {
        self.emptied.clear();
        let result = self.parse_row(line);
        if result.is_err() {
            self.emptied.clear();
        }
        result.map_err(|kind| RowError {
            file: self.file_label.clone(),
            line: line_no,
            kind,
        })
    }

    fn parse_row(&mut self, line: &str) -> Result<PodMetricsRow, RowErrorKind> {
        let fields = self
            .splitter
            .split(line)
            .map_err(|source| RowErrorKind::Quoting {
                field: self.layout.column_name(source.field()),
                source,
            })?;
        let expected = self.layout.field_count();
        if fields.len() != expected {
            return Err(RowErrorKind::FieldCount {
                expected,
                found: fields.len(),
            });
        }
        let row = match &self.layout {
            Layout::Canonical => canonical::row_from_fields(&fields, &mut self.emptied)?,
            Layout::Legacy(legacy) => legacy.row_from_fields(&fields, &mut self.emptied)?,
        };
        if let Some(limit) = self.latest_allowed {
            let skew = chrono::TimeDelta::from_std(limit.skew).unwrap_or(chrono::TimeDelta::MAX);
            if row.timestamp > limit.now + skew {
                return Err(RowErrorKind::FromTheFuture {
                    field: "timestamp",
                    timestamp: row.timestamp,
                    now: limit.now,
                    skew: limit.skew,
                });
            }
        }
        let last = self
            .last_accepted
            .get(&row.namespace)
            .and_then(|pods| pods.get(&row.pod));
        if let Some(&last) = last {
            if row.timestamp == last {
                return Err(RowErrorKind::Duplicate {
                    field: "timestamp",
                    namespace: row.namespace,
                    pod: row.pod,
                    timestamp: row.timestamp,
                });
            }
            if row.timestamp < last {
                return Err(RowErrorKind::OutOfOrder {
                    field: "timestamp",
                    namespace: row.namespace,
                    pod: row.pod,
                    timestamp: row.timestamp,
                    last,
                });
            }
        }
        // Accepted: only now does the pod's state move.
        let pods = match self.last_accepted.get_mut(&row.namespace) {
            Some(pods) => pods,
            None => self.last_accepted.entry(row.namespace.clone()).or_default(),
        };
        match pods.get_mut(&row.pod) {
            Some(t) => *t = row.timestamp,
            None => {
                pods.insert(row.pod.clone(), row.timestamp);
            }
        }
        Ok(row)
    }

    /// Forgets a pod's history (it was deleted). Returns whether it was tracked.
    pub fn forget_pod(&mut self, namespace: &str, pod: &str) -> bool {
        let Some(pods) = self.last_accepted.get_mut(namespace) else {
            return false;
        };
        let removed = pods.remove(pod).is_some();
        if pods.is_empty() {
            self.last_accepted.remove(namespace);
        }
        removed
    }

    /// Number of pods whose last timestamp is remembered.
    pub fn tracked_pods(&self) -> usize {
        self.last_accepted.values().map(HashMap::len).sum()
    }

    /// The last accepted timestamp of a pod, if any.
    pub fn last_accepted(&self, namespace: &str, pod: &str) -> Option<DateTime<Utc>> {
        self.last_accepted.get(namespace)?.get(pod).copied()
    }
}
