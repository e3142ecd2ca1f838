//! `k8s-monitor explain`: the Anomaly Detection agent alone over an insights file (the
//! original's `anomaly_detection_agent.py`): every anomalous pod becomes part of an incident,
//! printed with its evidence, explanation and remediation steps (or as JSON lines).

use crate::analysis::{IncidentTracker, Transition};
use crate::cli::ExplainArgs;
use crate::detector::PodScore;
use crate::insights::InsightsEntry;
use anyhow::Context as _;
use std::io::Write;
use std::time::Duration;

pub fn run(args: &ExplainArgs) -> anyhow::Result<()> {
    let path = &args.insights;
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let entries: Vec<InsightsEntry<PodScore>> = serde_json::from_slice(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: not an insights document (a JSON array of pod verdicts, as `run` writes): {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    // A pod the daemon already placed in an incident keeps that incident's kind: a snapshot
    // shows one moment (a crash-looping pod between crashes looks merely not ready).
    let scores: Vec<PodScore> = entries
        .into_iter()
        .map(|e| {
            let mut score = e.score;
            if let Some(kind) = e.incident.and_then(|i| {
                serde_json::from_value(serde_json::Value::String(i.incident_kind)).ok()
            }) {
                score.anomaly_type = Some(kind);
            }
            score
        })
        .collect();
    // One pass over a snapshot: nothing resolves, so the window lengths do not matter.
    let mut tracker = IncidentTracker::new(Duration::from_secs(3600), Duration::ZERO);
    let events = tracker.observe(&scores, &[]);
    let mut out = std::io::stdout().lock();
    if events.is_empty() {
        writeln!(out, "no anomalous pod in {}", path.display())?;
        return Ok(());
    }
    for event in events.iter().filter(|e| e.event == Transition::Opened) {
        let i = &event.incident;
        if args.json {
            writeln!(out, "{}", serde_json::to_string(i)?)?;
            continue;
        }
        writeln!(
            out,
            "{} [{:?}] {}",
            i.kind.as_str(),
            i.severity,
            i.explanation.summary
        )?;
        let pods: Vec<String> = i
            .pods
            .iter()
            .map(|(pod, p)| {
                format!(
                    "{pod} (since {}, p={:.2})",
                    p.since.to_rfc3339(),
                    p.peak_probability
                )
            })
            .collect();
        writeln!(out, "  pods: {}", pods.join(", "))?;
        writeln!(out, "  why: {}", i.explanation.root_cause)?;
        for e in &i.evidence {
            let detail = e
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            writeln!(
                out,
                "  evidence: {} = {:.3}, normal {:.3}, deviation {:.1}{detail}",
                e.feature, e.value, e.baseline, e.deviation
            )?;
        }
        for ev in &i.related_events {
            writeln!(out, "  event: {ev}")?;
        }
        for (n, step) in i.explanation.steps.iter().enumerate() {
            let mark = if step.changes_cluster {
                " (changes the cluster)"
            } else {
                ""
            };
            writeln!(
                out,
                "  {}. {}{mark}:\n       {}",
                n + 1,
                step.action,
                step.command
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}
