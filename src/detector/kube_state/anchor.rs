//! The kubernetes-mixin alerts the rules follow, by name, with the expression and `for:` each
//! name stands for (kubernetes-mixin `alerts/apps_alerts.libsonnet` and
//! `alerts/resource_alerts.libsonnet`, selectors left out).
//!
//! A [`Finding`](super::Finding) carries one of these names, so an explanation can say which
//! community rule a page corresponds to, and a reader can check how ours differs.

/// `max_over_time(kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}[5m]) >= 1`,
/// `for: 15m`. Its earlier form, `rate(kube_pod_container_status_restarts_total[15m]) * 60 * 5 > 0`,
/// also `for: 15m`, counted restarts; we use both: back-off that recurs, and restarts in 15 min.
pub const KUBE_POD_CRASH_LOOPING: &str = "KubePodCrashLooping";

/// `kube_pod_container_status_waiting_reason{reason!="CrashLoopBackOff"} > 0`, `for: 1h`.
pub const KUBE_CONTAINER_WAITING: &str = "KubeContainerWaiting";

/// `sum by (namespace, pod) (kube_pod_status_phase{phase=~"Pending|Unknown"} ...) > 0` (pods not
/// owned by a Job), `for: 15m`. Earlier versions matched `Failed|Pending|Unknown`.
pub const KUBE_POD_NOT_READY: &str = "KubePodNotReady";

/// `kube_deployment_spec_replicas > kube_deployment_status_replicas_available and
/// changes(kube_deployment_status_replicas_updated[10m]) == 0`, `for: 15m`: a replica that runs
/// but is not ready (not available) for 15 minutes outside a rollout.
pub const KUBE_DEPLOYMENT_REPLICAS_MISMATCH: &str = "KubeDeploymentReplicasMismatch";

/// `sum(increase(container_cpu_cfs_throttled_periods_total[5m])) / sum(increase(
/// container_cpu_cfs_periods_total[5m])) > (25 / 100)`, `for: 15m`, severity `info`.
pub const CPU_THROTTLING_HIGH: &str = "CPUThrottlingHigh";

/// `kube_resourcequota{type="used"} / (kube_resourcequota{type="hard"} > 0) > 0.9 < 1`,
/// `for: 15m`, severity `info`: usage above 90% of a hard cap. The mixin's memory alerts
/// (`KubeMemoryOvercommit`: requests against allocatable memory minus the largest node,
/// `for: 10m`) are about the cluster, not a pod; this is the one with the shape of "memory close
/// to its limit".
pub const KUBE_QUOTA_ALMOST_FULL: &str = "KubeQuotaAlmostFull";

/// Not in the mixin: a single OOM kill, and readiness flapping. The mixin sees an OOM kill only
/// through the crash loop it may start, and flapping only if one not-ready spell lasts 15 min.
pub const NOT_IN_MIXIN: &str = "none (not in kubernetes-mixin)";
