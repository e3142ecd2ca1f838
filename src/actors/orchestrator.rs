//! Orchestrator: starts the agents in dependency order under supervision, waits for SIGINT or
//! SIGTERM, then stops them front to back so every row collected is written, scored and
//! published before the process exits.

use super::alerter::Alerter;
use super::analysis::Analysis;
use super::anomaly_model::AnomalyModel;
use super::collector::Collector;
use super::csv_writer::CsvWriter;
use super::dataset_generator::{DatasetGenerator, DatasetGeneratorOptions};
use super::insights_writer::InsightsWriter;
use super::llm_explainer::LlmExplainerActor;
use super::Shutdown;
use crate::alerts::AlertClient;
use crate::analysis::{IncidentJournal, IncidentTracker};
use crate::clock::Clock;
use crate::llm::LlmExplainer;
use crate::pipeline::ScoringPipeline;
use crate::settings::Settings;
use crate::source::MetricsSource;
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// How long each agent gets to finish its work at shutdown.
const SHUTDOWN_STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// Which agents run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agents {
    /// The whole daemon (`run`).
    All,
    /// The collector and the CSV writer (`collect`).
    CollectOnly,
}

/// Runs the daemon until a termination signal.
pub async fn run(
    settings: Settings,
    source: Box<dyn MetricsSource>,
    clock: Arc<dyn Clock>,
    agents: Agents,
    llm: Option<LlmExplainer>,
) -> anyhow::Result<()> {
    if agents == Agents::CollectOnly {
        return run_collection(settings, source, clock).await;
    }
    let insights_path = settings.insights.output_file.clone();
    let max_pods = settings.insights.max_pods;
    let summary_every = settings.insights.summary_every;
    let insights =
        Supervisor::start(move |_| InsightsWriter::new(insights_path, max_pods, summary_every));

    let model_settings = settings.clone();
    let model = SyncArbiter::start(1, move || {
        AnomalyModel::new(ScoringPipeline::from_settings(&model_settings))
    });

    let journal = match IncidentJournal::open(&settings.analysis.incidents_file) {
        Ok(j) => Some(j),
        Err(e) => {
            tracing::error!(error = %e, "incidents will be logged and explained but not journalled");
            None
        }
    };
    let alerter = alerter_from_settings(&settings);
    let analysis_alerter = alerter.clone().map(|a| a.recipient());
    let llm = llm.map(|explainer| LlmExplainerActor::new(explainer).start());
    let tracker_settings = settings.analysis.clone();
    let analysis_insights = insights.clone().recipient();
    let analysis = Supervisor::start(move |_| {
        Analysis::new(
            IncidentTracker::new(tracker_settings.resolve_after, tracker_settings.cooldown),
            journal,
            analysis_insights,
            analysis_alerter,
            llm.map(|a| a.recipient()),
        )
    });

    let options = DatasetGeneratorOptions::from_settings(&settings);
    let generator_insights = analysis.clone().recipient();
    let generator_model = model.clone().recipient();
    let generator = Supervisor::start(move |_| {
        DatasetGenerator::new(options, generator_model, generator_insights)
    });

    let (collector, writer) = start_collection(&settings, source, clock);

    tracing::info!(
        csv = %settings.collector.output_file.display(),
        insights = %settings.insights.output_file.display(),
        "k8s-monitor running; Ctrl-C to stop"
    );
    wait_for_termination().await?;
    tracing::info!("stopping: flushing rows, scoring what is left, writing insights");

    stop_in_order([
        ("collector", collector.recipient()),
        ("csv writer", writer.recipient()),
        ("dataset generator", generator.recipient()),
        ("analysis", analysis.recipient()),
        ("insights writer", insights.recipient()),
    ])
    .await;
    if let Some(alerter) = alerter {
        stop_in_order([("alerter", alerter.recipient())]).await;
    }
    tracing::info!("stopped cleanly");
    Ok(())
}

/// The alerter, when a sink is configured (and its HTTP client could be built).
fn alerter_from_settings(settings: &Settings) -> Option<Addr<Alerter>> {
    let alerts = settings.alerts.clone();
    if alerts.alertmanager_url.is_none() && alerts.webhook_url.is_none() {
        return None;
    }
    match AlertClient::new(alerts.timeout) {
        Ok(client) => Some(Alerter::new(alerts, client).start()),
        Err(e) => {
            tracing::error!(error = %e, "alert sinks disabled: cannot build their HTTP client");
            None
        }
    }
}

/// The CSV writer, then the collector feeding it, both supervised.
fn start_collection(
    settings: &Settings,
    source: Box<dyn MetricsSource>,
    clock: Arc<dyn Clock>,
) -> (Addr<Collector>, Addr<CsvWriter>) {
    let csv_path = settings.collector.output_file.clone();
    let writer = Supervisor::start(move |_| CsvWriter::new(&csv_path));
    let interval = settings.collector.generator_interval;
    let sink = writer.clone().recipient();
    let collector =
        Supervisor::start(move |_| Collector::new(source, interval, sink, clock.clone()));
    (collector, writer)
}

/// The collector and the CSV writer alone, until a termination signal.
async fn run_collection(
    settings: Settings,
    source: Box<dyn MetricsSource>,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<()> {
    let (collector, writer) = start_collection(&settings, source, clock);
    tracing::info!(
        csv = %settings.collector.output_file.display(),
        "k8s-monitor collecting; Ctrl-C to stop"
    );
    wait_for_termination().await?;
    stop_in_order([
        ("collector", collector.recipient()),
        ("csv writer", writer.recipient()),
    ])
    .await;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Stops the agents one after the other, front to back: each one's output is the next one's
/// input.
async fn stop_in_order<const N: usize>(steps: [(&str, Recipient<Shutdown>); N]) {
    for (name, agent) in steps {
        match tokio::time::timeout(SHUTDOWN_STEP_TIMEOUT, agent.send(Shutdown)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(agent = name, error = %e, "agent was already gone"),
            Err(_) => tracing::warn!(agent = name, "agent did not finish in time"),
        }
    }
}

async fn wait_for_termination() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
    Ok(())
}
