//! Extractors of the REST face: JSON bodies read field by field, and UUID path ids.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;

use super::body::{Fields, FromJsonBody};
use crate::error::AppError;
use crate::http::{body_error, is_json, read_body};
use crate::service::values::parse_id;

/// A JSON body read into a service input. Empty: 400; not JSON: 415; malformed: 400;
/// well-formed but wrong: 422 with per-field details.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: FromJsonBody> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = is_json(req.headers());
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(body_error("A JSON body is required"));
        }
        if !json_type {
            return Err(AppError::UnsupportedMediaType);
        }
        let value = serde_json::from_slice(&bytes).map_err(|e| body_error(&e.to_string()))?;
        Fields::parse(value).map(ApiJson)
    }
}

/// A path id that must be a UUID (422 with `details.path` otherwise).
pub struct ResourceId(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for ResourceId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        parse_id(&raw)
            .map(ResourceId)
            .map_err(|m| AppError::invalid("path", m))
    }
}
