//! Training: Adam on the Gaussian negative log-likelihood of the next step, seeded and
//! single-threaded so the same data and seed give the same weights bit for bit; early stopping
//! on the validation loss keeps the best epoch's weights.

use super::data::WindowSet;
use super::forecaster::{gaussian_nll, Architecture, Forecaster};
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    pub seed: u64,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub max_epochs: usize,
    /// Epochs without a better validation loss before stopping.
    pub patience: usize,
    /// Leading steps of each window whose forecasts are not scored (the state is still cold).
    pub burn_in: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            seed: 7,
            batch_size: 64,
            learning_rate: 3e-3,
            max_epochs: 40,
            patience: 4,
            burn_in: 8,
        }
    }
}

/// Where training is, for the progress bar.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingStatus {
    pub epoch: usize,
    pub max_epochs: usize,
    pub batch: usize,
    pub batches: usize,
    /// Mean loss over the epoch so far.
    pub train_loss: f64,
    /// Set once the epoch is finished.
    pub validation_loss: Option<f64>,
    pub best_validation_loss: Option<f64>,
    pub elapsed: Duration,
}

pub trait TrainingObserver {
    fn batch_done(&mut self, _status: &TrainingStatus) {}
    fn epoch_done(&mut self, _status: &TrainingStatus) {}
}

/// Ignores progress (tests, benches).
pub struct Quiet;
impl TrainingObserver for Quiet {}

#[derive(Debug)]
pub struct Trained {
    /// The best epoch's network, for inference (no autodiff).
    pub network: Forecaster,
    pub epochs_run: usize,
    pub best_epoch: usize,
    pub train_loss: f64,
    pub validation_loss: f64,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
    #[error("no training windows: the input holds no healthy stretch of {0} samples")]
    NoTrainingData(usize),
    #[error("no validation windows: the held-out pods hold no healthy stretch of {0} samples")]
    NoValidationData(usize),
}

/// The device everything runs on: Burn's pure-Rust CPU backend.
pub fn cpu_device() -> Device {
    Device::flex()
}

pub fn train(
    architecture: Architecture,
    train: &WindowSet,
    validation: &WindowSet,
    options: &TrainOptions,
    observer: &mut dyn TrainingObserver,
) -> Result<Trained, TrainError> {
    if train.is_empty() {
        return Err(TrainError::NoTrainingData(train.window));
    }
    if validation.is_empty() {
        return Err(TrainError::NoValidationData(validation.window));
    }
    let plain = cpu_device();
    let device = plain.clone().autodiff();
    let mut network = architecture.init_seeded(&device, options.seed);
    let mut optimizer = AdamConfig::new()
        .with_grad_clipping(Some(burn::grad_clipping::GradientClippingConfig::Norm(1.0)))
        .init();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(options.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    let batches = train.len().div_ceil(options.batch_size);
    let started = Instant::now();

    let mut best: Option<(f64, usize, f64, Forecaster)> = None;
    let mut epochs_run = 0;
    for epoch in 1..=options.max_epochs {
        epochs_run = epoch;
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        for (b, chunk) in order.chunks(options.batch_size).enumerate() {
            let (inputs, target, mask) = batch_tensors(train, chunk, options.burn_in, &device);
            let loss = gaussian_nll(network.forward(inputs), target, mask);
            let value = scalar(loss.clone());
            let grads = GradientsParams::from_grads(loss.backward(), &network);
            network = optimizer.step(options.learning_rate, network, grads);
            loss_sum += value;
            observer.batch_done(&TrainingStatus {
                epoch,
                max_epochs: options.max_epochs,
                batch: b + 1,
                batches,
                train_loss: loss_sum / (b + 1) as f64,
                validation_loss: None,
                best_validation_loss: best.as_ref().map(|b| b.0),
                elapsed: started.elapsed(),
            });
        }
        let train_loss = loss_sum / batches as f64;
        let current = network.valid();
        let validation_loss = evaluate(&current, validation, options, &plain);
        if best.as_ref().is_none_or(|b| validation_loss < b.0) {
            best = Some((validation_loss, epoch, train_loss, current));
        }
        let (best_loss, best_epoch, ..) = best.as_ref().expect("set above");
        observer.epoch_done(&TrainingStatus {
            epoch,
            max_epochs: options.max_epochs,
            batch: batches,
            batches,
            train_loss,
            validation_loss: Some(validation_loss),
            best_validation_loss: Some(*best_loss),
            elapsed: started.elapsed(),
        });
        if epoch - best_epoch >= options.patience {
            break;
        }
    }
    let (validation_loss, best_epoch, train_loss, network) = best.expect("at least one epoch");
    Ok(Trained {
        network,
        epochs_run,
        best_epoch,
        train_loss,
        validation_loss,
    })
}

/// Mean loss over a window set, without gradients.
pub fn evaluate(
    network: &Forecaster,
    set: &WindowSet,
    options: &TrainOptions,
    device: &Device,
) -> f64 {
    let all: Vec<usize> = (0..set.len()).collect();
    let mut weighted = 0.0;
    for chunk in all.chunks(256) {
        let (inputs, target, mask) = batch_tensors(set, chunk, options.burn_in, device);
        let loss = gaussian_nll(network.forward(inputs), target, mask);
        weighted += scalar(loss) * chunk.len() as f64;
    }
    weighted / set.len().max(1) as f64
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_data().try_into_vec::<f32>().expect("f32 loss")[0] as f64
}

/// The windows `idx` as (inputs, targets, target mask), each [batch, window - 1, features]:
/// position t of the inputs forecasts position t of the targets (the next step). Forecasts of
/// the first `burn_in` targets are not scored.
fn batch_tensors(
    set: &WindowSet,
    idx: &[usize],
    burn_in: usize,
    device: &Device,
) -> (Tensor<3>, Tensor<3>, Tensor<3>) {
    let (w, f) = (set.window, set.features);
    let steps = w - 1;
    let mut inputs = Vec::with_capacity(idx.len() * steps * f);
    let mut target = Vec::with_capacity(idx.len() * steps * f);
    let mut mask = Vec::with_capacity(idx.len() * steps * f);
    for &i in idx {
        let values = &set.values[i * w * f..(i + 1) * w * f];
        let measured = &set.measured[i * w * f..(i + 1) * w * f];
        inputs.extend_from_slice(&values[..steps * f]);
        target.extend_from_slice(&values[f..]);
        for t in 0..steps {
            let m = &measured[(t + 1) * f..(t + 2) * f];
            if t < burn_in {
                mask.extend(std::iter::repeat_n(0.0f32, f));
            } else {
                mask.extend_from_slice(m);
            }
        }
    }
    let shape = [idx.len(), steps, f];
    let t = |v: Vec<f32>| Tensor::<3>::from_data(TensorData::new(v, shape), device);
    (t(inputs), t(target), t(mask))
}
