//! The LSTM as a surprise source for one series (NAB mode): it learns the series online, from
//! its own past only, and forecasts each next value.
//!
//! The network sees each value with the time of day (its sine and cosine), so it can learn a
//! daily shape beyond its window of a few hours.
//!
//! Nothing is known before the file starts, so the network is fitted on the samples seen so
//! far at growing checkpoints (after 300, 600, 1200, 2400, … samples: cheap, and the later
//! fits see ever more normal behaviour); between fits it streams, one step per sample. Each
//! fit also re-estimates the normalisation (median and robust scale of the history), and
//! re-runs the network over the latest samples to rebuild its state. Surprise is
//! `|x − μ| / σ` of the forecast made before the sample was seen. A new network's surprises
//! are on a new scale (new normalisation, new σ calibration), so each fit is announced through
//! [`SurpriseSource::refits`], with the new network's surprises over the latest samples
//! ([`SurpriseSource::replayed`]), from which the combiner relearns this source's scale.

use super::data::WindowSet;
use super::forecaster::Architecture;
use super::streaming::{StreamInput, StreamingForecaster};
use super::training::{cpu_device, train, Quiet, TrainOptions};
use crate::detector::series::{Observation, SurpriseSource};

#[derive(Debug, Clone, PartialEq)]
pub struct OnlineLstmSettings {
    pub hidden: usize,
    /// Training window, in samples.
    pub window: usize,
    /// Samples between the starts of two training windows.
    pub stride: usize,
    /// The first fit happens after this many samples; each later one after twice as many.
    pub first_fit_after: usize,
    /// Most recent windows a fit trains on (bounds its cost on long series).
    pub max_windows: usize,
    pub max_epochs: usize,
    pub seed: u64,
    /// Also feed the time of day (its sine and cosine) to the network.
    pub time_of_day: bool,
}

impl Default for OnlineLstmSettings {
    fn default() -> Self {
        OnlineLstmSettings {
            hidden: 16,
            window: 32,
            stride: 4,
            first_fit_after: 300,
            max_windows: 384,
            max_epochs: 8,
            seed: 7,
            time_of_day: true,
        }
    }
}

/// Seconds in a day, the period of the time-of-day input.
const DAY_SECONDS: f64 = 86_400.0;
/// Latest samples replayed through a new network (after a window of warm-up) so that the
/// combiner relearns its scale of surprise at once: about the combiner's record learning.
const REPLAYED: usize = 1200;
/// Robust scale floor, relative to the median's magnitude, so a flat series does not make
/// every wiggle infinitely surprising.
const RELATIVE_SCALE_FLOOR: f64 = 1e-3;

pub struct OnlineLstm {
    settings: OnlineLstmSettings,
    history: Vec<f64>,
    /// Timestamps of `history`.
    times: Vec<i64>,
    next_fit: usize,
    /// (median, scale) of the last fit.
    normaliser: (f64, f64),
    stream: Option<StreamingForecaster<u8>>,
    /// Networks fitted so far.
    fits: u64,
    /// The latest network's surprises over the samples before its first forecast.
    replayed: Vec<f64>,
}

impl OnlineLstm {
    pub fn new(settings: OnlineLstmSettings) -> OnlineLstm {
        OnlineLstm {
            next_fit: settings.first_fit_after,
            settings,
            history: Vec::new(),
            times: Vec::new(),
            normaliser: (0.0, 1.0),
            stream: None,
            fits: 0,
            replayed: Vec::new(),
        }
    }

    fn normalise(&self, x: f64) -> f32 {
        let (median, scale) = self.normaliser;
        ((x - median) / scale).asinh() as f32
    }

    /// Features per step: the normalised value first (the one forecast), then the time of day.
    fn inputs(&self) -> usize {
        if self.settings.time_of_day {
            3
        } else {
            1
        }
    }

