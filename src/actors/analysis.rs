//! Analysis: the Anomaly Detection agent's actor. Each scoring pass goes through the incident
//! tracker; transitions are journalled to `incidents.jsonl`, logged and sent to the alerter, and
//! the pass goes on to the insights writer with the explanation and recommendation of every pod
//! in an open incident. When an LLM is configured, each new incident is also sent to it (as a
//! future on this actor's arbiter); its answer is attached when it comes, and the rule-based
//! explanation stays on any failure.

use super::alerter::NotifyIncidents;
use super::insights_writer::PublishScores;
use super::llm_explainer::ExplainIncident;
use super::Shutdown;
use crate::analysis::llm_request::{evidence_document, sensitive_names, signature};
use crate::analysis::{IncidentEvent, IncidentJournal, IncidentTracker, Transition};
use crate::features::PodKey;
use crate::insights::PodIncident;
use crate::service::live_view::LiveView;
use crate::service::telemetry::DaemonMetrics;
use actix::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

/// A reload: the incident timings, and the alert sinks and LLM to use from now on.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reconfigure {
    pub resolve_after: std::time::Duration,
    pub cooldown: std::time::Duration,
    /// `Some`: replace the alerter (`Some(None)`: none).
    pub alerter: Option<Option<Recipient<NotifyIncidents>>>,
    /// `Some`: replace the LLM explainer (`Some(None)`: none).
    pub llm: Option<Option<Recipient<ExplainIncident>>>,
}

pub struct Analysis {
    tracker: IncidentTracker,
    journal: Option<IncidentJournal>,
    insights: Recipient<PublishScores>,
    /// The alert sinks, when any is configured.
    alerter: Option<Recipient<NotifyIncidents>>,
    /// The LLM explainer agent, when configured.
    llm: Option<Recipient<ExplainIncident>>,
    journal_failing: bool,
    llm_failing: bool,
    metrics: Arc<DaemonMetrics>,
    view: LiveView,
}

impl Analysis {
    /// `journal`: `None` when it could not be opened (logged by the caller); incidents are then
    /// still explained in the insights and the log.
    pub fn new(
        tracker: IncidentTracker,
        journal: Option<IncidentJournal>,
        insights: Recipient<PublishScores>,
        alerter: Option<Recipient<NotifyIncidents>>,
        llm: Option<Recipient<ExplainIncident>>,
        metrics: Arc<DaemonMetrics>,
        view: LiveView,
    ) -> Analysis {
        metrics.actor_known("analysis");
        metrics.file_known("incidents");
        metrics.incidents_open([]);
        Analysis {
            metrics,
            view,
            tracker,
            journal,
            insights,
            alerter,
            llm,
            journal_failing: false,
            llm_failing: false,
        }
    }

    /// Journals and logs transitions.
    fn record(&mut self, events: &[IncidentEvent]) {
        for e in events {
            let i = &e.incident;
            match e.event {
                Transition::Opened => tracing::warn!(
                    incident = %i.id,
                    kind = i.kind.as_str(),
                    severity = ?i.severity,
                    pods = i.pods.len(),
                    "incident opened: {}",
                    i.explanation.summary
                ),
                Transition::Updated => tracing::info!(
                    incident = %i.id,
                    kind = i.kind.as_str(),
                    severity = ?i.severity,
                    pods = i.pods.len(),
                    "incident updated"
                ),
                Transition::Resolved => tracing::info!(incident = %i.id, "incident resolved"),
            }
        }
        if let Some(journal) = self.journal.as_mut() {
            match journal.append(events) {
                Ok(()) if self.journal_failing => {
                    tracing::info!("appending to the incident journal works again");
                    self.journal_failing = false;
                }
                Ok(()) => {}
                Err(e) if !self.journal_failing => {
                    self.metrics.write_failed("incidents");
                    tracing::error!(error = %e, "cannot append to the incident journal");
                    self.journal_failing = true;
                }
                Err(_) => self.metrics.write_failed("incidents"),
            }
        }
    }

