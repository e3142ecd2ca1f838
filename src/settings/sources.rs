//! Settings of the real metric sources: `[prometheus]`, `[prometheus_queries]` and
//! `[kubernetes]`, with their built-in defaults.
//!
//! The default queries are the ones that work on a standard cluster (cAdvisor from the kubelet,
//! kube-state-metrics). Each is a PromQL template: `${namespace}` becomes the namespace matcher
//! (`namespace="shop"`, or `namespace!=""` for `all`) and `${rate_window}` the rate window.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// How a query's answer fills its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryAnswer {
    /// The sample value, per (namespace, pod).
    Value,
    /// The value of this label on a series whose value is not 0, per (namespace, pod).
    Label(&'static str),
}

/// A canonical field filled from Prometheus, named like its `[prometheus_queries]` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum QueryField {
    CpuMillicores,
    CpuLimitMillicores,
    MemoryBytes,
    MemoryLimitBytes,
    NetRxBytesPerS,
    NetTxBytesPerS,
    NetRxErrorsPerS,
    NetTxErrorsPerS,
    FsReadBytesPerS,
    FsWriteBytesPerS,
    Restarts,
    ReadyContainers,
    TotalContainers,
    Phase,
    Reason,
    Node,
}

impl QueryField {
    pub const ALL: [QueryField; 16] = [
        Self::CpuMillicores,
        Self::CpuLimitMillicores,
        Self::MemoryBytes,
        Self::MemoryLimitBytes,
        Self::NetRxBytesPerS,
        Self::NetTxBytesPerS,
        Self::NetRxErrorsPerS,
        Self::NetTxErrorsPerS,
        Self::FsReadBytesPerS,
        Self::FsWriteBytesPerS,
        Self::Restarts,
        Self::ReadyContainers,
        Self::TotalContainers,
        Self::Phase,
        Self::Reason,
        Self::Node,
    ];

    /// The `[prometheus_queries]` key, which is also the CSV column it fills.
    pub fn key(self) -> &'static str {
        match self {
            Self::CpuMillicores => "cpu_millicores",
            Self::CpuLimitMillicores => "cpu_limit_millicores",
            Self::MemoryBytes => "memory_bytes",
            Self::MemoryLimitBytes => "memory_limit_bytes",
            Self::NetRxBytesPerS => "net_rx_bytes_per_s",
            Self::NetTxBytesPerS => "net_tx_bytes_per_s",
            Self::NetRxErrorsPerS => "net_rx_errors_per_s",
            Self::NetTxErrorsPerS => "net_tx_errors_per_s",
            Self::FsReadBytesPerS => "fs_read_bytes_per_s",
            Self::FsWriteBytesPerS => "fs_write_bytes_per_s",
            Self::Restarts => "restarts",
            Self::ReadyContainers => "ready_containers",
            Self::TotalContainers => "total_containers",
            Self::Phase => "phase",
            Self::Reason => "reason",
            Self::Node => "node",
        }
    }

    pub fn answer(self) -> QueryAnswer {
        match self {
            Self::Phase => QueryAnswer::Label("phase"),
            Self::Reason => QueryAnswer::Label("reason"),
            Self::Node => QueryAnswer::Label("node"),
            _ => QueryAnswer::Value,
        }
    }

    /// The query used when `[prometheus_queries]` does not set this key.
    pub fn default_query(self) -> &'static str {
        // cAdvisor also exports a pod-level cgroup series (container="") and the pause
        // container (container="POD"); both would double-count a pod's usage.
        match self {
            Self::CpuMillicores => {
                r#"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{container!="", container!="POD", ${namespace}}[${rate_window}])) * 1000"#
            }
            Self::CpuLimitMillicores => {
                r#"sum by (namespace, pod) (kube_pod_container_resource_limits{resource="cpu", unit="core", ${namespace}}) * 1000"#
            }
            Self::MemoryBytes => {
                r#"sum by (namespace, pod) (container_memory_working_set_bytes{container!="", container!="POD", ${namespace}})"#
            }
            Self::MemoryLimitBytes => {
                r#"sum by (namespace, pod) (kube_pod_container_resource_limits{resource="memory", unit="byte", ${namespace}})"#
            }
            // Network counters live on the pod's sandbox, not on its containers.
            Self::NetRxBytesPerS => {
                r#"sum by (namespace, pod) (rate(container_network_receive_bytes_total{${namespace}}[${rate_window}]))"#
            }
            Self::NetTxBytesPerS => {
                r#"sum by (namespace, pod) (rate(container_network_transmit_bytes_total{${namespace}}[${rate_window}]))"#
            }
            Self::NetRxErrorsPerS => {
                r#"sum by (namespace, pod) (rate(container_network_receive_errors_total{${namespace}}[${rate_window}]))"#
            }
            Self::NetTxErrorsPerS => {
                r#"sum by (namespace, pod) (rate(container_network_transmit_errors_total{${namespace}}[${rate_window}]))"#
            }
            Self::FsReadBytesPerS => {
                r#"sum by (namespace, pod) (rate(container_fs_reads_bytes_total{container!="", container!="POD", ${namespace}}[${rate_window}]))"#
            }
            Self::FsWriteBytesPerS => {
                r#"sum by (namespace, pod) (rate(container_fs_writes_bytes_total{container!="", container!="POD", ${namespace}}[${rate_window}]))"#
            }
            Self::Restarts => {
                r#"sum by (namespace, pod) (kube_pod_container_status_restarts_total{${namespace}})"#
            }
            Self::ReadyContainers => {
                r#"sum by (namespace, pod) (kube_pod_container_status_ready{${namespace}})"#
            }
            Self::TotalContainers => {
                r#"count by (namespace, pod) (kube_pod_container_status_ready{${namespace}})"#
            }
            Self::Phase => r#"kube_pod_status_phase{${namespace}} == 1"#,
            // A container's current waiting reason; else the reason it last terminated, while
            // that termination is recent (OOMKilled stays visible for one rate window).
            Self::Reason => {
                r#"max by (namespace, pod, reason) (kube_pod_container_status_waiting_reason{${namespace}} == 1) or on (namespace, pod) max by (namespace, pod, reason) (kube_pod_container_status_last_terminated_reason{${namespace}} == 1 and on (namespace, pod, container) increase(kube_pod_container_status_restarts_total{${namespace}}[${rate_window}]) > 0)"#
            }
            Self::Node => r#"kube_pod_info{${namespace}}"#,
        }
    }
}

