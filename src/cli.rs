//! The command line: `k8s-monitor run | generate | simulate | detect | train | eval`.
//!
//! `run` keeps the flag names and defaults of the original Python system; defaults shown here
//! are the built-in ones, which `agents.toml` and `K8S_MONITOR_*` variables may change (a flag
//! given on the command line always wins).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "k8s-monitor",
    version,
    about = "Watches the pods of a Kubernetes cluster, learns how each one normally behaves, and flags anomalies.",
    long_about = "Watches the pods of a Kubernetes cluster (or a built-in simulated cluster), learns how \
each one normally behaves, and flags anomalies with a probability and the evidence behind it.\n\n\
Quick start, no cluster needed:  k8s-monitor run\n\
Metrics are appended to data/pod_metrics.csv and anomalies written to data/pod_insights.json.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the monitoring daemon: collect, build features, score, write insights.
    Run(RunArgs),
    /// Collect only: append one row per pod per interval to the CSV (no scoring).
    Collect(CollectionArgs),
    /// Write a labelled simulated data set (CSV + labels.json) as fast as the disk allows.
    Generate(GenerateArgs),
    /// Serve the simulated cluster to Prometheus: cAdvisor and kube-state-metrics metrics at
    /// /metrics, its fault windows at /faults, advancing in real time.
    Simulate(SimulateArgs),
    /// Score a metrics CSV offline with exactly the daemon's feature and model code.
    Detect(DetectArgs),
    /// Train the LSTM on metrics CSVs and save it (config.json + model.bpk).
    Train(TrainArgs),
    /// Measure detections (scores.csv) against labelled fault windows (labels.json).
    Eval(EvalArgs),
    /// Explain the anomalies of an insights file: incidents, evidence, remediation steps.
    Explain(ExplainArgs),
    /// Validate the settings (file, environment) without starting: print every problem and
    /// exit 1, or say which file was read and exit 0. For `ExecStartPre=` and CI.
    CheckConfig(CheckConfigArgs),
}

#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    Simulator,
    Prometheus,
    Kubernetes,
    /// State and events from the API server, usage from Prometheus.
    #[value(name = "kubernetes+prometheus")]
    KubernetesPrometheus,
}

impl SourceArg {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceArg::Simulator => "simulator",
            SourceArg::Prometheus => "prometheus",
            SourceArg::Kubernetes => "kubernetes",
            SourceArg::KubernetesPrometheus => "kubernetes+prometheus",
        }
    }
}

/// Where settings come from and the flags that override them.
#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// Configuration file [default: agents.toml; built-in defaults if that file is missing]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ConfigArgs {
    /// The file to read, and whether the user named it (then it must exist).
    pub fn path(&self) -> (PathBuf, bool) {
        match &self.config {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from("agents.toml"), false),
        }
    }

    /// What the settings were read from, said in the first log line and by `check-config`:
    /// the file (absolute where it can be resolved), or that there was none.
    pub fn origin(&self) -> String {
        let (path, _) = self.path();
        if path.is_file() {
            let shown = std::fs::canonicalize(&path).unwrap_or(path);
            format!("config file {}", shown.display())
        } else {
            format!(
                "no config file at {}: built-in defaults, environment and flags",
                path.display()
            )
        }
    }
}

/// The collection flags `run` and `collect` share (the original system's names).
#[derive(Debug, Args)]
pub struct CollectionArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Prometheus base URL [default: http://localhost:8082]
    #[arg(long, value_name = "URL")]
    pub prometheus_url: Option<String>,
    /// Namespace to watch, or "all" [default: monitoring]
    #[arg(long, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Seconds between two collections, or a duration like "5s" [default: 5]
    #[arg(long, value_name = "SECONDS")]
    pub generator_interval: Option<String>,
    /// CSV the collector appends to (and `run`'s dataset generator watches) [default: data/pod_metrics.csv]
    #[arg(long = "output", visible_alias = "output-file", value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Where metrics come from [default: simulator]
    #[arg(long, value_enum)]
    pub source: Option<SourceArg>,
    /// Print the effective settings and exit.
    #[arg(long)]
    pub print_config: bool,
}

