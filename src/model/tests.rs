//! Tests of the model as a whole: determinism, save/load, bad model files, streaming.

use super::artifact::{self, ModelConfig, SurpriseConfig, TrainingRecord, FORMAT_VERSION};
use super::calibration::{Calibration, ReadingCalibration};
use super::data::WindowSet;
use super::forecaster::Architecture;
use super::streaming::{StreamInput, StreamingForecaster};
use super::training::{cpu_device, train, Quiet, TrainOptions};
use super::ModelLoadError;
use burn::tensor::{Tensor, TensorData};

const FEATURES: usize = 3;
const ARCH: Architecture = Architecture {
    inputs: FEATURES,
    forecast: FEATURES,
    hidden: 8,
};
const NAMES: [&str; FEATURES] = ["a", "b", "c"];

/// Deterministic wavy windows: each feature a phase-shifted sine with a small pseudo-noise.
fn windows(count: usize, window: usize, offset: usize) -> WindowSet {
    let mut set = WindowSet::new(window, FEATURES);
    for w in 0..count {
        let mut values = Vec::new();
        for t in 0..window {
            for f in 0..FEATURES {
                let k = (offset + w * 7 + t) as f32;
                let noise = (((k * 12.9898 + f as f32 * 78.233).sin() * 43758.547).fract()) * 0.1;
                values.push((k * 0.3 + f as f32).sin() + noise);
            }
        }
        set.push(&values, &vec![1.0; values.len()]);
    }
    set
}

fn options() -> TrainOptions {
    TrainOptions {
        seed: 3,
        batch_size: 8,
        max_epochs: 3,
        patience: 2,
        burn_in: 2,
        ..TrainOptions::default()
    }
}

fn config(calibration: ReadingCalibration) -> ModelConfig {
    ModelConfig {
        format_version: FORMAT_VERSION,
        kind: "test".into(),
        architecture: ARCH,
        features: NAMES.iter().map(|s| s.to_string()).collect(),
        normalisation: "none".into(),
        step_seconds: 5.0,
        window: 24,
        burn_in: 2,
        surprise: SurpriseConfig {
            cap: 20.0,
            smoothing: 0.3,
            warmup_steps: 5,
            drift_slack: 1.0,
            drift_residual_cap: 4.0,
            drift_memory: 1.0 / 120.0,
            drift_warmup: 30,
            drift_features: 11,
        },
        calibration,
        training: TrainingRecord {
            seed: 3,
            inputs: vec![],
            data_sha256: String::new(),
            windows_train: 0,
            windows_validation: 0,
            batch_size: 8,
            learning_rate: 3e-3,
            max_epochs: 3,
            patience: 2,
            epochs_run: 3,
            best_epoch: 3,
            train_loss: 0.0,
            validation_loss: 0.0,
            validation_alert_rate: 0.0,
        },
        weights_sha256: String::new(),
        crate_version: "test".into(),
        burn_version: "0.22.1".into(),
    }
}

fn calibration() -> ReadingCalibration {
    let table = Calibration::fit(&(0..2000).map(|i| i as f64 / 400.0).collect::<Vec<_>>()).unwrap();
    ReadingCalibration {
        spike: table.clone(),
        drift: table,
    }
}

#[test]
fn training_is_deterministic_with_a_seed_and_learns() {
    let (tr, va) = (windows(32, 24, 0), windows(8, 24, 1000));
    let a = train(ARCH, &tr, &va, &options(), &mut Quiet).unwrap();
    let b = train(ARCH, &tr, &va, &options(), &mut Quiet).unwrap();
    let bytes = |n| artifact::sha256_hex(&artifact::weights_bytes(n).unwrap());
    assert_eq!(
        bytes(&a.network),
        bytes(&b.network),
        "same seed, same weights"
    );
    let c = train(
        ARCH,
        &tr,
        &va,
        &TrainOptions {
            seed: 4,
            ..options()
        },
        &mut Quiet,
    )
    .unwrap();
    assert_ne!(
        bytes(&a.network),
        bytes(&c.network),
        "another seed, other weights"
    );
    // An untrained network forecasts worse than a trained one.
    let untrained = ARCH.init(&cpu_device());
    let before = super::training::evaluate(&untrained, &va, &options(), &cpu_device());
    assert!(
        a.validation_loss < before,
        "{} vs {before}",
        a.validation_loss
    );
}

#[test]
fn a_saved_model_loads_back_identical() {
    let dir = tempfile::tempdir().unwrap();
    let network = ARCH.init(&cpu_device());
    let saved = artifact::save(dir.path(), &network, config(calibration())).unwrap();
    let loaded = artifact::load(dir.path(), "test", &NAMES, &cpu_device()).unwrap();
    assert_eq!(loaded.config, saved);
    let digest = |n| artifact::sha256_hex(&artifact::weights_bytes(n).unwrap());
    assert_eq!(digest(&loaded.network), digest(&network));
}

