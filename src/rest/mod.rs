//! The REST face (`/api/v1`): thin handlers that parse input, make one service call and map the
//! result to the wire. Routes and the OpenAPI document come from one table, so neither can
//! have an operation the other lacks.

pub mod body;
pub mod events;
pub mod extract;
pub mod health;
pub mod lists;
pub mod openapi;
pub mod schemas;
pub mod tasks;
pub mod users;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Every REST route with its documentation (`#[utoipa::path]` on each handler); see docs/.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(users::signup))
        .routes(routes!(users::login))
        .routes(routes!(users::logout))
        .routes(routes!(users::profile))
        .routes(routes!(lists::index, lists::create))
        .routes(routes!(lists::show, lists::update, lists::delete))
        .routes(routes!(events::stream))
        .routes(routes!(tasks::index, tasks::create))
        .routes(routes!(tasks::show, tasks::update, tasks::delete))
        .routes(routes!(health::show))
        .routes(routes!(health::show_root))
        .routes(routes!(openapi::serve))
}

/// The REST router, full paths (`/api/v1/...` and the `/health` alias).
pub fn router() -> Router<AppState> {
    routes().split_for_parts().0
}
