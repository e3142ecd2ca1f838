//! The LSTM anomaly model (Burn, CPU): the network, its inputs, training, calibration,
//! saving and loading, and streaming inference.
//!
//! The network forecasts each stream's next sample as a Gaussian; how far the sample then
//! lands from the forecast, in forecast spreads, is its surprise. Trained on healthy data
//! only, so it needs no hand-made labels. Kept free of actors: the daemon's model actor and
//! the offline commands call these functions.

pub mod artifact;
pub mod calibration;
pub mod data;
pub mod forecaster;
pub mod pod_input;
pub mod streaming;
pub mod surprise;
pub mod training;
pub mod validation;

#[cfg(test)]
mod tests;

pub use artifact::{LoadedModel, ModelConfig, ModelLoadError};
pub use calibration::Calibration;
pub use forecaster::{Architecture, Forecaster};
pub use pod_input::{StepInput, POD_FEATURES, POD_FEATURE_COUNT};
pub use streaming::{StreamInput, StreamingForecaster, Surprise};
