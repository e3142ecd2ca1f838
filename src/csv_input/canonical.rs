//! Fields of the canonical layout ([`CSV_HEADER`](crate::metrics_row::CSV_HEADER)) into a
//! [`PodMetricsRow`], validated. Ordering and duplicate checks are the parser's, not this file's.

use super::line_split::Fields;
use super::row_error::RowErrorKind;
use super::validate::{
    count, gauge, identity, measured, name, phase, ready_within_total, text, timestamp_rfc3339,
    Emptied, NameRule, MAX_BYTES, MAX_BYTES_PER_S, MAX_CONTAINERS, MAX_CPU_MILLICORES,
    MAX_ERRORS_PER_S, MAX_RESTARTS,
};
use crate::metrics_row::{PodMetricsRow, CSV_COLUMNS};

/// Builds a row from the 22 canonical fields (the count must already have been checked).
pub(crate) fn row_from_fields(
    f: &Fields<'_>,
    emptied: &mut Emptied,
) -> Result<PodMetricsRow, RowErrorKind> {
    debug_assert_eq!(f.len(), CSV_COLUMNS.len());
    // Columns by position; the names are CSV_COLUMNS, spelled out so errors name them.
    let at = |i: usize| f.get(i).unwrap_or("");
    let timestamp = timestamp_rfc3339("timestamp", at(0))?;
    let namespace = identity("namespace", at(1), NameRule::Label)?;
    let pod = identity("pod", at(2), NameRule::Subdomain)?;
    let mut row = PodMetricsRow::empty(timestamp, namespace, pod);
    row.node = name("node", at(3), NameRule::Subdomain)?.to_string();
    row.phase = phase("phase", at(4))?;
    row.reason = text(at(5));
    row.restarts = measured(count("restarts", at(6), MAX_RESTARTS), emptied)?;
    row.ready_containers = measured(count("ready_containers", at(7), MAX_CONTAINERS), emptied)?;
    row.total_containers = measured(count("total_containers", at(8), MAX_CONTAINERS), emptied)?;
    ready_within_total(
        "ready_containers",
        row.ready_containers,
        row.total_containers,
    )?;
    row.cpu_millicores = measured(gauge("cpu_millicores", at(9), MAX_CPU_MILLICORES), emptied)?;
    row.cpu_limit_millicores = measured(
        gauge("cpu_limit_millicores", at(10), MAX_CPU_MILLICORES),
        emptied,
    )?;
    row.memory_bytes = measured(gauge("memory_bytes", at(11), MAX_BYTES), emptied)?;
    row.memory_limit_bytes = measured(gauge("memory_limit_bytes", at(12), MAX_BYTES), emptied)?;
    row.net_rx_bytes_per_s = measured(
        gauge("net_rx_bytes_per_s", at(13), MAX_BYTES_PER_S),
        emptied,
    )?;
    row.net_tx_bytes_per_s = measured(
        gauge("net_tx_bytes_per_s", at(14), MAX_BYTES_PER_S),
        emptied,
    )?;
    row.net_rx_errors_per_s = measured(
        gauge("net_rx_errors_per_s", at(15), MAX_ERRORS_PER_S),
        emptied,
    )?;
    row.net_tx_errors_per_s = measured(
        gauge("net_tx_errors_per_s", at(16), MAX_ERRORS_PER_S),
        emptied,
    )?;
    row.fs_read_bytes_per_s = measured(
        gauge("fs_read_bytes_per_s", at(17), MAX_BYTES_PER_S),
        emptied,
    )?;
    row.fs_write_bytes_per_s = measured(
        gauge("fs_write_bytes_per_s", at(18), MAX_BYTES_PER_S),
        emptied,
    )?;
    row.event_reason = text(at(19));
    row.event_type = text(at(20));
    row.event_message = text(at(21));
    Ok(row)
}
