//! Benign rollouts of a Deployment, max surge 1, max unavailable 0: a new ReplicaSet replaces
//! the pods one by one; each old pod is stopped (`Killing`) only once its replacement is Ready,
//! then disappears from the data.
//!
//! - A rolling restart (`kubectl rollout restart`) keeps the image: new pods find it on their
//!   node.
//! - A rolling update ships a new image version, which new pods pull first (`Pulling`,
//!   `Pulled`). About half of the updates also change the version's healthy level (CPU, memory,
//!   maybe network): every new replica runs at the new level, so the workload's normal moves for
//!   good once the rollout is over.
//!
//! Benign: a deploy is the most common change a cluster sees; a good one changes nothing an SRE
//! would be paged for, even when the new version needs more or less than the old one. Every
//! step is at an absolute time drawn from the rollout's own random stream (the replacement's
//! Ready time decides when the old pod goes), so any tick length sees the same rollout.

use super::node::Nodes;
use super::pod::{insert_grouped, millis, ImagePull, Lifecycle, SimPod};
use super::workload::Workload;
use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// A new pod waiting to become Ready before the old one it replaces is stopped.
#[derive(Debug, Clone, PartialEq)]
struct Surge {
    old_pod: String,
    new_ready_at: DateTime<Utc>,
}

/// What a step of a rollout did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RolloutStep {
    /// A replacement pod was created.
    Created(String),
    /// An old pod was stopped; more remain.
    Replaced,
    /// The last old pod was stopped: the rollout is over.
    Done,
}

/// A rollout in progress. The workload's pod template (hash, version, scale) was changed when
/// it began; new pods copy it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rollout {
    pub workload: usize,
    /// Index of its entry in the cluster's benign event log.
    pub log_index: usize,
    pull: ImagePull,
    old_pods: VecDeque<String>,
    surge: Option<Surge>,
    next_step_at: DateTime<Utc>,
    rng: ChaCha8Rng,
}

impl Rollout {
    /// Starts replacing the pods of `workload_index` alive at `at`, from `at` on.
    pub fn begin(
        workload_index: usize,
        pods: &[SimPod],
        at: DateTime<Utc>,
        log_index: usize,
        pull: ImagePull,
        rng: &mut ChaCha8Rng,
    ) -> Rollout {
        let old_pods = pods
            .iter()
            .filter(|pod| pod.workload == workload_index && pod.alive_at(at))
            .map(|pod| pod.name.clone())
            .collect();
        Rollout {
            workload: workload_index,
            log_index,
            pull,
            old_pods,
            surge: None,
            next_step_at: at,
            rng: ChaCha8Rng::seed_from_u64(rng.random()),
        }
    }

    /// The pods it will replace (not yet replaced).
    pub fn old_pods(&self) -> impl Iterator<Item = &String> {
        self.old_pods.iter()
    }

    /// When its next step is due.
    pub fn next_at(&self) -> DateTime<Utc> {
        self.surge
            .as_ref()
            .map_or(self.next_step_at, |surge| surge.new_ready_at)
    }

    /// Takes the step due at `at` (= [`next_at`](Self::next_at)).
    pub fn step(
        &mut self,
        at: DateTime<Utc>,
        pods: &mut Vec<SimPod>,
        workload: &Workload,
        nodes: &Nodes,
    ) -> RolloutStep {
        if let Some(surge) = self.surge.take() {
            if let Some(old) = pods
                .iter_mut()
                .find(|pod| pod.name == surge.old_pod && pod.alive_at(at))
            {
                old.delete(at);
            }
            if self.old_pods.is_empty() {
                return RolloutStep::Done;
            }
            self.next_step_at = at + millis(self.rng.random_range(2_000..6_000));
            return RolloutStep::Replaced;
        }
        let Some(old_pod) = self.old_pods.pop_front() else {
            return RolloutStep::Done;
        };
        let name = workload.new_pod_name(&mut self.rng);
        let node = nodes.pick(at, &mut self.rng);
        let pod = SimPod::spawn(
            name.clone(),
            self.workload,
            workload,
            node,
            at,
            self.pull,
            None,
            &mut self.rng,
        );
        debug_assert_eq!(pod.lifecycle_at(at), Lifecycle::Pending);
        self.surge = Some(Surge {
            old_pod,
            new_ready_at: pod.timeline.ready_at,
        });
        insert_grouped(pods, pod);
        RolloutStep::Created(name)
    }
}
