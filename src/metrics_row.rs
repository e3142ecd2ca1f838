//! The canonical pod-metrics row: one pod, one collection interval.
//!
//! Every source (simulator, Prometheus, Kubernetes) produces these rows, the CSV writer appends
//! them to `data/pod_metrics.csv` and every reader parses them back. A value that was not
//! measured is `None` and is written as an empty field — never a made-up number.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Header of the canonical CSV, exactly as written on the first line of the file.
pub const CSV_HEADER: &str = "timestamp,namespace,pod,node,phase,reason,restarts,ready_containers,total_containers,cpu_millicores,cpu_limit_millicores,memory_bytes,memory_limit_bytes,net_rx_bytes_per_s,net_tx_bytes_per_s,net_rx_errors_per_s,net_tx_errors_per_s,fs_read_bytes_per_s,fs_write_bytes_per_s,event_reason,event_type,event_message";

/// Column names of [`CSV_HEADER`], in order.
pub const CSV_COLUMNS: [&str; 22] = [
    "timestamp",
    "namespace",
    "pod",
    "node",
    "phase",
    "reason",
    "restarts",
    "ready_containers",
    "total_containers",
    "cpu_millicores",
    "cpu_limit_millicores",
    "memory_bytes",
    "memory_limit_bytes",
    "net_rx_bytes_per_s",
    "net_tx_bytes_per_s",
    "net_rx_errors_per_s",
    "net_tx_errors_per_s",
    "fs_read_bytes_per_s",
    "fs_write_bytes_per_s",
    "event_reason",
    "event_type",
    "event_message",
];

/// The Kubernetes pod phase (`status.phase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PodPhase {
    Pending,
    Running,
    Succeeded,
    Failed,
    Unknown,
}

impl PodPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            PodPhase::Pending => "Pending",
            PodPhase::Running => "Running",
            PodPhase::Succeeded => "Succeeded",
            PodPhase::Failed => "Failed",
            PodPhase::Unknown => "Unknown",
        }
    }

    /// Parses the exact Kubernetes spelling (`Running`, `Pending`, …).
    pub fn parse(s: &str) -> Option<PodPhase> {
        match s {
            "Pending" => Some(PodPhase::Pending),
            "Running" => Some(PodPhase::Running),
            "Succeeded" => Some(PodPhase::Succeeded),
            "Failed" => Some(PodPhase::Failed),
            "Unknown" => Some(PodPhase::Unknown),
            _ => None,
        }
    }
}

/// One pod in one interval. Gauges are per-second rates or instantaneous values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodMetricsRow {
    pub timestamp: DateTime<Utc>,
    pub namespace: String,
    pub pod: String,
    /// Node the pod runs on; empty when not (yet) scheduled.
    pub node: String,
    pub phase: Option<PodPhase>,
    /// A container waiting/terminated reason such as `CrashLoopBackOff` or `OOMKilled`.
    pub reason: Option<String>,
    /// Cumulative container restarts of the pod.
    pub restarts: Option<u32>,
    pub ready_containers: Option<u32>,
    pub total_containers: Option<u32>,
    pub cpu_millicores: Option<f64>,
    pub cpu_limit_millicores: Option<f64>,
    pub memory_bytes: Option<f64>,
    pub memory_limit_bytes: Option<f64>,
    pub net_rx_bytes_per_s: Option<f64>,
    pub net_tx_bytes_per_s: Option<f64>,
    pub net_rx_errors_per_s: Option<f64>,
    pub net_tx_errors_per_s: Option<f64>,
    pub fs_read_bytes_per_s: Option<f64>,
    pub fs_write_bytes_per_s: Option<f64>,
    /// The latest event for the pod in this interval.
    pub event_reason: Option<String>,
    pub event_type: Option<String>,
    pub event_message: Option<String>,
}

