//! Load factor of a workload: the daily cycle times the weekly cycle times any benign load
//! swell in progress (an autoscaler episode's demand is one too).
//!
//! CPU and network of every replica scale with the same factor, so they stay correlated and
//! peers move together. The weekly cycle lowers the load on weekends, with transitions of a
//! few hours around the cluster's local midnight: benign, it is what every user-facing service
//! sees.

use chrono::{DateTime, TimeDelta, Utc};
use std::f64::consts::{PI, TAU};

const DAY_SECS: f64 = 86_400.0;

/// The daily cycle's low point falls at this local time (04:00): night traffic is lowest then.
const LOCAL_LOW_POINT_SECS: f64 = 4.0 * 3600.0;

/// Length of the weekend transitions, centred on local midnight of Friday and Sunday.
const WEEKEND_TRANSITION_SECS: f64 = 6.0 * 3600.0;

/// The Unix epoch (1970-01-01) was a Thursday: local Saturday 00:00 is two days into a week
/// counted from it.
const SATURDAY_IN_EPOCH_WEEK_SECS: f64 = 2.0 * DAY_SECS;

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

/// Weekends at a lower load. Local time is set by the daily cycle (its low point at 04:00
/// local), so nights and weekends agree. Positions in the week are whole milliseconds, so the
/// weekend's bounds are exact.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WeeklyCycle {
    /// Local midnight, in milliseconds after UTC midnight.
    midnight_offset_ms: i64,
}

impl WeeklyCycle {
    const WEEK_MS: i64 = 7 * 86_400_000;
    const TRANSITION_MS: i64 = (WEEKEND_TRANSITION_SECS * 1000.0) as i64;
    /// The weekend with its transitions: Friday 21:00 to Monday 03:00 local.
    const WEEKEND_MS: i64 = 2 * 86_400_000 + Self::TRANSITION_MS;

    pub fn new(daily: &DailyCycle) -> WeeklyCycle {
        // The daily sine is lowest where its argument is 3π/2.
        let low_point_secs =
            ((1.5 * PI - daily.phase_radians) / TAU * DAY_SECS).rem_euclid(DAY_SECS);
        let offset_secs = (low_point_secs - LOCAL_LOW_POINT_SECS).rem_euclid(DAY_SECS);
        WeeklyCycle {
            midnight_offset_ms: (offset_secs * 1000.0).round() as i64,
        }
    }

    /// Milliseconds since the start of the transition into the weekend of `at`'s week (Friday
    /// 21:00 local), in `[0, week)`.
    fn since_weekend_start(&self, at: DateTime<Utc>) -> i64 {
        let local = at.timestamp_millis() - self.midnight_offset_ms;
        let saturday = (SATURDAY_IN_EPOCH_WEEK_SECS * 1000.0) as i64;
        (local - saturday + Self::TRANSITION_MS / 2).rem_euclid(Self::WEEK_MS)
    }

    /// How much of the weekend is in force at `at`: 0 on weekdays, 1 from Saturday 03:00 to
    /// Sunday 21:00 local, smooth in between.
    pub fn weekend_weight(&self, at: DateTime<Utc>) -> f64 {
        let since = self.since_weekend_start(at) as f64;
        let transition = Self::TRANSITION_MS as f64;
        let rise = smoothstep(since / transition);
        let fall = smoothstep((Self::WEEKEND_MS as f64 - since) / transition);
        rise.min(fall)
    }

    /// Load factor of a workload losing `dip` of its load on weekends.
    pub fn factor(&self, dip: f64, at: DateTime<Utc>) -> f64 {
        1.0 - dip * self.weekend_weight(at)
    }

    /// The weekend (its transitions included) in progress at `at`, or the next one.
    pub fn weekend_around(&self, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let since = self.since_weekend_start(at);
        let to_start = if since < Self::WEEKEND_MS {
            -since
        } else {
            Self::WEEK_MS - since
        };
        let start = at + TimeDelta::milliseconds(to_start);
        (start, start + TimeDelta::milliseconds(Self::WEEKEND_MS))
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
    pub(crate) const RAMP_SHARE: f64 = 0.25;

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
    fn weekends_are_lower_with_smooth_transitions_at_local_midnight() {
        let daily = DailyCycle { phase_radians: 2.0 };
        let weekly = WeeklyCycle::new(&daily);
        // A week from Monday noon UTC (a weekday in the cluster's local time), every 5 minutes.
        let monday: DateTime<Utc> = "2026-01-05T12:00:00Z".parse().unwrap();
        let mut previous = weekly.factor(0.3, monday);
        let mut low = Vec::new();
        for step in 0..(7 * 288) {
            let t = monday + TimeDelta::minutes(5 * step);
            let f = weekly.factor(0.3, t);
            assert!((f - previous).abs() < 0.01, "smooth at {t}");
            assert!((0.7 - 1e-9..=1.0).contains(&f));
            if f < 0.71 {
                low.push(t);
            }
            previous = f;
        }
        // About 42 h fully low (48 h of weekend less the two half-transitions).
        let hours = low.len() as f64 / 12.0;
        assert!((40.0..44.0).contains(&hours), "{hours}");
        let (start, end) = weekly.weekend_around(low[0]);
        assert!(start < low[0] && end > *low.last().unwrap());
        assert_eq!(end - start, TimeDelta::hours(54));
        assert_eq!(weekly.factor(0.3, start), 1.0);
        assert_eq!(weekly.weekend_around(start), (start, end));
        assert_eq!(weekly.weekend_around(end).0, start + TimeDelta::days(7));
        for phase in [0.0, 0.7, 2.0, 3.3, 5.9, 6.2] {
            let weekly = WeeklyCycle::new(&DailyCycle {
                phase_radians: phase,
            });
            let (s, e) = weekly.weekend_around(monday);
            assert_eq!(weekly.weekend_around(e).0, s + TimeDelta::days(7));
            assert_eq!(weekly.weekend_around(e - TimeDelta::milliseconds(1)).0, s);
        }
        // Local midnight sits 4 h before the daily low point.
        let low_point = (0..288)
            .map(|k| monday + TimeDelta::minutes(5 * k))
            .min_by(|a, b| daily.factor(0.3, *a).total_cmp(&daily.factor(0.3, *b)))
            .unwrap();
        let saturday_midnight = start + TimeDelta::hours(3);
        let gap = (saturday_midnight - low_point)
            .num_minutes()
            .rem_euclid(24 * 60);
        assert!((gap - 20 * 60).abs() <= 5, "{gap}");
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
