//! A level and spread that follow a stream over a horizon without storing it, and that one
//! outlier cannot drag: an exponentially weighted mean and variance with Huber's clipping.
//!
//! Each update moves the mean by at most `K` spreads' worth of the sample's weight, and the
//! variance by at most `K²` spreads²: a spike of 1000σ moves them as one of `K`σ would (the
//! windowed median and MAD the detector used before had the same property, at the cost of
//! storing the window). A lasting change still gets through: each sample pushes the level by
//! `K`σ·α and widens the spread, so the level catches up within a few horizons.
//!
//! The first [`EXACT_SAMPLES`] samples are averaged exactly (no clipping: there is no spread
//! to clip against yet), and until the horizon is full each sample weighs at least `1/n`, so a
//! young stream's level is the mean of what it has seen rather than a biased start.

/// Clipping point, in spreads.
pub const HUBER_K: f64 = 3.0;
/// `E[min(Z², K²)]` for a standard normal Z and K = 3: dividing by it keeps the variance of
/// normal data unbiased after clipping.
const CLIPPED_SECOND_MOMENT: f64 = 0.9707 + 9.0 * 0.0027;
/// Samples averaged exactly before clipping starts.
pub const EXACT_SAMPLES: u32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RobustLevel {
    mean: f64,
    var: f64,
    n: u32,
}

impl RobustLevel {
    /// Samples seen (saturating).
    pub fn count(&self) -> u32 {
        self.n
    }

    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// The spread, never below `floor`.
    pub fn spread(&self, floor: f64) -> f64 {
        self.var.max(0.0).sqrt().max(floor)
    }

    /// `(x − level) / spread`, signed; `None` before `min_samples` samples.
    pub fn z(&self, x: f64, floor: f64, min_samples: u32) -> Option<f64> {
        (self.n >= min_samples.max(1)).then(|| (x - self.mean) / self.spread(floor))
    }

    /// Takes `x` with weight `alpha` (see [`super::horizon::Tick::weight`]).
    pub fn update(&mut self, x: f64, alpha: f64, floor: f64) {
        self.n = self.n.saturating_add(1);
        let n = self.n as f64;
        if self.n <= EXACT_SAMPLES {
            // Welford: the exact mean and (population) variance so far.
            let delta = x - self.mean;
            self.mean += delta / n;
            self.var += (delta * (x - self.mean) - self.var) / n;
            return;
        }
        let a = alpha.max(1.0 / n).min(1.0);
        let s = self.spread(floor);
        let r = (x - self.mean) / s;
        let clipped = r.clamp(-HUBER_K, HUBER_K);
        self.mean += a * clipped * s;
        self.var = (1.0 - a) * self.var + a * clipped * clipped * s * s / CLIPPED_SECOND_MOMENT;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    #[test]
    fn follows_normal_data_and_ignores_a_spike() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let normal = Normal::new(50.0, 2.0).unwrap();
        let mut level = RobustLevel::default();
        for _ in 0..2000 {
            level.update(normal.sample(&mut rng), 0.01, 1e-9);
        }
        assert!((level.mean() - 50.0).abs() < 0.5, "{}", level.mean());
        let spread = level.spread(1e-9);
        assert!((spread - 2.0).abs() < 0.3, "{spread}");
        level.update(1e6, 0.01, 1e-9);
        assert!(
            (level.mean() - 50.0).abs() < 0.6,
            "one spike moves the level by at most K·α·σ"
        );
        assert!(level.spread(1e-9) < 2.6);
    }

    #[test]
    fn a_lasting_shift_is_followed() {
        let mut level = RobustLevel::default();
        for i in 0..500 {
            level.update(10.0 + (i % 3) as f64, 0.02, 1e-9);
        }
        for i in 0..500 {
            level.update(40.0 + (i % 3) as f64, 0.02, 1e-9);
        }
        assert!((level.mean() - 41.0).abs() < 1.0, "{}", level.mean());
    }

    #[test]
    fn the_first_samples_are_averaged_exactly() {
        let mut level = RobustLevel::default();
        for x in [1.0, 2.0, 3.0, 4.0] {
            level.update(x, 0.001, 1e-9);
        }
        assert_eq!(level.mean(), 2.5);
        assert!((level.spread(0.0) - 1.25f64.sqrt()).abs() < 1e-12);
        assert_eq!(level.z(4.0, 0.0, 5), None, "too young");
    }
}
