//! Benign rolling restart of a workload (`kubectl rollout restart`): max surge 1, max
//! unavailable 0. A new ReplicaSet replaces the pods one by one; each old pod is stopped only once
//! its replacement is Ready, then disappears from the data.

use super::pod::{Lifecycle, PodEvent, SimPod, APP_CONTAINER};
use super::workload::{random_replica_set_hash, Workload};
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// A new pod waiting to become Ready before the old one it replaces is stopped.
#[derive(Debug, Clone, PartialEq)]
struct Surge {
    new_pod: String,
    old_pod: String,
}

/// A rolling restart in progress.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RollingRestart {
    pub workload: usize,
    /// Index of its entry in the cluster's benign event log.
    pub log_index: usize,
    old_pods: VecDeque<String>,
    surge: Option<Surge>,
    next_step_at: DateTime<Utc>,
}

impl RollingRestart {
    /// Starts a rollout of `workload`: new pods get a new ReplicaSet hash from now on.
    pub fn begin(
        workload_index: usize,
        workload: &mut Workload,
        pods: &[SimPod],
        now: DateTime<Utc>,
        log_index: usize,
        rng: &mut ChaCha8Rng,
    ) -> RollingRestart {
        workload.replica_set_hash = random_replica_set_hash(rng);
        let old_pods = pods
            .iter()
            .filter(|pod| pod.workload == workload_index && !pod.terminating)
            .map(|pod| pod.name.clone())
            .collect();
        RollingRestart {
            workload: workload_index,
            log_index,
            old_pods,
            surge: None,
            next_step_at: now,
        }
    }

    /// Moves the rollout on at `now`; true once every old pod has been replaced.
    pub fn advance(
        &mut self,
        pods: &mut Vec<SimPod>,
        workload: &Workload,
        nodes: &[String],
        now: DateTime<Utc>,
        rng: &mut ChaCha8Rng,
    ) -> bool {
        if let Some(surge) = &self.surge {
            let replacement_ready = pods
                .iter()
                .any(|pod| pod.name == surge.new_pod && pod.lifecycle == Lifecycle::Ready);
            if !replacement_ready {
                return false;
            }
            if let Some(old) = pods.iter_mut().find(|pod| pod.name == surge.old_pod) {
                old.terminating = true;
                old.record_event(
                    now,
                    PodEvent::normal("Killing", format!("Stopping container {APP_CONTAINER}")),
                );
            }
            self.surge = None;
            self.next_step_at = now + TimeDelta::milliseconds(rng.random_range(2_000..6_000));
        }
        if self.next_step_at > now {
            return false;
        }
        let Some(old_pod) = self.old_pods.pop_front() else {
            return true;
        };
        let new_pod = workload.new_pod_name(rng);
        let node = nodes[rng.random_range(0..nodes.len())].clone();
        let running_at = now + TimeDelta::milliseconds(rng.random_range(3_000..9_000));
        let mut pod = SimPod::new(
            new_pod.clone(),
            self.workload,
            node.clone(),
            now,
            Lifecycle::Pending { running_at },
            rng,
        );
        pod.record_event(
            now,
            PodEvent::normal(
                "Scheduled",
                format!(
                    "Successfully assigned {}/{new_pod} to {node}",
                    workload.namespace
                ),
            ),
        );
        // Keep a workload's pods together so rows stay grouped by workload.
        let position = pods
            .iter()
            .rposition(|p| p.workload == self.workload)
            .map_or(pods.len(), |last| last + 1);
        pods.insert(position, pod);
        self.surge = Some(Surge { new_pod, old_pod });
        false
    }
}
