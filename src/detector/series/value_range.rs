//! The range of the values seen so far: sources use a small fraction of it as the least spread
//! they believe in, so a flat stretch (MAD 0) does not make the next tiny wiggle infinitely
//! surprising, while a flat *series* still notices any change.

#[derive(Debug, Clone, Copy)]
pub struct ValueRange {
    low: f64,
    high: f64,
}

impl Default for ValueRange {
    fn default() -> Self {
        ValueRange {
            low: f64::INFINITY,
            high: f64::NEG_INFINITY,
        }
    }
}

/// Spreads never go below this, whatever the range (guards divisions).
const MIN_SPREAD: f64 = 1e-12;

impl ValueRange {
    pub fn see(&mut self, value: f64) {
        self.low = self.low.min(value);
        self.high = self.high.max(value);
    }

    /// `fraction` of the range seen so far, at least a tiny positive number.
    pub fn floor(&self, fraction: f64) -> f64 {
        let range = self.high - self.low;
        if range > 0.0 {
            (range * fraction).max(MIN_SPREAD)
        } else {
            MIN_SPREAD
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_is_a_fraction_of_the_range_and_never_zero() {
        let mut r = ValueRange::default();
        assert_eq!(r.floor(0.01), MIN_SPREAD);
        r.see(5.0);
        assert_eq!(r.floor(0.01), MIN_SPREAD);
        r.see(105.0);
        assert!((r.floor(0.01) - 1.0).abs() < 1e-12);
    }
}
