//! Memory trend: at the current rate of growth, how long until the pod hits its memory limit?
//!
//! A leak climbs steadily; a GC sawtooth climbs and falls. A least-squares line over the last
//! ten minutes tells them apart by its fit (R²): a steady climb fits a line, a sawtooth does not.

use super::signal::{Signal, SIGNAL_COUNT};
use std::collections::VecDeque;

/// Samples the trend is fitted over (10 minutes at a 5 s interval).
pub const TREND_WINDOW: usize = 120;
/// Fewer samples than this give no trend.
pub const TREND_MIN_SAMPLES: usize = 36;

/// A fitted memory trend.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryTrend {
    /// Growth in bytes per minute.
    pub bytes_per_minute: f64,
    /// Share of the variance the line explains, 0..=1.
    pub r_squared: f64,
    /// Minutes until the limit at this rate; None without a limit or without growth.
    pub minutes_to_limit: Option<f64>,
}

/// Fits the last [`TREND_WINDOW`] samples of memory plus `current` (bytes). `step_secs` is the
/// pod's sampling interval.
pub fn memory_trend(
    history: &VecDeque<[f32; SIGNAL_COUNT]>,
    current: Option<f64>,
    limit: Option<f64>,
    step_secs: f64,
) -> Option<MemoryTrend> {
    let current = current?;
    if step_secs <= 0.0 {
        return None;
    }
    let m = Signal::Memory;
    let skip = history.len().saturating_sub(TREND_WINDOW - 1);
    let ys: Vec<f64> = history
        .iter()
        .skip(skip)
        .map(|s| s[m.index()] as f64)
        .filter(|v| v.is_finite())
        .map(|v| m.untransform(v))
        .chain(std::iter::once(current))
        .collect();
    if ys.len() < TREND_MIN_SAMPLES {
        return None;
    }
    let n = ys.len() as f64;
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = ys.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (i, y) in ys.iter().enumerate() {
        let dx = i as f64 - mean_x;
        let dy = y - mean_y;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    let slope_per_sample = sxy / sxx;
    let r_squared = if syy > 0.0 {
        (sxy * sxy / (sxx * syy)).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let bytes_per_minute = slope_per_sample * 60.0 / step_secs;
    let minutes_to_limit = match limit {
        Some(l) if bytes_per_minute > 0.0 => Some(((l - current) / bytes_per_minute).max(0.0)),
        _ => None,
    };
    Some(MemoryTrend {
        bytes_per_minute,
        r_squared,
        minutes_to_limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(values: impl Iterator<Item = f64>) -> VecDeque<[f32; SIGNAL_COUNT]> {
        values
            .map(|v| {
                let mut s = [f32::NAN; SIGNAL_COUNT];
                s[Signal::Memory.index()] = Signal::Memory.transform(v) as f32;
                s
            })
            .collect()
    }

    #[test]
    fn a_steady_climb_projects_the_time_to_the_limit() {
        // +1 MB per 5 s sample = 12 MB/min; 100 MB left at the end.
        let h = history((0..60).map(|i| 100e6 + i as f64 * 1e6));
        let t = memory_trend(&h, Some(160e6), Some(260e6), 5.0).unwrap();
        assert!((t.bytes_per_minute - 12e6).abs() / 12e6 < 1e-3, "{t:?}");
        assert!(t.r_squared > 0.999);
        let minutes = t.minutes_to_limit.unwrap();
        assert!((minutes - 100.0 / 12.0).abs() < 0.01, "{minutes}");
    }

    #[test]
    fn a_sawtooth_does_not_fit_a_line_and_flat_memory_never_hits_the_limit() {
        let saw = history((0..119).map(|i| 100e6 + (i % 30) as f64 * 2e6));
        let t = memory_trend(&saw, Some(100e6), Some(300e6), 5.0).unwrap();
        assert!(t.r_squared < 0.2, "{t:?}");
        let flat = history(std::iter::repeat_n(100e6, 60));
        let t = memory_trend(&flat, Some(100e6), Some(300e6), 5.0).unwrap();
        assert_eq!(t.minutes_to_limit, None);
        assert!(memory_trend(&flat, None, Some(1.0), 5.0).is_none());
        let short = history(std::iter::repeat_n(1.0, 5));
        assert!(memory_trend(&short, Some(1.0), None, 5.0).is_none());
    }
}
