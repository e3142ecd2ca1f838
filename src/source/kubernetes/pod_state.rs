//! What the source keeps of a Pod, and how that becomes the state fields of a row.
//!
//! A Pod object is reduced to [`PodState`] as soon as it arrives from the watch, so the store
//! holds a few hundred bytes per pod rather than the whole object. Both steps are pure.
//!
//! Containers counted are the pod's long-running ones: `spec.containers` plus sidecars (init
//! containers with `restartPolicy: Always`), as `kubectl get pods` counts READY since 1.29.
//! - `restarts`: the sum of their `restartCount`; `ready_containers` / `total_containers`:
//!   how many are ready / how many the spec declares.
//! - `cpu_limit_millicores` / `memory_limit_bytes`: the pod-level limit
//!   (`spec.resources.limits`) when set, else the sum of the containers' limits — and empty
//!   when any of them has no limit, since the pod is then not bounded by the sum.
//! - `reason`: a container's current waiting reason (`CrashLoopBackOff`, `ImagePullBackOff`,
//!   …), else a current termination reason (`OOMKilled`, `Error`, `Completed`), else the reason
//!   a container last terminated — in the row of the interval in which its restart count went
//!   up (so an `OOMKilled` followed by a restart shows once, as the simulator reports it) —
//!   else the pod's own `status.reason` (`Evicted`). Init containers count here too, so a pod
//!   stuck in `Init:CrashLoopBackOff` shows `CrashLoopBackOff`.

use super::quantity;
use crate::metrics_row::{PodMetricsRow, PodPhase};
use chrono::{DateTime, TimeDelta, Utc};
use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, ResourceRequirements};
use std::collections::HashMap;

/// One container's status, as far as the row needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    pub name: String,
    /// Counted in restarts/ready/total (a regular container or a sidecar).
    pub long_running: bool,
    pub ready: bool,
    pub restart_count: u32,
    pub waiting_reason: Option<String>,
    pub terminated_reason: Option<String>,
    pub last_terminated_reason: Option<String>,
    pub last_finished_at: Option<DateTime<Utc>>,
}

/// The parts of a Pod the rows are made of.
#[derive(Debug, Clone, PartialEq)]
pub struct PodState {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// `spec.nodeName`; empty while unscheduled.
    pub node: String,
    pub phase: Option<PodPhase>,
    /// `status.reason` (`Evicted`, `NodeLost`, …).
    pub pod_reason: Option<String>,
    pub containers: Vec<ContainerInfo>,
    /// Long-running containers the spec declares.
    pub total_containers: u32,
    pub cpu_limit_millicores: Option<f64>,
    pub memory_limit_bytes: Option<f64>,
}

/// A jiff timestamp (k8s-openapi's) as chrono's.
pub fn to_chrono(t: &k8s_openapi::jiff::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.as_second(), u32::try_from(t.subsec_nanosecond()).ok()?)
}

fn is_sidecar(c: &Container) -> bool {
    c.restart_policy.as_deref() == Some("Always")
}

fn limit(resources: Option<&ResourceRequirements>, name: &str) -> Option<String> {
    resources?.limits.as_ref()?.get(name).map(|q| q.0.clone())
}

/// The pod's limit for `resource`: pod-level if set, else the sum over `containers`, if every
/// one of them has a limit.
fn pod_limit(
    pod_level: Option<&ResourceRequirements>,
    containers: &[&Container],
    resource: &str,
    parse: fn(&str) -> Option<f64>,
) -> Option<f64> {
    if let Some(q) = limit(pod_level, resource) {
        return parse(&q);
    }
    if containers.is_empty() {
        return None;
    }
    containers
        .iter()
        .map(|c| limit(c.resources.as_ref(), resource).and_then(|q| parse(&q)))
        .sum()
}

fn container_info(status: &ContainerStatus, long_running: bool) -> ContainerInfo {
    let state = status.state.as_ref();
    let last = status
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref());
    ContainerInfo {
        name: status.name.clone(),
        long_running,
        ready: status.ready,
        restart_count: u32::try_from(status.restart_count).unwrap_or(0),
        waiting_reason: state
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.clone()),
        terminated_reason: state
            .and_then(|s| s.terminated.as_ref())
            .and_then(|t| t.reason.clone()),
        last_terminated_reason: last.and_then(|t| t.reason.clone()),
        last_finished_at: last
            .and_then(|t| t.finished_at.as_ref())
            .and_then(|t| to_chrono(&t.0)),
    }
}

