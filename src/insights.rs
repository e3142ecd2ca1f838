//! The insights document (`data/pod_insights.json`): the latest verdict per pod, bounded.
//!
//! A pod whose latest row measured nothing (a source's outage) shows `"status": "unknown"`,
//! with its last observed verdict under `last_observed`: a gap is not a recovery.
//!
//! Kept apart from the actor so `detect`, tests and later agents can build it the same way.

use crate::analysis::Step;
use crate::detector::{AnomalyType, PodScore};
use crate::features::PodKey;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

/// What the analysis says about a pod in an open incident: the `explanation` and
/// `recommendation` fields of its insights entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodIncident {
    pub incident_id: String,
    pub incident_kind: String,
    /// The pod's first anomalous sample in the incident.
    pub since: DateTime<Utc>,
    /// Summary and root cause.
    pub explanation: String,
    pub recommendation: Vec<Step>,
    /// The LLM's explanation (names restored), when one answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<crate::llm::Explanation>,
}

/// A pod's latest verdict that rested on a measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastObserved {
    pub at: DateTime<Utc>,
    pub is_anomaly: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anomaly_type: Option<AnomalyType>,
}

impl LastObserved {
    fn of(s: &PodScore) -> LastObserved {
        LastObserved {
            at: s.timestamp,
            is_anomaly: s.is_anomaly,
            anomaly_type: s.anomaly_type,
        }
    }
}

/// One insights entry as written: the pod's latest verdict and, while it is part of an open
/// incident, the explanation and recommendation.
#[derive(Debug, Serialize, Deserialize)]
pub struct InsightsEntry<S> {
    #[serde(flatten)]
    pub score: S,
    /// When the latest verdict is unknown: the last one that was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_observed: Option<LastObserved>,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<PodIncident>,
}

/// Latest score per pod, at most `max_pods` of them.
#[derive(Debug)]
pub struct InsightsTable {
    latest: HashMap<PodKey, PodScore>,
    /// For pods whose latest verdict is unknown: their last observed one.
    last_observed: HashMap<PodKey, LastObserved>,
    /// Pods in open incidents (replaced by each analysis pass).
    incidents: HashMap<PodKey, PodIncident>,
    max_pods: usize,
}

/// What the periodic summary line says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub pods: usize,
    pub anomalous: usize,
    pub unknown: usize,
    /// Open incidents (distinct ids among the pods in them).
    pub incidents: usize,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "scoring {} pods: {} anomalous, {} unknown, {} incident{} open",
            self.pods,
            self.anomalous,
            self.unknown,
            self.incidents,
            if self.incidents == 1 { "" } else { "s" }
        )
    }
}

impl InsightsTable {
    /// The counts of the summary line.
    pub fn summary(&self) -> Summary {
        let ids: std::collections::HashSet<&str> = self
            .incidents
            .values()
            .map(|i| i.incident_id.as_str())
            .collect();
        Summary {
            pods: self.latest.len(),
            anomalous: self.latest.values().filter(|s| s.is_anomaly).count(),
            unknown: self.latest.values().filter(|s| s.is_unknown()).count(),
            incidents: ids.len(),
        }
    }

    pub fn new(max_pods: usize) -> InsightsTable {
        InsightsTable {
            latest: HashMap::new(),
            last_observed: HashMap::new(),
            incidents: HashMap::new(),
            max_pods: max_pods.max(1),
        }
    }

    pub fn get(&self, key: &PodKey) -> Option<&PodScore> {
        self.latest.get(key)
    }

    /// The pod's latest verdict that rested on a measurement, if it is still remembered.
    pub fn last_observed(&self, key: &PodKey) -> Option<LastObserved> {
        match self.latest.get(key) {
            Some(s) if !s.is_unknown() => Some(LastObserved::of(s)),
            Some(_) => self.last_observed.get(key).cloned(),
            None => None,
        }
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// A new bound, enforced by the next [`update`](Self::update).
    pub fn set_max_pods(&mut self, max_pods: usize) {
        self.max_pods = max_pods.max(1);
    }

    /// Records scores (later ones of a pod replace earlier ones).
    pub fn update(&mut self, scores: impl IntoIterator<Item = PodScore>) {
        for s in scores {
            let key = PodKey::new(&s.namespace, &s.pod);
            match self.latest.get(&key) {
                Some(old) if old.timestamp > s.timestamp => {}
                old => {
                    if !s.is_unknown() {
                        self.last_observed.remove(&key);
                    } else if let Some(old) = old.filter(|o| !o.is_unknown()) {
                        self.last_observed
                            .insert(key.clone(), LastObserved::of(old));
                    }
                    self.latest.insert(key, s);
                }
            }
        }
        if self.latest.len() > self.max_pods {
            // Keep anomalies first (and pods last seen anomalous), then the most recent.
            let mut entries: Vec<_> = self.latest.drain().collect();
            entries.sort_by_key(|(k, s)| {
                std::cmp::Reverse((self.flagged(k, s), s.timestamp.timestamp_millis()))
            });
            entries.truncate(self.max_pods);
            self.latest = entries.into_iter().collect();
            let latest = &self.latest;
            self.last_observed.retain(|k, _| latest.contains_key(k));
        }
    }

    /// Anomalous, or unknown after an anomalous verdict: what people look at first.
    fn flagged(&self, key: &PodKey, s: &PodScore) -> bool {
        s.is_anomaly
            || (s.is_unknown() && self.last_observed.get(key).is_some_and(|l| l.is_anomaly))
    }

    /// The pods of the open incidents, as of the latest analysis.
    pub fn set_incidents(&mut self, incidents: HashMap<PodKey, PodIncident>) {
        self.incidents = incidents;
    }

    pub fn forget(&mut self, pods: &[PodKey]) {
        for p in pods {
            self.latest.remove(p);
            self.last_observed.remove(p);
        }
    }

    /// Entries for people: anomalies first (with pods unknown since an anomaly), most probable
    /// first, then by name.
    pub fn sorted(&self) -> Vec<&PodScore> {
        let mut v: Vec<(bool, &PodScore)> = self
            .latest
            .iter()
            .map(|(k, s)| (self.flagged(k, s), s))
            .collect();
        v.sort_by(|(fa, a), (fb, b)| {
            fb.cmp(fa)
                .then(b.anomaly_probability.total_cmp(&a.anomaly_probability))
                .then_with(|| (&a.namespace, &a.pod).cmp(&(&b.namespace, &b.pod)))
        });
        v.into_iter().map(|(_, s)| s).collect()
    }

    /// Every pod's latest verdict, in no order.
    pub fn scores(&self) -> impl Iterator<Item = &PodScore> {
        self.latest.values()
    }

    /// Replaces the JSON file atomically: readers see the old or the new document, never half.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        crate::atomic_file::write_atomic(path, &self.to_json()?)
    }

