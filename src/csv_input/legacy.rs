//! The original Python system's `pod_metrics.csv` (28 columns, written by its
//! `dataset-generator.py` through pandas), mapped onto the canonical row as far as it honestly
//! carries.
//!
//! Columns are found by header name, so a file from a variant of that script with columns
//! added, removed or reordered is read too, as long as it starts `Timestamp,Pod Name,`.
//! The file has no namespace column (the script watched one namespace, `monitoring` by
//! default): the caller gives the namespace.
//!
//! | original column | canonical field | how |
//! | --- | --- | --- |
//! | `Timestamp` | `timestamp` | `YYYY-MM-DD HH:MM:SS` (the script's naive local time, read as UTC) or RFC 3339 |
//! | `Pod Name` | `pod` | as is |
//! | — | `namespace` | the caller's default namespace |
//! | `CPU Usage (%)` | `cpu_millicores` | × 10: the script computed `100 * rate(container_cpu_usage_seconds_total)`, i.e. percent of one core |
//! | `Pod Status` | `phase` | Kubernetes phase; the script's `NotFound`/`Error` stand-ins are rejected as `unknown_phase` |
//! | `Pod Reason` | `reason` | `None` when it only repeats the phase (the script's filler when there was no reason) |
//! | `Pod Restarts` | `restarts` | count |
//! | `Ready Containers` | `ready_containers` | count |
//! | `Total Containers` | `total_containers` | count |
//! | `Node Name` | `node` | `Unknown` (the script's error stand-in) becomes empty |
//! | `Pod Event Reason` / `Pod Event Type` / `Pod Event Message` | `event_reason` / `event_type` / `event_message` | as is (the script wrote a `Normal`/`Started` placeholder when it found no event; it cannot be told apart) |
//!
//! Not carried (left `None`): `Memory Usage (%)` is a percentage of the *node's* total memory,
//! which the file does not record, so it cannot become bytes; `Network Traffic/Receive/Transmit
//! (B/s)` were computed from `container_network_*_packets_total`, i.e. packets per second, not
//! bytes, and filled with random numbers when Prometheus had none; `Network Receive/Transmit
//! Errors` were always random (a fraction of traffic). Also ignored: `Pod Age`, `Last Log
//! Entry`, `Error Message`, `Latest Event Reason` (a copy of `Pod Event Reason`), `Pod Event
//! Age`/`Source` and the node-event columns `Event Reason/Age/Source/Message`. `N/A` (the
//! script's filler for a missing column) is read as empty.

use super::line_split::Fields;
use super::row_error::RowErrorKind;
use super::validate::{
    count, gauge, identity, measured, name, phase, ready_within_total, text, timestamp_legacy,
    Emptied, NameRule, MAX_CONTAINERS, MAX_CPU_MILLICORES, MAX_RESTARTS,
};
use crate::metrics_row::PodMetricsRow;

/// The original script's header, in order (its `expected_columns`).
pub const LEGACY_COLUMNS: [&str; 28] = [
    "Timestamp",
    "Pod Name",
    "Pod Age",
    "CPU Usage (%)",
    "Memory Usage (%)",
    "Network Traffic (B/s)",
    "Network Receive (B/s)",
    "Network Transmit (B/s)",
    "Network Receive Errors",
    "Network Transmit Errors",
    "Last Log Entry",
    "Pod Status",
    "Pod Reason",
    "Pod Restarts",
    "Ready Containers",
    "Total Containers",
    "Error Message",
    "Latest Event Reason",
    "Pod Event Type",
    "Pod Event Reason",
    "Pod Event Age",
    "Pod Event Source",
    "Pod Event Message",
    "Node Name",
    "Event Reason",
    "Event Age",
    "Event Source",
    "Event Message",
];

const TIMESTAMP: &str = "Timestamp";
const POD: &str = "Pod Name";
const CPU_PCT: &str = "CPU Usage (%)";
const STATUS: &str = "Pod Status";
const REASON: &str = "Pod Reason";
const RESTARTS: &str = "Pod Restarts";
const READY: &str = "Ready Containers";
const TOTAL: &str = "Total Containers";
const NODE: &str = "Node Name";
const EVENT_TYPE: &str = "Pod Event Type";
const EVENT_REASON: &str = "Pod Event Reason";
const EVENT_MESSAGE: &str = "Pod Event Message";

