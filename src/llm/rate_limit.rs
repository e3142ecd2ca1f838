//! The request rate limit: at most N requests in any 60 seconds (a sliding window over the
//! times of the last N requests), over an injectable [`Clock`] so it can be tested without
//! waiting. A request that finds no free slot is refused at once rather than queued: the caller
//! has a rule-based explanation to fall back on, and a queue would only grow in an incident
//! storm.

use crate::clock::Clock;
use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const WINDOW: Duration = Duration::from_secs(60);

pub struct RateLimiter {
    per_minute: u32,
    clock: Arc<dyn Clock>,
    /// Times of the requests admitted in the last minute, oldest first.
    recent: Mutex<VecDeque<DateTime<Utc>>>,
}

impl RateLimiter {
    /// `per_minute` is at least 1.
    pub fn new(per_minute: u32, clock: Arc<dyn Clock>) -> RateLimiter {
        RateLimiter {
            per_minute: per_minute.max(1),
            clock,
            recent: Mutex::new(VecDeque::new()),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Takes a slot now, or says how long until the next one frees up.
    pub fn try_acquire(&self) -> Result<(), Duration> {
        let now = self.clock.now();
        let window = chrono::Duration::from_std(WINDOW).unwrap_or(chrono::Duration::MAX);
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        while recent.front().is_some_and(|t| now - *t >= window) {
            recent.pop_front();
        }
        if recent.len() < self.per_minute as usize {
            recent.push_back(now);
            return Ok(());
        }
        let oldest = *recent.front().expect("full, so not empty");
        Err((oldest + window - now).to_std().unwrap_or(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn at_most_n_in_any_minute() {
        let clock = Arc::new(ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
        let limiter = RateLimiter::new(3, clock.clone());
        assert!(limiter.try_acquire().is_ok());
        clock.advance(chrono::Duration::seconds(20));
        assert!(limiter.try_acquire().is_ok());
        assert!(limiter.try_acquire().is_ok());
        // Full: the first slot frees 60s after it was taken, i.e. in 40s.
        assert_eq!(limiter.try_acquire(), Err(Duration::from_secs(40)));
        clock.advance(chrono::Duration::seconds(39));
        assert_eq!(limiter.try_acquire(), Err(Duration::from_secs(1)));
        clock.advance(chrono::Duration::seconds(1));
        assert!(limiter.try_acquire().is_ok());
        assert!(limiter.try_acquire().is_err());
        clock.advance(chrono::Duration::seconds(60));
        for _ in 0..3 {
            assert!(limiter.try_acquire().is_ok());
        }
        assert!(limiter.try_acquire().is_err());
    }
}
