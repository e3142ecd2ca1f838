//! Workloads (Deployments) of the simulated cluster and their resource profiles.
//!
//! A workload fixes what its replicas look like when healthy: base CPU, memory, network and disk
//! rates, limits, container count, whether memory follows a JVM-like GC sawtooth. Pods add only a
//! small share bias and noise on top, so peer replicas look alike.
//!
//! A rolling update may ship a version whose healthy level differs: the workload's current pod
//! template then carries a [`ProfileScale`] that every new replica copies, so the workload's
//! normal moves for good once the rollout is over. CronJobs (see `cronjob.rs`) are workloads too,
//! whose profile is the level of their burst.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

const MIB: f64 = 1024.0 * 1024.0;

/// Workload names per namespace: realistic services of an online shop.
const WORKLOAD_NAMES: [(&str, &[&str]); 4] = [
    (
        "shop",
        &[
            "storefront",
            "cart",
            "catalog",
            "checkout",
            "recommendations",
            "reviews",
            "inventory",
            "pricing",
            "wishlist",
        ],
    ),
    (
        "payments",
        &[
            "payment-gateway",
            "ledger",
            "fraud-check",
            "invoicing",
            "refunds",
            "payouts",
        ],
    ),
    (
        "search",
        &[
            "search-api",
            "indexer",
            "query-suggest",
            "ranker",
            "spellcheck",
        ],
    ),
    (
        "platform",
        &[
            "auth",
            "api-gateway",
            "notifications",
            "user-profile",
            "session-store",
            "email-sender",
            "image-resizer",
            "feature-flags",
            "audit-log",
        ],
    ),
];

/// Characters Kubernetes uses for ReplicaSet hashes and pod suffixes (no vowels, no 0/1/3).
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Replica counts and their weights: most workloads have peers, a few are singletons.
const REPLICA_WEIGHTS: [(usize, u32); 6] = [(1, 5), (2, 25), (3, 30), (4, 20), (5, 12), (6, 8)];

/// Memory of a JVM-like workload: grows linearly, then a full GC drops it, every few minutes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GcSawtooth {
    pub period_secs: f64,
    /// Fraction of the peak freed by each collection.
    pub drop_fraction: f64,
}

/// Disk read/write rates of a workload that has them measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FsProfile {
    pub read_bytes_per_s: f64,
    pub write_bytes_per_s: f64,
}

/// How a version's healthy usage compares with the workload's original profile (1.0: the same).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileScale {
    pub cpu: f64,
    pub memory: f64,
    pub network: f64,
}

impl Default for ProfileScale {
    fn default() -> Self {
        ProfileScale {
            cpu: 1.0,
            memory: 1.0,
            network: 1.0,
        }
    }
}

/// What controller owns the workload's pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorkloadKind {
    /// Long-running peer replicas behind a Service.
    Deployment,
    /// One short-lived pod per scheduled run.
    CronJob,
}

/// One Deployment (or CronJob) and its healthy resource profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Workload {
    pub namespace: String,
    pub name: String,
    pub kind: WorkloadKind,
    /// Replicas of the Deployment as built; its total load is that many replicas' worth, shared
    /// by whichever replicas serve (an autoscaler adds some for a while).
    pub replicas: usize,
    pub containers: u32,
    /// Mean CPU of one replica at load factor 1.
    pub cpu_millicores: f64,
    pub cpu_limit_millicores: Option<f64>,
    /// Peak working set of one replica (top of the GC sawtooth) at load factor 1.
    pub memory_bytes: f64,
    pub memory_limit_bytes: Option<f64>,
    pub net_rx_bytes_per_s: f64,
    pub net_tx_bytes_per_s: f64,
    /// `None`: the disk is not measured for this workload.
    pub fs: Option<FsProfile>,
    pub gc_sawtooth: Option<GcSawtooth>,
    /// Relative amplitude of the daily load cycle.
    pub daily_amplitude: f64,
    /// Current image version, `registry.local/<name>:v<version>`.
    pub image_version: u32,
    /// Hash of the current ReplicaSet, the middle part of pod names.
    pub replica_set_hash: String,
    /// Healthy level of the current version relative to the profile above; new replicas copy it.
    pub template_scale: ProfileScale,
    /// Share of the load missing on weekends (0: none).
    pub weekend_dip: f64,
}

