//! Throughput of the per-tick work of the daemon, on rows from the built-in simulated cluster.
//!
//! Groups (throughput in rows = pods per tick):
//! - `ingest_features_score/{1000,10000}`: one collection tick of N pods as the daemon handles it:
//!   [`RowParser::parse`] on N canonical CSV lines (validation and ordering checks included), then
//!   [`ScoringPipeline::score_rows`] (each signal's online detector, the Polars peer frame, the
//!   Kubernetes-state rules and, with the default ensemble, one batched LSTM step). Pods have
//!   [`INGEST_HISTORY`] ticks of history each (1 hour at 5 s).
//! - `history_independence/{120,720}`: the same tick at 1,000 pods after 10 minutes and after an
//!   hour of history: every per-pod summary is streamed, so the cost should not grow with it.
//! - `generate/1000`: [`SimulatedCluster::tick`] + [`PodMetricsRow::write_csv_line`].
//! - `parse_only/10000`: [`RowParser::parse`] alone, to separate ingest from features.
//!
//! Run: `cargo bench --bench pipeline` (a few minutes on 2 cores; add a filter such as
//! `-- ingest_features_score/1000` to run one benchmark and pay only its warm-up). Warming fills
//! history the way a daemon restart does ([`ScoringPipeline::replay`]): every tick is parsed and
//! goes through the pipeline, its scores dropped.
//! Profile one benchmark without criterion's analysis:
//! `perf record -g <bench binary> --bench 'ingest_features_score/1000$' --profile-time 15`.
//!
//! Setup (warm-up) is not timed. The pipeline keeps state and the parser rejects rows that are not
//! newer than the pod's last one, so every timed iteration gets the *next* tick's lines, generated
//! in `iter_batched` setup: each iteration is a steady-state tick with a full history window.

use chrono::{DateTime, TimeDelta, Utc};
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use k8s_monitor::csv_input::{Layout, RowParser};
use k8s_monitor::metrics_row::PodMetricsRow;
use k8s_monitor::pipeline::ScoringPipeline;
use k8s_monitor::settings::Settings;
use k8s_monitor::simulator::{SimulatedCluster, SimulatorSettings};
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// History length (samples per pod) of `ingest_features_score`: the default.
const INGEST_HISTORY: usize = 720;

/// The daemon's default collection interval: simulated ticks are this far apart.
const INTERVAL: TimeDelta = TimeDelta::seconds(5);

/// Fixed start, so every run sees the same simulated rows.
fn start() -> DateTime<Utc> {
    "2026-01-05T08:00:00Z".parse().expect("valid timestamp")
}

/// A simulated cluster and the canonical CSV lines of its next tick.
struct Source {
    cluster: SimulatedCluster,
    now: DateTime<Utc>,
}

impl Source {
    fn new(pods: usize) -> Source {
        let settings = SimulatorSettings {
            pods,
            ..SimulatorSettings::default()
        };
        Source {
            cluster: SimulatedCluster::new(&settings, start()),
            now: start(),
        }
    }

    /// The next tick as canonical CSV text, one line per pod, as the CsvWriter appends it.
    fn next_lines(&mut self) -> String {
        self.now += INTERVAL;
        let rows = self.cluster.tick(self.now);
        let mut out = String::with_capacity(rows.len() * 256);
        for row in &rows {
            row.write_csv_line(&mut out);
        }
        out
    }
}

/// What the daemon does with one tick's lines: parse and validate, then score.
fn ingest(parser: &mut RowParser, pipeline: &mut ScoringPipeline, lines: &str) -> usize {
    let rows: Vec<PodMetricsRow> = lines
        .lines()
        .enumerate()
        .map(|(i, line)| {
            parser
                .parse(i as u64 + 1, line)
                .expect("simulated rows are valid")
        })
        .collect();
    let (scores, _evicted) = pipeline.score_rows(&rows).expect("scoring succeeds");
    scores.len()
}

/// Parser and pipeline after `history` ticks, plus the source of the ticks that follow.
struct Warmed {
    source: Source,
    parser: RowParser,
    pipeline: ScoringPipeline,
}

