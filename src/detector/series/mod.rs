//! The single-series anomaly detector: one series in (a NAB file, or one metric of one pod),
//! an anomaly probability per sample out, learned online from the first sample, causal.
//!
//! Three layers, each replaceable:
//! 1. **Surprise sources** ([`SurpriseSource`]): online models that say how unexpected each
//!    value is given the values before it. The statistical ones are [`RobustZ`] (short and long
//!    windows), [`LevelShift`] and [`Seasonal`] (the daily cycle). A forecaster such as an LSTM
//!    is one more source: its surprise is `|x − μ| / σ` of its forecast.
//! 2. **The combiner** ([`Combiner`]): judges each source's surprise against that source's own
//!    past (anomaly likelihood and record excess), and turns the most unusual judgement into
//!    `anomaly_probability` (its meaning is documented there). A source may be primary or only
//!    corroborating (the LSTM in the ensemble: it strengthens the statistics' evidence, vetoes
//!    it when it forecast the value well, and does not alarm alone).
//! 3. **Suppression** ([`Refractory`]): after an alert the next samples report 0, so one event
//!    is one alert.
//!
//! [`SeriesDetector`] wires them; it runs with statistical sources only, external sources only,
//! or both. Everything here is pure (no I/O, no clock, no actors) and deterministic.

pub mod anomaly_likelihood;
pub mod combiner;
pub mod corroboration;
pub mod level_shift;
pub mod normal_tail;
pub mod record_excess;
pub mod refractory;
pub mod robust_z;
pub mod seasonal;
pub mod series_detector;
pub mod sorted_window;
pub mod surprise_source;
#[cfg(test)]
mod test_series;
pub mod value_range;

pub use anomaly_likelihood::AnomalyLikelihood;
pub use combiner::{Combiner, CombinerSettings, Role};
pub use corroboration::Corroboration;
pub use level_shift::LevelShift;
pub use record_excess::RecordExcess;
pub use refractory::Refractory;
pub use robust_z::RobustZ;
pub use seasonal::Seasonal;
pub use series_detector::{SeriesDetector, SeriesSettings};
pub use surprise_source::{Observation, SurpriseSource};
