//! The daemon's actors, one per agent, each with its messages beside it.
//!
//! Data flows Collector → CsvWriter → (file) → DatasetGenerator → AnomalyModel → Analysis →
//! InsightsWriter;
//! the [`orchestrator`] starts them in reverse order, supervises them and stops them.

pub mod alerter;
pub mod analysis;
pub mod anomaly_model;
pub mod collector;
pub mod csv_writer;
pub mod dataset_generator;
pub mod insights_writer;
pub mod llm_explainer;
pub mod orchestrator;

/// Asks an actor to finish its work (flush, persist) before the daemon exits.
#[derive(Debug, Clone, Copy, actix::Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// Asks an actor whether it is answering: the orchestrator's heartbeat (readiness and the
/// systemd watchdog). Handled at once; an actor stuck in a message never answers.
#[derive(Debug, Clone, Copy, actix::Message)]
#[rtype(result = "()")]
pub struct Ping;

/// Answers [`Ping`] for each listed actor type.
macro_rules! answer_pings {
    ($($actor:ty),* $(,)?) => {$(
        impl actix::Handler<Ping> for $actor {
            type Result = ();
            fn handle(&mut self, _: Ping, _: &mut <$actor as actix::Actor>::Context) {}
        }
    )*};
}

answer_pings!(
    alerter::Alerter,
    analysis::Analysis,
    anomaly_model::AnomalyModel,
    collector::Collector,
    csv_writer::CsvWriter,
    dataset_generator::DatasetGenerator,
    insights_writer::InsightsWriter,
    llm_explainer::LlmExplainerActor,
);

/// Runs `f`, turning a panic into an error message so the actor can restart instead of dying.
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|p| panic_message(&*p))
}

/// The text a panic was raised with.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
