//! Builds the configured source: `collector.source` decides which.

use super::{KubernetesSource, MergedSource, MetricsSource, PrometheusSource, SimulatorSource};
use crate::clock::Clock;
use crate::settings::{Settings, SourceKind};
use crate::source::simulator_source::simulator_settings;
use anyhow::Context as _;

/// The source `settings.collector.source` names, connected and ready to collect.
pub async fn build(
    settings: &Settings,
    clock: &dyn Clock,
) -> anyhow::Result<Box<dyn MetricsSource>> {
    let prometheus = || -> anyhow::Result<Box<dyn MetricsSource>> {
        let source = PrometheusSource::new(settings).context("setting up the Prometheus source")?;
        tracing::info!(
            url = %settings.collector.prometheus_url,
            namespace = %settings.collector.namespace,
            "collecting from Prometheus"
        );
        for (field, query) in source.queries() {
            tracing::debug!(field = field.key(), %query, "query");
        }
        Ok(Box::new(source))
    };
    Ok(match settings.collector.source {
        SourceKind::Simulator => Box::new(SimulatorSource::new(
            &simulator_settings(&settings.simulator),
            clock.now(),
        )),
        SourceKind::Prometheus => prometheus()?,
        SourceKind::Kubernetes => kubernetes(settings, false).await?,
        SourceKind::KubernetesPrometheus => Box::new(MergedSource::new(
            "kubernetes+prometheus",
            kubernetes(settings, true).await?,
            prometheus()?,
        )),
    })
}

/// The Kubernetes API source; usage from metrics-server unless Prometheus provides it.
async fn kubernetes(
    settings: &Settings,
    usage_from_prometheus: bool,
) -> anyhow::Result<Box<dyn MetricsSource>> {
    let source = KubernetesSource::connect(settings, usage_from_prometheus)
        .await
        .context("setting up the Kubernetes source")?;
    Ok(Box::new(source))
}
