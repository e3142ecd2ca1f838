//! The typed runtime settings handed to the agents, their built-in defaults, and a printout of
//! the effective values (valid `agents.toml` syntax, so `--print-config` output can be saved).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use super::duration::format_duration;
use super::llm::{self, LlmSettings};
use super::sources::{self, KubernetesSettings, PrometheusQueries, PrometheusSettings};

/// Where the collector gets pod metrics from. The loader accepts all three; the caller decides
/// which are implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    Simulator,
    /// Usage and state from Prometheus (cAdvisor and kube-state-metrics).
    Prometheus,
    /// State and events from the API server, CPU and memory from `metrics.k8s.io`.
    Kubernetes,
    /// State and events from the API server, usage from Prometheus.
    KubernetesPrometheus,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [
        Self::Simulator,
        Self::Prometheus,
        Self::Kubernetes,
        Self::KubernetesPrometheus,
    ];

    /// The name used in `agents.toml`, the environment and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Simulator => "simulator",
            Self::Prometheus => "prometheus",
            Self::Kubernetes => "kubernetes",
            Self::KubernetesPrometheus => "kubernetes+prometheus",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`SourceKind::from_str`]: the name is not one of [`SourceKind::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown source `{0}`: allowed simulator, prometheus, kubernetes, kubernetes+prometheus")]
pub struct ParseSourceKindError(pub String);

impl FromStr for SourceKind {
    type Err = ParseSourceKindError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| ParseSourceKindError(s.to_string()))
    }
}

/// Which scorer turns features into probabilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetectorKind {
    /// The LSTM and the statistical detectors together (the default).
    Ensemble,
    /// The statistical detectors and rules alone (no model file needed).
    Statistical,
    /// The LSTM alone (for ablation; misses what only the rules see).
    Lstm,
}

impl DetectorKind {
    pub const ALL: [DetectorKind; 3] = [Self::Ensemble, Self::Statistical, Self::Lstm];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ensemble => "ensemble",
            Self::Statistical => "statistical",
            Self::Lstm => "lstm",
        }
    }

    /// Whether this detector needs the trained model.
    pub fn uses_model(self) -> bool {
        self != Self::Statistical
    }
}

impl fmt::Display for DetectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DetectorKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| format!("unknown detector `{s}`: allowed ensemble, statistical, lstm"))
    }
}

/// `[collector]`: gathers one sample per pod every `generator_interval` into `output_file`.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectorSettings {
    pub source: SourceKind,
    pub generator_interval: Duration,
    pub output_file: PathBuf,
    /// `http://` or `https://` base URL of Prometheus.
    pub prometheus_url: String,
    /// A DNS-1123 namespace name, or `"all"` for every namespace.
    pub namespace: String,
    /// The CSV is rotated past this many bytes; 0 never rotates.
    pub max_file_bytes: u64,
    /// Rotated files kept (`NAME.1` … `NAME.n`).
    pub max_files: usize,
}

/// `[simulator]`: the built-in simulated cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorSection {
    pub pods: usize,
    pub seed: u64,
    pub first_fault_after: Duration,
    pub mean_time_between_faults: Duration,
}

/// `[dataset_generator]`: tails the collector's CSV and builds per-pod features.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetGeneratorSettings {
    pub watch_interval: Duration,
    pub poll_interval: Duration,
    pub evict_after: Duration,
    pub offset_file: PathBuf,
    /// Rows stamped further ahead of this machine's clock are refused.
    pub max_clock_skew: Duration,
}

/// `[anomaly_model]`: scores pods.
#[derive(Debug, Clone, PartialEq)]
pub struct AnomalyModelSettings {
    /// Probability at or above which a pod is anomalous; strictly between 0 and 1.
    pub alert_threshold: f64,
    /// How long a pod's signals are observed before they are judged.
    pub warm_up: Duration,
    /// Which scorer runs.
    pub detector: DetectorKind,
    /// Directory of the trained LSTM (`config.json` + `model.bpk`).
    /// `None`: the model built into the binary.
    pub model_dir: Option<PathBuf>,
}

/// `[insights]`: the explained results.
#[derive(Debug, Clone, PartialEq)]
pub struct InsightsSettings {
    pub output_file: PathBuf,
    pub max_pods: usize,
    /// A one-line summary (pods scored, anomalous, unknown, incidents open) is logged this
    /// often, in the data's time; `0s` turns it off.
    pub summary_every: Duration,
}

