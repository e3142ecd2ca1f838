//! The listener loop: one request per connection, answered from the shared [`LiveCluster`],
//! until the `stop` future completes. The cluster also ticks in the background every step, so
//! the first scrape after a quiet spell does not have to catch up alone.

use super::http::respond;
use super::LiveCluster;
use crate::clock::Clock;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest request head read; a scrape's is a few hundred bytes.
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// A client that sends nothing is dropped after this long.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot accept a connection: {0}")]
    Accept(#[source] std::io::Error),
}

/// Serves `listener` until `stop` completes.
pub async fn serve(
    listener: TcpListener,
    live: Arc<Mutex<LiveCluster>>,
    clock: Arc<dyn Clock>,
    step: Duration,
    stop: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let ticker = tokio::spawn(tick_forever(live.clone(), clock.clone(), step));
    tokio::pin!(stop);
    let result = loop {
        tokio::select! {
            _ = &mut stop => break Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(handle(stream, live.clone(), clock.clone()));
                }
                // Running out of file descriptors is transient; anything else is not.
                Err(e) if e.raw_os_error() == Some(24) => {
                    tracing::warn!(error = %e, "cannot accept a connection; retrying");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => break Err(ServeError::Accept(e)),
            },
        }
    };
    ticker.abort();
    result
}

async fn tick_forever(live: Arc<Mutex<LiveCluster>>, clock: Arc<dyn Clock>, step: Duration) {
    let mut every = tokio::time::interval(step);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        lock(&live).advance_to(clock.now());
    }
}

fn lock(live: &Mutex<LiveCluster>) -> std::sync::MutexGuard<'_, LiveCluster> {
    // A panic elsewhere cannot leave the cluster half-ticked in a way worth refusing scrapes.
    live.lock().unwrap_or_else(|e| e.into_inner())
}

async fn handle(mut stream: TcpStream, live: Arc<Mutex<LiveCluster>>, clock: Arc<dyn Clock>) {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "cannot read a request");
            return;
        }
        Err(_) => return,
    };
    let response = respond(&head, &mut lock(&live), clock.now());
    if let Err(e) = stream.write_all(&response.to_bytes()).await {
        tracing::debug!(error = %e, "cannot send a response");
    }
    let _ = stream.shutdown().await;
}

/// Reads up to the blank line ending the head (or EOF, or [`MAX_HEAD_BYTES`]).
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_HEAD_BYTES {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
