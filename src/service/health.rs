//! Readiness: whether the daemon can do its job now, and if not, why. The orchestrator records
//! which agents answered its last heartbeat, the collector whether the source answered; the
//! endpoint's `/readyz` and the systemd status line read it.
//!
//! A handle (cheap to clone, shared by reference count), never a global.

use std::sync::{Arc, Mutex};

/// What the source said at its last collection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SourceState {
    /// No collection has finished yet.
    #[default]
    Starting,
    Up,
    /// The last collection failed, with its error.
    Down(String),
}

#[derive(Debug, Default)]
struct State {
    pipeline_started: bool,
    /// Agents that did not answer the last heartbeat, with why.
    unanswered: Vec<String>,
    source: SourceState,
    stopping: bool,
}

/// The daemon's readiness, shared between the agents that know parts of it.
#[derive(Debug, Clone, Default)]
pub struct Health(Arc<Mutex<State>>);

impl Health {
    pub fn new() -> Health {
        Health::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave it inconsistent (plain assignments).
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn pipeline_started(&self) {
        self.state().pipeline_started = true;
    }

    pub fn stopping(&self) {
        self.state().stopping = true;
    }

    /// The outcome of the latest heartbeat: the agents that did not answer, each with why.
    pub fn heartbeat(&self, unanswered: Vec<String>) {
        self.state().unanswered = unanswered;
    }

    pub fn source(&self, state: SourceState) {
        self.state().source = state;
    }

    /// What the source said at its last collection.
    pub fn source_state(&self) -> SourceState {
        self.state().source.clone()
    }

    /// `Ok` when ready; otherwise every reason it is not.
    pub fn readiness(&self) -> Result<(), Vec<String>> {
        let s = self.state();
        let mut reasons = Vec::new();
        if s.stopping {
            reasons.push("stopping".to_string());
        } else if !s.pipeline_started {
            reasons.push("starting: the agents are not all running yet".to_string());
        }
        reasons.extend(s.unanswered.iter().cloned());
        match &s.source {
            SourceState::Up => {}
            SourceState::Starting => {
                reasons.push("source: no collection has finished yet".to_string())
            }
            SourceState::Down(e) => reasons.push(format!("source unreachable: {e}")),
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(reasons)
        }
    }
}

/// Work an agent has finished, counted: an agent busy on a long message (a replay) does not
/// answer pings, but one that makes progress is not stuck.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<std::sync::atomic::AtomicU64>);

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    pub fn advance(&self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_started_every_agent_answers_and_the_source_is_up() {
        let h = Health::new();
        assert_eq!(
            h.readiness().unwrap_err().len(),
            2,
            "starting, no collection"
        );
        h.pipeline_started();
        h.source(SourceState::Up);
        assert_eq!(h.readiness(), Ok(()));
        h.source(SourceState::Down("connection refused".into()));
        h.heartbeat(vec!["anomaly model: no answer within 5s".into()]);
        let reasons = h.readiness().unwrap_err();
        assert_eq!(
            reasons,
            [
                "anomaly model: no answer within 5s",
                "source unreachable: connection refused"
            ]
        );
        h.source(SourceState::Up);
        h.heartbeat(vec![]);
        assert_eq!(h.readiness(), Ok(()));
        h.stopping();
        assert_eq!(h.readiness().unwrap_err(), ["stopping"]);
    }
}