    /// The network's input for one sample.
    fn features(&self, value: f32, seconds: i64) -> Vec<f32> {
        let mut f = vec![value];
        if self.settings.time_of_day {
            let phase = seconds.rem_euclid(DAY_SECONDS as i64) as f64 / DAY_SECONDS;
            let angle = std::f64::consts::TAU * phase;
            f.extend([angle.sin() as f32, angle.cos() as f32]);
        }
        f
    }

    /// Fits a fresh network on the history, then replays the latest window through it.
    fn fit(&mut self) {
        let s = &self.settings;
        let mut sorted = self.history.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
        let median = q(0.5);
        let floor = (median.abs() * RELATIVE_SCALE_FLOOR).max(1e-9);
        self.normaliser = (median, ((q(0.75) - q(0.25)) / 1.349).max(floor));
        let inputs = self.inputs();
        let normalised: Vec<Vec<f32>> = (self.history.iter().zip(&self.times))
            .map(|(x, t)| self.features(self.normalise(*x), *t))
            .collect();

        let starts: Vec<usize> = (0..=normalised.len().saturating_sub(s.window))
            .step_by(s.stride)
            .collect();
        let starts = &starts[starts.len().saturating_sub(s.max_windows)..];
        // The most recent tenth of the windows validates (early stopping).
        let split = starts.len() - (starts.len() / 10).max(1);
        let mut train_set = WindowSet::new(s.window, inputs);
        let mut validation = WindowSet::new(s.window, inputs);
        let ones = vec![1.0f32; s.window * inputs];
        for (i, &start) in starts.iter().enumerate() {
            let target = if i < split {
                &mut train_set
            } else {
                &mut validation
            };
            target.push(&normalised[start..start + s.window].concat(), &ones);
        }
        let architecture = Architecture {
            inputs,
            forecast: 1,
            hidden: s.hidden,
        };
        let options = TrainOptions {
            seed: s.seed,
            batch_size: 32,
            max_epochs: s.max_epochs,
            patience: 2,
            burn_in: 4,
            ..TrainOptions::default()
        };
        let Ok(trained) = train(architecture, &train_set, &validation, &options, &mut Quiet) else {
            return; // too little data: keep the previous network
        };
        let mut stream = StreamingForecaster::new(trained.network, architecture, cpu_device());
        // Replays the latest samples through the new network: the first window warms its state,
        // the rest give the new network's surprises for the combiner to relearn from.
        let from = normalised.len().saturating_sub(s.window + REPLAYED);
        self.replayed.clear();
        let measured = vec![1.0f32; inputs];
        for (i, v) in normalised[from..].iter().enumerate() {
            let out = stream.step(&[StreamInput {
                key: &0,
                values: v,
                measured: &measured,
            }]);
            if i >= s.window {
                if let Some(Some(r)) = out.into_iter().next() {
                    self.replayed.push((r.residuals[0].abs() as f64).min(1e6));
                }
            }
        }
        self.stream = Some(stream);
        self.fits += 1;
    }
}

impl SurpriseSource for OnlineLstm {
    fn name(&self) -> &str {
        "lstm"
    }

    fn observe(&mut self, obs: Observation) -> Option<f64> {
        let v = self.features(self.normalise(obs.value), obs.seconds);
        let measured = vec![1.0f32; v.len()];
        let surprise = self.stream.as_mut().and_then(|stream| {
            let s = stream.step(&[StreamInput {
                key: &0,
                values: &v,
                measured: &measured,
            }]);
            s.into_iter()
                .next()
                .flatten()
                .map(|s| (s.residuals[0].abs() as f64).min(1e6))
        });
        self.history.push(obs.value);
        self.times.push(obs.seconds);
        if self.history.len() >= self.next_fit {
            self.fit();
            self.next_fit *= 2;
        }
        surprise
    }

    fn refits(&self) -> u64 {
        self.fits
    }