impl CollectionArgs {
    pub fn overrides(&self) -> crate::settings::Overrides {
        crate::settings::Overrides {
            prometheus_url: self.prometheus_url.clone(),
            namespace: self.namespace.clone(),
            generator_interval: self.generator_interval.clone(),
            output_file: self.output_file.clone(),
            watch_interval: None,
            alert_threshold: None,
            source: self.source.map(|s| s.as_str().to_string()),
            detector: None,
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub collection: CollectionArgs,
    /// Seconds between two scoring passes, or a duration like "10s" [default: 10]
    #[arg(long, value_name = "SECONDS")]
    pub watch_interval: Option<String>,
    /// Probability at or above which a pod is reported anomalous, in (0, 1) [default: 0.7]
    #[arg(long, value_name = "P")]
    pub alert_threshold: Option<f64>,
    /// Which detector scores the pods (`[anomaly_model] detector`) [default: ensemble]
    #[arg(long, value_enum)]
    pub detector: Option<DetectorArg>,
}

impl RunArgs {
    pub fn overrides(&self) -> crate::settings::Overrides {
        crate::settings::Overrides {
            watch_interval: self.watch_interval.clone(),
            alert_threshold: self.alert_threshold,
            detector: self.detector.map(|d| d.as_str().to_string()),
            ..self.collection.overrides()
        }
    }
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The insights file `run` writes.
    #[arg(long, value_name = "FILE", default_value = "data/pod_insights.json")]
    pub insights: PathBuf,
    /// One JSON incident per line instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of pods in the simulated cluster.
    #[arg(long, default_value_t = 50)]
    pub pods: usize,
    /// Length of simulated time, e.g. "2h" or "90m".
    #[arg(long, default_value = "2h")]
    pub duration: String,
    /// Sampling step, e.g. "5s".
    #[arg(long, default_value = "5s")]
    pub step: String,
    /// Random seed: the same seed gives the same data, byte for byte.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output directory for pod_metrics.csv, labels.json (faults) and benign.json (benign events).
    #[arg(
        long = "output",
        visible_alias = "out",
        value_name = "DIR",
        default_value = "data/generated"
    )]
    pub output: PathBuf,
    /// Simulated start time (RFC 3339).
    #[arg(long, default_value = "2026-01-05T00:00:00Z")]
    pub start: String,
    /// Time before the first fault, e.g. "15m" (history for the detectors to learn from).
    #[arg(long, default_value = "15m")]
    pub first_fault_after: String,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Address to serve on; port 0 picks a free one (the bound address is printed on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9102")]
    pub listen: String,
    /// Number of pods in the simulated cluster.
    #[arg(long, default_value_t = 50)]
    pub pods: usize,
    /// Random seed: the same seed, start and step give the rows `generate` writes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Simulation step, e.g. "5s": the cluster ticks on this grid.
    #[arg(long, default_value = "5s")]
    pub step: String,
    /// Time before the first fault, e.g. "15m".
    #[arg(long, default_value = "15m")]
    pub first_fault_after: String,
    /// Simulated start: "now", or an RFC 3339 time in the past (the simulation catches up).
    #[arg(long, default_value = "now")]
    pub start: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetectFormat {
    /// The canonical pod_metrics.csv (or the original system's 28-column CSV).
    Canonical,
    /// A single NAB series: `timestamp,value`.
    Nab,
}

/// Which surprise sources score a NAB series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetectorArg {
    /// The per-signal statistical detectors and the Kubernetes-state rules (no model file).
    Statistical,
    /// The LSTM forecaster alone, for comparison.
    Lstm,
    /// The statistical detectors corroborated by the LSTM.
    Ensemble,
}

impl DetectorArg {
    pub fn as_str(self) -> &'static str {
        match self {
            DetectorArg::Statistical => "statistical",
            DetectorArg::Lstm => "lstm",
            DetectorArg::Ensemble => "ensemble",
        }
    }
}

