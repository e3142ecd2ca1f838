//! Two numbers per sample from the forecast residuals, kept per stream over time: the same code
//! for the daemon's scorer and for the calibration that gives them a meaning.
//!
//! - **spike**: the largest |residual| of the sample, smoothed (EWMA). It answers "did this
//!   sample, or the last few, land far from the forecast?".
//! - **drift**: per feature, a two-sided CUSUM of the residuals beyond a slack, the largest of
//!   them. A slow change (a leak, a creeping level) is forecast one step at a time almost
//!   correctly, so no single residual is large; but the network, trained on healthy pods that
//!   come back to their baseline, keeps forecasting a return that does not happen, and the
//!   residuals keep one sign. Their sum beyond the slack grows linearly while the fault lasts,
//!   and stays near zero for residuals that come and go.
//!
//!   The network is not equally well calibrated on every pod: on some healthy pods a feature's
//!   forecasts are a little off in one direction for hours, and a plain sum would grow without
//!   bound there. So each residual is first standardised against its own recent mean and
//!   spread on this pod (exponentially weighted, `drift_memory`), and the sums measure a change
//!   in how the forecasts miss, not a standing bias.
//!
//!   Only the leading `drift_features` (the pod model's numeric signals) are summed: a 0/1
//!   state such as "not ready" is either reported (the rules' business) or not, and a run of
//!   benign readiness blips must not add up to an alarm.

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
pub fn is_warm(observed_for: f64, warm_up: f64, s: &Surprise, config: &SurpriseConfig) -> bool {
    observed_for >= warm_up && s.steps_before >= config.warmup_steps
}

/// Floor of a residual's recent spread: the network's own spread. Standardising may widen a
/// feature the network is overconfident about on this pod, never narrow one: a sparse signal
/// (network errors are zero for hours) must not turn its next small blip into a huge miss.
const MIN_SPREAD: f32 = 1.0;

/// One sample's reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// Smoothed largest |residual|.
    pub spike: f64,
    /// Largest one-sided cumulative residual beyond the slack.
    pub drift: f64,
    /// The feature whose CUSUM is `drift`, and its direction (+1 above the forecasts, -1 below).
    pub drift_feature: Option<(usize, f32)>,
}

/// A stream's running spike and drift statistics. Created when the stream warms up; dropped
/// (and so reset) when it goes cold or away.
#[derive(Debug, Clone, Default)]
pub struct SurpriseTracker {
    smoothed: Option<f64>,
    /// Per feature: the residual's recent mean and variance on this stream, and how many
    /// measured residuals they have seen.
    mean: Vec<f32>,
    variance: Vec<f32>,
    seen: Vec<u32>,
    /// Per feature: cumulative standardised residual above the usual, and below it.
    above: Vec<f32>,
    below: Vec<f32>,
}

impl SurpriseTracker {
    /// Folds in a stream's sample (`None`: its first, nothing was forecast yet), the stream
    /// having been observed for `observed_for` seconds. While the stream is not warm (see [`is_warm`]) the statistics start
    /// afresh and there is no reading; the daemon's scorer and the calibration both read
    /// through here, so they agree on what a reading is.
    pub fn observe(
        &mut self,
        s: Option<&Surprise>,
        observed_for: f64,
        warm_up: f64,
        config: &SurpriseConfig,
    ) -> Option<Reading> {
        match s.filter(|s| is_warm(observed_for, warm_up, s, config)) {
            Some(s) => self.advance(s, config),
            None => {
                *self = SurpriseTracker::default();
                None
            }
        }
    }

