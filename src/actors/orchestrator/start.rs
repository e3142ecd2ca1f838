//! Start-up: the endpoint bound, the agents started back to front (each one's consumer first),
//! the orchestrator over them, the signals forwarded; [`run`] returns once they all stopped.

use super::*;
use crate::actors::alerter::Alerter;
use crate::actors::analysis::Analysis;
use crate::actors::anomaly_model::AnomalyModel;
use crate::actors::collector::Collector;
use crate::actors::csv_writer::{CsvWriter, Rotation};
use crate::actors::dataset_generator::{DatasetGenerator, DatasetGeneratorOptions};
use crate::actors::insights_writer::InsightsWriter;
use crate::actors::llm_explainer::LlmExplainerActor;
use crate::actors::{Ping, Shutdown};
use crate::alerts::AlertClient;
use crate::analysis::{IncidentJournal, IncidentTracker};
use crate::clock::Clock;
use crate::llm::LlmExplainer;
use crate::pipeline::ScoringPipeline;
use crate::service::endpoint::{Endpoint, EndpointState};
use crate::service::health::{Health, Progress};
use crate::service::live_view::LiveView;
use crate::service::systemd::Systemd;
use crate::service::telemetry::DaemonMetrics;
use crate::settings::Settings;
use crate::source::MetricsSource;
use actix::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Runs the daemon until a termination signal.
pub async fn run(
    settings: Settings,
    source: Box<dyn MetricsSource>,
    clock: Arc<dyn Clock>,
    agents: Agents,
    llm: Option<LlmExplainer>,
    reloading: Option<Reloading>,
) -> anyhow::Result<()> {
    let metrics = Arc::new(DaemonMetrics::new(settings.server.max_pod_series));
    let health = Health::new();
    let view = LiveView::new();
    // Bound before anything starts: a taken port stops start-up with a clear error.
    let endpoint = match settings.server.listen {
        Some(addr) => Some(Endpoint::bind(addr).await?),
        None => None,
    };
    let (started, handles) = match agents {
        Agents::All => start_all(
            &settings,
            source,
            clock.clone(),
            llm,
            &metrics,
            &health,
            &view,
        ),
        Agents::CollectOnly => {
            start_collection(&settings, source, clock.clone(), &metrics, &health)
        }
    };
    let (stop_endpoint, endpoint_stopped) = tokio::sync::oneshot::channel::<()>();
    if let Some(endpoint) = endpoint {
        let addr = endpoint.local_addr()?;
        let state = EndpointState {
            metrics: metrics.clone(),
            health: health.clone(),
            view,
        };
        tracing::info!(%addr, "HTTP endpoint listening on http://{addr}/ (healthz, readyz, metrics, api/v1)");
        actix::spawn(async move {
            let shutdown = async move {
                let _ = endpoint_stopped.await;
            };
            if let Err(e) = endpoint.serve(state, shutdown).await {
                tracing::error!(error = %e, "the HTTP endpoint failed");
            }
        });
    }
    match agents {
        Agents::All => tracing::info!(
            csv = %settings.collector.output_file.display(),
            insights = %settings.insights.output_file.display(),
            "k8s-monitor running; Ctrl-C to stop"
        ),
        Agents::CollectOnly => tracing::info!(
            csv = %settings.collector.output_file.display(),
            "k8s-monitor collecting; Ctrl-C to stop"
        ),
    }
    let (done, stopped) = tokio::sync::oneshot::channel();
    let mut orchestrator = Orchestrator::new(started, health, metrics, Box::new(Systemd), done);
    if let Some(reloading) = reloading {
        orchestrator = orchestrator.reloadable(handles, settings, reloading, clock);
    }
    let orchestrator = orchestrator.start();
    forward_signals(orchestrator)?;
    let _ = stopped.await;
    let _ = stop_endpoint.send(());
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Every agent of the daemon, started back to front (each one's consumer first).
fn start_all(
    settings: &Settings,
    source: Box<dyn MetricsSource>,
    clock: Arc<dyn Clock>,
    llm: Option<LlmExplainer>,
    metrics: &Arc<DaemonMetrics>,
    health: &Health,
    view: &LiveView,
) -> (Vec<Agent>, Handles) {
    let insights_path = settings.insights.output_file.clone();
    let max_pods = settings.insights.max_pods;
    let summary_every = settings.insights.summary_every;
    let (m, v) = (metrics.clone(), view.clone());
    let insights = Supervisor::start(move |_| {
        InsightsWriter::new(insights_path, max_pods, summary_every, m, v)
    });

    let model_settings = settings.clone();
    let progress = Progress::new();
    let (model_progress, m) = (progress.clone(), metrics.clone());
    let factories = AtomicUsize::new(0);
    m.actor_known("anomaly_model");
    let model = SyncArbiter::start(1, move || {
        // The arbiter calls the factory again after the model stopped itself on a panic.
        if factories.fetch_add(1, Ordering::Relaxed) > 0 {
            m.actor_restarted("anomaly_model");
        }
        AnomalyModel::new(
            ScoringPipeline::from_settings(&model_settings),
            model_progress.clone(),
        )
    });

    let journal = match IncidentJournal::open(&settings.analysis.incidents_file) {
        Ok(j) => Some(j),
        Err(e) => {
            tracing::error!(error = %e, "incidents will be logged and explained but not journalled");
            None
        }
    };
    let alerter = alerter_from_settings(settings, metrics);
    let analysis_alerter = alerter.clone().map(|a| a.recipient());
    let llm = llm.map(|explainer| LlmExplainerActor::new(explainer, metrics.clone()).start());
    let analysis_llm = llm.clone().map(|a| a.recipient());
    let tracker_settings = settings.analysis.clone();
    let analysis_insights = insights.clone().recipient();
    let (m, v) = (metrics.clone(), view.clone());
    let analysis = Supervisor::start(move |_| {
        Analysis::new(
            IncidentTracker::new(tracker_settings.resolve_after, tracker_settings.cooldown),
            journal,
            analysis_insights,
            analysis_alerter,
            analysis_llm,
            m,
            v,
        )
    });

    let options = DatasetGeneratorOptions::from_settings(settings);
    let generator_insights = analysis.clone().recipient();
    let generator_model = model.clone().recipient();
    let (m, c) = (metrics.clone(), clock.clone());
    let generator = Supervisor::start(move |_| {
        DatasetGenerator::new(options, generator_model, generator_insights, m, c)
    });

    let (mut agents, mut handles) = start_collection(settings, source, clock, metrics, health);
    handles.generator = Some(generator.clone());
    handles.model = Some(model.clone());
    handles.insights = Some(insights.clone());
    handles.analysis = Some(analysis.clone());
    handles.alerter = alerter.clone();
    agents.push(agent("dataset generator", &generator));
    agents.push(Agent {
        name: "anomaly model",
        ping: model.recipient(),
        // Stopped by the generator's last batch: it has no state to flush.
        shutdown: None,
        progress: Some(progress),
    });
    agents.push(agent("analysis", &analysis));
    agents.push(agent("insights writer", &insights));
    if let Some(alerter) = alerter {
        agents.push(agent("alerter", &alerter));
    }
    if let Some(llm) = llm {
        agents.push(Agent {
            name: "llm explainer",
            ping: llm.recipient(),
            shutdown: None,
            progress: None,
        });
    }
    (agents, handles)
}

pub(super) fn agent<A>(name: &'static str, addr: &Addr<A>) -> Agent
where
    A: Actor<Context = Context<A>> + Handler<Ping> + Handler<Shutdown>,
{
    Agent {
        name,
        ping: addr.clone().recipient(),
        shutdown: Some(addr.clone().recipient()),
        progress: None,
    }
}

/// The alerter, when a sink is configured (and its HTTP client could be built).
pub(super) fn alerter_from_settings(
    settings: &Settings,
    metrics: &Arc<DaemonMetrics>,
) -> Option<Addr<Alerter>> {
    let alerts = settings.alerts.clone();
    if alerts.alertmanager_url.is_none() && alerts.webhook_url.is_none() {
        return None;
    }
    match AlertClient::new(alerts.timeout) {
        Ok(client) => {
            let metrics = metrics.clone();
            Some(Supervisor::start(move |_| {
                Alerter::new(alerts, client, metrics)
            }))
        }
        Err(e) => {
            tracing::error!(error = %e, "alert sinks disabled: cannot build their HTTP client");
            None
        }
    }
}

/// The collector, then the CSV writer it feeds, both supervised.
fn start_collection(
    settings: &Settings,
    source: Box<dyn MetricsSource>,
    clock: Arc<dyn Clock>,
    metrics: &Arc<DaemonMetrics>,
    health: &Health,
) -> (Vec<Agent>, Handles) {
    let csv_path = settings.collector.output_file.clone();
    let m = metrics.clone();
    let rotation = Rotation {
        max_file_bytes: settings.collector.max_file_bytes,
        max_files: settings.collector.max_files,
    };
    let writer = Supervisor::start(move |_| CsvWriter::new(&csv_path, rotation, m));
    let interval = settings.collector.generator_interval;
    let sink = writer.clone().recipient();
    let (m, h) = (metrics.clone(), health.clone());
    let collector =
        Supervisor::start(move |_| Collector::new(source, interval, sink, clock.clone(), m, h));
    let agents = vec![agent("collector", &collector), agent("csv writer", &writer)];
    let handles = Handles {
        collector: Some(collector),
        ..Handles::default()
    };
    (agents, handles)
}

/// SIGTERM and SIGINT become [`Terminate`] messages, SIGHUP a [`Reload`].
fn forward_signals(orchestrator: Addr<Orchestrator>) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    actix::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => orchestrator.do_send(Terminate("SIGTERM")),
                _ = int.recv() => orchestrator.do_send(Terminate("SIGINT")),
                _ = hup.recv() => orchestrator.do_send(Reload("SIGHUP")),
            }
        }
    });
    Ok(())
}
