//! What is remembered about each pod between ticks: its cadence, one online detector per
//! signal (streaming summaries, not a history window), the memory trend's sums and the last
//! restart count; and the eviction of pods that went away.
//!
//! A pod costs a few KiB whatever the history it has seen (see the size test below), so
//! 100,000 pods fit in a few hundred MB and a week of history costs what a minute does.

use super::memory_trend::MemoryTrendState;
use super::pod_key::PodKey;
use super::signal::{Signal, SIGNALS, SIGNAL_COUNT};
use crate::signal::{Cadence, SignalDetector, SignalSettings};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Everything remembered about one pod.
#[derive(Debug, Clone)]
pub struct PodStream {
    pub node: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub cadence: Cadence,
    /// One detector per [`Signal`], in [`SIGNALS`] order.
    pub signals: Box<[SignalDetector; SIGNAL_COUNT]>,
    pub memory_trend: MemoryTrendState,
    pub last_restarts: Option<u32>,
}

impl PodStream {
    fn new(settings: &SignalSettings, node: &str, now: DateTime<Utc>) -> PodStream {
        // A peer signal is a difference between replicas: the daily cycle moves them all
        // alike, so it has no daily profile to learn.
        let peer = SignalSettings {
            seasonal_days: 0.0,
            ..*settings
        };
        let signals =
            SIGNALS.map(|s| SignalDetector::new(if is_peer(s) { &peer } else { settings }));
        PodStream {
            node: node.to_string(),
            first_seen: now,
            last_seen: now,
            cadence: Cadence::default(),
            signals: Box::new(signals),
            memory_trend: MemoryTrendState::default(),
            last_restarts: None,
        }
    }

    /// Seconds since the pod was first seen.
    pub fn observed_for(&self, now: DateTime<Utc>) -> f64 {
        (now - self.first_seen).num_milliseconds() as f64 / 1000.0
    }
}

fn is_peer(s: Signal) -> bool {
    matches!(
        s,
        Signal::PeerCpu | Signal::PeerMemory | Signal::PeerNetRx | Signal::PeerNetTx
    )
}

/// All pods' streams.
#[derive(Debug)]
pub struct PodStreams {
    pods: HashMap<PodKey, PodStream>,
    settings: SignalSettings,
}

impl PodStreams {
    pub fn new(settings: SignalSettings) -> PodStreams {
        PodStreams {
            pods: HashMap::new(),
            settings,
        }
    }

    pub fn settings(&self) -> &SignalSettings {
        &self.settings
    }

    pub fn get(&self, key: &PodKey) -> Option<&PodStream> {
        self.pods.get(key)
    }

    /// The pod's stream, created at `now` on first sight.
    pub fn entry(&mut self, key: &PodKey, node: &str, now: DateTime<Utc>) -> &mut PodStream {
        // Looked up first: a key is cloned only when a pod first appears.
        if !self.pods.contains_key(key) {
            let stream = PodStream::new(&self.settings, node, now);
            self.pods.insert(key.clone(), stream);
        }
        self.pods.get_mut(key).expect("inserted above")
    }

    pub fn len(&self) -> usize {
        self.pods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }

    /// Forgets pods not seen since `cutoff`; returns them so other per-pod state can go too.
    pub fn evict_older_than(&mut self, cutoff: DateTime<Utc>) -> Vec<PodKey> {
        let gone: Vec<PodKey> = self
            .pods
            .iter()
            .filter(|(_, p)| p.last_seen < cutoff)
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
    fn a_pod_costs_a_few_kib() {
        let s = SignalSettings::default();
        let stream = PodStream::new(&s, "node-1", "2026-01-01T00:00:00Z".parse().unwrap());
        let bytes = std::mem::size_of::<PodStream>() + std::mem::size_of_val(&*stream.signals);
        assert!(bytes <= 8 * 1024, "{bytes} bytes per pod");
    }

    #[test]
    fn silent_pods_are_evicted() {
        let mut streams = PodStreams::new(SignalSettings::default());
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let a = PodKey::new("ns", "a-1");
        let b = PodKey::new("ns", "b-1");
        streams.entry(&a, "n1", t0);
        streams.entry(&b, "n1", t0).last_seen = t0 + chrono::Duration::seconds(60);
        let gone = streams.evict_older_than(t0 + chrono::Duration::seconds(1));
        assert_eq!(gone, vec![a]);
        assert_eq!(streams.len(), 1);
    }
}
