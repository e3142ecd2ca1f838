//! Orchestrator: the actor that owns the daemon's lifecycle. [`run`] starts the agents in
//! dependency order (each under a supervisor that restarts it after a panic) and the HTTP
//! endpoint; the [`Orchestrator`] then
//! - pings every agent each heartbeat: the answers make `/readyz` and, only while all answer
//!   (or make progress), the systemd watchdog ping and its status line;
//! - on SIGTERM or SIGINT stops the agents front to back within [`SHUTDOWN_BUDGET`], so every
//!   row collected is written, scored and published before the process exits (a second signal
//!   exits at once);
//! - on SIGHUP, or when the config file's contents change, reloads the settings: an invalid
//!   file is rejected with every problem logged and the daemon runs on unchanged; a valid one
//!   is applied to the running agents (history, model state and open incidents kept), and the
//!   keys that need a restart are named ([`crate::settings::reload`]).
//!
//! The actor, its heartbeat and its stop are here; starting is in `start.rs`, reloading in
//! `reload.rs`.

mod reload;
mod start;

pub use reload::{Handles, LoadSettings, Reload, Reloading, SetLogFilter};
pub use start::run;

use super::{Ping, Shutdown};
use crate::clock::Clock;
use crate::service::health::{Health, Progress};
use crate::service::systemd::{heartbeat_period, Notice, ServiceManager};
use crate::service::telemetry::DaemonMetrics;
use crate::settings::Settings;
use actix::prelude::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The whole stop, every agent included: below the unit's `TimeoutStopSec=60` (and the
/// Deployment's grace period), so systemd never has to SIGKILL a daemon that is still flushing.
pub const SHUTDOWN_BUDGET: Duration = Duration::from_secs(45);

/// Which agents run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agents {
    /// The whole daemon (`run`).
    All,
    /// The collector and the CSV writer (`collect`).
    CollectOnly,
}

/// One running agent, as the orchestrator sees it.
pub struct Agent {
    pub name: &'static str,
    pub ping: Recipient<Ping>,
    /// `None`: nothing to flush (the LLM explainer).
    pub shutdown: Option<Recipient<Shutdown>>,
    /// For an agent that works through long messages on its own thread: finished work, so a
    /// busy agent is told from a stuck one.
    pub progress: Option<Progress>,
}

