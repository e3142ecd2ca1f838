//! Cost of the LSTM: streaming inference, a full-window forward pass, and training.
//!
//! - `lstm_stream_step/{10000,100000}`: one daemon cycle of the streaming forecaster: N pods
//!   each advanced one step, in one batched forward pass, and its spike and drift statistics
//!   updated (throughput in pod-steps).
//! - `lstm_window_forward/256`: 256 whole windows of 128 steps at once (what re-scoring full
//!   windows every cycle would cost, for comparison).
//! - `lstm_train_epoch/512`: one training epoch over 512 windows of 128 steps (forward,
//!   backward, Adam; batch 64), plus the validation pass over 64 windows.
//!
//! The network has the default model's shape (14 features, 32 hidden units); its weights do
//! not change the cost. Run: `cargo bench --bench model`.

use burn::tensor::{Tensor, TensorData};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use k8s_monitor::commands::train::SURPRISE;
use k8s_monitor::model::data::WindowSet;
use k8s_monitor::model::surprise::SurpriseTracker;
use k8s_monitor::model::training::{cpu_device, train, Quiet, TrainOptions};
use k8s_monitor::model::{Architecture, StreamInput, StreamingForecaster, POD_FEATURE_COUNT};
use std::hint::black_box;
use std::time::Duration;

const ARCH: Architecture = Architecture {
    inputs: POD_FEATURE_COUNT,
    forecast: POD_FEATURE_COUNT,
    hidden: 32,
};
const WINDOW: usize = 128;

/// Deterministic inputs of the right scale (asinh of z-scores: mostly within ±2).
fn value(i: usize) -> f32 {
    ((i as f32 * 0.618).fract() - 0.5) * 3.0
}

fn stream_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("lstm_stream_step");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    for pods in [10_000usize, 100_000] {
        let device = cpu_device();
        let mut forecaster: StreamingForecaster<u64> =
            StreamingForecaster::new(ARCH.init(&device), ARCH, device);
        let keys: Vec<u64> = (0..pods as u64).collect();
        let values: Vec<f32> = (0..pods * POD_FEATURE_COUNT).map(value).collect();
        let measured = vec![1.0f32; values.len()];
        let batch: Vec<StreamInput<'_, u64>> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| StreamInput {
                key: k,
                values: &values[i * POD_FEATURE_COUNT..(i + 1) * POD_FEATURE_COUNT],
                measured: &measured[i * POD_FEATURE_COUNT..(i + 1) * POD_FEATURE_COUNT],
            })
            .collect();
        forecaster.step(&batch); // every pod has state from here on: steady state
        group.throughput(Throughput::Elements(pods as u64));
        // The scorer's per-pod statistics ride along, as in the daemon: spike and drift.
        let config = SURPRISE;
        let mut trackers = vec![SurpriseTracker::default(); pods];
        group.bench_function(BenchmarkId::from_parameter(pods), |b| {
            b.iter(|| {
                let surprises = forecaster.step(&batch);
                for (t, s) in trackers.iter_mut().zip(&surprises) {
                    if let Some(s) = s {
                        black_box(t.advance(s, &config));
                    }
                }
            })
        });
    }
    group.finish();
}

fn window_forward(c: &mut Criterion) {
    let mut group = c.benchmark_group("lstm_window_forward");
    group.sample_size(10);
    let device = cpu_device();
    let network = ARCH.init(&device);
    let batch = 256;
    let data: Vec<f32> = (0..batch * WINDOW * POD_FEATURE_COUNT).map(value).collect();
    group.throughput(Throughput::Elements(batch as u64));
    group.bench_function(BenchmarkId::from_parameter(batch), |b| {
        b.iter(|| {
            let x = Tensor::<3>::from_data(
                TensorData::new(data.clone(), [batch, WINDOW, POD_FEATURE_COUNT]),
                &device,
            );
            let f = network.forward(x);
            black_box(f.mean.into_data())
        })
    });
    group.finish();
}

fn windows(count: usize, offset: usize) -> WindowSet {
    let mut set = WindowSet::new(WINDOW, POD_FEATURE_COUNT);
    let n = WINDOW * POD_FEATURE_COUNT;
    for w in 0..count {
        let values: Vec<f32> = (0..n).map(|i| value(offset + w * n + i)).collect();
        set.push(&values, &vec![1.0; n]);
    }
    set
}

fn train_epoch(c: &mut Criterion) {
    let mut group = c.benchmark_group("lstm_train_epoch");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(60));
    let (tr, va) = (windows(512, 0), windows(64, 1 << 24));
    let options = TrainOptions {
        max_epochs: 1,
        ..TrainOptions::default()
    };
    group.throughput(Throughput::Elements(tr.len() as u64));
    group.bench_function(BenchmarkId::from_parameter(tr.len()), |b| {
        b.iter(|| {
            black_box(
                train(ARCH, &tr, &va, &options, &mut Quiet)
                    .unwrap()
                    .validation_loss,
            )
        })
    });
    group.finish();
}

criterion_group!(benches, stream_step, window_forward, train_epoch);
criterion_main!(benches);
