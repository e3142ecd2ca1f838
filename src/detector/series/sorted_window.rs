//! A sliding window of the last `capacity` values that keeps them sorted, for exact rolling
//! medians and MADs. Insert and evict cost O(capacity) memory moves, which for the windows used
//! here (≤ a few thousand) is cheaper than a pair of heaps and exact.

use std::collections::VecDeque;

#[derive(Debug, Clone)]
pub struct SortedWindow {
    capacity: usize,
    order: VecDeque<f64>,
    sorted: Vec<f64>,
}

impl SortedWindow {
    pub fn new(capacity: usize) -> SortedWindow {
        assert!(capacity > 0, "a window holds at least one value");
        SortedWindow {
            capacity,
            order: VecDeque::with_capacity(capacity + 1),
            sorted: Vec::with_capacity(capacity + 1),
        }
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.sorted.len() == self.capacity
    }

    /// Adds a finite value, evicting the oldest when full; returns the evicted value.
    pub fn push(&mut self, value: f64) -> Option<f64> {
        let evicted = if self.order.len() == self.capacity {
            let old = self.order.pop_front().expect("full window has a front");
            let at = self.position(old);
            self.sorted.remove(at);
            Some(old)
        } else {
            None
        };
        self.order.push_back(value);
        let at = self.sorted.partition_point(|v| *v < value);
        self.sorted.insert(at, value);
        evicted
    }

    /// Median (mean of the middle pair for an even count); `None` when empty.
    pub fn median(&self) -> Option<f64> {
        median_of_sorted(&self.sorted)
    }

    /// Median and MAD scaled to a normal σ (×1.4826); `None` when empty.
    pub fn median_and_spread(&self) -> Option<(f64, f64)> {
        let med = self.median()?;
        Some((med, median_distance(&self.sorted, med) * MAD_TO_SIGMA))
    }

    fn position(&self, value: f64) -> usize {
        let at = self.sorted.partition_point(|v| *v < value);
        debug_assert!(
            self.sorted.get(at) == Some(&value),
            "evicted value is in the window"
        );
        at
    }
}

/// The MAD of a normal distribution times this is its standard deviation.
pub const MAD_TO_SIGMA: f64 = 1.4826;

/// The median of `|v − center|` over sorted values: the distances grow outwards from `center`,
/// so merging the two sides yields them in order without sorting (half the window visited).
fn median_distance(sorted: &[f64], center: f64) -> f64 {
    let n = sorted.len();
    let mut right = sorted.partition_point(|v| *v < center);
    let mut left = right; // the next candidate on the left is `left - 1`
    let (mut previous, mut current) = (0.0, 0.0);
    for _ in 0..=n / 2 {
        let from_left = (left > 0).then(|| center - sorted[left - 1]);
        let from_right = (right < n).then(|| sorted[right] - center);
        previous = current;
        current = match (from_left, from_right) {
            (Some(l), Some(r)) if l <= r => {
                left -= 1;
                l
            }
            (Some(l), None) => {
                left -= 1;
                l
            }
            (_, Some(r)) => {
                right += 1;
                r
            }
            (None, None) => unreachable!("n/2 + 1 distances exist"),
        };
    }
    if n % 2 == 1 {
        current
    } else {
        0.5 * (previous + current)
    }
}

fn median_of_sorted(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some(0.5 * (sorted[n / 2 - 1] + sorted[n / 2])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_mad_follow_the_window() {
        let mut w = SortedWindow::new(3);
        assert_eq!(w.median(), None);
        w.push(5.0);
        w.push(1.0);
        assert_eq!(w.median(), Some(3.0));
        w.push(3.0);
        assert_eq!(w.push(10.0), Some(5.0));
        // window is now 1, 3, 10
        let (med, spread) = w.median_and_spread().unwrap();
        assert_eq!(med, 3.0);
        assert!((spread - 2.0 * MAD_TO_SIGMA).abs() < 1e-12);
        assert!(w.is_full());
    }

    #[test]
    fn mad_equals_the_median_of_sorted_distances() {
        let values = [4.0, -1.0, 7.5, 7.5, 2.0, 10.0, 3.0, 3.0, 0.5];
        for n in 1..=values.len() {
            let mut w = SortedWindow::new(n);
            for v in &values[..n] {
                w.push(*v);
            }
            let (med, spread) = w.median_and_spread().unwrap();
            let mut d: Vec<f64> = values[..n].iter().map(|v| (v - med).abs()).collect();
            d.sort_by(f64::total_cmp);
            let want = median_of_sorted(&d).unwrap() * MAD_TO_SIGMA;
            assert!((spread - want).abs() < 1e-12, "n={n}: {spread} vs {want}");
        }
    }

    #[test]
    fn duplicates_are_evicted_one_at_a_time() {
        let mut w = SortedWindow::new(2);
        w.push(1.0);
        w.push(1.0);
        assert_eq!(w.push(2.0), Some(1.0));
        assert_eq!(w.median(), Some(1.5));
    }
}
