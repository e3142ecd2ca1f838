//! The anomaly likelihood of one surprise stream (after Numenta's HTM detector): how unusual
//! the *recent average* surprise is against the long-run distribution of that average.
//!
//! Each surprise `s` becomes `ln(1 + s)` (heavy tails tamed), averaged over the last few
//! samples. Once `learning` averages have been seen, the result is the upper tail probability
//! of the current average under a normal fitted to the last `history` averages. A source that
//! is always surprised (a noisy series) is thereby as quiet as one that is never surprised: only
//! a change in surprise counts.

use super::normal_tail::normal_upper_tail;
use std::collections::VecDeque;

/// Least standard deviation of the averaged log-surprise (a perfectly regular stream would
/// otherwise make any change infinitely unlikely).
const MIN_SPREAD: f64 = 1e-3;

#[derive(Debug, Clone)]
pub struct AnomalyLikelihood {
    learning: usize,
    history_len: usize,
    recent: VecDeque<f64>,
    recent_len: usize,
    recent_sum: f64,
    history: VecDeque<f64>,
    sum: f64,
    sum_sq: f64,
    /// Pushes since the sums were last recomputed exactly (running sums drift).
    since_exact: usize,
}

impl AnomalyLikelihood {
    /// `averaging`: surprises averaged; `learning`: averages before the first tail;
    /// `history`: averages the distribution is fitted to.
    pub fn new(averaging: usize, learning: usize, history: usize) -> AnomalyLikelihood {
        AnomalyLikelihood {
            learning: learning.max(2),
            history_len: history.max(learning.max(2)),
            recent: VecDeque::with_capacity(averaging.max(1) + 1),
            recent_len: averaging.max(1),
            recent_sum: 0.0,
            history: VecDeque::new(),
            sum: 0.0,
            sum_sq: 0.0,
            since_exact: 0,
        }
    }

    /// The tail probability of this surprise in (0, 0.5] (0.5 = not above the usual), or `None`
    /// while learning.
    pub fn observe(&mut self, surprise: f64) -> Option<f64> {
        let v = surprise.max(0.0).ln_1p();
        self.recent.push_back(v);
        self.recent_sum += v;
        if self.recent.len() > self.recent_len {
            self.recent_sum -= self.recent.pop_front().unwrap_or(0.0);
        }
        let average = self.recent_sum / self.recent.len() as f64;
        let tail = (self.history.len() >= self.learning).then(|| {
            let n = self.history.len() as f64;
            let mean = self.sum / n;
            let sd = (self.sum_sq / n - mean * mean)
                .max(0.0)
                .sqrt()
                .max(MIN_SPREAD);
            if average > mean {
                normal_upper_tail((average - mean) / sd)
            } else {
                0.5
            }
        });
        self.remember(average);
        tail
    }

    fn remember(&mut self, average: f64) {
        self.history.push_back(average);
        self.sum += average;
        self.sum_sq += average * average;
        if self.history.len() > self.history_len {
            let old = self.history.pop_front().unwrap_or(0.0);
            self.sum -= old;
            self.sum_sq -= old * old;
        }
        self.since_exact += 1;
        if self.since_exact >= self.history_len {
            self.since_exact = 0;
            self.sum = self.history.iter().sum();
            self.sum_sq = self.history.iter().map(|v| v * v).sum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usual_surprise_is_unremarkable_and_a_jump_is_rare() {
        let mut l = AnomalyLikelihood::new(4, 50, 500);
        let usual = |i: usize| 1.0 + (i % 5) as f64 * 0.3;
        for i in 0..50 {
            assert_eq!(l.observe(usual(i)), None, "learning");
        }
        let mut least = 1.0f64;
        for i in 50..400 {
            least = least.min(l.observe(usual(i)).unwrap());
        }
        assert!(least > 1e-3, "usual surprise had tail {least}");
        let jump = (0..4).map(|_| l.observe(50.0).unwrap()).fold(1.0, f64::min);
        assert!(jump < 1e-6, "a jump in surprise had tail {jump}");
    }
}
