//! The Kubernetes API source: one row per pod from watches on pods and events, with usage
//! from metrics-server's PodMetrics (or from Prometheus, through `MergedSource`).
//!
//! Background tasks ([`watch`]) keep the picture current; `collect` only reads it, so a slow
//! API server never holds up a collection. Reads only: get, list and watch.
//!
//! While the API server cannot be reached (or refuses us), the pods known last are written
//! with their identity and node only — state from a stale cache would be a guess — and the
//! outage and the recovery are each logged once. Until the first pod list has arrived,
//! collections fail (the Collector logs that once).

mod client;
pub mod events;
pub mod health;
pub mod metrics_api;
pub mod pod_state;
pub mod quantity;
pub mod store;
mod watch;

use super::{Collection, MetricsSource, SourceError};
use crate::metrics_row::PodMetricsRow;
use crate::settings::Settings;
use chrono::{DateTime, TimeDelta, Utc};
use events::PodKey;
use health::StateLog;
use pod_state::RestartsSeen;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use watch::{lock, Plan, SharedState};

/// How long start-up waits for the first pod list before handing over to the Collector.
const FIRST_LIST_WAIT: Duration = Duration::from_secs(10);

/// Says once that `namespace` has no pods, naming the namespaces that do (one list of pods
/// across the cluster, names only; without the RBAC for it, says that instead): a wrong
/// `--namespace` otherwise collects nothing without a word.
async fn warn_empty_namespace(client: kube::Client, namespace: &str) {
    use k8s_openapi::api::core::v1::Pod;
    let pods: kube::Api<Pod> = kube::Api::all(client);
    let params = kube::api::ListParams::default().limit(5000);
    let elsewhere = match pods.list_metadata(&params).await {
        Ok(list) => {
            let mut counts: HashMap<String, usize> = HashMap::new();
            for ns in list
                .items
                .iter()
                .filter_map(|p| p.metadata.namespace.clone())
            {
                *counts.entry(ns).or_default() += 1;
            }
            super::namespaces::namespaces_with_pods(counts)
        }
        Err(e) => format!("(could not list them: {e})"),
    };
    tracing::warn!(
        namespace,
        "the Kubernetes API answers but the namespace has no pods; namespaces with pods: {elsewhere}"
    );
}

pub struct KubernetesSource {
    shared: SharedState,
    interval: TimeDelta,
    usage_from_metrics_api: bool,
    /// Per pod: its UID and restart counts at the last collection with data.
    restarts_seen: HashMap<PodKey, (String, RestartsSeen)>,
    api_log: StateLog,
    events_log: StateLog,
    metrics_log: StateLog,
    tasks: Vec<JoinHandle<()>>,
}

/// The poll timeout: a poll unanswered for this long means the API server is not answering.
pub fn poll_timeout(interval: Duration) -> Duration {
    (interval * 2).max(Duration::from_secs(5))
}

impl KubernetesSource {
    /// Connects to the cluster `[kubernetes]` names and starts watching. Fails on a bad or
    /// missing configuration; an unreachable API server is not an error here (the source keeps
    /// trying). Must run inside a tokio runtime, which the background tasks live on.
    pub async fn connect(
        settings: &Settings,
        usage_from_prometheus: bool,
    ) -> anyhow::Result<KubernetesSource> {
        let (client, url) = client::client(&settings.kubernetes).await?;
        let namespace =
            (settings.collector.namespace != "all").then(|| settings.collector.namespace.clone());
        let interval = settings.collector.generator_interval;
        tracing::info!(
            config = %client::describe(&settings.kubernetes),
            server = %url,
            namespace = %settings.collector.namespace,
            usage = if usage_from_prometheus { "prometheus" } else { "metrics.k8s.io" },
            "collecting from the Kubernetes API"
        );
        let shared = SharedState::default();
        // Kept for the start-up check that the namespace has pods (the watch takes the client).
        let check_client = client.clone();
        let check_namespace = namespace.clone();
        let tasks = watch::spawn(
            Plan {
                client,
                namespace,
                interval,
                poll_timeout: poll_timeout(interval),
                usage_from_metrics_api: !usage_from_prometheus,
            },
            &shared,
        );
        let source = KubernetesSource {
            shared,
            interval: TimeDelta::from_std(interval).unwrap_or(TimeDelta::MAX),
            usage_from_metrics_api: !usage_from_prometheus,
            restarts_seen: HashMap::new(),
            api_log: StateLog::new(
                "Kubernetes API server",
                "writing the known pods with empty fields until it answers",
            ),
            events_log: StateLog::new(
                "Kubernetes events watch",
                "event_reason, event_type and event_message stay empty",
            ),
            metrics_log: StateLog::new(
                "metrics API (metrics.k8s.io)",
                "cpu_millicores and memory_bytes stay empty",
            ),
            tasks,
        };
        source.wait_for_first_list().await;
        if let Some(namespace) = check_namespace {
            let empty = {
                let s = lock(&source.shared);
                s.pods.synced() && s.pods.is_empty()
            };
            if empty {
                warn_empty_namespace(check_client, &namespace).await;
            }
        }
        Ok(source)
    }

