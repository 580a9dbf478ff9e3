//! /lists and /lists/{id}.

use axum::extract::State;
use axum::http::{HeaderName, StatusCode};
use axum::Json;

use super::body::{optional, Fields, FromJsonBody};
use super::extract::{parse_limit, parse_offset, read_params, ApiJson, QueryPairs, ResourceId};
use super::openapi::{Always, AuthErrors, BodyErrors, IdErrors, QueryErrors};
use super::schemas;
use super::tasks::X_TOTAL_COUNT;
use crate::error::AppError;
use crate::service::lists::{ListPatch, NewList, TodoList, LISTS_PAGE_DEFAULT};
use crate::service::values::Page;
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

/// GET /api/v1/lists?limit=&offset=
#[utoipa::path(
    get, path = "/api/v1/lists", tag = "lists", operation_id = "listLists",
    summary = "The caller's lists (anonymous: the unowned ones)",
    params(schemas::ListsQuery),
    responses(
        (status = 200, description = "The lists visible to the caller, in `createdAt` order", body = [TodoList],
         headers(("X-Total-Count" = i64, description = "The number of lists before paging"))),
        AuthErrors, QueryErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn index(
    State(svc): State<Service>,
    caller: Caller,
    QueryPairs(params): QueryPairs,
) -> Result<([(HeaderName, i64); 1], Json<Vec<TodoList>>), AppError> {
    let page = parse_page(&params)?;
    let found = svc.lists(&caller, page).await?;
    Ok(([(X_TOTAL_COUNT.clone(), found.total)], Json(found.lists)))
}

/// Reads `limit` and `offset`, as for task queries.
fn parse_page(params: &[(String, String)]) -> Result<Page, AppError> {
    read_params(
        params,
        Page::first(LISTS_PAGE_DEFAULT),
        |page, key, value| {
            match key {
                "limit" => page.limit = parse_limit(value)?,
                "offset" => page.offset = parse_offset(value)?,
                _ => return Err("unknown parameter".to_owned()),
            }
            Ok(())
        },
    )
}

/// POST /api/v1/lists
#[utoipa::path(
    post, path = "/api/v1/lists", tag = "lists", operation_id = "createList",
    summary = "Create a list (owned by the caller, or shared when anonymous)",
    request_body = schemas::NewListBody,
    responses(
        (status = 201, description = "The new list", body = TodoList),
        AuthErrors, BodyErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
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
#[utoipa::path(
    get, path = "/api/v1/lists/{id}", tag = "lists", operation_id = "getList",
    summary = "A list by id",
    params(("id" = uuid::Uuid, Path, description = "The list's id")),
    responses(
        (status = 200, description = "The list", body = TodoList),
        AuthErrors, IdErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn show(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<TodoList>, AppError> {
    Ok(Json(svc.list(&caller, id).await?))
}

/// PATCH /api/v1/lists/{id}
#[utoipa::path(
    patch, path = "/api/v1/lists/{id}", tag = "lists", operation_id = "updateList",
    summary = "Change a list (absent fields unchanged, null clears description)",
    params(("id" = uuid::Uuid, Path, description = "The list's id")),
    request_body = schemas::ListPatchBody,
    responses(
        (status = 200, description = "The list as changed", body = TodoList),
        AuthErrors, IdErrors, BodyErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn update(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(patch): ApiJson<ListPatch>,
) -> Result<Json<TodoList>, AppError> {
    Ok(Json(svc.update_list(&caller, id, patch).await?))
}

/// DELETE /api/v1/lists/{id}
#[utoipa::path(
    delete, path = "/api/v1/lists/{id}", tag = "lists", operation_id = "deleteList",
    summary = "Delete a list and its tasks",
    params(("id" = uuid::Uuid, Path, description = "The list's id")),
    responses(
        (status = 204, description = "Deleted, with its tasks"),
        AuthErrors, IdErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn delete(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    svc.delete_list(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
