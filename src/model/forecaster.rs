//! The network: an LSTM over a sequence of per-step inputs, and a linear head that forecasts
//! the next step as a Gaussian (a mean and a log spread per forecast feature).
//!
//! Forecasting with a spread, rather than reconstructing a window, gives a surprise for every
//! new sample at the cost of one LSTM step, and lets the network say "this signal is noisy
//! here" instead of turning every noisy pod into an alarm.

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::{Linear, LinearConfig, Lstm, LstmConfig, LstmState};
use burn::tensor::{Device, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Shape of the network; saved in `config.json` beside the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Architecture {
    /// Features fed to the LSTM at each step.
    pub inputs: usize,
    /// Leading input features that are also forecast.
    pub forecast: usize,
    /// LSTM hidden units.
    pub hidden: usize,
}

impl Architecture {
    /// A network with weights drawn from `seed` alone (Glorot-uniform matrices, zero biases).
    ///
    /// Burn's own initialisers draw from a per-device generator shared by every thread of the
    /// process, so two trainings running side by side would disturb each other's draws.
    pub fn init_seeded(&self, device: &Device, seed: u64) -> Forecaster {
        let mut init = SeededInit(rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        self.init(device).map(&mut init)
    }

    pub fn init(&self, device: &Device) -> Forecaster {
        Forecaster {
            lstm: LstmConfig::new(self.inputs, self.hidden, true).init(device),
            head: LinearConfig::new(self.hidden, 2 * self.forecast).init(device),
            forecast: self.forecast,
        }
    }
}

struct SeededInit(rand_chacha::ChaCha8Rng);

impl ModuleMapper for SeededInit {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let rng = &mut self.0;
        param.map(|value| {
            let dims = value.shape().as_slice().to_vec();
            let n: usize = dims.iter().product();
            let values: Vec<f32> = if dims.len() < 2 {
                vec![0.0; n]
            } else {
                let bound = (6.0 / (dims[0] + dims[dims.len() - 1]) as f64).sqrt();
                (0..n)
                    .map(|_| rng.random_range(-bound..bound) as f32)
                    .collect()
            };
            let grad = value.is_require_grad();
            Tensor::<D>::from_data(TensorData::new(values, dims), &value.device())
                .set_require_grad(grad)
        })
    }
}

/// Mean and log standard deviation of the forecast of the next step.
pub struct Forecast<const D: usize> {
    pub mean: Tensor<D>,
    pub log_sigma: Tensor<D>,
}

/// Log spreads are kept in a range where exp() neither vanishes nor explodes.
pub const LOG_SIGMA_MIN: f32 = -4.0;
pub const LOG_SIGMA_MAX: f32 = 3.0;

#[derive(Module, Debug)]
pub struct Forecaster {
    lstm: Lstm,
    head: Linear,
    forecast: usize,
}

impl Forecaster {
    /// Whole windows, as in training.
    ///
    /// `inputs`: [batch, steps, inputs] → forecasts for steps 1..=steps, each [batch, steps,
    /// forecast]: position t forecasts input t+1.
    pub fn forward(&self, inputs: Tensor<3>) -> Forecast<3> {
        let (hidden, _) = self.lstm.forward(inputs, None); // [batch, steps, hidden]
        self.head_of(hidden)
    }

    /// One step for many independent streams at once.
    ///
    /// `inputs`: [streams, inputs]; `state`: cell and hidden, each [streams, hidden] (None =
    /// all streams start cold) → the forecast of each stream's next step, [streams, forecast],
    /// and the advanced state.
    pub fn step(
        &self,
        inputs: Tensor<2>,
        state: Option<LstmState<2>>,
    ) -> (Forecast<2>, LstmState<2>) {
        let [streams, features] = inputs.dims();
        let (hidden, state) = self
            .lstm
            .forward(inputs.reshape([streams, 1, features]), state); // [streams, 1, hidden]
        let forecast = self.head_of(hidden);
        let f = self.forecast;
        (
            Forecast {
                mean: forecast.mean.reshape([streams, f]),
                log_sigma: forecast.log_sigma.reshape([streams, f]),
            },
            state,
        )
    }

    fn head_of(&self, hidden: Tensor<3>) -> Forecast<3> {
        let out = self.head.forward(hidden); // [batch, steps, 2 * forecast]
        let [b, t, _] = out.dims();
        let f = self.forecast;
        let mean = out.clone().slice([0..b, 0..t, 0..f]);
        let log_sigma = out
            .slice([0..b, 0..t, f..2 * f])
            .clamp(LOG_SIGMA_MIN, LOG_SIGMA_MAX);
        Forecast { mean, log_sigma }
    }
}

/// Mean Gaussian negative log-likelihood (without the constant) of `target` under `forecast`,
/// counting only entries where `mask` is 1.
///
/// All three are [batch, steps, forecast]; returns a one-element tensor.
pub fn gaussian_nll(forecast: Forecast<3>, target: Tensor<3>, mask: Tensor<3>) -> Tensor<1> {
    // Inputs beyond the forecast ones (such as the time of day) are context, not targets.
    let [batch, steps, features] = target.dims();
    let forecast_features = forecast.mean.dims()[2];
    let (target, mask) = if features > forecast_features {
        let keep = [0..batch, 0..steps, 0..forecast_features];
        (target.slice(keep.clone()), mask.slice(keep))
    } else {
        (target, mask)
    };
    let z = (target - forecast.mean) * forecast.log_sigma.clone().neg().exp();
    let per_entry = z.clone() * z * 0.5 + forecast.log_sigma; // [batch, steps, forecast]
    let counted = mask.clone().sum().clamp_min(1.0);
    (per_entry * mask).sum() / counted
}
