//! Record surprise, streamed: by how much the current surprise exceeds the largest of its
//! recent past. The likelihood averages and so blurs a single outstanding value among frequent
//! large ones (daily spikes, say); a spike bigger than any before it stands out here.
//!
//! The record is *held, then decayed* rather than windowed: the largest `v = ln(1 + s)` seen
//! stands for the record horizon, as it would in a window of that length, then fades towards
//! the stream's long-run mean of `v` with the same horizon; two numbers instead of thousands.
//! (A record that faded from the start would be broken by the same daily spike each day.) The
//! excess over it becomes a pseudo tail probability `0.5·exp(−gain·excess)` that composes
//! with the likelihood's tails.
//!
//! The record is kept **in the value's units**: a surprise is a deviation over a spread, and
//! what is extreme is the deviation. The record deviation is re-read against the current
//! spread each time, so a spread that shrinks over quiet days does not turn a repeat of a past
//! extreme into a new record (nor does a spread that grows hide one).

use super::horizon::{Horizon, Tick};

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Record {
    /// The record deviation (surprise × spread when it was set), in the value's units.
    record: f64,
    /// Time since the record was set, in seconds.
    age: f32,
    /// Time seen, in horizon-seconds (saturating at the learning time).
    learned: f32,
}

impl Record {
    /// A pseudo tail probability in (0, 0.5], or `None` while learning; then learns.
    /// `surprise` is a deviation measured in `spread`s; `typical` is the stream's long-run mean
    /// of `ln(1 + s)`, the level a record decays to.
    #[allow(clippy::too_many_arguments)]
    pub fn observe(
        &mut self,
        surprise: f64,
        spread: f64,
        tick: &Tick,
        history: Horizon,
        learning: Horizon,
        gain: f64,
        typical: f64,
    ) -> Option<f64> {
        let v = surprise.max(0.0).ln_1p();
        let spread = spread.max(f64::MIN_POSITIVE);
        let learn_for = (learning.seconds() * tick.stretch) as f32;
        let hold = history.seconds() * tick.stretch;
        let fading = (self.age as f64 - hold).max(0.0);
        let held = (self.record / spread).ln_1p();
        let record = typical + (held - typical) * (-fading / hold.max(1e-9)).exp();
        let tail = (self.learned >= learn_for).then(|| {
            let excess = v - record;
            if excess > 0.0 {
                0.5 * (-gain * excess).exp()
            } else {
                0.5
            }
        });
        self.learned = (self.learned + tick.elapsed as f32).min(learn_for);
        if v >= record {
            self.record = surprise.max(0.0) * spread;
            self.age = 0.0;
        } else {
            self.age += tick.elapsed as f32;
        }
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_record_is_unlikely_and_an_old_one_fades() {
        let tick = Tick::regular(15.0);
        let (history, learning) = (Horizon::hours(10.0), Horizon::minutes(30.0));
        let mut r = Record::default();
        let mut tails = Vec::new();
        for i in 0..400 {
            let s = if i == 300 {
                50.0
            } else {
                1.0 + (i % 5) as f64 * 0.2
            };
            tails.push(r.observe(s, 1.0, &tick, history, learning, 50.0, 0.7));
        }
        assert!(
            tails[..120].iter().all(Option::is_none),
            "learning for 30 min"
        );
        assert!(tails[300].unwrap() < 1e-10, "{:?}", tails[300]);
        assert!(tails[301..].iter().all(|t| *t == Some(0.5)));
        // Within its horizon the record stands; a few horizons later it has faded and a
        // smaller spike is a record again.
        for _ in 0..2_000 {
            r.observe(1.0, 1.0, &tick, history, learning, 50.0, 0.7);
        }
        assert_eq!(
            r.observe(20.0, 1.0, &tick, history, learning, 50.0, 0.7),
            Some(0.5)
        );
        for _ in 0..12_000 {
            r.observe(1.0, 1.0, &tick, history, learning, 50.0, 0.7);
        }
        assert!(
            r.observe(20.0, 1.0, &tick, history, learning, 50.0, 0.7)
                .unwrap()
                < 1e-10
        );
    }

    #[test]
    fn a_record_is_a_deviation_so_a_shrinking_spread_does_not_renew_it() {
        let tick = Tick::regular(15.0);
        let (history, learning) = (Horizon::hours(10.0), Horizon::minutes(30.0));
        let mut r = Record::default();
        for _ in 0..200 {
            r.observe(1.0, 2.0, &tick, history, learning, 50.0, 0.7);
        }
        // A deviation of 40 when the spread was 2: a surprise of 20, a record.
        assert!(
            r.observe(20.0, 2.0, &tick, history, learning, 50.0, 0.7)
                .unwrap()
                < 1e-10
        );
        for _ in 0..100 {
            r.observe(1.0, 1.0, &tick, history, learning, 50.0, 0.7);
        }
        // The spread has halved: the same deviation is now a surprise of 40, but no record.
        assert_eq!(
            r.observe(40.0, 1.0, &tick, history, learning, 50.0, 0.7),
            Some(0.5)
        );
        // A deviation half again as large is.
        assert!(
            r.observe(60.0, 1.0, &tick, history, learning, 50.0, 0.7)
                .unwrap()
                < 1e-6
        );
    }
}