    /// The document: anomalies first, then by probability.
    pub fn to_json(&self) -> std::io::Result<Vec<u8>> {
        let entries: Vec<InsightsEntry<&PodScore>> = self
            .sorted()
            .into_iter()
            .map(|score| {
                let key = PodKey::new(&score.namespace, &score.pod);
                InsightsEntry {
                    incident: self.incidents.get(&key).cloned(),
                    last_observed: score
                        .is_unknown()
                        .then(|| self.last_observed.get(&key).cloned())
                        .flatten(),
                    score,
                }
            })
            .collect();
        serde_json::to_vec_pretty(&entries).map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(pod: &str, secs: i64, p: f64) -> PodScore {
        let at = chrono::DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap();
        PodScore {
            node: "n".into(),
            ..PodScore::observed(at, "ns", pod, pod, p)
        }
    }

    #[test]
    fn keeps_latest_per_pod_bounded_anomalies_first() {
        let mut t = InsightsTable::new(2);
        t.update([score("a", 1, 0.1), score("a", 2, 0.9), score("a", 0, 0.0)]);
        t.update([score("b", 5, 0.2), score("c", 6, 0.3)]);
        assert_eq!(t.len(), 2);
        let names: Vec<&str> = t.sorted().iter().map(|s| s.pod.as_str()).collect();
        assert_eq!(names, vec!["a", "c"]);
        assert_eq!(t.sorted()[0].anomaly_probability, 0.9);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i.json");
        t.write(&p).unwrap();
        let back: Vec<PodScore> = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(back.len(), 2);
    }

    #[test]
    fn an_unknown_verdict_shows_as_unknown_with_the_last_observed_one() {
        let unknown = |pod: &str, secs: i64| PodScore {
            status: crate::detector::PodStatus::Unknown,
            ..score(pod, secs, 0.0)
        };
        let mut t = InsightsTable::new(10);
        t.update([score("a", 1, 0.9), score("b", 1, 0.95), score("c", 1, 0.1)]);
        t.update([unknown("a", 2), unknown("c", 2)]);
        t.update([unknown("a", 3)]);
        let key = PodKey::new("ns", "a");
        assert!(t.get(&key).unwrap().is_unknown());
        let last = t.last_observed(&key).unwrap();
        assert_eq!(
            (last.at.timestamp(), last.is_anomaly),
            (1_700_000_001, true)
        );
        // Pods unknown since an anomaly stay with the anomalies.
        let order: Vec<&str> = t.sorted().iter().map(|s| s.pod.as_str()).collect();
        assert_eq!(order, ["b", "a", "c"]);
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i.json");
        t.write(&p).unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        let a = &doc[1];
        assert_eq!(
            (a["pod"].as_str(), a["status"].as_str()),
            (Some("a"), Some("unknown"))
        );
        assert_eq!(a["is_anomaly"], false);
        assert_eq!(a["last_observed"]["is_anomaly"], true);
        assert_eq!(a["last_observed"]["at"], "2023-11-14T22:13:21Z");
        assert!(doc[0].get("status").is_none() && doc[0].get("last_observed").is_none());
        // Observed again: the verdict stands on its own.
        t.update([score("a", 4, 0.2)]);
        assert!(!t.get(&key).unwrap().is_unknown());
        assert_eq!(t.last_observed(&key).unwrap().at.timestamp(), 1_700_000_004);
        assert!(t.last_observed.is_empty() || !t.last_observed.contains_key(&key));
        // The document still parses as scores (what `explain` reads).
        let back: Vec<InsightsEntry<PodScore>> =
            serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        assert!(back[1].score.is_unknown() && back[1].last_observed.is_some());
    }
}