    /// Asks the LLM about each newly opened incident.
    fn ask_llm(&self, events: &[IncidentEvent], ctx: &mut Context<Self>) {
        let Some(llm) = &self.llm else { return };
        for e in events.iter().filter(|e| e.event == Transition::Opened) {
            let id = e.incident.id.clone();
            let request = ExplainIncident {
                signature: signature(&e.incident),
                document: evidence_document(&e.incident),
                names: sensitive_names(&e.incident),
            };
            let ask = llm.send(request);
            let ask = async move {
                let answer = match ask.await {
                    Ok(answer) => answer.map_err(|e| e.to_string()),
                    Err(mailbox) => Err(format!("the LLM explainer is gone: {mailbox}")),
                };
                (id, answer)
            };
            ctx.spawn(ask.into_actor(self).map(|(id, answer), act, _ctx| match answer {
                Ok(explanation) => {
                    if act.llm_failing {
                        tracing::info!("LLM explanations work again");
                        act.llm_failing = false;
                    }
                    if let Some(event) = act.tracker.attach_llm(&id, explanation) {
                        tracing::info!(incident = %id, "LLM explanation attached");
                        act.record(std::slice::from_ref(&event));
                        act.publish_incidents();
                    }
                }
                Err(e) => {
                    if !act.llm_failing {
                        tracing::warn!(
                            incident = %id,
                            error = %e,
                            "LLM explanation failed; the rule-based explanation stands                              (logged once until one succeeds)"
                        );
                        act.llm_failing = true;
                    }
                }
            }));
        }
    }

    /// The open incidents for the endpoint (most severe, then oldest, first) and their counts.
    fn publish_incidents(&self) {
        let mut open: Vec<&crate::analysis::Incident> = self.tracker.open().collect();
        open.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.opened_at.cmp(&b.opened_at))
        });
        self.metrics.incidents_open(open.iter().map(|i| i.kind));
        match serde_json::to_vec_pretty(&open) {
            Ok(json) => self.view.set_incidents(json),
            Err(e) => tracing::error!(error = %e, "cannot serialise the open incidents"),
        }
    }

    /// Incidents are per workload, so a pod is in at most one.
    fn pods_in_incidents(&self) -> HashMap<PodKey, PodIncident> {
        let mut by_pod = HashMap::new();
        for incident in self.tracker.open() {
            for (pod, part) in &incident.pods {
                let key = PodKey::new(&incident.namespace, pod);
                let entry = PodIncident {
                    incident_id: incident.id.clone(),
                    incident_kind: incident.kind.as_str().to_string(),
                    since: part.since,
                    explanation: format!(
                        "{}. {}",
                        incident.explanation.summary, incident.explanation.root_cause
                    ),
                    recommendation: incident.explanation.steps.clone(),
                    llm: incident.llm.clone(),
                };
                by_pod.insert(key, entry);
            }
        }
        by_pod
    }
}

impl Actor for Analysis {
    type Context = Context<Self>;
}

impl Supervised for Analysis {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.metrics.actor_restarted("analysis");
        tracing::warn!("analysis restarted by its supervisor");
    }
}

impl Handler<PublishScores> for Analysis {
    type Result = ();

    fn handle(&mut self, msg: PublishScores, ctx: &mut Context<Self>) {
        let _span = tracing::debug_span!("analyse", scores = msg.scores.len()).entered();
        let events = self.tracker.observe(&msg.scores, &msg.evicted);
        self.record(&events);
        if !events.is_empty() {
            self.publish_incidents();
        }
        self.ask_llm(&events, ctx);
        if let (Some(alerter), false) = (&self.alerter, events.is_empty()) {
            alerter.do_send(NotifyIncidents(events));
        }
        let incidents = Some(self.pods_in_incidents());
        self.insights.do_send(PublishScores { incidents, ..msg });
    }
}

impl Handler<Reconfigure> for Analysis {
    type Result = ();

    fn handle(&mut self, msg: Reconfigure, _ctx: &mut Context<Self>) {
        // Open incidents stay open; the new timings apply to them from the next pass.
        self.tracker.set_timings(msg.resolve_after, msg.cooldown);
        if let Some(alerter) = msg.alerter {
            // A new alerter knows nothing yet: it is told of the incidents open now, so their
            // alerts fire without waiting for their next transition.
            if let Some(new) = &alerter {
                let open: Vec<IncidentEvent> = self
                    .tracker
                    .open()
                    .map(|i| IncidentEvent {
                        event: Transition::Opened,
                        at: i.opened_at,
                        incident: i.clone(),
                    })
                    .collect();
                if !open.is_empty() {
                    new.do_send(NotifyIncidents(open));
                }
            }
            self.alerter = alerter;
        }
        if let Some(llm) = msg.llm {
            self.llm = llm;
            self.llm_failing = false;
        }
    }
}

impl Handler<Shutdown> for Analysis {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        tracing::info!(open = self.tracker.open().count(), "analysis done");
    }
}
