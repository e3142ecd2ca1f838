//! The numeric signals kept in each pod's history, and how raw fields become them.
//!
//! Load-like metrics are compared on a log scale (`ln(1 + x)`): their noise is multiplicative,
//! and a traffic drop to 10% should weigh like a surge to 10x. Error rates stay linear (their
//! normal is about zero). Peer signals are the difference between a pod's log value and the
//! median of its sibling replicas in the same tick.

use crate::metrics_row::PodMetricsRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Signal {
    Cpu,
    Memory,
    NetRx,
    NetTx,
    NetErrors,
    FsRead,
    FsWrite,
    PeerCpu,
    PeerMemory,
    PeerNetRx,
    PeerNetTx,
}

pub const SIGNAL_COUNT: usize = 11;

pub const SIGNALS: [Signal; SIGNAL_COUNT] = [
    Signal::Cpu,
    Signal::Memory,
    Signal::NetRx,
    Signal::NetTx,
    Signal::NetErrors,
    Signal::FsRead,
    Signal::FsWrite,
    Signal::PeerCpu,
    Signal::PeerMemory,
    Signal::PeerNetRx,
    Signal::PeerNetTx,
];

/// The own-value signals that have a peer counterpart, with it.
pub const PEERED: [(Signal, Signal); 4] = [
    (Signal::Cpu, Signal::PeerCpu),
    (Signal::Memory, Signal::PeerMemory),
    (Signal::NetRx, Signal::PeerNetRx),
    (Signal::NetTx, Signal::PeerNetTx),
];

impl Signal {
    pub fn index(self) -> usize {
        self as usize
    }

    /// Column/feature name, used in the Polars frames and in evidence.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Cpu => "cpu",
            Signal::Memory => "memory",
            Signal::NetRx => "net_rx",
            Signal::NetTx => "net_tx",
            Signal::NetErrors => "net_errors",
            Signal::FsRead => "fs_read",
            Signal::FsWrite => "fs_write",
            Signal::PeerCpu => "peer_cpu",
            Signal::PeerMemory => "peer_memory",
            Signal::PeerNetRx => "peer_net_rx",
            Signal::PeerNetTx => "peer_net_tx",
        }
    }

    /// Smallest spread used as the robust scale, in the signal's own units.
    ///
    /// Without a floor a perfectly flat history (IQR 0) would turn any wiggle into a huge z.
    /// Log-scale floors are relative changes (0.05 ≈ 5%); errors are per second.
    pub fn scale_floor(self) -> f64 {
        match self {
            Signal::Cpu | Signal::NetRx | Signal::NetTx => 0.05,
            Signal::Memory => 0.03,
            Signal::NetErrors => 0.25,
            Signal::FsRead | Signal::FsWrite => 0.15,
            Signal::PeerCpu | Signal::PeerMemory | Signal::PeerNetRx | Signal::PeerNetTx => 0.05,
        }
    }

    /// Raw field value for own-value signals (`None` for peer signals).
    pub fn raw(self, row: &PodMetricsRow) -> Option<f64> {
        match self {
            Signal::Cpu => row.cpu_millicores,
            Signal::Memory => row.memory_bytes,
            Signal::NetRx => row.net_rx_bytes_per_s,
            Signal::NetTx => row.net_tx_bytes_per_s,
            Signal::NetErrors => match (row.net_rx_errors_per_s, row.net_tx_errors_per_s) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            },
            Signal::FsRead => row.fs_read_bytes_per_s,
            Signal::FsWrite => row.fs_write_bytes_per_s,
            _ => None,
        }
    }

    /// Transformed value of an own-value signal: log scale for load, linear for errors.
    pub fn transform(self, raw: f64) -> f64 {
        match self {
            Signal::NetErrors => raw,
            _ => raw.max(0.0).ln_1p(),
        }
    }

    /// Back from the transformed scale, for evidence shown to people.
    pub fn untransform(self, v: f64) -> f64 {
        match self {
            Signal::NetErrors => v,
            Signal::PeerCpu | Signal::PeerMemory | Signal::PeerNetRx | Signal::PeerNetTx => v.exp(),
            _ => v.exp_m1(),
        }
    }
}

/// The own-value signals of a row, transformed; NaN where not measured. Peer slots are NaN.
pub fn own_values(row: &PodMetricsRow) -> [f64; SIGNAL_COUNT] {
    let mut out = [f64::NAN; SIGNAL_COUNT];
    for s in &SIGNALS[..7] {
        if let Some(raw) = s.raw(row) {
            out[s.index()] = s.transform(raw);
        }
    }
    out
}
