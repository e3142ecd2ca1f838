//! Turns scoring passes into incident transitions: one incident per workload while it fails
//! (all its failing pods together; its kind is the classification most samples got), resolved
//! once every pod involved has been *observed* normal for `resolve_after` (or is gone), and not
//! re-opened as a new incident within `cooldown` after that (a recurrence re-opens the same
//! one). Pure: time comes from the scores.
//!
//! A gap is not a recovery. A pod counts toward resolution only for the span between its first
//! and its latest observed normal verdict since it was last anomalous ([`AffectedPod`]'s
//! `normal_since` and `last_normal`); an unknown verdict (its row measured nothing: the source's
//! backend was down) clears that span, and a pass without the pod leaves it as it was. So
//! nothing resolves because data stopped, and a pod failing before and after an outage stays in
//! one open incident with no `resolved` or `opened` in between. A pod gone for good leaves its
//! incident when it is evicted (`evict_after` of silence in data time, by the feature builder).

use super::incident::{AffectedPod, Incident, IncidentEvent, Transition};
use super::recommend::explain;
use super::workload::Workload;
use crate::detector::{AnomalyType, PodScore};
use crate::features::PodKey;
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::{BTreeMap, HashMap};

/// How long the primary pod may be normal before another affected pod's evidence explains the
/// incident.
const PRIMARY_HANDOVER: TimeDelta = TimeDelta::seconds(60);

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

    /// New timings (a reload); open incidents keep their history.
    pub fn set_timings(
        &mut self,
        resolve_after: std::time::Duration,
        cooldown: std::time::Duration,
    ) {
        self.resolve_after = TimeDelta::from_std(resolve_after).unwrap_or(TimeDelta::MAX);
        self.cooldown = TimeDelta::from_std(cooldown).unwrap_or(TimeDelta::MAX);
    }

    /// The open incidents.
    pub fn open(&self) -> impl Iterator<Item = &Incident> {
        self.open.values()
    }

    /// Attaches the LLM's explanation to an open incident: the "updated" transition, or `None`
    /// when the incident is gone.
    pub fn attach_llm(
        &mut self,
        id: &str,
        explanation: crate::llm::Explanation,
    ) -> Option<IncidentEvent> {
        let incident = self.open.values_mut().find(|i| i.id == id)?;
        incident.llm = Some(explanation);
        Some(IncidentEvent {
            event: Transition::Updated,
            at: incident.updated_at,
            incident: incident.clone(),
        })
    }

    /// One scoring pass (and the pods evicted since the last): the transitions it causes.
    pub fn observe(&mut self, scores: &[PodScore], evicted: &[PodKey]) -> Vec<IncidentEvent> {
        let Some(now) = scores.iter().map(|s| s.timestamp).max() else {
            return self.forget(evicted, None);
        };
        // Per incident touched: whether it opened in this pass, and whether it changed.
        let mut touched: BTreeMap<IncidentKey, (bool, bool)> = BTreeMap::new();
        for s in scores {
            let kind = s.anomaly_type.filter(|_| s.is_anomaly && !s.is_unknown());
            let Some(kind) = kind else {
                if !self.open.is_empty() {
                    self.note_calm(s);
                }
                continue;
            };
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

    /// A verdict that is not an anomaly, on a pod that may be in an open incident: an observed
    /// normal one extends the pod's normal span, an unknown one (or an anomaly without a type)
    /// clears it.
    fn note_calm(&mut self, s: &PodScore) {
        let key = (s.namespace.clone(), Workload::of(&s.namespace, &s.pod).name);
        let Some(pod) = self.open.get_mut(&key).and_then(|i| i.pods.get_mut(&s.pod)) else {
            return;
        };
        if s.is_anomaly || s.is_unknown() {
            pod.normal_since = None;
            pod.last_normal = None;
        } else {
            pod.normal_since.get_or_insert(s.timestamp);
            pod.last_normal = Some(pod.last_normal.map_or(s.timestamp, |t| t.max(s.timestamp)));
        }
    }

    /// Resolves incidents whose pods have all been observed normal for `resolve_after` (or are
    /// gone).
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
            let quiet = |p: &AffectedPod| match (p.normal_since, p.last_normal) {
                (Some(from), Some(to)) => to - from >= self.resolve_after,
                _ => false,
            };
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
        primary_pod: s.pod.clone(),
        evidence: Vec::new(),
        context: s.context.clone(),
        related_events: Vec::new(),
        llm: None,
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
            normal_since: None,
            last_normal: None,
            node: s.node.clone(),
            peak_probability: 0.0,
        }
    });
    pod.last_anomalous = pod.last_anomalous.max(s.timestamp);
    pod.normal_since = None;
    pod.last_normal = None;
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
    // The explanation follows the primary pod; another pod takes over once it is quiet.
    let primary_quiet = incident
        .pods
        .get(&incident.primary_pod)
        .is_none_or(|p| s.timestamp - p.last_anomalous > PRIMARY_HANDOVER);
    if s.pod == incident.primary_pod || primary_quiet {
        incident.primary_pod = s.pod.clone();
        incident.evidence = s.evidence.clone();
        incident.context = s.context.clone();
    }
    incident.explanation = explain(
        incident.kind,
        &incident.workload,
        &incident.primary_pod,
        &incident.context,
    );
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::Severity;
    use std::time::Duration;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    fn score(pod: &str, secs: i64, kind: Option<AnomalyType>) -> PodScore {
        PodScore {
            timestamp: at(secs),
            namespace: "shop".into(),
            pod: pod.into(),
            node: "n1".into(),
            workload: "cart".into(),
            anomaly_probability: if kind.is_some() { 0.9 } else { 0.1 },
            is_anomaly: kind.is_some(),
            anomaly_type: kind,
            severity: if kind.is_some() {
                Severity::Warning
            } else {
                Severity::Info
            },
            evidence: vec![],
            context: Default::default(),
            status: Default::default(),
        }
    }

    /// A verdict on a row that measured nothing (the source's backend was down).
    fn unknown(pod: &str, secs: i64) -> PodScore {
        PodScore {
            anomaly_probability: 0.0,
            status: crate::detector::PodStatus::Unknown,
            ..score(pod, secs, None)
        }
    }

    fn kinds(events: &[IncidentEvent]) -> Vec<Transition> {
        events.iter().map(|e| e.event).collect()
    }

    const A: &str = "cart-7d9f8b6c4-x2k9p";
    const B: &str = "cart-7d9f8b6c4-z4m7q";
    const LEAK: Option<AnomalyType> = Some(AnomalyType::MemoryLeak);

    #[test]
    fn one_incident_per_workload_quiet_passes_resolve_and_a_recurrence_reopens_it() {
        let mut t = IncidentTracker::new(Duration::from_secs(60), Duration::from_secs(600));
        assert_eq!(
            kinds(&t.observe(&[score(A, 0, LEAK), score(B, 0, None)], &[])),
            [Transition::Opened]
        );
        // Same pod, same state: nothing to journal.
        assert!(t.observe(&[score(A, 10, LEAK)], &[]).is_empty());
        // A sibling joins: one update, same incident, the first pod stays primary.
        let e = t.observe(&[score(A, 20, LEAK), score(B, 20, LEAK)], &[]);
        assert_eq!(kinds(&e), [Transition::Updated]);
        assert_eq!(e[0].incident.pods.len(), 2);
        assert_eq!(e[0].incident.primary_pod, A);
        let id = e[0].incident.id.clone();
        // Observed normal for less than resolve_after: still open; then resolved.
        assert!(t
            .observe(&[score(A, 30, None), score(B, 30, None)], &[])
            .is_empty());
        assert!(t
            .observe(&[score(A, 70, None), score(B, 70, None)], &[])
            .is_empty());
        let e = t.observe(&[score(A, 91, None), score(B, 91, None)], &[]);
        assert_eq!(kinds(&e), [Transition::Resolved]);
        assert_eq!(e[0].incident.resolved_at, Some(at(91)));
        // Back within the cooldown: the same incident re-opens.
        let e = t.observe(&[score(A, 200, LEAK)], &[]);
        assert_eq!(kinds(&e), [Transition::Updated]);
        assert_eq!(
            (e[0].incident.id.clone(), e[0].incident.recurrences),
            (id, 1)
        );
        // An evicted pod leaves its incident; with no pod left it resolves.
        let gone = [PodKey::new("shop", A), PodKey::new("shop", B)];
        assert_eq!(kinds(&t.observe(&[], &gone)), [Transition::Resolved]);
        // After the cooldown a new incident opens.
        let e = t.observe(&[score(A, 2000, LEAK)], &[]);
        assert_eq!(kinds(&e), [Transition::Opened]);
    }

    #[test]
    fn an_incident_stays_open_through_a_gap_and_resolves_only_after_observed_normal_time() {
        let mut t = IncidentTracker::new(Duration::from_secs(60), Duration::from_secs(600));
        assert_eq!(
            kinds(&t.observe(&[score(A, 0, LEAK), score(B, 0, None)], &[])),
            [Transition::Opened]
        );
        // Observed normal for a while, not long enough ...
        assert!(t.observe(&[score(A, 10, None)], &[]).is_empty());
        assert!(t.observe(&[score(A, 20, None)], &[]).is_empty());
        // ... then the data stops: unknown verdicts for minutes, and passes without A at all.
        // None of it counts, and the normal time before the gap is void.
        for secs in (25..=200).step_by(5) {
            assert!(t
                .observe(&[unknown(A, secs), unknown(B, secs)], &[])
                .is_empty());
        }
        assert!(t.observe(&[score(B, 300, None)], &[]).is_empty());
        let open: Vec<&Incident> = t.open().collect();
        assert_eq!(open.len(), 1, "open through the gap");
        assert_eq!(open[0].pods[A].normal_since, None);
        // Data again: observed normal from 310; a pass without A does not extend its span.
        assert!(t.observe(&[score(A, 310, None)], &[]).is_empty());
        assert!(t.observe(&[score(A, 340, None)], &[]).is_empty());
        assert!(t.observe(&[score(B, 380, None)], &[]).is_empty());
        // Observed normal from 310 to 371: resolve_after has passed.
        let e = t.observe(&[score(A, 371, None)], &[]);
        assert_eq!(kinds(&e), [Transition::Resolved]);
        assert_eq!(e[0].incident.resolved_at, Some(at(371)));
        assert_eq!(e[0].incident.recurrences, 0);
    }

    #[test]
    fn a_pod_failing_before_and_after_a_gap_stays_in_one_incident_until_evicted() {
        let mut t = IncidentTracker::new(Duration::from_secs(60), Duration::from_secs(0));
        let e = t.observe(&[score(A, 0, LEAK), score(B, 0, None)], &[]);
        assert_eq!(kinds(&e), [Transition::Opened]);
        let id = e[0].incident.id.clone();
        assert!(t.observe(&[score(A, 5, LEAK)], &[]).is_empty());
        // Minutes without data, then passes that miss the pod.
        for secs in (10..=300).step_by(5) {
            assert!(t
                .observe(&[unknown(A, secs), unknown(B, secs)], &[])
                .is_empty());
        }
        assert!(t.observe(&[score(B, 400, None)], &[]).is_empty());
        // Still failing when data returns: the same incident, nothing to journal.
        assert!(t.observe(&[score(A, 410, LEAK)], &[]).is_empty());
        let open: Vec<&Incident> = t.open().collect();
        assert_eq!(open.len(), 1);
        assert_eq!((open[0].id.as_str(), open[0].recurrences), (id.as_str(), 0));
        assert_eq!(open[0].pods[A].last_anomalous, at(410));
        // A pod gone for good (evicted after evict_after of silence) leaves its incident.
        let e = t.observe(&[score(B, 800, None)], &[PodKey::new("shop", A)]);
        assert_eq!(kinds(&e), [Transition::Resolved]);
        assert_eq!(e[0].incident.id, id);
    }
}
