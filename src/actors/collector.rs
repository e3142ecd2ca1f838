//! Collector: drives a [`MetricsSource`] every `generator_interval` and hands the rows on.

use super::csv_writer::AppendRows;
use super::{catch_panic, Shutdown};
use crate::clock::Clock;
use crate::source::MetricsSource;
use actix::prelude::*;
use std::sync::Arc;
use std::time::Duration;

pub struct Collector {
    source: Box<dyn MetricsSource>,
    interval: Duration,
    sink: Recipient<AppendRows>,
    clock: Arc<dyn Clock>,
    failing: bool,
    stopped: bool,
}

impl Collector {
    pub fn new(
        source: Box<dyn MetricsSource>,
        interval: Duration,
        sink: Recipient<AppendRows>,
        clock: Arc<dyn Clock>,
    ) -> Collector {
        Collector {
            source,
            interval,
            sink,
            clock,
            failing: false,
            stopped: false,
        }
    }

    fn collect_once(&mut self, ctx: &mut Context<Self>) {
        if self.stopped {
            return;
        }
        let now = self.clock.now();
        let _span = tracing::debug_span!("collect", source = self.source.name()).entered();
        match catch_panic(|| self.source.collect(now)) {
            Ok(Ok(rows)) => {
                if self.failing {
                    tracing::info!(source = self.source.name(), "collection recovered");
                    self.failing = false;
                }
                tracing::debug!(rows = rows.len(), "collected");
                if !rows.is_empty() {
                    self.sink.do_send(AppendRows(rows));
                }
            }
            // One log line per state change, not one per failed interval.
            Ok(Err(e)) => {
                if !self.failing {
                    tracing::warn!(error = %e, "collection failing; will keep trying");
                    self.failing = true;
                }
            }
            Err(panic) => {
                tracing::error!(panic = %panic, "collector panicked; restarting it");
                ctx.stop();
            }
        }
    }
}

impl Actor for Collector {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        tracing::info!(
            source = self.source.name(),
            interval = ?self.interval,
            "collector started"
        );
        self.collect_once(ctx);
        ctx.run_interval(self.interval, |act, ctx| act.collect_once(ctx));
    }
}

impl Supervised for Collector {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        tracing::warn!("collector restarted by its supervisor");
    }
}

impl Handler<Shutdown> for Collector {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        self.stopped = true;
    }
}
