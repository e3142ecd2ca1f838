//! The seam between models of a stream and its judges: a [`SurpriseSource`] says, for each
//! value of one stream, how surprising it is given only the values before it.
//!
//! Contract, relied on by the judges ([`super::SignalDetector`]) and the causality tests:
//! - `observe` is called once per measured sample, in time order, and returns the surprise of
//!   *that* sample computed only from earlier samples (and the sample itself); then it learns
//!   from it. Unmeasured samples are not shown to it at all (a gap is not a value).
//! - The surprise is finite and non-negative; larger means less expected. Its scale is the
//!   source's own business (a robust z-score, the distance of a level from its baseline, …):
//!   the judges learn each source's normal range of surprise online and never compare
//!   sources' raw values.
//! - `None` while the source is warming up; once it has started it does not return `None`
//!   again, unless its documentation says when. A source may speak before its surprises
//!   should be judged, so that its judges learn them first (the seasonal source's first day
//!   of misses, [`super::sources::Seasonal::judging`]).
//! - Deterministic, and **streaming**: its state is a fixed handful of numbers (moments,
//!   decayed levels, a daily profile), never a window of past values, so a pod with a dozen
//!   signals costs a few KiB.
//! - Time-aware: every memory is a [`super::Horizon`] weighed by the sample's [`Tick`], so
//!   another sampling interval sees the same behaviour the same way.

use super::horizon::Tick;

/// One measured sample of one stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observation {
    /// Seconds since the Unix epoch. Repeated timestamps are allowed.
    pub seconds: f64,
    pub value: f64,
}

/// What every source is told besides the sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Context {
    pub tick: Tick,
    /// The least spread to believe in (a fraction of the range seen so far).
    pub floor: f64,
    /// Whether the stream has been observed long enough for its sources to speak.
    pub warm: bool,
}

/// An online model of one stream that reports a raw surprise for each value it is shown.
pub trait SurpriseSource {
    /// The surprise of `obs` (see the module contract), then learns from it.
    fn observe(&mut self, obs: Observation, cx: &Context) -> Option<f64>;
}