impl Workload {
    pub fn image(&self, version: u32) -> String {
        format!("registry.local/{}:v{version}", self.name)
    }

    /// A fresh pod name of the current ReplicaSet.
    pub fn new_pod_name(&self, rng: &mut ChaCha8Rng) -> String {
        format!(
            "{}-{}-{}",
            self.name,
            self.replica_set_hash,
            random_name_part(rng, 5)
        )
    }

    /// How many times its peak working set fits under the memory limit (infinite without one),
    /// for a replica of a version whose memory is `memory_scale` times the profile's.
    pub fn memory_headroom(&self, memory_scale: f64) -> f64 {
        self.memory_limit_bytes.map_or(f64::INFINITY, |limit| {
            limit / (self.memory_bytes * memory_scale)
        })
    }

    /// The largest CPU and memory scales a version may have while the benign peak (daily peak
    /// during a 2x load swell, see [`draw_workload`]) stays as far under the limits as it was
    /// built: only a fault may come near a limit.
    pub fn max_version_scale(&self) -> (f64, f64) {
        let cpu = self.cpu_limit_millicores.map_or(f64::INFINITY, |limit| {
            limit / (self.cpu_millicores * (1.0 + self.daily_amplitude) * 2.0 * 1.3)
        });
        let memory = self.memory_headroom(1.0) / (1.05 * 1.3 * 1.3);
        (cpu, memory)
    }
}

/// Random lowercase alphanumeric string like the generated parts of Kubernetes names.
pub(crate) fn random_name_part(rng: &mut ChaCha8Rng, len: usize) -> String {
    (0..len)
        .map(|_| NAME_ALPHABET[rng.random_range(0..NAME_ALPHABET.len())] as char)
        .collect()
}

/// A ReplicaSet pod-template hash: 9 or 10 characters, as Kubernetes produces.
pub(crate) fn random_replica_set_hash(rng: &mut ChaCha8Rng) -> String {
    let len = rng.random_range(9..=10);
    random_name_part(rng, len)
}

fn log_uniform(rng: &mut ChaCha8Rng, low: f64, high: f64) -> f64 {
    rng.random_range(low.ln()..high.ln()).exp()
}

fn round_up_to(value: f64, step: f64) -> f64 {
    (value / step).ceil() * step
}

fn draw_replicas(rng: &mut ChaCha8Rng) -> usize {
    let total: u32 = REPLICA_WEIGHTS.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (replicas, weight) in REPLICA_WEIGHTS {
        if pick < weight {
            return replicas;
        }
        pick -= weight;
    }
    REPLICA_WEIGHTS[REPLICA_WEIGHTS.len() - 1].0
}

/// Draws the healthy profile of one workload.
fn draw_workload(rng: &mut ChaCha8Rng, namespace: &str, name: String, replicas: usize) -> Workload {
    let cpu_millicores = log_uniform(rng, 20.0, 400.0);
    let daily_amplitude = rng.random_range(0.2..0.4);
    // Limits sit above the busiest benign moment (daily peak during a 2x load swell), so only a
    // fault pins CPU at its limit.
    let cpu_limit_millicores = rng.random_bool(0.6).then(|| {
        let benign_peak = cpu_millicores * (1.0 + daily_amplitude) * 2.0;
        round_up_to(benign_peak * rng.random_range(1.3..1.8), 50.0)
    });
    let memory_bytes = log_uniform(rng, 64.0 * MIB, 1200.0 * MIB);
    // The benign peak includes replica bias and the memory response to load (see pod.rs).
    let memory_limit_bytes = rng.random_bool(0.85).then(|| {
        let benign_peak = memory_bytes * 1.05 * 1.3;
        round_up_to(benign_peak * rng.random_range(1.3..2.5), 64.0 * MIB)
    });
    let net_rx_bytes_per_s = log_uniform(rng, 10e3, 8e6);
    let net_tx_bytes_per_s = (net_rx_bytes_per_s * log_uniform(rng, 0.3, 3.0)).min(20e6);
    let fs = rng.random_bool(0.7).then(|| FsProfile {
        read_bytes_per_s: log_uniform(rng, 1e3, 2e6),
        write_bytes_per_s: log_uniform(rng, 5e3, 4e6),
    });
    let gc_sawtooth = rng.random_bool(0.4).then(|| GcSawtooth {
        period_secs: rng.random_range(120.0..360.0),
        drop_fraction: rng.random_range(0.2..0.35),
    });
    let containers = match rng.random_range(0..100) {
        0..40 => 1,
        40..85 => 2,
        _ => 3,
    };
    let replica_set_hash = random_replica_set_hash(rng);
    Workload {
        namespace: namespace.to_string(),
        name,
        kind: WorkloadKind::Deployment,
        replicas,
        containers,
        cpu_millicores,
        cpu_limit_millicores,
        memory_bytes,
        memory_limit_bytes,
        net_rx_bytes_per_s,
        net_tx_bytes_per_s,
        fs,
        gc_sawtooth,
        daily_amplitude,
        image_version: rng.random_range(3..40),
        replica_set_hash,
        template_scale: ProfileScale::default(),
        weekend_dip: 0.0,
    }
}

