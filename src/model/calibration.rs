//! From a surprise to a probability with a stated meaning.
//!
//! Calibration is fitted on healthy data the network never trained on: for a surprise `s`, the
//! tail rate `u(s)` is the fraction of healthy samples at least that surprising (read from a
//! quantile table, and beyond its end from an exponential tail fitted to the largest ones).
//! The probability is then a fixed, documented function of that rate:
//!
//! `p = 1 / (1 + (u / 1e-3)^k)`, with `k` chosen so that `p = 0.7` exactly at `u = 1e-5`.
//!
//! So `p = 0.5` means "one healthy sample in a thousand looks like this", and the default alert
//! threshold 0.7 means "one in a hundred thousand" — about once per 140 pod-hours at a 5-second
//! interval, before the smoothing and cold-start rules that make alarms rarer still.
//!
//! The pod model reads two statistics per sample (spike and drift, see
//! [`super::surprise`]), each with its own table. A sample is as unusual as the rarer of the
//! two, doubled (Bonferroni: two looks at the same sample), so the stated rate stays an upper
//! bound on how often a healthy pod reaches it.

use super::surprise::Reading;
use serde::{Deserialize, Serialize};

/// Tail rate at which the probability is one half.
pub const HALF_RATE: f64 = 1e-3;
/// Tail rate at which the probability is [`ALERT_PROBABILITY`].
pub const ALERT_RATE: f64 = 1e-5;
/// The probability anchored at [`ALERT_RATE`]: the default alert threshold.
pub const ALERT_PROBABILITY: f64 = 0.7;

/// Tail levels kept in the table, as long as the data holds enough samples beyond them.
const LEVELS: [f64; 10] = [0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 5e-3, 2e-3, 1e-3, 5e-4];
/// Samples required beyond a level for it to be estimated rather than extrapolated.
const MIN_BEYOND: f64 = 20.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// (surprise, tail rate) pairs, surprise increasing and rate decreasing.
    pub table: Vec<(f64, f64)>,
    /// Mean excess of the healthy samples above the table's last surprise: the scale of the
    /// exponential tail used beyond it.
    pub tail_scale: f64,
    /// Healthy samples the table was fitted on.
    pub samples: u64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CalibrationError {
    #[error("calibrating needs at least {needed} healthy samples, got {got}")]
    TooFewSamples { needed: usize, got: usize },
}

impl Calibration {
    /// Fits the table to healthy surprises (non-finite values are ignored).
    pub fn fit(healthy: &[f64]) -> Result<Calibration, CalibrationError> {
        let mut sorted: Vec<f64> = healthy.iter().copied().filter(|v| v.is_finite()).collect();
        let needed = (MIN_BEYOND / LEVELS[0]) as usize * 10;
        if sorted.len() < needed {
            return Err(CalibrationError::TooFewSamples {
                needed,
                got: sorted.len(),
            });
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len() as f64;
        let mut table: Vec<(f64, f64)> = Vec::new();
        for level in LEVELS {
            if level * n < MIN_BEYOND {
                break;
            }
            // The surprise exceeded by a fraction `level` of the samples.
            let idx = ((1.0 - level) * n).floor().min(n - 1.0) as usize;
            let s = sorted[idx];
            if table.last().is_some_and(|(last, _)| s <= *last) {
                continue; // ties in a discrete stretch: keep the first, rarest-so-far point
            }
            table.push((s, level));
        }
        let (last_s, _) = *table.last().expect("the first level always fits");
        let beyond: Vec<f64> = sorted.iter().filter(|v| **v > last_s).copied().collect();
        let tail_scale = if beyond.is_empty() {
            1.0
        } else {
            (beyond.iter().map(|v| v - last_s).sum::<f64>() / beyond.len() as f64).max(1e-6)
        };
        Ok(Calibration {
            table,
            tail_scale,
            samples: sorted.len() as u64,
        })
    }

    /// Fraction of healthy samples at least as surprising as `s`.
    pub fn tail_rate(&self, s: f64) -> f64 {
        let Some(&(first_s, first_u)) = self.table.first() else {
            return 1.0;
        };
        if !s.is_finite() {
            return if s > 0.0 { 0.0 } else { 1.0 };
        }
        if s <= first_s {
            // Below the median surprise: interpolate from "everything" at zero.
            return if first_s > 0.0 {
                1.0 - (1.0 - first_u) * (s.max(0.0) / first_s)
            } else {
                1.0
            };
        }
        for w in self.table.windows(2) {
            let ((s0, u0), (s1, u1)) = (w[0], w[1]);
            if s <= s1 {
                let t = (s - s0) / (s1 - s0);
                return (u0.ln() + t * (u1.ln() - u0.ln())).exp();
            }
        }
        let (last_s, last_u) = *self.table.last().unwrap();
        last_u * (-(s - last_s) / self.tail_scale).exp()
    }

    /// The calibrated probability of a surprise (see the module docs).
    pub fn probability(&self, s: f64) -> f64 {
        probability_of_rate(self.tail_rate(s))
    }
}

/// The pod model's calibration: one table per statistic of a [`Reading`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingCalibration {
    pub spike: Calibration,
    pub drift: Calibration,
}

