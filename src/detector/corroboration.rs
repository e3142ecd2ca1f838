//! How the LSTM's evidence joins the statistics' in the ensemble: on calibrated rates (the
//! share of healthy samples at least as unusual, see [`crate::model::calibration`]), so the
//! two speak one language.
//!
//! `fused = min(s, 2 · s^(1−w) · c^w)` with the statistics' rate `s`, the LSTM's `c` and
//! `w = 0.5`: the statistics alone, or a weighted geometric mean of both (×2: two ways to
//! pass). On a log scale it is the larger of the statistics' decades and the mean of both:
//! agreement strengthens or advances an alarm; the LSTM alone (`s` near 1) alarms only on
//! overwhelming evidence (`c` below about 2.5e-11 for the 1e-5 alert rate), since a network
//! that sees one pod at a time mistakes a swell that moves every replica for a fault, which
//! the statistics' sibling comparison knows better.
//!
//! The rule and its weight are the ones the previous single-series ensemble chose on half of
//! the NAB slice; on the simulator they were not tuned, only compared (README, "Ablation").

/// Weight of the LSTM's decades when it agrees.
pub const WEIGHT: f64 = 0.5;

/// Fuses the statistics' rate `s` and the LSTM's `c`, both in (0, 1].
pub fn corroborate(s: f64, c: f64) -> f64 {
    s.min(2.0 * s.powf(1.0 - WEIGHT) * c.powf(WEIGHT))
        .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_strengthens_and_a_lone_lstm_needs_overwhelming_evidence() {
        // Neither sees anything: nothing changes.
        assert_eq!(corroborate(0.5, 0.5), 0.5);
        // The LSTM alone at 1e-9 is not an alarm (1e-5), at 1e-12 it is.
        assert!(corroborate(1.0, 1e-9) > 1e-5);
        assert!(corroborate(1.0, 1e-12) < 1e-5);
        // Both see a little: together they alarm.
        assert!(corroborate(1e-4, 1e-7) < 1e-5);
        // A weak LSTM never weakens the statistics.
        assert_eq!(corroborate(1e-8, 0.9), 1e-8);
    }
}
