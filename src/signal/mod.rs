//! The per-signal online detector: one stream in (one metric of one pod, or one NAB series),
//! one judgement per sample out, learned online from the stream's first sample, causal, in a
//! few hundred bytes of state.
//!
//! Three layers:
//! 1. **Surprise sources** ([`SurpriseSource`], [`sources`]): a short and a long robust
//!    z-score, a level shift and the daily cycle. Each says how unexpected a value is given
//!    the values before it, from streaming summaries (decayed robust moments, a daily profile),
//!    never from stored windows.
//! 2. **Judges** ([`Likelihood`], [`Record`]): each source's surprise is judged against that
//!    source's own past, as a tail probability.
//! 3. **The reading** ([`SignalDetector`]): the least tail, Bonferroni-corrected.
//!
//! Every memory is a duration ([`Horizon`]), weighed per sample by the time it covers
//! ([`Tick`], learned from the timestamps by [`Cadence`]). Everything here is pure (no I/O, no
//! clock, no actors) and deterministic.

pub mod daily_profile;
pub mod horizon;
pub mod likelihood;
pub mod normal_tail;
pub mod record;
pub mod robust_level;
pub mod settings;
pub mod signal_detector;
pub mod sources;
pub mod surprise_source;

pub use horizon::{Cadence, Horizon, Tick};
pub use likelihood::Likelihood;
pub use record::Record;
pub use settings::SignalSettings;
pub use signal_detector::{SignalDetector, SignalReading, SourceKind};
pub use surprise_source::{Observation, SurpriseSource};