/// Column positions of a legacy file, found from its header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyLayout {
    default_namespace: String,
    header: Vec<String>,
    timestamp: usize,
    pod: usize,
    cpu_pct: Option<usize>,
    status: Option<usize>,
    reason: Option<usize>,
    restarts: Option<usize>,
    ready: Option<usize>,
    total: Option<usize>,
    node: Option<usize>,
    event_type: Option<usize>,
    event_reason: Option<usize>,
    event_message: Option<usize>,
}

impl LegacyLayout {
    /// Recognises a legacy header (first columns `Timestamp`, `Pod Name`); `None` otherwise.
    pub fn from_header(header: &Fields<'_>, default_namespace: &str) -> Option<LegacyLayout> {
        if header.get(0) != Some(TIMESTAMP) || header.get(1) != Some(POD) {
            return None;
        }
        let names: Vec<String> = header.iter().map(str::to_string).collect();
        let find = |name: &str| names.iter().position(|n| n == name);
        Some(LegacyLayout {
            default_namespace: default_namespace.to_string(),
            timestamp: 0,
            pod: 1,
            cpu_pct: find(CPU_PCT),
            status: find(STATUS),
            reason: find(REASON),
            restarts: find(RESTARTS),
            ready: find(READY),
            total: find(TOTAL),
            node: find(NODE),
            event_type: find(EVENT_TYPE),
            event_reason: find(EVENT_REASON),
            event_message: find(EVENT_MESSAGE),
            header: names,
        })
    }

    /// True for exactly the original script's 28-column header.
    pub fn is_original(&self) -> bool {
        self.header.iter().map(String::as_str).eq(LEGACY_COLUMNS)
    }

    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }

    /// Number of fields every row must have (that of the header).
    pub fn field_count(&self) -> usize {
        self.header.len()
    }

    /// The header's name for column `i`.
    pub fn column_name(&self, i: usize) -> Option<&str> {
        self.header.get(i).map(String::as_str)
    }

    /// Builds a row from one record's fields (the count must already have been checked).
    pub(crate) fn row_from_fields(
        &self,
        f: &Fields<'_>,
        emptied: &mut Emptied,
    ) -> Result<PodMetricsRow, RowErrorKind> {
        let at = |i: Option<usize>| match i.and_then(|i| f.get(i)) {
            Some("N/A") | None => "",
            Some(s) => s,
        };
        let timestamp = timestamp_legacy(TIMESTAMP, at(Some(self.timestamp)))?;
        let pod = identity(POD, at(Some(self.pod)), NameRule::Subdomain)?;
        let namespace = identity(
            "namespace (default)",
            &self.default_namespace,
            NameRule::Label,
        )?;
        let mut row = PodMetricsRow::empty(timestamp, namespace, pod);

        let status = at(self.status);
        row.phase = phase(STATUS, status)?;
        let reason = at(self.reason);
        row.reason = if reason == status { None } else { text(reason) };
        row.restarts = measured(count(RESTARTS, at(self.restarts), MAX_RESTARTS), emptied)?;
        row.ready_containers = measured(count(READY, at(self.ready), MAX_CONTAINERS), emptied)?;
        row.total_containers = measured(count(TOTAL, at(self.total), MAX_CONTAINERS), emptied)?;
        ready_within_total(READY, row.ready_containers, row.total_containers)?;
        // Percent of one core -> millicores; bound checked on the file's own value.
        row.cpu_millicores = measured(
            gauge(CPU_PCT, at(self.cpu_pct), MAX_CPU_MILLICORES / 10.0),
            emptied,
        )?
        .map(|pct| pct * 10.0);
        row.node = match at(self.node) {
            "Unknown" => String::new(),
            n => name(NODE, n, NameRule::Subdomain)?.to_string(),
        };
        row.event_type = text(at(self.event_type));
        row.event_reason = text(at(self.event_reason));
        row.event_message = text(at(self.event_message));
        Ok(row)
    }
}
