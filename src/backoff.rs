//! Exponential backoff with jitter, for the HTTP clients' retries: `base · 2^attempt`, plus up
//! to half of that at random, so that many daemons restarted together do not retry in
//! lock-step. The random stream is seeded per process.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug)]
pub struct Backoff {
    base: Duration,
    jitter: Mutex<ChaCha8Rng>,
}

impl Backoff {
    pub fn new(base: Duration) -> Backoff {
        Backoff::seeded(base, process_seed())
    }

    /// With a fixed seed, for tests.
    pub fn seeded(base: Duration, seed: u64) -> Backoff {
        Backoff {
            base,
            jitter: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
        }
    }

    /// The wait before retry number `attempt + 1`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let base = self.base.saturating_mul(1 << attempt.min(16));
        let jitter = match self.jitter.lock() {
            Ok(mut rng) => rng.random_range(0.0..0.5),
            Err(_) => 0.25,
        };
        base + base.mul_f64(jitter)
    }
}

/// Different for every process and start.
fn process_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(std::process::id()) << 32)
}

/// An error and its causes on one line, each said once (reqwest and kube hide the useful part
/// in `source`).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let c_text = c.to_string();
        if !text.contains(&c_text) {
            text.push_str(": ");
            text.push_str(&c_text);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_with_up_to_half_again_of_jitter() {
        let b = Backoff::seeded(Duration::from_millis(100), 1);
        for attempt in 0..4 {
            let d = b.delay(attempt);
            let base = Duration::from_millis(100 * (1 << attempt));
            assert!(d >= base && d < base.mul_f64(1.5), "{attempt}: {d:?}");
        }
    }
}
