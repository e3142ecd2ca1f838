//! The pure evaluation: scores and fault windows in, [`EvalReport`] out.

use super::episodes::{alert_episodes, median, rows_by_pod, sampling_intervals_s, seconds, PodKey};
use super::report::{EvalReport, FaultOutcome, KindReport};
use super::score_file::ScoreRow;
use super::EvalOptions;
use crate::fault_label::{FaultKind, FaultWindow};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;

/// Scores detections against labelled faults.
///
/// Definitions (all per pod, i.e. per (namespace, pod); a fault's *window* is
/// `[start, end + grace]`, inclusive):
/// - An *alert episode* is a maximal run of consecutive rows (in time order) with
///   `is_anomaly`, spanning its first to its last alerting row. It is *true* if that span
///   overlaps the window of some fault of the same pod, else *false*.
/// - A fault is *caught* if some alerting row of its pod lies in its window. Its detection
///   delay is the first such row's time minus `start`, or 0 if that row's episode began before
///   `start` (the pod was already alerting). A fault whose pod has no rows is missed.
/// - recall = caught / faults (1.0 with no faults); precision = true / episodes (with no
///   episodes: 1.0 if there are no faults, else 0.0); F1 their harmonic mean (0.0 if both 0).
/// - pod-hours = Σ over pods of (last − first timestamp) + the pod's median sampling interval;
///   a single-row pod uses the median interval over all pods (0 if no pod has two rows).
///   False alarms per pod-hour = false episodes / pod-hours.
pub fn evaluate(scores: &[ScoreRow], labels: &[FaultWindow], opts: &EvalOptions) -> EvalReport {
    // Only a grace beyond ~292 million years fails to convert; treat it as unbounded.
    let grace = TimeDelta::from_std(opts.grace).unwrap_or(TimeDelta::MAX);
    let window_end = |f: &FaultWindow| {
        f.end
            .checked_add_signed(grace)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };

    let by_pod = rows_by_pod(scores);
    let mut faults_by_pod: BTreeMap<PodKey<'_>, Vec<&FaultWindow>> = BTreeMap::new();
    for f in labels {
        faults_by_pod
            .entry((f.namespace.as_str(), f.pod.as_str()))
            .or_default()
            .push(f);
    }

    let (mut episodes, mut true_episodes) = (0, 0);
    for (key, rows) in &by_pod {
        let faults = faults_by_pod.get(key).map_or(&[][..], Vec::as_slice);
        for ep in alert_episodes(rows) {
            episodes += 1;
            if faults
                .iter()
                .any(|f| ep.start <= window_end(f) && ep.end >= f.start)
            {
                true_episodes += 1;
            }
        }
    }
    let false_episodes = episodes - true_episodes;

    let pod_hours = pod_hours(&by_pod);

    let outcomes: Vec<FaultOutcome> = labels
        .iter()
        .map(|f| {
            let rows = by_pod.get(&(f.namespace.as_str(), f.pod.as_str()));
            FaultOutcome {
                fault: f.clone(),
                pod_in_scores: rows.is_some(),
                delay_s: rows.and_then(|rows| detection_delay_s(rows, f, window_end(f))),
            }
        })
        .collect();

    let faults = outcomes.len();
    let mut delays: Vec<f64> = outcomes.iter().filter_map(|o| o.delay_s).collect();
    let caught = delays.len();
    let recall = ratio_or(caught, faults, 1.0);
    let precision = ratio_or(true_episodes, episodes, if faults == 0 { 1.0 } else { 0.0 });

    let mut per_kind: BTreeMap<FaultKind, (usize, Vec<f64>)> = BTreeMap::new();
    for o in &outcomes {
        let (n, kind_delays) = per_kind.entry(o.fault.kind).or_default();
        *n += 1;
        kind_delays.extend(o.delay_s);
    }
    let by_kind = per_kind
        .into_iter()
        .map(|(kind, (n, mut kind_delays))| KindReport {
            kind,
            faults: n,
            caught: kind_delays.len(),
            recall: ratio_or(kind_delays.len(), n, 1.0),
            median_delay_s: median(&mut kind_delays),
        })
        .collect();

    EvalReport {
        grace_s: opts.grace.as_secs_f64(),
        faults,
        caught,
        recall,
        episodes,
        true_episodes,
        false_episodes,
        precision,
        f1: if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        },
        median_delay_s: median(&mut delays),
        pods: by_pod.len(),
        pod_hours,
        false_alarms_per_pod_hour: (pod_hours > 0.0).then(|| false_episodes as f64 / pod_hours),
        by_kind,
        outcomes,
    }
}

