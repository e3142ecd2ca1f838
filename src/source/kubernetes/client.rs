//! The Kubernetes client: from `[kubernetes]` (a kubeconfig file and context), else kube's
//! inference (`$KUBECONFIG`, `~/.kube/config`, then the in-cluster service account).

use crate::settings::KubernetesSettings;
use anyhow::Context as _;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// Where the configuration came from, for the start-up log.
pub fn describe(settings: &KubernetesSettings) -> String {
    match (&settings.kubeconfig, &settings.context) {
        (Some(path), Some(context)) => format!("{} (context {context})", path.display()),
        (Some(path), None) => path.display().to_string(),
        (None, Some(context)) => format!("$KUBECONFIG or ~/.kube/config (context {context})"),
        (None, None) => "$KUBECONFIG, ~/.kube/config or in-cluster".to_string(),
    }
}

/// The client configuration `settings` name.
pub async fn config(settings: &KubernetesSettings) -> anyhow::Result<Config> {
    let options = KubeConfigOptions {
        context: settings.context.clone(),
        ..KubeConfigOptions::default()
    };
    match (&settings.kubeconfig, &settings.context) {
        (Some(path), _) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .with_context(|| format!("reading the kubeconfig {}", path.display()))?;
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .with_context(|| format!("using the kubeconfig {}", path.display()))
        }
        (None, Some(context)) => Config::from_kubeconfig(&options)
            .await
            .with_context(|| format!("using context {context} of $KUBECONFIG or ~/.kube/config")),
        (None, None) => Config::infer().await.context(
            "no Kubernetes configuration found ($KUBECONFIG, ~/.kube/config, in-cluster); set \
             [kubernetes] kubeconfig",
        ),
    }
}

/// A client for the configured cluster, and the API server's URL.
pub async fn client(settings: &KubernetesSettings) -> anyhow::Result<(Client, String)> {
    crate::source::install_tls_provider();
    let config = config(settings).await?;
    let url = config.cluster_url.to_string();
    let client = Client::try_from(config).context("building the Kubernetes client")?;
    Ok((client, url))
}
