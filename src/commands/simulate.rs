//! `k8s-monitor simulate`: the simulated cluster as a Prometheus target, in real time, until
//! SIGINT or SIGTERM.

use super::generate::cluster_from_flags;
use crate::cli::SimulateArgs;
use crate::clock::{Clock, SystemClock};
use crate::exporter::{serve, LiveCluster};
use anyhow::{bail, Context};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::{Arc, Mutex};

pub fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let (settings, step) =
        cluster_from_flags(args.pods, args.seed, &args.step, &args.first_fault_after)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = clock.now();
    let start = parse_start(&args.start, now)?;
    let tick = TimeDelta::from_std(step).context("--step is too long")?;
    let mut live = LiveCluster::new(&settings, start, tick);
    // Catch up before listening, so a start in the past does not stall the first scrape.
    let ticks = live.advance_to(now);
    if ticks > 1 {
        tracing::info!(ticks, %start, "caught up from the start");
    }
    let live = Arc::new(Mutex::new(live));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        // Exact wording on purpose: tests and scripts read the port from it.
        eprintln!("listening on {addr}");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let signals = tokio::spawn(async move {
            let result = wait_for_termination().await;
            let _ = stop_tx.send(());
            result
        });
        serve(listener, live, clock, step, async {
            let _ = stop_rx.await;
        })
        .await?;
        signals.await.context("signal handler failed")??;
        tracing::info!("stopped cleanly");
        anyhow::Ok(())
    })
}

/// `now` or an RFC 3339 time no later than `now`.
fn parse_start(text: &str, now: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    if text == "now" {
        return Ok(now);
    }
    let start = DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("--start {text:?} is neither \"now\" nor an RFC 3339 time"))?
        .with_timezone(&Utc);
    if start > now {
        bail!("--start {text} is in the future: the simulation runs in real time from it");
    }
    Ok(start)
}

async fn wait_for_termination() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_is_now_or_a_past_time() {
        let now: DateTime<Utc> = "2026-01-05T00:00:00Z".parse().unwrap();
        assert_eq!(parse_start("now", now).unwrap(), now);
        let past = parse_start("2026-01-04T23:00:00Z", now).unwrap();
        assert_eq!(now - past, TimeDelta::hours(1));
        assert!(parse_start("2026-01-05T00:00:01Z", now).is_err());
        assert!(parse_start("yesterday", now).is_err());
    }
}
