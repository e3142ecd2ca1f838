//! Surprise as a robust z-score against a rolling window of the values just before:
//! `|x − median| / max(MAD σ, floor)`. A short window notices spikes against the local level; a
//! long one notices values outside the long-run range.

use super::sorted_window::SortedWindow;
use super::surprise_source::{Observation, SurpriseSource};
use super::value_range::ValueRange;

/// Values needed before the first surprise (or the window, if shorter).
const MIN_HISTORY: usize = 32;

#[derive(Debug, Clone)]
pub struct RobustZ {
    name: String,
    window: SortedWindow,
    min_history: usize,
    range: ValueRange,
    floor_fraction: f64,
    records: bool,
}

impl RobustZ {
    /// `window`: past values compared with; `floor_fraction`: least spread, as a fraction of the
    /// range seen so far.
    pub fn new(window: usize, floor_fraction: f64) -> RobustZ {
        RobustZ {
            name: format!("robust_z_{window}"),
            window: SortedWindow::new(window),
            min_history: window.min(MIN_HISTORY),
            range: ValueRange::default(),
            floor_fraction,
            records: true,
        }
    }

    /// The same source, judged by its anomaly likelihood only. For a short window: its spread
    /// collapses in any quiet stretch, so its record surprise is broken by ordinary values when
    /// a quiet spell ends (the flat middle of `art_daily_flatmiddle`), while a value beyond
    /// anything seen breaks the long window's record as well.
    pub fn without_records(mut self) -> RobustZ {
        self.records = false;
        self
    }
}

impl SurpriseSource for RobustZ {
    fn name(&self) -> &str {
        &self.name
    }

    fn judged_by_records(&self) -> bool {
        self.records
    }

    fn observe(&mut self, obs: Observation) -> Option<f64> {
        let surprise = if self.window.len() >= self.min_history {
            let (median, spread) = self.window.median_and_spread()?;
            Some((obs.value - median).abs() / spread.max(self.range.floor(self.floor_fraction)))
        } else {
            None
        };
        self.window.push(obs.value);
        self.range.see(obs.value);
        surprise
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_series::{feed, noisy};
    use super::*;

    #[test]
    fn records_are_judged_unless_said_otherwise() {
        assert!(RobustZ::new(1024, 0.001).judged_by_records());
        let short = RobustZ::new(64, 0.001).without_records();
        assert!(!short.judged_by_records());
        assert_eq!(short.name(), "robust_z_64");
    }

    #[test]
    fn a_spike_is_far_more_surprising_than_noise() {
        let mut z = RobustZ::new(64, 0.001);
        let mut values = noisy(300, 10.0, 1.0, 1);
        values[250] = 30.0;
        let s = feed(&mut z, &values);
        assert!(s[..32].iter().all(Option::is_none), "warming up");
        let calm = s[32..250].iter().map(|v| v.unwrap()).fold(0.0, f64::max);
        assert!(calm < 5.0, "noise reached z {calm}");
        assert!(s[250].unwrap() > 10.0, "spike z {:?}", s[250]);
    }

    #[test]
    fn a_flat_line_is_never_surprising() {
        let mut z = RobustZ::new(64, 0.001);
        let s = feed(&mut z, &vec![3.0; 200]);
        assert!(s.iter().flatten().all(|v| *v == 0.0));
    }
}
