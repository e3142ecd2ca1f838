//! The object a remediation acts on: the pod's owner workload, inferred from the pod's name.
//!
//! The CSV has no owner references, so the generated suffixes tell the kind: ReplicaSet pods are
//! `<deployment>-<hash>-<5 chars>`, StatefulSet pods `<name>-<ordinal>`, DaemonSet and Job pods
//! `<name>-<5 chars>` (which one of the two the name cannot tell).

use crate::features::pod_key::workload_of;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
    /// A DaemonSet or a Job: `kubectl` needs the user to say which.
    DaemonSetOrJob,
    /// A bare pod (no generated suffix).
    Pod,
}

/// A pod's owner as `kubectl` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Workload {
    pub namespace: String,
    pub kind: WorkloadKind,
    pub name: String,
}

impl Workload {
    pub fn of(namespace: &str, pod: &str) -> Workload {
        let name = workload_of(pod);
        let suffix = &pod[name.len()..];
        let kind = if name == pod {
            WorkloadKind::Pod
        } else if suffix
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            WorkloadKind::StatefulSet
        } else if suffix.matches('-').count() == 2 {
            WorkloadKind::Deployment
        } else {
            WorkloadKind::DaemonSetOrJob
        };
        Workload {
            namespace: namespace.to_string(),
            kind,
            name: name.to_string(),
        }
    }

    /// `deployment/cart`, `statefulset/db`, `daemonset/agent` (a guess the command says), or
    /// `pod/x`.
    pub fn resource(&self) -> String {
        let kind = match self.kind {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
            WorkloadKind::DaemonSetOrJob => "daemonset",
            WorkloadKind::Pod => "pod",
        };
        format!("{kind}/{}", self.name)
    }

    /// Whether `kubectl rollout` and `set resources` apply (a bare pod has no template).
    pub fn has_template(&self) -> bool {
        self.kind != WorkloadKind::Pod
    }

    /// The container to name in `-c`: the convention that a workload's main container carries
    /// its name (true of the simulator and of most Helm charts).
    pub fn main_container(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_generated_suffixes() {
        let w = Workload::of("shop", "cart-7d9f8b6c4-x2k9p");
        assert_eq!(
            (w.kind, w.resource()),
            (WorkloadKind::Deployment, "deployment/cart".into())
        );
        let w = Workload::of("data", "postgres-0");
        assert_eq!(
            (w.kind, w.resource()),
            (WorkloadKind::StatefulSet, "statefulset/postgres".into())
        );
        let w = Workload::of("kube-system", "node-exporter-zx7kq");
        assert_eq!(w.kind, WorkloadKind::DaemonSetOrJob);
        let w = Workload::of("shop", "debug-shell");
        assert_eq!(
            (w.kind, w.resource()),
            (WorkloadKind::Pod, "pod/debug-shell".into())
        );
        assert!(!w.has_template());
    }
}
