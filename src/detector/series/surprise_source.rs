//! The seam between models and the combiner: a [`SurpriseSource`] says, for each value of one
//! series, how surprising it is given only the values before it.

/// One sample of a single series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Seconds since the Unix epoch. Repeated or backward timestamps (daylight-saving changes)
    /// are allowed: sources that care about time must cope with them.
    pub seconds: i64,
    pub value: f64,
}

/// An online model of one series that reports a raw surprise for each value it is shown.
///
/// Contract, relied on by [`super::Combiner`] and by the causality tests:
/// - `observe` is called once per sample, in time order, and returns the surprise of *that*
///   sample computed only from earlier samples (and the sample itself); then it learns from it.
/// - The surprise is finite and non-negative; larger means less expected. Its scale is the
///   source's own business (a robust z-score, `|x−μ|/σ` of a forecast, …): the combiner learns
///   each source's normal range of surprise online and never compares sources' raw values.
/// - `None` while the source is still warming up. It must not return `None` again once it has
///   started, except where its documentation says so.
/// - Deterministic: the same samples give the same surprises.
pub trait SurpriseSource: Send {
    /// Short name for logs and reports ("robust_z_64", "lstm", …).
    fn name(&self) -> &str;
    /// The surprise of `obs`, then learns from it.
    fn observe(&mut self, obs: Observation) -> Option<f64>;
    /// How many times the source has replaced its model (a refitted network). Its surprises
    /// before and after a replacement are on different scales, so when this changes the
    /// combiner forgets what it learned of this source. Sources that only update (the
    /// statistical ones) keep the default 0.
    fn refits(&self) -> u64 {
        0
    }
    /// After a refit: the new model's surprises over the latest samples it was fitted on,
    /// oldest first, for the combiner to relearn its scale from at once rather than during the
    /// next few hundred samples. They are in-sample, so somewhat optimistic.
    fn replayed(&self) -> &[f64] {
        &[]
    }
    /// Whether a surprise beyond any of a long stretch of this source's past marks an extreme
    /// value, so that the combiner's record judge ([`super::RecordExcess`]) applies. Sources
    /// whose surprise cannot single out one value, or whose scale drifts with a short window,
    /// say no and are judged by their anomaly likelihood only.
    fn judged_by_records(&self) -> bool {
        true
    }
}
