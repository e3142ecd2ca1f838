//! Peer comparison: how a pod differs from its sibling replicas at the same instant.
//!
//! A load swell moves every replica of a workload together; a fault usually hits one pod. The
//! peer signal is `ln(1 + own) − median(ln(1 + replicas))`, a log ratio, so it stays flat in a
//! swell and moves in a fault. Only *healthy, established* replicas enter the median (running, fully
//! ready, no waiting/terminated reason, past their start-up): a crash-looping or just-started
//! sibling would flag the healthy pods and spoil their baselines. The median includes the pod
//! itself when it is eligible: with three replicas and one faulty, the median is a healthy
//! one, so the faulty pod stands out and the healthy ones do not (a median of the *others*
//! would put the faulty pod's value into each healthy pod's comparison). A pod gets a peer
//! signal only when at least one eligible replica other than itself was measured.
//!
//! One tick is one Polars frame: a group-by over (namespace, workload) gives every workload's
//! medians at once.

use super::signal::{PEERED, SIGNAL_COUNT};
use polars::prelude::*;
use std::collections::HashMap;

/// Fills the peer slots of `values` in place. `groups[i]` identifies row i's workload
/// (namespace and workload name), `eligible[i]` whether row i may serve as a peer; rows in one
/// call belong to one tick.
pub fn fill_peer_signals(
    groups: &[(&str, &str)],
    eligible: &[bool],
    values: &mut [[f64; SIGNAL_COUNT]],
) -> PolarsResult<()> {
    let n = groups.len();
    // Workloads as dense ids: the frame groups on a number, not on strings.
    let mut ids: HashMap<(&str, &str), u32> = HashMap::new();
    let group: Vec<u32> = groups
        .iter()
        .map(|g| {
            let next = ids.len() as u32;
            *ids.entry(*g).or_insert(next)
        })
        .collect();
    let mut columns = Vec::with_capacity(PEERED.len() + 2);
    columns.push(Column::new("group".into(), &group));
    columns.push(Column::new("eligible".into(), eligible));
    for (own, _) in PEERED {
        let v: Vec<Option<f64>> = values
            .iter()
            .map(|row| Some(log_scale(row[own.index()])).filter(|x| x.is_finite()))
            .collect();
        columns.push(Column::new(own.name().into(), v));
    }
    let frame = DataFrame::new(n, columns)?;
    // group | median of each own signal over the eligible rows | eligible measured rows.
    let mut aggs = Vec::with_capacity(PEERED.len() * 2);
    for (own, _) in PEERED {
        let x = col(own.name()).filter(col("eligible"));
        aggs.push(x.clone().median().alias(format!("{}_median", own.name())));
        aggs.push(x.count().alias(format!("{}_count", own.name())));
    }
    let out = frame.lazy().group_by([col("group")]).agg(aggs).collect()?;

    let workloads = ids.len();
    let mut medians = vec![[f64::NAN; PEERED.len()]; workloads];
    let mut counts = vec![[0u32; PEERED.len()]; workloads];
    let at: Vec<usize> = out
        .column("group")?
        .u32()?
        .iter()
        .map(|g| g.unwrap_or(0) as usize)
        .collect();
    for (k, (own, _)) in PEERED.iter().enumerate() {
        let m = out
            .column(&format!("{}_median", own.name()))?
            .f64()?
            .clone();
        let c = out
            .column(&format!("{}_count", own.name()))?
            .cast(&DataType::UInt32)?;
        for ((&g, m), c) in at.iter().zip(m.iter()).zip(c.u32()?.iter()) {
            medians[g][k] = m.unwrap_or(f64::NAN);
            counts[g][k] = c.unwrap_or(0);
        }
    }
    for (i, row) in values.iter_mut().enumerate() {
        let g = group[i] as usize;
        for (k, (own, peer)) in PEERED.iter().enumerate() {
            let v = log_scale(row[own.index()]);
            let me = u32::from(eligible[i] && v.is_finite());
            row[peer.index()] = if v.is_finite() && counts[g][k] > me {
                v - medians[g][k]
            } else {
                f64::NAN
            };
        }
    }
    Ok(())
}

/// Replicas are compared on a log scale: their noise is multiplicative.
fn log_scale(x: f64) -> f64 {
    if x.is_finite() {
        x.max(0.0).ln_1p()
    } else {
        f64::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::signal::Signal;

    #[test]
    fn peer_signal_is_difference_from_median_of_replicas() {
        let groups = [("ns", "web"), ("ns", "web"), ("ns", "web"), ("ns", "db")];
        let mut values = [[f64::NAN; SIGNAL_COUNT]; 4];
        for (i, v) in [1.0, 2.0, 9.0, 3.0].into_iter().enumerate() {
            values[i][Signal::Cpu.index()] = v;
        }
        fill_peer_signals(&groups, &[true; 4], &mut values).unwrap();
        let p = Signal::PeerCpu.index();
        let ln = |x: f64| x.ln_1p();
        assert_eq!(values[0][p], ln(1.0) - ln(2.0));
        assert_eq!(values[1][p], 0.0, "the middle replica is the median");
        assert_eq!(values[2][p], ln(9.0) - ln(2.0), "the outlier stands out");
        assert!(values[3][p].is_nan(), "a lone pod has no peers");
        assert!(
            values[0][Signal::PeerMemory.index()].is_nan(),
            "memory unmeasured"
        );
    }

    #[test]
    fn unhealthy_replicas_are_not_peers_but_are_compared() {
        let groups = [("ns", "web"), ("ns", "web"), ("ns", "web")];
        let mut values = [[f64::NAN; SIGNAL_COUNT]; 3];
        for (i, v) in [1.0, 2.0, 9.0].into_iter().enumerate() {
            values[i][Signal::Cpu.index()] = v;
        }
        fill_peer_signals(&groups, &[true, true, false], &mut values).unwrap();
        let p = Signal::PeerCpu.index();
        let median = (1.0f64.ln_1p() + 2.0f64.ln_1p()) / 2.0;
        assert_eq!(values[0][p], 1.0f64.ln_1p() - median, "row 2 is not a peer");
        assert_eq!(
            values[2][p],
            9.0f64.ln_1p() - median,
            "but is compared with its healthy replicas"
        );
    }

    #[test]
    fn a_pod_alone_among_the_eligible_has_no_peer_signal() {
        let groups = [("ns", "web"), ("ns", "web")];
        let mut values = [[f64::NAN; SIGNAL_COUNT]; 2];
        values[0][Signal::Cpu.index()] = 1.0;
        values[1][Signal::Cpu.index()] = 5.0;
        fill_peer_signals(&groups, &[true, false], &mut values).unwrap();
        let p = Signal::PeerCpu.index();
        assert!(values[0][p].is_nan(), "its only replica is not eligible");
        assert_eq!(values[1][p], 5.0f64.ln_1p() - 1.0f64.ln_1p());
    }
}
