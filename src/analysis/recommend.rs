//! Rule-based explanation and remediation for an incident: what is wrong, why we think so, and
//! concrete steps, as `kubectl` commands on the pod's real namespace, workload and container.
//!
//! Commands that change the cluster are marked `changes_cluster`; the confirming ones (describe,
//! logs, rollout history) come first so an SRE looks before acting.

use super::workload::Workload;
use crate::detector::{AnomalyType, PodContext};
use serde::{Deserialize, Serialize};

/// One step of a remediation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// What the step is for, in a few words.
    pub action: String,
    /// The command to run, ready to paste.
    pub command: String,
    /// Whether running it changes the cluster (a restart, a patch, a rollback).
    pub changes_cluster: bool,
}

/// The rule-based explanation of an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub summary: String,
    pub root_cause: String,
    pub steps: Vec<Step>,
}

const MIB: f64 = 1024.0 * 1024.0;

/// `x` rounded up to a multiple of `unit`.
fn ceil_to(x: f64, unit: f64) -> f64 {
    (x / unit).ceil() * unit
}

/// A memory limit that clears what the pod needed with headroom: 1.5× the larger of its usage
/// and its current limit, rounded up to 64 MiB.
pub fn raised_memory_limit(ctx: &PodContext) -> Option<u64> {
    let base = match (ctx.memory_bytes, ctx.memory_limit_bytes) {
        (Some(u), Some(l)) => u.max(l),
        (Some(v), None) | (None, Some(v)) => v,
        (None, None) => return None,
    };
    Some((ceil_to(base * 1.5, 64.0 * MIB) / MIB) as u64)
}

/// A CPU limit 1.5× the current one (or the usage), rounded up to 50 millicores.
pub fn raised_cpu_limit(ctx: &PodContext) -> Option<u64> {
    let base = ctx.cpu_limit_millicores.or(ctx.cpu_millicores)?;
    Some(ceil_to(base * 1.5, 50.0) as u64)
}

fn look(action: &str, command: String) -> Step {
    Step {
        action: action.to_string(),
        command,
        changes_cluster: false,
    }
}

fn act(action: &str, command: String) -> Step {
    Step {
        action: action.to_string(),
        command,
        changes_cluster: true,
    }
}

/// A `kubectl` command line from its arguments, each shell-quoted where it needs it, so a name
/// can never become shell syntax in a command a person pastes (`shlex`, which cc and bindgen
/// already compile in). A NUL byte, which no shell word can hold, is dropped.
fn kubectl(args: &[&str]) -> String {
    let words: Vec<String> = std::iter::once("kubectl")
        .chain(args.iter().copied())
        .map(|a| a.replace('\0', ""))
        .collect();
    shlex::try_join(words.iter().map(String::as_str)).expect("NUL bytes were removed")
}

fn mib(bytes: f64) -> String {
    format!("{:.0} MiB", bytes / MIB)
}

