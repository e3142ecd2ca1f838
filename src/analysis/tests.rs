//! The analysis end to end on the simulator: each injected fault kind opens one incident of
//! that kind on the faulty pod's workload, with steps naming its namespace and workload, and
//! healthy pods open none. Runs the daemon's scoring pipeline (the default ensemble).

use super::{IncidentTracker, Transition};
use crate::fault_label::FaultKind;
use crate::features::tick_features::ticks;
use crate::metrics_row::PodMetricsRow;
use crate::pipeline::ScoringPipeline;
use crate::settings::Settings;
use crate::simulator::{SimulatedCluster, SimulatorSettings};
use std::time::Duration;

#[test]
fn each_fault_kind_opens_the_right_incident_and_healthy_pods_none() {
    let settings = Settings::default();
    let start = "2026-01-05T00:00:00Z".parse().unwrap();
    for kind in FaultKind::ALL {
        let mut cluster = SimulatedCluster::new(
            &SimulatorSettings {
                pods: 12,
                seed: 5,
                first_fault_after: Duration::from_secs(30 * 60),
                first_fault_kind: kind,
                // One fault only.
                mean_time_between_faults: Duration::from_secs(24 * 3600),
                // The calm cluster: this test is about faults, not benign churn.
                benign_churn: false,
            },
            start,
        );
        let rows: Vec<PodMetricsRow> = (0..(45 * 12))
            .flat_map(|t| cluster.tick(start + chrono::Duration::seconds(5 * t)))
            .collect();
        let fault = cluster.fault_windows()[0].clone();
        let mut pipeline = ScoringPipeline::from_settings(&settings);
        let mut tracker = IncidentTracker::new(Duration::from_secs(120), Duration::from_secs(600));
        // The latest state of every incident, by id.
        let mut incidents = std::collections::BTreeMap::new();
        for tick in ticks(&rows) {
            let (scores, evicted) = pipeline.score_rows(tick).unwrap();
            for event in tracker.observe(&scores, &evicted) {
                if event.event == Transition::Opened {
                    assert!(!incidents.contains_key(&event.incident.id));
                }
                incidents.insert(event.incident.id.clone(), event.incident);
            }
        }
        let opened: Vec<_> = incidents.into_values().collect();
        let workload = crate::features::pod_key::workload_of(&fault.pod);
        assert!(
            opened.iter().all(|i| i.pods.contains_key(&fault.pod)),
            "{kind:?}: an incident on a healthy pod: {:#?}",
            opened
                .iter()
                .filter(|i| !i.pods.contains_key(&fault.pod))
                .map(|i| (&i.id, &i.evidence))
                .collect::<Vec<_>>()
        );
        let first = opened
            .first()
            .unwrap_or_else(|| panic!("{kind:?}: no incident"));
        assert_eq!(first.kind.as_str(), kind.as_str(), "{kind:?}: {first:#?}");
        assert_eq!(first.workload.name, workload);
        assert!(
            first.opened_at >= fault.start,
            "{kind:?} opened before the fault"
        );
        assert!(
            first
                .explanation
                .steps
                .iter()
                .all(|s| s.command.contains(&format!("-n {}", fault.namespace))
                    || s.command.starts_with("kubectl describ",)),
            "{kind:?}: {:#?}",
            first.explanation.steps
        );
        assert!(
            first
                .explanation
                .steps
                .iter()
                .any(|s| s.command.contains(&fault.pod)
                    || s.command.contains(&format!("/{workload}"))),
            "{kind:?}: no step names the pod or its workload: {:#?}",
            first.explanation.steps
        );
    }
}
