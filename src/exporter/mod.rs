//! The simulated cluster as a Prometheus target (`k8s-monitor simulate`): it advances in real
//! time and serves `/metrics` with cAdvisor and kube-state-metrics names, plus its fault
//! windows at `/faults` as ground truth.
//!
//! - [`live_cluster`]: pure; the cluster, ticked on a fixed step grid up to a given time.
//! - [`server`]: the routes on axum (as the daemon's endpoint), stopped by a future (the
//!   signal handler).

pub mod live_cluster;
pub mod server;

pub use live_cluster::LiveCluster;
pub use server::{serve, ServeError};
