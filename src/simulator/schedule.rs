//! When things happen: Poisson arrival clocks, clocks with bounded gaps (planned maintenance)
//! and the deck of fault kinds.

use crate::fault_label::FaultKind;
use chrono::{DateTime, TimeDelta, Utc};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

/// Arrivals of a Poisson process: exponential gaps with a fixed mean.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PoissonClock {
    pub next_at: DateTime<Utc>,
    mean_gap_secs: f64,
}

impl PoissonClock {
    /// A clock whose first arrival is one random gap after `from`.
    pub fn starting_after(from: DateTime<Utc>, mean_gap_secs: f64, rng: &mut ChaCha8Rng) -> Self {
        let mut clock = PoissonClock {
            next_at: from,
            mean_gap_secs,
        };
        clock.schedule_next(rng);
        clock
    }

    /// A clock that never fires (a switched-off kind of event).
    pub fn never() -> Self {
        PoissonClock {
            next_at: DateTime::<Utc>::MAX_UTC,
            mean_gap_secs: f64::INFINITY,
        }
    }

    /// A clock whose first arrival is exactly `at`.
    pub fn first_at(at: DateTime<Utc>, mean_gap_secs: f64) -> Self {
        PoissonClock {
            next_at: at,
            mean_gap_secs,
        }
    }

    /// Moves to the next arrival, one exponential gap after the current one.
    pub fn schedule_next(&mut self, rng: &mut ChaCha8Rng) {
        let gap_secs = match Exp::new(1.0 / self.mean_gap_secs.max(1e-3)) {
            Ok(exp) => exp.sample(rng),
            Err(_) => self.mean_gap_secs,
        };
        // At least one second apart: arrivals stay distinct and the clock always moves on.
        let gap_ms = (gap_secs * 1000.0).clamp(1000.0, 1e12) as i64;
        self.delay_by(TimeDelta::milliseconds(gap_ms));
    }

    /// Moves the next arrival `delay` later, e.g. to retry when nothing could take it now.
    pub fn delay_by(&mut self, delay: TimeDelta) {
        // Far-future clocks (a fault gap of centuries) saturate instead of overflowing.
        self.next_at = self
            .next_at
            .checked_add_signed(delay)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
    }
}

/// Arrivals with gaps drawn uniformly in `[min, max]` seconds: regular-ish, like planned work.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GapClock {
    pub next_at: DateTime<Utc>,
    min_gap_secs: f64,
    max_gap_secs: f64,
}

impl GapClock {
    /// A clock whose first arrival falls uniformly within one mean gap after `from`.
    pub fn starting_after(
        from: DateTime<Utc>,
        (min_gap_secs, max_gap_secs): (f64, f64),
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let mean = (min_gap_secs + max_gap_secs) / 2.0;
        let mut clock = GapClock {
            next_at: from,
            min_gap_secs,
            max_gap_secs,
        };
        clock.delay_by(seconds(rng.random_range(1.0..mean.max(2.0))));
        clock
    }

    pub fn never() -> Self {
        GapClock {
            next_at: DateTime::<Utc>::MAX_UTC,
            min_gap_secs: f64::INFINITY,
            max_gap_secs: f64::INFINITY,
        }
    }

    /// Moves to the next arrival, one drawn gap after the current one.
    pub fn schedule_next(&mut self, rng: &mut ChaCha8Rng) {
        let gap = if self.max_gap_secs > self.min_gap_secs {
            rng.random_range(self.min_gap_secs..self.max_gap_secs)
        } else {
            self.min_gap_secs
        };
        self.delay_by(seconds(gap.max(1.0)));
    }

    /// Moves the next arrival `delay` later (nothing could take it now).
    pub fn delay_by(&mut self, delay: TimeDelta) {
        self.next_at = self
            .next_at
            .checked_add_signed(delay)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
    }
}

fn seconds(secs: f64) -> TimeDelta {
    TimeDelta::milliseconds((secs * 1000.0).clamp(0.0, 1e12) as i64)
}

/// Draws fault kinds so that every kind appears: each round is a fresh shuffle of all seven.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct FaultKindDeck {
    remaining: Vec<FaultKind>,
}

impl FaultKindDeck {
    pub fn draw(&mut self, rng: &mut ChaCha8Rng) -> FaultKind {
        if self.remaining.is_empty() {
            self.remaining = FaultKind::ALL.to_vec();
            self.remaining.shuffle(rng);
        }
        self.remaining.pop().unwrap_or(FaultKind::CrashLoop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::BTreeSet;

    #[test]
    fn every_round_of_the_deck_holds_each_kind_once() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut deck = FaultKindDeck::default();
        for _ in 0..3 {
            let round: BTreeSet<_> = (0..7).map(|_| deck.draw(&mut rng)).collect();
            assert_eq!(round.len(), 7);
        }
    }

    #[test]
    fn gap_clock_gaps_stay_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(6);
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut clock = GapClock::starting_after(start, (3.0 * 3600.0, 4.0 * 3600.0), &mut rng);
        assert!(clock.next_at > start && clock.next_at <= start + TimeDelta::minutes(210));
        for _ in 0..100 {
            let before = clock.next_at;
            clock.schedule_next(&mut rng);
            let gap = clock.next_at - before;
            assert!(
                gap >= TimeDelta::hours(3) && gap <= TimeDelta::hours(4),
                "{gap}"
            );
        }
        assert_eq!(GapClock::never().next_at, DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn poisson_gaps_average_to_the_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let mut clock = PoissonClock::first_at(start, 300.0);
        for _ in 0..2000 {
            clock.schedule_next(&mut rng);
        }
        let mean = (clock.next_at - start).as_seconds_f64() / 2000.0;
        assert!((280.0..320.0).contains(&mean), "{mean}");
    }
}
