//! InsightsWriter: keeps the latest verdict per pod and rewrites `pod_insights.json` atomically
//! after each scoring pass, logging each pod's changes of state: anomalous, back to normal
//! (only on an observed normal verdict), and unknown when an anomalous pod's data stops; and
//! every `summary_every` of the data's time, one summary line.

use super::Shutdown;
use crate::detector::PodScore;
use crate::features::PodKey;
use crate::insights::{InsightsTable, PodIncident};
use crate::service::live_view::LiveView;
use crate::service::telemetry::DaemonMetrics;
use actix::prelude::*;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// New scores, and pods that are gone; from the analysis, also the pods in open incidents.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PublishScores {
    pub scores: Vec<PodScore>,
    pub evicted: Vec<PodKey>,
    /// `None`: no analysis ran (the table keeps what it had).
    pub incidents: Option<HashMap<PodKey, PodIncident>>,
}

/// A reload: the entries kept and the summary's period.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct SetInsightsOptions {
    pub max_pods: usize,
    pub summary_every: Duration,
}

pub struct InsightsWriter {
    path: PathBuf,
    table: InsightsTable,
    failing: bool,
    summary_every: Duration,
    /// Data time of the last summary line (or of the first scores).
    last_summary: Option<DateTime<Utc>>,
    metrics: Arc<DaemonMetrics>,
    view: LiveView,
}

impl InsightsWriter {
    pub fn new(
        path: PathBuf,
        max_pods: usize,
        summary_every: Duration,
        metrics: Arc<DaemonMetrics>,
        view: LiveView,
    ) -> InsightsWriter {
        metrics.actor_known("insights_writer");
        metrics.file_known("insights");
        InsightsWriter {
            metrics,
            view,
            path,
            table: InsightsTable::new(max_pods),
            failing: false,
            summary_every,
            last_summary: None,
        }
    }

    fn write(&mut self) {
        let written = self.table.to_json().and_then(|json| {
            crate::atomic_file::write_atomic(&self.path, &json)?;
            Ok(json)
        });
        let written = written.map(|json| {
            self.metrics.insights_written();
            self.view.set_insights(json);
        });
        match written {
            Ok(()) if self.failing => {
                tracing::info!(path = %self.path.display(), "writing insights works again");
                self.failing = false;
            }
            Ok(()) => {}
            Err(e) if !self.failing => {
                self.metrics.write_failed("insights");
                tracing::error!(path = %self.path.display(), error = %e, "cannot write insights");
                self.failing = true;
            }
            Err(_) => self.metrics.write_failed("insights"),
        }
    }
}

impl Actor for InsightsWriter {
    type Context = Context<Self>;
}

impl Supervised for InsightsWriter {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.metrics.actor_restarted("insights_writer");
        tracing::warn!("insights writer restarted by its supervisor");
    }
}

impl Handler<PublishScores> for InsightsWriter {
    type Result = ();

    fn handle(&mut self, msg: PublishScores, _ctx: &mut Context<Self>) {
        let span = tracing::debug_span!("publish_scores", scores = msg.scores.len()).entered();
        // Log transitions only: a pod that stays anomalous is not re-announced every pass.
        let mut said: HashMap<PodKey, Said> = HashMap::new();
        for s in &msg.scores {
            let key = PodKey::new(&s.namespace, &s.pod);
            let before = *said.entry(key.clone()).or_insert_with(|| Said {
                anomalous: self.table.last_observed(&key).is_some_and(|l| l.is_anomaly),
                unknown: self.table.get(&key).is_some_and(|old| old.is_unknown()),
            });
            let (after, announcement) = announce(before, s);
            said.insert(key, after);
            match announcement {
                Some(Announcement::Anomaly) => tracing::warn!(
                    namespace = %s.namespace,
                    pod = %s.pod,
                    probability = s.anomaly_probability,
                    kind = s.anomaly_type.map(|k| k.as_str()).unwrap_or(""),
                    severity = ?s.severity,
                    "anomaly"
                ),
                Some(Announcement::StillAnomalous) => tracing::info!(
                    namespace = %s.namespace,
                    pod = %s.pod,
                    probability = s.anomaly_probability,
                    kind = s.anomaly_type.map(|k| k.as_str()).unwrap_or(""),
                    "pod observed again, still anomalous"
                ),
                Some(Announcement::BackToNormal) => {
                    tracing::info!(namespace = %s.namespace, pod = %s.pod, "pod back to normal")
                }
                Some(Announcement::Unknown) => tracing::info!(
                    namespace = %s.namespace,
                    pod = %s.pod,
                    "pod state unknown (no data)"
                ),
                None => {}
            }
        }
        self.table.forget(&msg.evicted);
        self.metrics.forget_pods(&msg.evicted);
        let latest = msg.scores.iter().map(|s| s.timestamp).max();
        self.table.update(msg.scores);
        if let Some(incidents) = msg.incidents {
            self.table.set_incidents(incidents);
        }
        self.metrics.pods(self.table.scores());
        self.write();
        // The summary is about the daemon, not this pass: outside its span.
        drop(span);
        if let Some(now) = latest {
            if summary_due(&mut self.last_summary, now, self.summary_every) {
                tracing::info!("{}", self.table.summary());
            }
        }
    }
}

