//! Anomaly scoring: features in, a probability per pod out.
//!
//! [`AnomalyScorer`] is the seam: the statistical ensemble and the LSTM scorer implement it. Scorers are pure state machines (no I/O, no clocks), so the daemon and the
//! offline `detect` command give identical results on identical rows.
//!
//! [`series`] is the single-series detector (surprise sources and their combiner) used by
//! `detect --format nab`.

pub mod anomaly_type;
pub mod corroboration;
pub mod kube_state;
pub mod lstm;
pub mod pod_score;
pub mod statistical;

pub use anomaly_type::{AnomalyType, Severity};
pub use lstm::{LstmMode, LstmScorer};
pub use pod_score::{Evidence, PodContext, PodScore, PodStatus};
pub use statistical::{StatisticalEnsemble, StatisticalSettings};

use crate::features::{FeatureRow, PodKey};

pub trait AnomalyScorer: Send {
    /// Short name for logs ("statistical", "lstm", …).
    fn name(&self) -> &'static str;
    /// Scores one tick's features, in order. Must be deterministic and causal: the result may
    /// depend only on these rows and earlier ones.
    fn score(&mut self, features: &[FeatureRow]) -> Vec<PodScore>;
    /// Drops the state of pods that are gone.
    fn forget(&mut self, pods: &[PodKey]);
    /// The probability at or above which a pod is anomalous from now on (a reload); the state
    /// learnt so far is kept.
    fn set_alert_threshold(&mut self, threshold: f64);
}
