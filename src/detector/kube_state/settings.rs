//! How long each reported state must last, or how often it must recur, before it pages.
//!
//! Every time is a duration, never a number of samples, so the rules mean the same at any
//! collection interval. The counts below are counts of events (restarts, readiness losses).

use super::ring::RING_CAPACITY;
use std::time::Duration;

const MINUTE: u64 = 60;

#[derive(Debug, Clone, PartialEq)]
pub struct KubeStateSettings {
    /// Restarts are counted over this window. kubernetes-mixin's restart-based
    /// `KubePodCrashLooping` took `rate(kube_pod_container_status_restarts_total[15m])`.
    /// A restart stays shown as evidence while it is inside the window.
    pub restart_window: Duration,
    /// Restarts within [`Self::restart_window`] that page as a crash loop (default 3, at most 4).
    /// The mixin's old rule paged after 15 min of restarting at any rate, i.e. on a second
    /// restart within 15 min that kept the rate above zero for 15 min. We page at once on the
    /// third: the kubelet's back-off (10 s, doubling to 5 min) puts a fresh crash loop's third
    /// restart about a minute after the first, and three restarts in 15 min outside a rollout are
    /// unambiguous; two can be two unrelated events (a node drain retry, one OOM kill and one
    /// probe kill) and stay evidence.
    pub crash_loop_restarts: u8,
    /// OOM kills within [`Self::restart_window`] that page (default 2, at most 4). The mixin has
    /// no alert on one OOM kill: the container restarts, and only the crash loop that may follow
    /// pages. A single kill is strong evidence (0.65) but does not page: the kubelet restarts it
    /// within seconds, the signal layer pages the memory climb that precedes a leak's kill, and
    /// a spike that killed once may not recur. A second kill within 15 min shows the limit is
    /// too small for the load or the process leaks; waiting for a third (a crash loop) may take
    /// an hour with a slow leak, so the second pages.
    pub oom_kills_to_page: u8,
    /// How long before a restart an event still explains it: a liveness or startup probe
    /// failure (`Unhealthy`, `Killing`) makes it a probe kill, an image `Pulled` on a running
    /// pod a rollout. The kubelet kills a container within its grace period (30 s by default)
    /// of the failed probe; 2 min leaves room for the grace period and a first back-off.
    pub event_lookback: Duration,
    /// CrashLoopBackOff counts as going on for this long after it was last seen, so the
    /// container running between two back-offs does not end it: the mixin's `max_over_time(
    /// ...[5m])`. 5 min is also the kubelet's longest back-off, so a crash loop counted from
    /// restarts stops paging (and stays evidence while its restarts are in the window) once no
    /// restart has come for this long: a loop still going would have restarted by then.
    pub backoff_memory: Duration,
    /// CrashLoopBackOff going on this long pages. The mixin says `for: 15m`; we page after
    /// 5 min because the kubelet shows CrashLoopBackOff only after a container exited, and
    /// 5 min of back-off (10 + 20 + 40 + 80 + 160 s) is five failed starts in a row: nothing
    /// that fails five times recovers by waiting ten more minutes. A crash loop found already
    /// running (back-off at its 5 min cap, one restart per 5 min) pages only through this rule.
    pub backoff_page_after: Duration,
    /// ImagePullBackOff, ErrImagePull, InvalidImageName, ErrImageNeverPull going on this long
    /// page. The mixin's `KubeContainerWaiting` waits 1 h, but it covers every waiting reason,
    /// including ContainerCreating, which may legitimately take minutes (large images, volume
    /// attach). An image that failed to pull for 5 min (about five attempts under the kubelet's
    /// back-off) is a wrong tag, a missing pull secret or a registry outage; none resolves by
    /// waiting, and a rollout stays stuck meanwhile.
    pub image_pull_page_after: Duration,
    /// CreateContainerConfigError, CreateContainerError, RunContainerError going on this long
    /// page (mixin `KubeContainerWaiting`: 1 h). A missing ConfigMap, Secret or key only
    /// resolves when something creates it; controllers that do (cert-manager, external-secrets)
    /// do so within a minute or two, so 5 min leaves them room and still pages far sooner.
    pub config_error_page_after: Duration,
    /// A new pod may be Pending, or running but not yet ready, this long before it is shown as
    /// evidence: scheduling, image pulls and the first readiness probes of an ordinary pod fit
    /// in it. After it, the state is evidence until it pages. Not in the mixin (which shows
    /// nothing before its `for:` ends).
    pub startup_grace: Duration,
    /// Pending or Unknown this long pages: the mixin's `KubePodNotReady`, `for: 15m`.
    pub not_running_page_after: Duration,
    /// Running but not ready this long pages: `KubePodNotReady`'s `for: 15m`, which is also
    /// `KubeDeploymentReplicasMismatch`'s (a replica not available for 15 min).
    pub not_ready_page_after: Duration,
    /// Readiness losses are counted over this window. Not in the mixin: a pod whose readiness
    /// flips drops out of and back into its Service's endpoints, so clients see errors, yet no
    /// single not-ready spell lasts the 15 min `KubePodNotReady` needs. 5 min is short enough
    /// that the losses are one episode and long enough to hold several probe periods.
    pub flap_window: Duration,
    /// Readiness losses within [`Self::flap_window`] that page (default 3, at most 4). One is a
    /// blip (a slow dependency, a GC pause), two may be a retry; three in 5 min is a pattern.
    /// Losses that come with a restart are the restart's doing and are not counted.
    pub flaps_to_page: u8,
    /// CPU usage at or above this fraction of the CPU limit is saturated.
    pub cpu_saturation: f64,
    /// CPU saturated this long pages. The mixin's `CPUThrottlingHigh` is `> 25%` of CFS
    /// periods throttled over a 5 min `increase`, `for: 15m`, and only severity `info`:
    /// throttling of a quarter of the periods is common for bursty services that average far
    /// below their limit. We have no throttling counter, only usage / limit, and usage averaging
    /// 90% of the limit is a stronger condition: the container is out of CPU almost all the time
    /// and work queues whenever load exceeds it. So it pages, after 10 min: time for a burst or
    /// JIT warm-up to end and for an autoscaler to react, shorter than the mixin's 15 min plus
    /// its 5 min rate window because the condition is stronger. One sample at the limit is
    /// evidence.
    pub cpu_page_after: Duration,
    /// Memory at or above this fraction of the memory limit is close to it.
    pub memory_saturation: f64,
    /// Memory close to its limit this long is stronger evidence, but never pages. Anchored on
    /// the mixin's `KubeQuotaAlmostFull` (usage above 90% of a hard cap, `for: 15m`, severity
    /// `info`); its `KubeMemoryOvercommit` is cluster-level (requests against allocatable). Many
    /// services sit near their limit by design (heaps and caches sized to it); what hurts is the
    /// OOM kill, which has its own rule, and the climb before it, which the signal layer pages.
    pub memory_sustained_after: Duration,
    /// A CPU or memory saturation, or a waiting error, interrupted for less than this continues
    /// (its start is kept): the mixin's rules look at 5 min rates, so a dip of one sample does
    /// not end them; without it a noisy sampler at 1 s would restart the clock that a 15 s
    /// sampler never sees interrupted. After a recovery the finding stays this long.
    pub interruption_tolerance: Duration,
}

