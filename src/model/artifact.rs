//! A trained model on disk: `config.json` (everything needed to rebuild and trust the
//! network) beside `model.bpk` (the weights, Burn's burnpack format).
//!
//! Loading checks, in order: the config parses and is of this format version; it describes
//! the features this build feeds; the weights file matches the digest in the config; the
//! weights fit the architecture. Each failure is its own error, so the daemon can say exactly
//! why it fell back to the statistical detectors.

use super::calibration::{Calibration, ReadingCalibration};
use super::forecaster::{Architecture, Forecaster};
use crate::atomic_file::write_atomic;
use crate::signal::SignalSettings;
use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, Device, Tensor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub const CONFIG_FILE: &str = "config.json";
/// The statistical detector's calibration, beside the network but independent of it: a model
/// whose weights cannot be used still leaves the statistics calibrated.
pub const STATISTICS_FILE: &str = "statistics.json";
pub const WEIGHTS_FILE: &str = "model.bpk";
/// Bumped whenever the meaning of a saved model changes.
pub const FORMAT_VERSION: u32 = 3;
/// `kind` of the daemon's model: it reads [`super::POD_FEATURES`].
pub const POD_MODEL_KIND: &str = "pod";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    pub format_version: u32,
    /// What the network models: "pod" (the daemon's features).
    pub kind: String,
    pub architecture: Architecture,
    /// Input features, in order.
    pub features: Vec<String>,
    /// How raw metrics become the inputs.
    pub normalisation: String,
    /// The sampling interval the network was trained at, in seconds: one LSTM step is this
    /// long. Streams sampled more finely are stepped at this interval; streams sampled more
    /// coarsely are not given to the network (its dynamics were learned at this step).
    pub step_seconds: f64,
    /// Training window length (steps) and the leading steps left out of the loss.
    pub window: usize,
    pub burn_in: usize,
    /// How a sample's residuals become a spike and a drift statistic, and those a probability.
    pub surprise: SurpriseConfig,
    /// Tail rates of both statistics on healthy held-out pods.
    pub calibration: ReadingCalibration,
    pub training: TrainingRecord,
    /// SHA-256 of `model.bpk`.
    pub weights_sha256: String,
    /// Versions that wrote the model.
    pub crate_version: String,
    pub burn_version: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurpriseConfig {
    /// Residuals are capped at this many spreads before smoothing.
    pub cap: f64,
    /// EWMA weight of the newest sample's surprise.
    pub smoothing: f64,
    /// LSTM steps a stream takes before its surprise is trusted.
    pub warmup_steps: u64,
    /// Spreads a residual must exceed to add to its feature's drift sum.
    pub drift_slack: f64,
    /// Residuals are capped at this many spreads before adding to a drift sum.
    pub drift_residual_cap: f64,
    /// EWMA weight of each residual in its stream's recent mean and spread.
    pub drift_memory: f64,
    /// Measured residuals of a feature before its drift sum starts.
    pub drift_warmup: u64,
    /// The leading features whose residuals are summed (the numeric signals, not the states).
    pub drift_features: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRecord {
    pub seed: u64,
    /// Input files and SHA-256 of their bytes (labels included), in the order given.
    pub inputs: Vec<(String, String)>,
    /// SHA-256 over the input digests: the identity of the training data.
    pub data_sha256: String,
    pub windows_train: usize,
    pub windows_validation: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub max_epochs: usize,
    pub patience: usize,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub train_loss: f64,
    pub validation_loss: f64,
    /// Healthy validation samples at or above 0.7, per sample, measured after calibration.
    pub validation_alert_rate: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelLoadError {
    #[error("no model at {path}: {source}")]
    Missing {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("model file {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("model in {path} does not fit this build: {reason}")]
    Mismatch { path: PathBuf, reason: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ModelSaveError {
    #[error("serialising the weights: {0}")]
    Serialise(String),
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A loaded model: the network and what it was saved with.
pub struct LoadedModel {
    pub config: ModelConfig,
    pub network: Forecaster,
}

/// Gives parameters ids 1, 2, … in traversal order: Burn draws them from OS entropy, which
/// would make two trainings with the same seed differ in their saved bytes (not their weights).
struct NumberParams(u64);

impl ModuleMapper for NumberParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        self.0 += 1;
        let (_, value, _) = param.consume();
        Param::initialized(ParamId::from(self.0), value)
    }
}

/// The weights in burnpack bytes; the same weights always give the same bytes.
pub fn weights_bytes(network: &Forecaster) -> Result<Vec<u8>, ModelSaveError> {
    let bytes = network
        .clone()
        .map(&mut NumberParams(0))
        .into_record()
        .into_bytes()
        .map_err(|e| ModelSaveError::Serialise(e.to_string()))?;
    Ok(bytes.to_vec())
}

/// Writes `model.bpk` and `config.json` into `dir` (created if needed), each atomically, the
/// config last so a reader never sees a config whose weights are not there yet.
/// `config.weights_sha256` is filled in here.
pub fn save(
    dir: &Path,
    network: &Forecaster,
    mut config: ModelConfig,
) -> Result<ModelConfig, ModelSaveError> {
    std::fs::create_dir_all(dir).map_err(|source| ModelSaveError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let weights = weights_bytes(network)?;
    config.weights_sha256 = sha256_hex(&weights);
    let wpath = dir.join(WEIGHTS_FILE);
    write_atomic(&wpath, &weights).map_err(|source| ModelSaveError::Write {
        path: wpath,
        source,
    })?;
    let mut json = serde_json::to_string_pretty(&config).expect("config serialises");
    json.push('\n');
    let cpath = dir.join(CONFIG_FILE);
    write_atomic(&cpath, json.as_bytes()).map_err(|source| ModelSaveError::Write {
        path: cpath,
        source,
    })?;
    Ok(config)
}

/// The statistical detector's calibration on disk (`statistics.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsCalibration {
    pub format_version: u32,
    /// Tail rates of the statistical detector's evidence (the decades of its pod-level rate,
    /// see [`crate::detector::StatisticalEnsemble`]) on the healthy samples of every training
    /// pod: what makes the statistics' probability a calibrated one.
    pub evidence: Calibration,
    /// The per-signal detector's settings it was fitted with, as text: a build whose settings
    /// differ reads the table as fitted on another detector (logged, used anyway).
    pub signal_settings: String,
    /// SHA-256 over the training inputs' digests.
    pub data_sha256: String,
}

impl StatisticsCalibration {
    pub fn describe(settings: &SignalSettings) -> String {
        format!("{settings:?}")
    }
}

/// Writes `statistics.json` into `dir` (atomically).
pub fn save_statistics(dir: &Path, s: &StatisticsCalibration) -> Result<(), ModelSaveError> {
    std::fs::create_dir_all(dir).map_err(|source| ModelSaveError::Write {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut json = serde_json::to_string_pretty(s).expect("calibration serialises");
    json.push('\n');
    let path = dir.join(STATISTICS_FILE);
    write_atomic(&path, json.as_bytes()).map_err(|source| ModelSaveError::Write { path, source })
}

/// Where a model is read from: a directory, or the copy built into the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelLocation<'a> {
    /// The repository's `models/model_artifacts` as it was when the binary was compiled, so
    /// `detect` and the daemon work from any directory. A retrained model there is picked up
    /// by the next build (cargo tracks the included files).
    BuiltIn,
    Dir(&'a Path),
}

/// The built-in model's files, by name.
const BUILT_IN: [(&str, &[u8]); 3] = [
    (
        CONFIG_FILE,
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/model_artifacts/config.json"
        )),
    ),
    (
        WEIGHTS_FILE,
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/model_artifacts/model.bpk"
        )),
    ),
    (
        STATISTICS_FILE,
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/model_artifacts/statistics.json"
        )),
    ),
];

impl<'a> ModelLocation<'a> {
    /// `[anomaly_model] model_dir`: unset is the built-in model.
    pub fn of(model_dir: Option<&'a Path>) -> ModelLocation<'a> {
        model_dir.map_or(ModelLocation::BuiltIn, ModelLocation::Dir)
    }

    /// The file's path as errors name it (`<built-in>/config.json` for the built-in model).
    pub fn path(&self, file: &str) -> PathBuf {
        match self {
            ModelLocation::BuiltIn => Path::new("<built-in model>").join(file),
            ModelLocation::Dir(dir) => dir.join(file),
        }
    }

    fn read(&self, file: &str) -> Result<Vec<u8>, ModelLoadError> {
        let path = self.path(file);
        match self {
            ModelLocation::BuiltIn => BUILT_IN
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, bytes)| bytes.to_vec())
                .ok_or_else(|| ModelLoadError::Missing {
                    path,
                    source: std::io::ErrorKind::NotFound.into(),
                }),
            ModelLocation::Dir(_) => {
                std::fs::read(&path).map_err(|source| ModelLoadError::Missing { path, source })
            }
        }
    }

    fn read_text(&self, file: &str) -> Result<String, ModelLoadError> {
        String::from_utf8(self.read(file)?).map_err(|e| ModelLoadError::Corrupt {
            path: self.path(file),
            reason: e.to_string(),
        })
    }
}

