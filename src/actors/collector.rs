//! Collector: drives a [`MetricsSource`] every `generator_interval` and hands the rows on.
//!
//! A network source may take longer than one interval to answer (a slow Prometheus or API
//! server). The collection then runs on while the next ticks are skipped, counted and logged
//! once, so requests never pile up and rows are never collected twice for one interval.

use super::csv_writer::AppendRows;
use super::Shutdown;
use crate::clock::Clock;
use crate::metrics_row::PodMetricsRow;
use crate::service::health::{Health, SourceState};
use crate::service::telemetry::DaemonMetrics;
use crate::source::{MetricsSource, SourceError};
use actix::prelude::*;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// A reload: a new interval and/or a new source (rebuilt from new settings). A source swapped
/// while a collection is in flight takes over at the next one.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Reconfigure {
    pub interval: Option<Duration>,
    pub source: Option<Box<dyn MetricsSource>>,
}

pub struct Collector {
    /// `None` while a collection is in flight (the future owns the source until it answers).
    source: Option<Box<dyn MetricsSource>>,
    source_name: &'static str,
    interval: Duration,
    sink: Recipient<AppendRows>,
    clock: Arc<dyn Clock>,
    failing: bool,
    /// Ticks skipped because the previous collection had not answered yet, since it started.
    skipped: u64,
    /// Whether collections are slower than the interval (logged once per change).
    slow: bool,
    skipped_while_slow: u64,
    stopped: bool,
    metrics: Arc<DaemonMetrics>,
    health: Health,
    /// The interval timer, replaced when the interval changes.
    ticks: Option<SpawnHandle>,
    /// A new source waiting for the collection in flight to finish.
    next_source: Option<Box<dyn MetricsSource>>,
    /// Whether the first collection with pods was logged (one of the first lines an SRE reads).
    first_pods_said: bool,
    /// Fields and reasons of values already said to be written empty.
    emptied_said: std::collections::HashSet<(&'static str, &'static str)>,
}

type Outcome = (
    Box<dyn MetricsSource>,
    Result<Result<Vec<PodMetricsRow>, SourceError>, String>,
);

impl Collector {
    pub fn new(
        source: Box<dyn MetricsSource>,
        interval: Duration,
        sink: Recipient<AppendRows>,
        clock: Arc<dyn Clock>,
        metrics: Arc<DaemonMetrics>,
        health: Health,
    ) -> Collector {
        metrics.actor_known("collector");
        Collector {
            metrics,
            health,
            ticks: None,
            next_source: None,
            first_pods_said: false,
            emptied_said: Default::default(),
            source_name: source.name(),
            source: Some(source),
            interval,
            sink,
            clock,
            failing: false,
            skipped: 0,
            slow: false,
            skipped_while_slow: 0,
            stopped: false,
        }
    }

    fn collect_once(&mut self, ctx: &mut Context<Self>) {
        if self.stopped {
            return;
        }
        let Some(mut source) = self.source.take() else {
            if !self.slow {
                tracing::warn!(
                    source = self.source_name,
                    "the previous collection is still running; skipping intervals until \
                     collections keep up"
                );
                self.slow = true;
            }
            self.skipped += 1;
            self.skipped_while_slow += 1;
            return;
        };
        // Slow until a whole interval passes without a skip.
        if self.slow && self.skipped == 0 {
            tracing::info!(
                source = self.source_name,
                skipped = self.skipped_while_slow,
                "collections keep up with the interval again; intervals skipped meanwhile"
            );
            self.slow = false;
            self.skipped_while_slow = 0;
        }
        self.skipped = 0;
        let now = self.clock.now();
        let span = tracing::debug_span!("collect", source = self.source_name, %now);
        let collection = async move {
            // The call itself sits inside the caught future: a source may panic before its
            // first await as well as after.
            let outcome = AssertUnwindSafe(async { source.collect(now).await })
                .catch_unwind()
                .await;
            (source, outcome.map_err(|p| super::panic_message(&*p)))
        };
        ctx.spawn(
            tracing::Instrument::instrument(collection, span)
                .into_actor(self)
                .map(|outcome: Outcome, act, ctx| act.finish(outcome, ctx)),
        );
    }

