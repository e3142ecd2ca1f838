//! The HTTP side of the alert sinks: Alertmanager's v2 API and a generic webhook.

use super::payload::AlertmanagerAlert;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SendAlertError {
    #[error("sending to {url} failed: {message}")]
    Unreachable { url: String, message: String },
    #[error("{url} answered HTTP {status}: {body}")]
    Refused {
        url: String,
        status: u16,
        body: String,
    },
}

pub struct AlertClient {
    http: reqwest::Client,
}

impl AlertClient {
    pub fn new(timeout: Duration) -> Result<AlertClient, reqwest::Error> {
        crate::source::install_tls_provider();
        Ok(AlertClient {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .user_agent(concat!("k8s-monitor/", env!("CARGO_PKG_VERSION")))
                .build()?,
        })
    }

    /// `POST {base}/api/v2/alerts`.
    pub async fn post_alerts(
        &self,
        base_url: &str,
        alerts: &[AlertmanagerAlert],
    ) -> Result<(), SendAlertError> {
        let url = format!("{}/api/v2/alerts", base_url.trim_end_matches('/'));
        self.post(&url, &alerts).await
    }

    /// `POST` the JSON to a webhook URL.
    pub async fn post_webhook(
        &self,
        url: &str,
        message: &serde_json::Value,
    ) -> Result<(), SendAlertError> {
        self.post(url, message).await
    }

    async fn post<T: serde::Serialize + ?Sized>(
        &self,
        url: &str,
        body: &T,
    ) -> Result<(), SendAlertError> {
        let response = self.http.post(url).json(body).send().await.map_err(|e| {
            SendAlertError::Unreachable {
                url: url.to_string(),
                message: e.to_string(),
            }
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        Err(SendAlertError::Refused {
            url: url.to_string(),
            status: status.as_u16(),
            body: body
                .chars()
                .take(200)
                .collect::<String>()
                .trim()
                .to_string(),
        })
    }
}
