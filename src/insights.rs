//! The insights document (`data/pod_insights.json`): the latest verdict per pod, bounded.
//!
//! Kept apart from the actor so `detect`, tests and later agents can build it the same way.

use crate::analysis::Step;
use crate::detector::PodScore;
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

/// One insights entry as written: the pod's latest verdict and, while it is part of an open
/// incident, the explanation and recommendation.
#[derive(Debug, Serialize, Deserialize)]
pub struct InsightsEntry<S> {
    #[serde(flatten)]
    pub score: S,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<PodIncident>,
}

/// Latest score per pod, at most `max_pods` of them.
#[derive(Debug)]
pub struct InsightsTable {
    latest: HashMap<PodKey, PodScore>,
    /// Pods in open incidents (replaced by each analysis pass).
    incidents: HashMap<PodKey, PodIncident>,
    max_pods: usize,
}

impl InsightsTable {
    pub fn new(max_pods: usize) -> InsightsTable {
        InsightsTable {
            latest: HashMap::new(),
            incidents: HashMap::new(),
            max_pods: max_pods.max(1),
        }
    }

    pub fn get(&self, key: &PodKey) -> Option<&PodScore> {
        self.latest.get(key)
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// Records scores (later ones of a pod replace earlier ones).
    pub fn update(&mut self, scores: impl IntoIterator<Item = PodScore>) {
        for s in scores {
            let key = PodKey::new(&s.namespace, &s.pod);
            match self.latest.get(&key) {
                Some(old) if old.timestamp > s.timestamp => {}
                _ => {
                    self.latest.insert(key, s);
                }
            }
        }
        if self.latest.len() > self.max_pods {
            // Keep anomalies first, then the most recent.
            let mut entries: Vec<_> = self.latest.drain().collect();
            entries.sort_by(|a, b| rank(&b.1).partial_cmp(&rank(&a.1)).unwrap());
            entries.truncate(self.max_pods);
            self.latest = entries.into_iter().collect();
        }
    }

    /// The pods of the open incidents, as of the latest analysis.
    pub fn set_incidents(&mut self, incidents: HashMap<PodKey, PodIncident>) {
        self.incidents = incidents;
    }

    pub fn forget(&mut self, pods: &[PodKey]) {
        for p in pods {
            self.latest.remove(p);
        }
    }

    /// Entries for people: anomalies first, most probable first, then by name.
    pub fn sorted(&self) -> Vec<&PodScore> {
        let mut v: Vec<&PodScore> = self.latest.values().collect();
        v.sort_by(|a, b| {
            b.is_anomaly
                .cmp(&a.is_anomaly)
                .then(b.anomaly_probability.total_cmp(&a.anomaly_probability))
                .then_with(|| (&a.namespace, &a.pod).cmp(&(&b.namespace, &b.pod)))
        });
        v
    }

    /// Replaces the JSON file atomically: readers see the old or the new document, never half.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let entries: Vec<InsightsEntry<&PodScore>> = self
            .sorted()
            .into_iter()
            .map(|score| InsightsEntry {
                incident: self
                    .incidents
                    .get(&PodKey::new(&score.namespace, &score.pod))
                    .cloned(),
                score,
            })
            .collect();
        let json = serde_json::to_vec_pretty(&entries).map_err(std::io::Error::other)?;
        crate::atomic_file::write_atomic(path, &json)
    }
}

fn rank(s: &PodScore) -> (bool, i64) {
    (s.is_anomaly, s.timestamp.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::Severity;

    fn score(pod: &str, secs: i64, p: f64) -> PodScore {
        PodScore {
            timestamp: chrono::DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap(),
            namespace: "ns".into(),
            pod: pod.into(),
            node: "n".into(),
            workload: pod.into(),
            anomaly_probability: p,
            is_anomaly: p >= 0.7,
            anomaly_type: None,
            severity: Severity::Info,
            evidence: vec![],
            context: Default::default(),
            status: Default::default(),
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
}
