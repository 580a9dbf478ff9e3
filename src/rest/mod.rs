//! The REST face (`/api/v1`): thin handlers that parse input, make one service call and map the
//! result to the wire.

pub mod body;
pub mod error;
pub mod extract;
pub mod health;
pub mod lists;
pub mod tasks;
pub mod users;

use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;

/// Every route of API.md section 4, relative to `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/signup", post(users::signup))
        .route("/auth/login", post(users::login))
        .route("/auth/logout", post(users::logout))
        .route("/users/profile", get(users::profile))
        .route("/lists", get(lists::index).post(lists::create))
        .route(
            "/lists/{id}",
            get(lists::show).patch(lists::update).delete(lists::delete),
        )
        .route("/lists/{id}/tasks", get(tasks::index).post(tasks::create))
        .route(
            "/tasks/{id}",
            get(tasks::show).patch(tasks::update).delete(tasks::delete),
        )
        .route("/health", get(health::show))
}
