//! k8s-monitor: watches the pods of a Kubernetes cluster (or a built-in simulated one), learns how
//! each one normally behaves, flags anomalies with a probability, and explains them.
//!
//! The binary (`src/main.rs`) only parses the command line and calls into this library.

pub mod atomic_file;
pub mod fault_label;
pub mod metrics_row;
pub mod simulator;
