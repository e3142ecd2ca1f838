//! Peer comparison: how a pod differs from its sibling replicas at the same instant.
//!
//! A load swell moves every replica of a workload together; a fault usually hits one pod. The
//! peer signal is `own − median(others)` on the log scale, so it stays flat in a swell and moves
//! in a fault. Only *healthy, established* siblings are peers (running, fully ready, no
//! waiting/terminated reason, past their start-up): comparing with a crash-looping or
//! just-started sibling would flag the healthy pod and spoil its baseline. Pods without such a
//! sibling in the same tick get NaN.

use super::signal::{PEERED, SIGNAL_COUNT};
use std::collections::HashMap;

/// Fills the peer slots of `values` in place. `groups[i]` identifies row i's workload (namespace
/// and workload name), `eligible[i]` whether row i may serve as a peer; rows in one call must
/// belong to one tick.
pub fn fill_peer_signals(
    groups: &[(&str, &str)],
    eligible: &[bool],
    values: &mut [[f64; SIGNAL_COUNT]],
) {
    let mut members: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, g) in groups.iter().enumerate() {
        members.entry(*g).or_default().push(i);
    }
    let mut others: Vec<f64> = Vec::new();
    for idx in members.values() {
        for &i in idx {
            for (own, peer) in PEERED {
                let v = values[i][own.index()];
                others.clear();
                others.extend(
                    idx.iter()
                        .filter(|&&j| j != i && eligible[j])
                        .map(|&j| values[j][own.index()])
                        .filter(|x| x.is_finite()),
                );
                values[i][peer.index()] = if v.is_finite() && !others.is_empty() {
                    v - median(&mut others)
                } else {
                    f64::NAN
                };
            }
        }
    }
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::signal::Signal;

    #[test]
    fn peer_signal_is_difference_from_median_of_siblings() {
        let groups = [("ns", "web"), ("ns", "web"), ("ns", "web"), ("ns", "db")];
        let mut values = [[f64::NAN; SIGNAL_COUNT]; 4];
        for (i, v) in [1.0, 2.0, 4.0, 3.0].into_iter().enumerate() {
            values[i][Signal::Cpu.index()] = v;
        }
        fill_peer_signals(&groups, &[true; 4], &mut values);
        let p = Signal::PeerCpu.index();
        assert_eq!(values[0][p], 1.0 - 3.0); // others 2,4 -> 3
        assert_eq!(values[1][p], 2.0 - 2.5);
        assert_eq!(values[2][p], 4.0 - 1.5);
        assert!(values[3][p].is_nan(), "a lone pod has no peers");
        assert!(
            values[0][Signal::PeerMemory.index()].is_nan(),
            "memory unmeasured"
        );
    }

    #[test]
    fn unhealthy_siblings_are_not_peers() {
        let groups = [("ns", "web"), ("ns", "web"), ("ns", "web")];
        let mut values = [[f64::NAN; SIGNAL_COUNT]; 3];
        for (i, v) in [1.0, 2.0, 9.0].into_iter().enumerate() {
            values[i][Signal::Cpu.index()] = v;
        }
        fill_peer_signals(&groups, &[true, true, false], &mut values);
        let p = Signal::PeerCpu.index();
        assert_eq!(values[0][p], 1.0 - 2.0, "row 2 is not a peer");
        assert_eq!(
            values[2][p],
            9.0 - 1.5,
            "but is still compared with its healthy siblings"
        );
    }
}
