//! Answers cached by incident signature, so the same incident never asks the model twice: a
//! least-recently-used map bounded in size, whose entries expire `ttl` after they were stored
//! (by an injectable [`Clock`]).
//!
//! The signature is the caller's (e.g. namespace/workload/fault kind + evidence kinds); the
//! cache only compares it. The explainer stores the model's answer still in placeholders and
//! restores it for each incident, so a cached answer names the pods of the incident asking.

use crate::clock::Clock;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

pub struct AnswerCache<V> {
    entries: HashMap<String, Entry<V>>,
    /// Last-use tick → signature; the first is the least recently used.
    by_use: BTreeMap<u64, String>,
    tick: u64,
    capacity: usize,
    ttl: chrono::Duration,
    clock: Arc<dyn Clock>,
}

struct Entry<V> {
    value: V,
    stored: DateTime<Utc>,
    used: u64,
}

impl<V: Clone> AnswerCache<V> {
    /// At most `capacity` entries (at least 1), each valid for `ttl`.
    pub fn new(capacity: usize, ttl: Duration, clock: Arc<dyn Clock>) -> AnswerCache<V> {
        AnswerCache {
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            tick: 0,
            capacity: capacity.max(1),
            ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX),
            clock,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn next_tick(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }

    /// The value stored for `signature`, unless it expired (then it is dropped).
    pub fn get(&mut self, signature: &str) -> Option<V> {
        let now = self.clock.now();
        let entry = self.entries.get(signature)?;
        if now - entry.stored >= self.ttl {
            let used = entry.used;
            self.entries.remove(signature);
            self.by_use.remove(&used);
            return None;
        }
        let tick = self.next_tick();
        let entry = self.entries.get_mut(signature)?;
        self.by_use.remove(&entry.used);
        entry.used = tick;
        self.by_use.insert(tick, signature.to_string());
        Some(entry.value.clone())
    }

    /// Stores `value`, replacing an older one; when full, the least recently used goes.
    pub fn insert(&mut self, signature: &str, value: V) {
        let stored = self.clock.now();
        let used = self.next_tick();
        if let Some(old) = self.entries.remove(signature) {
            self.by_use.remove(&old.used);
        }
        while self.entries.len() >= self.capacity {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        self.by_use.insert(used, signature.to_string());
        self.entries.insert(
            signature.to_string(),
            Entry {
                value,
                stored,
                used,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn clock() -> Arc<ManualClock> {
        Arc::new(ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap()))
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let clock = clock();
        let mut cache = AnswerCache::new(10, Duration::from_secs(60), clock.clone());
        cache.insert("a", 1);
        clock.advance(chrono::Duration::seconds(59));
        assert_eq!(cache.get("a"), Some(1));
        clock.advance(chrono::Duration::seconds(1));
        assert_eq!(cache.get("a"), None);
        assert!(cache.is_empty());
        // Storing again restarts the clock.
        cache.insert("a", 2);
        clock.advance(chrono::Duration::seconds(30));
        assert_eq!(cache.get("a"), Some(2));
    }

    #[test]
    fn the_least_recently_used_goes_when_full() {
        let mut cache = AnswerCache::new(2, Duration::from_secs(60), clock());
        cache.insert("a", 1);
        cache.insert("b", 2);
        assert_eq!(cache.get("a"), Some(1)); // b is now the least recently used
        cache.insert("c", 3);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("b"), None);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("c"), Some(3));
        // Replacing a value does not evict anything.
        cache.insert("c", 4);
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("c"), Some(4));
    }
}
