//! What the LLM explainer is asked about an incident (pure): the evidence document, the names
//! to redact from it, and the cache signature.

use super::incident::Incident;
use crate::llm::NameKind;
use serde_json::{json, Value};

/// The evidence of `incident` as the model sees it (before redaction): fault kind, severity,
/// deviations, usage and limits, events, the rule-based diagnosis and steps.
pub fn evidence_document(incident: &Incident) -> Value {
    let c = &incident.context;
    json!({
        "namespace": incident.namespace,
        "workload": incident.workload.name,
        "workload_kind": incident.workload.kind,
        "container": incident.workload.main_container(),
        "fault_kind": incident.kind.as_str(),
        "severity": incident.severity,
        "pods": incident.pods.iter().map(|(pod, p)| json!({
            "pod": pod, "node": p.node, "since": p.since, "peak_probability": p.peak_probability,
        })).collect::<Vec<_>>(),
        "evidence": incident.evidence,
        "usage": {
            "cpu_millicores": c.cpu_millicores, "cpu_limit_millicores": c.cpu_limit_millicores,
            "memory_bytes": c.memory_bytes, "memory_limit_bytes": c.memory_limit_bytes,
            "memory_growth_bytes_per_minute": c.memory_growth_per_minute,
            "restarts": c.restarts, "container_reason": c.reason,
        },
        "events": incident.related_events.iter().map(|e| json!({ "event_message": e })).collect::<Vec<_>>(),
        "rule_based_diagnosis": {
            "summary": incident.explanation.summary,
            "root_cause": incident.explanation.root_cause,
            "steps": incident.explanation.steps.iter().map(|s| &s.command).collect::<Vec<_>>(),
        },
    })
}

/// Every name in the incident that must not leave the machine.
pub fn sensitive_names(incident: &Incident) -> Vec<(NameKind, String)> {
    let mut names = vec![
        (NameKind::Namespace, incident.namespace.clone()),
        (NameKind::Workload, incident.workload.name.clone()),
        (
            NameKind::Container,
            incident.workload.main_container().to_string(),
        ),
    ];
    for (pod, p) in &incident.pods {
        names.push((NameKind::Pod, pod.clone()));
        if !p.node.is_empty() {
            names.push((NameKind::Node, p.node.clone()));
        }
    }
    names
}

/// The cache key: the same fault on the same workload with the same kinds of evidence asks once.
pub fn signature(incident: &Incident) -> String {
    let mut features: Vec<&str> = incident
        .evidence
        .iter()
        .map(|e| e.feature.as_str())
        .collect();
    features.sort_unstable();
    features.dedup();
    format!(
        "{}/{}/{}/{}",
        incident.namespace,
        incident.workload.name,
        incident.kind.as_str(),
        features.join(",")
    )
}
