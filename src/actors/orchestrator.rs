//! Orchestrator: the actor that owns the daemon's lifecycle. [`run`] starts the agents in
//! dependency order (each under a supervisor that restarts it after a panic) and the HTTP
//! endpoint; the [`Orchestrator`] then
//! - pings every agent each heartbeat: the answers make `/readyz` and, only while all answer
//!   (or make progress), the systemd watchdog ping and its status line;
//! - on SIGTERM or SIGINT stops the agents front to back within [`SHUTDOWN_BUDGET`], so every
//!   row collected is written, scored and published before the process exits (a second signal
//!   exits at once);
//! - on SIGHUP, or when the config file's contents change, reloads the settings: an invalid
//!   file is rejected with every problem logged and the daemon runs on unchanged; a valid one
//!   is applied to the running agents (history, model state and open incidents kept), and the
//!   keys that need a restart are named ([`crate::settings::reload`]).

use super::alerter::Alerter;
use super::analysis::Analysis;
use super::anomaly_model::AnomalyModel;
use super::collector::Collector;
use super::csv_writer::CsvWriter;
use super::dataset_generator::{DatasetGenerator, DatasetGeneratorOptions};
use super::insights_writer::InsightsWriter;
use super::llm_explainer::{ExplainIncident, LlmExplainerActor};
use super::{Ping, Shutdown};
use crate::alerts::AlertClient;
use crate::analysis::{IncidentJournal, IncidentTracker};
use crate::clock::Clock;
use crate::health::{Health, Progress};
use crate::live_view::LiveView;
use crate::llm::LlmExplainer;
use crate::pipeline::ScoringPipeline;
use crate::server::{Endpoint, EndpointState};
use crate::service_manager::{heartbeat_period, Notice, ServiceManager, Systemd};
use crate::settings::reload::{self, ReloadPlan};
use crate::settings::{Settings, SettingsError};
use crate::source::MetricsSource;
use crate::telemetry::DaemonMetrics;
use actix::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The whole stop, every agent included: below the unit's `TimeoutStopSec=60` (and the
/// Deployment's grace period), so systemd never has to SIGKILL a daemon that is still flushing.
pub const SHUTDOWN_BUDGET: Duration = Duration::from_secs(45);

/// Which agents run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agents {
    /// The whole daemon (`run`).
    All,
    /// The collector and the CSV writer (`collect`).
    CollectOnly,
}

/// One running agent, as the orchestrator sees it.
pub struct Agent {
    pub name: &'static str,
    pub ping: Recipient<Ping>,
    /// `None`: nothing to flush (the LLM explainer).
    pub shutdown: Option<Recipient<Shutdown>>,
    /// For an agent that works through long messages on its own thread: finished work, so a
    /// busy agent is told from a stuck one.
    pub progress: Option<Progress>,
}

/// Loads the settings again, exactly as start-up did (file, environment, flags).
pub type LoadSettings = Box<dyn Fn() -> Result<Settings, SettingsError>>;
/// Sets the log filter (a reloaded `[logging] level`); `Err` says why it cannot.
pub type SetLogFilter = Box<dyn Fn(&str) -> Result<(), String>>;

/// What reloading needs: how to load, the file to watch, how to change the log filter.
pub struct Reloading {
    pub load: LoadSettings,
    /// The config file, when there is one to watch.
    pub config_file: Option<std::path::PathBuf>,
    pub set_log_filter: Option<SetLogFilter>,
}

/// Reload the settings; the trigger is logged.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Reload(pub &'static str);

/// The config file's directory changed (from the watcher thread); debounced, then compared.
#[derive(Debug, Message)]
#[rtype(result = "()")]
struct ConfigFileChanged;

/// The running agents' typed addresses, for reconfiguring them.
#[derive(Default)]
pub struct Handles {
    collector: Option<Addr<Collector>>,
    generator: Option<Addr<DatasetGenerator>>,
    model: Option<Addr<AnomalyModel>>,
    insights: Option<Addr<InsightsWriter>>,
    analysis: Option<Addr<Analysis>>,
    alerter: Option<Addr<Alerter>>,
}

/// A termination signal, by name.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Terminate(pub &'static str);

