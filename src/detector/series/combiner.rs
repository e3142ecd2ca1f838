//! Surprise streams in, one anomaly probability out.
//!
//! Each source's raw surprise is judged only against that source's own past, twice: by its
//! [`AnomalyLikelihood`] (is the recent average surprise unusually high?) and by its
//! [`RecordExcess`] (is this surprise beyond any in a long stretch?), the latter only for
//! sources whose records mark extreme values ([`SurpriseSource::judged_by_records`]). Each
//! judgement is a tail probability. The smallest tail, times the number of tails (a Bonferroni
//! correction, so adding sources does not by itself add alarms), is the chance of seeing
//! something this unusual in normal behaviour. The probability reported is that chance on a log scale:
//!
//! `anomaly_probability = clamp(−log10(min tail × number of tails) / decades, 0, 1)`
//!
//! Sources are [`Role::Primary`] or [`Role::Corroborating`]: each family's tails are corrected
//! on their own; the corroborating family strengthens the primary one when it agrees, and
//! weakens it when it is not surprised at all ([`corroborate`]).
//!
//! so with the default 10 decades, 0.5 means a corrected tail of 1e-5 and 1.0 means 1e-10 or
//! less. It is a monotone confidence, not a calibrated frequency: the tails assume each
//! source's averaged surprise is roughly normal.

use super::anomaly_likelihood::AnomalyLikelihood;
use super::corroboration::{corroborate, Corroboration};
use super::record_excess::RecordExcess;
#[cfg(doc)]
use super::SurpriseSource;

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
    /// How the corroborating sources' evidence joins the primary one's (see [`corroborate`]).
    pub corroboration: Corroboration,
}

/// How a source's evidence enters the probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Can raise an alarm on its own.
    Primary,
    /// Only strengthens the primary sources' evidence, unless there are none.
    Corroborating,
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
            corroboration: Corroboration {
                weight: 0.5,
                veto_decades: 2.5,
                veto_weight: 3.0,
            },
        }
    }
}

/// The per-source judges, in source order.
#[derive(Debug, Clone)]
pub struct Combiner {
    settings: CombinerSettings,
    /// Each source's likelihood, and its record judge if its records are judged.
    judges: Vec<(AnomalyLikelihood, Option<RecordExcess>)>,
    roles: Vec<Role>,
}

impl Combiner {
    /// A combiner of `sources` primary sources.
    pub fn new(settings: CombinerSettings, sources: usize) -> Combiner {
        Self::with_roles(settings, vec![Role::Primary; sources])
    }

    /// A combiner with one role per source, in source order, each judged by its records too.
    pub fn with_roles(settings: CombinerSettings, roles: Vec<Role>) -> Combiner {
        let records = vec![true; roles.len()];
        Self::with_judges(settings, roles, records)
    }

    /// A combiner with, per source in source order, its role and whether its records are
    /// judged (see [`SurpriseSource::judged_by_records`]).
    pub fn with_judges(
        settings: CombinerSettings,
        roles: Vec<Role>,
        records: Vec<bool>,
    ) -> Combiner {
        assert_eq!(
            roles.len(),
            records.len(),
            "one role and one record flag per source"
        );
        let judges = records
            .iter()
            .map(|r| fresh_judges(&settings, *r))
            .collect();
        Combiner {
            settings,
            judges,
            roles,
        }
    }

    /// Forgets what was learned of one source's surprise: called when its model was replaced
    /// and its surprise changed scale (a new scale judged against the old one would alarm on
    /// the change of model alone). The judges relearn from `replayed`, the new model's
    /// surprises on recent samples, and are silent until they have learned enough.
    pub fn forget(&mut self, source: usize, replayed: &[f64]) {
        let (mut likelihood, mut record) =
            fresh_judges(&self.settings, self.judges[source].1.is_some());
        for s in replayed.iter().filter(|s| s.is_finite()) {
            likelihood.observe(*s);
            if let Some(record) = &mut record {
                record.observe(*s);
            }
        }
        self.judges[source] = (likelihood, record);
    }

    /// One surprise per source (`None` while that source warms up) → the anomaly probability,
    /// or `None` while no judge has learned enough to say anything.
    pub fn combine(&mut self, surprises: &[Option<f64>]) -> Option<f64> {
        assert_eq!(
            surprises.len(),
            self.judges.len(),
            "one surprise per source"
        );
        // (least tail, number of tails) of the primary and of the corroborating sources.
        let mut families = [(f64::INFINITY, 0usize); 2];
        for ((surprise, (likelihood, record)), role) in
            surprises.iter().zip(&mut self.judges).zip(&self.roles)
        {
            let Some(s) = surprise.filter(|s| s.is_finite()) else {
                continue;
            };
            let family = &mut families[(*role == Role::Corroborating) as usize];
            let record = record.as_mut().and_then(|r| r.observe(s));
            for tail in [likelihood.observe(s), record].into_iter().flatten() {
                family.0 = family.0.min(tail);
                family.1 += 1;
            }
        }
        let [primary, corroborating] =
            families.map(|(least, tails)| (tails > 0).then(|| (least * tails as f64).min(1.0)));
        corroborate(primary, corroborating, &self.settings.corroboration)
            .map(|tail| (-tail.max(LEAST_TAIL).log10() / self.settings.decades).clamp(0.0, 1.0))
    }
}

