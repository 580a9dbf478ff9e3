//! How a service error looks on the REST face: the status and JSON body of docs/errors.md.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::{AppError, Details};

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: String,
    code: &'static str,
    details: Option<&'a Details>,
}

/// The cause of a 500, attached to the response for the logging middleware (never sent).
#[derive(Clone, Debug)]
pub struct InternalCause(pub String);

pub fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::Unauthorized(_) | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::Unavailable | AppError::Timeout { .. } => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.to_string(),
            code: self.code(),
            details: self.details(),
        };
        let mut response = (status_of(&self), Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            AppError::Unauthorized(_) | AppError::InvalidCredentials => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            AppError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            _ => {}
        }
        if let AppError::Internal(cause) = self {
            response.extensions_mut().insert(InternalCause(cause));
        }
        response
    }
}

/// The error a bare status stands for, for responses made outside our handlers (axum's 405,
/// tower-http's 413, ...), so that every error carries the contract's body.
pub fn error_for_status(status: StatusCode) -> AppError {
    match status {
        StatusCode::BAD_REQUEST => AppError::BadRequest(Details::new()),
        StatusCode::UNAUTHORIZED => AppError::Unauthorized(crate::auth::INVALID_TOKEN),
        StatusCode::NOT_FOUND => AppError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => AppError::RateLimited {
            retry_after_secs: 1,
        },
        StatusCode::SERVICE_UNAVAILABLE => AppError::Unavailable,
        other => AppError::Internal(format!("unexpected status {other}")),
    }
}
