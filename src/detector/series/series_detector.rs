//! One series in, one anomaly probability per sample out: surprise sources → combiner →
//! post-detection suppression.

use super::combiner::{Combiner, CombinerSettings, Role};
use super::level_shift::LevelShift;
use super::refractory::Refractory;
use super::robust_z::RobustZ;
use super::seasonal::Seasonal;
use super::surprise_source::{Observation, SurpriseSource};

/// Every parameter of the single-series detector. The defaults were chosen once for the whole
/// NAB slice in `/work/shared/nab` (no per-file tuning) and are used for every series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesSettings {
    /// Windows of the robust z-score sources (one source each).
    pub z_windows: Vec<usize>,
    /// Those of `z_windows` whose records are judged too (see [`RobustZ::without_records`]).
    /// Dropping the 64-sample window's record judge took the NAB slice from 71.90 to 72.46
    /// (statistics) and from 72.61 to 72.94 (ensemble), and helped on both halves of the split
    /// (artificial + every other AWS file: 76.74 → 77.30; the rest: 67.80 → 68.01).
    pub record_z_windows: Vec<usize>,
    /// (recent, baseline) windows of the level-shift sources (one source each).
    pub level_windows: Vec<(usize, usize)>,
    /// Previous days the seasonal source compares with; 0 drops the source.
    pub seasonal_days: usize,
    /// Residuals the seasonal source takes its spread from.
    pub seasonal_residuals: usize,
    /// Least spread a source believes in, as a fraction of the range seen so far.
    pub floor_fraction: f64,
    pub combiner: CombinerSettings,
    /// Probability that counts as an alert and starts the suppression.
    pub firing_level: f64,
    /// Samples reported as 0 after an alert.
    pub hold: usize,
}

impl Default for SeriesSettings {
    fn default() -> Self {
        SeriesSettings {
            z_windows: vec![64, 1024],
            record_z_windows: vec![1024],
            level_windows: vec![(64, 1024)],
            seasonal_days: 5,
            seasonal_residuals: 512,
            floor_fraction: 0.001,
            combiner: CombinerSettings::default(),
            firing_level: 0.45,
            hold: 150,
        }
    }
}

impl SeriesSettings {
    /// The statistical surprise sources these settings describe.
    pub fn statistical_sources(&self) -> Vec<Box<dyn SurpriseSource>> {
        let mut sources: Vec<Box<dyn SurpriseSource>> = Vec::new();
        for w in &self.z_windows {
            let z = RobustZ::new(*w, self.floor_fraction);
            sources.push(Box::new(if self.record_z_windows.contains(w) {
                z
            } else {
                z.without_records()
            }));
        }
        for (recent, baseline) in &self.level_windows {
            sources.push(Box::new(LevelShift::new(
                *recent,
                *baseline,
                self.floor_fraction,
            )));
        }
        if self.seasonal_days > 0 {
            sources.push(Box::new(Seasonal::new(
                self.seasonal_days,
                self.seasonal_residuals,
                self.floor_fraction,
            )));
        }
        sources
    }
}

/// The online detector of one series. Deterministic and causal: the probability of a sample
/// depends only on it and the samples before it.
pub struct SeriesDetector {
    sources: Vec<Box<dyn SurpriseSource>>,
    combiner: Combiner,
    refractory: Refractory,
    surprises: Vec<Option<f64>>,
    /// Each source's [`SurpriseSource::refits`] when last seen.
    refits: Vec<u64>,
}

impl SeriesDetector {
    /// A detector over any set of sources (statistical, external such as an LSTM, or both),
    /// each able to raise an alarm on its own.
    pub fn new(settings: &SeriesSettings, sources: Vec<Box<dyn SurpriseSource>>) -> Self {
        Self::ensemble(settings, sources, Vec::new())
    }

    /// A detector whose `primary` sources raise alarms and whose `corroborating` sources only
    /// strengthen them (see [`super::corroboration`]).
    pub fn ensemble(
        settings: &SeriesSettings,
        primary: Vec<Box<dyn SurpriseSource>>,
        corroborating: Vec<Box<dyn SurpriseSource>>,
    ) -> Self {
        let roles: Vec<Role> = (primary.iter().map(|_| Role::Primary))
            .chain(corroborating.iter().map(|_| Role::Corroborating))
            .collect();
        let sources: Vec<Box<dyn SurpriseSource>> =
            primary.into_iter().chain(corroborating).collect();
        assert!(!sources.is_empty(), "a detector needs at least one source");
        let records = sources.iter().map(|s| s.judged_by_records()).collect();
        SeriesDetector {
            combiner: Combiner::with_judges(settings.combiner.clone(), roles, records),
            refractory: Refractory::new(settings.firing_level, settings.hold),
            surprises: Vec::with_capacity(sources.len()),
            refits: sources.iter().map(|s| s.refits()).collect(),
            sources,
        }
    }

    /// The detector with the statistical sources only.
    pub fn statistical(settings: &SeriesSettings) -> Self {
        Self::new(settings, settings.statistical_sources())
    }

    pub fn source_names(&self) -> Vec<&str> {
        self.sources.iter().map(|s| s.name()).collect()
    }

