//! Pod events (core/v1 `Event`) → the `event_reason`, `event_type` and `event_message` of a row.
//!
//! A row carries the latest event about its pod **that arrived during that interval**: each
//! event occurrence is reported once, in the row of the collection that follows its arrival, so
//! the columns say "this happened just now" rather than repeating history. A repeated event
//! (the API server bumps `count` and `lastTimestamp` of the same object) is a new occurrence.
//! "Latest" is by the event's own time: `series.lastObservedTime`, else `lastTimestamp`, else
//! `eventTime`, else `firstTimestamp`, else `metadata.creationTimestamp`.
//!
//! The events that exist when the source starts (the API server keeps an hour of them) are
//! history and are not reported. After a re-list (a watch that expired, an outage), the events
//! not seen before are reported — those that happened during the gap. An event naming a pod
//! with another UID (an older pod of the same name) is dropped; one that arrives before its pod
//! does waits one collection for it.

use super::pod_state::to_chrono;
use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Event;
use std::collections::HashMap;

/// Namespace and name of a pod.
pub type PodKey = (String, String);

/// The row fields of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct PodEvent {
    pub reason: Option<String>,
    pub type_: Option<String>,
    pub message: Option<String>,
    pub at: Option<DateTime<Utc>>,
    /// UID of the pod the event is about, when the event names it.
    pub pod_uid: Option<String>,
}

/// The pod an event is about, if it is about a pod.
pub fn pod_of(ev: &Event) -> Option<PodKey> {
    let o = &ev.involved_object;
    if o.kind.as_deref() != Some("Pod") {
        return None;
    }
    let namespace = o
        .namespace
        .clone()
        .or_else(|| ev.metadata.namespace.clone())?;
    Some((namespace, o.name.clone()?))
}

/// When the event (last) happened.
pub fn event_time(ev: &Event) -> Option<DateTime<Utc>> {
    ev.series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .and_then(|t| to_chrono(&t.0))
        .or_else(|| ev.last_timestamp.as_ref().and_then(|t| to_chrono(&t.0)))
        .or_else(|| ev.event_time.as_ref().and_then(|t| to_chrono(&t.0)))
        .or_else(|| ev.first_timestamp.as_ref().and_then(|t| to_chrono(&t.0)))
        .or_else(|| {
            ev.metadata
                .creation_timestamp
                .as_ref()
                .and_then(|t| to_chrono(&t.0))
        })
}

fn pod_event(ev: &Event) -> PodEvent {
    PodEvent {
        reason: ev.reason.clone(),
        type_: ev.type_.clone(),
        message: ev.message.clone(),
        at: event_time(ev),
        pod_uid: ev.involved_object.uid.clone().filter(|u| !u.is_empty()),
    }
}

/// Identity of an event object, and the version of it that was seen.
fn identity(ev: &Event) -> Option<(String, String)> {
    let m = &ev.metadata;
    let id = m.uid.clone().or_else(|| {
        Some(format!(
            "{}/{}",
            m.namespace.as_deref().unwrap_or(""),
            m.name.as_deref()?
        ))
    })?;
    Some((id, m.resource_version.clone().unwrap_or_default()))
}

struct Pending {
    event: PodEvent,
    /// Collections that ended while this waited for its pod.
    waited: u32,
}

/// Events seen so far and those not yet written to a row.
#[derive(Default)]
pub struct EventLog {
    /// Event identity → resource version last seen.
    seen: HashMap<String, String>,
    /// The identities listed so far during a (re-)list, which replace `seen` when it completes.
    listing: Option<HashMap<String, String>>,
    /// The first list has completed: from now on unseen events are news.
    primed: bool,
    pending: HashMap<PodKey, Pending>,
}

impl EventLog {
    /// A (re-)list starts (`watcher::Event::Init`).
    pub fn list_started(&mut self) {
        self.listing = Some(HashMap::new());
    }

    /// An event from a list page (`InitApply`).
    pub fn listed(&mut self, ev: &Event) {
        let Some((id, version)) = identity(ev) else {
            return;
        };
        let news = self.primed && self.seen.get(&id) != Some(&version);
        if let Some(listing) = self.listing.as_mut() {
            listing.insert(id, version);
        }
        if news {
            self.report(ev);
        }
    }

    /// The list is complete (`InitDone`): events no longer listed are forgotten.
    pub fn list_done(&mut self) {
        if let Some(listed) = self.listing.take() {
            self.seen = listed;
        }
        self.primed = true;
    }

    /// An event added or modified on the watch (`Apply`).
    pub fn applied(&mut self, ev: &Event) {
        let Some((id, version)) = identity(ev) else {
            return;
        };
        if self.seen.get(&id) == Some(&version) {
            return;
        }
        self.seen.insert(id, version);
        self.report(ev);
    }

    /// An event object expired (`Delete`).
    pub fn deleted(&mut self, ev: &Event) {
        if let Some((id, _)) = identity(ev) {
            self.seen.remove(&id);
        }
    }

    fn report(&mut self, ev: &Event) {
        let Some(pod) = pod_of(ev) else {
            return;
        };
        let event = pod_event(ev);
        match self.pending.get_mut(&pod) {
            // The later of the two by event time; on a tie or no time, the later arrival.
            Some(p) if p.event.at > event.at => {}
            Some(p) => {
                p.event = event;
                p.waited = 0;
            }
            None => {
                self.pending.insert(pod, Pending { event, waited: 0 });
            }
        }
    }

    /// The event to write in this collection's row of `pod` (whose UID is `uid`), if any.
    pub fn take(&mut self, pod: &PodKey, uid: &str) -> Option<PodEvent> {
        let p = self.pending.remove(pod)?;
        match p.event.pod_uid.as_deref() {
            Some(u) if !uid.is_empty() && u != uid => None,
            _ => Some(p.event),
        }
    }