/// Builds workloads whose replicas sum to exactly `pods`, sorted by namespace and name.
pub(crate) fn build_workloads(pods: usize, rng: &mut ChaCha8Rng) -> Vec<Workload> {
    let mut names: Vec<(&str, &str)> = WORKLOAD_NAMES
        .iter()
        .flat_map(|(namespace, names)| names.iter().map(move |name| (*namespace, *name)))
        .collect();
    names.shuffle(rng);
    let mut workloads = Vec::new();
    let mut remaining = pods;
    let mut index = 0;
    while remaining > 0 {
        let (namespace, base_name) = names[index % names.len()];
        // Large clusters run out of names: later rounds get a numeric suffix.
        let round = index / names.len();
        let name = if round == 0 {
            base_name.to_string()
        } else {
            format!("{base_name}-{}", round + 1)
        };
        let replicas = draw_replicas(rng).min(remaining);
        workloads.push(draw_workload(rng, namespace, name, replicas));
        remaining -= replicas;
        index += 1;
    }
    workloads.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    workloads
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn replicas_sum_to_the_requested_pod_count_and_most_have_peers() {
        for pods in [1, 7, 50, 137] {
            let mut rng = ChaCha8Rng::seed_from_u64(pods as u64);
            let workloads = build_workloads(pods, &mut rng);
            assert_eq!(workloads.iter().map(|w| w.replicas).sum::<usize>(), pods);
            assert!(workloads.iter().all(|w| (1..=6).contains(&w.replicas)));
            if pods >= 50 {
                let with_peers = workloads.iter().filter(|w| w.replicas >= 2).count();
                assert!(with_peers * 10 >= workloads.len() * 7, "{workloads:?}");
            }
            let mut keys: Vec<_> = workloads.iter().map(|w| &w.name).collect();
            keys.dedup();
            assert_eq!(keys.len(), workloads.len(), "workload names are unique");
        }
    }

    #[test]
    fn limits_leave_room_above_the_benign_peak() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for w in build_workloads(200, &mut rng) {
            if let Some(limit) = w.cpu_limit_millicores {
                assert!(limit >= w.cpu_millicores * 1.2 * 2.0 * 1.3, "{w:?}");
            }
            if let Some(limit) = w.memory_limit_bytes {
                assert!(limit >= w.memory_bytes * 1.3 * 1.3, "{w:?}");
            }
            assert!((20.0..=400.0).contains(&w.cpu_millicores));
            assert!(w.net_rx_bytes_per_s >= 10e3 && w.net_tx_bytes_per_s <= 20e6);
        }
    }

    #[test]
    fn pod_names_look_like_replica_set_pods() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let workload = build_workloads(5, &mut rng).remove(0);
        let name = workload.new_pod_name(&mut rng);
        let rest = name.strip_prefix(&format!("{}-", workload.name)).unwrap();
        let (hash, suffix) = rest.split_once('-').unwrap();
        assert!(
            (9..=10).contains(&hash.len()) && suffix.len() == 5,
            "{name}"
        );
        assert!(rest
            .bytes()
            .all(|b| b == b'-' || NAME_ALPHABET.contains(&b)));
    }
}
