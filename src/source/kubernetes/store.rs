//! The pods the watch has shown us, reduced to [`PodState`]s.
//!
//! Fed with the watcher's events: a (re-)list is buffered and replaces the store only once
//! complete, so a pod deleted while the watch was away disappears, and a half-finished re-list
//! never shows as missing pods.

use super::events::PodKey;
use super::pod_state::{pod_state, PodState};
use k8s_openapi::api::core::v1::Pod;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct PodStore {
    pods: BTreeMap<PodKey, PodState>,
    listing: Option<BTreeMap<PodKey, PodState>>,
    /// A list has completed at least once: the store describes the cluster.
    synced: bool,
}

fn key(s: &PodState) -> PodKey {
    (s.namespace.clone(), s.name.clone())
}

impl PodStore {
    pub fn list_started(&mut self) {
        self.listing = Some(BTreeMap::new());
    }

    pub fn listed(&mut self, pod: &Pod) {
        if let (Some(listing), Some(s)) = (self.listing.as_mut(), pod_state(pod)) {
            listing.insert(key(&s), s);
        }
    }

    pub fn list_done(&mut self) {
        if let Some(listed) = self.listing.take() {
            self.pods = listed;
        }
        self.synced = true;
    }

    pub fn applied(&mut self, pod: &Pod) {
        if let Some(s) = pod_state(pod) {
            self.pods.insert(key(&s), s);
        }
    }

    pub fn deleted(&mut self, pod: &Pod) {
        if let Some(s) = pod_state(pod) {
            self.pods.remove(&key(&s));
        }
    }

    pub fn synced(&self) -> bool {
        self.synced
    }

    /// The pods, by namespace and name.
    pub fn pods(&self) -> impl Iterator<Item = &PodState> {
        self.pods.values()
    }

    pub fn len(&self) -> usize {
        self.pods.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pods.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, phase: &str) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"containers": [{"name": "app"}]},
            "status": {"phase": phase}
        }))
        .unwrap()
    }

    fn names(s: &PodStore) -> Vec<String> {
        s.pods().map(|p| p.name.clone()).collect()
    }

    #[test]
    fn a_relist_replaces_the_store_when_complete() {
        let mut s = PodStore::default();
        assert!(!s.synced());
        s.list_started();
        s.listed(&pod("a", "Running"));
        s.listed(&pod("b", "Running"));
        assert_eq!(s.len(), 0, "not before the list is complete");
        s.list_done();
        assert!(s.synced());
        assert_eq!(names(&s), ["a", "b"]);

        s.applied(&pod("c", "Pending"));
        s.deleted(&pod("a", "Running"));
        assert_eq!(names(&s), ["b", "c"]);

        // b was deleted while the watch was away: the re-list drops it.
        s.list_started();
        s.listed(&pod("c", "Running"));
        assert_eq!(
            names(&s),
            ["b", "c"],
            "the old state stands during the re-list"
        );
        s.list_done();
        assert_eq!(names(&s), ["c"]);
    }
}
