//! How a corroborating source's evidence joins the primary sources' evidence.
//!
//! A weaker model (the online LSTM: it learns from a few hundred samples and refits as it goes)
//! should not raise alarms on its own, but when it agrees with the primary sources it makes
//! their alarm more credible, and it may see an event a little earlier. So the combined tail is
//!
//! `min(primary, 2 · primary^(1−w) · corroborating^w)`
//!
//! the primary evidence alone, or a weighted geometric mean of both (×2: two ways to pass). On a
//! log scale it is the larger of the primary score and `(1−w)·primary + w·corroborating`: an
//! unsurprised corroborator never lowers the primary score, and alone (primary tail 1) it
//! counts for `w` of its own decades, so with w = 0.3 it alarms alone (4.5 decades) only on
//! overwhelming evidence, a tail below about 1e-15 (a new record far beyond its past).

/// Fuses Bonferroni-corrected tail probabilities in (0, 1]; `None` where a family has not yet
/// learned enough to judge. With only one family judging, that family's tail stands.
pub fn corroborate(primary: Option<f64>, corroborating: Option<f64>, weight: f64) -> Option<f64> {
    match (primary, corroborating) {
        (Some(p), Some(c)) => Some(p.min(2.0 * p.powf(1.0 - weight) * c.powf(weight))),
        (p, c) => p.or(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_strengthens_the_primary_evidence() {
        // 2 · 10^(−4·0.7 − 8·0.3) = 1.3e-5.
        let p = corroborate(Some(1e-4), Some(1e-8), 0.3).unwrap();
        assert!(p < 2e-5, "agreement gave {p}");
    }

    #[test]
    fn an_unsurprised_corroborator_changes_nothing() {
        assert_eq!(corroborate(Some(1e-4), Some(1.0), 0.3), Some(1e-4));
        assert_eq!(corroborate(Some(1e-4), None, 0.3), Some(1e-4));
    }

    #[test]
    fn alone_a_corroborator_counts_for_its_weight() {
        // Its own tail of 1e-10 becomes 2e-3 (a score of 0.27 on the 10-decade scale).
        let p = corroborate(Some(1.0), Some(1e-10), 0.3).unwrap();
        assert!((p - 2e-3).abs() < 1e-6, "a lone corroborator gave {p}");
    }

    #[test]
    fn alone_a_family_speaks_for_itself() {
        assert_eq!(corroborate(None, Some(1e-6), 0.3), Some(1e-6));
        assert_eq!(corroborate(None, None, 0.3), None);
    }
}
