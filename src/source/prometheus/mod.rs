//! The Prometheus source: the `[prometheus_queries]` at one evaluation time per interval,
//! assembled into one row per pod.
//!
//! Outages are expected (Prometheus restarts, networks flap): while Prometheus cannot be
//! reached, the pods seen last are written with empty fields, so the gap is explicit in the CSV
//! rather than filled with a guess, and the outage and the recovery are each logged once. A
//! single query failing (a bad override, say) empties only its own field, also logged once.

mod assemble;
mod client;
mod response;

pub use assemble::{assemble, expand};
pub use client::{BuildClientError, PrometheusClient, QueryError};
pub use response::{AnswerError, Series};

use super::{Collection, MetricsSource, SourceError};
use crate::metrics_row::PodMetricsRow;
use crate::settings::{QueryField, Settings};
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

pub struct PrometheusSource {
    client: PrometheusClient,
    /// Expanded queries, in [`QueryField::ALL`] order.
    queries: Vec<(QueryField, String)>,
    interval: Duration,
    /// History still to fetch with `query_range` before the first live collection.
    backfill: Option<Duration>,
    /// Pods of the last successful collection, with their node: written with empty fields
    /// while Prometheus is away.
    known_pods: BTreeMap<(String, String), String>,
    /// Since when Prometheus has been unreachable.
    outage_since: Option<DateTime<Utc>>,
    /// The error that started the outage.
    outage_error: String,
    /// Queries whose last attempt failed while Prometheus was up.
    failing_queries: BTreeSet<QueryField>,
    /// The configured namespace (`all` for every one), for the empty-namespace warning.
    namespace: String,
    /// Whether "no pods in the namespace" was said (once, until pods appear).
    said_empty: bool,
}

/// Pods per namespace, as Prometheus knows them (kube-state-metrics' `kube_pod_info`).
const PODS_BY_NAMESPACE: &str = "count by (namespace) (kube_pod_info)";

impl PrometheusSource {
    pub fn new(settings: &Settings) -> Result<PrometheusSource, BuildClientError> {
        let client =
            PrometheusClient::new(&settings.collector.prometheus_url, &settings.prometheus)?;
        let queries = QueryField::ALL
            .iter()
            .map(|f| {
                let template = settings.prometheus_queries.get(*f);
                let query = expand(
                    template,
                    &settings.collector.namespace,
                    settings.prometheus.rate_window,
                );
                (*f, query)
            })
            .collect();
        let backfill = settings.prometheus.backfill;
        Ok(PrometheusSource {
            client,
            queries,
            interval: settings.collector.generator_interval,
            backfill: (!backfill.is_zero()).then_some(backfill),
            known_pods: BTreeMap::new(),
            outage_since: None,
            outage_error: String::new(),
            failing_queries: BTreeSet::new(),
            namespace: settings.collector.namespace.clone(),
            said_empty: false,
        })
    }

    /// The queries as sent (for logs and the README's "queries it runs").
    pub fn queries(&self) -> &[(QueryField, String)] {
        &self.queries
    }

    async fn collect_at(&mut self, now: DateTime<Utc>) -> Result<Vec<PodMetricsRow>, SourceError> {
        let mut rows = match self.backfill.take() {
            Some(span) => self.backfill_rows(now, span).await,
            None => Vec::new(),
        };
        let client = &self.client;
        let retry = self.outage_since.is_none();
        let answers = join_all(
            self.queries
                .iter()
                .map(|(field, q)| async move { (*field, client.query(q, now, retry).await) }),
        )
        .await;
        rows.extend(self.rows_from(now, answers)?);
        if rows.is_empty() && !self.said_empty {
            self.said_empty = true;
            let elsewhere = match self.client.query(PODS_BY_NAMESPACE, now, false).await {
                Ok(series) => namespaces_with_pods(&series),
                Err(e) => format!("(could not list them: {e})"),
            };
            tracing::warn!(
                namespace = %self.namespace,
                url = self.client.base_url(),
                "Prometheus answers but finds no pods in the namespace; namespaces with pods: {elsewhere}"
            );
        } else if !rows.is_empty() && self.said_empty {
            self.said_empty = false;
            tracing::info!(namespace = %self.namespace, pods = rows.len(), "pods found in the namespace");
        }
        Ok(rows)
    }

