//! What the sinks send, built from an incident transition (pure): an Alertmanager v2 alert, and
//! a Slack-compatible webhook message.

use crate::analysis::{Incident, IncidentEvent, Transition};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The `alertname` label of every alert this daemon raises.
pub const ALERT_NAME: &str = "K8sMonitorIncident";

/// One element of `POST /api/v2/alerts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertmanagerAlert {
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    #[serde(rename = "startsAt")]
    pub starts_at: DateTime<Utc>,
    /// Set when the incident resolved: Alertmanager then resolves the alert.
    #[serde(rename = "endsAt", skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(rename = "generatorURL", skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
}

fn severity(incident: &Incident) -> &'static str {
    match incident.severity {
        crate::detector::Severity::Critical => "critical",
        crate::detector::Severity::Warning => "warning",
        crate::detector::Severity::Info => "info",
    }
}

/// The alert for an incident as of `event`; resolved ones carry `endsAt`.
pub fn alertmanager_alert(
    incident: &Incident,
    resolved_at: Option<DateTime<Utc>>,
) -> AlertmanagerAlert {
    let mut labels = BTreeMap::new();
    labels.insert("alertname".to_string(), ALERT_NAME.to_string());
    labels.insert("namespace".to_string(), incident.namespace.clone());
    labels.insert("workload".to_string(), incident.workload.name.clone());
    // The first pod affected names the alert; the others are in the description.
    if let Some(pod) = incident.pods.keys().next() {
        labels.insert("pod".to_string(), pod.clone());
    }
    labels.insert("severity".to_string(), severity(incident).to_string());
    labels.insert("fault_kind".to_string(), incident.kind.as_str().to_string());
    labels.insert("incident_id".to_string(), incident.id.clone());
    let mut annotations = BTreeMap::new();
    annotations.insert("summary".to_string(), incident.explanation.summary.clone());
    annotations.insert(
        "description".to_string(),
        incident.explanation.root_cause.clone(),
    );
    let pods: Vec<&str> = incident.pods.keys().map(String::as_str).collect();
    annotations.insert("pods".to_string(), pods.join(", "));
    let steps: Vec<String> = incident
        .explanation
        .steps
        .iter()
        .map(|s| format!("{}: {}", s.action, s.command))
        .collect();
    annotations.insert("remediation".to_string(), steps.join("\n"));
    AlertmanagerAlert {
        labels,
        annotations,
        starts_at: incident.opened_at,
        ends_at: resolved_at,
        generator_url: None,
    }
}

/// A Slack-compatible message (`{"text": …}`; most chat webhooks accept it).
pub fn webhook_message(event: &IncidentEvent) -> serde_json::Value {
    let i = &event.incident;
    let verb = match event.event {
        Transition::Opened => "opened",
        Transition::Updated => "updated",
        Transition::Resolved => "resolved",
    };
    let mut text = format!(
        "[{}] {} incident {verb}: {}\n{}",
        severity(i),
        i.kind.as_str(),
        i.explanation.summary,
        i.explanation.root_cause
    );
    if event.event != Transition::Resolved {
        for step in &i.explanation.steps {
            text.push_str(&format!("\n• {}: `{}`", step.action, step.command));
        }
    }
    serde_json::json!({ "text": text, "incident": i.id, "event": verb })
}
