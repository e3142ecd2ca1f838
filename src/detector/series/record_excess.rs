//! Record surprise: by how much the current surprise exceeds the largest of a long stretch of
//! its own past. The anomaly likelihood averages and so blurs a single outstanding value among
//! frequent large ones (daily spikes, say); a spike bigger than any before it stands out here.
//!
//! The excess is measured in `ln(1 + s)` units and turned into a pseudo tail probability
//! `0.5·exp(−gain·excess)`, so it composes with the likelihood's tails in the combiner.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct RecordExcess {
    learning: usize,
    history_len: usize,
    gain: f64,
    seen: usize,
    /// (index, value) with strictly decreasing values: the front is the window's maximum.
    maxima: VecDeque<(usize, f64)>,
}

impl RecordExcess {
    /// `learning`: surprises seen before the first tail (records are common early on);
    /// `history`: surprises the record is taken over; `gain`: steepness of the tail.
    pub fn new(learning: usize, history: usize, gain: f64) -> RecordExcess {
        RecordExcess {
            learning: learning.max(1),
            history_len: history.max(1),
            gain,
            seen: 0,
            maxima: VecDeque::new(),
        }
    }

    /// A pseudo tail probability in (0, 0.5], or `None` while learning.
    pub fn observe(&mut self, surprise: f64) -> Option<f64> {
        let v = surprise.max(0.0).ln_1p();
        let tail = (self.seen >= self.learning).then(|| {
            let record = self.maxima.front().map_or(f64::NEG_INFINITY, |m| m.1);
            let excess = v - record;
            if excess > 0.0 {
                0.5 * (-self.gain * excess).exp()
            } else {
                0.5
            }
        });
        while self.maxima.back().is_some_and(|m| m.1 <= v) {
            self.maxima.pop_back();
        }
        self.maxima.push_back((self.seen, v));
        self.seen += 1;
        while self
            .maxima
            .front()
            .is_some_and(|m| m.0 + self.history_len < self.seen)
        {
            self.maxima.pop_front();
        }
        tail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_new_record_is_rare() {
        let mut r = RecordExcess::new(10, 100, 50.0);
        for i in 0..10 {
            assert_eq!(r.observe((i % 3) as f64), None);
        }
        assert_eq!(r.observe(2.0), Some(0.5), "equal to the record");
        let t = r.observe(5.0).unwrap();
        assert!(t < 1e-10, "a new record had tail {t}");
    }

    #[test]
    fn records_expire_after_the_history() {
        let mut r = RecordExcess::new(1, 5, 50.0);
        r.observe(9.0);
        for _ in 0..5 {
            r.observe(1.0);
        }
        assert!(r.observe(2.0).unwrap() < 0.5, "9.0 left the history");
    }
}