impl Default for KubeStateSettings {
    fn default() -> Self {
        KubeStateSettings {
            restart_window: Duration::from_secs(15 * MINUTE),
            crash_loop_restarts: 3,
            oom_kills_to_page: 2,
            event_lookback: Duration::from_secs(2 * MINUTE),
            backoff_memory: Duration::from_secs(5 * MINUTE),
            backoff_page_after: Duration::from_secs(5 * MINUTE),
            image_pull_page_after: Duration::from_secs(5 * MINUTE),
            config_error_page_after: Duration::from_secs(5 * MINUTE),
            startup_grace: Duration::from_secs(5 * MINUTE),
            not_running_page_after: Duration::from_secs(15 * MINUTE),
            not_ready_page_after: Duration::from_secs(15 * MINUTE),
            flap_window: Duration::from_secs(5 * MINUTE),
            flaps_to_page: 3,
            cpu_saturation: 0.9,
            cpu_page_after: Duration::from_secs(10 * MINUTE),
            memory_saturation: 0.9,
            memory_sustained_after: Duration::from_secs(15 * MINUTE),
            interruption_tolerance: Duration::from_secs(MINUTE),
        }
    }
}

/// A setting the rules cannot honour.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KubeStateSettingsError {
    #[error("{name} = {value}: must be between 1 and {max} (the events a tracker remembers)", max = RING_CAPACITY)]
    CountOutOfRange { name: &'static str, value: u8 },
    #[error("{name} = {value}: must be a fraction of the limit in (0, 1]")]
    FractionOutOfRange { name: &'static str, value: f64 },
}

impl KubeStateSettings {
    /// Checks the counts against the fixed memory of a tracker and the fractions.
    pub fn validate(&self) -> Result<(), KubeStateSettingsError> {
        for (name, value) in [
            ("crash_loop_restarts", self.crash_loop_restarts),
            ("oom_kills_to_page", self.oom_kills_to_page),
            ("flaps_to_page", self.flaps_to_page),
        ] {
            if value == 0 || usize::from(value) > RING_CAPACITY {
                return Err(KubeStateSettingsError::CountOutOfRange { name, value });
            }
        }
        for (name, value) in [
            ("cpu_saturation", self.cpu_saturation),
            ("memory_saturation", self.memory_saturation),
        ] {
            if value.is_nan() || value <= 0.0 || value > 1.0 {
                return Err(KubeStateSettingsError::FractionOutOfRange { name, value });
            }
        }
        Ok(())
    }
}
