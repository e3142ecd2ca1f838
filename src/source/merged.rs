//! Two sources as one: pods and their state from one (the Kubernetes API), usage from the other
//! (Prometheus), collected concurrently and merged into one row per pod.

use super::{Collection, MetricsSource};
use crate::metrics_row::PodMetricsRow;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub struct MergedSource {
    name: &'static str,
    state: Box<dyn MetricsSource>,
    usage: Box<dyn MetricsSource>,
    /// Whether the usage source's last collection failed (logged once per change).
    usage_failing: bool,
}

impl MergedSource {
    pub fn new(
        name: &'static str,
        state: Box<dyn MetricsSource>,
        usage: Box<dyn MetricsSource>,
    ) -> MergedSource {
        MergedSource {
            name,
            state,
            usage,
            usage_failing: false,
        }
    }
}

/// The state rows, each with the usage fields of its pod's usage row. The state source decides
/// which pods exist; a pod without a usage row keeps empty usage fields. Limits come from the
/// state source (the pod spec) when it has them, else from the usage source.
pub fn merge(state: Vec<PodMetricsRow>, usage: Vec<PodMetricsRow>) -> Vec<PodMetricsRow> {
    let mut usage: HashMap<(String, String), PodMetricsRow> = usage
        .into_iter()
        .map(|r| ((r.namespace.clone(), r.pod.clone()), r))
        .collect();
    state
        .into_iter()
        .map(|mut row| {
            if let Some(u) = usage.remove(&(row.namespace.clone(), row.pod.clone())) {
                row.cpu_millicores = u.cpu_millicores;
                row.memory_bytes = u.memory_bytes;
                row.net_rx_bytes_per_s = u.net_rx_bytes_per_s;
                row.net_tx_bytes_per_s = u.net_tx_bytes_per_s;
                row.net_rx_errors_per_s = u.net_rx_errors_per_s;
                row.net_tx_errors_per_s = u.net_tx_errors_per_s;
                row.fs_read_bytes_per_s = u.fs_read_bytes_per_s;
                row.fs_write_bytes_per_s = u.fs_write_bytes_per_s;
                row.cpu_limit_millicores = row.cpu_limit_millicores.or(u.cpu_limit_millicores);
                row.memory_limit_bytes = row.memory_limit_bytes.or(u.memory_limit_bytes);
            }
            row
        })
        .collect()
}

impl MetricsSource for MergedSource {
    fn name(&self) -> &'static str {
        self.name
    }

    fn collect(&mut self, now: DateTime<Utc>) -> Collection<'_> {
        Box::pin(async move {
            let (state, usage) =
                futures_util::future::join(self.state.collect(now), self.usage.collect(now)).await;
            // Without usage the state rows still go out, their usage fields empty. The error
            // would otherwise be lost (the Collector sees only this source's result).
            let usage = match usage {
                Ok(rows) => {
                    if self.usage_failing {
                        tracing::info!(source = self.usage.name(), "usage collection recovered");
                        self.usage_failing = false;
                    }
                    rows
                }
                Err(e) => {
                    if !self.usage_failing {
                        tracing::warn!(
                            error = %e,
                            "usage collection failing; usage fields stay empty until it recovers"
                        );
                        self.usage_failing = true;
                    }
                    Vec::new()
                }
            };
            Ok(merge(state?, usage))
        })
    }

    fn problem(&self) -> Option<String> {
        self.state
            .problem()
            .or_else(|| self.usage.problem())
            .or_else(|| {
                self.usage_failing
                    .then(|| format!("{} collection failing", self.usage.name()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics_row::PodPhase;

    #[test]
    fn pods_come_from_the_state_source_and_usage_fills_in() {
        let t: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        let mut a = PodMetricsRow::empty(t, "shop", "cart-1");
        a.phase = Some(PodPhase::Running);
        a.memory_limit_bytes = Some(100.0);
        let b = PodMetricsRow::empty(t, "shop", "web-1");
        let mut ua = PodMetricsRow::empty(t, "shop", "cart-1");
        ua.cpu_millicores = Some(5.0);
        ua.memory_limit_bytes = Some(999.0);
        ua.cpu_limit_millicores = Some(500.0);
        ua.phase = Some(PodPhase::Failed);
        let gone = PodMetricsRow::empty(t, "shop", "deleted-1");
        let rows = merge(vec![a, b], vec![ua, gone]);
        assert_eq!(
            rows.len(),
            2,
            "a pod the API server does not know is not a pod"
        );
        assert_eq!(rows[0].cpu_millicores, Some(5.0));
        assert_eq!(
            rows[0].phase,
            Some(PodPhase::Running),
            "state is the API server's"
        );
        assert_eq!(rows[0].memory_limit_bytes, Some(100.0), "spec limits win");
        assert_eq!(rows[0].cpu_limit_millicores, Some(500.0));
        assert_eq!(rows[1].cpu_millicores, None);
    }
}
