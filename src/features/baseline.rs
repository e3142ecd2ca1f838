//! Per-pod baselines and robust z-scores, computed with Polars.
//!
//! For each pod in a tick, its history *before* the tick is aggregated (median, quartiles, mean,
//! std, count per signal) and the tick's value is scored against it:
//! `z = (x − median) / max(IQR / 1.349, floor)` — the IQR/1.349 is the normal-equivalent standard
//! deviation, so z reads like an ordinary z-score but one outlier in the history cannot move it.

use super::signal::{SIGNALS, SIGNAL_COUNT};
use polars::prelude::*;
use std::collections::VecDeque;

/// Baseline statistics and z-scores for the rows of one tick, in row order.
#[derive(Debug, Clone, Default)]
pub struct Baselines {
    pub median: Vec<[f64; SIGNAL_COUNT]>,
    pub mean: Vec<[f64; SIGNAL_COUNT]>,
    pub std: Vec<[f64; SIGNAL_COUNT]>,
    /// Robust scale (IQR/1.349, floored): the denominator of `z`.
    pub scale: Vec<[f64; SIGNAL_COUNT]>,
    /// Measured samples behind each baseline.
    pub count: Vec<[u32; SIGNAL_COUNT]>,
    /// Robust z-score of the current value; NaN when the value or the baseline is missing.
    pub z: Vec<[f64; SIGNAL_COUNT]>,
}

