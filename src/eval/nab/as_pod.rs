//! A NAB series as one signal of one pod: how `detect --format nab` runs a benchmark series
//! through the daemon's own scoring pipeline, and how the pipeline's verdicts become NAB's
//! per-row detections.
//!
//! - **In**: each row becomes a canonical row of a pod that has only a CPU measurement (the
//!   series' value, as measured: own signals are not rescaled, see
//!   [`crate::features::signal`]). Each file is its own pod (namespace = category, pod =
//!   file name), so nothing is compared across files: no siblings, no Kubernetes states. Each
//!   row is its own tick, so repeated timestamps (NAB's daylight-saving rows) stay distinct
//!   samples.
//! - **Out**: NAB counts every flagged row, while a pager counts incidents: the daemon opens one
//!   incident per fault and does not page again while it is open. So the reported score is the
//!   pod's anomaly probability, except that after a row at or above the alert threshold the
//!   rows of the next [`HOLD`] report 0: one alert per event ([`OneAlertPerEvent`]), unless
//!   a row is [`ESCALATION`] times less likely than the alert (an incident whose evidence
//!   grows by a decade is re-notified). The hold is a duration, stretched like the detector's
//!   horizons for series sampled more coarsely than its reference step (see
//!   [`crate::signal::horizon`]).

use super::series_file::SeriesRow;
use crate::metrics_row::PodMetricsRow;
use crate::model::calibration::rate_of_probability;
use crate::signal::{Cadence, Horizon};

/// How long after an alert rows report nothing.
pub const HOLD: Horizon = Horizon(37.5 * 60.0);

/// Within the hold, a row whose tail rate is this many times smaller than the last alert's is
/// reported and becomes the alert. Chosen on fold 1 of the NAB slice for robustness to a
/// threshold chosen elsewhere (the mean fold-1 score over fixed thresholds 0.60..0.80 rose from
/// 66.1 to 69.7; fold 2 at fold 1's threshold from 36.5 to 45.0, looked at once); see
/// `examples/nab_signal.rs`.
pub const ESCALATION: f64 = 10.0;

/// The pod a series file becomes: `(namespace, pod)` from `category/name.csv`.
pub fn pod_of(relative_path: &str) -> (String, String) {
    let path = relative_path.trim_end_matches(".csv");
    match path.rsplit_once('/') {
        Some((category, name)) => (category.replace('/', "."), name.to_string()),
        None => ("nab".to_string(), path.to_string()),
    }
}

/// The canonical row of one series row: a pod with only its CPU measured.
pub fn pod_row(namespace: &str, pod: &str, row: &SeriesRow) -> PodMetricsRow {
    let mut r = PodMetricsRow::empty(row.at, namespace, pod);
    r.cpu_millicores = Some(row.number);
    r
}

/// One alert per event: after a reported probability at or above `threshold`, the next
/// [`HOLD`] of rows (stretched for coarse series) report 0, except rows [`ESCALATION`] times
/// less likely than the last alert, which are reported and become the alert.
#[derive(Debug, Clone)]
pub struct OneAlertPerEvent {
    threshold: f64,
    reference_step: f64,
    cadence: Cadence,
    quiet_until: f64,
    /// Tail rate of the last alert.
    alert_rate: f64,
}

impl OneAlertPerEvent {
    pub fn new(threshold: f64, reference_step: f64) -> OneAlertPerEvent {
        OneAlertPerEvent {
            threshold,
            reference_step,
            cadence: Cadence::default(),
            quiet_until: f64::NEG_INFINITY,
            alert_rate: 1.0,
        }
    }

    /// The score to report for a row at `seconds` whose probability is `p`.
    pub fn report(&mut self, seconds: f64, p: f64) -> f64 {
        let tick = self.cadence.tick(seconds, self.reference_step);
        let rate = rate_of_probability(p);
        if seconds < self.quiet_until {
            if rate * ESCALATION < self.alert_rate {
                self.alert_rate = rate;
                return p;
            }
            return 0.0;
        }
        if p >= self.threshold {
            self.quiet_until = seconds + HOLD.seconds() * tick.stretch;
            self.alert_rate = rate;
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_become_pods_of_their_category() {
        assert_eq!(
            pod_of("realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv"),
            (
                "realAWSCloudwatch".into(),
                "ec2_cpu_utilization_24ae8d".into()
            )
        );
        assert_eq!(pod_of("single.csv"), ("nab".into(), "single".into()));
    }

    #[test]
    fn an_alert_silences_the_hold_then_fires_again() {
        // Five-minute rows: the 37.5-minute hold stretches to 150 rows.
        let mut s = OneAlertPerEvent::new(0.7, 15.0);
        let reported: Vec<f64> = (0..300)
            .map(|i| s.report(i as f64 * 300.0, if i % 100 == 10 { 0.9 } else { 0.1 }))
            .collect();
        assert_eq!(reported[10], 0.9);
        assert!(reported[11..160].iter().all(|p| *p == 0.0));
        assert_eq!(reported[110], 0.0, "inside the hold");
        assert_eq!(reported[210], 0.9, "after it");
        assert_eq!(reported[9], 0.1, "below the threshold passes");
    }

    #[test]
    fn a_decade_stronger_row_within_the_hold_is_reported() {
        let mut s = OneAlertPerEvent::new(0.7, 15.0);
        let rate = |p: f64| rate_of_probability(p);
        let alert = 0.75;
        let a_little_more = 0.8;
        let much_more = 0.99;
        assert!(rate(a_little_more) * ESCALATION > rate(alert));
        assert!(rate(much_more) * ESCALATION < rate(alert));
        assert_eq!(s.report(0.0, alert), alert);
        assert_eq!(s.report(300.0, a_little_more), 0.0);
        assert_eq!(s.report(600.0, much_more), much_more, "escalated");
        assert_eq!(s.report(900.0, much_more), 0.0, "not twice");
    }
}