fn warm(pods: usize, history: usize) -> Warmed {
    let began = Instant::now();
    let settings = Settings::default();
    let mut warmed = Warmed {
        source: Source::new(pods),
        parser: RowParser::new("bench.csv".to_string(), Layout::Canonical),
        pipeline: ScoringPipeline::from_settings(&settings),
    };
    // Ticks each pod appeared in, to report how full the windows really are: rolling restarts
    // replace pods during warm-up, and the new ones have a shorter history.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut last_tick_pods = Vec::new();
    let mut replay: Vec<PodMetricsRow> = Vec::new();
    for _ in 0..history {
        let lines = warmed.source.next_lines();
        // namespace,pod: the 2nd and 3rd fields (simulated names need no quoting).
        last_tick_pods = lines
            .lines()
            .map(|l| l.split(',').skip(1).take(2).collect::<Vec<_>>().join(","))
            .collect();
        for pod in &last_tick_pods {
            *seen.entry(pod.clone()).or_default() += 1;
        }
        replay.extend(lines.lines().enumerate().map(|(i, line)| {
            warmed
                .parser
                .parse(i as u64 + 1, line)
                .expect("simulated rows are valid")
        }));
    }
    warmed.pipeline.replay(&replay).expect("replay succeeds");
    drop(replay);
    let samples: usize = last_tick_pods.iter().map(|p| seen[p].min(history)).sum();
    eprintln!(
        "warmed {pods} pods x {history} ticks in {:.1?}: {} pods tracked, windows {:.0}% full",
        began.elapsed(),
        warmed.pipeline.pods_tracked(),
        100.0 * samples as f64 / (last_tick_pods.len() * history) as f64,
    );
    warmed
}

/// Benchmarks one steady-state tick of `pods` pods with `history` samples per pod. The warm-up
/// runs on first use only, so a filtered-out benchmark costs nothing.
fn bench_tick(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    pods: usize,
    history: usize,
) {
    let mut state: Option<Warmed> = None;
    group.bench_function(id, |b| {
        let Warmed {
            source,
            parser,
            pipeline,
        } = state.get_or_insert_with(|| warm(pods, history));
        b.iter_batched(
            || source.next_lines(),
            |lines| black_box(ingest(parser, pipeline, &lines)),
            BatchSize::PerIteration,
        );
    });
}

fn ingest_features_score(c: &mut Criterion) {
    let mut group = c.benchmark_group("ingest_features_score");
    // Ticks take 0.1–several seconds: few flat samples keep the whole run to minutes.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    for pods in [1_000, 10_000] {
        group.throughput(Throughput::Elements(pods as u64));
        bench_tick(
            &mut group,
            BenchmarkId::from_parameter(pods),
            pods,
            INGEST_HISTORY,
        );
    }
    group.finish();
}

fn history_independence(c: &mut Criterion) {
    let mut group = c.benchmark_group("history_independence");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(1_000));
    for history in [120, 720] {
        bench_tick(
            &mut group,
            BenchmarkId::new("pods_1000_history", history),
            1_000,
            history,
        );
    }
    group.finish();
}

fn generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    let pods = 1_000;
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(pods as u64));
    // One cluster throughout: criterion calls the closure once per sample, and a cluster
    // rebuilt each time would keep measuring its first ticks.
    let mut state: Option<Source> = None;
    group.bench_function(BenchmarkId::from_parameter(pods), |b| {
        let source = state.get_or_insert_with(|| Source::new(pods));
        b.iter(|| black_box(source.next_lines()));
    });
    group.finish();
}

fn parse_only(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_only");
    let pods = 10_000;
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(pods as u64));
    let mut state: Option<(Source, RowParser)> = None;
    group.bench_function(BenchmarkId::from_parameter(pods), |b| {
        // One parser throughout, as in the daemon: every pod is known, each row updates its
        // last-accepted timestamp (steady state, not first sight).
        let (source, parser) = state.get_or_insert_with(|| {
            (
                Source::new(pods),
                RowParser::new("bench.csv".to_string(), Layout::Canonical),
            )
        });
        b.iter_batched(
            || source.next_lines(),
            |lines| {
                lines
                    .lines()
                    .enumerate()
                    .filter(|(i, line)| parser.parse(*i as u64 + 1, line).is_ok())
                    .count()
            },
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

criterion_group!(
    benches,
    ingest_features_score,
    history_independence,
    generate,
    parse_only
);
criterion_main!(benches);
