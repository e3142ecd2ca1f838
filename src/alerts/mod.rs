//! Alert sinks: Alertmanager (v2 API) and a Slack-compatible webhook, fed by incidents (not raw
//! scores), rate-limited. The log sink is the analysis actor's own log lines.

pub mod client;
pub mod payload;
pub mod rate_limit;

pub use client::{AlertClient, SendAlertError};
pub use payload::{alertmanager_alert, webhook_message, AlertmanagerAlert, ALERT_NAME};
pub use rate_limit::RateLimit;
