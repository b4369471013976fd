//! Request bodies. The spec parses a body as JSON whatever its `Content-Type` (there is no
//! 415), so handlers take the body as a [`PendingBody`] and read its raw bytes themselves.
//! Reading is left to the handler so that it happens after authentication: a client without
//! a valid token gets its 401 at once, however slowly (or however much) it is sending. The
//! read is bounded in size (`413 payload_too_large`) and in time (`408 request_timeout`).

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::header;

use crate::AppState;
use crate::error::{ApiError, ErrorCode, caused_by};
use crate::http::BODY_LIMIT;

/// A request body not read yet.
pub struct PendingBody {
    body: Body,
    declared_length: Option<u64>,
}

impl<S: Send + Sync> FromRequest<S> for PendingBody {
    type Rejection = Infallible;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Infallible> {
        let declared_length = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Ok(Self {
            body: req.into_body(),
            declared_length,
        })
    }
}

impl PendingBody {
    /// The whole body, within [`BODY_LIMIT`] and `http.body_read_timeout_secs`. A declared
    /// length over the limit is refused before anything is read.
    pub async fn read(self, app: &AppState) -> Result<Bytes, ApiError> {
        if self.declared_length.is_some_and(|n| n > BODY_LIMIT as u64) {
            return Err(too_large());
        }
        let timeout = app.config.http.body_read_timeout();
        let read = axum::body::to_bytes(self.body, BODY_LIMIT);
        match tokio::time::timeout(timeout, read).await {
            Ok(Ok(bytes)) => Ok(bytes),
            // The size limit, as opposed to a broken connection.
            Ok(Err(e)) if caused_by::<http_body_util::LengthLimitError>(&e) => Err(too_large()),
            Ok(Err(e)) => Err(ApiError::invalid_request(format!(
                "The request body could not be read: {e}"
            ))),
            Err(_elapsed) => Err(ApiError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "The request body did not arrive within {} s.",
                    timeout.as_secs()
                ),
            )),
        }
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("The request body is larger than {} KiB.", BODY_LIMIT / 1024),
    )
}
