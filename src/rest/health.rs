//! GET /api/v1/health.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::error::AppError;
use crate::service::health::Health;
use crate::service::Service;

/// A failing check is a 503 whose body is the health report plus the error fields that every
/// REST error carries (API.md section 2), so both kinds of client can read it.
#[derive(Serialize)]
struct Unhealthy {
    #[serde(flatten)]
    health: Health,
    error: String,
    code: &'static str,
    details: Option<()>,
}

pub async fn show(State(svc): State<Service>) -> Response {
    let health = svc.health().await;
    if health.is_healthy() {
        return Json(health).into_response();
    }
    let err = AppError::Unavailable;
    let body = Unhealthy {
        health,
        error: err.to_string(),
        code: err.code(),
        details: None,
    };
    (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}
