//! Alerter: sends incident transitions to Alertmanager and a webhook, rate-limited, and keeps
//! open incidents' alerts fresh in Alertmanager (which expires alerts that are not re-sent).
//! Sends run as futures on the actor's arbiter; a sink's failure is logged once per change of
//! state and never stops the daemon.

use super::Shutdown;
use crate::alerts::{alertmanager_alert, webhook_message, AlertClient, RateLimit};
use crate::analysis::{Incident, IncidentEvent, Transition};
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

/// Whether a sink's last send failed, shared with the send futures.
#[derive(Clone, Default)]
struct SinkHealth(Rc<Cell<bool>>);

impl SinkHealth {
    fn record(&self, sink: &'static str, result: Result<(), crate::alerts::SendAlertError>) {
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

pub struct Alerter {
    settings: AlertsSettings,
    client: Arc<AlertClient>,
    open: BTreeMap<String, Incident>,
    alertmanager_limit: RateLimit,
    webhook_limit: RateLimit,
    dropped: u64,
    alertmanager_health: SinkHealth,
    webhook_health: SinkHealth,
}

impl Alerter {
    pub fn new(settings: AlertsSettings, client: AlertClient) -> Alerter {
        Alerter {
            alertmanager_limit: RateLimit::per_minute(settings.max_per_minute),
            webhook_limit: RateLimit::per_minute(settings.max_per_minute),
            settings,
            client: Arc::new(client),
            open: BTreeMap::new(),
            dropped: 0,
            alertmanager_health: SinkHealth::default(),
            webhook_health: SinkHealth::default(),
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
            async move { health.record("alertmanager", client.post_alerts(&url, &alerts).await) }
                .into_actor(self),
        );
    }

    fn send_webhook(&self, message: serde_json::Value, ctx: &mut Context<Self>) {
        let Some(url) = self.settings.webhook_url.clone() else {
            return;
        };
        let (client, health) = (self.client.clone(), self.webhook_health.clone());
        ctx.spawn(
            async move { health.record("webhook", client.post_webhook(&url, &message).await) }
                .into_actor(self),
        );
    }

    fn count_drop(&mut self) {
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
        // Refresh: Alertmanager resolves an alert it has not heard of for resolve_timeout.
        ctx.run_interval(self.settings.resend_interval, |act, ctx| {
            let alerts = act
                .open
                .values()
                .map(|i| alertmanager_alert(i, None))
                .collect();
            act.send_alerts(alerts, ctx);
        });
    }
}

impl Supervised for Alerter {}

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
                    self.count_drop();
                }
            }
            if self.settings.webhook_url.is_some() && event.event != Transition::Updated {
                if self.webhook_limit.allow(now) {
                    self.send_webhook(webhook_message(&event), ctx);
                } else {
                    self.count_drop();
                }
            }
        }
        self.send_alerts(alerts, ctx);
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
