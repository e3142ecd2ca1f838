//! Usage against limits: CPU at its limit is evidence at once and pages when it lasts (anchored
//! on `CPUThrottlingHigh`); memory close to its limit is evidence, stronger when it lasts, and
//! never pages on its own (anchored on `KubeQuotaAlmostFull`; see [`KubeStateSettings`]).

use super::anchor;
use super::condition::Lasting;
use super::sample::PodStateSample;
use super::settings::KubeStateSettings;
use super::span::{for_how_long, millis};
use super::verdict::{evidence, Finding};
use crate::detector::anomaly_type::AnomalyType;

const CPU_AT_LIMIT: f64 = 0.45;
const CPU_PINNED: f64 = 0.8;
const MEMORY_NEAR_LIMIT: f64 = 0.4;
const MEMORY_LASTING: f64 = 0.6;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SaturationTracker {
    cpu: Lasting,
    memory: Lasting,
}

impl SaturationTracker {
    pub fn observe(
        &mut self,
        sample: &PodStateSample,
        now: i64,
        s: &KubeStateSettings,
        out: &mut Vec<Finding>,
    ) {
        let tolerance = millis(s.interruption_tolerance);
        let finite = |u: Option<f64>| u.filter(|u| u.is_finite());

        let cpu = finite(sample.cpu_utilisation);
        if self
            .cpu
            .observe(now, cpu.map(|u| u >= s.cpu_saturation), tolerance)
        {
            let u = cpu.unwrap_or(0.0);
            let lasted = self.cpu.lasted(now);
            let detail = at_limit("CPU", u, s.cpu_saturation, lasted);
            let e = evidence("cpu_utilisation", round(u), s.cpu_saturation, detail);
            let (kind, anchor) = (AnomalyType::CpuSaturation, anchor::CPU_THROTTLING_HIGH);
            out.push(if lasted >= millis(s.cpu_page_after) {
                Finding::page(kind, CPU_PINNED, anchor, e)
            } else {
                Finding::evidence(kind, CPU_AT_LIMIT, anchor, e)
            });
        }

        let memory = finite(sample.memory_utilisation);
        if self
            .memory
            .observe(now, memory.map(|u| u >= s.memory_saturation), tolerance)
        {
            let u = memory.unwrap_or(0.0);
            let lasted = self.memory.lasted(now);
            let detail = at_limit("memory", u, s.memory_saturation, lasted);
            let e = evidence("memory_utilisation", round(u), s.memory_saturation, detail);
            // The kind whose remedy fits: find what holds the memory or raise the limit.
            let p = if lasted >= millis(s.memory_sustained_after) {
                MEMORY_LASTING
            } else {
                MEMORY_NEAR_LIMIT
            };
            out.push(Finding::evidence(
                AnomalyType::MemoryLeak,
                p,
                anchor::KUBE_QUOTA_ALMOST_FULL,
                e,
            ));
        }
    }
}

/// "CPU at 96% of its limit, at or above 90% for 10 min" (just the first part at first).
fn at_limit(what: &str, now: f64, threshold: f64, lasted: i64) -> String {
    let mut detail = format!("{what} at {:.0}% of its limit", now * 100.0);
    if lasted >= 1000 {
        detail.push_str(&format!(
            ", at or above {:.0}%{}",
            threshold * 100.0,
            for_how_long(lasted)
        ));
    }
    detail
}

fn round(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}