/// A termination signal, by name.
#[derive(Debug, Message)]
#[rtype(result = "()")]
pub struct Terminate(pub &'static str);

pub struct Orchestrator {
    /// Front to back: each one's output is the next one's input.
    agents: Vec<Agent>,
    health: Health,
    metrics: Arc<DaemonMetrics>,
    manager: Box<dyn ServiceManager>,
    heartbeat: Duration,
    beating: bool,
    /// Each agent's progress at the previous heartbeat.
    last_progress: Vec<Option<u64>>,
    /// What the last heartbeat found unanswered (logged when it changes).
    unanswered: Vec<String>,
    stopping: bool,
    done: Option<tokio::sync::oneshot::Sender<()>>,
    handles: Handles,
    /// The settings the agents run on.
    running: Settings,
    reloading: Option<Reloading>,
    clock: Arc<dyn Clock>,
    /// The config file's contents at the last load, so a change event that changed nothing
    /// (an editor's temporary file, a touch) reloads nothing.
    config_contents: Option<Vec<u8>>,
    reload_due: bool,
    _config_watch: Option<crate::csv_input::FileWatch>,
}

impl Orchestrator {
    /// `done` fires once every agent has stopped.
    pub fn new(
        agents: Vec<Agent>,
        health: Health,
        metrics: Arc<DaemonMetrics>,
        manager: Box<dyn ServiceManager>,
        done: tokio::sync::oneshot::Sender<()>,
    ) -> Orchestrator {
        let heartbeat = heartbeat_period(manager.watchdog_interval());
        Orchestrator {
            last_progress: vec![None; agents.len()],
            agents,
            health,
            metrics,
            manager,
            heartbeat,
            beating: false,
            unanswered: Vec::new(),
            stopping: false,
            done: Some(done),
            handles: Handles::default(),
            running: Settings::default(),
            reloading: None,
            clock: Arc::new(crate::clock::SystemClock),
            config_contents: None,
            reload_due: false,
            _config_watch: None,
        }
    }

    /// Pings every agent; at most one heartbeat in flight.
    fn beat(&mut self, ctx: &mut Context<Self>) {
        if self.beating || self.stopping {
            return;
        }
        self.beating = true;
        let timeout = self.heartbeat;
        let pings: Vec<_> = self
            .agents
            .iter()
            .map(|a| tokio::time::timeout(timeout, a.ping.send(Ping)))
            .collect();
        futures_util::future::join_all(pings)
            .into_actor(self)
            .map(move |answers, act, _ctx| {
                act.beating = false;
                let answered: Vec<bool> = answers.iter().map(|a| matches!(a, Ok(Ok(())))).collect();
                act.judge(&answered, timeout);
            })
            .spawn(ctx);
    }

    /// What one heartbeat's answers mean: readiness, and the watchdog ping only if every agent
    /// answered or made progress since the previous heartbeat.
    fn judge(&mut self, answered: &[bool], timeout: Duration) {
        if self.stopping {
            return;
        }
        let mut unanswered = Vec::new();
        for (i, agent) in self.agents.iter().enumerate() {
            let progress = agent.progress.as_ref().map(Progress::get);
            let progressed = progress.is_some() && progress != self.last_progress[i];
            self.last_progress[i] = progress;
            if !answered[i] && !progressed {
                unanswered.push(format!(
                    "{}: no answer within {}",
                    agent.name,
                    humantime::format_duration(timeout)
                ));
            }
        }
        if unanswered != self.unanswered {
            if unanswered.is_empty() {
                tracing::info!("every agent answers again");
            } else {
                tracing::error!(
                    agents = %unanswered.join("; "),
                    "agents not answering: readiness fails and the watchdog is not pinged"
                );
            }
            self.unanswered = unanswered.clone();
        }
        if unanswered.is_empty() {
            self.manager.notify(&[
                Notice::Watchdog,
                Notice::status(&self.metrics.status_line()),
            ]);
        } else {
            self.manager.notify(&[Notice::status(&format!(
                "not answering: {}",
                unanswered.join("; ")
            ))]);
        }
        self.health.heartbeat(unanswered);
    }
}

impl Actor for Orchestrator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        self.watch_config(ctx);
        self.health.pipeline_started();
        self.manager.notify(&[
            Notice::Ready,
            Notice::status("running; first verdicts soon"),
        ]);
        self.beat(ctx);
        ctx.run_interval(self.heartbeat, |act, ctx| act.beat(ctx));
    }
}

impl Handler<Terminate> for Orchestrator {
    type Result = ();