/// `[prometheus_queries]`: one PromQL template per field, in [`QueryField::ALL`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusQueries(pub Vec<(QueryField, String)>);

impl Default for PrometheusQueries {
    fn default() -> Self {
        PrometheusQueries(
            QueryField::ALL
                .iter()
                .map(|f| (*f, f.default_query().to_string()))
                .collect(),
        )
    }
}

impl PrometheusQueries {
    pub fn get(&self, field: QueryField) -> &str {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map_or(field.default_query(), |(_, q)| q.as_str())
    }
}

/// How the Prometheus source authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrometheusAuth {
    None,
    /// `Authorization: Bearer <token>`, the token read from this file at start-up.
    Bearer {
        token_file: PathBuf,
    },
    /// HTTP basic auth; the password read from this file at start-up.
    Basic {
        username: String,
        password_file: Option<PathBuf>,
    },
}

/// `[prometheus]`: how the Prometheus HTTP API is reached (the URL is `collector.prometheus_url`).
#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusSettings {
    /// Per attempt, connect to last byte.
    pub timeout: Duration,
    /// Further attempts after a failed one (connection error, timeout, 429 or 5xx).
    pub retries: u32,
    /// Wait before the first retry; doubled each time, with jitter.
    pub retry_backoff: Duration,
    /// `${rate_window}` in the queries.
    pub rate_window: Duration,
    /// History fetched with `query_range` at start-up, so scoring starts warm; 0 = none.
    pub backfill: Duration,
    pub auth: PrometheusAuth,
    /// Extra CA certificate (PEM) trusted for `https://`, on top of the system's.
    pub ca_file: Option<PathBuf>,
}

impl Default for PrometheusSettings {
    fn default() -> Self {
        PrometheusSettings {
            timeout: Duration::from_secs(10),
            retries: 2,
            retry_backoff: Duration::from_millis(250),
            rate_window: Duration::from_secs(120),
            backfill: Duration::ZERO,
            auth: PrometheusAuth::None,
            ca_file: None,
        }
    }
}

/// `[kubernetes]`: how the Kubernetes API is reached.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KubernetesSettings {
    /// A kubeconfig file; `None`: `$KUBECONFIG`, then `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context; `None`: its current-context.
    pub context: Option<String>,
}

pub(crate) fn optional_path(p: &Option<PathBuf>) -> String {
    p.as_ref()
        .map_or_else(String::new, |p| p.to_string_lossy().into_owned())
}

/// The `[prometheus]`, `[prometheus_queries]` and `[kubernetes]` lines of `--print-config`.
pub(crate) fn write_sections(
    f: &mut fmt::Formatter<'_>,
    p: &PrometheusSettings,
    q: &PrometheusQueries,
    k: &KubernetesSettings,
    string: impl Fn(&str) -> String,
    duration: impl Fn(Duration) -> String,
) -> fmt::Result {
    writeln!(f, "\n[prometheus]")?;
    writeln!(f, "timeout = {}", duration(p.timeout))?;
    writeln!(f, "retries = {}", p.retries)?;
    writeln!(f, "retry_backoff = {}", duration(p.retry_backoff))?;
    writeln!(f, "rate_window = {}", duration(p.rate_window))?;
    writeln!(f, "backfill = {}", duration(p.backfill))?;
    let (token, user, password) = match &p.auth {
        PrometheusAuth::None => (String::new(), String::new(), String::new()),
        PrometheusAuth::Bearer { token_file } => (
            token_file.to_string_lossy().into_owned(),
            String::new(),
            String::new(),
        ),
        PrometheusAuth::Basic {
            username,
            password_file,
        } => (
            String::new(),
            username.clone(),
            optional_path(password_file),
        ),
    };
    writeln!(f, "bearer_token_file = {}", string(&token))?;
    writeln!(f, "basic_auth_username = {}", string(&user))?;
    writeln!(f, "basic_auth_password_file = {}", string(&password))?;
    writeln!(f, "ca_file = {}", string(&optional_path(&p.ca_file)))?;
    writeln!(f, "\n[prometheus_queries]")?;
    for field in QueryField::ALL {
        // Literal strings: PromQL is full of quotes and backslashes.
        writeln!(f, "{} = {}", field.key(), string(q.get(field)))?;
    }
    writeln!(f, "\n[kubernetes]")?;
    writeln!(f, "kubeconfig = {}", string(&optional_path(&k.kubeconfig)))?;
    writeln!(
        f,
        "context = {}",
        string(k.context.as_deref().unwrap_or_default())
    )
}