/// `[analysis]`: incidents from anomalous pods.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisSettings {
    /// Where incident transitions are appended (JSON lines).
    pub incidents_file: PathBuf,
    /// An incident resolves once all its pods have been normal this long.
    pub resolve_after: Duration,
    /// A resolved incident that recurs within this long re-opens instead of opening anew.
    pub cooldown: Duration,
}

/// `[alerts]`: where incidents are sent.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertsSettings {
    /// Alertmanager base URL; `None`: no Alertmanager.
    pub alertmanager_url: Option<String>,
    /// A Slack-compatible webhook URL; `None`: none.
    pub webhook_url: Option<String>,
    /// Open incidents are re-sent to Alertmanager this often (it expires alerts not refreshed).
    pub resend_interval: Duration,
    /// At most this many notifications a minute per sink (re-sends excluded).
    pub max_per_minute: u32,
    pub timeout: Duration,
}

/// `[server]`: the daemon's HTTP endpoint (health, readiness, metrics, the insights API).
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSettings {
    /// Address to listen on; `None` (an empty `listen`) turns the endpoint off.
    pub listen: Option<std::net::SocketAddr>,
    /// At most this many `k8s_monitor_pod_anomaly_probability` series (the most anomalous
    /// pods first), so a large cluster cannot blow up the scraper's memory.
    pub max_pod_series: usize,
}

