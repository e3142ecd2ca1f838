//! A token bucket: at most `per_minute` sends a minute, bursts up to that many. Time is passed
//! in, so it is deterministic under test.

use std::time::Instant;

#[derive(Debug)]
pub struct RateLimit {
    capacity: f64,
    tokens: f64,
    per_second: f64,
    last: Option<Instant>,
}

impl RateLimit {
    pub fn per_minute(n: u32) -> RateLimit {
        let capacity = f64::from(n.max(1));
        RateLimit {
            capacity,
            tokens: capacity,
            per_second: capacity / 60.0,
            last: None,
        }
    }

    /// Takes a token if one is left at `now`.
    pub fn allow(&mut self, now: Instant) -> bool {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.per_second).min(self.capacity);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bursts_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut r = RateLimit::per_minute(3);
        assert!((0..3).all(|_| r.allow(t0)));
        assert!(!r.allow(t0));
        assert!(!r.allow(t0 + Duration::from_secs(19)));
        assert!(r.allow(t0 + Duration::from_secs(21)), "one token per 20 s");
        assert!(!r.allow(t0 + Duration::from_secs(22)));
    }
}
