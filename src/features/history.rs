//! Bounded per-pod history: the last N samples of each pod's signals, plus what is needed for
//! sequential signals (previous restarts, readiness), with eviction of pods that went away.

use super::baseline::{refresh_point, Baseline};
use super::pod_key::{workload_of, PodKey};
use super::signal::SIGNAL_COUNT;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};

/// Everything remembered about one pod.
#[derive(Debug, Clone)]
pub struct PodHistory {
    pub workload: String,
    pub node: String,
    /// Signal vectors, oldest first; NaN = not measured. f32 halves the memory of large clusters.
    pub samples: VecDeque<[f32; SIGNAL_COUNT]>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Rows seen in total (not bounded by the history length): the pod's age in samples.
    pub samples_seen: u64,
    pub last_restarts: Option<u32>,
    /// Whether the pod was fully ready at each of the recent samples (for flapping).
    pub ready_trail: VecDeque<bool>,
    /// The cached baseline of `samples` (refreshed every few samples).
    pub baseline: Option<Baseline>,
}

/// All pods' histories.
#[derive(Debug)]
pub struct HistoryStore {
    pods: HashMap<PodKey, PodHistory>,
    capacity: usize,
    ready_trail_len: usize,
}

impl HistoryStore {
    /// `capacity`: samples kept per pod; `ready_trail_len`: samples of readiness kept.
    pub fn new(capacity: usize, ready_trail_len: usize) -> HistoryStore {
        HistoryStore {
            pods: HashMap::new(),
            capacity: capacity.max(1),
            ready_trail_len: ready_trail_len.max(1),
        }
    }

    pub fn get(&self, key: &PodKey) -> Option<&PodHistory> {
        self.pods.get(key)
    }

    pub fn len(&self) -> usize {
        self.pods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }

    /// Records one sample for a pod (after it has been scored).
    pub fn push(
        &mut self,
        key: &PodKey,
        node: &str,
        ts: DateTime<Utc>,
        values: &[f64; SIGNAL_COUNT],
        restarts: Option<u32>,
        fully_ready: Option<bool>,
    ) {
        let capacity = self.capacity;
        let trail_len = self.ready_trail_len;
        let h = self.pods.entry(key.clone()).or_insert_with(|| PodHistory {
            workload: workload_of(&key.pod).to_string(),
            node: String::new(),
            samples: VecDeque::with_capacity(capacity.min(64)),
            first_seen: ts,
            last_seen: ts,
            samples_seen: 0,
            last_restarts: None,
            ready_trail: VecDeque::new(),
            baseline: None,
        });
        if !node.is_empty() && h.node != node {
            h.node = node.to_string();
        }
        if h.samples.len() == capacity {
            h.samples.pop_front();
        }
        let mut compact = [f32::NAN; SIGNAL_COUNT];
        for (c, v) in compact.iter_mut().zip(values) {
            *c = *v as f32;
        }
        h.samples.push_back(compact);
        h.last_seen = ts;
        h.samples_seen += 1;
        if restarts.is_some() {
            h.last_restarts = restarts;
        }
        if let Some(r) = fully_ready {
            if h.ready_trail.len() == trail_len {
                h.ready_trail.pop_front();
            }
            h.ready_trail.push_back(r);
        }
    }

    /// Replaces a pod's cached baseline.
    pub fn set_baseline(&mut self, key: &PodKey, baseline: Baseline) {
        if let Some(h) = self.pods.get_mut(key) {
            h.baseline = Some(baseline);
        }
    }

    /// Whether a pod's cached baseline is missing or older than its refresh point.
    pub fn baseline_due(&self, key: &PodKey) -> bool {
        self.pods.get(key).is_some_and(|h| {
            !h.samples.is_empty()
                && h.baseline
                    .as_ref()
                    .is_none_or(|b| b.at_sample < refresh_point(h.samples_seen))
        })
    }

    /// Forgets pods not seen since `cutoff`; returns them so other per-pod state can go too.
    pub fn evict_older_than(&mut self, cutoff: DateTime<Utc>) -> Vec<PodKey> {
        let gone: Vec<PodKey> = self
            .pods
            .iter()
            .filter(|(_, h)| h.last_seen < cutoff)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &gone {
            self.pods.remove(k);
        }
        gone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_at_most_capacity_and_evicts_silent_pods() {
        let mut store = HistoryStore::new(3, 2);
        let a = PodKey::new("ns", "a-1");
        let b = PodKey::new("ns", "b-1");
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        for i in 0..5 {
            let ts = t0 + chrono::Duration::seconds(i * 5);
            let v = [i as f64; SIGNAL_COUNT];
            store.push(&a, "n1", ts, &v, Some(0), Some(true));
        }
        store.push(&b, "n1", t0, &[0.0; SIGNAL_COUNT], None, None);
        let ha = store.get(&a).unwrap();
        assert_eq!(ha.samples.len(), 3);
        assert_eq!(ha.samples[0][0], 2.0);
        assert_eq!(ha.samples_seen, 5);
        assert_eq!(ha.ready_trail.len(), 2);
        let gone = store.evict_older_than(t0 + chrono::Duration::seconds(1));
        assert_eq!(gone, vec![b.clone()]);
        assert!(store.get(&b).is_none());
        assert_eq!(store.len(), 1);
    }
}
