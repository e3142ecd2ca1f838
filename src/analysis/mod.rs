//! The Anomaly Detection agent's analysis: from scored pods to incidents — what is wrong, since
//! when, why we think so, how bad, and what to do — grouped per workload and fault, journalled
//! as opened / updated / resolved.
//!
//! Pure code; the `analysis` actor adapts messages to it.

pub mod incident;
pub mod journal;
pub mod llm_request;
pub mod recommend;
pub mod tracker;
pub mod workload;

pub use incident::{AffectedPod, Incident, IncidentEvent, Transition};
pub use journal::IncidentJournal;
pub use recommend::{explain, Explanation, Step};
pub use tracker::IncidentTracker;
pub use workload::{Workload, WorkloadKind};

#[cfg(test)]
mod tests;