#[test]
fn bad_model_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let err = |features: &[&str]| {
        artifact::load(p, "test", features, &cpu_device())
            .err()
            .unwrap()
    };

    assert!(matches!(err(&NAMES), ModelLoadError::Missing { .. }));

    let network = ARCH.init(&cpu_device());
    artifact::save(p, &network, config(calibration())).unwrap();
    // Features this build does not feed.
    let e = err(&["a", "b", "x"]);
    assert!(matches!(e, ModelLoadError::Mismatch { .. }), "{e}");
    assert!(e.to_string().contains("features"), "{e}");

    // A flipped byte in the weights.
    let w = p.join(artifact::WEIGHTS_FILE);
    let mut bytes = std::fs::read(&w).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&w, &bytes).unwrap();
    let e = err(&NAMES);
    assert!(matches!(e, ModelLoadError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("SHA-256"), "{e}");

    // Truncated weights whose digest was "fixed up": still refused, by the decoder.
    bytes.truncate(40);
    std::fs::write(&w, &bytes).unwrap();
    let c = p.join(artifact::CONFIG_FILE);
    let mut cfg: ModelConfig = serde_json::from_str(&std::fs::read_to_string(&c).unwrap()).unwrap();
    cfg.weights_sha256 = artifact::sha256_hex(&bytes);
    std::fs::write(&c, serde_json::to_string(&cfg).unwrap()).unwrap();
    assert!(matches!(err(&NAMES), ModelLoadError::Corrupt { .. }));

    // Weights of another architecture.
    let other = Architecture { hidden: 4, ..ARCH };
    let mut cfg2 = config(calibration());
    cfg2.architecture = other;
    artifact::save(p, &other.init(&cpu_device()), cfg2).unwrap();
    let mut cfg3: ModelConfig =
        serde_json::from_str(&std::fs::read_to_string(&c).unwrap()).unwrap();
    cfg3.architecture = ARCH;
    std::fs::write(&c, serde_json::to_string(&cfg3).unwrap()).unwrap();
    let e = err(&NAMES);
    assert!(matches!(e, ModelLoadError::Mismatch { .. }), "{e}");

    // Not JSON, and a format from another version.
    std::fs::write(&c, "{ not json").unwrap();
    assert!(matches!(err(&NAMES), ModelLoadError::Corrupt { .. }));
    std::fs::write(&c, r#"{"format_version": 99}"#).unwrap();
    let e = err(&NAMES);
    assert!(e.to_string().contains("format_version is 99"), "{e}");
}

#[test]
fn streaming_steps_equal_the_full_window_forward() {
    let device = cpu_device();
    device.seed(11);
    let network = ARCH.init(&device);
    let set = windows(3, 20, 5);
    let per = 20 * FEATURES;
    // Full windows at once: [3, 20, 3] → forecasts [3, 20, 3].
    let full = network.forward(Tensor::<3>::from_data(
        TensorData::new(set.values.clone(), [3, 20, FEATURES]),
        &device,
    ));
    let full_mean = full.mean.into_data().try_into_vec::<f32>().unwrap();
    let full_sigma = full
        .log_sigma
        .exp()
        .into_data()
        .try_into_vec::<f32>()
        .unwrap();

    let mut streaming: StreamingForecaster<usize> = StreamingForecaster::new(network, ARCH, device);
    let keys = [0usize, 1, 2];
    for t in 0..20 {
        let batch: Vec<StreamInput<'_, usize>> = keys
            .iter()
            .map(|k| StreamInput {
                key: k,
                values: &set.values[k * per + t * FEATURES..k * per + (t + 1) * FEATURES],
                measured: &set.measured[k * per + t * FEATURES..k * per + (t + 1) * FEATURES],
            })
            .collect();
        let surprises = streaming.step(&batch);
        for (k, s) in keys.iter().zip(surprises) {
            if t == 0 {
                assert!(s.is_none(), "nothing was forecast before the first sample");
                continue;
            }
            let s = s.unwrap();
            assert_eq!(s.steps_before, t as u64);
            for f in 0..FEATURES {
                // The forecast made at t - 1 for step t.
                let at = k * per + (t - 1) * FEATURES + f;
                assert!((s.expected[f] - full_mean[at]).abs() < 1e-5, "t {t} f {f}");
                let x = set.values[k * per + t * FEATURES + f];
                let r = (x - full_mean[at]) / full_sigma[at];
                assert!(
                    (s.residuals[f] - r).abs() < 1e-3 * r.abs().max(1.0),
                    "t {t} f {f}"
                );
            }
        }
    }
    streaming.forget(&[1]);
    assert_eq!(streaming.len(), 2, "a forgotten stream frees its state");
}