impl std::fmt::Display for ModelLocation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModelLocation::BuiltIn => write!(f, "the built-in model"),
            ModelLocation::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// Reads `statistics.json` from a model directory.
pub fn load_statistics(dir: &Path) -> Result<StatisticsCalibration, ModelLoadError> {
    load_statistics_from(ModelLocation::Dir(dir))
}

/// Reads `statistics.json` of a model.
pub fn load_statistics_from(
    at: ModelLocation<'_>,
) -> Result<StatisticsCalibration, ModelLoadError> {
    let path = at.path(STATISTICS_FILE);
    let text = at.read_text(STATISTICS_FILE)?;
    let s: StatisticsCalibration =
        serde_json::from_str(&text).map_err(|e| ModelLoadError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    if s.format_version != FORMAT_VERSION {
        return Err(ModelLoadError::Mismatch {
            path,
            reason: format!(
                "format_version is {}, this build reads {FORMAT_VERSION}",
                s.format_version
            ),
        });
    }
    Ok(s)
}

/// Loads and checks a model directory against what this build expects (`kind`, `features`).
pub fn load(
    dir: &Path,
    kind: &str,
    features: &[&str],
    device: &Device,
) -> Result<LoadedModel, ModelLoadError> {
    load_from(ModelLocation::Dir(dir), kind, features, device)
}

/// Loads and checks a model against what this build expects (`kind`, `features`).
pub fn load_from(
    at: ModelLocation<'_>,
    kind: &str,
    features: &[&str],
    device: &Device,
) -> Result<LoadedModel, ModelLoadError> {
    let cpath = at.path(CONFIG_FILE);
    let text = at.read_text(CONFIG_FILE)?;
    let corrupt = |path: &Path, reason: String| ModelLoadError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let mismatch = |reason: String| ModelLoadError::Mismatch {
        path: cpath.clone(),
        reason,
    };
    // The version first, so an old or future format is named as such, not as a parse error.
    let version = serde_json::from_str::<serde_json::Value>(&text)
        .map_err(|e| corrupt(&cpath, e.to_string()))?
        .get("format_version")
        .and_then(|v| v.as_u64());
    if version != Some(FORMAT_VERSION as u64) {
        return Err(mismatch(format!(
            "format_version is {}, this build reads {FORMAT_VERSION}",
            version.map_or("missing".to_string(), |v| v.to_string())
        )));
    }
    let config: ModelConfig =
        serde_json::from_str(&text).map_err(|e| corrupt(&cpath, e.to_string()))?;
    if config.kind != kind {
        return Err(mismatch(format!(
            "it models {:?}, expected {kind:?}",
            config.kind
        )));
    }
    if config.features != features {
        return Err(mismatch(format!(
            "features are {:?}, this build feeds {:?}",
            config.features, features
        )));
    }
    let a = config.architecture;
    if a.inputs != features.len() || a.forecast > a.inputs || a.hidden == 0 || a.hidden > 4096 {
        return Err(mismatch(format!(
            "architecture {a:?} does not fit {} features",
            features.len()
        )));
    }
    let wpath = at.path(WEIGHTS_FILE);
    let weights = at.read(WEIGHTS_FILE)?;
    let digest = sha256_hex(&weights);
    if digest != config.weights_sha256 {
        return Err(corrupt(
            &wpath,
            format!(
                "SHA-256 is {digest}, {} expects {}",
                CONFIG_FILE, config.weights_sha256
            ),
        ));
    }
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(weights))
        .map_err(|e| corrupt(&wpath, e.to_string()))?;
    let network = a
        .init(device)
        .try_load_record(record)
        .map_err(|e| ModelLoadError::Mismatch {
            path: wpath.clone(),
            reason: e.to_string(),
        })?;
    Ok(LoadedModel { config, network })
}
