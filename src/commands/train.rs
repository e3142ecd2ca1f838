//! `k8s-monitor train`: fits the LSTM on metrics CSVs (fault windows from labels left out),
//! calibrates it on held-out pods, and saves `config.json` + `model.bpk`.
//!
//! Seeded and single-threaded: the same inputs and seed give the same weights, byte for byte
//! (the SHA-256 in `config.json` shows it).

use super::train_progress::ProgressBar;
use crate::cli::TrainArgs;
use crate::csv_input::read_all_rows;
use crate::detector::{AnomalyScorer, StatisticalEnsemble, StatisticalSettings};
use crate::fault_label::{read_labels, FaultWindow};
use crate::features::tick_features::ticks;
use crate::features::FeatureBuilder;
use crate::features::SIGNAL_COUNT;
use crate::model::artifact::{
    self, sha256_hex, ModelConfig, StatisticsCalibration, SurpriseConfig, TrainingRecord,
    FORMAT_VERSION, POD_MODEL_KIND,
};
use crate::model::calibration::{Calibration, ReadingCalibration, ALERT_PROBABILITY};
use crate::model::data::AFTER_FAULT_MARGIN;
use crate::model::data::{is_validation_pod, pod_sequences, PodSequence, WindowSet};
use crate::model::training::{cpu_device, train, TrainOptions};
use crate::model::validation::healthy_readings;
use crate::model::{Architecture, POD_FEATURES, POD_FEATURE_COUNT};
use crate::settings::Settings;
use anyhow::{bail, Context};

/// How the daemon turns residuals into a surprise; saved with the model.
pub const SURPRISE: SurpriseConfig = SurpriseConfig {
    cap: 20.0,
    smoothing: 0.3,
    warmup_steps: 30,
    drift_slack: 1.0,
    drift_residual_cap: 4.0,
    drift_memory: 1.0 / 120.0,
    drift_warmup: 30,
    drift_features: SIGNAL_COUNT as u64,
};

pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let defaults = Settings::default();
    let dg = &defaults.dataset_generator;
    let signal = crate::pipeline::signal_settings(&defaults);
    let warm_up = defaults.anomaly_model.warm_up.as_secs_f64();
    // Before hours of training, not after: the default `--output` is the shipped model.
    if !args.force {
        if let Some(existing) = ["config.json", "model.bpk", "statistics.json"]
            .iter()
            .map(|f| args.output.join(f))
            .find(|p| p.exists())
        {
            bail!(
                "{} already holds a model ({}): train into another --output, or pass --force to \
                 replace it",
                args.output.display(),
                existing.display()
            );
        }
    }
    if args.window < 16 || args.burn_in >= args.window / 2 {
        bail!(
            "--window {} --burn-in {}: the window must be at least 16 samples and the burn-in \
             under half of it",
            args.window,
            args.burn_in
        );
    }

    let mut faults: Vec<FaultWindow> = Vec::new();
    let mut digests: Vec<(String, String)> = Vec::new();
    for path in &args.labels {
        faults.extend(read_labels(path)?);
        digests.push((path.display().to_string(), file_digest(path)?));
    }
    let mut sequences: Vec<PodSequence> = Vec::new();
    let mut steps: Vec<f64> = Vec::new();
    let mut evidence: Vec<f64> = Vec::new();
    for path in &args.input {
        digests.push((path.display().to_string(), file_digest(path)?));
        let (rows, stats) = read_all_rows(path, "default")?;
        if stats.rows_skipped > 0 {
            tracing::warn!(
                "{}: skipped {} bad rows {:?}",
                path.display(),
                stats.rows_skipped,
                stats.skipped_by_reason
            );
        }
        steps.extend(sampling_steps(&rows));
        evidence.extend(
            healthy_evidence(&rows, &faults, signal, dg.evict_after)
                .with_context(|| format!("scoring {}", path.display()))?,
        );
        // Each file is its own cluster history: features are built file by file.
        sequences.extend(
            pod_sequences(&rows, &faults, signal, dg.evict_after)
                .with_context(|| format!("building features of {}", path.display()))?,
        );
    }
    let step_seconds = median(&mut steps).context("the input has fewer than two timestamps")?;
    let data_sha256 = sha256_hex(
        digests
            .iter()
            .map(|(_, d)| d.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );

    let (validation_pods, train_pods): (Vec<&PodSequence>, Vec<&PodSequence>) = sequences
        .iter()
        .partition(|s| is_validation_pod(&s.key, args.seed, args.validation_percent));
    let mut train_set = WindowSet::new(args.window, POD_FEATURE_COUNT);
    for s in &train_pods {
        train_set.add_sequence(s, args.stride);
    }
    let mut validation_set = WindowSet::new(args.window, POD_FEATURE_COUNT);
    for s in &validation_pods {
        validation_set.add_sequence(s, args.window);
    }
    eprintln!(
        "training on {} pods ({} windows), validating on {} pods ({} windows); data {}",
        train_pods.len(),
        train_set.len(),
        validation_pods.len(),
        validation_set.len(),
        &data_sha256[..12]
    );

    let architecture = Architecture {
        inputs: POD_FEATURE_COUNT,
        forecast: POD_FEATURE_COUNT,
        hidden: args.hidden,
    };
    let options = TrainOptions {
        seed: args.seed,
        batch_size: args.batch_size,
        learning_rate: args.learning_rate,
        max_epochs: args.epochs,
        patience: args.patience,
        burn_in: args.burn_in,
    };
    let mut progress = ProgressBar::stderr();
    let trained = train(
        architecture,
        &train_set,
        &validation_set,
        &options,
        &mut progress,
    )?;
    progress.finish();

    let healthy = healthy_readings(
        trained.network.clone(),
        architecture,
        cpu_device(),
        &validation_pods,
        &SURPRISE,
        warm_up,
    );
    let calibration =
        ReadingCalibration::fit(&healthy).context("calibrating on the held-out pods")?;
    let statistics = Calibration::fit(&evidence).context("calibrating the statistics")?;
    let alert_rate = healthy
        .iter()
        .filter(|r| calibration.probability(r) >= ALERT_PROBABILITY)
        .count() as f64
        / healthy.len() as f64;

    let config = ModelConfig {
        format_version: FORMAT_VERSION,
        kind: POD_MODEL_KIND.to_string(),
        architecture,
        features: POD_FEATURES.iter().map(|s| s.to_string()).collect(),
        normalisation: "z-score of each signal against the pod's own normal, as its online \
                        detector learns it (robust exponentially weighted level and spread, \
                        2 h horizon; log scale for load-like signals), then asinh; state \
                        features 0/1 (restarts capped at 3)"
            .to_string(),
        step_seconds,
        window: args.window,
        burn_in: args.burn_in,
        surprise: SURPRISE,
        calibration,
        training: TrainingRecord {
            seed: args.seed,
            inputs: digests,
            data_sha256,
            windows_train: train_set.len(),
            windows_validation: validation_set.len(),
            batch_size: args.batch_size,
            learning_rate: args.learning_rate,
            max_epochs: args.epochs,
            patience: args.patience,
            epochs_run: trained.epochs_run,
            best_epoch: trained.best_epoch,
            train_loss: trained.train_loss,
            validation_loss: trained.validation_loss,
            validation_alert_rate: alert_rate,
        },
        weights_sha256: String::new(),
        crate_version: env!("CARGO_PKG_VERSION").to_string(),
        burn_version: "0.22.1".to_string(),
    };
    let config = artifact::save(&args.output, &trained.network, config)?;
    artifact::save_statistics(
        &args.output,
        &StatisticsCalibration {
            format_version: FORMAT_VERSION,
            evidence: statistics,
            signal_settings: StatisticsCalibration::describe(&signal),
            data_sha256: config.training.data_sha256.clone(),
        },
    )?;
    eprintln!(
        "best epoch {} of {} (validation loss {:.4}); {} healthy samples calibrated, {:.2e} of \
         them at or above 0.7\nsaved {} (weights SHA-256 {})",
        trained.best_epoch,
        trained.epochs_run,
        trained.validation_loss,
        config.calibration.spike.samples,
        alert_rate,
        args.output.display(),
        config.weights_sha256
    );
    Ok(())
}

/// The decades of the statistical detector's evidence (see
/// [`StatisticalEnsemble::score_detailed`]) at every healthy sample of a file's pods: outside
/// labelled fault windows and the margin after them.
fn healthy_evidence(
    rows: &[crate::metrics_row::PodMetricsRow],
    faults: &[FaultWindow],
    signal: crate::signal::SignalSettings,
    evict_after: std::time::Duration,
) -> Result<Vec<f64>, crate::features::FeatureError> {
    let mut features = FeatureBuilder::new(signal, evict_after);
    let mut statistics = StatisticalEnsemble::new(StatisticalSettings::default());
    let mut out = Vec::new();
    for tick in ticks(rows) {
        let scored = statistics.score_detailed(&features.tick(tick)?);
        for verdict in scored {
            let (score, decades) = (verdict.score, verdict.decades);
            let faulty = faults.iter().any(|w| {
                w.namespace == score.namespace
                    && w.pod == score.pod
                    && score.timestamp >= w.start
                    && score.timestamp <= w.end + AFTER_FAULT_MARGIN
            });
            if let Some(d) = decades.filter(|_| !faulty) {
                out.push(d);
            }
        }
        let gone = features.evict(tick[0].timestamp);
        statistics.forget(&gone);
    }
    Ok(out)
}

/// The steps between consecutive timestamps of a file's rows.
fn sampling_steps(rows: &[crate::metrics_row::PodMetricsRow]) -> Vec<f64> {
    let mut stamps: Vec<i64> = rows
        .iter()
        .map(|r| r.timestamp.timestamp_millis())
        .collect();
    stamps.dedup();
    stamps
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / 1000.0)
        .filter(|d| *d > 0.0)
        .collect()
}

fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

fn file_digest(path: &std::path::Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(sha256_hex(&bytes))
}
