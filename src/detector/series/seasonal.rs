//! Surprise against the daily cycle: the value minus the median of the values at the same time
//! of day on the previous `days` days, as a robust z-score against the recent history of such
//! residuals. A daily pattern that repeats is not surprising however steep it is; a day that
//! breaks it (a missing peak, a level stuck mid-way) is.
//!
//! The period is a day in samples, from the median step of the first timestamps; sampling
//! steps of a quarter of a day or more have no usable daily cycle and this source stays silent.

use super::sorted_window::SortedWindow;
use super::surprise_source::{Observation, SurpriseSource};
use super::value_range::ValueRange;
use std::collections::VecDeque;

const DAY_SECONDS: f64 = 86_400.0;
/// Timestamps used to measure the sampling step.
const STEP_SAMPLES: usize = 10;
/// Fewer samples per day than this is no cycle to model.
const MIN_PERIOD: usize = 4;
/// Residuals needed before the first surprise.
const MIN_RESIDUALS: usize = 64;

#[derive(Debug, Clone)]
pub struct Seasonal {
    days: usize,
    floor_fraction: f64,
    /// Timestamps of the first samples, until the period is known.
    first_seconds: Vec<i64>,
    /// Samples per day; `Some(0)` when there is no usable cycle.
    period: Option<usize>,
    /// The last `days` periods of values (all values until the period is known).
    past: VecDeque<f64>,
    seen: usize,
    residuals: SortedWindow,
    range: ValueRange,
}

impl Seasonal {
    /// `days`: previous days compared with; `residual_window`: residuals the spread is taken
    /// from.
    pub fn new(days: usize, residual_window: usize, floor_fraction: f64) -> Seasonal {
        Seasonal {
            days: days.max(1),
            floor_fraction,
            first_seconds: Vec::with_capacity(STEP_SAMPLES),
            period: None,
            past: VecDeque::new(),
            seen: 0,
            residuals: SortedWindow::new(residual_window),
            range: ValueRange::default(),
        }
    }

    /// Samples per day, once known.
    pub fn period(&self) -> Option<usize> {
        self.period
    }

    fn learn_period(&mut self, seconds: i64) {
        self.first_seconds.push(seconds);
        if self.first_seconds.len() < STEP_SAMPLES {
            return;
        }
        let mut steps: Vec<i64> = self.first_seconds.windows(2).map(|w| w[1] - w[0]).collect();
        steps.sort_unstable();
        let step = steps[steps.len() / 2] as f64;
        let period = if step > 0.0 {
            (DAY_SECONDS / step).round() as usize
        } else {
            0
        };
        self.period = Some(if period >= MIN_PERIOD { period } else { 0 });
    }

    fn residual(&self, value: f64, period: usize) -> Option<f64> {
        // The sample `j` days back is `j * period` samples before this one.
        if self.seen < 2 * period {
            return None;
        }
        let mut same_time: Vec<f64> = (1..=self.days)
            .map(|j| j * period)
            .filter(|back| *back <= self.past.len())
            .map(|back| self.past[self.past.len() - back])
            .collect();
        same_time.sort_unstable_by(f64::total_cmp);
        let n = same_time.len();
        let median = if n % 2 == 1 {
            same_time[n / 2]
        } else {
            0.5 * (same_time[n / 2 - 1] + same_time[n / 2])
        };
        Some(value - median)
    }
}

impl SurpriseSource for Seasonal {
    fn name(&self) -> &str {
        "seasonal"
    }

    fn observe(&mut self, obs: Observation) -> Option<f64> {
        if self.period.is_none() {
            self.learn_period(obs.seconds);
        }
        let mut surprise = None;
        if let Some(period) = self.period.filter(|p| *p > 0) {
            if let Some(r) = self.residual(obs.value, period) {
                if self.residuals.len() >= MIN_RESIDUALS {
                    let (median, spread) = self.residuals.median_and_spread()?;
                    let floor = self.range.floor(self.floor_fraction);
                    surprise = Some((r - median).abs() / spread.max(floor));
                }
                self.residuals.push(r);
            }
            self.past.push_back(obs.value);
            while self.past.len() > self.days * period {
                self.past.pop_front();
            }
        } else if self.period.is_none() {
            self.past.push_back(obs.value);
        }
        self.seen += 1;
        self.range.see(obs.value);
        surprise
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_series::{daily_square, feed};
    use super::*;

    #[test]
    fn a_repeating_day_is_not_surprising_and_a_missing_peak_is() {
        // 5-minute samples, 288 a day; peaks every afternoon, the 8th day's is missing.
        let mut values = daily_square(288 * 10, 288, 3);
        let missing = 288 * 7 + 150;
        for v in &mut values[288 * 7 + 100..288 * 7 + 200] {
            *v = 20.0;
        }
        let mut src = Seasonal::new(5, 512, 0.001);
        let s = feed(&mut src, &values);
        assert_eq!(src.period(), Some(288));
        let normal = s[288 * 3..288 * 7 + 100]
            .iter()
            .map(|v| v.unwrap())
            .fold(0.0, f64::max);
        assert!(normal < 6.0, "a normal day reached {normal}");
        assert!(s[missing].unwrap() > 20.0, "missing peak: {:?}", s[missing]);
    }

    #[test]
    fn daily_or_coarser_sampling_has_no_cycle() {
        let mut src = Seasonal::new(5, 512, 0.001);
        for i in 0..100 {
            let obs = Observation {
                seconds: i * 86_400,
                value: (i % 7) as f64,
            };
            assert_eq!(src.observe(obs), None);
        }
        assert_eq!(src.period(), Some(0));
    }
}
