//! The background tasks that keep the source's picture of the cluster current, so that a
//! collection only reads memory and never waits on the network.
//!
//! - Two watches (kube's `watcher`, with kube's default backoff): pods, and events about pods.
//!   kube resumes a broken watch from its last resource version and re-lists after `410 Gone`.
//!   When resuming fails (the API server is away), the watch is restarted from a fresh list
//!   after a backoff, so that its recovery shows as a completed list (a resumed watch shows
//!   nothing until an object changes) and the store is known to be current again.
//! - A poller, once per interval: the PodMetrics list (when usage comes from metrics-server),
//!   else `GET /version`. Besides usage it tells whether the API server answers at all: a
//!   watch on a connection that went silent shows nothing for minutes. When the poller sees
//!   the API server answer again while the watches report no error, the watches are
//!   restarted, since they may have hung on a dead connection.

use super::events::EventLog;
use super::health::{classify, classify_watch, Problem, ProblemKind};
use super::metrics_api::{self, Usage};
use super::store::PodStore;
use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, DynamicObject};
use kube::runtime::utils::Backoff as _;
use kube::runtime::watcher::{self, watcher, DefaultBackoff};
use kube::Client;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch as signal;
use tokio::task::JoinHandle;

/// What the poller learnt last.
#[derive(Default)]
pub struct Poll {
    /// Requests completed or timed out so far.
    pub attempts: u64,
    /// Why the API server did not answer the last poll.
    pub api_problem: Option<Problem>,
    /// Why the last PodMetrics list gave no usage (the API server answered).
    pub metrics_problem: Option<Problem>,
    /// Usage from the last PodMetrics list; `None` if it failed or is not used.
    pub usage: Option<Usage>,
}

/// Everything the tasks learn, read by `collect`.
#[derive(Default)]
pub struct Shared {
    pub pods: PodStore,
    pub pods_problem: Option<Problem>,
    pub events: EventLog,
    pub events_problem: Option<Problem>,
    pub poll: Poll,
}

pub type SharedState = Arc<Mutex<Shared>>;

/// Locks the state; a panic in another holder does not make it unusable (every update leaves
/// it consistent).
pub fn lock(shared: &SharedState) -> std::sync::MutexGuard<'_, Shared> {
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the tasks need to know.
pub struct Plan {
    pub client: Client,
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    pub interval: Duration,
    /// A poll not answered within this is an API server not answering.
    pub poll_timeout: Duration,
    /// List PodMetrics for usage (else usage comes from elsewhere and the poll is `/version`).
    pub usage_from_metrics_api: bool,
}

fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Starts the watches and the poller; dropping the handles' tasks (abort) stops them.
pub fn spawn(plan: Plan, shared: &SharedState) -> Vec<JoinHandle<()>> {
    let (kick, kicked) = signal::channel(0u64);
    let ns = plan.namespace.as_deref();
    let pods = run_watch(
        api::<Pod>(&plan.client, ns),
        watcher::Config::default(),
        shared.clone(),
        kicked.clone(),
        Target::Pods,
    );
    let events = run_watch(
        api::<Event>(&plan.client, ns),
        watcher::Config::default().fields("involvedObject.kind=Pod"),
        shared.clone(),
        kicked,
        Target::Events,
    );
    let metrics = plan.usage_from_metrics_api.then(|| {
        let ar = metrics_api::pod_metrics_resource();
        match ns {
            Some(ns) => Api::<DynamicObject>::namespaced_with(plan.client.clone(), ns, &ar),
            None => Api::<DynamicObject>::all_with(plan.client.clone(), &ar),
        }
    });
    let poller = run_poller(plan, metrics, shared.clone(), kick);
    vec![
        tokio::spawn(pods),
        tokio::spawn(events),
        tokio::spawn(poller),
    ]
}

#[derive(Clone, Copy)]
enum Target {
    Pods,
    Events,
}

/// A watched resource: how its watcher events update the shared state.
trait Watched: kube::Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static {
    fn apply(s: &mut Shared, ev: watcher::Event<Self>);
}

impl Watched for Pod {
    fn apply(s: &mut Shared, ev: watcher::Event<Pod>) {
        match ev {
            watcher::Event::Init => s.pods.list_started(),
            watcher::Event::InitApply(p) => s.pods.listed(&p),
            watcher::Event::InitDone => s.pods.list_done(),
            watcher::Event::Apply(p) => s.pods.applied(&p),
            watcher::Event::Delete(p) => s.pods.deleted(&p),
        }
    }
}

impl Watched for Event {
    fn apply(s: &mut Shared, ev: watcher::Event<Event>) {
        match ev {
            watcher::Event::Init => s.events.list_started(),
            watcher::Event::InitApply(e) => s.events.listed(&e),
            watcher::Event::InitDone => s.events.list_done(),
            watcher::Event::Apply(e) => s.events.applied(&e),
            watcher::Event::Delete(e) => s.events.deleted(&e),
        }
    }
}

fn problem_slot(s: &mut Shared, target: Target) -> &mut Option<Problem> {
    match target {
        Target::Pods => &mut s.pods_problem,
        Target::Events => &mut s.events_problem,
    }
}

/// Why a watch stream was left.
enum Leave {
    /// Resuming failed: start again from a list, after this delay.
    ResumeFailed(Duration),
    /// The poller saw the API server come back: start again from a list now.
    Kicked,
    /// The source is gone.
    Stop,
}

/// Sleeps `delay`, or less if kicked. `Some` if the wait was cut short.
async fn pause(delay: Duration, kicked: &mut signal::Receiver<u64>) -> Option<Leave> {
    tokio::select! {
        () = tokio::time::sleep(delay) => None,
        changed = kicked.changed() => Some(if changed.is_err() { Leave::Stop } else { Leave::Kicked }),
    }
}