    fn finish(&mut self, (source, outcome): Outcome, ctx: &mut Context<Self>) {
        let problem = source.problem();
        self.source = Some(self.next_source.take().unwrap_or(source));
        match outcome {
            Ok(Ok(mut rows)) => {
                // The reader's rule, applied before writing: a value that cannot be a
                // measurement is written empty, the rest of the row kept.
                for row in &mut rows {
                    for e in crate::csv_input::clear_unmeasurable(row) {
                        let field = e.field().unwrap_or("unknown");
                        self.metrics.field_emptied(field, e.reason());
                        if self.emptied_said.insert((field, e.reason())) {
                            tracing::warn!(
                                source = self.source_name,
                                namespace = %row.namespace,
                                pod = %row.pod,
                                "{e}: written empty, the rest of the row kept (said once per \
                                 field and reason; counted in k8s_monitor_fields_emptied_total)"
                            );
                        }
                    }
                }
                self.metrics.collection(problem.is_none());
                self.health.source(match problem {
                    None => SourceState::Up,
                    Some(p) => SourceState::Down(p),
                });
                if self.failing {
                    tracing::info!(source = self.source_name, "collection recovered");
                    self.failing = false;
                }
                tracing::debug!(rows = rows.len(), "collected");
                if !self.first_pods_said && !rows.is_empty() {
                    self.first_pods_said = true;
                    let namespaces: std::collections::BTreeSet<&str> =
                        rows.iter().map(|r| r.namespace.as_str()).collect();
                    tracing::info!(
                        source = self.source_name,
                        pods = rows.len(),
                        namespaces = namespaces.len(),
                        "first collection: {} pods in {} namespaces",
                        rows.len(),
                        namespaces.len()
                    );
                }
                if !rows.is_empty() {
                    self.sink.do_send(AppendRows(rows));
                }
            }
            // One log line per state change, not one per failed interval.
            Ok(Err(e)) => {
                self.metrics.collection(false);
                self.health.source(SourceState::Down(e.to_string()));
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
            source = self.source_name,
            interval = ?self.interval,
            "collector started"
        );
        self.collect_once(ctx);
        self.ticks = Some(ctx.run_interval(self.interval, |act, ctx| act.collect_once(ctx)));
    }
}

impl Handler<Reconfigure> for Collector {
    type Result = ();

    fn handle(&mut self, msg: Reconfigure, ctx: &mut Context<Self>) {
        if let Some(source) = msg.source {
            tracing::info!(
                source = source.name(),
                "collecting from the reloaded source"
            );
            self.source_name = source.name();
            self.failing = false;
            match self.source.as_mut() {
                Some(current) => *current = source,
                None => self.next_source = Some(source),
            }
        }
        if let Some(interval) = msg.interval.filter(|i| *i != self.interval) {
            self.interval = interval;
            if let Some(ticks) = self.ticks.take() {
                ctx.cancel_future(ticks);
            }
            self.ticks = Some(ctx.run_interval(interval, |act, ctx| act.collect_once(ctx)));
        }
    }
}

impl Supervised for Collector {
    fn restarting(&mut self, _ctx: &mut Context<Self>) {
        self.metrics.actor_restarted("collector");
        tracing::warn!("collector restarted by its supervisor");
    }
}

impl Handler<Shutdown> for Collector {
    type Result = ();

    fn handle(&mut self, _: Shutdown, _ctx: &mut Context<Self>) {
        self.stopped = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::metrics_row::PodMetricsRow;
    use crate::source::Collection;
    use chrono::{DateTime, Utc};
    use std::sync::{Arc, Mutex};

    /// Panics on its second collection, works otherwise.
    struct FlakySource(u32);

    impl MetricsSource for FlakySource {
        fn name(&self) -> &'static str {
            "flaky"
        }
        fn collect(&mut self, now: DateTime<Utc>) -> Collection<'_> {
            self.0 += 1;
            if self.0 == 2 {
                panic!("source bug");
            }
            Box::pin(std::future::ready(Ok(vec![PodMetricsRow::empty(
                now, "ns", "pod-a",
            )])))
        }
    }

    /// Timestamps of the rows received.
    struct Recorder(Arc<Mutex<Vec<DateTime<Utc>>>>);

    impl Actor for Recorder {
        type Context = Context<Self>;
    }

    impl Handler<AppendRows> for Recorder {
        type Result = ();
        fn handle(&mut self, msg: AppendRows, _: &mut Context<Self>) {
            self.0
                .lock()
                .unwrap()
                .extend(msg.0.iter().map(|r| r.timestamp));
        }
    }

