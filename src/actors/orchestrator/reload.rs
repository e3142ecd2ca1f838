//! Reloading: on SIGHUP or a change of the config file's contents, the settings are loaded
//! again as at start-up, planned ([`crate::settings::reload`]) and applied to the running
//! agents; an invalid file, or a source that cannot be rebuilt, changes nothing.

use super::start::{agent, alerter_from_settings};
use super::*;
use crate::actors::alerter::Alerter;
use crate::actors::analysis::Analysis;
use crate::actors::anomaly_model::AnomalyModel;
use crate::actors::collector::Collector;
use crate::actors::dataset_generator::DatasetGenerator;
use crate::actors::insights_writer::InsightsWriter;
use crate::actors::llm_explainer::{ExplainIncident, LlmExplainerActor};
use crate::alerts::AlertClient;
use crate::clock::Clock;
use crate::llm::LlmExplainer;
use crate::settings::reload::{self as settings_reload, ReloadPlan};
use crate::settings::{Settings, SettingsError};
use crate::source::MetricsSource;
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;

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
    pub(super) collector: Option<Addr<Collector>>,
    pub(super) generator: Option<Addr<DatasetGenerator>>,
    pub(super) model: Option<Addr<AnomalyModel>>,
    pub(super) insights: Option<Addr<InsightsWriter>>,
    pub(super) analysis: Option<Addr<Analysis>>,
    pub(super) alerter: Option<Addr<Alerter>>,
}

impl Orchestrator {
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
    pub(super) fn watch_config(&mut self, ctx: &mut Context<Self>) {
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
                collector.do_send(crate::actors::collector::Reconfigure { interval, source });
            }
        }
        if plan.touches("dataset_generator") {
            if let Some(generator) = &self.handles.generator {
                generator.do_send(crate::actors::dataset_generator::Reconfigure {
                    watch_interval: s.dataset_generator.watch_interval,
                    poll_interval: s.dataset_generator.poll_interval,
                    max_clock_skew: s.dataset_generator.max_clock_skew,
                });
            }
        }
        if plan.changes("anomaly_model", "alert_threshold") {
            if let Some(model) = &self.handles.model {
                model.do_send(crate::actors::anomaly_model::SetAlertThreshold(
                    s.anomaly_model.alert_threshold,
                ));
            }
        }
        if plan.touches("insights") {
            if let Some(insights) = &self.handles.insights {
                insights.do_send(crate::actors::insights_writer::SetInsightsOptions {
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
                analysis.do_send(crate::actors::analysis::Reconfigure {
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
    ) -> Option<Option<Recipient<crate::actors::alerter::NotifyIncidents>>> {
        let client = match AlertClient::new(s.alerts.timeout) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "alert settings not applied: cannot build their HTTP client");
                return None;
            }
        };
        if let Some(alerter) = &self.handles.alerter {
            alerter.do_send(crate::actors::alerter::Reconfigure(
                s.alerts.clone(),
                client,
            ));
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
        let plan = settings_reload::plan(&self.running, &loaded);
        // An LLM the new settings turn on but cannot reach (no usable key) stops the reload,
        // as it stops start-up.
        if plan.touches("llm") {
            let env = std::env::vars().collect();
            if let Err(e) = crate::llm::LlmActivation::from_settings(&loaded.llm, &env) {
                tracing::error!(
                    trigger,
                    "reload rejected, running on with the settings in use: [llm]: {e}"
                );
                self.metrics.reload(false);
                return done;
            }
        }
        let loaded = settings_reload::running_after(&loaded, &self.running);
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
