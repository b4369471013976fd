//! One request on a connection: the peer address for the handlers, and `Connection: close`
//! on any answer sent before the request's body was read to its end. Refusals (401, 403,
//! 413, 429, 408) are answered without reading the body, so the unread rest would sit in
//! front of the client's next request on a kept-alive connection; hyper does not drain it,
//! so the client must be told that this connection ends here, and hyper then closes it.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, header};
use axum::response::Response;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;

/// Runs `router` on one request from `peer`.
/// `_handling` holds the connection's idle clock until the answer is ready.
pub async fn handle(
    mut router: Router,
    req: Request<Incoming>,
    peer: SocketAddr,
    _handling: super::idle::Handling,
) -> Result<Response, Infallible> {
    let consumed = Arc::new(AtomicBool::new(http_body::Body::is_end_stream(req.body())));
    let mut req = req.map(|inner| {
        Body::new(Tracked {
            inner,
            consumed: consumed.clone(),
        })
    });
    req.extensions_mut().insert(ConnectInfo(peer));
    // A Router is always ready (`poll_ready` is `Ready(Ok)`), so `call` may come first.
    let mut response = tower_service::Service::call(&mut router, req).await?;
    if !consumed.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    Ok(response)
}

/// A request body that records when it has been read to its end.
struct Tracked {
    inner: Incoming,
    consumed: Arc<AtomicBool>,
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let ended = match &polled {
            Poll::Ready(None) => true,
            Poll::Ready(Some(Ok(_))) => self.inner.is_end_stream(),
            _ => false,
        };
        if ended {
            self.consumed.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
