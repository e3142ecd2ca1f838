//! `k8s-monitor run` and `k8s-monitor collect`: load settings, build the source, start the
//! daemon (all agents, or the collector and CSV writer alone).

use crate::actors::orchestrator::{self, Agents};
use crate::cli::ConfigArgs;
use crate::clock::{Clock, SystemClock};
use crate::llm::{LlmActivation, LlmExplainer};
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
    let llm = match agents {
        Agents::All => llm_explainer(&settings, &std::env::vars().collect()),
        Agents::CollectOnly => None,
    };
    // The source is built inside the actor system: the Kubernetes client and its watches live
    // on the system's runtime.
    actix::System::new().block_on(async move {
        let source = source::build(&settings, clock.as_ref()).await?;
        orchestrator::run(settings, source, clock, agents, llm).await
    })
}

/// The LLM explainer, when `[llm]` turns it on; why it is off is logged.
fn llm_explainer(settings: &Settings, env: &HashMap<String, String>) -> Option<LlmExplainer> {
    match LlmActivation::from_settings(&settings.llm, env) {
        Ok(LlmActivation::On(config)) => match LlmExplainer::new(&config) {
            Ok(explainer) => {
                tracing::info!(
                    base_url = %config.base_url,
                    model = %config.model,
                    redact = config.redact,
                    "LLM explanations on"
                );
                Some(explainer)
            }
            Err(e) => {
                tracing::error!(error = %e, "LLM explanations off: cannot build the client");
                None
            }
        },
        Ok(LlmActivation::Off { reason }) => {
            tracing::info!(%reason, "LLM explanations off; incidents get the rule-based explanation");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "LLM explanations off");
            None
        }
    }
}
