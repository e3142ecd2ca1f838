//! Builds the features of each tick and keeps the per-pod state they need.

use super::feature_row::FeatureRow;
use super::peers::fill_peer_signals;
use super::pod_key::{workload_of, PodKey};
use super::pod_streams::{PodStream, PodStreams};
use super::signal::{own_values, Signal, SIGNALS, SIGNAL_COUNT};
use crate::metrics_row::{PodMetricsRow, PodPhase};
use crate::signal::{Observation, SignalSettings};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long a pod must have been seen before it serves as a peer (start-up is not normal
/// load).
pub const PEER_MIN_AGE_SECONDS: f64 = 60.0;

#[derive(Debug, thiserror::Error)]
pub enum FeatureError {
    #[error("building peer features failed: {0}")]
    Peers(#[from] polars::error::PolarsError),
}

/// Stateful feature builder: rows in, features out, one tick at a time.
#[derive(Debug)]
pub struct FeatureBuilder {
    streams: PodStreams,
    evict_after: chrono::Duration,
}

impl FeatureBuilder {
    /// `signal`: the per-signal detector's settings; `evict_after`: silence after which a pod
    /// is forgotten (measured in data time, so offline runs behave like the daemon).
    pub fn new(signal: SignalSettings, evict_after: Duration) -> FeatureBuilder {
        FeatureBuilder {
            streams: PodStreams::new(signal),
            evict_after: chrono::Duration::from_std(evict_after).unwrap_or(chrono::Duration::MAX),
        }
    }

    /// Pods currently remembered.
    pub fn pods(&self) -> usize {
        self.streams.len()
    }

    pub fn streams(&self) -> &PodStreams {
        &self.streams
    }

    /// Features of one tick's rows (all with the same timestamp, one per pod), each signal
    /// judged against the pod's state before the tick; the rows then update that state.
    pub fn tick(&mut self, rows: &[PodMetricsRow]) -> Result<Vec<FeatureRow>, FeatureError> {
        let keys: Vec<PodKey> = rows
            .iter()
            .map(|r| PodKey::new(&r.namespace, &r.pod))
            .collect();
        let values = self.signals(rows, &keys)?;
        let settings = *self.streams.settings();
        let mut out = Vec::with_capacity(rows.len());
        for ((row, key), values) in rows.iter().zip(&keys).zip(values) {
            let now = row.timestamp;
            let seconds = now.timestamp_millis() as f64 / 1000.0;
            let stream = self.streams.entry(key, &row.node, now);
            let observed_for = stream.observed_for(now);
            let measured = is_measured(row);
            let restart_delta = match (stream.last_restarts, row.restarts) {
                (Some(before), Some(now)) => Some(now.saturating_sub(before)),
                _ => None,
            };
            // A row with nothing measured is a gap: the pod's state is left as it was. A row
            // whose metrics a reported state explains is not judged by the signals either.
            let tick = stream.cadence.tick(seconds, settings.reference_step);
            let explained_by_state = state_moves_metrics(row, restart_delta);
            let mut readings = [None; SIGNAL_COUNT];
            if measured && !explained_by_state {
                for s in SIGNALS {
                    let v = values[s.index()];
                    if v.is_finite() {
                        let obs = Observation { seconds, value: v };
                        readings[s.index()] =
                            stream.signals[s.index()].observe(obs, &tick, &settings);
                    }
                }
                if let Some(bytes) = row.memory_bytes {
                    stream.memory_trend.observe(seconds, bytes, &tick);
                }
            }
            let memory_trend = stream
                .memory_trend
                .trend(row.memory_bytes, row.memory_limit_bytes);
            remember(stream, row);
            let has_peers = values[Signal::PeerCpu.index()].is_finite()
                || values[Signal::PeerMemory.index()].is_finite();
            out.push(FeatureRow {
                key: key.clone(),
                workload: workload_of(&row.pod).to_string(),
                node: row.node.clone(),
                timestamp: now,
                phase: row.phase,
                reason: row.reason.clone(),
                event_reason: row.event_reason.clone(),
                event_type: row.event_type.clone(),
                event_message: row.event_message.clone(),
                values,
                readings,
                tick,
                sampling_step: stream.cadence.step(),
                observed_for,
                restarts: row.restarts,
                restart_delta,
                ready_containers: row.ready_containers,
                total_containers: row.total_containers,
                ready_ratio: ratio(row.ready_containers, row.total_containers),
                cpu_utilisation: utilisation(row.cpu_millicores, row.cpu_limit_millicores),
                memory_utilisation: utilisation(row.memory_bytes, row.memory_limit_bytes),
                memory_trend,
                has_peers,
                explained_by_state,
                measured,
            });
        }
        Ok(out)
    }

    /// Each row's signals, peers included.
    fn signals(
        &self,
        rows: &[PodMetricsRow],
        keys: &[PodKey],
    ) -> Result<Vec<[f64; SIGNAL_COUNT]>, FeatureError> {
        let mut values: Vec<[f64; SIGNAL_COUNT]> = rows.iter().map(own_values).collect();
        // A lone row (one pod, or a NAB series) has no replicas: no frame to build.
        if rows.len() > 1 {
            let groups: Vec<(&str, &str)> = rows
                .iter()
                .map(|r| (r.namespace.as_str(), workload_of(&r.pod)))
                .collect();
            let eligible = self.peer_eligibility(rows, keys);
            fill_peer_signals(&groups, &eligible, &mut values)?;
        }
        Ok(values)
    }

    /// Which rows may serve as peers: healthy and past their start-up.
    fn peer_eligibility(&self, rows: &[PodMetricsRow], keys: &[PodKey]) -> Vec<bool> {
        rows.iter()
            .zip(keys)
            .map(|(r, k)| {
                fully_ready(r) == Some(true)
                    && r.reason.is_none()
                    && self
                        .streams
                        .get(k)
                        .is_some_and(|s| s.observed_for(r.timestamp) >= PEER_MIN_AGE_SECONDS)
            })
            .collect()
    }

    /// Forgets pods silent for longer than `evict_after` before `now`.
    pub fn evict(&mut self, now: DateTime<Utc>) -> Vec<PodKey> {
        self.streams.evict_older_than(now - self.evict_after)
    }
}

/// Records what the next tick needs of this row.
fn remember(stream: &mut PodStream, row: &PodMetricsRow) {
    if !row.node.is_empty() && stream.node != row.node {
        stream.node = row.node.clone();
    }
    stream.last_seen = stream.last_seen.max(row.timestamp);
    if row.restarts.is_some() {
        stream.last_restarts = row.restarts;
    }
}

/// Whether the pod is in a state that moves its metrics by itself: it restarted, is not
/// running, not fully ready, a container waits or terminated with a reason, or a probe just
/// failed (`Unhealthy`: a hung process the kubelet is about to restart) or the kubelet is
/// killing or backing off a container.
fn state_moves_metrics(row: &PodMetricsRow, restart_delta: Option<u32>) -> bool {
    restart_delta.is_some_and(|d| d > 0)
        || matches!(
            row.event_reason.as_deref(),
            Some("Unhealthy" | "Killing" | "BackOff")
        )
        || row.phase.is_some_and(|p| p != PodPhase::Running)
        || row.reason.is_some()
        || matches!((row.ready_containers, row.total_containers), (Some(r), Some(t)) if r < t)
}

/// Whether the row observed anything of the pod.
fn is_measured(row: &PodMetricsRow) -> bool {
    row.phase.is_some()
        || row.reason.is_some()
        || row.ready_containers.is_some()
        || row.total_containers.is_some()
        || row.restarts.is_some()
        || SIGNALS[..7].iter().any(|s| s.raw(row).is_some())
}

/// Whether every container is ready; None when unknown. A pod that is not Running (Pending,
/// Succeeded) is not counted: readiness is about running pods.
pub fn fully_ready(row: &PodMetricsRow) -> Option<bool> {
    if row.phase.is_some_and(|p| p != PodPhase::Running) {
        return None;
    }
    match (row.ready_containers, row.total_containers) {
        (Some(r), Some(t)) if t > 0 => Some(r >= t),
        _ => None,
    }
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

    fn at(seconds: i64) -> String {
        (chrono::DateTime::from_timestamp(1_767_225_600 + seconds, 0).unwrap()).to_rfc3339()
    }

    #[test]
    fn sequential_signals_and_judgements() {
        let settings = SignalSettings::default();
        let mut fb = FeatureBuilder::new(settings, Duration::from_secs(60));
        let pod = "web-5d8f7c9b4-x2k9p";
        let f0 = fb.tick(&[row(&at(0), pod, 100.0, 0, 1)]).unwrap();
        assert_eq!(f0[0].observed_for, 0.0);
        assert_eq!(f0[0].restart_delta, None);
        assert!(f0[0].z(Signal::Cpu).is_nan(), "nothing known yet");
        // Ten minutes of a wobbling 100 m, then 500 m with two restarts.
        let mut last = Vec::new();
        for i in 1..=120 {
            let cpu = 100.0 * (1.0 + 0.05 * ((i as f64) * 0.7).sin());
            last = fb.tick(&[row(&at(5 * i), pod, cpu, 0, 1)]).unwrap();
        }
        assert!(
            last[0].z(Signal::Cpu).abs() < 4.0,
            "{:?}",
            last[0].readings[0]
        );
        let f = fb.tick(&[row(&at(605), pod, 500.0, 0, 1)]).unwrap();
        assert_eq!(f[0].cpu_utilisation, Some(0.5));
        assert_eq!(f[0].workload, "web");
        assert!(f[0].z(Signal::Cpu) > 10.0, "{:?}", f[0].readings[0]);
        assert!((f[0].observed_for - 605.0).abs() < 1e-9);
        assert!(!f[0].has_peers);
        // Two restarts: the state explains the metrics, the signals do not judge them.
        let f = fb.tick(&[row(&at(610), pod, 20.0, 2, 1)]).unwrap();
        assert_eq!(f[0].restart_delta, Some(2));
        assert!(f[0].explained_by_state && f[0].readings.iter().all(Option::is_none));
        let gone = fb.evict("2026-01-01T00:20:00Z".parse().unwrap());
        assert_eq!(gone.len(), 1);
    }

    #[test]
    fn an_empty_row_is_a_gap_not_a_sample() {
        let mut fb = FeatureBuilder::new(SignalSettings::default(), Duration::from_secs(600));
        let pod = "web-5d8f7c9b4-x2k9p";
        for i in 0..150 {
            fb.tick(&[row(&at(5 * i), pod, 100.0 + (i % 7) as f64, 0, 1)])
                .unwrap();
        }
        let before = fb.streams().get(&PodKey::new("shop", pod)).unwrap().signals[0].clone();
        let empty = PodMetricsRow::empty(at(750).parse().unwrap(), "shop", pod);
        let f = fb.tick(&[empty]).unwrap();
        assert!(!f[0].measured);
        assert!(f[0].readings.iter().all(Option::is_none));
        let after = &fb.streams().get(&PodKey::new("shop", pod)).unwrap().signals[0];
        // Compared as text: unlearned profile bins are NaN, which is never equal to itself.
        assert_eq!(
            format!("{before:?}"),
            format!("{after:?}"),
            "nothing learned from a gap"
        );
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
