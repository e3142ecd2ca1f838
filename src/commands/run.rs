//! `k8s-monitor run` and `k8s-monitor collect`: load settings, build the source, start the
//! daemon (all agents, or the collector and CSV writer alone).

use crate::actors::orchestrator::{self, Agents};
use crate::cli::ConfigArgs;
use crate::clock::{Clock, SystemClock};
use crate::settings::{self, Overrides, Settings};
use crate::source;
use std::collections::HashMap;
use std::sync::Arc;

/// Settings for `run` and `collect`: file, then environment, then flags.
pub fn load_settings(config: &ConfigArgs, overrides: &Overrides) -> anyhow::Result<Settings> {
    let (path, explicit) = config.path();
    let env: HashMap<String, String> = std::env::vars().collect();
    Ok(settings::load(&path, explicit, &env, overrides)?)
}

pub fn run(settings: Settings, agents: Agents) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    tracing::info!(settings = %settings.describe(), "effective settings");
    // The source is built inside the actor system: the Kubernetes client and its watches live
    // on the system's runtime.
    actix::System::new().block_on(async move {
        let source = source::build(&settings, clock.as_ref()).await?;
        orchestrator::run(settings, source, clock, agents).await
    })
}
