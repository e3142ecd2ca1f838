//! Benign CronJob pods: short-lived singleton pods of a few CronJobs (a report builder, a
//! cache warmer, ...). Each runs on a cron schedule (every 20 or 30 minutes at a fixed minute
//! offset); at each scheduled time the Job controller creates one pod named as Kubernetes
//! names it, `<cronjob>-<scheduled minutes since the epoch>-<5 chars>`
//! (`report-builder-29512340-x7k2p`). The pod starts (Pending, then Running and ready: Job pods
//! have no readiness probe), runs a CPU and I/O burst for 1-5 minutes, then its container exits
//! 0: phase Succeeded, 0 ready, reason `Completed`, nothing measured. The completed pod stays
//! listed a short while (1-3 min), then is deleted.
//!
//! Benign: batch work that starts and ends on schedule; a pod that appears, works hard and
//! completes is what a Job is for.

use super::node::Nodes;
use super::pod::{insert_grouped, millis, ImagePull, SimPod};
use super::workload::{random_name_part, FsProfile, ProfileScale, Workload, WorkloadKind};
use chrono::{DateTime, TimeDelta, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

const MIB: f64 = 1024.0 * 1024.0;

/// CronJob names per namespace, in the order they are used.
const CRONJOB_NAMES: [(&str, &str); 8] = [
    ("platform", "report-builder"),
    ("shop", "cache-warmer"),
    ("payments", "invoice-export"),
    ("search", "sitemap-builder"),
    ("platform", "db-backup"),
    ("platform", "session-cleanup"),
    ("shop", "feed-export"),
    ("search", "index-compactor"),
];

/// Minutes between two runs of one CronJob: schedules like `7-59/20 * * * *`.
const PERIODS_MINUTES: [i64; 2] = [20, 30];

/// The one CronJob of a cluster too small for one at the usual rate runs hourly.
const SPARSE_PERIOD_MINUTES: i64 = 60;

/// A CronJob's schedule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CronJob {
    pub workload: usize,
    period: TimeDelta,
    /// Minutes after each whole period since the epoch.
    offset: TimeDelta,
    /// The next scheduled time (the pod is created a moment later).
    scheduled_at: DateTime<Utc>,
    /// The controller's delay for that run.
    lag: TimeDelta,
}

/// What one run created, for the benign log.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CronRun {
    pub pod: String,
    pub start: DateTime<Utc>,
    pub removed_at: DateTime<Utc>,
}

/// Draws `count` CronJobs (workload profiles and schedules) whose workloads get indices from
/// `first_index` on, with their first runs after `start`; `sparse`: hourly schedules.
pub(crate) fn build_cronjobs(
    count: usize,
    first_index: usize,
    sparse: bool,
    start: DateTime<Utc>,
    rng: &mut ChaCha8Rng,
) -> (Vec<Workload>, Vec<CronJob>) {
    let mut workloads = Vec::with_capacity(count);
    let mut cronjobs = Vec::with_capacity(count);
    for i in 0..count {
        let (namespace, base) = CRONJOB_NAMES[i % CRONJOB_NAMES.len()];
        let round = i / CRONJOB_NAMES.len();
        let name = if round == 0 {
            base.to_string()
        } else {
            format!("{base}-{}", round + 1)
        };
        workloads.push(draw_profile(namespace, name, rng));
        let period = TimeDelta::minutes(if sparse {
            SPARSE_PERIOD_MINUTES
        } else {
            PERIODS_MINUTES[rng.random_range(0..PERIODS_MINUTES.len())]
        });
        let offset = TimeDelta::minutes(rng.random_range(0..period.num_minutes()));
        let mut cronjob = CronJob {
            workload: first_index + i,
            period,
            offset,
            scheduled_at: start,
            lag: TimeDelta::zero(),
        };
        cronjob.scheduled_at = cronjob.next_scheduled_after(start - TimeDelta::milliseconds(1));
        cronjob.lag = millis(rng.random_range(200..3_000));
        cronjobs.push(cronjob);
    }
    (workloads, cronjobs)
}

