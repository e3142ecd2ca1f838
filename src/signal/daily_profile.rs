//! The daily cycle of a stream, streamed: its typical value at each time of day, learned over
//! the last few days, in [`PROFILE_BINS`] bins interpolated linearly.
//!
//! A value is compared with what the profile expects at its time of day; the residual is the
//! seasonal source's raw material. Each bin is an exponentially weighted mean whose memory is
//! counted in days (a bin only learns while the clock is near it): 48 numbers per stream where
//! the windowed version kept five days of samples.

use super::horizon::Tick;

/// Bins per day (half an hour each).
pub const PROFILE_BINS: usize = 48;
const DAY_SECONDS: f64 = 86_400.0;
const BIN_SECONDS: f64 = DAY_SECONDS / PROFILE_BINS as f64;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailyProfile {
    /// Expected value per bin; NaN until the bin has seen a value.
    bins: [f32; PROFILE_BINS],
}

impl Default for DailyProfile {
    fn default() -> Self {
        DailyProfile {
            bins: [f32::NAN; PROFILE_BINS],
        }
    }
}

/// The two bins around a time of day and the weight of the second.
fn neighbours(seconds: f64) -> (usize, usize, f64) {
    let position = seconds.rem_euclid(DAY_SECONDS) / BIN_SECONDS - 0.5;
    let below = position.floor();
    let f = position - below;
    let i = (below as i64).rem_euclid(PROFILE_BINS as i64) as usize;
    (i, (i + 1) % PROFILE_BINS, f)
}

impl DailyProfile {
    /// The expected value at `seconds` (Unix time), if the bins around it have been seen.
    pub fn expected(&self, seconds: f64) -> Option<f64> {
        let (i, j, f) = neighbours(seconds);
        let (a, b) = (self.bins[i] as f64, self.bins[j] as f64);
        match (a.is_finite(), b.is_finite()) {
            (true, true) => Some((1.0 - f) * a + f * b),
            (true, false) => Some(a),
            (false, true) => Some(b),
            (false, false) => None,
        }
    }

    /// How far the expectation moves over half a bin around `seconds`: what an edge of the
    /// daily shape that comes a quarter of an hour early or late makes a value miss by.
    pub fn jitter(&self, seconds: f64) -> f64 {
        let (i, j, _) = neighbours(seconds);
        let d = (self.bins[j] - self.bins[i]) as f64 / 2.0;
        if d.is_finite() {
            d.abs()
        } else {
            0.0
        }
    }

    /// Learns `x` at `seconds`; `days` is the memory of each bin.
    pub fn learn(&mut self, seconds: f64, x: f64, tick: &Tick, days: f64) {
        let (i, j, f) = neighbours(seconds);
        let tau = days.max(1e-3) * BIN_SECONDS;
        for (bin, share) in [(i, 1.0 - f), (j, f)] {
            let b = &mut self.bins[bin];
            if !b.is_finite() {
                if share >= 0.5 {
                    *b = x as f32;
                }
                continue;
            }
            let a = -(-share * tick.elapsed / tau).exp_m1();
            *b += (a * (x - *b as f64)) as f32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_a_daily_shape_and_interpolates() {
        let mut p = DailyProfile::default();
        let tick = Tick::regular(300.0);
        for i in 0..288 * 6 {
            let t = i as f64 * 300.0;
            let hour = (t % DAY_SECONDS) / 3600.0;
            let x = if (8.0..18.0).contains(&hour) {
                80.0
            } else {
                20.0
            };
            p.learn(t, x, &tick, 3.0);
        }
        let at = |hour: f64| p.expected(6.0 * DAY_SECONDS + hour * 3600.0).unwrap();
        assert!((at(12.0) - 80.0).abs() < 1.0, "{}", at(12.0));
        assert!((at(3.0) - 20.0).abs() < 1.0, "{}", at(3.0));
        let edge = at(8.0);
        assert!(
            edge > 20.0 && edge < 80.0,
            "interpolated across the step: {edge}"
        );
        assert_eq!(DailyProfile::default().expected(0.0), None);
        // Half a bin's worth of the step where the shape steps, nothing where it is flat.
        let jitter = |hour: f64| p.jitter(6.0 * DAY_SECONDS + hour * 3600.0);
        assert!(jitter(8.0) > 10.0, "{}", jitter(8.0));
        assert!(jitter(3.0) < 0.5, "{}", jitter(3.0));
        assert_eq!(DailyProfile::default().jitter(0.0), 0.0);
    }
}
