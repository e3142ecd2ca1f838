//! The surprise sources of one stream. Each is a few numbers of state and answers one
//! question about the newest value:
//! - [`PointZ`]: how far is it from the stream's level, in spreads? With a short horizon it
//!   notices a spike against the local level; with a long one, a value outside the long-run
//!   range.
//! - [`LevelShift`]: how far has the recent level moved from the long-run one? Slow to rise,
//!   but it stays up while a shifted level lasts and ignores isolated spikes.
//! - [`Seasonal`]: how far is it from what this time of day usually brings, against the
//!   usual size of that miss (and what the profile's resolution explains at a sharp daily
//!   edge)? It speaks a day before it should be judged
//!   ([`Seasonal::judging`]): its judges learn a whole day of its misses first.

use super::daily_profile::DailyProfile;
use super::horizon::Horizon;
use super::robust_level::{RobustLevel, HUBER_K};
use super::surprise_source::{Context, Observation, SurpriseSource};

/// Samples a level needs before its spread means anything.
pub const MIN_LEVEL_SAMPLES: u32 = 16;

/// `|x − level| / spread` against a robust level with one horizon.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointZ {
    pub level: RobustLevel,
    horizon: Horizon,
}

impl PointZ {
    pub fn new(horizon: Horizon) -> PointZ {
        PointZ {
            level: RobustLevel::default(),
            horizon,
        }
    }
}

impl PointZ {
    /// The spread the next surprise will be measured in.
    pub fn spread(&self, floor: f64) -> f64 {
        self.level.spread(floor)
    }
}

impl SurpriseSource for PointZ {
    fn observe(&mut self, obs: Observation, cx: &Context) -> Option<f64> {
        let z = self.level.z(obs.value, cx.floor, MIN_LEVEL_SAMPLES);
        self.level
            .update(obs.value, cx.tick.weight(self.horizon), cx.floor);
        z.filter(|_| cx.warm).map(f64::abs)
    }
}

/// `|fast level − slow level| / slow spread`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelShift {
    fast: RobustLevel,
    slow: RobustLevel,
    fast_horizon: Horizon,
    slow_horizon: Horizon,
}

impl LevelShift {
    pub fn new(fast: Horizon, slow: Horizon) -> LevelShift {
        LevelShift {
            fast: RobustLevel::default(),
            slow: RobustLevel::default(),
            fast_horizon: fast,
            slow_horizon: slow,
        }
    }
}

impl SurpriseSource for LevelShift {
    fn observe(&mut self, obs: Observation, cx: &Context) -> Option<f64> {
        // The slow level is judged as it was before this sample; the fast one includes it.
        let (slow_mean, slow_spread) = (self.slow.mean(), self.slow.spread(cx.floor));
        let slow_ready = self.slow.count() >= MIN_LEVEL_SAMPLES;
        self.fast
            .update(obs.value, cx.tick.weight(self.fast_horizon), cx.floor);
        self.slow
            .update(obs.value, cx.tick.weight(self.slow_horizon), cx.floor);
        (cx.warm && slow_ready).then(|| (self.fast.mean() - slow_mean).abs() / slow_spread)
    }
}

/// The value against the daily profile, judged against the usual size of that miss.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seasonal {
    profile: DailyProfile,
    residuals: RobustLevel,
    /// When the stream was first seen (the profile needs whole days).
    since: f64,
    /// Memory of each profile bin, in days.
    days: f64,
    residual_horizon: Horizon,
}

/// Days a profile must have learned before its misses are measured.
pub const SEASONAL_WARM_DAYS: f64 = 2.0;
/// Days of misses measured before they are judged (their level and spread settle, and the
/// judges learn what a whole day of misses looks like).
pub const SEASONAL_RESIDUAL_DAYS: f64 = 1.0;
/// The coarsest cadence with a daily profile: a value per half hour at least.
pub const SEASONAL_MAX_STEP_SECONDS: f64 = 1800.0;

impl Seasonal {
    pub fn new(days: f64, residual_horizon: Horizon) -> Seasonal {
        Seasonal {
            profile: DailyProfile::default(),
            residuals: RobustLevel::default(),
            since: f64::NAN,
            days,
            residual_horizon,
        }
    }
}

impl Seasonal {
    /// Whether the misses have been measured long enough to be judged (before that, their
    /// surprises only teach the judges).
    pub fn judging(&self, seconds: f64) -> bool {
        seconds - self.since >= (SEASONAL_WARM_DAYS + SEASONAL_RESIDUAL_DAYS) * 86_400.0
    }

    /// The spread the next surprise will be measured in (the usual size of a miss).
    pub fn spread(&self, floor: f64) -> f64 {
        self.residuals.spread(floor)
    }
}

impl SurpriseSource for Seasonal {
    fn observe(&mut self, obs: Observation, cx: &Context) -> Option<f64> {
        if self.since.is_nan() {
            self.since = obs.seconds;
        }
        if cx.tick.elapsed > SEASONAL_MAX_STEP_SECONDS {
            return None;
        }
        let grown = obs.seconds - self.since >= SEASONAL_WARM_DAYS * 86_400.0;
        let mut surprise = None;
        // What the profile learns: the value, or, once misses are measured, the value clipped
        // to a few usual misses from the expectation, so that a spike on one day does not
        // teach every later day to expect one (the profile is a robust mean, as the median of
        // previous days it replaced was).
        let mut learned = obs.value;
        if let Some(expected) = self.profile.expected(obs.seconds) {
            // The miss, net of what the profile's own resolution explains: half a bin of
            // timing error on its slope here (`DailyProfile::jitter`). A sharp daily edge that
            // comes a little early or late then misses by little, and does not teach the misses'
            // spread that large misses are usual at quiet times of day.
            let raw = obs.value - expected;
            let usual = self.residuals.spread(cx.floor);
            let scale = usual.hypot(self.profile.jitter(obs.seconds));
            let measured = self.residuals.count() >= MIN_LEVEL_SAMPLES;
            let r = if measured { raw * usual / scale } else { raw };
            if grown {
                // Spoken from the start of the misses' first day, so that the judges learn a
                // whole day of them (a daily edge included) before they judge, see `judging`.
                surprise = self
                    .residuals
                    .z(r, cx.floor, MIN_LEVEL_SAMPLES)
                    .filter(|_| cx.warm)
                    .map(f64::abs);
                if measured {
                    let center = self.residuals.mean();
                    let reach = HUBER_K * usual;
                    learned =
                        expected + (center + (r - center).clamp(-reach, reach)) * scale / usual;
                }
                self.residuals
                    .update(r, cx.tick.weight(self.residual_horizon), cx.floor);
            }
        }
        self.profile
            .learn(obs.seconds, learned, &cx.tick, self.days);
        surprise
    }
}
