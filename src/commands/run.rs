//! `k8s-monitor run`: load settings, pick the source, start the daemon.

use crate::actors::orchestrator;
use crate::cli::RunArgs;
use crate::clock::{Clock, SystemClock};
use crate::settings::{self, Overrides, Settings, SourceKind};
use crate::source::simulator_source::simulator_settings;
use crate::source::{MetricsSource, SimulatorSource};
use anyhow::bail;
use std::collections::HashMap;
use std::sync::Arc;

/// Settings for `run`: file, then environment, then flags.
pub fn load_settings(args: &RunArgs) -> anyhow::Result<Settings> {
    let (path, explicit) = args.config.path();
    let env: HashMap<String, String> = std::env::vars().collect();
    let overrides = Overrides {
        prometheus_url: args.prometheus_url.clone(),
        namespace: args.namespace.clone(),
        generator_interval: args.generator_interval.clone(),
        output_file: args.output_file.clone(),
        watch_interval: args.watch_interval.clone(),
        alert_threshold: args.alert_threshold,
        source: args.source.map(|s| s.as_str().to_string()),
    };
    Ok(settings::load(&path, explicit, &env, &overrides)?)
}

pub fn run(settings: Settings) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let source: Box<dyn MetricsSource> = match settings.collector.source {
        SourceKind::Simulator => Box::new(SimulatorSource::new(
            &simulator_settings(&settings.simulator),
            clock.now(),
        )),
        other => bail!(
            "--source {other} is not available yet: this release collects only from the built-in \
             simulator (the Prometheus and Kubernetes sources are planned); use --source simulator"
        ),
    };
    tracing::info!(settings = %settings.describe(), "effective settings");
    actix::System::new().block_on(orchestrator::run(settings, source, clock))
}
