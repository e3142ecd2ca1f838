//! Rules on the state Kubernetes reports about a pod (phase, waiting and termination reasons,
//! restarts, readiness, usage against limits), written to page the way the community's
//! [kubernetes-mixin](https://github.com/kubernetes-monitoring/kubernetes-mixin) alerts do.
//!
//! An SRE is woken by what pages, so a single event is *evidence* (a finding with a probability
//! below the alert threshold [`ALERT_THRESHOLD`]) and only a repeated or sustained state is an
//! *alarm*: one restart, one sample at the CPU limit, one readiness blip are shown, not paged;
//! three restarts in 15 minutes, CrashLoopBackOff for 5 minutes, CPU pinned for 10 minutes are.
//! Each finding names the mixin alert it follows ([`anchor`]); [`KubeStateSettings`] says, field
//! by field, which `for:` it takes and why it differs where it does.
//!
//! The module is pure: [`PodStateTracker::observe`] turns one [`PodStateSample`] into a
//! [`Verdict`], with no clock and no I/O. Two properties hold for every rule:
//!
//! - **A gap is not a recovery.** An unknown field (`None`) neither confirms nor clears a
//!   condition; the time a condition started survives the gap, and only a sample showing it gone
//!   ends it. Findings about a current state are reported only on samples that show that state.
//! - **Time, not samples.** Every duration is wall-clock time from the samples' timestamps, so a
//!   pod sampled every 1 s, 5 s or 15 s gives the same findings, paging within one interval of
//!   each other. Behaviour shorter than the sampling interval can of course not be seen.
//!
//! The tracker is small and fixed-size (fixed rings of recent event times, since-when stamps of
//! each condition; no growing vector), so it can be kept for every pod of a large cluster.

pub mod anchor;
mod condition;
mod phase;
mod readiness;
mod reason;
mod restarts;
mod ring;
pub mod sample;
mod saturation;
pub mod settings;
mod span;
pub mod tracker;
pub mod verdict;
mod waiting;

pub use sample::PodStateSample;
pub use settings::{KubeStateSettings, KubeStateSettingsError};
pub use tracker::PodStateTracker;
pub use verdict::{Finding, Verdict, ALERT_THRESHOLD};

#[cfg(test)]
mod tests;
