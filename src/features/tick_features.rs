//! Builds the features of each tick and keeps the per-pod history they need.

use super::baseline;
use super::feature_row::FeatureRow;
use super::history::HistoryStore;
use super::peers::fill_peer_signals;
use super::pod_key::{workload_of, PodKey};
use super::signal::{own_values, SIGNAL_COUNT};
use super::trend::memory_trend;
use crate::metrics_row::{PodMetricsRow, PodPhase};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Readiness samples remembered per pod for flapping detection (2 min at a 5 s interval).
pub const READY_TRAIL: usize = 24;
/// Samples a pod must have been seen before it serves as a peer (start-up is not normal load).
pub const PEER_MIN_AGE_SAMPLES: u64 = 12;

#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("building baseline features failed: {0}")]
    Baseline(#[from] polars::error::PolarsError),
}

/// Stateful feature builder: history in, features out, one tick at a time.
#[derive(Debug)]
pub struct FeatureBuilder {
    history: HistoryStore,
    evict_after: chrono::Duration,
}

impl FeatureBuilder {
    /// `history_per_pod`: samples kept per pod; `evict_after`: silence after which a pod is
    /// forgotten (measured in data time, so offline runs behave like the daemon).
    pub fn new(history_per_pod: usize, evict_after: Duration) -> FeatureBuilder {
        FeatureBuilder {
            history: HistoryStore::new(history_per_pod, READY_TRAIL),
            evict_after: chrono::Duration::from_std(evict_after).unwrap_or(chrono::Duration::MAX),
        }
    }

    pub fn history(&self) -> &HistoryStore {
        &self.history
    }

    /// Features of one tick's rows (all with the same timestamp, one per pod), computed against
    /// the history before the tick; the rows are then added to the history.
    pub fn tick(&mut self, rows: &[PodMetricsRow]) -> Result<Vec<FeatureRow>, FeatureError> {
        let (keys, values) = self.signals(rows);

        // Refresh the baselines that are due, in one Polars group-by over those pods.
        let due: Vec<usize> = (0..rows.len())
            .filter(|&i| self.history.baseline_due(&keys[i]))
            .collect();
        if !due.is_empty() {
            let (histories, at_samples): (Vec<_>, Vec<u64>) = due
                .iter()
                .filter_map(|&i| self.history.get(&keys[i]))
                .map(|h| (&h.samples, h.samples_seen))
                .unzip();
            let fresh = baseline::compute(&histories, &at_samples)?;
            for (&i, b) in due.iter().zip(fresh) {
                self.history.set_baseline(&keys[i], b);
            }
        }
        let no_baseline = [f64::NAN; SIGNAL_COUNT];

        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let prev = self.history.get(&keys[i]);
            let restart_delta = match (prev.and_then(|h| h.last_restarts), row.restarts) {
                (Some(before), Some(now)) => Some(now.saturating_sub(before)),
                _ => None,
            };
            let fully_ready = fully_ready(row);
            let (mut flips, mut not_ready) = (0u32, 0u32);
            if let Some(h) = prev {
                let trail: Vec<bool> = h
                    .ready_trail
                    .iter()
                    .skip(h.ready_trail.len().saturating_sub(READY_TRAIL - 1))
                    .copied()
                    .chain(fully_ready)
                    .collect();
                flips = trail.windows(2).filter(|w| w[0] != w[1]).count() as u32;
                not_ready = trail.iter().filter(|r| !**r).count() as u32;
            } else if fully_ready == Some(false) {
                not_ready = 1;
            }
            let base = prev.and_then(|h| h.baseline.as_ref());
            let has_peers = values[i][super::signal::Signal::PeerCpu.index()].is_finite()
                || values[i][super::signal::Signal::PeerMemory.index()].is_finite();
            out.push(FeatureRow {
                key: keys[i].clone(),
                workload: workload_of(&row.pod).to_string(),
                node: row.node.clone(),
                timestamp: row.timestamp,
                phase: row.phase,
                reason: row.reason.clone(),
                event_reason: row.event_reason.clone(),
                event_type: row.event_type.clone(),
                event_message: row.event_message.clone(),
                values: values[i],
                baseline_median: base.map_or(no_baseline, |b| b.median),
                baseline_scale: base.map_or(no_baseline, |b| b.scale),
                baseline_mean: base.map_or(no_baseline, |b| b.mean),
                baseline_std: base.map_or(no_baseline, |b| b.std),
                baseline_count: base.map_or([0; SIGNAL_COUNT], |b| b.count),
                z: base.map_or(no_baseline, |b| b.z(&values[i])),
                age_samples: prev.map_or(0, |h| h.samples_seen),
                restarts: row.restarts,
                restart_delta,
                ready_containers: row.ready_containers,
                total_containers: row.total_containers,
                ready_ratio: ratio(row.ready_containers, row.total_containers),
                ready_flips: flips,
                not_ready_recent: not_ready,
                cpu_utilisation: utilisation(row.cpu_millicores, row.cpu_limit_millicores),
                memory_utilisation: utilisation(row.memory_bytes, row.memory_limit_bytes),
                memory_trend: prev.and_then(|h| {
                    let step = sampling_interval_secs(h)?;
                    memory_trend(&h.samples, row.memory_bytes, row.memory_limit_bytes, step)
                }),
                has_peers,
            });
        }
        self.record(rows, &keys, &values);
        Ok(out)
    }

    /// Adds one tick's rows to the history without computing features (restart warm-up).
    pub fn remember(&mut self, rows: &[PodMetricsRow]) {
        let (keys, values) = self.signals(rows);
        self.record(rows, &keys, &values);
    }

    /// Each row's pod and signals, peers included.
    fn signals(&self, rows: &[PodMetricsRow]) -> (Vec<PodKey>, Vec<[f64; SIGNAL_COUNT]>) {
        let keys: Vec<PodKey> = rows
            .iter()
            .map(|r| PodKey::new(&r.namespace, &r.pod))
            .collect();
        let groups: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r.namespace.as_str(), workload_of(&r.pod)))
            .collect();
        let mut values: Vec<[f64; SIGNAL_COUNT]> = rows.iter().map(own_values).collect();
        let eligible = self.peer_eligibility(rows, &keys);
        fill_peer_signals(&groups, &eligible, &mut values);
        (keys, values)
    }

    /// Adds the rows to their pods' histories.
    fn record(&mut self, rows: &[PodMetricsRow], keys: &[PodKey], values: &[[f64; SIGNAL_COUNT]]) {
        for (i, row) in rows.iter().enumerate() {
            self.history.push(
                &keys[i],
                &row.node,
                row.timestamp,
                &values[i],
                row.restarts,
                fully_ready(row),
            );
        }
    }

    /// Which rows may serve as peers: healthy and past their start-up.
    fn peer_eligibility(&self, rows: &[PodMetricsRow], keys: &[PodKey]) -> Vec<bool> {
        rows.iter()
            .zip(keys)
            .map(|(r, k)| {
                fully_ready(r) == Some(true)
                    && r.reason.is_none()
                    && self
                        .history
                        .get(k)
                        .is_some_and(|h| h.samples_seen >= PEER_MIN_AGE_SAMPLES)
            })
            .collect()
    }

    /// Forgets pods silent for longer than `evict_after` before `now`.
    pub fn evict(&mut self, now: DateTime<Utc>) -> Vec<PodKey> {
        self.history.evict_older_than(now - self.evict_after)
    }
}