impl PodMetricsRow {
    /// A row with identity and time only; every measurement unknown.
    pub fn empty(timestamp: DateTime<Utc>, namespace: &str, pod: &str) -> PodMetricsRow {
        PodMetricsRow {
            timestamp,
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            node: String::new(),
            phase: None,
            reason: None,
            restarts: None,
            ready_containers: None,
            total_containers: None,
            cpu_millicores: None,
            cpu_limit_millicores: None,
            memory_bytes: None,
            memory_limit_bytes: None,
            net_rx_bytes_per_s: None,
            net_tx_bytes_per_s: None,
            net_rx_errors_per_s: None,
            net_tx_errors_per_s: None,
            fs_read_bytes_per_s: None,
            fs_write_bytes_per_s: None,
            event_reason: None,
            event_type: None,
            event_message: None,
        }
    }

    /// Appends this row as one CSV record (with the trailing `\n`) to `out`.
    ///
    /// Text fields are quoted when needed, and line breaks inside them are replaced by spaces so
    /// that one record is always exactly one line: the tailer relies on that.
    pub fn write_csv_line(&self, out: &mut String) {
        out.push_str(&self.timestamp.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        out.push(',');
        push_csv_text(out, &self.namespace);
        out.push(',');
        push_csv_text(out, &self.pod);
        out.push(',');
        push_csv_text(out, &self.node);
        out.push(',');
        if let Some(p) = self.phase {
            out.push_str(p.as_str());
        }
        out.push(',');
        push_opt_text(out, &self.reason);
        for v in [self.restarts, self.ready_containers, self.total_containers] {
            out.push(',');
            if let Some(v) = v {
                let _ = write!(out, "{v}");
            }
        }
        for v in [
            self.cpu_millicores,
            self.cpu_limit_millicores,
            self.memory_bytes,
            self.memory_limit_bytes,
            self.net_rx_bytes_per_s,
            self.net_tx_bytes_per_s,
            self.net_rx_errors_per_s,
            self.net_tx_errors_per_s,
            self.fs_read_bytes_per_s,
            self.fs_write_bytes_per_s,
        ] {
            out.push(',');
            if let Some(v) = v {
                let _ = write!(out, "{v}");
            }
        }
        out.push(',');
        push_opt_text(out, &self.event_reason);
        out.push(',');
        push_opt_text(out, &self.event_type);
        out.push(',');
        push_opt_text(out, &self.event_message);
        out.push('\n');
    }

    /// The row as one CSV line, without the trailing newline.
    pub fn to_csv_line(&self) -> String {
        let mut s = String::with_capacity(256);
        self.write_csv_line(&mut s);
        s.pop();
        s
    }
}

fn push_opt_text(out: &mut String, v: &Option<String>) {
    if let Some(v) = v {
        push_csv_text(out, v);
    }
}

/// RFC 4180 quoting, with CR/LF folded to spaces (one record per line).
pub(crate) fn push_csv_text(out: &mut String, v: &str) {
    let needs_quotes = v.contains([',', '"', '\n', '\r']);
    if !needs_quotes {
        out.push_str(v);
        return;
    }
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\"\""),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matches_columns() {
        assert_eq!(CSV_HEADER, CSV_COLUMNS.join(","));
    }

    #[test]
    fn unknown_values_are_empty_fields_and_text_is_quoted() {
        let ts = "2026-01-02T03:04:05Z".parse().unwrap();
        let mut row = PodMetricsRow::empty(ts, "shop", "cart-1");
        row.cpu_millicores = Some(12.5);
        row.memory_bytes = Some(1048576.0);
        row.event_message = Some("Back-off \"restarting\",\nfailed".into());
        assert_eq!(
            row.to_csv_line(),
            "2026-01-02T03:04:05Z,shop,cart-1,,,,,,,12.5,,1048576,,,,,,,,,,\"Back-off \"\"restarting\"\", failed\""
        );
        assert_eq!(row.to_csv_line().split(',').count(), 23); // 22 fields, one comma inside quotes
    }
}
