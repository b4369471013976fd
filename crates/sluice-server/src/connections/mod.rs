//! Sluice's own accept loop, in place of `axum::serve`, which has no header timeout, no idle
//! timeout, no connection cap and an unbounded shutdown (issue 15: idle and slow clients
//! used up the file descriptors, and one of them kept SIGTERM from finishing).
//!
//! HTTP/1.1 only, through hyper's `server::conn::http1`. Each connection holds a permit of a
//! semaphore sized by [`limits::connection_cap`]; with none free the loop stops accepting
//! and new clients wait in the kernel's listen backlog until one closes. The header and idle
//! timeouts are kept by a wrapper around each socket (see `idle.rs` for why not by hyper).

pub mod close;
mod idle;
pub mod limits;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

pub use limits::HttpConfig;

/// Serves `router` on `listener` until `shutdown` is cancelled, then drains (see [`drain`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: &HttpConfig,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let cap = limits::connection_cap(config.max_connections, limits::file_limit());
    tracing::info!(http.max_connections = cap, "accepting HTTP/1.1 connections");
    let slots = Arc::new(Semaphore::new(cap));
    let ends = Ends {
        graceful: shutdown.clone(),
        forced: CancellationToken::new(),
        timeouts: idle::Limits {
            idle: config.idle_timeout(),
            header: config.header_read_timeout(),
        },
    };
    let builder = builder(config);
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = slots.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    pause_after(e, &shutdown).await;
                    continue;
                }
            },
        };
        let task = ends
            .clone()
            .run(stream, peer, router.clone(), builder.clone(), permit);
        tokio::spawn(task);
    }
    drop(listener);
    drain(&slots, cap, config.shutdown_grace(), &ends.forced).await;
    Ok(())
}

fn builder(config: &HttpConfig) -> http1::Builder {
    let mut builder = http1::Builder::new();
    // Hyper's header timer would also bound idle connections; `idle::Timed` keeps both.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_header_size(config.max_header_bytes)
        .keep_alive(true);
    builder
}

/// How a connection's task learns that the server is stopping: `graceful` first (finish the
/// request in flight, close if idle), `forced` when the grace period is over; and the
/// timeouts of its socket.
#[derive(Clone)]
struct Ends {
    graceful: CancellationToken,
    forced: CancellationToken,
    timeouts: idle::Limits,
}

impl Ends {
    /// Serves one connection until the client, a timeout or the shutdown ends it. The permit
    /// is its slot under the connection cap, given back when this returns.
    async fn run(
        self,
        stream: TcpStream,
        peer: SocketAddr,
        router: Router,
        builder: http1::Builder,
        _permit: OwnedSemaphorePermit,
    ) {
        let _ = stream.set_nodelay(true);
        let activity = idle::Activity::new();
        let io = TokioIo::new(idle::Timed::new(stream, activity.clone(), self.timeouts));
        let service = hyper::service::service_fn(move |req| {
            let handling = activity.handling();
            close::handle(router.clone(), req, peer, handling)
        });
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);
        let result = tokio::select! {
            result = connection.as_mut() => result,
            () = self.graceful.cancelled() => {
                connection.as_mut().graceful_shutdown();
                tokio::select! {
                    result = connection.as_mut() => result,
                    () = self.forced.cancelled() => return,
                }
            }
        };
        if let Err(e) = result {
            // Timeouts, oversized headers and clients that hang up: theirs, not ours.
            tracing::debug!(error = %e, "connection ended with an error");
        }
    }
}

/// Stops accepting (the listener is already dropped), waits up to `grace` for every
/// connection to finish, then drops the rest.
async fn drain(slots: &Semaphore, cap: usize, grace: Duration, forced: &CancellationToken) {
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    if tokio::time::timeout(grace, slots.acquire_many(all))
        .await
        .is_ok()
    {
        return;
    }
    let open = cap - slots.available_permits();
    tracing::warn!(
        http.open_connections = open,
        "shutdown grace period over; dropping the connections still open"
    );
    forced.cancel();
    // The dropped connections give their permits back at once; wait for that, briefly.
    let _ = tokio::time::timeout(Duration::from_secs(1), slots.acquire_many(all)).await;
}

/// Accept failed: a client that hung up before it was accepted costs nothing; anything else
/// (such as running out of file descriptors) gets a pause so the loop does not spin.
async fn pause_after(error: std::io::Error, shutdown: &CancellationToken) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %error, "accepting a connection failed; pausing");
    tokio::select! {
        () = shutdown.cancelled() => {}
        () = tokio::time::sleep(Duration::from_millis(250)) => {}
    }
}
