//! Per-pod views of the scores: rows in time order, alert episodes, observed pod-hours.

use super::score_file::ScoreRow;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A pod's identity: (namespace, pod).
pub type PodKey<'a> = (&'a str, &'a str);

/// A maximal run of consecutive rows of one pod with `is_anomaly == true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Episode {
    /// Time of its first alerting row.
    pub start: DateTime<Utc>,
    /// Time of its last alerting row.
    pub end: DateTime<Utc>,
}

/// Groups rows by pod, each pod's rows sorted by time (stable, so ties keep file order).
pub fn rows_by_pod(scores: &[ScoreRow]) -> BTreeMap<PodKey<'_>, Vec<&ScoreRow>> {
    let mut by_pod: BTreeMap<PodKey<'_>, Vec<&ScoreRow>> = BTreeMap::new();
    for r in scores {
        by_pod
            .entry((r.namespace.as_str(), r.pod.as_str()))
            .or_default()
            .push(r);
    }
    for rows in by_pod.values_mut() {
        rows.sort_by_key(|r| r.timestamp);
    }
    by_pod
}

/// The alert episodes of one pod's time-sorted rows.
pub fn alert_episodes(rows: &[&ScoreRow]) -> Vec<Episode> {
    let mut episodes = Vec::new();
    let mut current: Option<Episode> = None;
    for r in rows {
        match (r.is_anomaly, current.as_mut()) {
            (true, Some(ep)) => ep.end = r.timestamp,
            (true, None) => {
                current = Some(Episode {
                    start: r.timestamp,
                    end: r.timestamp,
                })
            }
            (false, _) => episodes.extend(current.take()),
        }
    }
    episodes.extend(current);
    episodes
}

/// Gaps between consecutive rows of one pod, in seconds.
pub fn sampling_intervals_s(rows: &[&ScoreRow]) -> Vec<f64> {
    rows.windows(2)
        .map(|w| seconds(w[1].timestamp - w[0].timestamp))
        .collect()
}

/// Median of `values` (mean of the middle two for an even count); `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// A time difference in (fractional) seconds.
pub fn seconds(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64, alert: bool, pod: &str) -> ScoreRow {
        ScoreRow {
            timestamp: DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap(),
            namespace: "ns".into(),
            pod: pod.into(),
            anomaly_probability: if alert { 0.9 } else { 0.1 },
            is_anomaly: alert,
            anomaly_type: None,
        }
    }

    #[test]
    fn episodes_are_maximal_runs_in_time_order_per_pod() {
        // Deliberately shuffled: episodes must follow time, not file order.
        let scores = vec![
            at(60, true, "a"),
            at(0, false, "a"),
            at(30, true, "a"),
            at(90, false, "a"),
            at(120, true, "a"),
            at(0, true, "b"),
        ];
        let by_pod = rows_by_pod(&scores);
        let a = alert_episodes(&by_pod[&("ns", "a")]);
        let t = |s: i64| DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap();
        assert_eq!(
            a,
            vec![
                Episode {
                    start: t(30),
                    end: t(60)
                },
                Episode {
                    start: t(120),
                    end: t(120)
                },
            ]
        );
        assert_eq!(alert_episodes(&by_pod[&("ns", "b")]).len(), 1);
        assert_eq!(sampling_intervals_s(&by_pod[&("ns", "a")]), vec![30.0; 4]);
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }
}