fn ratio_or(num: usize, den: usize, if_empty: f64) -> f64 {
    if den == 0 {
        if_empty
    } else {
        num as f64 / den as f64
    }
}

/// Delay in seconds from `f.start` to the first alerting row in `[f.start, window_end]` of the
/// pod's time-sorted `rows`; `None` if there is no such row.
fn detection_delay_s(
    rows: &[&ScoreRow],
    f: &FaultWindow,
    window_end: DateTime<Utc>,
) -> Option<f64> {
    let mut run_start: Option<DateTime<Utc>> = None;
    for r in rows {
        if r.timestamp > window_end {
            break;
        }
        if !r.is_anomaly {
            run_start = None;
            continue;
        }
        let began = *run_start.get_or_insert(r.timestamp);
        if r.timestamp >= f.start {
            return Some(if began < f.start {
                0.0
            } else {
                seconds(r.timestamp - f.start)
            });
        }
    }
    None
}

/// Observed pod-hours; see [`evaluate`] for the definition.
fn pod_hours(by_pod: &BTreeMap<PodKey<'_>, Vec<&ScoreRow>>) -> f64 {
    let mut pooled: Vec<f64> = by_pod
        .values()
        .flat_map(|rows| sampling_intervals_s(rows))
        .collect();
    let fallback_s = median(&mut pooled).unwrap_or(0.0);
    let total_s: f64 = by_pod
        .values()
        .map(|rows| {
            let (first, last) = (rows[0].timestamp, rows[rows.len() - 1].timestamp);
            let interval_s = median(&mut sampling_intervals_s(rows)).unwrap_or(fallback_s);
            seconds(last - first) + interval_s
        })
        .sum();
    total_s / 3600.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(T0 + 60 * min, 0).unwrap()
    }

    /// Rows of one pod at minutes `0, step, 2·step, …, (n-1)·step`, alerting at the given minutes.
    fn pod(name: &str, n: i64, step: i64, alert_min: &[i64]) -> Vec<ScoreRow> {
        (0..n)
            .map(|i| ScoreRow {
                timestamp: t(i * step),
                namespace: "shop".into(),
                pod: name.into(),
                anomaly_probability: 0.5,
                is_anomaly: alert_min.contains(&(i * step)),
                anomaly_type: None,
            })
            .collect()
    }

    fn fault(name: &str, kind: FaultKind, start_min: i64, end_min: i64) -> FaultWindow {
        FaultWindow {
            namespace: "shop".into(),
            pod: name.into(),
            kind,
            start: t(start_min),
            end: t(end_min),
        }
    }

    fn eval_min(scores: &[ScoreRow], labels: &[FaultWindow], grace_min: u64) -> EvalReport {
        let opts = EvalOptions {
            grace: Duration::from_secs(60 * grace_min),
        };
        evaluate(scores, labels, &opts)
    }

    /// One pod sampled every minute for 21 minutes, one memory leak over minutes 5..=10.
    fn one_fault(alert_min: &[i64], grace_min: u64) -> EvalReport {
        eval_min(
            &pod("a", 21, 1, alert_min),
            &[fault("a", FaultKind::MemoryLeak, 5, 10)],
            grace_min,
        )
    }

    #[test]
    fn caught_at_the_first_row_has_zero_delay() {
        let r = one_fault(&[5, 6, 7], 5);
        assert_eq!((r.caught, r.episodes, r.true_episodes), (1, 1, 1));
        assert_eq!(r.outcomes[0].delay_s, Some(0.0));
    }

    #[test]
    fn caught_late_measures_the_delay() {
        let r = one_fault(&[8, 9], 5);
        assert_eq!(r.caught, 1);
        assert_eq!(r.median_delay_s, Some(180.0));
    }

    #[test]
    fn already_alerting_at_the_start_has_zero_delay() {
        // Sampled every 2 minutes, so the first alert inside [5, 15] is at minute 6; but its run
        // began at minute 4, before the fault: the pod was already alerting, so delay 0, not 60 s.
        let labels = [fault("a", FaultKind::MemoryLeak, 5, 10)];
        let r = eval_min(&pod("a", 11, 2, &[4, 6]), &labels, 5);
        assert_eq!(r.outcomes[0].delay_s, Some(0.0));
        assert_eq!((r.episodes, r.true_episodes), (1, 1));
        // The same first alert without the earlier one is a 60 s delay.
        let r = eval_min(&pod("a", 11, 2, &[6]), &labels, 5);
        assert_eq!(r.outcomes[0].delay_s, Some(60.0));
    }

    #[test]
    fn an_alert_inside_the_grace_counts_and_outside_it_does_not() {
        // Minute 13 is 3 minutes after the end: inside a 5-minute grace, outside a 2-minute one.
        let r = one_fault(&[13], 5);
        assert_eq!((r.caught, r.true_episodes), (1, 1));
        assert_eq!(r.median_delay_s, Some(480.0));
        let r = one_fault(&[13], 2);
        assert_eq!((r.caught, r.true_episodes, r.false_episodes), (0, 0, 1));
        assert_eq!(r.median_delay_s, None);
    }

    #[test]
    fn a_missed_fault_and_a_far_false_episode() {
        // Minute 16 is past end + grace (15): the fault is missed and the episode false.
        let r = one_fault(&[16], 5);
        assert_eq!((r.faults, r.caught, r.recall), (1, 0, 0.0));
        assert_eq!((r.episodes, r.false_episodes, r.precision), (1, 1, 0.0));
        assert_eq!(r.f1, 0.0);
        assert!(r.outcomes[0].pod_in_scores);
    }

    #[test]
    fn two_episodes_in_one_fault_are_both_true_and_the_fault_counts_once() {
        let r = one_fault(&[5, 6, 8, 9], 5);
        assert_eq!((r.episodes, r.true_episodes), (2, 2));
        assert_eq!((r.faults, r.caught), (1, 1));
        assert_eq!(r.median_delay_s, Some(0.0));
    }

    #[test]
    fn an_episode_on_another_pod_during_a_fault_is_false() {
        let mut scores = pod("a", 21, 1, &[]);
        scores.extend(pod("b", 21, 1, &[5, 6, 7]));
        let r = eval_min(&scores, &[fault("a", FaultKind::CrashLoop, 5, 10)], 5);
        assert_eq!((r.caught, r.episodes, r.false_episodes), (0, 1, 1));
        assert_eq!((r.recall, r.precision, r.f1), (0.0, 0.0, 0.0));
    }

    /// Pod `a` every minute over 0..=60; pod `b` every 2 minutes over 0..=58; pod `c` only in
    /// the labels.
    fn small_case() -> EvalReport {
        let mut scores = pod("a", 61, 1, &[12, 13, 30, 50]);
        scores.extend(pod("b", 30, 2, &[2]));
        let labels = [
            fault("a", FaultKind::MemoryLeak, 10, 20), // caught at 12: 120 s
            fault("a", FaultKind::CrashLoop, 40, 45),  // caught at 50 (end of grace): 600 s
            fault("b", FaultKind::MemoryLeak, 20, 30), // missed
            fault("c", FaultKind::TrafficDrop, 0, 5),  // pod never scored: missed
        ];
        eval_min(&scores, &labels, 5)
    }

    #[test]
    fn small_case_by_hand() {
        let r = small_case();
        // Faults 4, caught 2. Episodes: a{12-13, 30, 50} + b{2} = 4, of which 12-13 and 50 true.
        assert_eq!((r.faults, r.caught, r.recall), (4, 2, 0.5));
        assert_eq!((r.episodes, r.true_episodes, r.false_episodes), (4, 2, 2));
        assert_eq!((r.precision, r.f1), (0.5, 0.5));
        assert_eq!(r.median_delay_s, Some(360.0)); // median of 120 and 600
                                                   // a: 60 min + 1 min interval; b: 58 min + 2 min interval => 121 min.
        assert_eq!(r.pods, 2);
        assert!((r.pod_hours - 121.0 / 60.0).abs() < 1e-12);
        assert!((r.false_alarms_per_pod_hour.unwrap() - 120.0 / 121.0).abs() < 1e-12);
    }

    #[test]
    fn per_kind_recall_and_the_unseen_pod() {
        let r = small_case();
        let kinds: Vec<_> = r
            .by_kind
            .iter()
            .map(|k| (k.kind, k.faults, k.caught, k.recall, k.median_delay_s))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (FaultKind::MemoryLeak, 2, 1, 0.5, Some(120.0)),
                (FaultKind::CrashLoop, 1, 1, 1.0, Some(600.0)),
                (FaultKind::TrafficDrop, 1, 0, 0.0, None),
            ]
        );
        let unseen: Vec<_> = r.unseen_faults().map(|f| f.pod.as_str()).collect();
        assert_eq!(unseen, vec!["c"]);
        assert_eq!(r.outcomes[3].delay_s, None);
    }

    #[test]
    fn small_case_as_a_table_and_as_json() {
        let r = small_case();
        assert_eq!(
            r.to_string(),
            "faults 4  caught 2  recall 0.500\n\
             alert episodes 4  true 2  precision 0.500  F1 0.500\n\
             median detection delay 6m0s   false alarms 0.992 per pod-hour (2 over 2.0 pod-hours)\n\
             kind                faults caught recall  median_delay\n\
             memory_leak              2      1  0.500          2m0s\n\
             crash_loop               1      1  1.000         10m0s\n\
             traffic_drop             1      0  0.000             -\n\
             not in scores (missed): shop/c traffic_drop 2026-01-01T00:00:00+00:00 .. 2026-01-01T00:05:00+00:00\n"
        );
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["recall"], 0.5);
        assert_eq!(json["median_delay_s"], 360.0);
        assert_eq!(json["by_kind"][2]["kind"], "traffic_drop");
        assert_eq!(
            json["by_kind"][2]["median_delay_s"],
            serde_json::Value::Null
        );
        assert_eq!(json["outcomes"][3]["pod_in_scores"], false);
    }

    #[test]
    fn empty_conventions() {
        let r = eval_min(&[], &[], 5);
        assert_eq!((r.recall, r.precision, r.f1), (1.0, 1.0, 1.0));
        assert_eq!(r.false_alarms_per_pod_hour, None);
        // Faults but no alerts at all: nothing found, so precision 0 rather than a vacuous 1.
        let r = one_fault(&[], 5);
        assert_eq!((r.episodes, r.recall, r.precision), (0, 0.0, 0.0));
        assert_eq!(r.false_alarms_per_pod_hour, Some(0.0));
    }

    #[test]
    fn a_single_row_pod_counts_the_pooled_median_interval() {
        // a: 20 min + 1 min; d: one row, so the median over all intervals (1 min) => 22 min.
        let mut scores = pod("a", 21, 1, &[]);
        scores.extend(pod("d", 1, 1, &[0]));
        let r = eval_min(&scores, &[], 5);
        assert!((r.pod_hours - 22.0 / 60.0).abs() < 1e-12);
        assert!((r.false_alarms_per_pod_hour.unwrap() - 60.0 / 22.0).abs() < 1e-12);
    }
}