/// Reduces a Pod from the API to what the rows need. `None` without a name.
pub fn pod_state(pod: &Pod) -> Option<PodState> {
    let meta = &pod.metadata;
    let name = meta.name.clone()?;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let sidecars: Vec<&Container> = spec
        .and_then(|s| s.init_containers.as_ref())
        .map(|c| c.iter().filter(|c| is_sidecar(c)).collect())
        .unwrap_or_default();
    let long_running: Vec<&Container> = spec
        .map(|s| s.containers.iter().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(sidecars.iter().copied())
        .collect();
    let pod_level = spec.and_then(|s| s.resources.as_ref());
    // Init containers first: while they run, the regular ones only wait in PodInitializing.
    let mut containers: Vec<ContainerInfo> = status
        .and_then(|s| s.init_container_statuses.as_ref())
        .map(|v| {
            v.iter()
                .map(|c| container_info(c, sidecars.iter().any(|s| s.name == c.name)))
                .collect()
        })
        .unwrap_or_default();
    if let Some(regular) = status.and_then(|s| s.container_statuses.as_ref()) {
        containers.extend(regular.iter().map(|c| container_info(c, true)));
    }
    Some(PodState {
        namespace: meta.namespace.clone().unwrap_or_default(),
        name,
        uid: meta.uid.clone().unwrap_or_default(),
        node: spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        phase: status
            .and_then(|s| s.phase.as_deref())
            .and_then(PodPhase::parse),
        pod_reason: status.and_then(|s| s.reason.clone()),
        containers,
        total_containers: u32::try_from(long_running.len()).unwrap_or(u32::MAX),
        cpu_limit_millicores: pod_limit(pod_level, &long_running, "cpu", quantity::millicores),
        memory_limit_bytes: pod_limit(pod_level, &long_running, "memory", quantity::bytes),
    })
}

/// Restart counts per container seen at the previous collection, to tell which containers
/// restarted during this interval.
pub type RestartsSeen = HashMap<String, u32>;

impl PodState {
    /// The restart counts to remember for the next collection.
    pub fn restarts_seen(&self) -> RestartsSeen {
        self.containers
            .iter()
            .map(|c| (c.name.clone(), c.restart_count))
            .collect()
    }

    /// The reason for the row (module docs). `previous`: the counts at the last collection,
    /// `None` for a pod not seen before, whose last termination counts if it ended within
    /// `interval` of `now`.
    pub fn reason(
        &self,
        previous: Option<&RestartsSeen>,
        now: DateTime<Utc>,
        interval: TimeDelta,
    ) -> Option<String> {
        let c = &self.containers;
        if let Some(r) = c.iter().find_map(|c| c.waiting_reason.clone()) {
            return Some(r);
        }
        // A finished init container reports "Completed": that is how init containers succeed.
        if let Some(r) = c.iter().find_map(|c| {
            c.terminated_reason
                .clone()
                .filter(|r| c.long_running || r != "Completed")
        }) {
            return Some(r);
        }
        let restarted_now = |c: &ContainerInfo| match previous {
            Some(seen) => c.restart_count > seen.get(&c.name).copied().unwrap_or(0),
            None => c.restart_count > 0 && c.last_finished_at.is_some_and(|t| now - t <= interval),
        };
        if let Some(r) = c
            .iter()
            .filter(|c| restarted_now(c))
            .find_map(|c| c.last_terminated_reason.clone())
        {
            return Some(r);
        }
        self.pod_reason.clone()
    }

    /// A row with this pod's state fields; usage and events are added by the caller.
    pub fn row(
        &self,
        now: DateTime<Utc>,
        previous: Option<&RestartsSeen>,
        interval: TimeDelta,
    ) -> PodMetricsRow {
        let mut row = PodMetricsRow::empty(now, &self.namespace, &self.name);
        let long: Vec<&ContainerInfo> = self.containers.iter().filter(|c| c.long_running).collect();
        row.node = self.node.clone();
        row.phase = self.phase;
        row.reason = self.reason(previous, now, interval);
        row.restarts = Some(long.iter().map(|c| c.restart_count).sum());
        row.ready_containers = Some(
            u32::try_from(long.iter().filter(|c| c.ready).count())
                .unwrap_or(u32::MAX)
                .min(self.total_containers),
        );
        row.total_containers = Some(self.total_containers);
        row.cpu_limit_millicores = self.cpu_limit_millicores;
        row.memory_limit_bytes = self.memory_limit_bytes;
        row
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn running_pod() -> Pod {
        pod(json!({
            "metadata": {"name": "cart-1", "namespace": "shop", "uid": "u-1"},
            "spec": {
                "nodeName": "node-a",
                "containers": [
                    {"name": "app", "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}}},
                    {"name": "proxy", "resources": {"limits": {"cpu": "0.1", "memory": "64Mi"}}}
                ]
            },
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {"name": "app", "ready": true, "restartCount": 2, "image": "", "imageID": "",
                     "state": {"running": {"startedAt": "2030-01-01T00:00:00Z"}}},
                    {"name": "proxy", "ready": false, "restartCount": 1, "image": "", "imageID": "",
                     "state": {"running": {}}}
                ]
            }
        }))
    }

    #[test]
    fn a_running_pod_becomes_its_state_fields() {
        let s = pod_state(&running_pod()).unwrap();
        let now = t("2030-01-01T00:10:00Z");
        let row = s.row(now, None, TimeDelta::seconds(5));
        assert_eq!(
            (row.namespace.as_str(), row.pod.as_str()),
            ("shop", "cart-1")
        );
        assert_eq!(row.node, "node-a");
        assert_eq!(row.phase, Some(PodPhase::Running));
        assert_eq!(row.reason, None);
        assert_eq!(row.restarts, Some(3));
        assert_eq!(row.ready_containers, Some(1));
        assert_eq!(row.total_containers, Some(2));
        assert_eq!(row.cpu_limit_millicores, Some(600.0));
        assert_eq!(row.memory_limit_bytes, Some(192.0 * 1024.0 * 1024.0));
        assert_eq!(row.cpu_millicores, None, "usage is not in the pod object");
        assert_eq!(row.event_reason, None);
    }

    #[test]
    fn a_container_without_a_limit_leaves_the_pods_limit_empty_unless_pod_level() {
        let mut p = running_pod();
        p.spec.as_mut().unwrap().containers[1].resources = None;
        let s = pod_state(&p).unwrap();
        assert_eq!((s.cpu_limit_millicores, s.memory_limit_bytes), (None, None));
        let p = pod(json!({
            "metadata": {"name": "a"},
            "spec": {"resources": {"limits": {"cpu": "2", "memory": "1Gi"}},
                     "containers": [{"name": "x"}]}
        }));
        let s = pod_state(&p).unwrap();
        assert_eq!(s.cpu_limit_millicores, Some(2000.0));
        assert_eq!(s.memory_limit_bytes, Some(1024.0 * 1024.0 * 1024.0));
    }

    #[test]
    fn a_pending_unscheduled_pod_has_no_node_and_no_ready_containers() {
        let p = pod(json!({
            "metadata": {"name": "web-1", "namespace": "shop"},
            "spec": {"containers": [{"name": "web"}]},
            "status": {"phase": "Pending"}
        }));
        let row =
            pod_state(&p)
                .unwrap()
                .row(t("2030-01-01T00:00:00Z"), None, TimeDelta::seconds(5));
        assert_eq!(row.node, "");
        assert_eq!(row.phase, Some(PodPhase::Pending));
        assert_eq!(
            (row.restarts, row.ready_containers, row.total_containers),
            (Some(0), Some(0), Some(1))
        );
        assert_eq!(row.memory_limit_bytes, None);
    }

    fn oom_killed_pod(restarts: i32, finished: &str) -> Pod {
        pod(json!({
            "metadata": {"name": "cart-1", "namespace": "shop"},
            "spec": {"containers": [{"name": "app"}]},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "app", "ready": true, "restartCount": restarts, "image": "", "imageID": "",
                "state": {"running": {}},
                "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                             "finishedAt": finished}}
            }]}
        }))
    }

    #[test]
    fn the_last_termination_reason_shows_in_the_interval_of_the_restart_only() {
        let five = TimeDelta::seconds(5);
        let now = t("2030-01-01T00:10:00Z");
        let s = pod_state(&oom_killed_pod(3, "2030-01-01T00:09:58Z")).unwrap();
        let before: RestartsSeen = [("app".to_string(), 2)].into();
        assert_eq!(
            s.reason(Some(&before), now, five).as_deref(),
            Some("OOMKilled")
        );
        // Next interval: no new restart, the OOMKilled is history.
        let seen = s.restarts_seen();
        assert_eq!(s.reason(Some(&seen), now + five, five), None);
        // A pod seen for the first time: only if the termination is within the interval.
        assert_eq!(s.reason(None, now, five).as_deref(), Some("OOMKilled"));
        let old = pod_state(&oom_killed_pod(3, "2030-01-01T00:01:00Z")).unwrap();
        assert_eq!(old.reason(None, now, five), None);
    }

    #[test]
    fn waiting_beats_terminated_beats_last_terminated_beats_pod_reason() {
        let now = t("2030-01-01T00:10:00Z");
        let five = TimeDelta::seconds(5);
        let mut p = oom_killed_pod(3, "2030-01-01T00:09:59Z");
        let status = p.status.as_mut().unwrap();
        status.reason = Some("Evicted".into());
        let cs = &mut status.container_statuses.as_mut().unwrap()[0];
        cs.state = Some(
            serde_json::from_value(json!({"waiting": {"reason": "CrashLoopBackOff"}})).unwrap(),
        );
        let s = pod_state(&p).unwrap();
        assert_eq!(
            s.reason(None, now, five).as_deref(),
            Some("CrashLoopBackOff")
        );

        let cs = &mut p
            .status
            .as_mut()
            .unwrap()
            .container_statuses
            .as_mut()
            .unwrap()[0];
        cs.state = Some(
            serde_json::from_value(json!({"terminated": {"exitCode": 1, "reason": "Error"}}))
                .unwrap(),
        );
        let s = pod_state(&p).unwrap();
        assert_eq!(s.reason(None, now, five).as_deref(), Some("Error"));

        let cs = &mut p
            .status
            .as_mut()
            .unwrap()
            .container_statuses
            .as_mut()
            .unwrap()[0];
        cs.state = None;
        let s = pod_state(&p).unwrap();
        assert_eq!(s.reason(None, now, five).as_deref(), Some("OOMKilled"));
        let seen = s.restarts_seen();
        assert_eq!(s.reason(Some(&seen), now, five).as_deref(), Some("Evicted"));
    }

    #[test]
    fn sidecars_count_and_init_containers_report_their_crash_loop_only() {
        let p = pod(json!({
            "metadata": {"name": "a", "namespace": "ns"},
            "spec": {
                "initContainers": [
                    {"name": "migrate"},
                    {"name": "mesh", "restartPolicy": "Always",
                     "resources": {"limits": {"cpu": "100m", "memory": "10Mi"}}}
                ],
                "containers": [{"name": "app", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]
            },
            "status": {
                "phase": "Pending",
                "initContainerStatuses": [
                    {"name": "migrate", "ready": false, "restartCount": 4, "image": "", "imageID": "",
                     "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
                    {"name": "mesh", "ready": true, "restartCount": 1, "image": "", "imageID": ""}
                ],
                "containerStatuses": [
                    {"name": "app", "ready": false, "restartCount": 0, "image": "", "imageID": "",
                     "state": {"waiting": {"reason": "PodInitializing"}}}
                ]
            }
        }));
        let s = pod_state(&p).unwrap();
        let row = s.row(t("2030-01-01T00:00:00Z"), None, TimeDelta::seconds(5));
        assert_eq!(row.total_containers, Some(2), "app + the mesh sidecar");
        assert_eq!(row.ready_containers, Some(1));
        assert_eq!(
            row.restarts,
            Some(1),
            "an init container's retries are not restarts"
        );
        assert_eq!(row.cpu_limit_millicores, Some(1100.0));
        assert_eq!(row.reason.as_deref(), Some("CrashLoopBackOff"));

        // A completed init container is not a reason; the app waiting is.
        let mut p = p;
        let init = &mut p
            .status
            .as_mut()
            .unwrap()
            .init_container_statuses
            .as_mut()
            .unwrap()[0];
        init.state = Some(
            serde_json::from_value(json!({"terminated": {"exitCode": 0, "reason": "Completed"}}))
                .unwrap(),
        );
        let s = pod_state(&p).unwrap();
        assert_eq!(
            s.reason(None, t("2030-01-01T00:00:00Z"), TimeDelta::seconds(5))
                .as_deref(),
            Some("PodInitializing")
        );
        p.status
            .as_mut()
            .unwrap()
            .container_statuses
            .as_mut()
            .unwrap()[0]
            .state = None;
        let s = pod_state(&p).unwrap();
        assert_eq!(
            s.reason(None, t("2030-01-01T00:00:00Z"), TimeDelta::seconds(5)),
            None
        );
    }
}
