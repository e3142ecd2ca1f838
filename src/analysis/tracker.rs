//! Turns scoring passes into incident transitions: one incident per workload while it fails
//! (all its failing pods together; its kind is the classification most samples got), resolved once every pod involved has been
//! normal for `resolve_after`, and not re-opened as a new incident within `cooldown` after that
//! (a recurrence re-opens the same one). Pure: time comes from the scores.

use super::incident::{AffectedPod, Incident, IncidentEvent, Transition};
use super::recommend::explain;
use super::workload::Workload;
use crate::detector::{AnomalyType, PodScore};
use crate::features::PodKey;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap};

/// Related events kept per incident.
const MAX_EVENTS: usize = 10;

type IncidentKey = (String, String);

#[derive(Debug)]
pub struct IncidentTracker {
    open: BTreeMap<IncidentKey, Incident>,
    resolved: HashMap<IncidentKey, Incident>,
    resolve_after: TimeDelta,
    cooldown: TimeDelta,
}

impl IncidentTracker {
    pub fn new(resolve_after: std::time::Duration, cooldown: std::time::Duration) -> Self {
        IncidentTracker {
            open: BTreeMap::new(),
            resolved: HashMap::new(),
            resolve_after: TimeDelta::from_std(resolve_after).unwrap_or(TimeDelta::MAX),
            cooldown: TimeDelta::from_std(cooldown).unwrap_or(TimeDelta::MAX),
        }
    }

    /// The open incidents.
    pub fn open(&self) -> impl Iterator<Item = &Incident> {
        self.open.values()
    }

    /// The open incident a pod is part of, most severe first.
    pub fn incident_of(&self, namespace: &str, pod: &str) -> Option<&Incident> {
        self.open
            .values()
            .filter(|i| i.namespace == namespace && i.pods.contains_key(pod))
            .max_by_key(|i| i.severity)
    }

    /// One scoring pass (and the pods evicted since the last): the transitions it causes.
    pub fn observe(&mut self, scores: &[PodScore], evicted: &[PodKey]) -> Vec<IncidentEvent> {
        let Some(now) = scores.iter().map(|s| s.timestamp).max() else {
            return self.forget(evicted, None);
        };
        // Per incident touched: whether it opened in this pass, and whether it changed.
        let mut touched: BTreeMap<IncidentKey, (bool, bool)> = BTreeMap::new();
        for s in scores.iter().filter(|s| s.is_anomaly) {
            let Some(kind) = s.anomaly_type else { continue };
            let workload = Workload::of(&s.namespace, &s.pod);
            let key = (s.namespace.clone(), workload.name.clone());
            let mut opened = false;
            let mut changed = false;
            if !self.open.contains_key(&key) {
                match self.resolved.remove(&key).filter(|i| {
                    i.resolved_at
                        .is_some_and(|r| s.timestamp - r < self.cooldown)
                }) {
                    Some(mut back) => {
                        back.resolved_at = None;
                        back.recurrences += 1;
                        self.open.insert(key.clone(), back);
                        changed = true;
                    }
                    None => {
                        self.open
                            .insert(key.clone(), new_incident(s, kind, workload));
                        opened = true;
                    }
                }
            }
            let incident = self.open.get_mut(&key).expect("inserted above");
            changed |= absorb(incident, s, kind);
            let entry = touched.entry(key).or_insert((false, false));
            entry.0 |= opened;
            entry.1 |= changed;
        }
        let mut events: Vec<IncidentEvent> = touched
            .into_iter()
            .filter_map(|(key, (opened, changed))| {
                let event = match (opened, changed) {
                    (true, _) => Transition::Opened,
                    (false, true) => Transition::Updated,
                    (false, false) => return None,
                };
                let incident = self.open.get(&key)?;
                Some(IncidentEvent {
                    event,
                    at: now,
                    incident: incident.clone(),
                })
            })
            .collect();
        events.extend(self.forget(evicted, Some(now)));
        events
    }

