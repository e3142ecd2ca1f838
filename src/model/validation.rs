//! Streams held-out pods through a trained network exactly as the daemon would, and collects
//! the spike and drift readings of their healthy samples: the data calibration is fitted on.

use super::artifact::SurpriseConfig;
use super::data::PodSequence;
use super::forecaster::{Architecture, Forecaster};
use super::streaming::{StreamInput, StreamingForecaster};
use super::surprise::{Reading, SurpriseTracker};
use burn::tensor::Device;

/// Readings of the healthy, warm samples of `sequences`.
pub fn healthy_readings(
    network: Forecaster,
    architecture: Architecture,
    device: Device,
    sequences: &[&PodSequence],
    config: &SurpriseConfig,
    warm_up: f64,
) -> Vec<Reading> {
    let mut forecaster: StreamingForecaster<usize> =
        StreamingForecaster::new(network, architecture, device);
    let keys: Vec<usize> = (0..sequences.len()).collect();
    let mut trackers = vec![SurpriseTracker::default(); sequences.len()];
    let longest = sequences.iter().map(|s| s.steps.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    // Streams are independent, so stepping them side by side, one step index at a time, is
    // what the daemon computes and batches well.
    for t in 0..longest {
        let active: Vec<usize> = (0..sequences.len())
            .filter(|&i| t < sequences[i].steps.len())
            .collect();
        let batch: Vec<StreamInput<'_, usize>> = active
            .iter()
            .map(|&i| StreamInput {
                key: &keys[i],
                values: &sequences[i].steps[t].values,
                measured: &sequences[i].steps[t].measured,
            })
            .collect();
        let surprises = forecaster.step(&batch);
        for (&i, s) in active.iter().zip(&surprises) {
            let seq = sequences[i];
            let reading = trackers[i].observe(s.as_ref(), seq.observed_for[t], warm_up, config);
            if let (Some(r), true) = (reading, seq.healthy[t]) {
                out.push(r);
            }
        }
    }
    out
}
