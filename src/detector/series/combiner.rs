//! Surprise streams in, one anomaly probability out.
//!
//! Each source's raw surprise is judged only against that source's own past, twice: by its
//! [`AnomalyLikelihood`] (is the recent average surprise unusually high?) and by its
//! [`RecordExcess`] (is this surprise beyond any in a long stretch?). Each judgement is a tail
//! probability. The smallest tail, times the number of tails (a Bonferroni correction, so adding
//! sources does not by itself add alarms), is the chance of seeing something this unusual in
//! normal behaviour. The probability reported is that chance on a log scale:
//!
//! `anomaly_probability = clamp(−log10(min tail × number of tails) / decades, 0, 1)`
//!
//! so with the default 10 decades, 0.5 means a corrected tail of 1e-5 and 1.0 means 1e-10 or
//! less. It is a monotone confidence, not a calibrated frequency: the tails assume each
//! source's averaged surprise is roughly normal.

use super::anomaly_likelihood::AnomalyLikelihood;
use super::record_excess::RecordExcess;

/// Tail probabilities are clamped here before the logarithm.
const LEAST_TAIL: f64 = 1e-300;

#[derive(Debug, Clone, PartialEq)]
pub struct CombinerSettings {
    /// Surprises averaged by the anomaly likelihood.
    pub averaging: usize,
    /// Averages seen before the likelihood reports.
    pub likelihood_learning: usize,
    /// Averages the likelihood's distribution is fitted to.
    pub likelihood_history: usize,
    /// Surprises seen before a record counts.
    pub record_learning: usize,
    /// Surprises a record is taken over.
    pub record_history: usize,
    /// Steepness of the record tail, per unit of `ln(1 + surprise)` above the record.
    pub record_gain: f64,
    /// Decades of tail probability mapped onto [0, 1].
    pub decades: f64,
}

impl Default for CombinerSettings {
    fn default() -> Self {
        CombinerSettings {
            averaging: 12,
            likelihood_learning: 300,
            likelihood_history: 2000,
            record_learning: 1200,
            record_history: 5000,
            record_gain: 50.0,
            decades: 10.0,
        }
    }
}

/// The per-source judges, in source order.
#[derive(Debug, Clone)]
pub struct Combiner {
    settings: CombinerSettings,
    judges: Vec<(AnomalyLikelihood, RecordExcess)>,
}

impl Combiner {
    pub fn new(settings: CombinerSettings, sources: usize) -> Combiner {
        let judges = (0..sources).map(|_| fresh_judges(&settings)).collect();
        Combiner { settings, judges }
    }

    /// Forgets what was learned of one source's surprise: called when its model was replaced
    /// and its surprise changed scale. Until its judges have relearned, the source is silent
    /// (a new scale judged against the old one would alarm on the change of model alone).
    pub fn forget(&mut self, source: usize) {
        self.judges[source] = fresh_judges(&self.settings);
    }

    /// One surprise per source (`None` while that source warms up) → the anomaly probability,
    /// or `None` while no judge has learned enough to say anything.
    pub fn combine(&mut self, surprises: &[Option<f64>]) -> Option<f64> {
        assert_eq!(
            surprises.len(),
            self.judges.len(),
            "one surprise per source"
        );
        let mut least = f64::INFINITY;
        let mut tails = 0usize;
        for (surprise, (likelihood, record)) in surprises.iter().zip(&mut self.judges) {
            let Some(s) = surprise.filter(|s| s.is_finite()) else {
                continue;
            };
            for tail in [likelihood.observe(s), record.observe(s)]
                .into_iter()
                .flatten()
            {
                least = least.min(tail);
                tails += 1;
            }
        }
        (tails > 0).then(|| {
            let corrected = (least * tails as f64).max(LEAST_TAIL);
            (-corrected.log10() / self.settings.decades).clamp(0.0, 1.0)
        })
    }
}

fn fresh_judges(settings: &CombinerSettings) -> (AnomalyLikelihood, RecordExcess) {
    (
        AnomalyLikelihood::new(
            settings.averaging,
            settings.likelihood_learning,
            settings.likelihood_history,
        ),
        RecordExcess::new(
            settings.record_learning,
            settings.record_history,
            settings.record_gain,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> CombinerSettings {
        CombinerSettings {
            likelihood_learning: 50,
            record_learning: 100,
            ..CombinerSettings::default()
        }
    }

    #[test]
    fn usual_surprise_is_near_zero_and_an_outlier_is_high() {
        let mut c = Combiner::new(quick(), 2);
        let mut calm = 0.0f64;
        for i in 0..400 {
            let s = [Some(1.0 + (i % 7) as f64 * 0.2), None];
            if let Some(p) = c.combine(&s) {
                calm = calm.max(p);
            }
        }
        assert!(calm < 0.3, "usual surprise reached {calm}");
        let p = c.combine(&[Some(40.0), None]).unwrap();
        assert!(p > 0.7, "outlier scored {p}");
    }

    #[test]
    fn a_forgotten_source_relearns_its_scale() {
        let mut c = Combiner::new(quick(), 1);
        for i in 0..400 {
            c.combine(&[Some(1.0 + (i % 7) as f64 * 0.2)]);
        }
        c.forget(0);
        // The same source now speaks on a ten times larger scale: no alarm, only learning.
        assert_eq!(c.combine(&[Some(10.0)]), None, "relearning after forget");
        let mut calm = 0.0f64;
        for i in 0..400 {
            if let Some(p) = c.combine(&[Some(10.0 + (i % 7) as f64 * 2.0)]) {
                calm = calm.max(p);
            }
        }
        assert!(calm < 0.3, "the new scale, once learned, reached {calm}");
    }

    #[test]
    fn silent_sources_give_no_probability() {
        let mut c = Combiner::new(quick(), 1);
        assert_eq!(c.combine(&[None]), None);
    }
}
