//! What the reason strings and events Kubernetes reports mean to the rules.

/// A container waiting or termination reason, by what it says about the pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    /// Waiting: the kubelet is backing off restarts of a container that keeps exiting.
    CrashLoopBackOff,
    /// Waiting: the image cannot be pulled.
    ImagePull,
    /// Waiting: the container cannot be created or started from its spec.
    ConfigError,
    /// Terminated by the kernel for exceeding its memory limit.
    OomKilled,
    /// Terminated with a non-zero exit, or the runtime could not run it.
    Error,
    /// Terminated with exit code 0: the end of a Job, or a restart of a long-running container.
    Completed,
    /// Anything else (ContainerCreating, PodInitializing, Evicted, ...).
    Other,
}

impl Reason {
    pub fn of(reason: &str) -> Reason {
        match reason {
            "CrashLoopBackOff" => Reason::CrashLoopBackOff,
            "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" | "ErrImageNeverPull" => {
                Reason::ImagePull
            }
            "CreateContainerConfigError" | "CreateContainerError" | "RunContainerError" => {
                Reason::ConfigError
            }
            "OOMKilled" => Reason::OomKilled,
            "Error" | "ContainerCannotRun" | "StartError" => Reason::Error,
            "Completed" => Reason::Completed,
            _ => Reason::Other,
        }
    }
}

/// The event reports a liveness or startup probe failure, or the kill it leads to. A `Killing`
/// event alone is not enough when its message is known: the kubelet also kills containers when
/// a pod is deleted or its spec changed ("Stopping container ...").
pub(crate) fn is_probe_kill_event(reason: Option<&str>, message: Option<&str>) -> bool {
    let about_probe = |m: &str| {
        let m = m.to_ascii_lowercase();
        m.contains("liveness") || m.contains("startup probe")
    };
    match (reason, message) {
        (Some("Killing" | "Unhealthy"), Some(m)) => about_probe(m),
        (Some("Killing"), None) => true,
        _ => false,
    }
}

/// The kernel's OOM killer reported on the node (`OOMKilling`).
pub(crate) fn is_oom_event(reason: Option<&str>) -> bool {
    reason == Some("OOMKilling")
}

/// An image was pulled into the pod: with a restart, a rollout of a new image.
pub(crate) fn is_pulled_event(reason: Option<&str>) -> bool {
    reason == Some("Pulled")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_events_are_read_by_what_they_mean() {
        assert_eq!(Reason::of("ErrImagePull"), Reason::ImagePull);
        assert_eq!(
            Reason::of("CreateContainerConfigError"),
            Reason::ConfigError
        );
        assert_eq!(Reason::of("ContainerCreating"), Reason::Other);
        let liveness = "Container app failed liveness probe, will be restarted";
        assert!(is_probe_kill_event(Some("Killing"), Some(liveness)));
        assert!(is_probe_kill_event(
            Some("Unhealthy"),
            Some("Liveness probe failed: HTTP probe failed with statuscode: 500")
        ));
        assert!(!is_probe_kill_event(
            Some("Unhealthy"),
            Some("Readiness probe failed: HTTP probe failed with statuscode: 503")
        ));
        assert!(!is_probe_kill_event(
            Some("Killing"),
            Some("Stopping container app")
        ));
        assert!(!is_probe_kill_event(Some("Unhealthy"), None));
    }
}
