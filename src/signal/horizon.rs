//! Time in the per-signal detector: every memory is a duration, and each sample weighs what
//! the time it covers is worth, so the same behaviour sampled every 1 s, 5 s or 15 s gives the
//! same statistics.
//!
//! A statistic with horizon `τ` takes a new sample with weight `α = 1 − exp(−e/τ)`, where `e`
//! is the time since the previous sample ([`Tick::elapsed`]). Two guards keep that honest:
//! - **Gaps are not evidence.** `e` is at most [`MAX_STEPS_PER_SAMPLE`] typical steps: after a
//!   source outage one sample must not overwrite an hour of memory. Repeated timestamps (a
//!   daylight-saving change in a series, two samples in one instant) still count a little.
//! - **Coarse series keep enough samples.** Below the reference step (15 s by default, the
//!   coarsest interval a pod collector uses) horizons are time. A series sampled more coarsely
//!   than that (a 5-minute CloudWatch metric, NAB's series) is read as if each of its samples
//!   were one reference step: its horizons hold as many samples as a 15 s series' do, so a
//!   "16-minute" short window is 64 samples of a 5-minute series, not 3.
//!
//! The typical step is learned per stream from the timestamps ([`Cadence`]), so nothing needs
//! to be told the collection interval.

/// A memory, in seconds of a series sampled at or below the reference step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Horizon(pub f64);

impl Horizon {
    pub fn minutes(m: f64) -> Horizon {
        Horizon(m * 60.0)
    }

    pub fn hours(h: f64) -> Horizon {
        Horizon(h * 3600.0)
    }

    pub fn seconds(self) -> f64 {
        self.0
    }
}

/// The most steps of time one sample may stand for (a gap counts as this much, no more).
pub const MAX_STEPS_PER_SAMPLE: f64 = 4.0;
/// The least share of a step a sample stands for (repeated timestamps).
const MIN_STEPS_PER_SAMPLE: f64 = 0.25;
/// How fast the learned step follows a change of cadence (a share of itself per sample).
const STEP_LEARNING: f64 = 0.05;

/// One sample's worth of time, as the statistics should weigh it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tick {
    /// Effective seconds since the previous sample (see the module docs).
    pub elapsed: f64,
    /// How much longer than their nominal duration horizons are for this stream (1 below the
    /// reference step).
    pub stretch: f64,
}

impl Tick {
    /// A tick of one reference step: what a regular stream at the reference cadence sees.
    pub fn regular(step: f64) -> Tick {
        Tick {
            elapsed: step,
            stretch: 1.0,
        }
    }

    /// The weight of this sample in a statistic of horizon `h`.
    pub fn weight(&self, h: Horizon) -> f64 {
        let tau = (h.0 * self.stretch).max(1e-9);
        -(-self.elapsed / tau).exp_m1()
    }

    /// How many samples (at this stream's cadence) a horizon holds.
    pub fn samples_in(&self, h: Horizon) -> f64 {
        h.0 * self.stretch / self.elapsed.max(1e-9)
    }
}

/// A stream's sampling cadence, learned from its timestamps: a running median of the steps
/// between samples (in log space, so a few long gaps or repeated timestamps do not move it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cadence {
    /// Typical seconds between samples; 0 until two samples were seen.
    step: f32,
    last: Option<f64>,
}

impl Default for Cadence {
    fn default() -> Self {
        Cadence {
            step: 0.0,
            last: None,
        }
    }
}

impl Cadence {
    /// The typical step so far, in seconds (`None` before the second sample).
    pub fn step(&self) -> Option<f64> {
        (self.step > 0.0).then_some(self.step as f64)
    }

    /// Learns from a sample at `seconds` and says how much time it stands for. `reference` is
    /// the reference step (see the module docs).
    pub fn tick(&mut self, seconds: f64, reference: f64) -> Tick {
        let dt = self.last.map(|last| seconds - last);
        self.last = Some(self.last.map_or(seconds, |last| last.max(seconds)));
        // The time this sample stands for is read against the cadence known before it.
        let tick = self.step().map(|step| Tick {
            elapsed: dt
                .unwrap_or(step)
                .clamp(MIN_STEPS_PER_SAMPLE * step, MAX_STEPS_PER_SAMPLE * step),
            stretch: (step / reference).max(1.0),
        });
        if let Some(dt) = dt.filter(|d| *d > 0.0) {
            let dt = dt as f32;
            if self.step <= 0.0 {
                self.step = dt;
            } else if dt > self.step {
                self.step *= 1.0 + STEP_LEARNING as f32;
            } else if dt < self.step {
                self.step /= 1.0 + STEP_LEARNING as f32;
            }
        }
        tick.unwrap_or(Tick {
            elapsed: dt.filter(|d| *d > 0.0).unwrap_or(reference),
            stretch: (dt.unwrap_or(0.0) / reference).max(1.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_horizon_weighs_the_same_time_the_same_at_any_fine_cadence() {
        let h = Horizon::minutes(10.0);
        // After ten minutes of samples, the weight left on the start is the same at 1, 5, 15 s.
        let left = |step: f64| {
            let w = Tick::regular(step).weight(h);
            (1.0 - w).powf(600.0 / step)
        };
        let (a, b, c) = (left(1.0), left(5.0), left(15.0));
        assert!((a - b).abs() < 1e-9 && (b - c).abs() < 1e-9, "{a} {b} {c}");
        assert!((a - (-1.0f64).exp()).abs() < 1e-9);
    }

    #[test]
    fn cadence_is_learned_and_coarse_series_are_stretched() {
        let mut c = Cadence::default();
        let mut last = Tick::regular(15.0);
        for i in 0..50 {
            last = c.tick(i as f64 * 300.0, 15.0);
        }
        assert_eq!(c.step(), Some(300.0));
        assert_eq!(last.elapsed, 300.0);
        assert_eq!(last.stretch, 20.0);
        // A 16-minute horizon holds 64 samples of a 5-minute series.
        assert!((last.samples_in(Horizon::minutes(16.0)) - 64.0).abs() < 1e-9);
        // At 5 s it is time: 192 samples.
        let mut fine = Cadence::default();
        for i in 0..50 {
            last = fine.tick(i as f64 * 5.0, 15.0);
        }
        assert_eq!(last.stretch, 1.0);
        assert!((last.samples_in(Horizon::minutes(16.0)) - 192.0).abs() < 1e-9);
    }

    #[test]
    fn a_gap_counts_as_a_few_steps_and_repeats_as_a_little() {
        let mut c = Cadence::default();
        for i in 0..20 {
            c.tick(i as f64 * 5.0, 15.0);
        }
        let gap = c.tick(95.0 + 3600.0, 15.0);
        assert_eq!(gap.elapsed, MAX_STEPS_PER_SAMPLE * 5.0);
        let repeat = c.tick(95.0 + 3600.0, 15.0);
        assert!(
            repeat.elapsed < 2.0,
            "a repeated timestamp counts a little: {}",
            repeat.elapsed
        );
        let step = c.step().unwrap();
        assert!(
            (step - 5.0).abs() < 0.5,
            "one gap hardly moves the cadence: {step}"
        );
    }
}
