//! One stream in (a metric of a pod, or a NAB series), one judgement per sample out: how
//! unlikely is what the stream just did, given only its own past?
//!
//! Sources ([`super::sources`]) turn each value into raw surprises; each surprise is judged
//! against that source's own past by its [`Likelihood`] and, for the sources whose records mark
//! an extreme value, its [`Record`]. Each judgement is a tail probability. The least of them,
//! times how many there were (Bonferroni: adding sources does not by itself add alarms), is
//! the chance of something this unusual in the stream's normal behaviour: the reading's
//! [`SignalReading::tail`]. Which rate deserves a person's attention is the pod layer's call.

use super::horizon::Tick;
use super::likelihood::{z_score_prior, Likelihood};
use super::record::Record;
use super::settings::SignalSettings;
use super::sources::{LevelShift, PointZ, Seasonal, MIN_LEVEL_SAMPLES};
use super::surprise_source::{Context, Observation, SurpriseSource};

/// Tail probabilities are clamped here.
pub const LEAST_TAIL: f64 = 1e-300;

/// The sources of a stream, in judging order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    ShortZ,
    LongZ,
    LevelShift,
    Seasonal,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [
        SourceKind::ShortZ,
        SourceKind::LongZ,
        SourceKind::LevelShift,
        SourceKind::Seasonal,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::ShortZ => "short_z",
            SourceKind::LongZ => "long_z",
            SourceKind::LevelShift => "level_shift",
            SourceKind::Seasonal => "seasonal",
        }
    }

    /// Whether a record of this source's surprise marks an extreme value. Not the short
    /// z-score (its spread collapses in quiet stretches, so its records mark the end of a quiet
    /// spell; a true extreme breaks the long one's record too) nor the level shift (a level
    /// creeps past its record without any value being extreme).
    pub fn judged_by_records(self) -> bool {
        matches!(self, SourceKind::LongZ | SourceKind::Seasonal)
    }
}

/// What one sample of a stream amounted to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalReading {
    /// Bonferroni-corrected least tail, in (0, 1]: the chance of something this unusual.
    pub tail: f64,
    /// The source that gave the least tail.
    pub strongest: SourceKind,
    /// Whether that tail was its record judge's (a value beyond any in a long while) rather
    /// than its likelihood's (unusual recent surprise).
    pub record: bool,
    /// `(x − long level) / long spread`, signed: the direction and size of the deviation.
    pub z: f64,
    /// The long-run level and spread before this sample (the stream's normal).
    pub level: f64,
    pub spread: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Judges {
    likelihood: Likelihood,
    record: Record,
}

/// The range of values seen so far; sources believe in no spread below a fraction of it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ValueRange {
    low: f64,
    high: f64,
}

impl ValueRange {
    fn floor(&self, fraction: f64) -> f64 {
        let range = self.high - self.low;
        if range > 0.0 {
            (range * fraction).max(1e-12)
        } else {
            1e-12
        }
    }
}

/// The online detector of one stream. Deterministic and causal.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalDetector {
    short: PointZ,
    long: PointZ,
    level: LevelShift,
    seasonal: Option<Seasonal>,
    judges: [Judges; 4],
    range: ValueRange,
    /// Time observed, in seconds (saturating at the warm-up).
    observed: f32,
}

impl SignalDetector {
    pub fn new(s: &SignalSettings) -> SignalDetector {
        let judges = Judges {
            likelihood: Likelihood::default(),
            record: Record::default(),
        };
        SignalDetector {
            short: PointZ::new(s.short),
            long: PointZ::new(s.long),
            level: LevelShift::new(s.short, s.long),
            seasonal: (s.seasonal_days > 0.0)
                .then(|| Seasonal::new(s.seasonal_days, s.seasonal_residuals)),
            judges: [judges; 4],
            range: ValueRange {
                low: f64::INFINITY,
                high: f64::NEG_INFINITY,
            },
            observed: 0.0,
        }
    }

    /// The stream's normal so far: long-run level and spread (`None` while too young).
    pub fn normal(&self, s: &SignalSettings) -> Option<(f64, f64)> {
        let level = &self.long.level;
        (level.count() >= MIN_LEVEL_SAMPLES).then(|| {
            (
                level.mean(),
                level.spread(self.range.floor(s.floor_fraction)),
            )
        })
    }