    /// Folds in one warm sample; `None` when no feature was measured (the state is kept).
    pub fn advance(&mut self, s: &Surprise, config: &SurpriseConfig) -> Option<Reading> {
        let raw = sample_surprise(s, config)?;
        let spike = smooth(self.smoothed, raw, config);
        self.smoothed = Some(spike);
        let n = s.residuals.len();
        if self.above.len() != n {
            self.mean = vec![0.0; n];
            self.variance = vec![1.0; n];
            self.seen = vec![0; n];
            self.above = vec![0.0; n];
            self.below = vec![0.0; n];
        }
        let slack = config.drift_slack as f32;
        let cap = config.drift_residual_cap as f32;
        let memory = config.drift_memory as f32;
        let mut drift = 0.0f32;
        let mut drift_feature = None;
        let drift_features = (config.drift_features as usize).min(n);
        for (i, r) in s.residuals[..drift_features].iter().enumerate() {
            if !r.is_finite() {
                continue; // unmeasured: the sums wait for the next measurement
            }
            // Capped, so one huge miss (the spike's business) cannot pass for a persistent one,
            // nor blow up the spread it is standardised by.
            let r = r.clamp(-cap, cap);
            let z = ((r - self.mean[i]) / self.variance[i].sqrt().max(MIN_SPREAD)).clamp(-cap, cap);
            let delta = r - self.mean[i];
            self.mean[i] += memory * delta;
            self.variance[i] = (1.0 - memory) * (self.variance[i] + memory * delta * delta);
            self.seen[i] = self.seen[i].saturating_add(1);
            if u64::from(self.seen[i]) <= config.drift_warmup {
                continue; // the mean and spread are not this stream's yet
            }
            self.above[i] = (self.above[i] + z - slack).max(0.0);
            self.below[i] = (self.below[i] - z - slack).max(0.0);
            for (value, sign) in [(self.above[i], 1.0), (self.below[i], -1.0)] {
                if value > drift {
                    drift = value;
                    drift_feature = Some((i, sign));
                }
            }
        }
        Some(Reading {
            spike,
            drift: drift as f64,
            drift_feature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No standardisation (memory 0: mean 0 and spread 1 forever) and no warm-up, so the sums
    /// are of the raw residuals and can be checked by hand.
    fn raw_sums() -> SurpriseConfig {
        SurpriseConfig {
            cap: 20.0,
            smoothing: 0.5,
            warmup_steps: 0,
            drift_slack: 1.0,
            drift_residual_cap: 4.0,
            drift_memory: 0.0,
            drift_warmup: 0,
            drift_features: 2,
        }
    }

    fn sample(residuals: &[f32]) -> Surprise {
        Surprise {
            residuals: residuals.to_vec(),
            expected: vec![0.0; residuals.len()],
            steps_before: 100,
        }
    }

    #[test]
    fn a_persistent_one_sided_miss_accumulates_and_noise_does_not() {
        let c = raw_sums();
        let mut t = SurpriseTracker::default();
        // Residuals of ±1.5 that alternate: each step adds 0.5 on one side, the next removes
        // 2.5 from it, so neither sum ever exceeds 0.5.
        for k in 0..40 {
            let r = if k % 2 == 0 { 1.5 } else { -1.5 };
            let reading = t.advance(&sample(&[r, 0.0]), &c).unwrap();
            assert!(reading.drift <= 0.5 + 1e-6, "{k}: {reading:?}");
        }
        // Now feature 1 sits 2 spreads below its forecasts: 1 beyond the slack per step.
        let mut t = SurpriseTracker::default();
        let mut last = None;
        for _ in 0..10 {
            last = t.advance(&sample(&[0.0, -2.0]), &c);
        }
        let last = last.unwrap();
        assert!((last.drift - 10.0).abs() < 1e-6, "{last:?}");
        assert_eq!(last.drift_feature, Some((1, -1.0)));
        // The spike of a steady 2-spread miss is 2.
        assert!((last.spike - 2.0).abs() < 1e-9);
    }

    #[test]
    fn one_huge_miss_counts_only_up_to_the_cap_and_unmeasured_features_wait() {
        let c = raw_sums();
        let mut t = SurpriseTracker::default();
        let r = t.advance(&sample(&[15.0, f32::NAN]), &c).unwrap();
        assert!(
            (r.drift - 3.0).abs() < 1e-6,
            "capped at 4, minus the slack: {r:?}"
        );
        assert!((r.spike - 15.0).abs() < 1e-9);
        let r = t.advance(&sample(&[f32::NAN, f32::NAN]), &c);
        assert!(r.is_none(), "nothing measured, nothing to say");
        let r = t.advance(&sample(&[3.0, f32::NAN]), &c).unwrap();
        assert!(
            (r.drift - 5.0).abs() < 1e-6,
            "the sum survived the gap: {r:?}"
        );
    }

    #[test]
    fn a_cold_stream_has_no_reading_and_starts_afresh() {
        let c = SurpriseConfig {
            warmup_steps: 50,
            ..raw_sums()
        };
        let mut t = SurpriseTracker::default();
        let miss = sample(&[0.0, -2.0]); // 100 steps before it: warm for the LSTM
        for _ in 0..5 {
            t.observe(Some(&miss), 100.0, 60.0, &c).unwrap();
        }
        assert!(
            t.observe(None, 100.0, 60.0, &c).is_none(),
            "nothing forecast"
        );
        assert!(
            t.observe(Some(&miss), 10.0, 60.0, &c).is_none(),
            "too young"
        );
        let young_lstm = Surprise {
            steps_before: 3,
            ..miss.clone()
        };
        assert!(t.observe(Some(&young_lstm), 100.0, 60.0, &c).is_none());
        // Warm again: the sums restart from zero (one step of 1 beyond the slack).
        let r = t.observe(Some(&miss), 100.0, 60.0, &c).unwrap();
        assert!((r.drift - 1.0).abs() < 1e-6, "{r:?}");
    }

    #[test]
    fn only_the_leading_drift_features_are_summed() {
        let c = raw_sums();
        let mut t = SurpriseTracker::default();
        let mut last = None;
        for _ in 0..20 {
            // The third feature (a 0/1 state) misses by 3 spreads every sample.
            last = t.advance(&sample(&[0.0, 0.0, 3.0]), &c);
        }
        let last = last.unwrap();
        assert_eq!(last.drift, 0.0, "{last:?}");
        assert!((last.spike - 3.0).abs() < 1e-6, "the spike still sees it");
    }

    #[test]
    fn a_standing_bias_is_learned_but_a_new_one_is_summed() {
        let c = SurpriseConfig {
            drift_memory: 0.05,
            drift_warmup: 20,
            ..raw_sums()
        };
        let mut t = SurpriseTracker::default();
        // A feature this pod's forecasts always miss by +2, with a little alternation.
        let mut worst: f64 = 0.0;
        for k in 0..400 {
            let r = 2.0 + if k % 2 == 0 { 0.3 } else { -0.3 };
            let reading = t.advance(&sample(&[r, 0.0]), &c).unwrap();
            if k < 20 {
                assert_eq!(reading.drift, 0.0, "warming up");
            }
            if k >= 200 {
                worst = worst.max(reading.drift);
            }
        }
        assert!(
            worst < 1.0,
            "the standing bias is this pod's normal: {worst}"
        );
        // Then the misses move to +4, two spreads beyond the usual: the sum climbs while the
        // mean catches up (by hand: 2·(1 − 0.95^10)/0.05 − 10 ≈ 6 after ten samples).
        let mut last = None;
        for _ in 0..10 {
            last = t.advance(&sample(&[4.0, 0.0]), &c);
        }
        let last = last.unwrap();
        assert!(last.drift > 5.0 && last.drift < 7.0, "{last:?}");
        assert_eq!(last.drift_feature, Some((0, 1.0)));
    }
}