/// Whether a summary is due at data time `now`: once `every` has passed since the last one (the
/// first scores start the clock). Time is the data's, so a replay or a test at a fast interval
/// sees the same cadence as the daemon; a zero `every` turns the summary off.
fn summary_due(last: &mut Option<DateTime<Utc>>, now: DateTime<Utc>, every: Duration) -> bool {
    if every.is_zero() {
        return false;
    }
    let Some(since) = *last else {
        *last = Some(now);
        return false;
    };
    // Time that went back (a row stamped far ahead came first) restarts the clock, so one bad
    // timestamp cannot silence the summary for good.
    if now < since {
        *last = Some(now);
        return false;
    }
    let every = chrono::TimeDelta::from_std(every).unwrap_or(chrono::TimeDelta::MAX);
    if now - since >= every {
        *last = Some(now);
        true
    } else {
        false
    }
}

/// What the log has said of a pod: whether its last observed verdict was anomalous, and whether
/// its data is missing now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Said {
    anomalous: bool,
    unknown: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Announcement {
    Anomaly,
    /// Data came back after a gap and the pod is still failing: not a new anomaly.
    StillAnomalous,
    /// An observed normal verdict after an anomalous one (a gap in between or not).
    BackToNormal,
    /// An anomalous pod's data stopped. A normal pod's gap is not announced per pod: the
    /// source logs its outage once.
    Unknown,
}

/// The log line a verdict calls for, given what was said before, and what is said after it.
fn announce(before: Said, s: &PodScore) -> (Said, Option<Announcement>) {
    if s.is_unknown() {
        let line = (before.anomalous && !before.unknown).then_some(Announcement::Unknown);
        let after = Said {
            unknown: true,
            ..before
        };
        return (after, line);
    }
    let line = match (before.anomalous, s.is_anomaly) {
        (false, true) => Some(Announcement::Anomaly),
        (true, true) if before.unknown => Some(Announcement::StillAnomalous),
        (true, false) => Some(Announcement::BackToNormal),
        _ => None,
    };
    let after = Said {
        anomalous: s.is_anomaly,
        unknown: false,
    };
    (after, line)
}

impl Handler<SetInsightsOptions> for InsightsWriter {
    type Result = ();

    fn handle(&mut self, msg: SetInsightsOptions, _ctx: &mut Context<Self>) {
        // Applied from the next pass (fewer entries: the least interesting go then).
        self.table.set_max_pods(msg.max_pods);
        self.summary_every = msg.summary_every;
    }
}

impl Handler<Shutdown> for InsightsWriter {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        self.write();
        tracing::info!(pods = self.table.len(), "insights writer done");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_due_every_period_of_data_time_never_when_off_and_survives_a_future_stamp() {
        let at = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
        let every = Duration::from_secs(300);
        let mut last = None;
        let due: Vec<i64> = (0..=1200)
            .step_by(5)
            .filter(|&s| summary_due(&mut last, at(s), every))
            .collect();
        assert_eq!(
            due,
            vec![300, 600, 900, 1200],
            "the first scores start the clock"
        );
        let mut last = None;
        assert!((0..1000).all(|s| !summary_due(&mut last, at(s), Duration::ZERO)));
        // A far-future stamp, then time as it is: the summary comes back a period later.
        let mut last = None;
        assert!(!summary_due(&mut last, at(0), every));
        assert!(
            summary_due(&mut last, at(1_000_000_000), every),
            "due, once"
        );
        assert!(!summary_due(&mut last, at(5), every));
        assert!(summary_due(&mut last, at(305), every));
    }
    use crate::detector::{PodStatus, Severity};

    fn verdict(secs: i64, state: &str) -> PodScore {
        PodScore {
            timestamp: chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap(),
            namespace: "shop".into(),
            pod: "cart-7d9f8b6c4-x2k9p".into(),
            node: "n1".into(),
            workload: "cart".into(),
            anomaly_probability: if state == "anomalous" { 0.97 } else { 0.0 },
            is_anomaly: state == "anomalous",
            anomaly_type: None,
            severity: Severity::Info,
            evidence: vec![],
            context: Default::default(),
            status: if state == "unknown" {
                PodStatus::Unknown
            } else {
                PodStatus::Observed
            },
        }
    }

    /// The announcements of a sequence of verdicts, from a pod never seen before.
    fn lines(states: &[&str]) -> Vec<Option<Announcement>> {
        let mut said = Said::default();
        states
            .iter()
            .enumerate()
            .map(|(i, state)| {
                let (after, line) = announce(said, &verdict(i as i64 * 5, state));
                said = after;
                line
            })
            .collect()
    }

    #[test]
    fn a_gap_is_announced_as_unknown_once_and_never_as_back_to_normal() {
        use Announcement::*;
        // Failing, data stops, data returns and the pod still fails, then recovers.
        assert_eq!(
            lines(&[
                "anomalous",
                "anomalous",
                "unknown",
                "unknown",
                "anomalous",
                "normal"
            ]),
            [
                Some(Anomaly),
                None,
                Some(Unknown),
                None,
                Some(StillAnomalous),
                Some(BackToNormal)
            ]
        );
        // Failing, data stops, the pod is observed normal after the gap: that is a recovery.
        assert_eq!(
            lines(&["anomalous", "unknown", "normal", "normal"]),
            [Some(Anomaly), Some(Unknown), Some(BackToNormal), None]
        );
        // A healthy pod's gap says nothing (the source logs its outage), nor does its return.
        assert_eq!(lines(&["normal", "unknown", "normal"]), [None, None, None]);
        // A pod that fails for the first time after a gap is a new anomaly.
        assert_eq!(lines(&["unknown", "anomalous"]), [None, Some(Anomaly)]);
    }
}
