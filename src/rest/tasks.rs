//! /lists/{listId}/tasks and /tasks/{id}.

use axum::extract::State;
use axum::http::{HeaderName, StatusCode};
use axum::Json;

use super::body::{optional, Fields, FromJsonBody};
use super::extract::{parse_limit, parse_offset, read_params, ApiJson, QueryPairs, ResourceId};
use super::openapi::{Always, AuthErrors, BodyErrors, IdErrors};
use super::schemas;
use crate::error::AppError;
use crate::service::tasks::{NewTask, Task, TaskPatch, TaskQuery, TaskSort};
use crate::service::values::{Priority, Timestamp};
use crate::service::{Caller, Service};

pub static X_TOTAL_COUNT: HeaderName = HeaderName::from_static("x-total-count");

impl FromJsonBody for NewTask {
    fn from_json(f: &mut Fields) -> Self {
        let title = f.string("title");
        Self {
            title: f.required("title", title).unwrap_or_default(),
            description: optional(f.string("description")),
            priority: optional(f.priority("priority")),
            categories: optional(f.strings("categories")),
            due_date: optional(f.timestamp("dueDate")),
            completed: optional(f.bool("completed")),
        }
    }
}

impl FromJsonBody for TaskPatch {
    fn from_json(f: &mut Fields) -> Self {
        Self {
            title: f.string("title"),
            description: f.string("description"),
            completed: f.bool("completed"),
            priority: f.priority("priority"),
            categories: f.strings("categories"),
            due_date: f.timestamp("dueDate"),
            list_id: f.uuid("listId"),
        }
    }
}

/// GET /api/v1/lists/{listId}/tasks
#[utoipa::path(
    get, path = "/api/v1/lists/{id}/tasks", tag = "tasks", operation_id = "listTasks",
    summary = "The tasks of a list: filters, order and paging",
    params(("id" = uuid::Uuid, Path, description = "The list's id"), schemas::TasksQuery),
    responses(
        (status = 200, description = "The page of matching tasks (a plain array)", body = [Task],
         headers(("X-Total-Count" = i64, description = "The number of matching tasks before paging"))),
        AuthErrors, IdErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn index(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(list_id): ResourceId,
    QueryPairs(params): QueryPairs,
) -> Result<([(HeaderName, i64); 1], Json<Vec<Task>>), AppError> {
    let query = parse_query(&params)?;
    let page = svc.tasks(&caller, list_id, &query).await?;
    Ok(([(X_TOTAL_COUNT.clone(), page.total)], Json(page.tasks)))
}

/// POST /api/v1/lists/{listId}/tasks
#[utoipa::path(
    post, path = "/api/v1/lists/{id}/tasks", tag = "tasks", operation_id = "createTask",
    summary = "Add a task to a list",
    params(("id" = uuid::Uuid, Path, description = "The list's id")),
    request_body = schemas::NewTaskBody,
    responses(
        (status = 201, description = "The new task", body = Task),
        AuthErrors, IdErrors, BodyErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn create(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(list_id): ResourceId,
    ApiJson(input): ApiJson<NewTask>,
) -> Result<(StatusCode, Json<Task>), AppError> {
    Ok((
        StatusCode::CREATED,
        Json(svc.create_task(&caller, list_id, input).await?),
    ))
}

/// GET /api/v1/tasks/{id}
#[utoipa::path(
    get, path = "/api/v1/tasks/{id}", tag = "tasks", operation_id = "getTask",
    summary = "A task by id",
    params(("id" = uuid::Uuid, Path, description = "The task's id")),
    responses(
        (status = 200, description = "The task", body = Task),
        AuthErrors, IdErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn show(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<Json<Task>, AppError> {
    Ok(Json(svc.task(&caller, id).await?))
}

/// PATCH /api/v1/tasks/{id}
#[utoipa::path(
    patch, path = "/api/v1/tasks/{id}", tag = "tasks", operation_id = "updateTask",
    summary = "Change or move a task (absent fields unchanged, null clears description and dueDate)",
    params(("id" = uuid::Uuid, Path, description = "The task's id")),
    request_body = schemas::TaskPatchBody,
    responses(
        (status = 200, description = "The task as changed", body = Task),
        AuthErrors, IdErrors, BodyErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn update(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
    ApiJson(patch): ApiJson<TaskPatch>,
) -> Result<Json<Task>, AppError> {
    Ok(Json(svc.update_task(&caller, id, patch).await?))
}

/// DELETE /api/v1/tasks/{id}
#[utoipa::path(
    delete, path = "/api/v1/tasks/{id}", tag = "tasks", operation_id = "deleteTask",
    summary = "Delete a task",
    params(("id" = uuid::Uuid, Path, description = "The task's id")),
    responses(
        (status = 204, description = "Deleted"),
        AuthErrors, IdErrors, Always,
    ),
    security((), ("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn delete(
    State(svc): State<Service>,
    caller: Caller,
    ResourceId(id): ResourceId,
) -> Result<StatusCode, AppError> {
    svc.delete_task(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reads the query parameters of a task query (docs/querying.md); every problem goes under `query`.
fn parse_query(params: &[(String, String)]) -> Result<TaskQuery, AppError> {
    read_params(params, TaskQuery::default(), apply_param)
}

fn apply_param(query: &mut TaskQuery, key: &str, value: &str) -> Result<(), String> {
    match key {
        "completed" => {
            query.completed = Some(match value {
                "true" => true,
                "false" => false,
                _ => return Err("must be true or false".into()),
            })
        }
        "priority" => query.priority = Some(Priority::parse(value)?),
        "category" => query.category = Some(value.to_owned()),
        "dueBefore" => query.due_before = Some(Timestamp::parse(value)?),
        "dueAfter" => query.due_after = Some(Timestamp::parse(value)?),
        "q" => query.q = Some(value.to_owned()),
        "sort" => (query.sort, query.descending) = parse_sort(value)?,
        "limit" => query.limit = parse_limit(value)?,
        "offset" => query.offset = parse_offset(value)?,
        _ => return Err("unknown parameter".into()),
    }
    Ok(())
}

fn parse_sort(value: &str) -> Result<(TaskSort, bool), String> {
    let (descending, key) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let sort = match key {
        "createdAt" => TaskSort::CreatedAt,
        "dueDate" => TaskSort::DueDate,
        "priority" => TaskSort::Priority,
        "title" => TaskSort::Title,
        _ => {
            return Err(
                "must be one of createdAt, dueDate, priority, title, optionally prefixed by -"
                    .into(),
            )
        }
    };
    Ok((sort, descending))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_parameter_is_read() {
        let q = parse_query(&params(&[
            ("completed", "true"),
            ("priority", "high"),
            ("sort", "-dueDate"),
            ("limit", "5"),
            ("offset", "10"),
            ("q", "Milk"),
        ]))
        .unwrap();
        assert_eq!(q.completed, Some(true));
        assert_eq!(q.priority, Some(Priority::High));
        assert_eq!((q.sort, q.descending), (TaskSort::DueDate, true));
        assert_eq!((q.limit, q.offset), (5, 10));
    }

    #[test]
    fn bad_values_are_reported_under_query() {
        for bad in [
            ("limit", "0"),
            ("limit", "1001"),
            ("offset", "-1"),
            ("sort", "size"),
            ("completed", "yes"),
            ("dueBefore", "soon"),
            ("colour", "red"),
        ] {
            let err = parse_query(&params(&[bad])).unwrap_err();
            assert_eq!(err.code(), "VALIDATION_ERROR", "{bad:?}");
            assert!(err.details().unwrap().contains_key("query"), "{bad:?}");
        }
    }
}