    /// Resolves incidents whose pods are all quiet (or gone) by `now`.
    fn forget(&mut self, evicted: &[PodKey], now: Option<DateTime<Utc>>) -> Vec<IncidentEvent> {
        let mut events = Vec::new();
        let keys: Vec<IncidentKey> = self.open.keys().cloned().collect();
        for key in keys {
            let incident = self.open.get_mut(&key).expect("listed above");
            incident.pods.retain(|pod, _| {
                !evicted
                    .iter()
                    .any(|e| e.namespace == incident.namespace && e.pod == *pod)
            });
            let quiet =
                |p: &AffectedPod| now.is_some_and(|n| n - p.last_anomalous >= self.resolve_after);
            if incident.pods.values().all(quiet) {
                let mut incident = self.open.remove(&key).expect("listed above");
                let at = now
                    .or_else(|| incident.pods.values().map(|p| p.last_anomalous).max())
                    .unwrap_or(incident.updated_at);
                incident.resolved_at = Some(at);
                incident.updated_at = at;
                events.push(IncidentEvent {
                    event: Transition::Resolved,
                    at,
                    incident: incident.clone(),
                });
                self.resolved.insert(key, incident);
            }
        }
        // Cooled-down incidents are history.
        if let Some(now) = now {
            self.resolved
                .retain(|_, i| i.resolved_at.is_some_and(|r| now - r < self.cooldown));
        }
        events
    }
}

fn new_incident(s: &PodScore, kind: AnomalyType, workload: Workload) -> Incident {
    Incident {
        id: format!(
            "{}/{}/{}/{}",
            s.namespace,
            workload.name,
            kind.as_str(),
            s.timestamp.format("%Y%m%dT%H%M%SZ")
        ),
        namespace: s.namespace.clone(),
        explanation: explain(kind, &workload, &s.pod, &s.context),
        workload,
        kind,
        kinds_seen: BTreeMap::new(),
        severity: s.severity,
        opened_at: s.timestamp,
        updated_at: s.timestamp,
        resolved_at: None,
        recurrences: 0,
        pods: BTreeMap::new(),
        evidence: Vec::new(),
        context: s.context.clone(),
        related_events: Vec::new(),
    }
}

/// Folds one anomalous score into its incident; whether anything worth a journal line changed
/// (a new pod, a higher severity, a new event).
fn absorb(incident: &mut Incident, s: &PodScore, kind: AnomalyType) -> bool {
    let mut changed = false;
    let pod = incident.pods.entry(s.pod.clone()).or_insert_with(|| {
        changed = true;
        AffectedPod {
            since: s.timestamp,
            last_anomalous: s.timestamp,
            node: s.node.clone(),
            peak_probability: 0.0,
        }
    });
    pod.last_anomalous = pod.last_anomalous.max(s.timestamp);
    pod.peak_probability = pod.peak_probability.max(s.anomaly_probability);
    if s.severity > incident.severity {
        incident.severity = s.severity;
        changed = true;
    }
    if let Some(reason) = &s.context.event_reason {
        let text = match &s.context.event_message {
            Some(m) => format!("{}: {reason}: {m}", s.pod),
            None => format!("{}: {reason}", s.pod),
        };
        if incident.related_events.last() != Some(&text) {
            incident.related_events.push(text);
            if incident.related_events.len() > MAX_EVENTS {
                incident.related_events.remove(0);
            }
            changed = true;
        }
    }
    *incident.kinds_seen.entry(kind).or_insert(0) += 1;
    // The majority; a tie goes to the current kind, so the label does not flicker.
    let current = incident
        .kinds_seen
        .get(&incident.kind)
        .copied()
        .unwrap_or(0);
    if let Some((&top, &votes)) = incident.kinds_seen.iter().max_by_key(|(_, v)| **v) {
        if votes > current && top != incident.kind {
            incident.kind = top;
            changed = true;
        }
    }
    incident.updated_at = incident.updated_at.max(s.timestamp);
    incident.evidence = s.evidence.clone();
    incident.context = s.context.clone();
    incident.explanation = explain(incident.kind, &incident.workload, &s.pod, &s.context);
    changed
}
