//! Every constant of the per-signal detector, as durations (see [`super::horizon`]).
//!
//! The defaults are the windows of the windowed single-series detector this one replaced,
//! converted once (a window of `W` samples became a horizon of `W/2` reference steps, the
//! exponential memory with the same mean age), before any evaluation of this detector; what
//! was chosen later, on which data, is said at each field.

use super::horizon::Horizon;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalSettings {
    /// Seconds: below it horizons are time, above it samples (see [`super::horizon`]).
    pub reference_step: f64,
    /// How long a stream is observed before its sources speak.
    pub warm_up: Horizon,
    /// The short level of the local z-score and of the level shift.
    pub short: Horizon,
    /// The long-run level: the long z-score, the level shift's baseline, the pod's normal.
    pub long: Horizon,
    /// Memory of the daily profile's bins, in days; 0 turns the seasonal source off.
    pub seasonal_days: f64,
    /// The seasonal misses' level and spread.
    pub seasonal_residuals: Horizon,
    /// The likelihood's short average of log-surprise.
    pub averaging: Horizon,
    /// The likelihood's long-run moments of that average.
    pub likelihood_history: Horizon,
    /// Surprises above this are averaged as this (a single value cannot carry the average).
    pub likelihood_cap: f64,
    /// How much the likelihood's prior weighs, as time.
    pub likelihood_prior: Horizon,
    /// The record's decay towards the typical surprise.
    pub record_history: Horizon,
    /// Time observed before records count (early on every value is a record). Fold 1 of the NAB
    /// slice cannot tell 1 h from 5 h (the same score; 2 h found 96 of 235 injected anomalies,
    /// 5 h 89). 5 h stays: the statistics are calibrated on 4-hour training pods, and with 2 h
    /// records count on half of their healthy samples, where early records are the pods'
    /// youth, not anomalies (the calibration's tail scale tripled, 0.53 -> 1.62, weakening all
    /// evidence).
    pub record_learning: Horizon,
    /// Steepness of the record tail, per unit of `ln(1 + surprise)` above the record.
    pub record_gain: f64,
    /// Least spread a source believes in, as a fraction of the range seen so far.
    pub floor_fraction: f64,
}

impl Default for SignalSettings {
    fn default() -> Self {
        SignalSettings {
            reference_step: 15.0,
            warm_up: Horizon::minutes(8.0),
            short: Horizon::minutes(8.0),
            long: Horizon::hours(2.0),
            seasonal_days: 2.5,
            seasonal_residuals: Horizon::minutes(64.0),
            averaging: Horizon::minutes(1.5),
            likelihood_history: Horizon::hours(4.0),
            likelihood_cap: 10.0,
            likelihood_prior: Horizon::minutes(10.0),
            record_history: Horizon::hours(10.0),
            record_learning: Horizon::hours(5.0),
            record_gain: 50.0,
            floor_fraction: 0.001,
        }
    }
}