pub struct Orchestrator {
    /// Front to back: each one's output is the next one's input.
    agents: Vec<Agent>,
    health: Health,
    metrics: Arc<DaemonMetrics>,
    manager: Box<dyn ServiceManager>,
    heartbeat: Duration,
    beating: bool,
    /// Each agent's progress at the previous heartbeat.
    last_progress: Vec<Option<u64>>,
    /// What the last heartbeat found unanswered (logged when it changes).
    unanswered: Vec<String>,
    stopping: bool,
    done: Option<tokio::sync::oneshot::Sender<()>>,
    handles: Handles,
    /// The settings the agents run on.
    running: Settings,
    reloading: Option<Reloading>,
    clock: Arc<dyn Clock>,
    /// The config file's contents at the last load, so a change event that changed nothing
    /// (an editor's temporary file, a touch) reloads nothing.
    config_contents: Option<Vec<u8>>,
    reload_due: bool,
    _config_watch: Option<crate::csv_input::FileWatch>,
}

impl Orchestrator {
    /// `done` fires once every agent has stopped.
    pub fn new(
        agents: Vec<Agent>,
        health: Health,
        metrics: Arc<DaemonMetrics>,
        manager: Box<dyn ServiceManager>,
        done: tokio::sync::oneshot::Sender<()>,
    ) -> Orchestrator {
        let heartbeat = heartbeat_period(manager.watchdog_interval());
        Orchestrator {
            last_progress: vec![None; agents.len()],
            agents,
            health,
            metrics,
            manager,
            heartbeat,
            beating: false,
            unanswered: Vec::new(),
            stopping: false,
            done: Some(done),
            handles: Handles::default(),
            running: Settings::default(),
            reloading: None,
            clock: Arc::new(crate::clock::SystemClock),
            config_contents: None,
            reload_due: false,
            _config_watch: None,
        }
    }

    /// Reloads on SIGHUP and config-file changes, reconfiguring `handles`.
    pub fn reloadable(
        mut self,
        handles: Handles,
        running: Settings,
        reloading: Reloading,
        clock: Arc<dyn Clock>,
    ) -> Orchestrator {
        self.config_contents = reloading
            .config_file
            .as_ref()
            .and_then(|p| std::fs::read(p).ok());
        self.handles = handles;
        self.running = running;
        self.reloading = Some(reloading);
        self.clock = clock;
        self
    }

    /// Watches the config file's directory (a ConfigMap swaps a symlink beside the file).
    fn watch_config(&mut self, ctx: &mut Context<Self>) {
        let Some(path) = self.reloading.as_ref().and_then(|r| r.config_file.clone()) else {
            return;
        };
        let addr = ctx.address();
        let poll = Duration::from_secs(2);
        match crate::csv_input::watch_directory_of(&path, poll, move || {
            addr.do_send(ConfigFileChanged)
        }) {
            Ok(w) => self._config_watch = Some(w),
            Err(e) => tracing::warn!(
                file = %path.display(),
                error = %e,
                "config file changes are not watched; reload with SIGHUP"
            ),
        }
    }

    /// The running settings with `plan` applied: each change sent to the agent it concerns.
    fn apply(
        &mut self,
        loaded: Settings,
        plan: &ReloadPlan,
        source: Option<Box<dyn MetricsSource>>,
    ) {
        let s = &loaded;
        if let Some(collector) = &self.handles.collector {
            let interval = plan
                .changes("collector", "generator_interval")
                .then_some(s.collector.generator_interval);
            if interval.is_some() || source.is_some() {
                collector.do_send(super::collector::Reconfigure { interval, source });
            }
        }
        if plan.touches("dataset_generator") {
            if let Some(generator) = &self.handles.generator {
                generator.do_send(super::dataset_generator::Reconfigure {
                    watch_interval: s.dataset_generator.watch_interval,
                    poll_interval: s.dataset_generator.poll_interval,
                    max_clock_skew: s.dataset_generator.max_clock_skew,
                });
            }
        }
        if plan.changes("anomaly_model", "alert_threshold") {
            if let Some(model) = &self.handles.model {
                model.do_send(super::anomaly_model::SetAlertThreshold(
                    s.anomaly_model.alert_threshold,
                ));
            }
        }
        if plan.touches("insights") {
            if let Some(insights) = &self.handles.insights {
                insights.do_send(super::insights_writer::SetInsightsOptions {
                    max_pods: s.insights.max_pods,
                    summary_every: s.insights.summary_every,
                });
            }
        }
        let alerter = if plan.touches("alerts") {
            self.reconfigure_alerter(s)
        } else {
            None
        };
        let llm = if plan.touches("llm") {
            Some(self.restart_llm(s))
        } else {
            None
        };
        if plan.touches("analysis") || alerter.is_some() || llm.is_some() {
            if let Some(analysis) = &self.handles.analysis {
                analysis.do_send(super::analysis::Reconfigure {
                    resolve_after: s.analysis.resolve_after,
                    cooldown: s.analysis.cooldown,
                    alerter,
                    llm,
                });
            }
        }
        if plan.changes("server", "max_pod_series") {
            self.metrics.set_max_pod_series(s.server.max_pod_series);
        }
        if plan.changes("logging", "level") {
            self.set_log_level(&s.logging.level);
        }
        self.running = loaded;
    }

