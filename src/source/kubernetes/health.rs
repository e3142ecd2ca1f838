//! Why the API server is not giving us data, and logging that once per change of state.
//!
//! Errors from the client and from the watches are sorted into a few kinds an operator acts on
//! differently: unreachable (network, API server down or not answering in time), credentials
//! rejected (401), access forbidden (403: RBAC), and failing (any other error answer). A state
//! is logged when it begins or changes kind (WARN) and when it ends (INFO), never per attempt.

use crate::error_chain::error_chain;
use chrono::{DateTime, Utc};
use kube::runtime::watcher;

/// The RBAC the source needs, named in every 401/403 message.
pub const RBAC_HINT: &str = "k8s-monitor needs get/list/watch on pods and events, and get/list \
                             on pods.metrics.k8s.io (see deploy/rbac.yaml)";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Unreachable,
    Unauthorized,
    Forbidden,
    /// 404: the API is not served (metrics.k8s.io without metrics-server).
    NotFound,
    Failing,
}

impl ProblemKind {
    /// How the state reads in a log line ("Kubernetes API server <this>").
    fn describe(self) -> &'static str {
        match self {
            ProblemKind::Unreachable => "unreachable",
            ProblemKind::Unauthorized => "rejects our credentials (401 Unauthorized)",
            ProblemKind::Forbidden => "forbids access (403 Forbidden)",
            ProblemKind::NotFound => "not served (404 Not Found)",
            ProblemKind::Failing => "failing",
        }
    }
}

/// A failed request, sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    pub fn unreachable(message: impl Into<String>) -> Problem {
        Problem {
            kind: ProblemKind::Unreachable,
            message: message.into(),
        }
    }

    /// The message with what to do about it, for logs and collection errors.
    pub fn explain(&self) -> String {
        match self.kind {
            ProblemKind::Unauthorized => format!(
                "{}; check the kubeconfig's user or the service account token; {RBAC_HINT}",
                self.message
            ),
            ProblemKind::Forbidden => format!("{}; {RBAC_HINT}", self.message),
            ProblemKind::NotFound => format!(
                "{}; is metrics-server installed? (kubectl get apiservice \
                 v1beta1.metrics.k8s.io); or take usage from Prometheus with --source \
                 kubernetes+prometheus",
                self.message
            ),
            _ => self.message.clone(),
        }
    }
}

/// The kind of an error answer with this HTTP status code.
pub fn kind_of_status(code: u16) -> ProblemKind {
    match code {
        401 => ProblemKind::Unauthorized,
        403 => ProblemKind::Forbidden,
        404 => ProblemKind::NotFound,
        _ => ProblemKind::Failing,
    }
}

fn status_message(code: u16, reason: &str, message: &str) -> String {
    let text = if message.is_empty() { reason } else { message };
    format!("{code} {text}")
}

/// Sorts a client error.
pub fn classify(e: &kube::Error) -> Problem {
    match e {
        kube::Error::Api(s) => Problem {
            kind: kind_of_status(s.code),
            message: status_message(s.code, &s.reason, &s.message),
        },
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
            Problem::unreachable(error_chain(e))
        }
        other => Problem {
            kind: ProblemKind::Failing,
            message: error_chain(other),
        },
    }
}

/// Sorts a watcher error; `None` for the ones that are part of normal operation: `410 Gone`
/// (the watch expired; the watcher re-lists) and a watch stream broken mid-way (the watcher
/// resumes it at once, and reports the failure if that does not work).
pub fn classify_watch(e: &watcher::Error) -> Option<Problem> {
    match e {
        watcher::Error::WatchError(s) if s.code == 410 => None,
        watcher::Error::WatchFailed(_) => None,
        watcher::Error::WatchError(s) => Some(Problem {
            kind: kind_of_status(s.code),
            message: status_message(s.code, &s.reason, &s.message),
        }),
        watcher::Error::InitialListFailed(e) | watcher::Error::WatchStartFailed(e) => {
            Some(classify(e))
        }
        watcher::Error::NoResourceVersion => Some(Problem {
            kind: ProblemKind::Failing,
            message: e.to_string(),
        }),
    }
}