fn draw_profile(namespace: &str, name: String, rng: &mut ChaCha8Rng) -> Workload {
    let cpu_millicores = rng.random_range(150.0..900.0);
    let memory_bytes = rng.random_range(128.0..768.0) * MIB;
    Workload {
        namespace: namespace.to_string(),
        name,
        kind: WorkloadKind::CronJob,
        replicas: 0,
        containers: 1,
        cpu_millicores,
        cpu_limit_millicores: Some((cpu_millicores * 1.6 / 100.0).ceil() * 100.0),
        memory_bytes,
        memory_limit_bytes: Some((memory_bytes * 1.8 / (64.0 * MIB)).ceil() * 64.0 * MIB),
        net_rx_bytes_per_s: rng.random_range(200e3..5e6),
        net_tx_bytes_per_s: rng.random_range(50e3..2e6),
        fs: Some(FsProfile {
            read_bytes_per_s: rng.random_range(1e6..20e6),
            write_bytes_per_s: rng.random_range(1e6..30e6),
        }),
        gc_sawtooth: None,
        daily_amplitude: 0.0,
        image_version: rng.random_range(2..20),
        replica_set_hash: String::new(),
        template_scale: ProfileScale::default(),
        weekend_dip: 0.0,
    }
}

impl CronJob {
    /// The first scheduled time strictly after `after`.
    fn next_scheduled_after(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let period_ms = self.period.num_milliseconds();
        let since = after.timestamp_millis() - self.offset.num_milliseconds();
        let next = (since.div_euclid(period_ms) + 1) * period_ms + self.offset.num_milliseconds();
        DateTime::from_timestamp_millis(next).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// When the next run's pod is created.
    pub fn next_at(&self) -> DateTime<Utc> {
        self.scheduled_at + self.lag
    }

    /// Creates the pod of the run due now (at [`next_at`](Self::next_at)) and schedules the
    /// next run.
    pub fn run(
        &mut self,
        pods: &mut Vec<SimPod>,
        workload: &Workload,
        nodes: &Nodes,
        rng: &mut ChaCha8Rng,
    ) -> CronRun {
        let at = self.next_at();
        let minutes = self.scheduled_at.timestamp().div_euclid(60);
        let name = format!("{}-{minutes}-{}", workload.name, random_name_part(rng, 5));
        let node = nodes.pick(at, rng);
        let run_for = millis(rng.random_range(60_000..300_000));
        let mut pod = SimPod::spawn(
            name.clone(),
            self.workload,
            workload,
            node,
            at,
            ImagePull::Present,
            Some(run_for),
            rng,
        );
        let completed_at = pod.timeline.succeeded_at.unwrap_or(at);
        let removed_at = completed_at + millis(rng.random_range(60_000..180_000));
        pod.removed_at = Some(removed_at);
        insert_grouped(pods, pod);
        self.scheduled_at = self.next_scheduled_after(self.scheduled_at);
        self.lag = millis(rng.random_range(200..3_000));
        CronRun {
            pod: name,
            start: at,
            removed_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn schedules_fall_on_their_minute_offsets() {
        let start: DateTime<Utc> = "2026-01-05T00:03:00Z".parse().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let (workloads, cronjobs) = build_cronjobs(3, 10, false, start, &mut rng);
        assert_eq!(workloads.len(), 3);
        for job in &cronjobs {
            assert!(job.scheduled_at > start - TimeDelta::milliseconds(1));
            assert!(job.scheduled_at - start < job.period);
            let minute = job.scheduled_at.timestamp() / 60;
            assert_eq!(
                minute % job.period.num_minutes(),
                job.offset.num_minutes() % job.period.num_minutes()
            );
            let next = job.next_scheduled_after(job.scheduled_at);
            assert_eq!(next - job.scheduled_at, job.period);
        }
    }
}
