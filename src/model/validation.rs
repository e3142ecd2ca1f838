//! Streams held-out pods through a trained network exactly as the daemon would, and collects
//! the smoothed surprise of their healthy samples: the data calibration is fitted on.

use super::artifact::SurpriseConfig;
use super::data::PodSequence;
use super::forecaster::{Architecture, Forecaster};
use super::streaming::{StreamInput, StreamingForecaster};
use super::surprise::{is_warm, sample_surprise, smooth};
use burn::tensor::Device;

/// Smoothed surprises of the healthy, warm samples of `sequences`.
pub fn healthy_surprises(
    network: Forecaster,
    architecture: Architecture,
    device: Device,
    sequences: &[&PodSequence],
    config: &SurpriseConfig,
    min_history: u64,
) -> Vec<f64> {
    let mut forecaster: StreamingForecaster<usize> =
        StreamingForecaster::new(network, architecture, device);
    let keys: Vec<usize> = (0..sequences.len()).collect();
    let mut smoothed: Vec<Option<f64>> = vec![None; sequences.len()];
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
            let raw = s
                .as_ref()
                .filter(|s| is_warm(seq.age[t], min_history, s, config))
                .and_then(|s| sample_surprise(s, config));
            smoothed[i] = raw.map(|r| smooth(smoothed[i], r, config));
            if let (Some(v), true) = (smoothed[i], seq.healthy[t]) {
                out.push(v);
            }
        }
    }
    out
}