/// Logs the state of one thing (the API server, the events watch, the metrics API) when it
/// changes.
pub struct StateLog {
    /// What the lines are about ("Kubernetes API server").
    subject: &'static str,
    /// What it means for the rows while the problem lasts.
    consequence: &'static str,
    current: Option<(ProblemKind, DateTime<Utc>)>,
}

impl StateLog {
    pub fn new(subject: &'static str, consequence: &'static str) -> StateLog {
        StateLog {
            subject,
            consequence,
            current: None,
        }
    }

    /// Records the state at `now`; logs if it changed. Returns true if it did.
    pub fn update(&mut self, now: DateTime<Utc>, problem: Option<&Problem>) -> bool {
        match (self.current, problem) {
            (None, None) => false,
            (Some((kind, _)), Some(p)) if kind == p.kind => false,
            (_, Some(p)) => {
                tracing::warn!(
                    error = %p.explain(),
                    "{} {}; {}",
                    self.subject,
                    p.kind.describe(),
                    self.consequence
                );
                let since = self.current.map_or(now, |(_, since)| since);
                self.current = Some((p.kind, since));
                true
            }
            (Some((_, since)), None) => {
                tracing::info!(
                    down_for = %humantime::format_duration(
                        (now - since).to_std().unwrap_or_default()
                    ),
                    "{} answering again",
                    self.subject
                );
                self.current = None;
                true
            }
        }
    }

    /// The problem going on, as the warning named it.
    pub fn problem(&self) -> Option<String> {
        self.current
            .map(|(kind, _)| format!("{} {}", self.subject, kind.describe()))
    }

    pub fn is_down(&self) -> bool {
        self.current.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, reason: &str) -> kube::Error {
        kube::Error::Api(
            kube::core::Status::failure(&format!("pods is {reason}"), reason)
                .with_code(code)
                .boxed(),
        )
    }

    #[test]
    fn errors_are_sorted_into_what_an_operator_does_about_them() {
        assert_eq!(
            classify(&status(401, "Unauthorized")).kind,
            ProblemKind::Unauthorized
        );
        assert_eq!(
            classify(&status(403, "Forbidden")).kind,
            ProblemKind::Forbidden
        );
        assert_eq!(
            classify(&status(500, "InternalError")).kind,
            ProblemKind::Failing
        );
        let forbidden = classify(&status(403, "Forbidden"));
        assert!(forbidden
            .explain()
            .contains("get/list/watch on pods and events"));
        assert!(forbidden.explain().contains("pods.metrics.k8s.io"));
        assert!(forbidden.message.starts_with("403 "));

        let gone = watcher::Error::WatchError(
            kube::core::Status::failure("too old resource version", "Expired")
                .with_code(410)
                .boxed(),
        );
        assert_eq!(
            classify_watch(&gone),
            None,
            "410 is routine: the watcher re-lists"
        );
        let list = watcher::Error::InitialListFailed(status(403, "Forbidden"));
        assert_eq!(classify_watch(&list).unwrap().kind, ProblemKind::Forbidden);
    }

    #[test]
    fn the_state_is_logged_on_change_only() {
        let t0: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        let mut log = StateLog::new("Kubernetes API server", "rows empty");
        let down = Problem::unreachable("connection refused");
        assert!(!log.update(t0, None));
        assert!(log.update(t0, Some(&down)));
        assert!(!log.update(t0, Some(&Problem::unreachable("timed out"))));
        let forbidden = Problem {
            kind: ProblemKind::Forbidden,
            message: "403".into(),
        };
        assert!(
            log.update(t0, Some(&forbidden)),
            "a new kind is a new state"
        );
        assert!(log.is_down());
        assert!(log.update(t0, None));
        assert!(!log.update(t0, None));
        assert!(!log.is_down());
    }
}