    fn replayed(&self) -> &[f64] {
        &self.replayed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(i: usize, value: f64) -> Observation {
        Observation {
            seconds: 300 * i as i64,
            value,
        }
    }

    #[test]
    fn learns_a_wave_and_is_surprised_by_a_spike() {
        let settings = OnlineLstmSettings {
            first_fit_after: 200,
            max_epochs: 6,
            ..OnlineLstmSettings::default()
        };
        let mut lstm = OnlineLstm::new(settings);
        let wave = |i: usize| 50.0 + 10.0 * (i as f64 * 0.2).sin();
        let mut calm = Vec::new();
        for i in 0..399 {
            let s = lstm.observe(obs(i, wave(i)));
            if i < 200 {
                assert!(s.is_none(), "no surprise before the first fit");
            } else {
                calm.push(s.expect("fitted"));
            }
        }
        let spike = lstm.observe(obs(399, wave(399) + 60.0)).unwrap();
        let calmest_max = calm.iter().copied().fold(0.0, f64::max);
        assert!(
            spike > 2.0 * calmest_max,
            "spike {spike} vs calm at most {calmest_max}"
        );
    }

    #[test]
    fn a_prefix_gets_the_same_surprises_as_the_full_series() {
        let values: Vec<f64> = (0..340)
            .map(|i| (i % 17) as f64 + (i / 50) as f64)
            .collect();
        let run = |n: usize| {
            let mut lstm = OnlineLstm::new(OnlineLstmSettings {
                first_fit_after: 150,
                max_epochs: 2,
                ..OnlineLstmSettings::default()
            });
            values[..n]
                .iter()
                .enumerate()
                .map(|(i, v)| lstm.observe(obs(i, *v)))
                .collect::<Vec<_>>()
        };
        let full = run(340);
        let prefix = run(320);
        assert_eq!(&full[..320], &prefix[..], "no look-ahead");
    }

    #[test]
    fn the_time_of_day_follows_the_clock_not_the_sample_count() {
        let lstm = OnlineLstm::new(OnlineLstmSettings::default());
        let six_am = lstm.features(0.5, 3 * 86_400 + 6 * 3600);
        assert_eq!(six_am.len(), 3);
        assert_eq!(
            six_am[0], 0.5,
            "the value comes first: it is the one forecast"
        );
        assert!((six_am[1] - 1.0).abs() < 1e-6 && six_am[2].abs() < 1e-6);
        let midnight = lstm.features(0.5, -86_400);
        assert!(midnight[1].abs() < 1e-6 && (midnight[2] - 1.0).abs() < 1e-6);
        let plain = OnlineLstm::new(OnlineLstmSettings {
            time_of_day: false,
            ..OnlineLstmSettings::default()
        });
        assert_eq!(plain.features(0.5, 0), vec![0.5]);
    }

    /// The ensemble with refits (and the combiner relearning from their replays) on the way:
    /// the same samples give the same probabilities, and a prefix scores as the full run began.
    #[test]
    fn the_ensemble_is_deterministic_and_causal() {
        use crate::detector::series::{SeriesDetector, SeriesSettings};
        let values: Vec<f64> = (0..700)
            .map(|i| 20.0 + (i % 23) as f64 + if i == 650 { 60.0 } else { 0.0 })
            .collect();
        let run = |n: usize| {
            let settings = SeriesSettings::default();
            let lstm = OnlineLstm::new(OnlineLstmSettings {
                first_fit_after: 150,
                max_epochs: 2,
                ..OnlineLstmSettings::default()
            });
            let mut detector = SeriesDetector::ensemble(
                &settings,
                settings.statistical_sources(),
                vec![Box::new(lstm)],
            );
            values[..n]
                .iter()
                .enumerate()
                .map(|(i, v)| detector.observe(obs(i, *v)))
                .collect::<Vec<_>>()
        };
        let full = run(700);
        assert_eq!(full, run(700), "deterministic");
        assert_eq!(&full[..660], &run(660)[..], "no look-ahead");
    }
}