    /// Rows of the history before `now`, one per `interval`; none (logged) if it fails.
    async fn backfill_rows(&mut self, now: DateTime<Utc>, span: Duration) -> Vec<PodMetricsRow> {
        let step = self.interval;
        let (Ok(span_delta), Ok(step_delta)) =
            (TimeDelta::from_std(span), TimeDelta::from_std(step))
        else {
            return Vec::new();
        };
        let (start, end) = (now - span_delta, now - step_delta);
        if end < start {
            return Vec::new();
        }
        let client = &self.client;
        let answers = join_all(self.queries.iter().map(|(field, q)| async move {
            (*field, client.query_range(q, start, end, step).await)
        }))
        .await;
        let mut ok = Vec::new();
        for (field, answer) in answers {
            match answer {
                Ok(series) => ok.push((field, series)),
                Err(e) => {
                    tracing::warn!(error = %e, "backfill from Prometheus failed; starting without history");
                    return Vec::new();
                }
            }
        }
        let rows = assemble(&ok);
        tracing::info!(rows = rows.len(), %start, %end, "backfilled history from Prometheus");
        rows
    }

    fn rows_from(
        &mut self,
        now: DateTime<Utc>,
        answers: Vec<(QueryField, Result<Vec<Series>, QueryError>)>,
    ) -> Result<Vec<PodMetricsRow>, SourceError> {
        let outage = answers
            .iter()
            .all(|(_, a)| a.as_ref().is_err_and(QueryError::is_outage));
        if outage {
            let first_error = answers
                .into_iter()
                .find_map(|(_, a)| a.err())
                .map(|e| e.to_string())
                .unwrap_or_default();
            if self.outage_since.is_none() {
                tracing::warn!(
                    url = self.client.base_url(),
                    error = %first_error,
                    pods = self.known_pods.len(),
                    "Prometheus unreachable; writing empty fields for the pods seen last until it answers"
                );
                self.outage_since = Some(now);
                self.outage_error = first_error.clone();
            }
            if self.known_pods.is_empty() {
                return Err(SourceError::Collect {
                    source_name: "prometheus",
                    message: first_error,
                });
            }
            return Ok(self
                .known_pods
                .iter()
                .map(|((namespace, pod), node)| {
                    let mut row = PodMetricsRow::empty(now, namespace, pod);
                    row.node = node.clone();
                    row
                })
                .collect());
        }
        // Every query refused (401, 403, a proxy's 404...): nothing to write, and one error for
        // the Collector to log, rather than one warning per query.
        if answers.iter().all(|(_, a)| a.is_err()) {
            let first_error = answers.into_iter().find_map(|(_, a)| a.err());
            return Err(SourceError::Collect {
                source_name: "prometheus",
                message: first_error.map(|e| e.to_string()).unwrap_or_default(),
            });
        }
        if let Some(since) = self.outage_since.take() {
            tracing::info!(
                url = self.client.base_url(),
                down_for = %humantime::format_duration((now - since).to_std().unwrap_or_default()),
                "Prometheus answering again"
            );
        }
        let mut ok = Vec::with_capacity(answers.len());
        for (field, answer) in answers {
            match answer {
                Ok(series) => {
                    if self.failing_queries.remove(&field) {
                        tracing::info!(query = field.key(), "query answering again");
                    }
                    ok.push((field, series));
                }
                Err(e) => {
                    if self.failing_queries.insert(field) {
                        tracing::warn!(
                            query = field.key(),
                            error = %e,
                            "query failing; its field stays empty until it answers"
                        );
                    }
                }
            }
        }
        let rows = assemble(&ok);
        self.known_pods = rows
            .iter()
            .map(|r| ((r.namespace.clone(), r.pod.clone()), r.node.clone()))
            .collect();
        Ok(rows)
    }
}

/// Pods per namespace from the answer to [`PODS_BY_NAMESPACE`], as the sources say them.
fn namespaces_with_pods(series: &[Series]) -> String {
    let counts = series.iter().filter_map(|s| {
        let ns = s.labels.get("namespace")?;
        let (_, n) = s.points.last()?;
        Some((ns.clone(), n.round() as usize))
    });
    match super::namespaces::namespaces_with_pods(counts).as_str() {
        "none" => "none (is kube-state-metrics scraped?)".to_string(),
        listed => listed.to_string(),
    }
}

impl MetricsSource for PrometheusSource {
    fn name(&self) -> &'static str {
        "prometheus"
    }

    fn collect(&mut self, now: DateTime<Utc>) -> Collection<'_> {
        Box::pin(self.collect_at(now))
    }

    fn problem(&self) -> Option<String> {
        self.outage_since.map(|_| {
            format!(
                "Prometheus at {} unreachable: {}",
                self.client.base_url(),
                self.outage_error
            )
        })
    }
}