/// Runs one watch for the life of the source.
///
/// The backoff is kube's default (0.8 s doubling to 30 s, with jitter), applied here rather
/// than with `WatchStreamExt::default_backoff`: that one resets on every `Ok` item, and the
/// watcher yields `Ok(Init)` before each list attempt, so while lists fail it would retry
/// every 0.8 s forever. Here only progress resets it: a listed page, a completed list, or a
/// watch event.
async fn run_watch<K>(
    api: Api<K>,
    config: watcher::Config,
    shared: SharedState,
    mut kicked: signal::Receiver<u64>,
    target: Target,
) where
    K: Watched,
    <K as kube::Resource>::DynamicType: Default,
{
    let what = match target {
        Target::Pods => "pods",
        Target::Events => "events",
    };
    let mut backoff = DefaultBackoff::default();
    let next_delay =
        |backoff: &mut DefaultBackoff| backoff.next().unwrap_or(Duration::from_secs(30));
    loop {
        let mut stream = watcher(api.clone(), config.clone()).boxed();
        let leave = loop {
            let item = tokio::select! {
                item = stream.next() => item,
                changed = kicked.changed() => {
                    break if changed.is_err() { Leave::Stop } else { Leave::Kicked };
                }
            };
            match item {
                Some(Ok(ev)) => {
                    let progress = !matches!(ev, watcher::Event::Init);
                    let mut s = lock(&shared);
                    K::apply(&mut s, ev);
                    if progress {
                        *problem_slot(&mut s, target) = None;
                        backoff.reset();
                    }
                }
                Some(Err(e)) => {
                    let problem = classify_watch(&e);
                    match &problem {
                        None => {
                            tracing::debug!(watch = what, error = %e, "watch interrupted; kube resumes or re-lists")
                        }
                        Some(p) => {
                            tracing::debug!(watch = what, error = %p.message, "watch failing; retrying with backoff")
                        }
                    }
                    if let Some(p) = problem {
                        *problem_slot(&mut lock(&shared), target) = Some(p);
                    }
                    let delay = next_delay(&mut backoff);
                    if matches!(e, watcher::Error::WatchStartFailed(_)) {
                        break Leave::ResumeFailed(delay);
                    }
                    if let Some(leave) = pause(delay, &mut kicked).await {
                        break leave;
                    }
                }
                // The watcher never ends; if it did, start it again.
                None => break Leave::ResumeFailed(next_delay(&mut backoff)),
            }
        };
        match leave {
            Leave::Stop => return,
            Leave::Kicked => {
                tracing::debug!(watch = what, "API server answering again; re-listing");
            }
            Leave::ResumeFailed(delay) => {
                tracing::debug!(watch = what, ?delay, "restarting the watch from a list");
                if let Some(Leave::Stop) = pause(delay, &mut kicked).await {
                    return;
                }
            }
        }
    }
}

/// What one poll learnt.
enum PollOutcome {
    Answered {
        usage: Option<Usage>,
        metrics_problem: Option<Problem>,
    },
    NoAnswer(Problem),
}

async fn poll_once(plan: &Plan, metrics: Option<&Api<DynamicObject>>) -> PollOutcome {
    let answered = |usage, metrics_problem| PollOutcome::Answered {
        usage,
        metrics_problem,
    };
    let timeout = plan.poll_timeout;
    let no_answer = || {
        PollOutcome::NoAnswer(Problem::unreachable(format!(
            "no answer within {}",
            humantime::format_duration(timeout)
        )))
    };
    match metrics {
        Some(api) => match tokio::time::timeout(timeout, metrics_api::fetch(api)).await {
            Err(_) => no_answer(),
            Ok(Ok(usage)) => answered(Some(usage), None),
            Ok(Err(e)) => {
                let p = classify(&e);
                match p.kind {
                    // Credentials are rejected for every request, not just this one.
                    ProblemKind::Unreachable | ProblemKind::Unauthorized => {
                        PollOutcome::NoAnswer(p)
                    }
                    _ => answered(None, Some(p)),
                }
            }
        },
        None => match tokio::time::timeout(timeout, plan.client.apiserver_version()).await {
            Err(_) => no_answer(),
            Ok(Ok(_)) => answered(None, None),
            Ok(Err(e)) => {
                let p = classify(&e);
                match p.kind {
                    ProblemKind::Unreachable | ProblemKind::Unauthorized => {
                        PollOutcome::NoAnswer(p)
                    }
                    _ => answered(None, None),
                }
            }
        },
    }
}

async fn run_poller(
    plan: Plan,
    metrics: Option<Api<DynamicObject>>,
    shared: SharedState,
    kick: signal::Sender<u64>,
) {
    let mut ticker = tokio::time::interval(plan.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let outcome = poll_once(&plan, metrics.as_ref()).await;
        let mut s = lock(&shared);
        let was_down = s.poll.api_problem.is_some();
        s.poll.attempts += 1;
        match outcome {
            PollOutcome::Answered {
                usage,
                metrics_problem,
            } => {
                s.poll.api_problem = None;
                s.poll.usage = usage;
                s.poll.metrics_problem = metrics_problem;
                // The watches did not notice the outage: they may sit on a dead connection.
                if was_down && s.pods_problem.is_none() {
                    kick.send_modify(|n| *n += 1);
                }
            }
            PollOutcome::NoAnswer(p) => {
                s.poll.api_problem = Some(p);
                s.poll.usage = None;
            }
        }
    }
}
