//! Synthetic series for the unit tests: seeded noise, a daily square wave, observations.

use super::surprise_source::{Observation, SurpriseSource};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// Five minutes between samples, as in the NAB series.
pub const STEP_SECONDS: i64 = 300;

pub fn noisy(n: usize, mean: f64, sd: f64, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(mean, sd).expect("valid normal");
    (0..n).map(|_| normal.sample(&mut rng)).collect()
}

/// Low (20) at night, high (80) from sample 100 to 200 of each `period`, with a little noise.
pub fn daily_square(n: usize, period: usize, seed: u64) -> Vec<f64> {
    let noise = noisy(n, 0.0, 1.0, seed);
    (0..n)
        .map(|i| {
            let phase = i % period;
            let level = if (100..200).contains(&phase) {
                80.0
            } else {
                20.0
            };
            level + noise[i]
        })
        .collect()
}

pub fn observations(values: &[f64]) -> Vec<Observation> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| Observation {
            seconds: 1_400_000_000 + i as i64 * STEP_SECONDS,
            value: *v,
        })
        .collect()
}

pub fn feed(source: &mut dyn SurpriseSource, values: &[f64]) -> Vec<Option<f64>> {
    observations(values)
        .into_iter()
        .map(|o| source.observe(o))
        .collect()
}
