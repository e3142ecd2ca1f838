//! Alerter: sends incident transitions to Alertmanager and a webhook, rate-limited, and keeps
//! open incidents' alerts fresh in Alertmanager (which expires alerts that are not re-sent).
//! Sends run as futures on the actor's arbiter; a sink's failure is logged once per change of
//! state and never stops the daemon.

use super::Shutdown;
use crate::alerts::{alertmanager_alert, webhook_message, AlertClient, RateLimit};
use crate::analysis::{Incident, IncidentEvent, Transition};
use crate::service::telemetry::DaemonMetrics;
use crate::settings::AlertsSettings;
use actix::prelude::*;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// Incident transitions from the analysis.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct NotifyIncidents(pub Vec<IncidentEvent>);

/// Whether a sink's last send failed, shared with the send futures; and the counters.
#[derive(Clone)]
struct SinkHealth(Rc<Cell<bool>>, Arc<DaemonMetrics>);

impl SinkHealth {
    fn new(metrics: Arc<DaemonMetrics>) -> SinkHealth {
        SinkHealth(Rc::default(), metrics)
    }

    /// `n`: the notifications in the request.
    fn record(
        &self,
        sink: &'static str,
        n: usize,
        result: Result<(), crate::alerts::SendAlertError>,
    ) {
        for _ in 0..n {
            match &result {
                Ok(()) => self.1.alert_sent(sink),
                Err(_) => self.1.alert_dropped(sink, "send_failed"),
            }
        }
        match result {
            Ok(()) if self.0.get() => {
                tracing::info!(sink, "alert sink reachable again");
                self.0.set(false);
            }
            Err(e) if !self.0.get() => {
                tracing::warn!(sink, error = %e, "alert sink failing; alerts are lost until it answers");
                self.0.set(true);
            }
            _ => {}
        }
    }
}

/// A reload: new sinks, limits or timeout. The open incidents are kept, so Alertmanager's
/// alerts stay refreshed.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reconfigure(pub AlertsSettings, pub AlertClient);

pub struct Alerter {
    settings: AlertsSettings,
    client: Arc<AlertClient>,
    open: BTreeMap<String, Incident>,
    alertmanager_limit: RateLimit,
    webhook_limit: RateLimit,
    dropped: u64,
    alertmanager_health: SinkHealth,
    webhook_health: SinkHealth,
    metrics: Arc<DaemonMetrics>,
    /// The refresh timer, replaced when its interval changes.
    refresh: Option<SpawnHandle>,
}

impl Alerter {
    pub fn new(
        settings: AlertsSettings,
        client: AlertClient,
        metrics: Arc<DaemonMetrics>,
    ) -> Alerter {
        metrics.actor_known("alerter");
        if settings.alertmanager_url.is_some() {
            metrics.sink_known("alertmanager");
        }
        if settings.webhook_url.is_some() {
            metrics.sink_known("webhook");
        }
        Alerter {
            alertmanager_limit: RateLimit::per_minute(settings.max_per_minute),
            webhook_limit: RateLimit::per_minute(settings.max_per_minute),
            settings,
            client: Arc::new(client),
            open: BTreeMap::new(),
            dropped: 0,
            alertmanager_health: SinkHealth::new(metrics.clone()),
            webhook_health: SinkHealth::new(metrics.clone()),
            metrics,
            refresh: None,
        }
    }

    fn send_alerts(&self, alerts: Vec<crate::alerts::AlertmanagerAlert>, ctx: &mut Context<Self>) {
        let Some(url) = self.settings.alertmanager_url.clone() else {
            return;
        };
        if alerts.is_empty() {
            return;
        }
        let (client, health) = (self.client.clone(), self.alertmanager_health.clone());
        ctx.spawn(
            async move {
                let sent = client.post_alerts(&url, &alerts).await;
                health.record("alertmanager", alerts.len(), sent)
            }
            .into_actor(self),
        );
    }

