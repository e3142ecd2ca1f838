//! Per-pod baselines, aggregated with Polars: median, robust scale, mean, std and count of
//! every signal over a pod's history.
//!
//! The robust scale is `max(IQR / 1.349, floor)`: the normal-equivalent standard deviation, so
//! `z = (x − median) / scale` reads like an ordinary z-score, but one outlier in the history
//! cannot move it. Baselines are cached per pod and refreshed every few samples
//! ([`refresh_every`]): they move slowly, and recomputing thousands of windows every tick was
//! 95% of the cost of a tick.

use super::signal::{SIGNALS, SIGNAL_COUNT};
use polars::prelude::*;
use std::collections::VecDeque;

/// Samples between two refreshes of an established pod's baseline.
pub const REFRESH_SAMPLES: u64 = 12;

/// How many new samples a pod's cached baseline may lag behind: every sample while the pod is
/// young (its baseline changes fast), then up to [`REFRESH_SAMPLES`] — never more than a tenth
/// of its history.
pub fn refresh_every(samples_seen: u64) -> u64 {
    (samples_seen / 10).clamp(1, REFRESH_SAMPLES)
}

/// The sample count at which the baseline in use should have been computed. Refreshes fall on
/// fixed sample counts, not "N after the last one", so a pipeline rebuilt by a replay is back
/// on the same schedule, with the same baselines, after one interval.
pub fn refresh_point(samples_seen: u64) -> u64 {
    samples_seen - samples_seen % refresh_every(samples_seen)
}

/// A pod's baseline over its history, on the transformed scale of each signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub median: [f64; SIGNAL_COUNT],
    pub mean: [f64; SIGNAL_COUNT],
    pub std: [f64; SIGNAL_COUNT],
    /// Robust scale (IQR/1.349, floored): the denominator of `z`.
    pub scale: [f64; SIGNAL_COUNT],
    /// Measured samples behind each statistic.
    pub count: [u32; SIGNAL_COUNT],
    /// The pod's `samples_seen` when this was computed.
    pub at_sample: u64,
}

impl Baseline {
    /// Robust z-score of `values` against this baseline; NaN where either is missing.
    pub fn z(&self, values: &[f64; SIGNAL_COUNT]) -> [f64; SIGNAL_COUNT] {
        let mut z = [f64::NAN; SIGNAL_COUNT];
        for k in 0..SIGNAL_COUNT {
            if self.count[k] > 0 {
                z[k] = (values[k] - self.median[k]) / self.scale[k];
            }
        }
        z
    }
}

/// Which statistic of a [`Baseline`] a result column fills.
type StatField = fn(&mut Baseline) -> &mut [f64; SIGNAL_COUNT];