fn fresh_judges(
    settings: &CombinerSettings,
    records: bool,
) -> (AnomalyLikelihood, Option<RecordExcess>) {
    (
        AnomalyLikelihood::new(
            settings.averaging,
            settings.likelihood_learning,
            settings.likelihood_history,
        ),
        records.then(|| {
            RecordExcess::new(
                settings.record_learning,
                settings.record_history,
                settings.record_gain,
            )
        }),
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
        c.forget(0, &[]);
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
    fn a_forgotten_source_relearns_from_its_replay_at_once() {
        let mut c = Combiner::new(quick(), 1);
        for i in 0..400 {
            c.combine(&[Some(1.0 + (i % 7) as f64 * 0.2)]);
        }
        let replay: Vec<f64> = (0..400).map(|i| 10.0 + (i % 7) as f64 * 2.0).collect();
        c.forget(0, &replay);
        let usual = c.combine(&[Some(10.0)]).expect("judging at once");
        assert!(
            usual < 0.3,
            "a usual surprise on the new scale scored {usual}"
        );
        let outlier = c.combine(&[Some(400.0)]).unwrap();
        assert!(
            outlier > 0.7,
            "an outlier on the new scale scored {outlier}"
        );
    }

    #[test]
    fn a_corroborating_source_counts_less_alone_and_strengthens_agreement() {
        let learned = |roles: Vec<Role>| {
            let mut c = Combiner::with_roles(quick(), roles);
            for i in 0..400 {
                c.combine(&[
                    Some(1.0 + (i % 5) as f64 * 0.2),
                    Some(1.0 + (i % 7) as f64 * 0.2),
                ]);
            }
            c
        };
        let c = learned(vec![Role::Primary, Role::Corroborating]);
        let equals = learned(vec![Role::Primary, Role::Primary]);
        // Sample 400 continues the primary's usual pattern (1.0).
        let lone = c.clone().combine(&[Some(1.0), Some(3.0)]).unwrap();
        let lone_as_primary = equals.clone().combine(&[Some(1.0), Some(3.0)]).unwrap();
        assert!(
            lone < 0.5 * lone_as_primary,
            "a lone corroborator scored {lone}, as a primary source {lone_as_primary}"
        );
        let primary = c.clone().combine(&[Some(1.9), Some(1.0)]).unwrap();
        let both = c.clone().combine(&[Some(1.9), Some(3.0)]).unwrap();
        assert!(
            both > primary,
            "agreement {both} vs primary alone {primary}"
        );
    }

    #[test]
    fn a_source_without_records_is_judged_by_its_likelihood_only() {
        let learned = |records: bool| {
            let mut c = Combiner::with_judges(quick(), vec![Role::Primary], vec![records]);
            for i in 0..400 {
                c.combine(&[Some(1.0 + (i % 7) as f64 * 0.2)]);
            }
            c
        };
        // 3.0 beats the record 2.2 by ln(4) − ln(3.2) = 0.223: a record tail of
        // 0.5·e^(−50·0.223) = 7e-6, ×2 tails = 1.4e-5, a probability of 0.49.
        let with = learned(true).combine(&[Some(3.0)]).unwrap();
        assert!((with - 0.486).abs() < 0.01, "with records {with}");
        // Alone it moves the 12-sample average of ln(1 + s) by only (1.39 − 0.95) / 12.
        let without = learned(false).combine(&[Some(3.0)]).unwrap();
        assert!(without < 0.2, "without records {without}");
    }

    #[test]
    fn the_default_veto_lets_strong_evidence_through() {
        let rule = CombinerSettings::default().corroboration;
        // A wholly unsurprised LSTM (tail 1) removes k·v = 3 · 2.5 = 7.5 decades.
        let vetoed = corroborate(Some(1e-13), Some(1.0), &rule).unwrap();
        assert!((vetoed.log10() + 5.5).abs() < 1e-9, "vetoed tail {vetoed}");
        // Alone, the LSTM needs a tail of about 2.5e-10 to reach 4.5 decades: 2·c^0.5.
        let lone = corroborate(Some(1.0), Some(2.5e-10), &rule).unwrap();
        assert!((lone.log10() + 4.5).abs() < 0.01, "a lone LSTM gave {lone}");
    }

    #[test]
    fn silent_sources_give_no_probability() {
        let mut c = Combiner::new(quick(), 1);
        assert_eq!(c.combine(&[None]), None);
    }
}
