//! Request bodies. The spec parses a body as JSON whatever its `Content-Type` (there is no
//! 415), so handlers take the raw bytes through [`RawBody`], which also turns the body limit
//! into the spec's `413 payload_too_large` envelope.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use crate::error::{ApiError, ErrorCode};

pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!(
                        "The request body is larger than {} KiB.",
                        crate::app::BODY_LIMIT / 1024
                    ),
                ))
            }
            Err(rejection) => Err(ApiError::invalid_request(format!(
                "The request body could not be read: {rejection}"
            ))),
        }
    }
}
