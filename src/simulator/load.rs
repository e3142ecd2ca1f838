//! Load factor of a workload: the daily cycle times any benign load swell in progress.
//!
//! CPU and network of every replica scale with the same factor, so they stay correlated and
//! peers move together.

use chrono::{DateTime, Utc};
use std::f64::consts::TAU;

const DAY_SECS: f64 = 86_400.0;

/// Daily sinusoid; the phase is drawn once per cluster so "night" falls at a random hour.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DailyCycle {
    pub phase_radians: f64,
}

impl DailyCycle {
    pub fn factor(&self, amplitude: f64, at: DateTime<Utc>) -> f64 {
        let seconds = at.timestamp_millis() as f64 / 1000.0;
        1.0 + amplitude * (TAU * seconds / DAY_SECS + self.phase_radians).sin()
    }
}

/// A smooth rise of one workload's load to `peak` times normal, held, then a smooth return.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LoadSwell {
    pub workload: usize,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub peak: f64,
}

impl LoadSwell {
    /// Share of the swell spent rising (and again falling).
    const RAMP_SHARE: f64 = 0.25;

    pub fn factor(&self, at: DateTime<Utc>) -> f64 {
        if at <= self.start || at >= self.end {
            return 1.0;
        }
        let duration = (self.end - self.start).as_seconds_f64();
        let ramp = duration * Self::RAMP_SHARE;
        let rising = smoothstep((at - self.start).as_seconds_f64() / ramp);
        let falling = smoothstep((self.end - at).as_seconds_f64() / ramp);
        1.0 + (self.peak - 1.0) * rising.min(falling)
    }
}

/// 0 below 0, 1 above 1, an S-curve in between: no kink a detector could mistake for a step.
pub(crate) fn smoothstep(x: f64) -> f64 {
    let x = x.clamp(0.0, 1.0);
    x * x * (3.0 - 2.0 * x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn swell_rises_holds_and_returns_smoothly() {
        let start: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let swell = LoadSwell {
            workload: 0,
            start,
            end: start + TimeDelta::minutes(20),
            peak: 1.8,
        };
        assert_eq!(swell.factor(start - TimeDelta::seconds(1)), 1.0);
        assert!((swell.factor(start + TimeDelta::minutes(10)) - 1.8).abs() < 1e-9);
        let early = swell.factor(start + TimeDelta::minutes(1));
        assert!(early > 1.0 && early < 1.4, "{early}");
        let mut previous = 1.0;
        for second in (0..=300).step_by(5) {
            let f = swell.factor(start + TimeDelta::seconds(second));
            assert!(
                f >= previous && f - previous < 0.05,
                "no jumps while rising"
            );
            previous = f;
        }
        assert_eq!(swell.factor(start + TimeDelta::minutes(20)), 1.0);
    }

    #[test]
    fn daily_cycle_has_a_24_hour_period() {
        let cycle = DailyCycle { phase_radians: 1.0 };
        let t: DateTime<Utc> = "2026-01-01T05:00:00Z".parse().unwrap();
        let a = cycle.factor(0.3, t);
        let b = cycle.factor(0.3, t + TimeDelta::hours(24));
        let c = cycle.factor(0.3, t + TimeDelta::hours(12));
        assert!((a - b).abs() < 1e-9);
        assert!(
            ((a - 1.0) + (c - 1.0)).abs() < 1e-9,
            "half a day later it mirrors"
        );
        assert!((0.7..=1.3).contains(&a));
    }
}
