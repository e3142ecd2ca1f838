//! `k8s-monitor run` and `k8s-monitor collect`: load settings, build the source, start the
//! daemon (all agents, or the collector and CSV writer alone).

use crate::actors::orchestrator::{self, Agents, Reloading, SetLogFilter};
use crate::cli::ConfigArgs;
use crate::clock::{Clock, SystemClock};
use crate::llm::LlmExplainer;
use crate::settings::{self, Overrides, Settings};
use crate::source;
use std::collections::HashMap;
use std::sync::Arc;

/// Settings for `run` and `collect`: file, then environment, then flags.
pub fn load_settings(
    config: &ConfigArgs,
    overrides: &Overrides,
) -> Result<Settings, settings::SettingsError> {
    let (path, explicit) = config.path();
    let env: HashMap<String, String> = std::env::vars().collect();
    settings::load(&path, explicit, &env, overrides)
}

/// How the daemon reloads: the same loading as at start-up, the config file to watch (when
/// there is one), and the log filter's setter.
pub fn reloading(
    config: &ConfigArgs,
    overrides: &Overrides,
    set_log_filter: Option<SetLogFilter>,
) -> Reloading {
    let (config, overrides) = (config.clone(), overrides.clone());
    let (path, _) = config.path();
    Reloading {
        config_file: path.is_file().then_some(path),
        load: Box::new(move || load_settings(&config, &overrides)),
        set_log_filter,
    }
}

pub fn run(settings: Settings, agents: Agents, reloading: Reloading) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    tracing::info!(settings = %settings.describe(), "effective settings");
    let llm = match agents {
        Agents::All => LlmExplainer::configured(&settings.llm, &std::env::vars().collect()),
        Agents::CollectOnly => None,
    };
    // The source is built inside the actor system: the Kubernetes client and its watches live
    // on the system's runtime.
    actix::System::new().block_on(async move {
        let source = source::build(&settings, clock.as_ref()).await?;
        orchestrator::run(settings, source, clock, agents, llm, Some(reloading)).await
    })
}
