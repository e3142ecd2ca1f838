//! Feature building: turns canonical rows into per-pod features that say how far each pod is
//! from its own normal behaviour and from its sibling replicas.
//!
//! Processing is per *tick* (all rows sharing one timestamp): each row is compared with the pod's
//! history strictly before that tick, so features are causal and do not depend on how rows were
//! batched. The per-pod baselines (median, robust scale from the quartiles, mean, std) are
//! aggregated with Polars and cached per pod ([`baseline`]); robust z-scores, peer comparison
//! ([`peers`]), the memory trend ([`trend`]) and sequential signals (restart deltas, readiness)
//! are plain Rust on top.

pub mod baseline;
pub mod feature_row;
pub mod history;
pub mod peers;
pub mod pod_key;
pub mod signal;
pub mod tick_features;
pub mod trend;

pub use feature_row::FeatureRow;
pub use history::{HistoryStore, PodHistory};
pub use pod_key::PodKey;
pub use signal::{Signal, SIGNALS, SIGNAL_COUNT};
pub use tick_features::{FeatureBuilder, FeatureError};
