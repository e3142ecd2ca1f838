//! k8s-monitor: watches the pods of a Kubernetes cluster (or a built-in simulated one), learns how
//! each one normally behaves, flags anomalies with a probability, and explains them.
//!
//! The binary (`src/main.rs`) only parses the command line and calls into this library.
//!
//! - [`metrics_row`]: the canonical row every source produces and every reader parses.
//! - [`features`] → [`detector`] via [`pipeline`]: the pure scoring path, shared by the daemon
//!   and `detect`.
//! - [`model`]: the Burn LSTM forecaster: training, calibration, streaming inference.
//! - [`actors`]: the daemon (Collector, CsvWriter, DatasetGenerator, AnomalyModel,
//!   InsightsWriter, Orchestrator).
//! - [`settings`]: `agents.toml` → validated → runtime settings.
//! - [`llm`]: the optional LLM explainer (redaction, an OpenAI-compatible client, a cache).
//! - [`exporter`]: the simulated cluster served to Prometheus (`simulate`).

pub mod actors;
pub mod alerts;
pub mod analysis;
pub mod atomic_file;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod csv_input;
pub mod detector;
pub mod error_chain;
pub mod eval;
pub mod exporter;
pub mod fault_label;
pub mod features;
pub mod insights;
pub mod llm;
pub mod metrics_row;
pub mod model;
pub mod pipeline;
pub mod retry;
pub mod service;
pub mod settings;
pub mod signal;
pub mod simulator;
pub mod source;
