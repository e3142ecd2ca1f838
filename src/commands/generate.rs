//! `k8s-monitor generate`: a labelled simulated data set, as fast as the disk allows.

use super::duration_flag;
use crate::cli::GenerateArgs;
use crate::simulator::{generate_dataset, GenerateOptions, SimulatorSettings};
use anyhow::{bail, Context};

/// The cluster and sampling step `generate` and `simulate` build from their flags, validated:
/// the same values give the same cluster.
pub fn cluster_from_flags(
    pods: usize,
    seed: u64,
    step: &str,
    first_fault_after: &str,
) -> anyhow::Result<(SimulatorSettings, std::time::Duration)> {
    let step = duration_flag("--step", step)?;
    let first_fault_after = duration_flag("--first-fault-after", first_fault_after)?;
    if step.is_zero() {
        bail!("--step must be greater than zero");
    }
    if pods == 0 {
        bail!("--pods must be at least 1");
    }
    let settings = SimulatorSettings {
        pods,
        seed,
        first_fault_after,
        ..SimulatorSettings::default()
    };
    Ok((settings, step))
}

pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let duration = duration_flag("--duration", &args.duration)?;
    let (settings, step) =
        cluster_from_flags(args.pods, args.seed, &args.step, &args.first_fault_after)?;
    let start = chrono::DateTime::parse_from_rfc3339(&args.start)
        .with_context(|| format!("--start {:?} is not an RFC 3339 time", args.start))?
        .with_timezone(&chrono::Utc);
    let opts = GenerateOptions {
        settings,
        start,
        duration,
        step,
    };
    let began = std::time::Instant::now();
    let summary = generate_dataset(&opts, &args.output)
        .with_context(|| format!("generating a data set in {}", args.output.display()))?;
    let secs = began.elapsed().as_secs_f64();
    println!(
        "wrote {} rows for {} pods with {} labelled faults and {} benign events in {:.1}s ({:.0} rows/s)\n  {}\n  {}\n  {}",
        summary.rows,
        summary.pods_seen,
        summary.faults,
        summary.benign,
        secs,
        summary.rows as f64 / secs.max(1e-9),
        summary.csv_path.display(),
        summary.labels_path.display(),
        summary.benign_path.display()
    );
    Ok(())
}
