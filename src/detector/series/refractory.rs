//! Post-detection suppression: once the probability reaches the firing level, the following
//! samples report 0 for a while. One event is then one alert rather than a burst, and the
//! models keep learning meanwhile. It looks only at the past, so it stays causal.

#[derive(Debug, Clone)]
pub struct Refractory {
    firing_level: f64,
    hold: usize,
    quiet: usize,
}

impl Refractory {
    /// `firing_level`: probability that counts as an alert; `hold`: samples silenced after it.
    pub fn new(firing_level: f64, hold: usize) -> Refractory {
        Refractory {
            firing_level,
            hold,
            quiet: 0,
        }
    }

    /// The probability to report for this sample.
    pub fn filter(&mut self, probability: f64) -> f64 {
        if self.quiet > 0 {
            self.quiet -= 1;
            return 0.0;
        }
        if probability >= self.firing_level {
            self.quiet = self.hold;
        }
        probability
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alert_silences_the_next_samples_only() {
        let mut r = Refractory::new(0.5, 2);
        assert_eq!(r.filter(0.4), 0.4, "below the firing level passes");
        assert_eq!(r.filter(0.9), 0.9);
        assert_eq!(r.filter(0.95), 0.0);
        assert_eq!(r.filter(0.7), 0.0);
        assert_eq!(r.filter(0.8), 0.8, "hold over, fires again");
    }
}
