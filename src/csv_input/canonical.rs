//! Fields of the canonical layout ([`CSV_HEADER`](crate::metrics_row::CSV_HEADER)) into a
//! [`PodMetricsRow`], validated. Ordering and duplicate checks are the parser's, not this file's.

use super::line_split::Fields;
use super::row_error::RowErrorKind;
use super::validate::{
    count, count_max, gauge, gauge_max, identity, measured, name, phase, ready_within_total, text,
    timestamp_rfc3339, Emptied, NameRule,
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
    // Measured values: one that cannot be a measurement empties its field (the row is kept).
    let mut count_at = |i: usize| {
        let field = CSV_COLUMNS[i];
        measured(count(field, at(i), count_max(field)), emptied)
    };
    row.restarts = count_at(6)?;
    row.ready_containers = count_at(7)?;
    row.total_containers = count_at(8)?;
    ready_within_total(
        "ready_containers",
        row.ready_containers,
        row.total_containers,
    )?;
    let mut gauge_at = |i: usize| {
        let field = CSV_COLUMNS[i];
        measured(gauge(field, at(i), gauge_max(field)), emptied)
    };
    row.cpu_millicores = gauge_at(9)?;
    row.cpu_limit_millicores = gauge_at(10)?;
    row.memory_bytes = gauge_at(11)?;
    row.memory_limit_bytes = gauge_at(12)?;
    row.net_rx_bytes_per_s = gauge_at(13)?;
    row.net_tx_bytes_per_s = gauge_at(14)?;
    row.net_rx_errors_per_s = gauge_at(15)?;
    row.net_tx_errors_per_s = gauge_at(16)?;
    row.fs_read_bytes_per_s = gauge_at(17)?;
    row.fs_write_bytes_per_s = gauge_at(18)?;
    row.event_reason = text(at(19));
    row.event_type = text(at(20));
    row.event_message = text(at(21));
    Ok(row)
}
