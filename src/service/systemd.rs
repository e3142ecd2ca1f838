//! Talking to the service manager (systemd's notify protocol, `Type=notify`): READY=1 once the
//! pipeline runs, WATCHDOG=1 while the agents answer, STATUS= lines, STOPPING=1.
//!
//! Behind a trait so the orchestrator's decisions (when to ping, what to say) are tested
//! without a socket; [`Systemd`] sends the datagrams with the `sd-notify` crate, which does
//! nothing when `NOTIFY_SOCKET` is unset (not started by systemd).

use std::time::Duration;

/// What the daemon tells its service manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Ready,
    Watchdog,
    /// One line (a newline would end the field in the protocol).
    Status(String),
    Stopping,
}

impl Notice {
    pub fn status(text: &str) -> Notice {
        Notice::Status(text.replace(['\n', '\r'], " "))
    }
}

pub trait ServiceManager: Send {
    fn notify(&self, notices: &[Notice]);
    /// How often the manager expects a watchdog ping, when it does.
    fn watchdog_interval(&self) -> Option<Duration>;
}

/// systemd, through `NOTIFY_SOCKET` and `WATCHDOG_USEC` as it sets them.
#[derive(Debug, Default)]
pub struct Systemd;

impl ServiceManager for Systemd {
    fn notify(&self, notices: &[Notice]) {
        let states: Vec<sd_notify::NotifyState<'_>> = notices
            .iter()
            .map(|n| match n {
                Notice::Ready => sd_notify::NotifyState::Ready,
                Notice::Watchdog => sd_notify::NotifyState::Watchdog,
                Notice::Stopping => sd_notify::NotifyState::Stopping,
                Notice::Status(s) => sd_notify::NotifyState::Status(s),
            })
            .collect();
        if let Err(e) = sd_notify::notify(&states) {
            // The manager is gone or the socket is wrong: nothing to do but say so.
            tracing::debug!(error = %e, "cannot notify the service manager");
        }
    }

    fn watchdog_interval(&self) -> Option<Duration> {
        sd_notify::watchdog_enabled()
    }
}

/// The heartbeat period: systemd advises pinging at half the watchdog timeout; without a
/// watchdog the agents are still checked (readiness) this often.
pub fn heartbeat_period(watchdog: Option<Duration>) -> Duration {
    const WITHOUT_WATCHDOG: Duration = Duration::from_secs(5);
    match watchdog {
        Some(w) => (w / 2).clamp(Duration::from_millis(100), WITHOUT_WATCHDOG),
        None => WITHOUT_WATCHDOG,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_heartbeat_is_half_the_watchdog_at_most_five_seconds() {
        assert_eq!(heartbeat_period(None), Duration::from_secs(5));
        assert_eq!(
            heartbeat_period(Some(Duration::from_secs(30))),
            Duration::from_secs(5)
        );
        assert_eq!(
            heartbeat_period(Some(Duration::from_secs(2))),
            Duration::from_secs(1)
        );
    }
}