/// Aggregates each history into a [`Baseline`] (in order), in one Polars group-by.
pub fn compute(
    histories: &[&VecDeque<[f32; SIGNAL_COUNT]>],
    at_samples: &[u64],
) -> PolarsResult<Vec<Baseline>> {
    assert_eq!(histories.len(), at_samples.len());
    let n_pods = histories.len();
    let rows: usize = histories.iter().map(|h| h.len()).sum();

    // idx | one f32 column per signal (null = not measured).   [rows]
    let mut idx: Vec<u32> = Vec::with_capacity(rows);
    let mut cols: Vec<Vec<Option<f32>>> = (0..SIGNAL_COUNT)
        .map(|_| Vec::with_capacity(rows))
        .collect();
    for (i, h) in histories.iter().enumerate() {
        for sample in h.iter() {
            idx.push(i as u32);
            for (c, v) in cols.iter_mut().zip(sample) {
                c.push(v.is_finite().then_some(*v));
            }
        }
    }
    let mut columns = Vec::with_capacity(SIGNAL_COUNT + 1);
    columns.push(Column::new("idx".into(), idx));
    for (s, c) in SIGNALS.iter().zip(cols) {
        columns.push(Column::new(s.name().into(), c));
    }
    let hist = DataFrame::new(rows, columns)?;

    let mut aggs = Vec::with_capacity(SIGNAL_COUNT * 5);
    for s in SIGNALS {
        let n = s.name();
        let x = col(n).cast(DataType::Float64);
        let iqr_scale = (x.clone().quantile(lit(0.75), QuantileMethod::Linear)
            - x.clone().quantile(lit(0.25), QuantileMethod::Linear))
            / lit(1.349);
        let floor = lit(s.scale_floor());
        aggs.push(x.clone().median().alias(format!("{n}_med")));
        aggs.push(
            when(iqr_scale.clone().gt(floor.clone()))
                .then(iqr_scale)
                .otherwise(floor)
                .alias(format!("{n}_scale")),
        );
        aggs.push(x.clone().mean().alias(format!("{n}_mean")));
        aggs.push(x.clone().std(1).alias(format!("{n}_std")));
        aggs.push(x.count().alias(format!("{n}_cnt")));
    }
    let out = hist.lazy().group_by([col("idx")]).agg(aggs).collect()?;

    let mut b: Vec<Baseline> = at_samples
        .iter()
        .map(|&at_sample| Baseline {
            median: [f64::NAN; SIGNAL_COUNT],
            mean: [f64::NAN; SIGNAL_COUNT],
            std: [f64::NAN; SIGNAL_COUNT],
            scale: [f64::NAN; SIGNAL_COUNT],
            count: [0; SIGNAL_COUNT],
            at_sample,
        })
        .collect();
    let pods: Vec<usize> = out
        .column("idx")?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(0) as usize)
        .collect();
    debug_assert!(pods.iter().all(|&p| p < n_pods));
    for s in SIGNALS {
        let (n, k) = (s.name(), s.index());
        let stats: [(&str, StatField); 4] = [
            ("med", |b| &mut b.median),
            ("scale", |b| &mut b.scale),
            ("mean", |b| &mut b.mean),
            ("std", |b| &mut b.std),
        ];
        for (suffix, field) in stats {
            let c = out
                .column(&format!("{n}_{suffix}"))?
                .cast(&DataType::Float64)?;
            for (&pod, v) in pods.iter().zip(c.f64()?.iter()) {
                field(&mut b[pod])[k] = v.unwrap_or(f64::NAN);
            }
        }
        let c = out.column(&format!("{n}_cnt"))?.cast(&DataType::UInt32)?;
        for (&pod, v) in pods.iter().zip(c.u32()?.iter()) {
            b[pod].count[k] = v.unwrap_or(0);
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::signal::Signal;

    fn history(values: &[f32]) -> VecDeque<[f32; SIGNAL_COUNT]> {
        values
            .iter()
            .map(|v| {
                let mut s = [f32::NAN; SIGNAL_COUNT];
                s[Signal::Cpu.index()] = *v;
                s
            })
            .collect()
    }

    #[test]
    fn robust_statistics_per_pod() {
        let cpu = Signal::Cpu.index();
        let a = history(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let flat = history(&[2.0; 10]);
        let b = compute(&[&a, &flat], &[5, 10]).unwrap();
        // median 3, quartiles 2 and 4 -> scale 2/1.349
        assert_eq!(b[0].median[cpu], 3.0);
        assert_eq!(b[0].count[cpu], 5);
        assert!((b[0].scale[cpu] - 2.0 / 1.349).abs() < 1e-9);
        assert!((b[0].mean[cpu] - 3.0).abs() < 1e-12);
        assert_eq!(b[0].at_sample, 5);
        let mut now = [f64::NAN; SIGNAL_COUNT];
        now[cpu] = 9.0;
        assert!((b[0].z(&now)[cpu] - 6.0 / (2.0 / 1.349)).abs() < 1e-9);
        // A flat history uses the floor; unmeasured signals have no z.
        assert_eq!(b[1].scale[cpu], Signal::Cpu.scale_floor());
        assert_eq!(b[1].count[Signal::Memory.index()], 0);
        assert!(b[1].z(&now)[Signal::Memory.index()].is_nan());
    }

    #[test]
    fn refreshes_often_while_young_and_every_twelve_samples_after() {
        assert_eq!(refresh_every(0), 1);
        assert_eq!(refresh_every(19), 1);
        assert_eq!(refresh_every(60), 6);
        assert_eq!(refresh_every(5000), REFRESH_SAMPLES);
        assert_eq!(refresh_point(19), 19);
        assert_eq!(refresh_point(65), 60);
        assert_eq!(refresh_point(5003), 4992);
    }
}
