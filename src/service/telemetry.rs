//! The daemon's own metrics, in the Prometheus text format (`GET /metrics`): what it ingests,
//! how fast it scores, whether its source answers, what it sends, and each pod's anomaly
//! probability (capped in series, the most anomalous pods first).
//!
//! One [`DaemonMetrics`] is made per daemon and handed to the actors that count (a handle, not
//! a global), so tests can make their own and read them back. The families are
//! `prometheus-client`'s: lock-free counters, and a registry that encodes the text format and
//! its `# EOF`, checked by `promtool check metrics` in the tests.

use crate::detector::{AnomalyType, PodScore};
use crate::features::PodKey;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FieldReasonLabels {
    field: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FileLabel {
    file: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActorLabel {
    actor: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkLabel {
    sink: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkReasonLabels {
    sink: String,
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PodLabels {
    namespace: String,
    pod: String,
    workload: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Every metric the daemon exports, registered once.
pub struct DaemonMetrics {
    registry: Registry,
    rows_ingested: Counter,
    rows_rejected: Family<ReasonLabel, Counter>,
    fields_emptied: Family<FieldReasonLabels, Counter>,
    scoring_batch: Histogram,
    verdict_lag: Histogram,
    pods_scored: Gauge,
    pods_anomalous: Gauge,
    last_verdict: FloatGauge,
    actor_restarts: Family<ActorLabel, Counter>,
    source_up: Gauge,
    source_errors: Counter,
    insights_written: Counter,
    write_errors: Family<FileLabel, Counter>,
    incidents_open: Family<KindLabel, Gauge>,
    alerts_sent: Family<SinkLabel, Counter>,
    alerts_dropped: Family<SinkReasonLabels, Counter>,
    llm_requests: Family<OutcomeLabel, Counter>,
    reloads: Family<ResultLabel, Counter>,
    pod_probability: Family<PodLabels, FloatGauge>,
    /// Open incidents of all kinds (for the status line).
    incidents_total: Gauge,
    max_pod_series: AtomicUsize,
    /// The pod series exported now, so those that fall out of the top are removed (a scrape
    /// never sees a pod that is gone, nor a gap while the set is replaced).
    pod_series: Mutex<HashSet<PodLabels>>,
}

impl DaemonMetrics {
    /// The metrics, at most `max_pod_series` pod probability series.
    pub fn new(max_pod_series: usize) -> DaemonMetrics {
        let mut registry = Registry::with_prefix("k8s_monitor");
        // A gauge set to 1, not OpenMetrics' `info` type: Prometheus' text parser (and
        // `promtool check metrics`) knows no `info`.
        let build: Family<VersionLabel, Gauge> = Family::default();
        build
            .get_or_create(&VersionLabel {
                version: env!("CARGO_PKG_VERSION").to_string(),
            })
            .set(1);
        registry.register("build_info", "The running version (always 1)", build);
        let m = DaemonMetrics {
            rows_ingested: Counter::default(),
            rows_rejected: Family::default(),
            fields_emptied: Family::default(),
            // 1 ms .. ~65 s: a 10-pod tick to a 100,000-pod replay chunk.
            scoring_batch: Histogram::new(exponential_buckets(0.001, 2.0, 17)),
            // 0.5 s .. ~17 min: a fast test interval to a daemon far behind.
            verdict_lag: Histogram::new(exponential_buckets(0.5, 2.0, 12)),
            pods_scored: Gauge::default(),
            pods_anomalous: Gauge::default(),
            last_verdict: FloatGauge::default(),
            actor_restarts: Family::default(),
            source_up: Gauge::default(),
            source_errors: Counter::default(),
            insights_written: Counter::default(),
            write_errors: Family::default(),
            incidents_open: Family::default(),
            alerts_sent: Family::default(),
            alerts_dropped: Family::default(),
            llm_requests: Family::default(),
            reloads: Family::default(),
            pod_probability: Family::default(),
            incidents_total: Gauge::default(),
            max_pod_series: AtomicUsize::new(max_pod_series),
            pod_series: Mutex::new(HashSet::new()),
            registry,
        };
        for result in ["applied", "rejected"] {
            let _ = m.reloads.get_or_create(&ResultLabel {
                result: result.to_string(),
            });
        }
        m.register_all()
    }

    fn register_all(mut self) -> DaemonMetrics {
        let r = &mut self.registry;
        r.register(
            "rows_ingested",
            "Metrics rows read from the CSV and accepted for scoring",
            self.rows_ingested.clone(),
        );
        r.register(
            "rows_rejected",
            "Metrics rows skipped as invalid, by reason",
            self.rows_rejected.clone(),
        );
        r.register(
            "fields_emptied",
            "Fields whose value cannot be a measurement (NaN, negative, absurd), written or read \
             as empty while the rest of the row is kept, by field and reason",
            self.fields_emptied.clone(),
        );
        r.register_with_unit(
            "scoring_batch_duration",
            "Time to score one batch of rows",
            Unit::Seconds,
            self.scoring_batch.clone(),
        );
        r.register_with_unit(
            "verdict_lag",
            "Time from the collection of a batch's oldest row to its verdict",
            Unit::Seconds,
            self.verdict_lag.clone(),
        );
        r.register(
            "pods_scored",
            "Pods with a verdict in the insights",
            self.pods_scored.clone(),
        );
        r.register(
            "pods_anomalous",
            "Pods whose latest verdict is anomalous",
            self.pods_anomalous.clone(),
        );
        r.register(
            "last_verdict_timestamp_seconds",
            "Unix time at which the last batch was scored",
            self.last_verdict.clone(),
        );
        r.register(
            "actor_restarts",
            "Agents restarted by their supervisor, by agent",
            self.actor_restarts.clone(),
        );
        r.register(
            "source_up",
            "1 if the metrics source answered its last collection, 0 if not",
            self.source_up.clone(),
        );
        r.register(
            "source_errors",
            "Collections that failed",
            self.source_errors.clone(),
        );
        r.register(
            "insights_written",
            "Times the insights document was written",
            self.insights_written.clone(),
        );
        r.register(
            "write_errors",
            "Writes that failed, by file (csv, offset, insights, incidents); the log says each \
             change of state once",
            self.write_errors.clone(),
        );
        r.register(
            "incidents_open",
            "Open incidents, by kind",
            self.incidents_open.clone(),
        );
        r.register(
            "alerts_sent",
            "Notifications accepted by a sink, by sink",
            self.alerts_sent.clone(),
        );
        r.register(
            "alerts_dropped",
            "Notifications not delivered, by sink and reason",
            self.alerts_dropped.clone(),
        );
        r.register(
            "llm_requests",
            "Incident explanations asked of the LLM, by outcome",
            self.llm_requests.clone(),
        );
        r.register(
            "reloads",
            "Configuration reloads, by result (applied or rejected)",
            self.reloads.clone(),
        );
        r.register(
            "pod_anomaly_probability",
            "Latest anomaly probability of a pod (the most anomalous pods, up to \
             [server] max_pod_series)",
            self.pod_probability.clone(),
        );
        self
    }

    /// The OpenMetrics text format, `# EOF` included (what Prometheus asks for).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The classic Prometheus text format (version 0.0.4), for clients that do not ask for
    /// OpenMetrics: `curl`, `promtool check metrics`, older scrapers.
    pub fn encode_classic(&self) -> String {
        classic_text(&self.encode())
    }

    pub fn rows_ingested(&self, n: u64) {
        self.rows_ingested.inc_by(n);
    }

    pub fn row_rejected(&self, reason: &str) {
        self.rows_rejected
            .get_or_create(&ReasonLabel {
                reason: reason.to_string(),
            })
            .inc();
    }

    pub fn field_emptied(&self, field: &str, reason: &str) {
        self.fields_emptied
            .get_or_create(&FieldReasonLabels {
                field: field.to_string(),
                reason: reason.to_string(),
            })
            .inc();
    }

    /// A batch scored in `seconds`, `lag_seconds` after its oldest row was collected, at unix
    /// time `now`.
    pub fn batch_scored(&self, seconds: f64, lag_seconds: Option<f64>, now: f64) {
        self.scoring_batch.observe(seconds);
        if let Some(lag) = lag_seconds {
            self.verdict_lag.observe(lag.max(0.0));
        }
        self.last_verdict.set(now);
    }

    pub fn actor_restarted(&self, actor: &str) {
        self.actor_restarts
            .get_or_create(&ActorLabel {
                actor: actor.to_string(),
            })
            .inc();
    }

    /// Actors that have not restarted still show 0 (a rate over a missing series is nothing).
    pub fn actor_known(&self, actor: &str) {
        let _ = self.actor_restarts.get_or_create(&ActorLabel {
            actor: actor.to_string(),
        });
    }

    /// The outcome of one collection.
    pub fn collection(&self, ok: bool) {
        self.source_up.set(i64::from(ok));
        if !ok {
            self.source_errors.inc();
        }
    }

    /// A failed write of `file` (`csv`, `offset`, `insights`, `incidents`).
    pub fn write_failed(&self, file: &str) {
        self.write_errors
            .get_or_create(&FileLabel {
                file: file.to_string(),
            })
            .inc();
    }

    /// The file's series at 0 until a write fails.
    pub fn file_known(&self, file: &str) {
        let _ = self.write_errors.get_or_create(&FileLabel {
            file: file.to_string(),
        });
    }

    pub fn insights_written(&self) {
        self.insights_written.inc();
    }

    /// Open incidents by kind; every kind is set, so one that closed goes back to 0.
    pub fn incidents_open(&self, kinds: impl IntoIterator<Item = AnomalyType>) {
        let mut counts = std::collections::HashMap::new();
        for k in kinds {
            *counts.entry(k).or_insert(0) += 1;
        }
        self.incidents_total
            .set(counts.values().copied().sum::<i64>());
        for k in AnomalyType::ALL {
            self.incidents_open
                .get_or_create(&KindLabel {
                    kind: k.as_str().to_string(),
                })
                .set(counts.get(&k).copied().unwrap_or(0));
        }
    }

    /// One line for `systemctl status`: "scoring 1,234 pods, 2 incidents open".
    pub fn status_line(&self) -> String {
        let incidents = self.incidents_total.get();
        format!(
            "scoring {} pods, {} incident{} open",
            thousands(self.pods_scored.get()),
            thousands(incidents),
            if incidents == 1 { "" } else { "s" }
        )
    }

    /// A configured sink's series, at 0 until something is sent or dropped (a rate over a
    /// missing series is nothing, not 0).
    pub fn sink_known(&self, sink: &str) {
        let _ = self.alerts_sent.get_or_create(&SinkLabel {
            sink: sink.to_string(),
        });
        for reason in ["rate_limited", "send_failed"] {
            let _ = self.alerts_dropped.get_or_create(&SinkReasonLabels {
                sink: sink.to_string(),
                reason: reason.to_string(),
            });
        }
    }

    pub fn alert_sent(&self, sink: &str) {
        self.alerts_sent
            .get_or_create(&SinkLabel {
                sink: sink.to_string(),
            })
            .inc();
    }

    pub fn alert_dropped(&self, sink: &str, reason: &str) {
        self.alerts_dropped
            .get_or_create(&SinkReasonLabels {
                sink: sink.to_string(),
                reason: reason.to_string(),
            })
            .inc();
    }

    /// An outcome's series at 0.
    pub fn llm_request_known(&self, outcome: &str) {
        let _ = self.llm_requests.get_or_create(&OutcomeLabel {
            outcome: outcome.to_string(),
        });
    }

    pub fn llm_request(&self, outcome: &str) {
        self.llm_requests
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    pub fn reload(&self, applied: bool) {
        let result = if applied { "applied" } else { "rejected" };
        self.reloads
            .get_or_create(&ResultLabel {
                result: result.to_string(),
            })
            .inc();
    }

    /// The pods' latest verdicts (`pods` = all pods in the insights): the pod counts, and the
    /// probability series of the `max_pod_series` most anomalous ones.
    pub fn pods<'a>(&self, pods: impl IntoIterator<Item = &'a PodScore>) {
        let mut all: Vec<&PodScore> = pods.into_iter().collect();
        self.pods_scored.set(all.len() as i64);
        self.pods_anomalous
            .set(all.iter().filter(|s| s.is_anomaly).count() as i64);
        let keep = self.max_pod_series.load(Ordering::Relaxed).min(all.len());
        if keep < all.len() {
            all.select_nth_unstable_by(keep, |a, b| {
                b.anomaly_probability.total_cmp(&a.anomaly_probability)
            });
            all.truncate(keep);
        }
        let mut exported = self.pod_series.lock().unwrap_or_else(|e| e.into_inner());
        let mut now = HashSet::with_capacity(all.len());
        for s in all {
            let labels = PodLabels {
                namespace: s.namespace.clone(),
                pod: s.pod.clone(),
                workload: s.workload.clone(),
            };
            self.pod_probability
                .get_or_create(&labels)
                .set(s.anomaly_probability);
            now.insert(labels);
        }
        for gone in exported.difference(&now) {
            self.pod_probability.remove(gone);
        }
        *exported = now;
    }

    /// A reloaded cap, applied at the next pass.
    pub fn set_max_pod_series(&self, max: usize) {
        self.max_pod_series.store(max, Ordering::Relaxed);
    }

    /// Pods evicted from the insights: their series go at once.
    pub fn forget_pods(&self, pods: &[PodKey]) {
        let mut exported = self.pod_series.lock().unwrap_or_else(|e| e.into_inner());
        exported.retain(|l| {
            let gone = pods
                .iter()
                .any(|k| k.namespace == l.namespace && k.pod == l.pod);
            if gone {
                self.pod_probability.remove(l);
            }
            !gone
        });
    }
}

/// OpenMetrics text as the classic format: a counter's `# HELP` and `# TYPE` name its samples'
/// `_total` name (OpenMetrics names the family without it), and the `# UNIT` and `# EOF` lines,
/// which the classic format does not have, go.
fn classic_text(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line.starts_with("# UNIT ") || line == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// `1234567` as `1,234,567`.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(pod: &str, p: f64) -> PodScore {
        let at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        PodScore::observed(at, "shop", pod, "cart", p)
    }

    fn pod_lines(text: &str) -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("k8s_monitor_pod_anomaly_probability{"))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn pod_series_are_capped_to_the_most_anomalous_and_follow_the_pods() {
        let m = DaemonMetrics::new(2);
        let scores = [score("a", 0.1), score("b", 0.95), score("c", 0.5)];
        m.pods(&scores);
        let text = m.encode();
        let lines = pod_lines(&text);
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines
            .iter()
            .any(|l| l.contains("pod=\"b\"") && l.ends_with(" 0.95")));
        assert!(lines.iter().any(|l| l.contains("pod=\"c\"")));
        assert!(text.contains("k8s_monitor_pods_scored 3\n"));
        assert!(text.contains("k8s_monitor_pods_anomalous 1\n"));
        // `a` rises above `c`: `c` leaves, no stale series stays.
        m.pods(&[score("a", 0.9), score("b", 0.95), score("c", 0.5)]);
        let lines = pod_lines(&m.encode());
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| !l.contains("pod=\"c\"")));
        m.forget_pods(&[PodKey::new("shop", "b")]);
        let lines = pod_lines(&m.encode());
        assert_eq!(lines.len(), 1, "an evicted pod's series goes at once");
        assert!(DaemonMetrics::new(0)
            .encode()
            .contains("k8s_monitor_build_info"));
    }

    #[test]
    fn the_text_format_names_units_and_suffixes_as_the_dashboards_expect() {
        let m = DaemonMetrics::new(10);
        m.rows_ingested(3);
        m.row_rejected("bad_number");
        m.batch_scored(0.02, Some(7.0), 1.8e9);
        m.collection(false);
        m.incidents_open([AnomalyType::CrashLoop, AnomalyType::CrashLoop]);
        m.reload(false);
        let text = m.encode();
        for line in [
            "k8s_monitor_rows_ingested_total 3",
            "k8s_monitor_rows_rejected_total{reason=\"bad_number\"} 1",
            "k8s_monitor_scoring_batch_duration_seconds_count 1",
            "k8s_monitor_verdict_lag_seconds_bucket{le=\"8.0\"} 1",
            "k8s_monitor_source_up 0",
            "k8s_monitor_source_errors_total 1",
            "k8s_monitor_incidents_open{kind=\"crash_loop\"} 2",
            "k8s_monitor_incidents_open{kind=\"memory_leak\"} 0",
            "k8s_monitor_reloads_total{result=\"rejected\"} 1",
            "k8s_monitor_last_verdict_timestamp_seconds 1800000000.0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"));
        let classic = m.encode_classic();
        assert!(classic.contains("# TYPE k8s_monitor_rows_ingested_total counter\n"));
        assert!(classic.contains("# HELP k8s_monitor_rows_ingested_total Metrics rows"));
        assert!(classic.contains("k8s_monitor_rows_ingested_total 3\n"));
        assert!(!classic.contains("# EOF") && !classic.contains("# UNIT"));
        assert_eq!(m.status_line(), "scoring 0 pods, 2 incidents open");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(999), "999");
    }
}