    /// The alerter with new settings; one is started if there was none. `Some` when the
    /// analysis must be told of a new alerter.
    fn reconfigure_alerter(
        &mut self,
        s: &Settings,
    ) -> Option<Option<Recipient<super::alerter::NotifyIncidents>>> {
        let client = match AlertClient::new(s.alerts.timeout) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "alert settings not applied: cannot build their HTTP client");
                return None;
            }
        };
        if let Some(alerter) = &self.handles.alerter {
            alerter.do_send(super::alerter::Reconfigure(s.alerts.clone(), client));
            return None;
        }
        let alerter = alerter_from_settings(s, &self.metrics)?;
        self.agents.push(agent("alerter", &alerter));
        self.last_progress.push(None);
        self.handles.alerter = Some(alerter.clone());
        Some(Some(alerter.recipient()))
    }

    /// The LLM explainer rebuilt from new settings (or gone, when they turn it off).
    fn restart_llm(&mut self, s: &Settings) -> Option<Recipient<ExplainIncident>> {
        if let Some(i) = self.agents.iter().position(|a| a.name == "llm explainer") {
            self.agents.remove(i);
            self.last_progress.remove(i);
        }
        let env = std::env::vars().collect();
        let explainer = LlmExplainer::configured(&s.llm, &env)?;
        let actor = LlmExplainerActor::new(explainer, self.metrics.clone()).start();
        self.agents.push(Agent {
            name: "llm explainer",
            ping: actor.clone().recipient(),
            shutdown: None,
            progress: None,
        });
        self.last_progress.push(None);
        Some(actor.recipient())
    }

    fn set_log_level(&self, level: &str) {
        if std::env::var_os("K8S_MONITOR_LOG").is_some() {
            tracing::warn!(
                level,
                "[logging] level changed, but K8S_MONITOR_LOG sets the filter and wins"
            );
            return;
        }
        match self
            .reloading
            .as_ref()
            .and_then(|r| r.set_log_filter.as_ref())
        {
            Some(set) => match set(level) {
                Ok(()) => tracing::info!(level, "log filter changed"),
                Err(e) => tracing::error!(level, error = %e, "the log filter was not changed"),
            },
            None => tracing::warn!(level, "the log filter cannot be changed in this process"),
        }
    }

    /// Pings every agent; at most one heartbeat in flight.
    fn beat(&mut self, ctx: &mut Context<Self>) {
        if self.beating || self.stopping {
            return;
        }
        self.beating = true;
        let timeout = self.heartbeat;
        let pings: Vec<_> = self
            .agents
            .iter()
            .map(|a| tokio::time::timeout(timeout, a.ping.send(Ping)))
            .collect();
        futures_util::future::join_all(pings)
            .into_actor(self)
            .map(move |answers, act, _ctx| {
                act.beating = false;
                let answered: Vec<bool> = answers.iter().map(|a| matches!(a, Ok(Ok(())))).collect();
                act.judge(&answered, timeout);
            })
            .spawn(ctx);
    }

    /// What one heartbeat's answers mean: readiness, and the watchdog ping only if every agent
    /// answered or made progress since the previous heartbeat.
    fn judge(&mut self, answered: &[bool], timeout: Duration) {
        if self.stopping {
            return;
        }
        let mut unanswered = Vec::new();
        for (i, agent) in self.agents.iter().enumerate() {
            let progress = agent.progress.as_ref().map(Progress::get);
            let progressed = progress.is_some() && progress != self.last_progress[i];
            self.last_progress[i] = progress;
            if !answered[i] && !progressed {
                unanswered.push(format!(
                    "{}: no answer within {}",
                    agent.name,
                    humantime::format_duration(timeout)
                ));
            }
        }
        if unanswered != self.unanswered {
            if unanswered.is_empty() {
                tracing::info!("every agent answers again");
            } else {
                tracing::error!(
                    agents = %unanswered.join("; "),
                    "agents not answering: readiness fails and the watchdog is not pinged"
                );
            }
            self.unanswered = unanswered.clone();
        }
        if unanswered.is_empty() {
            self.manager.notify(&[
                Notice::Watchdog,
                Notice::status(&self.metrics.status_line()),
            ]);
        } else {
            self.manager.notify(&[Notice::status(&format!(
                "not answering: {}",
                unanswered.join("; ")
            ))]);
        }
        self.health.heartbeat(unanswered);
    }
}

