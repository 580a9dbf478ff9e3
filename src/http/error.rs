//! How a service error looks over HTTP, for both faces: its status, the headers that go with it
//! (`WWW-Authenticate`, `Retry-After`) and the JSON body of docs/errors.md.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::{AppError, Details};

/// The error body every REST error (and every error page of the server) carries.
#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: String,
    pub code: &'static str,
    pub details: Option<&'a Details>,
}

impl<'a> ErrorBody<'a> {
    pub fn of(err: &'a AppError) -> Self {
        Self {
            error: err.to_string(),
            code: err.code(),
            details: err.details(),
        }
    }
}

/// The cause of a 500, attached to the response for the logging middleware (never sent).
#[derive(Clone, Debug)]
pub struct InternalCause(pub String);

pub fn status_of(err: &AppError) -> StatusCode {
    match err {
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
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

/// The headers an error's status calls for: the Bearer challenge of a 401, the wait of a 429.
pub fn error_headers(err: &AppError) -> HeaderMap {
    let mut headers = HeaderMap::new();
    match err {
        AppError::Unauthorized(_) | AppError::InvalidCredentials => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        AppError::RateLimited { retry_after_secs } => {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        _ => {}
    }
    headers
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (
            status_of(&self),
            error_headers(&self),
            Json(ErrorBody::of(&self)),
        )
            .into_response();
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
        StatusCode::BAD_REQUEST => AppError::bad_request(Details::new()),
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