/// The explanation and steps for `kind` on `pod` of `workload`, from its latest context.
pub fn explain(kind: AnomalyType, workload: &Workload, pod: &str, ctx: &PodContext) -> Explanation {
    let ns = &workload.namespace;
    let res = workload.resource();
    let c = workload.main_container();
    let describe = || {
        look(
            "see the pod's state and events",
            kubectl(&["-n", &ns[..], "describe", "pod", pod]),
        )
    };
    let logs_previous = || {
        look(
            "read the crashed container's last logs",
            kubectl(&[
                "-n",
                &ns[..],
                "logs",
                pod,
                "-c",
                c,
                "--previous",
                "--tail=200",
            ]),
        )
    };
    let logs = || {
        look(
            "read the container's logs",
            kubectl(&["-n", &ns[..], "logs", pod, "-c", c, "--tail=200"]),
        )
    };
    let history = || {
        look(
            "list recent rollouts",
            kubectl(&["-n", &ns[..], "rollout", "history", &res[..]]),
        )
    };
    let undo = || {
        act(
            "roll back the last rollout",
            kubectl(&["-n", &ns[..], "rollout", "undo", &res[..]]),
        )
    };
    // `kubectl set resources` on the owner's main container, with one `--limits=…`.
    let set_limit =
        |limits: &str| kubectl(&["-n", &ns[..], "set", "resources", &res[..], "-c", c, limits]);
    let events = || {
        look(
            "list the pod's events",
            kubectl(&[
                "-n",
                &ns[..],
                "get",
                "events",
                "--field-selector",
                &format!("involvedObject.name={pod}"),
                "--sort-by=.lastTimestamp",
            ]),
        )
    };
    let memory_now = match (ctx.memory_bytes, ctx.memory_limit_bytes) {
        (Some(u), Some(l)) => format!("{} of its {} limit", mib(u), mib(l)),
        (Some(u), None) => format!("{} (no limit known)", mib(u)),
        _ => "memory unknown".to_string(),
    };
    let mut steps = Vec::new();
    let (summary, root_cause) = match kind {
        AnomalyType::MemoryLeak => {
            let growth = ctx
                .memory_growth_per_minute
                .map(|g| format!(", growing {:.1} MiB/min", g / MIB))
                .unwrap_or_default();
            steps.push(look(
                "watch memory per container",
                kubectl(&["-n", &ns[..], "top", "pod", pod, "--containers"]),
            ));
            steps.push(logs());
            if workload.has_template() {
                steps.push(act(
                    "restart the pods to buy time before the OOM kill",
                    kubectl(&["-n", &ns[..], "rollout", "restart", &res[..]]),
                ));
                steps.push(history());
            }
            (
                format!("{pod}: memory climbing steadily ({memory_now}{growth})"),
                "Memory grows without levelling off, the signature of a leak; the container will be \
                 OOMKilled when it reaches its limit. Raising the limit only delays that: find the \
                 leak (a recent rollout, a cache without bounds, a connection pool)."
                    .to_string(),
            )
        }
        AnomalyType::OomKilled => {
            steps.push(look(
                "confirm the OOM kill in the last state",
                kubectl(&[
                    "-n",
                    &ns[..],
                    "get",
                    "pod",
                    pod,
                    "-o",
                    "jsonpath={.status.containerStatuses[*].lastState.terminated.reason}",
                ]),
            ));
            steps.push(logs_previous());
            if let (Some(limit), true) = (raised_memory_limit(ctx), workload.has_template()) {
                steps.push(act(
                    &format!("raise the memory limit to {limit}Mi (1.5x what it needed)"),
                    set_limit(&format!("--limits=memory={limit}Mi")),
                ));
            }
            (
                format!("{pod}: container OOMKilled ({memory_now})"),
                "The kernel killed the container for exceeding its memory limit. Without a growth \
                 trend before it, the limit is too low for the load, or a single request needs \
                 more memory than allowed."
                    .to_string(),
            )
        }
        AnomalyType::CpuSaturation => {
            steps.push(look(
                "see CPU per container",
                kubectl(&["-n", &ns[..], "top", "pod", pod, "--containers"]),
            ));
            if let (Some(limit), true) = (raised_cpu_limit(ctx), workload.has_template()) {
                steps.push(act(
                    &format!("raise the CPU limit to {limit}m (1.5x)"),
                    set_limit(&format!("--limits=cpu={limit}m")),
                ));
            }
            if workload.has_template() {
                steps.push(act(
                    "or add a replica to spread the load",
                    kubectl(&["-n", &ns[..], "scale", &res[..], "--replicas=<current+1>"]),
                ));
            }
            let cpu = match (ctx.cpu_millicores, ctx.cpu_limit_millicores) {
                (Some(u), Some(l)) => format!("{u:.0}m of {l:.0}m"),
                (Some(u), None) => format!("{u:.0}m"),
                _ => "at its limit".to_string(),
            };
            (
                format!("{pod}: CPU saturated ({cpu}), throttled"),
                "CPU use sits at the container's limit, so the kernel throttles it: latency rises \
                 while the pod stays up."
                    .to_string(),
            )
        }
        AnomalyType::CrashLoop | AnomalyType::ContainerRestart => {
            steps.push(logs_previous());
            steps.push(describe());
            if workload.has_template() {
                steps.push(history());
                steps.push(undo());
            }
            let restarts = ctx
                .restarts
                .map(|r| format!(", {r} restarts"))
                .unwrap_or_default();
            let reason = ctx
                .reason
                .clone()
                .unwrap_or_else(|| "restarting".to_string());
            (
                format!("{pod}: container {reason}{restarts}"),
                "The container keeps exiting and Kubernetes keeps restarting it with growing \
                 back-off. Its previous logs say why; a bad rollout, a missing dependency or a \
                 failing start-up probe are the usual causes."
                    .to_string(),
            )
        }
        AnomalyType::NetworkErrors => {
            steps.push(describe());
            steps.push(look(
                "check the node's network health",
                kubectl(&["describe", "node", &format!("<node of {pod}>")]),
            ));
            steps.push(logs());
            (
                format!("{pod}: network errors far above normal"),
                "Receive/transmit errors rose on the pod's interface: a faulty node NIC or CNI, a \
                 peer resetting connections, or MTU trouble."
                    .to_string(),
            )
        }
        AnomalyType::TrafficDrop => {
            steps.push(look(
                "check the Service still selects the pod",
                kubectl(&["-n", &ns[..], "get", "endpoints", &workload.name[..]]),
            ));
            steps.push(events());
            steps.push(logs());
            (
                format!("{pod}: traffic collapsed while the pod stays up"),
                "Network and CPU fell far below the pod's normal and its siblings'. Upstream stopped \
                 sending (a Service selector, an ingress or a client change), or the pod hangs."
                    .to_string(),
            )
        }
        AnomalyType::TrafficSurge => {
            steps.push(look(
                "see the load",
                kubectl(&[
                    "-n",
                    &ns[..],
                    "top",
                    "pod",
                    "-l",
                    &format!("app={}", workload.name),
                ]),
            ));
            if workload.has_template() {
                steps.push(act(
                    "add replicas while the surge lasts",
                    kubectl(&["-n", &ns[..], "scale", &res[..], "--replicas=<current+1>"]),
                ));
            }
            (
                format!("{pod}: traffic far above its normal and its siblings'"),
                "A surge of requests reaches this pod: a retry storm, an unbalanced load balancer \
                 or a real spike."
                    .to_string(),
            )
        }
        AnomalyType::ReadinessFlapping | AnomalyType::NotReady => {
            steps.push(describe());
            steps.push(logs());
            if workload.has_template() {
                steps.push(act(
                    "give the readiness probe more time if the app is slow, not broken",
                    kubectl(&[
                        "-n",
                        &ns[..],
                        "patch",
                        &res[..],
                        "--type=json",
                        "-p",
                        r#"[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/timeoutSeconds","value":5}]"#,
                    ]),
                ));
            }
            (
                format!("{pod}: readiness failing on and off"),
                "The readiness probe fails intermittently, so the pod leaves and rejoins its \
                 Service's endpoints: requests fail or pile up on the other replicas."
                    .to_string(),
            )
        }
        AnomalyType::LevelShift => {
            steps.push(look(
                "see current usage per container",
                kubectl(&["-n", &ns[..], "top", "pod", pod, "--containers"]),
            ));
            if workload.has_template() {
                steps.push(history());
                steps.push(look(
                    "compare the current template with the previous one",
                    kubectl(&[
                        "-n",
                        &ns[..],
                        "rollout",
                        "history",
                        &res[..],
                        "--revision=<previous>",
                    ]),
                ));
                steps.push(undo());
            }
            (
                format!("{pod}: resource use stepped to a new level"),
                "Usage changed level abruptly and stayed there, typically after a rollout (a new \
                 version, new configuration or new limits). If the new level is expected it \
                 becomes the pod's normal within about 15 minutes."
                    .to_string(),
            )
        }
        AnomalyType::Pending => {
            steps.push(describe());
            steps.push(look(
                "see what the nodes can still fit",
                "kubectl describe nodes | grep -A8 'Allocated resources'".to_string(),
            ));
            (
                format!("{pod}: stuck in Pending"),
                "The pod is not scheduled: no node fits its requests, a node selector or taint \
                 excludes them, or a volume is not bound. The FailedScheduling event says which."
                    .to_string(),
            )
        }
        AnomalyType::ImagePullError => {
            steps.push(describe());
            steps.push(look(
                "see the image reference",
                kubectl(&[
                    "-n",
                    &ns[..],
                    "get",
                    &res[..],
                    "-o",
                    "jsonpath={.spec.template.spec.containers[*].image}",
                ]),
            ));
            if workload.has_template() {
                steps.push(undo());
            }
            (
                format!("{pod}: image cannot be pulled"),
                "The kubelet cannot pull the container image: a wrong tag, a missing registry \
                 secret, or the registry unreachable."
                    .to_string(),
            )
        }
        AnomalyType::ContainerConfigError => {
            steps.push(describe());
            steps.push(look(
                "list the ConfigMaps and Secrets it may need",
                kubectl(&["-n", &ns[..], "get", "configmaps,secrets"]),
            ));
            (
                format!("{pod}: container cannot start (configuration)"),
                "The container cannot be created: a ConfigMap, Secret or volume it references is \
                 missing or invalid."
                    .to_string(),
            )
        }
    };
    Explanation {
        summary,
        root_cause,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PodContext {
        PodContext {
            memory_bytes: Some(500.0 * MIB),
            memory_limit_bytes: Some(512.0 * MIB),
            cpu_millicores: Some(980.0),
            cpu_limit_millicores: Some(1000.0),
            restarts: Some(4),
            reason: Some("CrashLoopBackOff".into()),
            ..PodContext::default()
        }
    }

    #[test]
    fn limits_are_raised_with_headroom() {
        // 1.5 x 512 MiB = 768 MiB, already a multiple of 64.
        assert_eq!(raised_memory_limit(&ctx()), Some(768));
        assert_eq!(raised_cpu_limit(&ctx()), Some(1500));
        assert_eq!(raised_memory_limit(&PodContext::default()), None);
    }

    #[test]
    fn commands_name_the_real_namespace_workload_and_container() {
        let w = Workload::of("shop", "cart-7d9f8b6c4-x2k9p");
        let e = explain(AnomalyType::OomKilled, &w, "cart-7d9f8b6c4-x2k9p", &ctx());
        assert!(e.steps.iter().any(|s| s.command
            == "kubectl -n shop set resources deployment/cart -c cart '--limits=memory=768Mi'"));
        assert!(!e.steps[0].changes_cluster, "look before acting");
        let e = explain(AnomalyType::CrashLoop, &w, "cart-7d9f8b6c4-x2k9p", &ctx());
        assert!(
            e.summary.contains("CrashLoopBackOff, 4 restarts"),
            "{}",
            e.summary
        );
        assert!(e.steps.iter().any(|s| s.command
            == "kubectl -n shop logs cart-7d9f8b6c4-x2k9p -c cart --previous '--tail=200'"));
        assert!(e
            .steps
            .iter()
            .any(|s| s.command == "kubectl -n shop rollout undo deployment/cart"));
    }

    #[test]
    fn a_bare_pod_gets_no_template_commands() {
        let w = Workload::of("shop", "debug-shell");
        for kind in AnomalyType::ALL {
            let e = explain(kind, &w, "debug-shell", &ctx());
            assert!(!e.steps.is_empty(), "{kind:?}");
            assert!(
                e.steps.iter().all(|s| !s.command.contains("rollout") && !s.command.contains("set resources")),
                "{kind:?}: {:?}",
                e.steps
            );
        }
    }

    #[test]
    fn a_hostile_name_stays_one_quoted_word_in_every_command() {
        let evil = "evil;touch${IFS}PWNED;#";
        let ns = "shop$(reboot)";
        let w = Workload::of(ns, evil);
        let mut checked = 0;
        for kind in AnomalyType::ALL {
            for step in explain(kind, &w, evil, &ctx()).steps {
                if !step.command.contains("PWNED") && !step.command.contains("reboot") {
                    continue;
                }
                checked += 1;
                // What a POSIX shell would see: the names whole, inside one word each.
                let words = shlex::split(&step.command).expect("a well-quoted command");
                assert_eq!(words[0], "kubectl", "{}", step.command);
                for name in [evil, ns] {
                    if step.command.contains(name.split(';').next().unwrap()) {
                        assert!(
                            words.iter().any(|w| w.contains(name)),
                            "{name} split across words in {}",
                            step.command
                        );
                    }
                }
                assert!(
                    !words.iter().any(|w| w == "touch${IFS}PWNED" || w == "#"),
                    "{}",
                    step.command
                );
            }
        }
        assert!(checked > 20, "only {checked} commands named the pod");
    }
}
