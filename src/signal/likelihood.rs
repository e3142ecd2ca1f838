//! The anomaly likelihood of one surprise stream (after Numenta's HTM detector), streamed: how
//! unusual the *recent average* surprise is against that average's own long-run distribution.
//!
//! Each surprise `s` becomes `v = ln(1 + s)` (heavy tails tamed) and is averaged over a short
//! horizon; the long-run mean and variance of that average are followed over a long one. The
//! judgement is the upper tail of the current average under a normal with those moments. A
//! source that is always surprised (a noisy series) is thereby as quiet as one that never is:
//! only a change in surprise counts.
//!
//! Five numbers per stream, where the windowed version kept the last 2000 averages. Until the
//! long horizon has seen enough, the moments are blended with a prior: what a well-behaved
//! z-score source gives ([`z_score_prior`]: `v = ln(1 + |Z|)` of a standard normal `Z` has mean
//! 0.535 and spread 0.318, and the short average narrows the spread by `√(a/(2−a))` for the
//! weight `a` of one independent surprise, taken as one per reference step), so a young stream
//! is judged from its first minutes rather than not at all; the prior's weight fades as real
//! averages accumulate.

use super::horizon::{Horizon, Tick};
use super::normal_tail::normal_upper_tail;

/// Least spread of the averaged log-surprise (a perfectly regular stream would otherwise make
/// any change infinitely unlikely).
const MIN_SPREAD: f64 = 1e-3;

/// The prior on the averaged log-surprise and how many samples it is worth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LikelihoodPrior {
    pub mean: f64,
    pub spread: f64,
    /// Pseudo-samples: the prior weighs as much as this many real averages.
    pub weight: f64,
    /// Surprises are capped here before averaging.
    pub cap: f64,
}

/// `E[ln(1 + |Z|)]` and its standard deviation for a standard normal `Z`.
pub const Z_LOG_SURPRISE_MEAN: f64 = 0.5348;
pub const Z_LOG_SURPRISE_SPREAD: f64 = 0.3175;

/// The prior of a z-score source whose surprises are averaged with per-sample weight `a`,
/// worth `weight` samples (`cap` as in [`LikelihoodPrior::cap`]).
pub fn z_score_prior(a: f64, weight: f64, cap: f64) -> LikelihoodPrior {
    let a = a.clamp(1e-9, 1.0);
    LikelihoodPrior {
        mean: Z_LOG_SURPRISE_MEAN,
        spread: Z_LOG_SURPRISE_SPREAD * (a / (2.0 - a)).sqrt(),
        weight,
        cap,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Likelihood {
    /// Short average of `ln(1 + s)`.
    average: f64,
    /// Long-run mean and variance of `average`.
    mean: f64,
    var: f64,
    /// Samples seen (saturating), for the warm-up weights.
    n: u32,
}

impl Likelihood {
    /// The tail probability of this surprise, in (0, 0.5], then learns from it. `averaging`
    /// and `history` are the short and long horizons.
    pub fn observe(
        &mut self,
        surprise: f64,
        tick: &Tick,
        averaging: Horizon,
        history: Horizon,
        prior: &LikelihoodPrior,
    ) -> f64 {
        let v = surprise.clamp(0.0, prior.cap).ln_1p();
        if self.n == 0 {
            // The short average starts where the prior expects it: a first surprise moves it
            // by its weight, as every later one does, rather than standing for the average.
            self.average = prior.mean;
        }
        self.n = self.n.saturating_add(1);
        let n = self.n as f64;
        let a = tick.weight(averaging).min(1.0);
        self.average += a * (v - self.average);

        // Moments so far, blended with the prior by weight.
        let seen = n - 1.0;
        let (mean, var) = if seen < 1.0 {
            (prior.mean, prior.spread * prior.spread)
        } else {
            let w = prior.weight / (prior.weight + seen);
            let mean = w * prior.mean + (1.0 - w) * self.mean;
            // The prior only adds caution: the gap between its mean and the stream's widens
            // the spread when the stream is more surprised than the prior expects, not when it
            // is quieter (a signal that is always zero must not look noisy for it).
            let between = if self.mean > prior.mean {
                w * (prior.mean - mean).powi(2) + (1.0 - w) * (self.mean - mean).powi(2)
            } else {
                0.0
            };
            let var = w * prior.spread * prior.spread + (1.0 - w) * self.var + between;
            (mean, var)
        };
        let sd = var.max(0.0).sqrt().max(MIN_SPREAD);
        let tail = if self.average > mean {
            normal_upper_tail((self.average - mean) / sd)
        } else {
            0.5
        };

        // Learn the long-run moments of the average (exact while young).
        let b = tick.weight(history).max(1.0 / n).min(1.0);
        let delta = self.average - self.mean;
        self.mean += b * delta;
        self.var = (1.0 - b) * (self.var + b * delta * delta);
        tail
    }

    /// The long-run mean of the averaged log-surprise (what the record judge decays towards).
    pub fn long_run_mean(&self) -> f64 {
        self.mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIOR: LikelihoodPrior = LikelihoodPrior {
        mean: 0.5,
        spread: 0.25,
        weight: 50.0,
        cap: f64::INFINITY,
    };

    fn run(l: &mut Likelihood, surprises: impl Iterator<Item = f64>) -> Vec<f64> {
        let tick = Tick::regular(15.0);
        surprises
            .map(|s| l.observe(s, &tick, Horizon::minutes(3.0), Horizon::hours(8.0), &PRIOR))
            .collect()
    }

    #[test]
    fn steady_surprise_is_not_unlikely_and_a_sustained_rise_is() {
        let mut l = Likelihood::default();
        let calm = run(
            &mut l,
            (0..3000).map(|i| 1.0 + 0.3 * ((i * 7 % 11) as f64 / 11.0)),
        );
        assert!(
            calm[500..].iter().all(|t| *t > 1e-3),
            "{:?}",
            &calm[500..510]
        );
        let risen = run(&mut l, std::iter::repeat_n(20.0, 30));
        assert!(risen.last().unwrap() < &1e-8, "{:?}", risen.last());
    }

    #[test]
    fn a_noisy_stream_becomes_as_quiet_as_a_calm_one() {
        let mut l = Likelihood::default();
        let tails = run(
            &mut l,
            (0..4000).map(|i| 8.0 + 4.0 * ((i * 13 % 17) as f64 / 17.0)),
        );
        let worst = tails[2000..].iter().cloned().fold(1.0, f64::min);
        assert!(
            worst > 1e-3,
            "a noisy but steady stream is learned: {worst}"
        );
    }
}
