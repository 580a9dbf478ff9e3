//! /lists and /lists/{id}.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

use super::body::{optional, Fields, FromJsonBody};
use super::extract::{ApiJson, ResourceId};
use crate::error::AppError;
use crate::service::lists::{ListPatch, NewList, TodoList};
use crate::service::{Caller, Service};

impl FromJsonBody for NewList {
    fn from_json(f: &mut Fields) -> Self {
        let title = f.string("title");
        Self {
            title: f.required("title", title).unwrap_or_default(),
            description: optional(f.string("description")),
        }
    }
}

impl FromJsonBody for ListPatch {
    fn from_json(f: &mut Fields) -> Self {
        Self {
            title: f.string("title"),
            description: f.string("description"),
        }
    }
}

/// GET /api/v1/lists
pub async fn index(
    State(svc): State<Service>,
    caller: Caller,
) -> Result<Json<Vec<TodoList>>, AppError> {
    Ok(Json(svc.lists(&caller).await?))
}

/// POST /api/v1/lists
pub async fn create(
    State(svc): State<Service>,
    caller: Caller,
    ApiJson(input): ApiJson<NewList>,
) -> Result<(StatusCode, Json<TodoList>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(svc.create_list(&caller, input).await?),
    ))
}

/// GET /api/v1/lists/{id}
pub async fn show(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<TodoList>, AppError> {
    Ok(Json(svc.list(&caller, id).await?))
}

/// PATCH /api/v1/lists/{id}
pub async fn update(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(patch): ApiJson<ListPatch>,
) -> Result<Json<TodoList>, AppError> {
    Ok(Json(svc.update_list(&caller, id, patch).await?))
}

/// DELETE /api/v1/lists/{id}
pub async fn delete(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    svc.delete_list(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
