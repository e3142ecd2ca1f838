//! Simulated Kubernetes cluster: the daemon's built-in default source and the generator of
//! labelled data sets.
//!
//! Seeded and deterministic. Workloads of peer replicas follow a daily load cycle with noise, JVM
//! garbage-collection sawtooths, rolling restarts and load swells (all benign), while labelled
//! faults ([`crate::fault_label::FaultKind`]) hit one pod at a time and show in the canonical
//! [`crate::metrics_row::PodMetricsRow`] fields.

mod cluster;
mod dataset;
pub mod exposition;
mod fault;
mod load;
mod pod;
mod rollout;
mod schedule;
mod settings;
mod workload;

#[cfg(test)]
mod tests;

pub use crate::fault_label::{FaultKind, FaultWindow};
pub use cluster::{BenignKind, BenignWindow, SimulatedCluster};
pub use dataset::{clip_labels, generate_dataset, GenerateError, GenerateOptions, GenerateSummary};
pub use settings::SimulatorSettings;