    /// Ends a collection: an event whose pod has not shown up for a whole collection is
    /// dropped.
    pub fn collection_done(&mut self) {
        self.pending.retain(|_, p| {
            p.waited += 1;
            p.waited < 2
        });
    }

    /// Events waiting for their row.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(name: &str, pod: &str, rv: &str, reason: &str, last: &str) -> Event {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "shop", "uid": format!("uid-{name}"),
                         "resourceVersion": rv},
            "involvedObject": {"kind": "Pod", "namespace": "shop", "name": pod, "uid": "pod-uid"},
            "reason": reason, "type": "Warning", "message": format!("{reason} happened"),
            "lastTimestamp": last
        }))
        .unwrap()
    }

    fn key(pod: &str) -> PodKey {
        ("shop".into(), pod.into())
    }

    #[test]
    fn history_at_start_is_not_news_but_watched_events_are_reported_once() {
        let mut log = EventLog::default();
        log.list_started();
        log.listed(&event(
            "e1",
            "cart-1",
            "10",
            "Pulled",
            "2030-01-01T00:00:00Z",
        ));
        log.list_done();
        assert_eq!(log.take(&key("cart-1"), "pod-uid"), None);

        log.applied(&event(
            "e2",
            "cart-1",
            "11",
            "BackOff",
            "2030-01-01T00:01:00Z",
        ));
        let got = log.take(&key("cart-1"), "pod-uid").unwrap();
        assert_eq!(got.reason.as_deref(), Some("BackOff"));
        assert_eq!(got.type_.as_deref(), Some("Warning"));
        assert_eq!(got.message.as_deref(), Some("BackOff happened"));
        assert_eq!(log.take(&key("cart-1"), "pod-uid"), None, "reported once");

        // The same event again (count bumped) is a new occurrence; the same version is not.
        log.applied(&event(
            "e2",
            "cart-1",
            "12",
            "BackOff",
            "2030-01-01T00:02:00Z",
        ));
        assert!(log.take(&key("cart-1"), "pod-uid").is_some());
        log.applied(&event(
            "e2",
            "cart-1",
            "12",
            "BackOff",
            "2030-01-01T00:02:00Z",
        ));
        assert_eq!(log.take(&key("cart-1"), "pod-uid"), None);
    }

    #[test]
    fn the_latest_event_of_the_interval_wins_by_event_time() {
        let mut log = EventLog::default();
        log.list_started();
        log.list_done();
        log.applied(&event(
            "late",
            "cart-1",
            "5",
            "Killing",
            "2030-01-01T00:00:09Z",
        ));
        log.applied(&event(
            "early",
            "cart-1",
            "6",
            "Pulled",
            "2030-01-01T00:00:01Z",
        ));
        assert_eq!(
            log.take(&key("cart-1"), "pod-uid")
                .unwrap()
                .reason
                .as_deref(),
            Some("Killing")
        );
    }

    #[test]
    fn a_relist_reports_what_happened_in_the_gap_only() {
        let mut log = EventLog::default();
        log.list_started();
        log.listed(&event(
            "e1",
            "cart-1",
            "10",
            "Pulled",
            "2030-01-01T00:00:00Z",
        ));
        log.list_done();
        log.list_started();
        log.listed(&event(
            "e1",
            "cart-1",
            "10",
            "Pulled",
            "2030-01-01T00:00:00Z",
        ));
        log.listed(&event(
            "e3",
            "web-1",
            "20",
            "Unhealthy",
            "2030-01-01T00:05:00Z",
        ));
        log.list_done();
        assert_eq!(log.take(&key("cart-1"), ""), None);
        assert_eq!(
            log.take(&key("web-1"), "").unwrap().reason.as_deref(),
            Some("Unhealthy")
        );
    }

    #[test]
    fn events_of_another_pod_uid_or_kind_are_dropped_and_orphans_wait_one_collection() {
        let mut log = EventLog::default();
        log.list_started();
        log.list_done();
        log.applied(&event(
            "e1",
            "cart-1",
            "1",
            "Pulled",
            "2030-01-01T00:00:00Z",
        ));
        assert_eq!(log.take(&key("cart-1"), "other-uid"), None);

        let mut node_event = event("n1", "node-a", "2", "NodeNotReady", "2030-01-01T00:00:00Z");
        node_event.involved_object.kind = Some("Node".into());
        log.applied(&node_event);
        assert_eq!(log.pending(), 0);

        log.applied(&event(
            "e2",
            "new-1",
            "3",
            "Scheduled",
            "2030-01-01T00:00:00Z",
        ));
        log.collection_done();
        assert_eq!(log.pending(), 1, "waits one collection for its pod");
        log.collection_done();
        assert_eq!(log.pending(), 0);
    }

    #[test]
    fn event_time_prefers_the_series_then_last_timestamp_then_event_time() {
        let ev: Event = serde_json::from_value(json!({
            "metadata": {"name": "x", "creationTimestamp": "2030-01-01T00:00:00Z"},
            "involvedObject": {},
            "eventTime": "2030-01-01T00:00:02.000000Z",
            "series": {"count": 3, "lastObservedTime": "2030-01-01T00:00:03.500000Z"}
        }))
        .unwrap();
        assert_eq!(
            event_time(&ev),
            Some("2030-01-01T00:00:03.5Z".parse().unwrap())
        );
        let mut ev2 = ev.clone();
        ev2.series = None;
        assert_eq!(
            event_time(&ev2),
            Some("2030-01-01T00:00:02Z".parse().unwrap())
        );
        ev2.event_time = None;
        assert_eq!(
            event_time(&ev2),
            Some("2030-01-01T00:00:00Z".parse().unwrap())
        );
    }
}
