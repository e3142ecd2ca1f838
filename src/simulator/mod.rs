//! Simulated Kubernetes cluster: the daemon's built-in default source and the generator of
//! labelled data sets.
//!
//! Seeded and deterministic, on absolute time: the same seed and start give the same events at
//! the same times whatever the tick length (see `cluster.rs`). Workloads of peer replicas follow
//! daily and weekly load cycles with noise and JVM garbage-collection sawtooths, while labelled
//! faults ([`crate::fault_label::FaultKind`]) hit one pod at a time and show in the canonical
//! [`crate::metrics_row::PodMetricsRow`] fields.
//!
//! Around the faults runs the benign churn a real cluster shows all day, none of which an SRE
//! would be paged for ([`BenignKind`], logged as [`BenignWindow`]s; rates in `settings.rs`,
//! scaling with the cluster's size):
//! - rolling restarts and rolling updates (`rollout.rs`): a new ReplicaSet replaces the pods one
//!   by one; an update pulls a new image, and half of the updates ship a version whose healthy
//!   CPU, memory or network level differs, so the workload's normal moves for good;
//! - load swells (`load.rs`): one workload's load rises and returns, all replicas together;
//! - liveness-probe restarts (`liveness.rs`): one container hangs, is killed by its probe and
//!   restarts once, briefly not ready;
//! - autoscaler episodes (`autoscaler.rs`): replicas added while the demand is high and removed
//!   after it, the load shared by the replicas serving it;
//! - node drains (`drain.rs`): a node's pods evicted one at a time per workload and replaced on
//!   other nodes;
//! - CronJob pods (`cronjob.rs`): short-lived pods that burst, complete (Succeeded) and go;
//! - daily and weekly cycles (`load.rs`): lower load at night and on weekends.
//!
//! [`SimulatorSettings::benign_churn`] switches the churn (all but restarts, swells and the
//! daily cycle) off for a calm cluster.

mod autoscaler;
mod benign;
mod cluster;
mod cronjob;
mod dataset;
mod drain;
pub mod exposition;
mod fault;
mod liveness;
mod load;
mod node;
mod pod;
mod rollout;
mod schedule;
mod settings;
mod workload;

#[cfg(test)]
mod tests;

pub use crate::fault_label::{FaultKind, FaultWindow};
pub use benign::{
    clip_benign, read_benign, write_benign, BenignKind, BenignLogError, BenignWindow,
};
pub use cluster::SimulatedCluster;
pub use dataset::{clip_labels, generate_dataset, GenerateError, GenerateOptions, GenerateSummary};
pub use settings::SimulatorSettings;
pub use workload::ProfileScale;
