//! Benign node drains (`kubectl drain` before node maintenance): the node is cordoned and every
//! Deployment pod on it is evicted — for each workload one at a time, as a PodDisruptionBudget
//! with max unavailable 1 allows: the next eviction waits until the previous replacement is
//! Ready. The ReplicaSet replaces each evicted pod at once with a new pod (new name) on another
//! node, Pending then Ready. Evicted pods get `Killing` and disappear. The node takes new pods
//! again once its maintenance is over.
//!
//! Benign: planned maintenance, done the safe way. While a workload is one replica short its
//! peers carry its share of the load for a few tens of seconds. All times come from the drain's
//! own random stream.

use super::node::Nodes;
use super::pod::{insert_grouped, millis, ImagePull, SimPod};
use super::workload::Workload;
use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::VecDeque;

/// The evictions of one workload's pods on the drained node, one after the other.
#[derive(Debug, Clone, PartialEq)]
struct Evictions {
    workload: usize,
    log_index: usize,
    pending: VecDeque<String>,
    /// The latest replacement becomes Ready then; the next eviction waits for it.
    replacement_ready_at: Option<DateTime<Utc>>,
    next_eviction_at: DateTime<Utc>,
    done: bool,
}

impl Evictions {
    fn next_at(&self) -> Option<DateTime<Utc>> {
        if self.done {
            None
        } else {
            Some(self.replacement_ready_at.unwrap_or(self.next_eviction_at))
        }
    }
}

/// What a step of a drain did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum DrainStep {
    /// A pod was evicted and its replacement created.
    Evicted {
        log_index: usize,
        evicted: String,
        replacement: String,
    },
    /// A workload's last replacement is Ready: its part of the drain is over.
    WorkloadDone { log_index: usize },
    /// Nothing to report (the next eviction was scheduled).
    Waiting,
}

/// A drain in progress.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NodeDrain {
    pub node: String,
    queues: Vec<Evictions>,
    rng: ChaCha8Rng,
}

impl NodeDrain {
    /// Starts draining `node` at `at`. `groups`: for each workload with pods on the node, its
    /// index, the index of its benign log entry, and its pods there in row order.
    pub fn begin(
        node: String,
        at: DateTime<Utc>,
        groups: Vec<(usize, usize, Vec<String>)>,
        rng: &mut ChaCha8Rng,
    ) -> NodeDrain {
        let mut rng = ChaCha8Rng::seed_from_u64(rng.random());
        let queues = groups
            .into_iter()
            .map(|(workload, log_index, pods)| Evictions {
                workload,
                log_index,
                pending: pods.into(),
                replacement_ready_at: None,
                // kubectl evicts every pod at once; the API server answers each in turn.
                next_eviction_at: at + millis(rng.random_range(0..3_000)),
                done: false,
            })
            .collect();
        NodeDrain { node, queues, rng }
    }

    /// When its next step is due, and which queue it belongs to; `None` once it is over.
    pub fn next(&self) -> Option<(DateTime<Utc>, usize)> {
        self.queues
            .iter()
            .enumerate()
            .filter_map(|(i, q)| q.next_at().map(|at| (at, i)))
            .min()
    }

    pub fn is_done(&self) -> bool {
        self.queues.iter().all(|q| q.done)
    }

    /// Whether it still has pods of `workload` to evict or replacements to wait for.
    pub fn holds(&self, workload: usize) -> bool {
        self.queues
            .iter()
            .any(|q| q.workload == workload && !q.done)
    }

    /// Takes the step of queue `queue` due at `at`.
    pub fn step(
        &mut self,
        queue: usize,
        at: DateTime<Utc>,
        pods: &mut Vec<SimPod>,
        workloads: &[Workload],
        nodes: &Nodes,
    ) -> DrainStep {
        let rng = &mut self.rng;
        let q = &mut self.queues[queue];
        if q.replacement_ready_at.take().is_some() {
            if q.pending.is_empty() {
                q.done = true;
                return DrainStep::WorkloadDone {
                    log_index: q.log_index,
                };
            }
            // The budget allows the next disruption once the replacement is Ready.
            q.next_eviction_at = at + millis(rng.random_range(1_000..4_000));
            return DrainStep::Waiting;
        }
        let Some(evicted) = q.pending.pop_front() else {
            q.done = true;
            return DrainStep::WorkloadDone {
                log_index: q.log_index,
            };
        };
        if let Some(pod) = pods
            .iter_mut()
            .find(|p| p.name == evicted && p.alive_at(at))
        {
            pod.delete(at);
        }
        let workload = &workloads[q.workload];
        let replacement = workload.new_pod_name(rng);
        let node = nodes.pick(at, rng);
        let pod = SimPod::spawn(
            replacement.clone(),
            q.workload,
            workload,
            node,
            at,
            ImagePull::Present,
            None,
            rng,
        );
        q.replacement_ready_at = Some(pod.timeline.ready_at);
        insert_grouped(pods, pod);
        DrainStep::Evicted {
            log_index: q.log_index,
            evicted,
            replacement,
        }
    }
}
