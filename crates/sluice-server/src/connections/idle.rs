//! The header and idle timeouts of one connection, as two separate clocks. Hyper has one
//! timer (`header_read_timeout`) that starts as soon as a connection is ready for a request,
//! so with it alone an idle kept-alive connection could live no longer than a client may take
//! to send its headers: 10 s of idling would cut proxies that keep upstream connections for a
//! minute, and 60 s of header time would let slowloris clients hold a slot for a minute. So
//! hyper's timer is off and this wrapper around the socket keeps both:
//!
//! - waiting for a request (a new connection, or after an answer): `idle_timeout`;
//! - from the first byte of a request until hyper has parsed its headers: `header_timeout`;
//! - while a request is handled: no limit here (the body has its own, in `http::body`).
//!
//! A read past the deadline fails with `TimedOut`, and hyper closes the connection.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

#[derive(Clone, Copy)]
enum Phase {
    Waiting { since: Instant },
    Headers { since: Instant },
    Busy,
}

/// What the connection is doing, shared by its socket wrapper and its service; and the
/// connection task's waker from its last pending read.
#[derive(Clone)]
pub struct Activity(Arc<Mutex<(Phase, Option<Waker>)>>);

impl Activity {
    pub fn new() -> Self {
        let since = Instant::now();
        Self(Arc::new(Mutex::new((Phase::Waiting { since }, None))))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Phase, Option<Waker>)> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request's headers are parsed: no deadline until the guard is dropped (the answer is
    /// ready, or the client went away), when the idle clock starts.
    pub fn handling(&self) -> Handling {
        self.lock().0 = Phase::Busy;
        Handling(self.clone())
    }

    /// The read deadline now; `arrived` says bytes just came in, which starts the header
    /// clock if the connection was waiting.
    fn deadline(&self, arrived: bool, limits: Limits, cx: &Context<'_>) -> Option<Instant> {
        let mut state = self.lock();
        let (phase, waker) = &mut *state;
        if arrived && let Phase::Waiting { .. } = *phase {
            *phase = Phase::Headers {
                since: Instant::now(),
            };
        }
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
        match *phase {
            Phase::Waiting { since } => Some(since + limits.idle),
            Phase::Headers { since } => Some(since + limits.header),
            Phase::Busy => None,
        }
    }
}

pub struct Handling(Activity);

/// Starts the idle clock, and wakes the connection: hyper, with its own timer off, would not
/// read again until the client sends something, so the idle deadline would never be armed.
impl Drop for Handling {
    fn drop(&mut self) {
        let waker = {
            let mut state = self.0.lock();
            state.0 = Phase::Waiting {
                since: Instant::now(),
            };
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

#[derive(Clone, Copy)]
pub struct Limits {
    pub idle: Duration,
    pub header: Duration,
}

/// A socket whose reads fail once the connection's current deadline has passed.
pub struct Timed<T> {
    inner: T,
    activity: Activity,
    limits: Limits,
    sleep: Pin<Box<Sleep>>,
}

impl<T> Timed<T> {
    pub fn new(inner: T, activity: Activity, limits: Limits) -> Self {
        let sleep = Box::pin(tokio::time::sleep(limits.idle));
        Self {
            inner,
            activity,
            limits,
            sleep,
        }
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "client too slow or idle too long")
}

impl<T: AsyncRead + Unpin> AsyncRead for Timed<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        let arrived = matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before;
        let Some(deadline) = this.activity.deadline(arrived, this.limits, cx) else {
            return polled;
        };
        if Instant::now() >= deadline {
            return Poll::Ready(Err(timed_out()));
        }
        if polled.is_pending() {
            if this.sleep.deadline() != deadline {
                this.sleep.as_mut().reset(deadline);
            }
            if this.sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(timed_out()));
            }
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Timed<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
