//! Pure assembly of canonical rows from query answers: one row per pod per evaluation time,
//! each field from its own query, empty where that query has no series for the pod.

use super::response::Series;
use crate::metrics_row::{PodMetricsRow, PodPhase};
use crate::settings::{QueryAnswer, QueryField};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::time::Duration;

/// The query text for one namespace (`all` for every namespace) and rate window.
pub fn expand(template: &str, namespace: &str, rate_window: Duration) -> String {
    let matcher = if namespace == "all" {
        r#"namespace!="""#.to_string()
    } else {
        format!(r#"namespace="{namespace}""#)
    };
    template
        .replace("${namespace}", &matcher)
        .replace("${rate_window}", &promql_duration(rate_window))
}

/// A PromQL duration: whole seconds when exact, else milliseconds.
fn promql_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Prometheus' timestamps are float seconds; rows are keyed on whole milliseconds.
fn time_of(unix_seconds: f64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis((unix_seconds * 1000.0).round() as i64)
}

fn count(v: f64) -> Option<u32> {
    (v >= 0.0 && v <= f64::from(u32::MAX)).then(|| v.round() as u32)
}

/// Rows from every field's answer (instant or range), sorted by time, namespace and pod.
pub fn assemble(answers: &[(QueryField, Vec<Series>)]) -> Vec<PodMetricsRow> {
    let mut rows: BTreeMap<(DateTime<Utc>, String, String), PodMetricsRow> = BTreeMap::new();
    for (field, series) in answers {
        for s in series {
            let Some((namespace, pod)) = s.pod() else {
                continue;
            };
            for &(t, value) in &s.points {
                let Some(time) = time_of(t) else { continue };
                let row = rows
                    .entry((time, namespace.to_string(), pod.to_string()))
                    .or_insert_with(|| PodMetricsRow::empty(time, namespace, pod));
                fill(row, *field, value, s);
            }
        }
    }
    rows.into_values().collect()
}

fn fill(row: &mut PodMetricsRow, field: QueryField, value: f64, series: &Series) {
    if let QueryAnswer::Label(label) = field.answer() {
        // A label answer names its value on a series that is "on"; several (e.g. reasons of two
        // containers) resolve to the smallest, so the result does not depend on answer order.
        let Some(text) = series.labels.get(label).filter(|t| !t.is_empty()) else {
            return;
        };
        if value == 0.0 {
            return;
        }
        let keep = |current: &Option<String>| current.as_ref().is_none_or(|c| text < c);
        match field {
            QueryField::Phase => {
                if let Some(phase) = PodPhase::parse(text) {
                    let current = row.phase.map(|p| p.as_str().to_string());
                    if keep(&current) {
                        row.phase = Some(phase);
                    }
                }
            }
            QueryField::Reason => {
                if keep(&row.reason) {
                    row.reason = Some(text.clone());
                }
            }
            QueryField::Node => {
                if row.node.is_empty() || text < &row.node {
                    row.node = text.clone();
                }
            }
            _ => unreachable!("only phase, reason and node are label answers"),
        }
        return;
    }
    // Several series for one pod can only come from a query that does not aggregate by
    // (namespace, pod); summing them is what the defaults' `sum by` does.
    let add = |slot: &mut Option<f64>| *slot = Some(slot.unwrap_or(0.0) + value);
    let add_count = |slot: &mut Option<u32>| {
        if let Some(n) = count(value) {
            *slot = Some(slot.unwrap_or(0).saturating_add(n));
        }
    };
    match field {
        QueryField::CpuMillicores => add(&mut row.cpu_millicores),
        QueryField::CpuLimitMillicores => add(&mut row.cpu_limit_millicores),
        QueryField::MemoryBytes => add(&mut row.memory_bytes),
        QueryField::MemoryLimitBytes => add(&mut row.memory_limit_bytes),
        QueryField::NetRxBytesPerS => add(&mut row.net_rx_bytes_per_s),
        QueryField::NetTxBytesPerS => add(&mut row.net_tx_bytes_per_s),
        QueryField::NetRxErrorsPerS => add(&mut row.net_rx_errors_per_s),
        QueryField::NetTxErrorsPerS => add(&mut row.net_tx_errors_per_s),
        QueryField::FsReadBytesPerS => add(&mut row.fs_read_bytes_per_s),
        QueryField::FsWriteBytesPerS => add(&mut row.fs_write_bytes_per_s),
        QueryField::Restarts => add_count(&mut row.restarts),
        QueryField::ReadyContainers => add_count(&mut row.ready_containers),
        QueryField::TotalContainers => add_count(&mut row.total_containers),
        QueryField::Phase | QueryField::Reason | QueryField::Node => unreachable!(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(labels: &[(&str, &str)], points: &[(f64, f64)]) -> Series {
        Series {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            points: points.to_vec(),
        }
    }

    #[test]
    fn templates_expand_namespace_and_window() {
        let q = r#"rate(x{${namespace}}[${rate_window}])"#;
        assert_eq!(
            expand(q, "shop", Duration::from_secs(120)),
            r#"rate(x{namespace="shop"}[120s])"#
        );
        assert_eq!(
            expand(q, "all", Duration::from_millis(1500)),
            r#"rate(x{namespace!=""}[1500ms])"#
        );
    }

    #[test]
    fn each_field_from_its_query_and_missing_series_stay_empty() {
        let t = 1_700_000_000.0;
        let cart = [("namespace", "shop"), ("pod", "cart-1")];
        let web = [("namespace", "shop"), ("pod", "web-1")];
        let answers = vec![
            (
                QueryField::CpuMillicores,
                vec![series(&cart, &[(t, 250.0)]), series(&web, &[(t, 10.0)])],
            ),
            (QueryField::MemoryBytes, vec![series(&cart, &[(t, 1e6)])]),
            (QueryField::Restarts, vec![series(&cart, &[(t, 3.0)])]),
            (
                QueryField::Phase,
                vec![
                    series(&[cart[0], cart[1], ("phase", "Running")], &[(t, 1.0)]),
                    series(&[web[0], web[1], ("phase", "Running")], &[(t, 0.0)]),
                    series(&[web[0], web[1], ("phase", "Pending")], &[(t, 1.0)]),
                ],
            ),
            (
                QueryField::Reason,
                vec![series(
                    &[cart[0], cart[1], ("reason", "OOMKilled")],
                    &[(t, 1.0)],
                )],
            ),
            (
                QueryField::Node,
                vec![series(&[cart[0], cart[1], ("node", "n1")], &[(t, 1.0)])],
            ),
            // A series without a pod label is not a pod.
            (QueryField::NetRxBytesPerS, vec![series(&[], &[(t, 5.0)])]),
        ];
        let rows = assemble(&answers);
        assert_eq!(rows.len(), 2);
        let (cart, web) = (&rows[0], &rows[1]);
        assert_eq!(cart.pod, "cart-1");
        assert_eq!(cart.timestamp.timestamp(), 1_700_000_000);
        assert_eq!(cart.cpu_millicores, Some(250.0));
        assert_eq!(cart.memory_bytes, Some(1e6));
        assert_eq!(cart.restarts, Some(3));
        assert_eq!(cart.phase, Some(PodPhase::Running));
        assert_eq!(cart.reason.as_deref(), Some("OOMKilled"));
        assert_eq!(cart.node, "n1");
        assert_eq!(cart.net_rx_bytes_per_s, None);
        assert_eq!(web.cpu_millicores, Some(10.0));
        assert_eq!(web.memory_bytes, None, "no series: empty, not zero");
        assert_eq!(web.phase, Some(PodPhase::Pending));
        assert_eq!(web.node, "");
    }

    #[test]
    fn range_answers_give_one_row_per_time() {
        let pod = [("namespace", "shop"), ("pod", "cart-1")];
        let rows = assemble(&[(
            QueryField::MemoryBytes,
            vec![series(&pod, &[(10.0, 1.0), (15.0, 2.0)])],
        )]);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].memory_bytes, Some(2.0));
        assert_eq!(rows[1].timestamp.timestamp(), 15);
    }
}