impl ReadingCalibration {
    /// Fits both tables to the readings of healthy samples.
    pub fn fit(healthy: &[Reading]) -> Result<ReadingCalibration, CalibrationError> {
        let spikes: Vec<f64> = healthy.iter().map(|r| r.spike).collect();
        let drifts: Vec<f64> = healthy.iter().map(|r| r.drift).collect();
        Ok(ReadingCalibration {
            spike: Calibration::fit(&spikes)?,
            drift: Calibration::fit(&drifts)?,
        })
    }

    /// A reading's probability (its tail rate: the rarer of its two statistics, doubled, at
    /// most 1), and whether the drift is the rarer one (it then names the evidence).
    pub fn assess(&self, r: &Reading) -> (f64, bool) {
        let (spike, drift) = (self.spike.tail_rate(r.spike), self.drift.tail_rate(r.drift));
        let rate = (2.0 * spike.min(drift)).min(1.0);
        (probability_of_rate(rate), drift < spike)
    }

    pub fn probability(&self, r: &Reading) -> f64 {
        self.assess(r).0
    }
}

/// `p = 1 / (1 + (u / HALF_RATE)^k)` with `p(ALERT_RATE) = ALERT_PROBABILITY`.
pub fn probability_of_rate(u: f64) -> f64 {
    let k = ((1.0 - ALERT_PROBABILITY) / ALERT_PROBABILITY).ln() / (ALERT_RATE / HALF_RATE).ln();
    if u <= 0.0 {
        return 1.0;
    }
    1.0 / (1.0 + (u / HALF_RATE).powf(k))
}

/// The rate whose probability is `p`: the inverse of [`probability_of_rate`].
pub fn rate_of_probability(p: f64) -> f64 {
    if p >= 1.0 {
        return 0.0;
    }
    if p <= 0.0 {
        return 1.0;
    }
    let k = ((1.0 - ALERT_PROBABILITY) / ALERT_PROBABILITY).ln() / (ALERT_RATE / HALF_RATE).ln();
    (HALF_RATE * ((1.0 - p) / p).powf(1.0 / k)).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_probabilities_map_both_ways() {
        for u in [0.5, 1e-3, 1e-5, 1e-12] {
            let back = rate_of_probability(probability_of_rate(u));
            assert!((back / u - 1.0).abs() < 1e-9, "{u} -> {back}");
        }
        assert_eq!(rate_of_probability(1.0), 0.0);
    }

    #[test]
    fn the_rate_map_has_its_documented_anchor_points() {
        assert!((probability_of_rate(HALF_RATE) - 0.5).abs() < 1e-12);
        assert!((probability_of_rate(ALERT_RATE) - 0.7).abs() < 1e-12);
        assert_eq!(ALERT_PROBABILITY, 0.7, "the documented anchor");
        assert!(probability_of_rate(1.0) < 0.3);
        assert_eq!(probability_of_rate(0.0), 1.0);
    }

    #[test]
    fn tail_rates_match_an_exponential_sample() {
        // Surprises drawn as exact exponential quantiles: u(s) = exp(-s).
        let n = 100_000;
        let healthy: Vec<f64> = (0..n)
            .map(|i| -(1.0 - (i as f64 + 0.5) / n as f64).ln())
            .collect();
        let c = Calibration::fit(&healthy).unwrap();
        for s in [0.5, 1.0, 3.0, 6.0, 10.0, 14.0] {
            let u = c.tail_rate(s);
            let expected = (-s).exp();
            assert!(
                (u.ln() - expected.ln()).abs() < 0.1,
                "s {s}: rate {u} vs {expected}"
            );
        }
        // Monotone: more surprise, higher probability.
        let ps: Vec<f64> = (0..40).map(|i| c.probability(i as f64 * 0.5)).collect();
        assert!(ps.windows(2).all(|w| w[1] >= w[0]), "{ps:?}");
    }

    #[test]
    fn the_joint_rate_is_the_rarer_statistic_doubled() {
        let n = 100_000;
        let healthy: Vec<f64> = (0..n)
            .map(|i| -(1.0 - (i as f64 + 0.5) / n as f64).ln())
            .collect();
        let c = Calibration::fit(&healthy).unwrap();
        let joint = ReadingCalibration {
            spike: c.clone(),
            drift: c.clone(),
        };
        let reading = |spike, drift| Reading {
            spike,
            drift,
            drift_feature: None,
        };
        let rare = c.tail_rate(8.0);
        assert!(rare < c.tail_rate(5.0));
        let p = probability_of_rate(2.0 * rare);
        assert_eq!(joint.assess(&reading(5.0, 8.0)), (p, true));
        assert_eq!(joint.assess(&reading(8.0, 5.0)), (p, false));
        let never_above_1 = probability_of_rate(1.0);
        assert_eq!(joint.probability(&reading(0.0, 0.0)), never_above_1);
    }

    #[test]
    fn too_little_data_is_refused() {
        assert!(matches!(
            Calibration::fit(&[1.0; 10]),
            Err(CalibrationError::TooFewSamples { .. })
        ));
    }
}
