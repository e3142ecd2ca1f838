//! One number per sample from the forecast residuals, smoothed over time: the same code for
//! the daemon's scorer and for the calibration that gives it a meaning.

use super::artifact::SurpriseConfig;
use super::streaming::Surprise;

/// The largest |residual| of a sample (any feature may be the one that broke), capped so one
/// absurd value cannot dominate the smoothing for long.
pub fn sample_surprise(s: &Surprise, config: &SurpriseConfig) -> Option<f64> {
    s.strongest().map(|(_, r)| (r.abs() as f64).min(config.cap))
}

/// Exponentially weighted: a single noisy sample moves the surprise by `smoothing` of itself,
/// a fault that persists for a few samples moves it all the way.
pub fn smooth(previous: Option<f64>, raw: f64, config: &SurpriseConfig) -> f64 {
    match previous {
        None => raw,
        Some(p) => config.smoothing * raw + (1.0 - config.smoothing) * p,
    }
}

/// Whether a stream's surprise is trusted yet: the pod's baseline is established and its LSTM
/// state has run long enough to have forgotten its cold start.
pub fn is_warm(age_samples: u64, min_history: u64, s: &Surprise, config: &SurpriseConfig) -> bool {
    age_samples >= min_history && s.steps_before >= config.warmup_steps
}