    #[test]
    fn a_panicking_source_restarts_the_collector_which_keeps_collecting() {
        let rows = Arc::new(Mutex::new(Vec::new()));
        let seen = rows.clone();
        let now: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        actix::System::new().block_on(async move {
            let sink = Recorder(seen.clone()).start().recipient();
            let _collector = Supervisor::start(move |_| {
                Collector::new(
                    Box::new(FlakySource(0)),
                    Duration::from_millis(20),
                    sink,
                    Arc::new(ManualClock::new(now)),
                    Arc::new(DaemonMetrics::new(0)),
                    Health::new(),
                )
            });
            // Bounded wait for rows collected after the panic (the 2nd collection panicked).
            for _ in 0..250 {
                if seen.lock().unwrap().len() >= 3 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        let rows = rows.lock().unwrap();
        assert!(rows.len() >= 3, "collection went on after the panic");
        assert!(
            rows.iter().all(|t| *t == now),
            "rows are stamped by the injected clock"
        );
    }

    /// Answers after `delay`, counting collections in flight.
    struct SlowSource {
        delay: Duration,
        in_flight: Arc<Mutex<(u32, u32)>>,
    }

    impl MetricsSource for SlowSource {
        fn name(&self) -> &'static str {
            "slow"
        }
        fn collect(&mut self, now: DateTime<Utc>) -> Collection<'_> {
            let (delay, counts) = (self.delay, self.in_flight.clone());
            Box::pin(async move {
                {
                    let mut c = counts.lock().unwrap();
                    c.0 += 1;
                    c.1 = c.1.max(c.0);
                }
                tokio::time::sleep(delay).await;
                counts.lock().unwrap().0 -= 1;
                Ok(vec![PodMetricsRow::empty(now, "ns", "pod-a")])
            })
        }
    }

    #[test]
    fn a_source_slower_than_the_interval_is_never_run_twice_at_once() {
        let rows = Arc::new(Mutex::new(Vec::new()));
        let seen = rows.clone();
        let counts = Arc::new(Mutex::new((0, 0)));
        let source = SlowSource {
            delay: Duration::from_millis(120),
            in_flight: counts.clone(),
        };
        let now: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        actix::System::new().block_on(async move {
            let sink = Recorder(seen.clone()).start().recipient();
            let _collector = Collector::new(
                Box::new(source),
                Duration::from_millis(20),
                sink,
                Arc::new(ManualClock::new(now)),
                Arc::new(DaemonMetrics::new(0)),
                Health::new(),
            )
            .start();
            for _ in 0..250 {
                if seen.lock().unwrap().len() >= 3 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        assert!(
            rows.lock().unwrap().len() >= 3,
            "slow collections still deliver"
        );
        assert_eq!(
            counts.lock().unwrap().1,
            1,
            "at most one collection in flight"
        );
    }

    /// Rows of one named pod, and whether it is down (for readiness).
    struct PodSource(&'static str, Option<&'static str>);

    impl MetricsSource for PodSource {
        fn name(&self) -> &'static str {
            "pods"
        }
        fn collect(&mut self, now: DateTime<Utc>) -> Collection<'_> {
            let row = PodMetricsRow::empty(now, "ns", self.0);
            Box::pin(std::future::ready(Ok(vec![row])))
        }
        fn problem(&self) -> Option<String> {
            self.1.map(str::to_string)
        }
    }

    /// Pod names of the rows received.
    struct PodRecorder(Arc<Mutex<Vec<String>>>);

    impl Actor for PodRecorder {
        type Context = Context<Self>;
    }

    impl Handler<AppendRows> for PodRecorder {
        type Result = ();
        fn handle(&mut self, msg: AppendRows, _: &mut Context<Self>) {
            let mut seen = self.0.lock().unwrap();
            seen.extend(msg.0.iter().map(|r| r.pod.clone()));
        }
    }

    #[test]
    fn a_reload_swaps_the_source_and_the_interval_and_readiness_follows_the_source() {
        let pods = Arc::new(Mutex::new(Vec::new()));
        let seen = pods.clone();
        let health = Health::new();
        let h = health.clone();
        let now: DateTime<Utc> = "2030-01-01T00:00:00Z".parse().unwrap();
        actix::System::new().block_on(async move {
            let sink = PodRecorder(seen.clone()).start().recipient();
            let collector = Collector::new(
                Box::new(PodSource("old", None)),
                // Long: only the first collection happens before the reload.
                Duration::from_secs(3600),
                sink,
                Arc::new(ManualClock::new(now)),
                Arc::new(DaemonMetrics::new(0)),
                h.clone(),
            )
            .start();
            for _ in 0..250 {
                if !seen.lock().unwrap().is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            assert_eq!(h.source_state(), SourceState::Up);
            collector.do_send(Reconfigure {
                interval: Some(Duration::from_millis(20)),
                source: Some(Box::new(PodSource("new", Some("backend down")))),
            });
            for _ in 0..250 {
                if seen.lock().unwrap().iter().filter(|p| *p == "new").count() >= 3 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let pods = pods.lock().unwrap();
        assert_eq!(pods[0], "old");
        assert!(
            pods.iter().filter(|p| *p == "new").count() >= 3,
            "the new source at the new interval: {pods:?}"
        );
        assert!(pods.iter().skip_while(|p| *p == "old").all(|p| p == "new"));
        assert_eq!(
            health.source_state(),
            SourceState::Down("backend down".to_string()),
            "rows through an outage are not a working source"
        );
    }
}
