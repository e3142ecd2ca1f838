//! Streaming inference: every stream (a pod, or a NAB series) keeps its own LSTM state and is
//! advanced one step per new sample; all streams that moved in a cycle go through the network
//! together, in one batched step.
//!
//! A step first compares the new sample with the forecast the previous step made for it (the
//! surprise), then feeds the sample in and stores the forecast of the next one. New streams
//! start from the zero state, exactly as training windows do.

use super::forecaster::{Architecture, Forecaster};
use burn::nn::LstmState;
use burn::tensor::{Device, Tensor, TensorData};
use std::collections::HashMap;
use std::hash::Hash;

/// One new sample of one stream: values and a 0/1 mask of which were measured.
pub struct StreamInput<'a, K> {
    pub key: &'a K,
    pub values: &'a [f32],
    pub measured: &'a [f32],
}

/// How the sample compared with the forecast made for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Surprise {
    /// (value - forecast mean) / forecast spread, per forecast feature; NaN when unmeasured.
    pub residuals: Vec<f32>,
    /// The forecast means the residuals were measured against.
    pub expected: Vec<f32>,
    /// Steps this stream had taken before this sample (its LSTM's warm-up so far).
    pub steps_before: u64,
}

impl Surprise {
    /// The largest |residual| and its feature, if any feature was measured.
    pub fn strongest(&self) -> Option<(usize, f32)> {
        self.residuals
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_finite())
            .map(|(i, r)| (i, *r))
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
    }
}

/// Per stream: [cell (hidden), hidden (hidden), next mean (forecast), next spread (forecast)].
struct StreamState {
    buffer: Box<[f32]>,
    steps: u64,
}

pub struct StreamingForecaster<K> {
    model: Forecaster,
    architecture: Architecture,
    device: Device,
    streams: HashMap<K, StreamState>,
}

impl<K: Hash + Eq + Clone> StreamingForecaster<K> {
    pub fn new(model: Forecaster, architecture: Architecture, device: Device) -> Self {
        StreamingForecaster {
            model,
            architecture,
            device,
            streams: HashMap::new(),
        }
    }

    pub fn architecture(&self) -> Architecture {
        self.architecture
    }

    /// Streams currently held.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Frees the state of streams that are gone.
    pub fn forget<'a>(&mut self, keys: impl IntoIterator<Item = &'a K>)
    where
        K: 'a,
    {
        for k in keys {
            self.streams.remove(k);
        }
    }

    /// Advances each given stream by one sample, all in one forward pass; returns, in order,
    /// each sample's surprise (None for a stream's first sample: nothing was forecast yet).
    ///
    /// A key must appear at most once per call.
    pub fn step(&mut self, batch: &[StreamInput<'_, K>]) -> Vec<Option<Surprise>> {
        let n = batch.len();
        if n == 0 {
            return Vec::new();
        }
        let Architecture {
            inputs,
            forecast,
            hidden,
        } = self.architecture;
        let mut x = Vec::with_capacity(n * inputs);
        let mut cell = Vec::with_capacity(n * hidden);
        let mut hid = Vec::with_capacity(n * hidden);
        let mut surprises = Vec::with_capacity(n);
        for item in batch {
            assert_eq!(item.values.len(), inputs, "input width");
            x.extend_from_slice(item.values);
            match self.streams.get(item.key) {
                Some(state) => {
                    let b = &state.buffer;
                    cell.extend_from_slice(&b[..hidden]);
                    hid.extend_from_slice(&b[hidden..2 * hidden]);
                    let mean = &b[2 * hidden..2 * hidden + forecast];
                    let sigma = &b[2 * hidden + forecast..];
                    let residuals = (0..forecast)
                        .map(|i| {
                            if item.measured[i] > 0.0 {
                                (item.values[i] - mean[i]) / sigma[i]
                            } else {
                                f32::NAN
                            }
                        })
                        .collect();
                    surprises.push(Some(Surprise {
                        residuals,
                        expected: mean.to_vec(),
                        steps_before: state.steps,
                    }));
                }
                None => {
                    cell.resize(cell.len() + hidden, 0.0);
                    hid.resize(hid.len() + hidden, 0.0);
                    surprises.push(None);
                }
            }
        }

        let tensor = |data: Vec<f32>, width: usize| {
            Tensor::<2>::from_data(TensorData::new(data, [n, width]), &self.device)
        };
        let state = LstmState::new(tensor(cell, hidden), tensor(hid, hidden));
        let (next, state) = self.model.step(tensor(x, inputs), Some(state));
        let read = |t: Tensor<2>| -> Vec<f32> {
            t.into_data()
                .try_into_vec::<f32>()
                .expect("the model computes in f32")
        };
        let cell = read(state.cell);
        let hid = read(state.hidden);
        let mean = read(next.mean);
        let sigma = read(next.log_sigma.exp());

        for (j, item) in batch.iter().enumerate() {
            let entry = self
                .streams
                .entry(item.key.clone())
                .or_insert_with(|| StreamState {
                    buffer: vec![0.0; 2 * hidden + 2 * forecast].into_boxed_slice(),
                    steps: 0,
                });
            let b = &mut entry.buffer;
            b[..hidden].copy_from_slice(&cell[j * hidden..(j + 1) * hidden]);
            b[hidden..2 * hidden].copy_from_slice(&hid[j * hidden..(j + 1) * hidden]);
            b[2 * hidden..2 * hidden + forecast]
                .copy_from_slice(&mean[j * forecast..(j + 1) * forecast]);
            b[2 * hidden + forecast..].copy_from_slice(&sigma[j * forecast..(j + 1) * forecast]);
            entry.steps += 1;
        }
        surprises
    }
}
