//! Extractors of the REST face: JSON bodies read field by field, and UUID path ids.

use std::collections::HashSet;

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;

use super::body::{Fields, FromJsonBody};
use crate::error::{AppError, Problems};
use crate::http::{is_json, read_body};
use crate::service::values::{parse_id, Page};

/// A JSON body read into a service input. Empty: 400; not JSON: 415; malformed: 400;
/// well-formed but wrong: 422 with per-field details.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: FromJsonBody> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json_type = is_json(req.headers());
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(AppError::malformed_json("A JSON body is required"));
        }
        if !json_type {
            return Err(AppError::UnsupportedMediaType);
        }
        let value =
            serde_json::from_slice(&bytes).map_err(|e| AppError::malformed_json(e.to_string()))?;
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

/// Query parameters as pairs; an unreadable query string is a 422 under `query`.
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = AppError;

    /// A name given twice is refused (`limit=5&limit=10` has no right answer), for every route.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::invalid("query", "Malformed query string"))?;
        let mut seen = HashSet::with_capacity(pairs.len());
        let mut reported = HashSet::new();
        let mut problems = Problems::default();
        for (key, _) in &pairs {
            if !seen.insert(key.as_str()) && reported.insert(key.as_str()) {
                problems.add("query", format!("{key}: given more than once"));
            }
        }
        problems.finish()?;
        Ok(Self(pairs))
    }
}

/// Reads query parameters into `target` one by one; every problem goes under `query` as
/// `"{name}: {message}"`, so one answer names every bad parameter (docs/querying.md).
pub fn read_params<T>(
    params: &[(String, String)],
    mut target: T,
    apply: impl Fn(&mut T, &str, &str) -> Result<(), String>,
) -> Result<T, AppError> {
    let mut problems = Problems::default();
    for (key, value) in params {
        if let Err(message) = apply(&mut target, key, value) {
            problems.add("query", format!("{key}: {message}"));
        }
    }
    problems.finish().map(|()| target)
}

/// `limit=`: the page size, by the service's rule (a non-integer breaks it the same way).
pub fn parse_limit(value: &str) -> Result<i64, String> {
    Page::check_limit(value.parse().unwrap_or(0))
}

/// `offset=`: how many items to skip, by the service's rule.
pub fn parse_offset(value: &str) -> Result<i64, String> {
    Page::check_offset(value.parse().unwrap_or(-1))
}