impl Actor for Orchestrator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.watch_config(ctx);
        self.health.pipeline_started();
        self.manager.notify(&[
            Notice::Ready,
            Notice::status("running; first verdicts soon"),
        ]);
        self.beat(ctx);
        ctx.run_interval(self.heartbeat, |act, ctx| act.beat(ctx));
    }
}

impl Handler<Terminate> for Orchestrator {
    type Result = ();

    fn handle(&mut self, msg: Terminate, ctx: &mut Context<Self>) {
        if self.stopping {
            // The operator insists; files are written atomically or appended line by line,
            // so nothing is left half-written, only the unscored tail is scored next start.
            tracing::warn!(signal = msg.0, "second signal while stopping: exiting now");
            std::process::exit(1);
        }
        tracing::info!(
            signal = msg.0,
            "stopping: flushing rows, scoring what is left, writing insights"
        );
        self.stopping = true;
        self.health.stopping();
        self.manager
            .notify(&[Notice::Stopping, Notice::status("stopping")]);
        let steps: Vec<(&'static str, Recipient<Shutdown>)> = self
            .agents
            .iter()
            .filter_map(|a| a.shutdown.clone().map(|s| (a.name, s)))
            .collect();
        let done = self.done.take();
        ctx.spawn(
            async move {
                stop_in_order(steps, SHUTDOWN_BUDGET).await;
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
            .into_actor(self),
        );
    }
}

impl Handler<ConfigFileChanged> for Orchestrator {
    type Result = ();

    /// Waits for the writes to settle (editors and ConfigMap swaps take several events), then
    /// reloads if the contents differ from those last loaded.
    fn handle(&mut self, _: ConfigFileChanged, ctx: &mut Context<Self>) {
        if self.reload_due {
            return;
        }
        self.reload_due = true;
        ctx.run_later(Duration::from_millis(500), |act, ctx| {
            act.reload_due = false;
            let Some(path) = act.reloading.as_ref().and_then(|r| r.config_file.as_ref()) else {
                return;
            };
            let now = std::fs::read(path).ok();
            if now.is_some() && now != act.config_contents {
                ctx.notify(Reload("config file changed"));
            }
        });
    }
}

impl Handler<Reload> for Orchestrator {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, Reload(trigger): Reload, _ctx: &mut Context<Self>) -> Self::Result {
        let done = Box::pin(actix::fut::ready(()));
        if self.stopping {
            return done;
        }
        let Some(reloading) = &self.reloading else {
            tracing::warn!(trigger, "this command does not reload its settings");
            return done;
        };
        if let Some(path) = &reloading.config_file {
            self.config_contents = std::fs::read(path).ok();
        }
        let loaded = match (reloading.load)() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(
                    trigger,
                    "reload rejected, running on with the settings in use: {e}"
                );
                self.metrics.reload(false);
                return done;
            }
        };
        let plan = reload::plan(&self.running, &loaded);
        let loaded = reload::running_after(&loaded, &self.running);
        let source_changed = plan.applied.iter().any(|k| {
            let (section, key) = k.split_once('.').unwrap_or_default();
            matches!(
                section,
                "simulator" | "prometheus" | "prometheus_queries" | "kubernetes"
            ) || (section == "collector" && key != "generator_interval")
        });
        // A new source is built first: if it cannot be, nothing is applied.
        let clock = self.clock.clone();
        let build = async move {
            if source_changed {
                crate::source::build(&loaded, clock.as_ref())
                    .await
                    .map(|s| (loaded, Some(s)))
            } else {
                Ok((loaded, None))
            }
        };
        Box::pin(
            build
                .into_actor(self)
                .map(move |built, act, _ctx| match built {
                    Err(e) => {
                        tracing::error!(
                            trigger,
                            "reload rejected, running on with the settings in use: the reloaded \
                         source cannot be set up: {e:#}"
                        );
                        act.metrics.reload(false);
                    }
                    Ok((loaded, source)) => {
                        act.apply(loaded, &plan, source);
                        if plan.is_empty() {
                            tracing::info!(trigger, "settings reloaded: nothing changed");
                        } else if !plan.applied.is_empty() {
                            tracing::info!(
                                trigger,
                                applied = %plan.applied.join(", "),
                                "settings reloaded"
                            );
                        }
                        if !plan.need_restart.is_empty() {
                            tracing::warn!(
                                trigger,
                                keys = %plan.need_restart.join(", "),
                                "these settings take effect at the next restart; their old values \
                                 stay in use until then"
                            );
                        }
                        act.metrics.reload(true);
                    }
                }),
        )
    }
}

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

