//! What the pod model sees at each step: one [`FeatureRow`] turned into a fixed-length vector.
//!
//! The numeric signals enter as their robust z-scores against the pod's own baseline (that is
//! the per-pod online normalisation: a pod serving 10 requests/s and one serving 10,000 look
//! alike to the network), squashed with `asinh` so a 50-sigma spike does not saturate the
//! gates. Three state features (not running, not ready, restarted) let the network learn that
//! these are rare. Every feature is also forecast; unmeasured values are masked out.

use crate::features::{FeatureRow, Signal, SIGNALS, SIGNAL_COUNT};
use crate::metrics_row::PodPhase;

/// Names of the model's features, in input order; saved in `config.json`.
pub const POD_FEATURES: [&str; POD_FEATURE_COUNT] = [
    "cpu",
    "memory",
    "net_rx",
    "net_tx",
    "net_errors",
    "fs_read",
    "fs_write",
    "peer_cpu",
    "peer_memory",
    "peer_net_rx",
    "peer_net_tx",
    "not_running",
    "not_ready",
    "restarted",
];

pub const POD_FEATURE_COUNT: usize = SIGNAL_COUNT + 3;

/// One step's values and which of them were measured (1) or not (0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInput {
    pub values: [f32; POD_FEATURE_COUNT],
    pub measured: [f32; POD_FEATURE_COUNT],
}

impl StepInput {
    pub fn from_features(f: &FeatureRow) -> StepInput {
        let mut values = [0.0f32; POD_FEATURE_COUNT];
        let mut measured = [0.0f32; POD_FEATURE_COUNT];
        for s in SIGNALS {
            let z = f.z(s);
            if z.is_finite() {
                values[s.index()] = z.asinh() as f32;
                measured[s.index()] = 1.0;
            }
        }
        let state = SIGNAL_COUNT;
        if let Some(phase) = f.phase {
            values[state] = (phase != PodPhase::Running) as u8 as f32;
            measured[state] = 1.0;
        }
        if let Some(r) = f.ready_ratio {
            values[state + 1] = (1.0 - r).clamp(0.0, 1.0) as f32;
            measured[state + 1] = 1.0;
        }
        if let Some(d) = f.restart_delta {
            values[state + 2] = d.min(3) as f32;
            measured[state + 2] = 1.0;
        }
        StepInput { values, measured }
    }

    /// The name of feature `i`, for evidence.
    pub fn feature_name(i: usize) -> &'static str {
        POD_FEATURES[i]
    }

    /// The signal behind feature `i`, when it is one.
    pub fn signal(i: usize) -> Option<Signal> {
        SIGNALS.get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_names_follow_the_signal_order() {
        for s in SIGNALS {
            assert_eq!(POD_FEATURES[s.index()], s.name());
        }
    }
}
