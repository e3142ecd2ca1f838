//! Training data: the daemon's own feature pipeline run over metrics CSVs, cut into per-pod
//! sequences of model inputs, with labelled fault windows (and a margin after them) left out,
//! so the network learns normal behaviour only.

use super::pod_input::{StepInput, POD_FEATURE_COUNT};
use crate::fault_label::FaultWindow;
use crate::features::tick_features::ticks;
use crate::features::{FeatureBuilder, FeatureError, PodKey};
use crate::metrics_row::PodMetricsRow;
use crate::signal::SignalSettings;
use chrono::Duration;
use std::collections::{BTreeMap, HashMap};

/// After a fault ends, its effects linger in the pod's baseline and LSTM state for a while.
pub const AFTER_FAULT_MARGIN: Duration = Duration::minutes(5);

/// One pod's inputs over time, and which steps are healthy.
#[derive(Debug, Clone)]
pub struct PodSequence {
    pub key: PodKey,
    pub steps: Vec<StepInput>,
    pub healthy: Vec<bool>,
    /// Seconds the pod had been observed at each step.
    pub observed_for: Vec<f64>,
}

/// Runs the feature pipeline over time-ordered rows; one sequence per pod, in pod order.
pub fn pod_sequences(
    rows: &[PodMetricsRow],
    faults: &[FaultWindow],
    signal: SignalSettings,
    evict_after: std::time::Duration,
) -> Result<Vec<PodSequence>, FeatureError> {
    let mut by_pod: HashMap<(&str, &str), Vec<&FaultWindow>> = HashMap::new();
    for f in faults {
        by_pod.entry((&f.namespace, &f.pod)).or_default().push(f);
    }
    let mut builder = FeatureBuilder::new(signal, evict_after);
    let mut sequences: BTreeMap<PodKey, PodSequence> = BTreeMap::new();
    for tick in ticks(rows) {
        for f in builder.tick(tick)? {
            let faulty = by_pod
                .get(&(f.key.namespace.as_str(), f.key.pod.as_str()))
                .is_some_and(|ws| {
                    ws.iter().any(|w| {
                        f.timestamp >= w.start && f.timestamp <= w.end + AFTER_FAULT_MARGIN
                    })
                });
            let seq = sequences
                .entry(f.key.clone())
                .or_insert_with(|| PodSequence {
                    key: f.key.clone(),
                    steps: Vec::new(),
                    healthy: Vec::new(),
                    observed_for: Vec::new(),
                });
            seq.steps.push(StepInput::from_features(&f));
            seq.healthy.push(!faulty);
            seq.observed_for.push(f.observed_for);
        }
        builder.evict(tick[0].timestamp);
    }
    Ok(sequences.into_values().collect())
}

/// Whether a pod is held out for validation and calibration: a stable hash of its name and
/// the seed, so the split is the same on every machine and run.
pub fn is_validation_pod(key: &PodKey, seed: u64, percent: u64) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in key.namespace.bytes().chain([b'/']).chain(key.pod.bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % 100 < percent
}

/// Fixed-length training windows, flattened: `values` and `measured` are
/// [count, window, POD_FEATURE_COUNT] in row-major order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowSet {
    pub window: usize,
    pub features: usize,
    pub values: Vec<f32>,
    pub measured: Vec<f32>,
}

impl WindowSet {
    pub fn new(window: usize, features: usize) -> WindowSet {
        WindowSet {
            window,
            features,
            values: Vec::new(),
            measured: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        if self.window == 0 {
            0
        } else {
            self.values.len() / (self.window * self.features)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds every window of `window` steps, `stride` apart, that lies within one healthy run.
    pub fn add_sequence(&mut self, seq: &PodSequence, stride: usize) {
        debug_assert_eq!(self.features, POD_FEATURE_COUNT);
        let mut run_start = 0;
        for end in 0..=seq.steps.len() {
            if end < seq.steps.len() && seq.healthy[end] {
                continue;
            }
            // [run_start, end) is healthy.
            let mut start = run_start;
            while start + self.window <= end {
                for step in &seq.steps[start..start + self.window] {
                    self.values.extend_from_slice(&step.values);
                    self.measured.extend_from_slice(&step.measured);
                }
                start += stride;
            }
            run_start = end + 1;
        }
    }

    /// Appends one window given as raw slices ([window, features] each).
    pub fn push(&mut self, values: &[f32], measured: &[f32]) {
        assert_eq!(values.len(), self.window * self.features);
        assert_eq!(measured.len(), values.len());
        self.values.extend_from_slice(values);
        self.measured.extend_from_slice(measured);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(healthy: &[bool]) -> PodSequence {
        let step = StepInput {
            values: [1.0; POD_FEATURE_COUNT],
            measured: [1.0; POD_FEATURE_COUNT],
        };
        PodSequence {
            key: PodKey::new("ns", "p"),
            steps: vec![step; healthy.len()],
            healthy: healthy.to_vec(),
            observed_for: (0..healthy.len()).map(|i| i as f64 * 5.0).collect(),
        }
    }

    #[test]
    fn windows_never_cross_a_fault() {
        let mut h = vec![true; 10];
        h[4] = false;
        let mut set = WindowSet::new(3, POD_FEATURE_COUNT);
        set.add_sequence(&seq(&h), 1);
        // Healthy runs [0,4) and [5,10): 2 + 3 windows of 3.
        assert_eq!(set.len(), 5);
    }

    #[test]
    fn the_validation_split_is_stable() {
        let k = PodKey::new("shop", "cart-7d9f8-x2x4q");
        assert_eq!(is_validation_pod(&k, 7, 20), is_validation_pod(&k, 7, 20));
        let share = (0..1000)
            .filter(|i| is_validation_pod(&PodKey::new("ns", &format!("pod-{i}")), 7, 20))
            .count();
        assert!((150..250).contains(&share), "{share}");
    }
}