    /// Judges a measured sample, then learns from it; `None` while warming up.
    pub fn observe(
        &mut self,
        obs: Observation,
        tick: &Tick,
        s: &SignalSettings,
    ) -> Option<SignalReading> {
        if !obs.value.is_finite() {
            return None;
        }
        let warm_for = (s.warm_up.seconds() * tick.stretch) as f32;
        let cx = Context {
            tick: *tick,
            floor: self.range.floor(s.floor_fraction),
            warm: self.observed >= warm_for,
        };
        self.observed = (self.observed + tick.elapsed as f32).min(warm_for);
        let normal = self.normal(s);
        // The spreads the surprises are measured in (what a record deviation is read against).
        let spreads = [
            self.short.spread(cx.floor),
            self.long.spread(cx.floor),
            1.0,
            self.seasonal.as_ref().map_or(1.0, |x| x.spread(cx.floor)),
        ];
        let surprises = [
            self.short.observe(obs, &cx),
            self.long.observe(obs, &cx),
            self.level.observe(obs, &cx),
            self.seasonal.as_mut().and_then(|x| x.observe(obs, &cx)),
        ];
        self.range.low = self.range.low.min(obs.value);
        self.range.high = self.range.high.max(obs.value);

        // The prior's spread assumes one independent surprise per reference step: samples
        // taken closer together are correlated (the noise of real metrics wanders), so a finer
        // interval must not make the prior narrower.
        let prior = z_score_prior(
            -(-s.reference_step / s.averaging.seconds()).exp_m1(),
            tick.samples_in(s.likelihood_prior),
            s.likelihood_cap,
        );
        let mut least = (f64::INFINITY, SourceKind::ShortZ, false);
        let mut tails = 0usize;
        for (((kind, surprise), spread), judges) in SourceKind::ALL
            .into_iter()
            .zip(surprises)
            .zip(spreads)
            .zip(&mut self.judges)
        {
            let Some(surprise) = surprise.filter(|v| v.is_finite()) else {
                continue;
            };
            let typical = judges.likelihood.long_run_mean();
            let likelihood = judges.likelihood.observe(
                surprise,
                tick,
                s.averaging,
                s.likelihood_history,
                &prior,
            );
            let record = if kind.judged_by_records() {
                judges.record.observe(
                    surprise,
                    spread,
                    tick,
                    s.record_history,
                    s.record_learning,
                    s.record_gain,
                    typical,
                )
            } else {
                None
            };
            // A source still settling teaches its judges but is not judged yet.
            let judging = kind != SourceKind::Seasonal
                || self
                    .seasonal
                    .as_ref()
                    .is_some_and(|x| x.judging(obs.seconds));
            if !judging {
                continue;
            }
            let judged = [(Some(likelihood), false), (record, true)];
            for (tail, is_record) in judged.into_iter().filter_map(|(t, r)| Some((t?, r))) {
                tails += 1;
                if tail < least.0 {
                    least = (tail, kind, is_record);
                }
            }
        }
        let (level, spread) = normal?;
        if tails == 0 {
            return None;
        }
        Some(SignalReading {
            tail: (least.0 * tails as f64).clamp(LEAST_TAIL, 1.0),
            strongest: least.1,
            record: least.2,
            z: (obs.value - level) / spread,
            level,
            spread,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::horizon::Cadence;
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, Normal};

    fn noisy(n: usize, mean: f64, sd: f64, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let normal = Normal::new(mean, sd).unwrap();
        (0..n).map(|_| normal.sample(&mut rng)).collect()
    }

    /// Tails of a series sampled every `step` seconds.
    fn tails(values: &[f64], step: f64) -> Vec<f64> {
        let s = SignalSettings::default();
        let mut d = SignalDetector::new(&s);
        let mut cadence = Cadence::default();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let seconds = 1.7e9 + i as f64 * step;
                let tick = cadence.tick(seconds, s.reference_step);
                let obs = Observation { seconds, value: *v };
                d.observe(obs, &tick, &s).map_or(1.0, |r| r.tail)
            })
            .collect()
    }

    #[test]
    fn a_spike_is_unlikely_and_calm_data_is_not() {
        let mut values = noisy(3000, 50.0, 2.0, 7);
        values[2500] = 120.0;
        let t = tails(&values, 300.0);
        let calm = t[600..2500].iter().cloned().fold(1.0, f64::min);
        // Raw tails are not calibrated (the pod layer calibrates them): the spike must stand
        // out from the calmest stretch by far, whatever the absolute level.
        assert!(
            t[2500] < calm * 1e-3,
            "spike {} against calm {calm}",
            t[2500]
        );
    }

    #[test]
    fn a_daily_edge_is_not_an_alarm_on_the_first_day_the_profile_is_judged() {
        // A noisy square wave, high from 09:00 to 18:00, sampled every 5 minutes for 6 days.
        let mut values = noisy(288 * 6, 0.0, 2.0, 9);
        for (i, v) in values.iter_mut().enumerate() {
            let hour = (i % 288) as f64 / 12.0;
            if (9.0..18.0).contains(&hour) {
                *v += 60.0;
            }
        }
        let t = tails(&values, 300.0);
        // From day 2 on (the first day's edges are new to every source).
        let least = t[288 * 2..].iter().cloned().fold(1.0, f64::min);
        assert!(least > 1e-5, "a usual daily edge reached {least}");
    }

    #[test]
    fn a_small_miss_at_a_quiet_time_of_a_sharp_daily_shape_is_found() {
        // A clean square wave, high from 09:00 to 18:00, every 5 minutes for 6 days; on day 5 at
        // 03:00 the value is 3 above the usual 20 (a twentieth of the daily swing) for an hour.
        let mut values: Vec<f64> = (0..288 * 6)
            .map(|i| {
                let hour = (i % 288) as f64 / 12.0;
                if (9.0..18.0).contains(&hour) {
                    80.0
                } else {
                    20.0
                }
            })
            .collect();
        let at = 288 * 5 + 36;
        for v in &mut values[at..at + 12] {
            *v += 3.0;
        }
        let t = tails(&values, 300.0);
        let before = t[288 * 2..at].iter().cloned().fold(1.0, f64::min);
        assert!(before > 1e-5, "the usual days reached {before}");
        let found = t[at..at + 12].iter().cloned().fold(1.0, f64::min);
        assert!(found < 1e-6, "the miss reached only {found}");
    }

    #[test]
    fn a_level_shift_is_found_soon() {
        let mut values = noisy(3000, 50.0, 2.0, 8);
        for v in &mut values[2500..] {
            *v += 15.0;
        }
        let t = tails(&values, 300.0);
        let first = t[2500..].iter().position(|v| *v < 1e-6);
        assert!(first.is_some_and(|i| i < 10), "found after {first:?}");
    }
}
