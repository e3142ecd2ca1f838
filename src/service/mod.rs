//! The daemon as its operator and its service manager see it: readiness ([`health`]), its own
//! metrics ([`telemetry`]), the latest documents the API serves ([`live_view`]), the HTTP
//! endpoint that shows them ([`endpoint`]), the systemd notify protocol ([`systemd`]), and the
//! settings that cannot work on this machine, refused before start-up ([`startup_checks`]).
//!
//! Shared handles, written by the agents and read by the endpoint; nothing here sends a
//! message into the pipeline.

pub mod endpoint;
pub mod health;
pub mod live_view;
pub mod startup_checks;
pub mod systemd;
pub mod telemetry;
