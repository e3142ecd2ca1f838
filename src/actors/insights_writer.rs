//! InsightsWriter: keeps the latest verdict per pod and rewrites `pod_insights.json` atomically
//! after each scoring pass.

use super::Shutdown;
use crate::detector::PodScore;
use crate::features::PodKey;
use crate::insights::{InsightsTable, PodIncident};
use actix::prelude::*;
use std::collections::HashMap;
use std::path::PathBuf;

/// New scores, and pods that are gone; from the analysis, also the pods in open incidents.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct PublishScores {
    pub scores: Vec<PodScore>,
    pub evicted: Vec<PodKey>,
    /// `None`: no analysis ran (the table keeps what it had).
    pub incidents: Option<HashMap<PodKey, PodIncident>>,
}

pub struct InsightsWriter {
    path: PathBuf,
    table: InsightsTable,
    failing: bool,
}

impl InsightsWriter {
    pub fn new(path: PathBuf, max_pods: usize) -> InsightsWriter {
        InsightsWriter {
            path,
            table: InsightsTable::new(max_pods),
            failing: false,
        }
    }

    fn write(&mut self) {
        match self.table.write(&self.path) {
            Ok(()) if self.failing => {
                tracing::info!(path = %self.path.display(), "writing insights works again");
                self.failing = false;
            }
            Ok(()) => {}
            Err(e) if !self.failing => {
                tracing::error!(path = %self.path.display(), error = %e, "cannot write insights");
                self.failing = true;
            }
            Err(_) => {}
        }
    }
}

impl Actor for InsightsWriter {
    type Context = Context<Self>;
}

impl Supervised for InsightsWriter {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        tracing::warn!("insights writer restarted by its supervisor");
    }
}

impl Handler<PublishScores> for InsightsWriter {
    type Result = ();

    fn handle(&mut self, msg: PublishScores, _ctx: &mut Context<Self>) {
        let _span = tracing::debug_span!("publish_scores", scores = msg.scores.len()).entered();
        // Log transitions only: a pod that stays anomalous is not re-announced every pass.
        let mut state: std::collections::HashMap<PodKey, bool> = std::collections::HashMap::new();
        for s in &msg.scores {
            let key = PodKey::new(&s.namespace, &s.pod);
            let was = *state
                .entry(key.clone())
                .or_insert_with(|| self.table.get(&key).is_some_and(|old| old.is_anomaly));
            state.insert(key, s.is_anomaly);
            if s.is_anomaly && !was {
                tracing::warn!(
                    namespace = %s.namespace,
                    pod = %s.pod,
                    probability = s.anomaly_probability,
                    kind = s.anomaly_type.map(|k| k.as_str()).unwrap_or(""),
                    severity = ?s.severity,
                    "anomaly"
                );
            } else if !s.is_anomaly && was {
                tracing::info!(namespace = %s.namespace, pod = %s.pod, "pod back to normal");
            }
        }
        self.table.forget(&msg.evicted);
        self.table.update(msg.scores);
        if let Some(incidents) = msg.incidents {
            self.table.set_incidents(incidents);
        }
        self.write();
    }
}

impl Handler<Shutdown> for InsightsWriter {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        self.write();
        tracing::info!(pods = self.table.len(), "insights writer done");
    }
}
