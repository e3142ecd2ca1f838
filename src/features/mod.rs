//! Feature building: turns canonical rows into per-pod features that say how far each pod is
//! from its own normal behaviour and from its sibling replicas.
//!
//! Processing is per *tick* (all rows sharing one timestamp). Each pod keeps one online
//! detector per signal ([`crate::signal`]: streaming summaries, a few hundred bytes each, no
//! history window), which judges the new value against the pod's past and then learns from it,
//! so features are causal and do not depend on how rows were batched. The tick's cross-section
//! gives the peer signals (each pod against its sibling replicas, one Polars group-by per
//! tick, [`peers`]); the memory trend ([`memory_trend`]) and the restart delta are plain Rust
//! on top.

pub mod feature_row;
pub mod memory_trend;
pub mod peers;
pub mod pod_key;
pub mod pod_streams;
pub mod signal;
pub mod tick_features;

pub use feature_row::FeatureRow;
pub use memory_trend::MemoryTrend;
pub use pod_key::PodKey;
pub use pod_streams::{PodStream, PodStreams};
pub use signal::{Signal, SIGNALS, SIGNAL_COUNT};
pub use tick_features::{FeatureBuilder, FeatureError};