    /// Waits (bounded) until the first pod list and the first poll are in, or failed, so the
    /// first collection has data.
    async fn wait_for_first_list(&self) {
        let deadline = Instant::now() + FIRST_LIST_WAIT;
        while Instant::now() < deadline {
            {
                let s = lock(&self.shared);
                let pods = s.pods.synced() || s.pods_problem.is_some();
                if pods && s.poll.attempts > 0 {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn rows(&mut self, now: DateTime<Utc>) -> Result<Vec<PodMetricsRow>, SourceError> {
        let mut guard = lock(&self.shared);
        let s = &mut *guard;
        let api_problem = s
            .pods_problem
            .clone()
            .or_else(|| s.poll.api_problem.clone());
        self.api_log.update(now, api_problem.as_ref());
        self.events_log.update(now, s.events_problem.as_ref());
        if self.usage_from_metrics_api && api_problem.is_none() {
            self.metrics_log
                .update(now, s.poll.metrics_problem.as_ref());
        }
        if !s.pods.synced() {
            return Err(SourceError::Collect {
                source_name: "kubernetes",
                message: api_problem.map_or_else(
                    || "no pod list from the API server yet".to_string(),
                    |p| p.explain(),
                ),
            });
        }
        let mut rows = Vec::with_capacity(s.pods.len());
        let mut seen = HashMap::with_capacity(s.pods.len());
        for pod in s.pods.pods() {
            let key: PodKey = (pod.namespace.clone(), pod.name.clone());
            let mut row = if api_problem.is_some() {
                let mut row = PodMetricsRow::empty(now, &pod.namespace, &pod.name);
                row.node = pod.node.clone();
                row
            } else {
                let previous = self
                    .restarts_seen
                    .get(&key)
                    .filter(|(uid, _)| *uid == pod.uid)
                    .map(|(_, r)| r);
                let mut row = pod.row(now, previous, self.interval);
                if let Some(u) = s.poll.usage.as_ref().and_then(|u| u.get(&key)) {
                    row.cpu_millicores = u.cpu_millicores;
                    row.memory_bytes = u.memory_bytes;
                }
                seen.insert(key.clone(), (pod.uid.clone(), pod.restarts_seen()));
                row
            };
            if let Some(ev) = s.events.take(&key, &pod.uid) {
                row.event_reason = ev.reason;
                row.event_type = ev.type_;
                row.event_message = ev.message;
            }
            rows.push(row);
        }
        s.events.collection_done();
        // Through an outage the last counts stand, so restarts during it show afterwards.
        if api_problem.is_none() {
            self.restarts_seen = seen;
        }
        Ok(rows)
    }
}

impl Drop for KubernetesSource {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl MetricsSource for KubernetesSource {
    fn name(&self) -> &'static str {
        "kubernetes"
    }

    fn collect(&mut self, now: DateTime<Utc>) -> Collection<'_> {
        let rows = self.rows(now);
        Box::pin(std::future::ready(rows))
    }

    fn problem(&self) -> Option<String> {
        self.api_log.problem()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Event, Pod};
    use serde_json::json;

    fn source(shared: SharedState) -> KubernetesSource {
        KubernetesSource {
            shared,
            interval: TimeDelta::seconds(5),
            usage_from_metrics_api: true,
            restarts_seen: HashMap::new(),
            api_log: StateLog::new("api", "empty"),
            events_log: StateLog::new("events", "empty"),
            metrics_log: StateLog::new("metrics", "empty"),
            tasks: Vec::new(),
        }
    }

    fn pod(restarts: i32) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "cart-1", "namespace": "shop", "uid": "u1"},
            "spec": {"nodeName": "node-a", "containers": [{"name": "app"}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "app", "ready": true, "restartCount": restarts, "image": "", "imageID": "",
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}
            }]}
        }))
        .unwrap()
    }

    #[test]
    fn rows_come_from_the_store_and_empty_while_the_api_server_is_away() {
        let shared = SharedState::default();
        let mut src = source(shared.clone());
        let t: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        assert!(src.rows(t).is_err(), "no list yet");
        {
            let mut s = lock(&shared);
            s.pods.list_started();
            s.pods.listed(&pod(1));
            s.pods.list_done();
            s.poll.usage = Some(
                [(
                    ("shop".to_string(), "cart-1".to_string()),
                    metrics_api::PodUsage {
                        cpu_millicores: Some(12.0),
                        memory_bytes: Some(34.0),
                    },
                )]
                .into(),
            );
        }
        let rows = src.rows(t).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].restarts, Some(1));
        assert_eq!(rows[0].cpu_millicores, Some(12.0));
        assert_eq!(
            rows[0].reason, None,
            "an old termination, seen at first sight"
        );

        // The API server goes away; meanwhile the container restarts (we learn it later).
        lock(&shared).poll.api_problem = Some(health::Problem::unreachable("refused"));
        let rows = src.rows(t + TimeDelta::seconds(5)).unwrap();
        assert_eq!(rows[0].node, "node-a");
        assert_eq!((rows[0].phase, rows[0].restarts), (None, None));
        assert_eq!(rows[0].cpu_millicores, None);

        {
            let mut s = lock(&shared);
            s.poll.api_problem = None;
            s.pods.applied(&pod(2));
            let ev: Event = serde_json::from_value(json!({
                "metadata": {"name": "e", "namespace": "shop", "resourceVersion": "9"},
                "involvedObject": {"kind": "Pod", "name": "cart-1", "namespace": "shop"},
                "reason": "BackOff", "type": "Warning", "message": "Back-off restarting"
            }))
            .unwrap();
            s.events.list_started();
            s.events.list_done();
            s.events.applied(&ev);
        }
        let rows = src.rows(t + TimeDelta::seconds(10)).unwrap();
        assert_eq!(rows[0].restarts, Some(2));
        assert_eq!(
            rows[0].reason.as_deref(),
            Some("OOMKilled"),
            "restarted during the outage"
        );
        assert_eq!(rows[0].event_reason.as_deref(), Some("BackOff"));
        let rows = src.rows(t + TimeDelta::seconds(15)).unwrap();
        assert_eq!(
            (rows[0].reason.as_deref(), rows[0].event_reason.as_deref()),
            (None, None)
        );
    }
}
