//! Memory trend: at the current rate of growth, how long until the pod hits its memory limit?
//!
//! A leak climbs steadily; a GC sawtooth climbs and falls. A least-squares line over the last
//! few minutes tells them apart by its fit (R²): a steady climb fits a line, a sawtooth does
//! not. The fit is streamed: exponentially weighted sums of `t`, `y`, `t²`, `ty` and `y²`
//! (kept relative to the latest sample's time, so they stay precise), weighed by the time each
//! sample covers, so the same climb gives the same slope at any sampling interval.

use crate::signal::{Horizon, Tick};

/// How far back the line is fitted (the mean age of its weights).
pub const TREND_HORIZON: Horizon = Horizon(5.0 * 60.0);
/// Time observed before a trend is reported (three minutes of samples).
pub const TREND_MIN_SECONDS: f64 = 180.0;

/// A fitted memory trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryTrend {
    /// Growth in bytes per minute.
    pub bytes_per_minute: f64,
    /// Share of the variance the line explains, 0..=1.
    pub r_squared: f64,
    /// Minutes until the limit at this rate; None without a limit or without growth.
    pub minutes_to_limit: Option<f64>,
}

/// The streamed weighted sums of one pod's memory over time.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MemoryTrendState {
    /// Σw, Σw·t, Σw·y, Σw·t², Σw·t·y, Σw·y²; `t` in seconds relative to the latest sample.
    sums: [f64; 6],
    /// The latest sample's time (seconds) and the time observed so far.
    last: f64,
    observed: f32,
}

impl MemoryTrendState {
    /// Takes one memory sample (bytes) at `seconds`; `tick` is the time it covers.
    pub fn observe(&mut self, seconds: f64, bytes: f64, tick: &Tick) {
        if !bytes.is_finite() {
            return;
        }
        let [s0, st, sy, stt, sty, syy] = &mut self.sums;
        if *s0 > 0.0 {
            // Move the time origin to this sample: t' = t − d.
            let d = seconds - self.last;
            *stt += -2.0 * d * *st + d * d * *s0;
            *sty -= d * *sy;
            *st -= d * *s0;
            let keep = 1.0 - tick.weight(TREND_HORIZON);
            for s in [
                &mut *s0, &mut *st, &mut *sy, &mut *stt, &mut *sty, &mut *syy,
            ] {
                *s *= keep;
            }
            self.observed = (self.observed + tick.elapsed as f32).min(TREND_MIN_SECONDS as f32);
        }
        let w = tick.elapsed;
        *s0 += w;
        *sy += w * bytes;
        *syy += w * bytes * bytes;
        self.last = seconds;
    }

    /// The trend so far, and the time to `limit` from `current` at its rate.
    pub fn trend(&self, current: Option<f64>, limit: Option<f64>) -> Option<MemoryTrend> {
        let current = current?;
        if (self.observed as f64) < TREND_MIN_SECONDS {
            return None;
        }
        let [s0, st, sy, stt, sty, syy] = self.sums;
        let var_t = stt - st * st / s0;
        let cov = sty - st * sy / s0;
        let var_y = syy - sy * sy / s0;
        if var_t <= 0.0 {
            return None;
        }
        let slope_per_second = cov / var_t;
        let r_squared = if var_y > 0.0 {
            (cov * cov / (var_t * var_y)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let bytes_per_minute = slope_per_second * 60.0;
        let minutes_to_limit = match limit {
            Some(l) if bytes_per_minute > 0.0 => Some(((l - current) / bytes_per_minute).max(0.0)),
            _ => None,
        };
        Some(MemoryTrend {
            bytes_per_minute,
            r_squared,
            minutes_to_limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fitted(step: f64, minutes: f64, f: impl Fn(f64) -> f64) -> MemoryTrend {
        let mut state = MemoryTrendState::default();
        let tick = Tick::regular(step);
        let n = (minutes * 60.0 / step) as usize;
        for i in 0..n {
            let t = i as f64 * step;
            state.observe(t, f(t), &tick);
        }
        let last = (n - 1) as f64 * step;
        state.trend(Some(f(last)), Some(f(last) + 100e6)).unwrap()
    }

    #[test]
    fn a_steady_climb_projects_the_time_to_the_limit_at_any_interval() {
        // +12 MB per minute; 100 MB left at the end.
        for step in [1.0, 5.0, 15.0] {
            let t = fitted(step, 20.0, |t| 100e6 + t * 0.2e6);
            assert!(
                (t.bytes_per_minute - 12e6).abs() / 12e6 < 1e-6,
                "{step}: {t:?}"
            );
            assert!(t.r_squared > 0.999);
            let minutes = t.minutes_to_limit.unwrap();
            assert!((minutes - 100.0 / 12.0).abs() < 0.01, "{minutes}");
        }
    }

    #[test]
    fn a_sawtooth_does_not_fit_a_line() {
        // Climbs for 3 minutes, then a GC frees a third.
        let t = fitted(5.0, 30.0, |t| 200e6 + (t % 180.0) * 0.5e6);
        assert!(t.r_squared < 0.5, "{t:?}");
    }

    #[test]
    fn too_little_time_gives_no_trend() {
        let mut state = MemoryTrendState::default();
        let tick = Tick::regular(5.0);
        for i in 0..20 {
            state.observe(i as f64 * 5.0, 1e8 + i as f64, &tick);
        }
        assert_eq!(state.trend(Some(1e8), Some(2e8)), None);
    }
}