#[derive(Debug, Args)]
pub struct DetectArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Input CSV. With `--format nab`, also a directory: every `*.csv` below it is scored.
    #[arg(long, value_name = "PATH")]
    pub input: PathBuf,
    /// Output CSV: one score row per input row. For an input directory, a directory mirroring
    /// it (`DIR/<category>/<name>.csv`).
    #[arg(long, value_name = "PATH")]
    pub output: PathBuf,
    /// Input layout.
    #[arg(long, value_enum, default_value = "canonical")]
    pub format: DetectFormat,
    /// Scorer [default: from agents.toml, ensemble]. The LSTM runs only on streams sampled
    /// about as finely as it was trained (5 s): NAB's 5-minute series are judged by the
    /// statistical detectors whatever this says, with a warning.
    #[arg(long, value_enum)]
    pub detector: Option<DetectorArg>,
    /// Probability at or above which a row is anomalous [default: from agents.toml, 0.7]
    #[arg(long, value_name = "P")]
    pub alert_threshold: Option<f64>,
    /// Namespace given to rows of the original system's CSV, which has none.
    #[arg(long, default_value = "default")]
    pub legacy_namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// Pod faults: a scores file from `detect` against `labels.json` from `generate`.
    Pods,
    /// The Numenta Anomaly Benchmark: results files of `detect --format nab` against NAB's
    /// combined_windows.json, scored as NAB v1.1 does.
    Nab,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Metrics CSVs to learn from (canonical or the original system's layout).
    #[arg(long, value_name = "CSV", required = true, num_args = 1..)]
    pub input: Vec<std::path::PathBuf>,
    /// Fault windows (labels.json from `generate`) to leave out of training.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub labels: Vec<std::path::PathBuf>,
    /// Output directory for config.json, model.bpk and statistics.json.
    #[arg(
        long = "output",
        visible_alias = "out",
        value_name = "DIR",
        default_value = "models/model_artifacts"
    )]
    pub output: std::path::PathBuf,
    /// Replace a model already in `--output` (the default is the shipped model).
    #[arg(long)]
    pub force: bool,
    /// Seed for initialisation, shuffling and the validation split.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// LSTM hidden units.
    #[arg(long, default_value_t = 32)]
    pub hidden: usize,
    /// Training window, in samples.
    #[arg(long, default_value_t = 128)]
    pub window: usize,
    /// Samples between the starts of two training windows.
    #[arg(long, default_value_t = 32)]
    pub stride: usize,
    /// Leading samples of each window left out of the loss.
    #[arg(long, default_value_t = 8)]
    pub burn_in: usize,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    #[arg(long, default_value_t = 3e-3)]
    pub learning_rate: f64,
    /// Most epochs; training stops earlier when the validation loss stops improving.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// Epochs without a better validation loss before stopping.
    #[arg(long, default_value_t = 4)]
    pub patience: usize,
    /// Share of pods held out for validation and calibration, in percent.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=50))]
    pub validation_percent: u64,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// What is evaluated.
    #[arg(long, value_enum, default_value = "pods")]
    pub format: EvalFormat,
    /// pods: scores written by `detect` (required; checked by the command, as clap's
    /// `required_if_eq` ignores the default format).
    #[arg(long, value_name = "FILE")]
    pub scores: Option<PathBuf>,
    /// pods: fault windows written by `generate`. nab: NAB's combined_windows.json.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    /// pods: how long after a fault ends an alert still counts as catching it [default: 5m]
    #[arg(long, value_name = "DURATION")]
    pub grace: Option<String>,
    /// nab: the data directory, DIR/<category>/<name>.csv with header timestamp,value.
    #[arg(long, value_name = "DIR", required_if_eq("format", "nab"))]
    pub data: Option<PathBuf>,
    /// nab: the detector's results, DIR/<category>/<name>.csv with timestamp,value,anomaly_score.
    #[arg(long, value_name = "DIR", required_if_eq("format", "nab"))]
    pub results: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn original_flags_parse() {
        let cli = Cli::try_parse_from([
            "k8s-monitor",
            "run",
            "--prometheus-url",
            "http://prom:9090",
            "--namespace",
            "all",
            "--generator-interval",
            "5",
            "--output-file",
            "x.csv",
            "--watch-interval",
            "10",
            "--alert-threshold",
            "0.8",
        ])
        .unwrap();
        let Command::Run(run) = cli.command else {
            panic!("not run")
        };
        assert_eq!(run.alert_threshold, Some(0.8));
        assert_eq!(run.collection.generator_interval.as_deref(), Some("5"));
        let o = run.overrides();
        assert_eq!(o.prometheus_url.as_deref(), Some("http://prom:9090"));
        assert_eq!(o.watch_interval.as_deref(), Some("10"));
    }

    fn eval(args: &[&str]) -> Result<EvalArgs, String> {
        let mut argv = vec!["k8s-monitor", "eval"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Command::Eval(e),
            }) => Ok(e),
            Ok(other) => panic!("not eval: {other:?}"),
            Err(e) => Err(e.to_string()),
        }
    }

    #[test]
    fn eval_defaults_to_pods_and_requires_each_format_s_inputs() {
        let pods = eval(&["--scores", "s.csv", "--labels", "l.json"]).unwrap();
        assert_eq!(pods.format, EvalFormat::Pods);
        // Parses; `commands::eval` then asks for --scores.
        assert_eq!(eval(&["--labels", "l.json"]).unwrap().scores, None);

        let nab = eval(&[
            "--format",
            "nab",
            "--data",
            "d",
            "--labels",
            "w.json",
            "--results",
            "r",
        ])
        .unwrap();
        assert_eq!(nab.format, EvalFormat::Nab);
        assert_eq!(nab.results, Some(PathBuf::from("r")));
        let e = eval(&["--format", "nab", "--labels", "w.json", "--results", "r"]).unwrap_err();
        assert!(e.contains("--data <DIR>"), "{e}");
    }
}