/// Whether every container is ready; None when unknown. A pod that is not Running (Pending,
/// Succeeded) is not counted: readiness flapping is about running pods.
fn fully_ready(row: &PodMetricsRow) -> Option<bool> {
    if row.phase.is_some_and(|p| p != PodPhase::Running) {
        return None;
    }
    match (row.ready_containers, row.total_containers) {
        (Some(r), Some(t)) if t > 0 => Some(r >= t),
        _ => None,
    }
}

/// A pod's mean sampling interval so far.
fn sampling_interval_secs(h: &super::history::PodHistory) -> Option<f64> {
    let spans = h.samples_seen.checked_sub(1).filter(|n| *n > 0)?;
    let secs = (h.last_seen - h.first_seen).num_milliseconds() as f64 / 1000.0;
    Some(secs / spans as f64)
}

fn ratio(a: Option<u32>, b: Option<u32>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
        _ => None,
    }
}

fn utilisation(used: Option<f64>, limit: Option<f64>) -> Option<f64> {
    match (used, limit) {
        (Some(u), Some(l)) if l > 0.0 => Some(u / l),
        _ => None,
    }
}

/// Splits time-ordered rows into ticks: maximal runs sharing one timestamp.
pub fn ticks(rows: &[PodMetricsRow]) -> impl Iterator<Item = &[PodMetricsRow]> {
    rows.chunk_by(|a, b| a.timestamp == b.timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::signal::Signal;

    fn row(ts: &str, pod: &str, cpu: f64, restarts: u32, ready: u32) -> PodMetricsRow {
        let mut r = PodMetricsRow::empty(ts.parse().unwrap(), "shop", pod);
        r.phase = Some(PodPhase::Running);
        r.cpu_millicores = Some(cpu);
        r.cpu_limit_millicores = Some(1000.0);
        r.restarts = Some(restarts);
        r.ready_containers = Some(ready);
        r.total_containers = Some(1);
        r
    }

    #[test]
    fn sequential_signals_and_history() {
        let mut fb = FeatureBuilder::new(100, Duration::from_secs(60));
        let t = [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:05Z",
            "2026-01-01T00:00:10Z",
        ];
        let f0 = fb
            .tick(&[row(t[0], "web-5d8f7c9b4-x2k9p", 100.0, 0, 1)])
            .unwrap();
        assert_eq!(f0[0].age_samples, 0);
        assert_eq!(f0[0].restart_delta, None);
        assert!(f0[0].z(Signal::Cpu).is_nan(), "no history yet");
        fb.tick(&[row(t[1], "web-5d8f7c9b4-x2k9p", 100.0, 0, 0)])
            .unwrap();
        let f2 = fb
            .tick(&[row(t[2], "web-5d8f7c9b4-x2k9p", 500.0, 2, 1)])
            .unwrap();
        assert_eq!(f2[0].age_samples, 2);
        assert_eq!(f2[0].restart_delta, Some(2));
        assert_eq!(f2[0].ready_flips, 2);
        assert_eq!(f2[0].not_ready_recent, 1);
        assert_eq!(f2[0].cpu_utilisation, Some(0.5));
        assert_eq!(f2[0].workload, "web");
        assert!(f2[0].z(Signal::Cpu) > 10.0);
        assert!(!f2[0].has_peers);
        let gone = fb.evict("2026-01-01T00:05:00Z".parse().unwrap());
        assert_eq!(gone.len(), 1);
    }

    #[test]
    fn ticks_group_equal_timestamps() {
        let rows = vec![
            row("2026-01-01T00:00:00Z", "a-5d8f7c9b4-x2k9p", 1.0, 0, 1),
            row("2026-01-01T00:00:00Z", "a-5d8f7c9b4-bbbbb", 1.0, 0, 1),
            row("2026-01-01T00:00:05Z", "a-5d8f7c9b4-x2k9p", 1.0, 0, 1),
        ];
        let sizes: Vec<usize> = ticks(&rows).map(|t| t.len()).collect();
        assert_eq!(sizes, vec![2, 1]);
    }
}
