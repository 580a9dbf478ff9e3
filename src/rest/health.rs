//! GET /api/v1/health (and its alias GET /health).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use super::openapi::MethodOrBug;
use super::schemas::Unhealthy;
use crate::error::AppError;
use crate::http::error::ErrorBody;
use crate::service::health::Health;
use crate::service::Service;

/// A failing check is a 503 whose body is the health report plus the error body every REST
/// error carries (documented as `schemas::Unhealthy`).
#[derive(Serialize)]
struct UnhealthyBody<'a> {
    #[serde(flatten)]
    health: Health,
    #[serde(flatten)]
    error: ErrorBody<'a>,
}

/// GET /api/v1/health
#[utoipa::path(
    get, path = "/api/v1/health", tag = "service", operation_id = "health",
    summary = "Database, runtime, disk and memory checks",
    responses(
        (status = 200, description = "Healthy (a disk or memory `warning` still answers 200)", body = Health),
        (status = 503, description = "The database check failed", body = Unhealthy),
        MethodOrBug,
    ),
    security(),
)]
pub async fn show(State(svc): State<Service>) -> Response {
    let health = svc.health().await;
    if health.is_healthy() {
        return Json(health).into_response();
    }
    let err = AppError::Unavailable;
    let body = UnhealthyBody {
        health,
        error: ErrorBody::of(&err),
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// GET /health: the same report at the root, where load balancers look for it.
#[utoipa::path(
    get, path = "/health", tag = "service", operation_id = "rootHealth",
    summary = "The health report, outside /api/v1",
    responses(
        (status = 200, description = "Healthy", body = Health),
        (status = 503, description = "The database check failed", body = Unhealthy),
        MethodOrBug,
    ),
    security(),
)]
pub async fn show_root(svc: State<Service>) -> Response {
    show(svc).await
}
