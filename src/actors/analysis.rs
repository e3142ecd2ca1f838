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
use actix::prelude::*;
use std::collections::HashMap;

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
    ) -> Analysis {
        Analysis {
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
                    tracing::error!(error = %e, "cannot append to the incident journal");
                    self.journal_failing = true;
                }
                Err(_) => {}
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
        tracing::warn!("analysis restarted by its supervisor");
    }
}

impl Handler<PublishScores> for Analysis {
    type Result = ();

    fn handle(&mut self, msg: PublishScores, ctx: &mut Context<Self>) {
        let _span = tracing::debug_span!("analyse", scores = msg.scores.len()).entered();
        let events = self.tracker.observe(&msg.scores, &msg.evicted);
        self.record(&events);
        self.ask_llm(&events, ctx);
        if let (Some(alerter), false) = (&self.alerter, events.is_empty()) {
            alerter.do_send(NotifyIncidents(events));
        }
        let incidents = Some(self.pods_in_incidents());
        self.insights.do_send(PublishScores { incidents, ..msg });
    }
}

impl Handler<Shutdown> for Analysis {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        tracing::info!(open = self.tracker.open().count(), "analysis done");
    }
}