fn agent<A>(name: &'static str, addr: &Addr<A>) -> Agent
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
fn alerter_from_settings(
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
    let writer = Supervisor::start(move |_| CsvWriter::new(&csv_path, m));
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

/// Stops the agents one after the other, front to back, within `budget` for them all.
async fn stop_in_order(steps: Vec<(&'static str, Recipient<Shutdown>)>, budget: Duration) {
    let deadline = Instant::now() + budget;
    for (name, agent) in steps {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, agent.send(Shutdown)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(agent = name, error = %e, "agent was already gone"),
            Err(_) => tracing::warn!(
                agent = name,
                budget = %humantime::format_duration(budget),
                "agent did not finish within the shutdown budget; what it had not written is \
                 read again from the CSV at the next start"
            ),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what the orchestrator tells the service manager.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<Notice>>>);

    impl ServiceManager for Recorder {
        fn notify(&self, notices: &[Notice]) {
            self.0.lock().unwrap().extend(notices.iter().cloned());
        }
        fn watchdog_interval(&self) -> Option<Duration> {
            Some(Duration::from_millis(200))
        }
    }

    /// An agent on its own thread that blocks in a message until released.
    struct Blocking(Arc<Mutex<std::sync::mpsc::Receiver<()>>>);

    impl Actor for Blocking {
        type Context = SyncContext<Self>;
    }

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Work;

    impl Handler<Work> for Blocking {
        type Result = ();
        fn handle(&mut self, _: Work, _: &mut SyncContext<Self>) {
            let _ = self.0.lock().unwrap().recv();
        }
    }

    impl Handler<Ping> for Blocking {
        type Result = ();
        fn handle(&mut self, _: Ping, _: &mut SyncContext<Self>) {}
    }

    fn pings(r: &Recorder) -> usize {
        r.0.lock()
            .unwrap()
            .iter()
            .filter(|n| **n == Notice::Watchdog)
            .count()
    }

    #[test]
    fn the_watchdog_is_pinged_only_while_every_agent_answers() {
        let recorder = Recorder::default();
        let seen = recorder.clone();
        let health = Health::new();
        let h = health.clone();
        actix::System::new().block_on(async move {
            let (release, gate) = std::sync::mpsc::channel();
            let g = Arc::new(Mutex::new(gate));
            let blocking = SyncArbiter::start(1, move || Blocking(g.clone()));
            let (done, _stopped) = tokio::sync::oneshot::channel();
            let agents = vec![Agent {
                name: "blocking",
                ping: blocking.clone().recipient(),
                shutdown: None,
                progress: None,
            }];
            let _o = Orchestrator::new(
                agents,
                h.clone(),
                Arc::new(DaemonMetrics::new(0)),
                Box::new(recorder),
                done,
            )
            .start();
            // Heartbeat every 100 ms (half the 200 ms watchdog).
            tokio::time::sleep(Duration::from_millis(450)).await;
            let before = pings(&seen);
            assert!(before >= 2, "pinged while the agent answers ({before})");
            assert_eq!(seen.0.lock().unwrap()[0], Notice::Ready);
            // The agent gets stuck.
            blocking.do_send(Work);
            tokio::time::sleep(Duration::from_millis(300)).await;
            let stuck_from = pings(&seen);
            tokio::time::sleep(Duration::from_millis(600)).await;
            assert_eq!(pings(&seen), stuck_from, "no ping while it is stuck");
            let reasons = h.readiness().unwrap_err();
            assert!(
                reasons.iter().any(|r| r.starts_with("blocking: no answer")),
                "{reasons:?}"
            );
            release.send(()).unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert!(pings(&seen) > stuck_from, "pings resume once it answers");
        });
        assert!(health.readiness().unwrap_err()[0].starts_with("source"));
    }
}