/// Computes baselines for `current[i]` against `history[i]` (None: a pod never seen before).
pub fn compute(
    history: &[Option<&VecDeque<[f32; SIGNAL_COUNT]>>],
    current: &[[f64; SIGNAL_COUNT]],
) -> PolarsResult<Baselines> {
    assert_eq!(history.len(), current.len());
    let n_rows = current.len();
    let hist_len: usize = history.iter().flatten().map(|h| h.len()).sum();

    // History frame: idx | one f64 column per signal (null = not measured).   [hist_len rows]
    let mut idx: Vec<u32> = Vec::with_capacity(hist_len);
    let mut cols: Vec<Vec<Option<f64>>> = (0..SIGNAL_COUNT)
        .map(|_| Vec::with_capacity(hist_len))
        .collect();
    for (i, h) in history.iter().enumerate() {
        for sample in h.iter().flat_map(|h| h.iter()) {
            idx.push(i as u32);
            for (c, v) in cols.iter_mut().zip(sample) {
                c.push(v.is_finite().then_some(*v as f64));
            }
        }
    }
    let mut columns = Vec::with_capacity(SIGNAL_COUNT + 1);
    columns.push(Column::new("idx".into(), idx));
    for (s, c) in SIGNALS.iter().zip(cols) {
        columns.push(Column::new(s.name().into(), c));
    }
    let hist = DataFrame::new(hist_len, columns)?;

    // Current frame: idx | signals.   [n_rows rows]
    let mut columns = Vec::with_capacity(SIGNAL_COUNT + 1);
    columns.push(Column::new(
        "idx".into(),
        (0..n_rows as u32).collect::<Vec<_>>(),
    ));
    for s in SIGNALS {
        let c: Vec<Option<f64>> = current
            .iter()
            .map(|r| r[s.index()])
            .map(|v| v.is_finite().then_some(v))
            .collect();
        columns.push(Column::new(s.name().into(), c));
    }
    let cur = DataFrame::new(n_rows, columns)?;

    let mut aggs = Vec::with_capacity(SIGNAL_COUNT * 6);
    for s in SIGNALS {
        let n = s.name();
        aggs.push(col(n).median().alias(format!("{n}_med")));
        aggs.push(
            col(n)
                .quantile(lit(0.25), QuantileMethod::Linear)
                .alias(format!("{n}_q1")),
        );
        aggs.push(
            col(n)
                .quantile(lit(0.75), QuantileMethod::Linear)
                .alias(format!("{n}_q3")),
        );
        aggs.push(col(n).mean().alias(format!("{n}_mean")));
        aggs.push(col(n).std(1).alias(format!("{n}_std")));
        aggs.push(col(n).count().alias(format!("{n}_cnt")));
    }
    let base = hist.lazy().group_by([col("idx")]).agg(aggs);

    let mut derived = Vec::with_capacity(SIGNAL_COUNT * 2);
    for s in SIGNALS {
        let n = s.name();
        let iqr_scale = (col(format!("{n}_q3")) - col(format!("{n}_q1"))) / lit(1.349);
        let floor = lit(s.scale_floor());
        let scale = when(iqr_scale.clone().gt(floor.clone()))
            .then(iqr_scale)
            .otherwise(floor)
            .alias(format!("{n}_scale"));
        derived.push(scale);
    }
    let mut zs = Vec::with_capacity(SIGNAL_COUNT);
    for s in SIGNALS {
        let n = s.name();
        zs.push(
            ((col(n) - col(format!("{n}_med"))) / col(format!("{n}_scale")))
                .alias(format!("{n}_z")),
        );
    }
    let out = cur
        .lazy()
        .left_join(base, col("idx"), col("idx"))
        .with_columns(derived)
        .with_columns(zs)
        .sort(["idx"], Default::default())
        .collect()?;

    let mut b = Baselines {
        median: vec![[f64::NAN; SIGNAL_COUNT]; n_rows],
        mean: vec![[f64::NAN; SIGNAL_COUNT]; n_rows],
        std: vec![[f64::NAN; SIGNAL_COUNT]; n_rows],
        scale: vec![[f64::NAN; SIGNAL_COUNT]; n_rows],
        count: vec![[0; SIGNAL_COUNT]; n_rows],
        z: vec![[f64::NAN; SIGNAL_COUNT]; n_rows],
    };
    let rows: Vec<usize> = out
        .column("idx")?
        .u32()?
        .iter()
        .map(|v| v.unwrap_or(0) as usize)
        .collect();
    for s in SIGNALS {
        let n = s.name();
        let k = s.index();
        for (suffix, target) in [
            ("med", &mut b.median),
            ("mean", &mut b.mean),
            ("std", &mut b.std),
            ("scale", &mut b.scale),
            ("z", &mut b.z),
        ] {
            let c = out
                .column(&format!("{n}_{suffix}"))?
                .cast(&DataType::Float64)?;
            for (row, v) in rows.iter().zip(c.f64()?.iter()) {
                target[*row][k] = v.unwrap_or(f64::NAN);
            }
        }
        let c = out.column(&format!("{n}_cnt"))?.cast(&DataType::UInt32)?;
        for (row, v) in rows.iter().zip(c.u32()?.iter()) {
            b.count[*row][k] = v.unwrap_or(0);
        }
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::signal::Signal;

    #[test]
    fn robust_z_against_history_before_the_tick() {
        let cpu = Signal::Cpu.index();
        let mut h: VecDeque<[f32; SIGNAL_COUNT]> = VecDeque::new();
        for v in [1.0f32, 2.0, 3.0, 4.0, 5.0] {
            let mut s = [f32::NAN; SIGNAL_COUNT];
            s[cpu] = v;
            h.push_back(s);
        }
        let mut cur_a = [f64::NAN; SIGNAL_COUNT];
        cur_a[cpu] = 9.0;
        let mut cur_new = [f64::NAN; SIGNAL_COUNT];
        cur_new[cpu] = 1.0;
        let b = compute(&[Some(&h), None], &[cur_a, cur_new]).unwrap();
        // median 3, quartiles 2 and 4 -> scale 2/1.349
        assert_eq!(b.median[0][cpu], 3.0);
        assert_eq!(b.count[0][cpu], 5);
        let expected_z = (9.0 - 3.0) / (2.0 / 1.349);
        assert!((b.z[0][cpu] - expected_z).abs() < 1e-9, "{}", b.z[0][cpu]);
        assert!((b.mean[0][cpu] - 3.0).abs() < 1e-12);
        // A never-seen pod has no baseline, and unmeasured signals have no z.
        assert!(b.z[1][cpu].is_nan());
        assert_eq!(b.count[1][cpu], 0);
        assert!(b.z[0][Signal::Memory.index()].is_nan());
    }

    #[test]
    fn flat_history_uses_the_scale_floor() {
        let cpu = Signal::Cpu.index();
        let mut s = [f32::NAN; SIGNAL_COUNT];
        s[cpu] = 2.0;
        let h: VecDeque<_> = std::iter::repeat_n(s, 10).collect();
        let mut cur = [f64::NAN; SIGNAL_COUNT];
        cur[cpu] = 2.1;
        let b = compute(&[Some(&h)], &[cur]).unwrap();
        let floor = Signal::Cpu.scale_floor();
        assert!((b.z[0][cpu] - 0.1 / floor).abs() < 1e-5);
    }
}
