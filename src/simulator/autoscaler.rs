//! Benign HorizontalPodAutoscaler episodes: a Deployment's demand rises smoothly (a
//! [`LoadSwell`] of its total load), the autoscaler adds replicas (e.g. 3 -> 5) once its
//! replicas run hot, the demand falls back, and after the scale-down stabilisation window
//! (5 min, the HPA default) the added replicas are removed again.
//!
//! The workload's total load is shared by the replicas that serve it, so per-pod CPU and
//! network rise with the demand, fall when the new replicas become Ready, sink further while
//! the demand recedes, and rise back to normal when the extra replicas go. New pods start
//! Pending and become Ready as any new pod does; removed ones (the newest, as the ReplicaSet
//! controller picks them) get `Killing` and disappear.
//!
//! Benign: this is the autoscaler doing its job. All times are drawn when the episode is
//! planned, from its own random stream.

use super::load::LoadSwell;
use super::node::Nodes;
use super::pod::{insert_grouped, millis, ImagePull, SimPod};
use super::workload::Workload;
use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The HPA's default scale-down stabilisation window.
const SCALE_DOWN_STABILISATION: TimeDelta = TimeDelta::seconds(300);

/// Most replicas an episode adds.
const MAX_ADDED: usize = 3;

/// After the scale-in, per-pod load steps back up to normal: the workload stays reserved (no
/// fault, no other event) this long, the scale-in's window in the benign log.
pub(crate) const SCALE_IN_SETTLE: TimeDelta = TimeDelta::minutes(2);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Rising,
    ScaledOut,
    ScaledIn,
}

/// What a step of an episode did.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ScaleStep {
    /// New replicas were created (their names).
    ScaledOut(Vec<String>),
    /// The extra replicas were removed (their names).
    ScaledIn(Vec<String>),
    /// The load has settled back: the episode is over.
    Over,
}

/// One scale-out and the scale-in that follows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScaleEpisode {
    pub workload: usize,
    /// The demand: the cluster adds it to its load swells.
    pub demand: LoadSwell,
    pub scale_out_at: DateTime<Utc>,
    pub scale_in_at: DateTime<Utc>,
    /// Index of the scale-out's entry in the cluster's benign event log.
    pub log_index: usize,
    added: usize,
    added_pods: Vec<String>,
    stage: Stage,
    rng: ChaCha8Rng,
}

impl ScaleEpisode {
    /// Plans an episode of `workload` whose demand starts rising at `at`.
    pub fn plan(
        workload_index: usize,
        workload: &Workload,
        at: DateTime<Utc>,
        log_index: usize,
        rng: &mut ChaCha8Rng,
    ) -> ScaleEpisode {
        let mut rng = ChaCha8Rng::seed_from_u64(rng.random());
        let minutes: f64 = rng.random_range(20.0..35.0);
        let demand = LoadSwell {
            workload: workload_index,
            start: at,
            end: at + millis((minutes * 60_000.0) as i64),
            peak: rng.random_range(1.5..1.8),
        };
        // Half-way up the ramp the replicas run over the HPA's target; it reacts within a sync
        // period or two.
        let ramp_ms = (minutes * 60_000.0 * LoadSwell::RAMP_SHARE) as i64;
        let scale_out_at = at + millis(ramp_ms / 2 + rng.random_range(15_000..45_000));
        let scale_in_at =
            demand.end + SCALE_DOWN_STABILISATION + millis(rng.random_range(0..60_000));
        let replicas = workload.replicas;
        let desired = (replicas as f64 * demand.peak).round() as usize;
        let added = desired.saturating_sub(replicas).clamp(1, MAX_ADDED);
        ScaleEpisode {
            workload: workload_index,
            demand,
            scale_out_at,
            scale_in_at,
            log_index,
            added,
            added_pods: Vec::new(),
            stage: Stage::Rising,
            rng,
        }
    }

    /// When its next step is due.
    pub fn next_at(&self) -> DateTime<Utc> {
        match self.stage {
            Stage::Rising => self.scale_out_at,
            Stage::ScaledOut => self.scale_in_at,
            Stage::ScaledIn => self.scale_in_at + SCALE_IN_SETTLE,
        }
    }

    /// Takes the step due at `at`.
    pub fn step(
        &mut self,
        at: DateTime<Utc>,
        pods: &mut Vec<SimPod>,
        workload: &Workload,
        nodes: &Nodes,
    ) -> ScaleStep {
        match self.stage {
            Stage::Rising => {
                for _ in 0..self.added {
                    let name = workload.new_pod_name(&mut self.rng);
                    let node = nodes.pick(at, &mut self.rng);
                    let pod = SimPod::spawn(
                        name.clone(),
                        self.workload,
                        workload,
                        node,
                        at,
                        ImagePull::Present,
                        None,
                        &mut self.rng,
                    );
                    insert_grouped(pods, pod);
                    self.added_pods.push(name);
                }
                self.stage = Stage::ScaledOut;
                ScaleStep::ScaledOut(self.added_pods.clone())
            }
            Stage::ScaledOut => {
                for pod in pods
                    .iter_mut()
                    .filter(|p| p.alive_at(at) && self.added_pods.contains(&p.name))
                {
                    pod.delete(at);
                }
                self.stage = Stage::ScaledIn;
                ScaleStep::ScaledIn(self.added_pods.clone())
            }
            Stage::ScaledIn => ScaleStep::Over,
        }
    }
}
