//! The simulated cluster driven by wall-clock time: ticks fall on the grid `start + k × step`,
//! so the rows are those `generate` writes for the same seed, start and step.

use crate::fault_label::FaultWindow;
use crate::metrics_row::PodMetricsRow;
use crate::simulator::exposition::{self, CounterState};
use crate::simulator::{clip_labels, SimulatedCluster, SimulatorSettings};
use chrono::{DateTime, TimeDelta, Utc};

/// A [`SimulatedCluster`], its latest rows and the cumulative counters they feed.
#[derive(Debug)]
pub struct LiveCluster {
    cluster: SimulatedCluster,
    step: TimeDelta,
    next_tick: DateTime<Utc>,
    last_tick: Option<DateTime<Utc>>,
    rows: Vec<PodMetricsRow>,
    counters: CounterState,
}

impl LiveCluster {
    /// `step` must be positive (the command checks it; a zero step is raised to 1 ms).
    pub fn new(settings: &SimulatorSettings, start: DateTime<Utc>, step: TimeDelta) -> Self {
        LiveCluster {
            cluster: SimulatedCluster::new(settings, start),
            step: step.max(TimeDelta::milliseconds(1)),
            next_tick: start,
            last_tick: None,
            rows: Vec::new(),
            counters: CounterState::new(),
        }
    }

    /// Runs every tick due by `now`; returns how many ran. Every tick feeds the counters, so
    /// they integrate the whole history even when scrapes are rare.
    pub fn advance_to(&mut self, now: DateTime<Utc>) -> usize {
        let mut ticks = 0;
        while self.next_tick <= now {
            let rows = self.cluster.tick(self.next_tick);
            self.counters.observe(&rows);
            self.rows = rows;
            self.last_tick = Some(self.next_tick);
            self.next_tick += self.step;
            ticks += 1;
        }
        ticks
    }

    /// The scrape body at `now`, for the latest tick (families without samples before the
    /// first tick).
    pub fn metrics_text(&self, now: DateTime<Utc>) -> String {
        exposition::render(&self.rows, &self.counters, now)
    }

    /// Fault windows started so far, ending no later than the latest tick (as in `labels.json`).
    pub fn faults(&self) -> Vec<FaultWindow> {
        self.last_tick.map_or_else(Vec::new, |last| {
            clip_labels(self.cluster.fault_windows(), last)
        })
    }

    pub fn last_tick(&self) -> Option<DateTime<Utc>> {
        self.last_tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_fall_on_the_step_grid_and_counters_grow() {
        let start: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().unwrap();
        let settings = SimulatorSettings {
            pods: 5,
            ..SimulatorSettings::default()
        };
        let mut live = LiveCluster::new(&settings, start, TimeDelta::seconds(5));
        assert_eq!(live.advance_to(start - TimeDelta::seconds(1)), 0);
        assert!(live.faults().is_empty());
        assert_eq!(live.advance_to(start + TimeDelta::milliseconds(12_300)), 3);
        assert_eq!(live.last_tick(), Some(start + TimeDelta::seconds(10)));
        let cpu = |text: &str| -> f64 {
            text.lines()
                .filter(|l| l.starts_with("container_cpu_usage_seconds_total{"))
                .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
                .sum()
        };
        let early = cpu(&live.metrics_text(start + TimeDelta::milliseconds(12_300)));
        let later = start + TimeDelta::seconds(60);
        live.advance_to(later);
        assert!(cpu(&live.metrics_text(later)) > early);
        // The default first fault starts 20 s in.
        assert!(!live.faults().is_empty());

        // Same rows as a cluster ticked directly on the grid (what `generate` does).
        let mut direct = SimulatedCluster::new(&settings, start);
        let mut rows = Vec::new();
        for k in 0..=12 {
            rows = direct.tick(start + TimeDelta::seconds(5 * k));
        }
        assert_eq!(rows, live.rows);
    }
}
