//! Identity of a pod across rows: namespace and name.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodKey {
    pub namespace: String,
    pub pod: String,
}

impl PodKey {
    pub fn new(namespace: &str, pod: &str) -> PodKey {
        PodKey {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
        }
    }
}

impl fmt::Display for PodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.pod)
    }
}

/// The workload (Deployment/StatefulSet/DaemonSet) a pod belongs to, from its name.
///
/// ReplicaSet pods are named `<deployment>-<pod-template-hash>-<5 chars>`; StatefulSet pods
/// `<name>-<ordinal>`; DaemonSet and Job pods `<name>-<5 chars>`. Without owner references (the
/// CSV has none) the name is all there is, so strip those generated suffixes. Kubernetes draws
/// them from an alphabet without vowels (`bcdfghjklmnpqrstvwxz2456789`), which tells
/// `node-exporter-zx7kq` (workload `node-exporter`) from `web-7d9f8b6c4-x2k9p` (workload `web`).
pub fn workload_of(pod: &str) -> &str {
    const GENERATED: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let generated = |s: &str| s.bytes().all(|b| GENERATED.contains(&b));
    let parts: Vec<&str> = pod.rsplitn(3, '-').collect();
    let is_suffix = |s: &str| s.len() == 5 && generated(s);
    let is_hash = |s: &str| (6..=10).contains(&s.len()) && generated(s);
    match parts.as_slice() {
        [suffix, hash, base] if is_suffix(suffix) && is_hash(hash) => base,
        [ordinal, rest @ ..] if !rest.is_empty() && ordinal.bytes().all(|b| b.is_ascii_digit()) => {
            &pod[..pod.len() - ordinal.len() - 1]
        }
        [suffix, rest @ ..] if !rest.is_empty() && is_suffix(suffix) => {
            &pod[..pod.len() - suffix.len() - 1]
        }
        _ => pod,
    }
}

#[cfg(test)]
mod tests {
    use super::workload_of;

    #[test]
    fn strips_generated_suffixes() {
        assert_eq!(workload_of("checkout-7d9f8b6c4-x2k9p"), "checkout");
        assert_eq!(workload_of("checkout-7d9f8b6c4"), "checkout-7d9f8b6c4");
        assert_eq!(
            workload_of("my-api-server-5f6d7c8b9d-x7kqz"),
            "my-api-server"
        );
        assert_eq!(workload_of("postgres-0"), "postgres");
        assert_eq!(workload_of("node-exporter-zx7kq"), "node-exporter");
        assert_eq!(workload_of("standalone"), "standalone");
    }
}