    fn send_webhook(&self, message: serde_json::Value, ctx: &mut Context<Self>) {
        let Some(url) = self.settings.webhook_url.clone() else {
            return;
        };
        let (client, health) = (self.client.clone(), self.webhook_health.clone());
        ctx.spawn(
            async move { health.record("webhook", 1, client.post_webhook(&url, &message).await) }
                .into_actor(self),
        );
    }

    fn count_drop(&mut self, sink: &'static str) {
        self.metrics.alert_dropped(sink, "rate_limited");
        if self.dropped == 0 {
            tracing::warn!(
                max_per_minute = self.settings.max_per_minute,
                "alert rate limit reached; notifications are dropped (incidents stay in the journal)"
            );
        }
        self.dropped += 1;
    }
}

impl Actor for Alerter {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.start_refresh(ctx);
    }
}

impl Alerter {
    /// Refresh: Alertmanager resolves an alert it has not heard of for resolve_timeout.
    fn start_refresh(&mut self, ctx: &mut Context<Self>) {
        let timer = ctx.run_interval(self.settings.resend_interval, |act, ctx| {
            let alerts = act
                .open
                .values()
                .map(|i| alertmanager_alert(i, None))
                .collect();
            act.send_alerts(alerts, ctx);
        });
        self.refresh = Some(timer);
    }
}

impl Supervised for Alerter {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.metrics.actor_restarted("alerter");
        tracing::warn!("alerter restarted by its supervisor");
    }
}

impl Handler<NotifyIncidents> for Alerter {
    type Result = ();

    fn handle(&mut self, msg: NotifyIncidents, ctx: &mut Context<Self>) {
        let now = Instant::now();
        let mut alerts = Vec::new();
        for event in msg.0 {
            let incident = &event.incident;
            let notify = match event.event {
                Transition::Opened => {
                    self.open.insert(incident.id.clone(), incident.clone());
                    true
                }
                Transition::Updated => {
                    let severity_rose = self
                        .open
                        .get(&incident.id)
                        .is_none_or(|old| incident.severity > old.severity);
                    self.open.insert(incident.id.clone(), incident.clone());
                    severity_rose
                }
                Transition::Resolved => self.open.remove(&incident.id).is_some(),
            };
            if !notify {
                continue;
            }
            if self.settings.alertmanager_url.is_some() {
                // A resolution is never rate-limited away: a stuck alert is worse than a burst.
                if event.event == Transition::Resolved || self.alertmanager_limit.allow(now) {
                    let ends = (event.event == Transition::Resolved).then_some(event.at);
                    alerts.push(alertmanager_alert(incident, ends));
                } else {
                    self.count_drop("alertmanager");
                }
            }
            if self.settings.webhook_url.is_some() && event.event != Transition::Updated {
                if self.webhook_limit.allow(now) {
                    self.send_webhook(webhook_message(&event), ctx);
                } else {
                    self.count_drop("webhook");
                }
            }
        }
        self.send_alerts(alerts, ctx);
    }
}

impl Handler<Reconfigure> for Alerter {
    type Result = ();

    fn handle(&mut self, Reconfigure(settings, client): Reconfigure, ctx: &mut Context<Self>) {
        if settings.alertmanager_url.is_some() {
            self.metrics.sink_known("alertmanager");
        }
        if settings.webhook_url.is_some() {
            self.metrics.sink_known("webhook");
        }
        self.alertmanager_limit = RateLimit::per_minute(settings.max_per_minute);
        self.webhook_limit = RateLimit::per_minute(settings.max_per_minute);
        let resend = settings.resend_interval != self.settings.resend_interval;
        self.settings = settings;
        self.client = Arc::new(client);
        if resend {
            if let Some(t) = self.refresh.take() {
                ctx.cancel_future(t);
            }
            self.start_refresh(ctx);
        }
    }
}

impl Handler<Shutdown> for Alerter {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        if self.dropped > 0 {
            tracing::warn!(dropped = self.dropped, "alerts dropped by the rate limit");
        }
        tracing::info!(open = self.open.len(), "alerter done");
    }
}