    /// The anomaly probability to report for this sample, in [0, 1] (0 while warming up or
    /// while suppressed after an alert).
    pub fn observe(&mut self, obs: Observation) -> f64 {
        self.surprises.clear();
        self.surprises
            .extend(self.sources.iter_mut().map(|s| s.observe(obs)));
        let probability = self.combiner.combine(&self.surprises);
        // A source that replaced its model during this sample speaks on a new scale from the
        // next one on.
        for (i, source) in self.sources.iter().enumerate() {
            let refits = source.refits();
            if refits != self.refits[i] {
                self.refits[i] = refits;
                self.combiner.forget(i, source.replayed());
            }
        }
        match probability {
            Some(p) => self.refractory.filter(p),
            None => 0.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_series::{daily_square, noisy, observations};
    use super::*;

    fn run(detector: &mut SeriesDetector, values: &[f64]) -> Vec<f64> {
        observations(values)
            .into_iter()
            .map(|o| detector.observe(o))
            .collect()
    }

    fn settings() -> SeriesSettings {
        SeriesSettings::default()
    }

    #[test]
    fn only_the_long_window_records_are_judged() {
        let judged: Vec<(String, bool)> = (settings().statistical_sources().iter())
            .map(|s| (s.name().to_string(), s.judged_by_records()))
            .collect();
        assert_eq!(judged[0], ("robust_z_64".to_string(), false));
        assert_eq!(judged[1], ("robust_z_1024".to_string(), true));
    }

    #[test]
    fn a_spike_fires_once_and_calm_data_does_not() {
        let mut values = noisy(2500, 50.0, 2.0, 7);
        values[2000] = 120.0;
        let p = run(&mut SeriesDetector::statistical(&settings()), &values);
        let fire = settings().firing_level;
        let calm = p[..2000].iter().cloned().fold(0.0, f64::max);
        assert!(calm < fire, "calm data reached {calm}");
        assert!(p[2000] >= fire, "spike scored {}", p[2000]);
        assert!(p[2001..2000 + settings().hold].iter().all(|v| *v == 0.0));
    }

    #[test]
    fn a_level_shift_fires_soon() {
        let mut values = noisy(2500, 50.0, 2.0, 8);
        for v in &mut values[2000..] {
            *v += 15.0;
        }
        let p = run(&mut SeriesDetector::statistical(&settings()), &values);
        let fire = settings().firing_level;
        assert!(p[..2000].iter().all(|v| *v < fire));
        let first = p[2000..].iter().position(|v| *v >= fire);
        assert!(
            first.is_some_and(|i| i < 20),
            "shift detected after {first:?}"
        );
    }

    #[test]
    fn a_flat_line_and_a_clean_daily_cycle_never_fire() {
        let fire = settings().firing_level;
        let flat = run(&mut SeriesDetector::statistical(&settings()), &[7.0; 3000]);
        assert!(flat.iter().all(|v| *v < fire));
        let days = run(
            &mut SeriesDetector::statistical(&settings()),
            &daily_square(288 * 12, 288, 9),
        );
        let worst = days.iter().cloned().fold(0.0, f64::max);
        assert!(worst < fire, "a normal day reached {worst}");
    }

    #[test]
    fn a_broken_day_fires() {
        let mut values = daily_square(288 * 12, 288, 10);
        // The afternoon peak of day 9 never comes.
        for v in &mut values[288 * 9 + 100..288 * 9 + 200] {
            *v = 20.0;
        }
        let p = run(&mut SeriesDetector::statistical(&settings()), &values);
        let fire = settings().firing_level;
        assert!(p[..288 * 9 + 100].iter().all(|v| *v < fire));
        assert!(p[288 * 9 + 100..288 * 9 + 200].iter().any(|v| *v >= fire));
    }

    /// A source whose model is replaced at sample `refit_at`, after which its surprise is on a
    /// twenty times larger scale (as a refitted network's may be).
    struct Refitting {
        noise: Vec<f64>,
        seen: usize,
        refit_at: usize,
    }

    impl SurpriseSource for Refitting {
        fn name(&self) -> &str {
            "refitting"
        }
        fn observe(&mut self, _: Observation) -> Option<f64> {
            let scale = if self.seen >= self.refit_at {
                20.0
            } else {
                1.0
            };
            let s = self.noise[self.seen].abs() * scale;
            self.seen += 1;
            Some(s)
        }
        fn refits(&self) -> u64 {
            (self.seen >= self.refit_at) as u64
        }
    }

    #[test]
    fn a_refit_source_is_relearned_not_alarmed_on() {
        let n = 4000;
        let source = Refitting {
            noise: noisy(n, 0.0, 1.0, 12),
            seen: 0,
            refit_at: 2000,
        };
        let mut detector = SeriesDetector::new(&settings(), vec![Box::new(source)]);
        let p = run(&mut detector, &vec![0.0; n]);
        let worst = p.iter().cloned().fold(0.0, f64::max);
        assert!(worst < settings().firing_level, "the refit reached {worst}");
    }

    #[test]
    fn deterministic_and_causal() {
        let mut values = noisy(3000, 10.0, 1.0, 11);
        values[2500] = 40.0;
        let full = run(&mut SeriesDetector::statistical(&settings()), &values);
        let again = run(&mut SeriesDetector::statistical(&settings()), &values);
        assert_eq!(full, again);
        let prefix = run(
            &mut SeriesDetector::statistical(&settings()),
            &values[..2600],
        );
        assert_eq!(
            prefix[..],
            full[..2600],
            "a prefix scores as the full series began"
        );
    }
}