/// `[logging]`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggingSettings {
    /// A tracing filter directive, e.g. `info` or `k8s_monitor=debug`.
    pub level: String,
    /// Human-readable lines or one JSON object per line (for log shippers).
    pub format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// `2026-12-02T06:00:00Z  INFO target: message key=value`; colour only on a terminal.
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields` (message included).
    Json,
}

impl LogFormat {
    pub const ALL: [LogFormat; 2] = [Self::Text, Self::Json];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

/// All runtime settings, one section per agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub collector: CollectorSettings,
    pub simulator: SimulatorSection,
    pub dataset_generator: DatasetGeneratorSettings,
    pub prometheus: PrometheusSettings,
    pub prometheus_queries: PrometheusQueries,
    pub kubernetes: KubernetesSettings,
    pub anomaly_model: AnomalyModelSettings,
    pub insights: InsightsSettings,
    pub analysis: AnalysisSettings,
    pub alerts: AlertsSettings,
    pub llm: LlmSettings,
    pub server: ServerSettings,
    pub logging: LoggingSettings,
}

impl Default for Settings {
    /// The built-in defaults; the repository's `agents.toml` spells out exactly these.
    fn default() -> Self {
        Settings {
            collector: CollectorSettings {
                source: SourceKind::Simulator,
                generator_interval: Duration::from_secs(5),
                output_file: PathBuf::from("data/pod_metrics.csv"),
                prometheus_url: "http://localhost:8082".to_string(),
                namespace: "monitoring".to_string(),
                max_file_bytes: 64 << 20,
                max_files: 8,
            },
            simulator: SimulatorSection {
                pods: 50,
                seed: 42,
                first_fault_after: Duration::from_secs(20),
                mean_time_between_faults: Duration::from_secs(4 * 60),
            },
            dataset_generator: DatasetGeneratorSettings {
                watch_interval: Duration::from_secs(10),
                poll_interval: Duration::from_secs(1),
                evict_after: Duration::from_secs(5 * 60),
                offset_file: PathBuf::from("data/pod_metrics.offset.json"),
                max_clock_skew: Duration::from_secs(2 * 60),
            },
            prometheus: PrometheusSettings::default(),
            prometheus_queries: PrometheusQueries::default(),
            kubernetes: KubernetesSettings::default(),
            anomaly_model: AnomalyModelSettings {
                alert_threshold: 0.7,
                warm_up: Duration::from_secs(8 * 60),
                detector: DetectorKind::Ensemble,
                model_dir: None,
            },
            insights: InsightsSettings {
                output_file: PathBuf::from("data/pod_insights.json"),
                max_pods: 10_000,
                summary_every: Duration::from_secs(5 * 60),
            },
            analysis: AnalysisSettings {
                incidents_file: PathBuf::from("data/incidents.jsonl"),
                resolve_after: Duration::from_secs(2 * 60),
                cooldown: Duration::from_secs(10 * 60),
            },
            alerts: AlertsSettings {
                alertmanager_url: None,
                webhook_url: None,
                resend_interval: Duration::from_secs(60),
                max_per_minute: 30,
                timeout: Duration::from_secs(10),
            },
            llm: LlmSettings::default(),
            server: ServerSettings {
                listen: Some(std::net::SocketAddr::from(([127, 0, 0, 1], 9187))),
                max_pod_series: 1000,
            },
            logging: LoggingSettings {
                level: "info".to_string(),
                format: LogFormat::Text,
            },
        }
    }
}

impl Settings {
    /// The effective settings, one `key = value` line per key under `[section]` headers; the
    /// text is valid `agents.toml` and loads back to `self`.
    pub fn describe(&self) -> String {
        self.to_string()
    }
}

fn string(s: &str) -> String {
    // toml's own quoting, so paths with quotes or backslashes stay loadable.
    toml::Value::String(s.to_string()).to_string()
}

fn path(p: &std::path::Path) -> String {
    string(&p.to_string_lossy())
}

fn duration(d: Duration) -> String {
    string(&format_duration(d))
}

impl fmt::Display for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Settings {
            collector: c,
            simulator: s,
            dataset_generator: d,
            prometheus: p,
            prometheus_queries: q,
            kubernetes: k,
            anomaly_model: a,
            insights: i,
            analysis: an,
            alerts: al,
            llm: m,
            server: sv,
            logging: l,
        } = self;
        writeln!(f, "[collector]")?;
        writeln!(f, "source = {}", string(c.source.as_str()))?;
        writeln!(f, "generator_interval = {}", duration(c.generator_interval))?;
        writeln!(f, "output_file = {}", path(&c.output_file))?;
        writeln!(f, "prometheus_url = {}", string(&c.prometheus_url))?;
        writeln!(f, "namespace = {}", string(&c.namespace))?;
        writeln!(f, "max_file_bytes = {}", c.max_file_bytes)?;
        writeln!(f, "max_files = {}", c.max_files)?;
        writeln!(f, "\n[simulator]")?;
        writeln!(f, "pods = {}", s.pods)?;
        writeln!(f, "seed = {}", s.seed)?;
        writeln!(f, "first_fault_after = {}", duration(s.first_fault_after))?;
        let mtbf = duration(s.mean_time_between_faults);
        writeln!(f, "mean_time_between_faults = {mtbf}")?;
        writeln!(f, "\n[dataset_generator]")?;
        writeln!(f, "watch_interval = {}", duration(d.watch_interval))?;
        writeln!(f, "poll_interval = {}", duration(d.poll_interval))?;
        writeln!(f, "evict_after = {}", duration(d.evict_after))?;
        writeln!(f, "offset_file = {}", path(&d.offset_file))?;
        writeln!(f, "max_clock_skew = {}", duration(d.max_clock_skew))?;
        sources::write_sections(f, p, q, k, string, duration)?;
        writeln!(f, "\n[anomaly_model]")?;
        // Debug keeps a decimal point (1.0, not 1), so the value reads back as a float.
        writeln!(f, "alert_threshold = {:?}", a.alert_threshold)?;
        writeln!(f, "warm_up = {}", duration(a.warm_up))?;
        writeln!(f, "detector = {}", string(a.detector.as_str()))?;
        let model_dir = a.model_dir.as_deref().unwrap_or(std::path::Path::new(""));
        writeln!(f, "model_dir = {}", path(model_dir))?;
        writeln!(f, "\n[insights]")?;
        writeln!(f, "output_file = {}", path(&i.output_file))?;
        writeln!(f, "max_pods = {}", i.max_pods)?;
        writeln!(f, "summary_every = {}", duration(i.summary_every))?;
        writeln!(f, "\n[analysis]")?;
        writeln!(f, "incidents_file = {}", path(&an.incidents_file))?;
        writeln!(f, "resolve_after = {}", duration(an.resolve_after))?;
        writeln!(f, "cooldown = {}", duration(an.cooldown))?;
        writeln!(f, "\n[alerts]")?;
        let url = |u: &Option<String>| string(u.as_deref().unwrap_or_default());
        writeln!(f, "alertmanager_url = {}", url(&al.alertmanager_url))?;
        writeln!(f, "webhook_url = {}", url(&al.webhook_url))?;
        writeln!(f, "resend_interval = {}", duration(al.resend_interval))?;
        writeln!(f, "max_per_minute = {}", al.max_per_minute)?;
        writeln!(f, "timeout = {}", duration(al.timeout))?;
        llm::write_section(f, m, string, duration)?;
        writeln!(f, "\n[server]")?;
        let listen = sv.listen.map(|a| a.to_string()).unwrap_or_default();
        writeln!(f, "listen = {}", string(&listen))?;
        writeln!(f, "max_pod_series = {}", sv.max_pod_series)?;
        writeln!(f, "\n[logging]")?;
        writeln!(f, "level = {}", string(&l.level))?;
        writeln!(f, "format = {}", string(l.format.as_str()))
    }
}