    fn handle(&mut self, msg: Terminate, ctx: &mut Context<Self>) {
        if self.stopping {
            // The operator insists; files are written atomically or appended line by line,
            // so nothing is left half-written, only the unscored tail is scored next start.
            tracing::warn!(signal = msg.0, "second signal while stopping: exiting now");
            std::process::exit(1);
        }
        tracing::info!(
            signal = msg.0,
            "stopping: flushing rows, scoring what is left, writing insights"
        );
        self.stopping = true;
        self.health.stopping();
        self.manager
            .notify(&[Notice::Stopping, Notice::status("stopping")]);
        let steps: Vec<(&'static str, Recipient<Shutdown>)> = self
            .agents
            .iter()
            .filter_map(|a| a.shutdown.clone().map(|s| (a.name, s)))
            .collect();
        let done = self.done.take();
        ctx.spawn(
            async move {
                stop_in_order(steps, SHUTDOWN_BUDGET).await;
                if let Some(done) = done {
                    let _ = done.send(());
                }
            }
            .into_actor(self),
        );
    }
}

/// Stops the agents one after the other, front to back, within `budget` for them all.
async fn stop_in_order(steps: Vec<(&'static str, Recipient<Shutdown>)>, budget: Duration) {
    let deadline = Instant::now() + budget;
    for (name, agent) in steps {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, agent.send(Shutdown)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(agent = name, error = %e, "agent was already gone"),
            Err(_) => tracing::warn!(
                agent = name,
                budget = %humantime::format_duration(budget),
                "agent did not finish within the shutdown budget; what it had not written is \
                 read again from the CSV at the next start"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Records what the orchestrator tells the service manager.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<Notice>>>);

    impl ServiceManager for Recorder {
        fn notify(&self, notices: &[Notice]) {
            self.0.lock().unwrap().extend(notices.iter().cloned());
        }
        fn watchdog_interval(&self) -> Option<Duration> {
            Some(Duration::from_millis(200))
        }
    }

    /// An agent on its own thread that blocks in a message until released.
    struct Blocking(Arc<Mutex<std::sync::mpsc::Receiver<()>>>);

    impl Actor for Blocking {
        type Context = SyncContext<Self>;
    }

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Work;

    impl Handler<Work> for Blocking {
        type Result = ();
        fn handle(&mut self, _: Work, _: &mut SyncContext<Self>) {
            let _ = self.0.lock().unwrap().recv();
        }
    }

    impl Handler<Ping> for Blocking {
        type Result = ();
        fn handle(&mut self, _: Ping, _: &mut SyncContext<Self>) {}
    }

    /// Polls `done` every 10 ms for up to 5 s.
    async fn wait_for(what: &str, done: impl Fn() -> bool) {
        for _ in 0..500 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}");
    }

    fn pings(r: &Recorder) -> usize {
        r.0.lock()
            .unwrap()
            .iter()
            .filter(|n| **n == Notice::Watchdog)
            .count()
    }

    #[test]
    fn the_watchdog_is_pinged_only_while_every_agent_answers() {
        let recorder = Recorder::default();
        let seen = recorder.clone();
        let health = Health::new();
        let h = health.clone();
        actix::System::new().block_on(async move {
            let (release, gate) = std::sync::mpsc::channel();
            let g = Arc::new(Mutex::new(gate));
            let blocking = SyncArbiter::start(1, move || Blocking(g.clone()));
            let (done, _stopped) = tokio::sync::oneshot::channel();
            let agents = vec![Agent {
                name: "blocking",
                ping: blocking.clone().recipient(),
                shutdown: None,
                progress: None,
            }];
            let _o = Orchestrator::new(
                agents,
                h.clone(),
                Arc::new(DaemonMetrics::new(0)),
                Box::new(recorder),
                done,
            )
            .start();
            // Heartbeat every 100 ms (half the 200 ms watchdog). Waits are bounded polls, so a
            // loaded machine is slower, not failing; only the absence of pings needs a window.
            wait_for("two pings while the agent answers", || pings(&seen) >= 2).await;
            assert_eq!(seen.0.lock().unwrap()[0], Notice::Ready);
            // The agent gets stuck: once readiness says so, no ping goes out.
            blocking.do_send(Work);
            wait_for("readiness to name the stuck agent", || {
                h.readiness()
                    .err()
                    .is_some_and(|r| r.iter().any(|r| r.starts_with("blocking: no answer")))
            })
            .await;
            let stuck_from = pings(&seen);
            tokio::time::sleep(Duration::from_millis(600)).await;
            assert_eq!(pings(&seen), stuck_from, "no ping while it is stuck");
            release.send(()).unwrap();
            wait_for("pings to resume once it answers", || {
                pings(&seen) > stuck_from
            })
            .await;
        });
        assert!(health.readiness().unwrap_err()[0].starts_with("source"));
    }
}
