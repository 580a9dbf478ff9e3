//! The JSON bodies of the REST face as the OpenAPI document shows them: request bodies (read
//! field by field by `body.rs`, so their rules are written here once more and checked against the
//! parser by `tests/api/openapi.rs`) and the error body every status >= 400 carries.
//!
//! These types are never built: they exist for their `ToSchema` derive.

#![allow(dead_code)]

use serde_json::json;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[allow(unused_imports)] // named in a `value_type`
use std::collections::HashMap;

use crate::error::Details;
use crate::service::health::Health;
use crate::service::values::{Priority, Timestamp};

/// Whitespace as Rust's `str::trim` sees it (Unicode `White_Space`), written out so that every
/// regex dialect (ECMA-262, Python) agrees on it: `\s` differs between them.
macro_rules! ws {
    () => {
        r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}

/// 1 to 255 characters once leading and trailing whitespace is trimmed.
pub const TITLE_PATTERN: &str = concat!(
    "^[",
    ws!(),
    "]*[^",
    ws!(),
    r"]([\s\S]{0,253}[^",
    ws!(),
    "])?[",
    ws!(),
    "]*$"
);

/// 1 to 50 characters once leading and trailing whitespace is trimmed.
pub const CATEGORY_PATTERN: &str = concat!(
    "^[",
    ws!(),
    "]*[^",
    ws!(),
    r"]([\s\S]{0,48}[^",
    ws!(),
    "])?[",
    ws!(),
    "]*$"
);

/// The body of every error answer (status >= 400).
#[derive(ToSchema)]
#[schema(as = Error, examples(json!({
    "error": "Validation error",
    "code": "VALIDATION_ERROR",
    "details": {"title": ["Title cannot be empty"]}
})))]
pub struct ErrorBody {
    /// A short human-readable message.
    error: String,
    /// The stable, machine-readable code.
    code: ErrorCode,
    /// Messages per field (or `body`, `query`, `path`); `null` when there are none.
    #[schema(required = true, value_type = Option<HashMap<String, Vec<String>>>)]
    details: Option<Details>,
}

/// The stable error codes, one per kind of failure.
#[derive(ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadRequest,
    Unauthorized,
    InvalidCredentials,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationError,
    RateLimited,
    InternalError,
    ServiceUnavailable,
}

/// A failing check is a 503 whose body is the health report plus the error fields that every
/// REST error carries (see docs/errors.md), so both kinds of client can read it.
#[derive(ToSchema)]
pub struct Unhealthy {
    #[serde(flatten)]
    health: Health,
    #[schema(examples("Service unavailable"))]
    error: String,
    /// Always `SERVICE_UNAVAILABLE`.
    #[schema(value_type = ErrorCode)]
    code: &'static str,
    /// Always `null`.
    #[schema(value_type = Option<Object>, required = true)]
    details: Option<()>,
}

/// The answer to a logout.
#[derive(ToSchema)]
#[schema(examples(json!({"message": "Logged out"})))]
pub struct LoggedOut {
    message: String,
}

/// A new account. Username and email must not be taken (compared without regard to case).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Signup, examples(json!({
    "username": "alice", "email": "alice@example.com", "password": "securepassword123"
})))]
pub struct SignupBody {
    /// 3 to 50 characters of `A-Z a-z 0-9 _ . -`.
    #[schema(pattern = "^[A-Za-z0-9_.-]{3,50}$", min_length = 3, max_length = 50)]
    username: String,
    /// A valid address of at most 254 characters; stored lowercased.
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// 8 to 4096 characters, any Unicode.
    #[schema(min_length = 8, max_length = 4096, format = Password)]
    password: String,
}

/// Credentials. A wrong username, email or password all get the same 401.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Login, examples(json!({"username": "alice", "password": "securepassword123"})))]
pub struct LoginBody {
    /// The username or the email address (either without regard to case).
    username: String,
    #[schema(format = Password)]
    password: String,
}

/// A new list. `description` absent or `null`: none.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewList, examples(json!({
    "title": "Weekly Groceries", "description": "Things to buy this week"
})))]
pub struct NewListBody {
    /// 1 to 255 characters after trimming; stored trimmed.
    #[schema(schema_with = title)]
    title: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
}

/// Changes to a list. An absent field is left as it is; `null` clears `description`;
/// `null` for `title` is a 422; `{}` changes nothing (and leaves `updatedAt` alone).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ListPatch, examples(json!({"title": "Groceries", "description": null})))]
pub struct ListPatchBody {
    /// 1 to 255 characters after trimming; not `null`.
    #[schema(schema_with = title)]
    #[serde(default)]
    title: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
}

/// A new task. Every field but `title` may be absent or `null`, which gives its default.
#[derive(ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(as = NewTask, examples(json!({
    "title": "Buy organic milk", "description": "2 litres", "priority": "high",
    "categories": ["dairy"], "dueDate": "2025-12-01T18:00:00Z", "completed": false
})))]
pub struct NewTaskBody {
    /// 1 to 255 characters after trimming; stored trimmed.
    #[schema(schema_with = title)]
    title: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    /// Default `medium`.
    priority: Option<Priority>,
    /// Default `[]`; the rules are those of [`category_array`].
    #[schema(schema_with = nullable_categories)]
    categories: Option<Vec<String>>,
    /// RFC 3339 with any offset (stored and returned in UTC), years 0001 to 9999.
    due_date: Option<Timestamp>,
    /// Default `false`.
    completed: Option<bool>,
}

/// Changes to a task. An absent field is left as it is; `null` clears `description` and
/// `dueDate`; `null` for any other field is a 422; `{}` changes nothing. `listId` moves the task
/// to another list the caller can see (404, and no change, when that list is not visible).
#[derive(ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schema(as = TaskPatch, examples(json!({"completed": true, "dueDate": null})))]
pub struct TaskPatchBody {
    /// 1 to 255 characters after trimming; not `null`.
    #[schema(schema_with = title)]
    #[serde(default)]
    title: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[serde(default)]
    completed: bool,
    #[serde(default)]
    priority: Priority,
    /// Replaces the categories (same rules as on creation); not `null`.
    #[schema(schema_with = categories)]
    #[serde(default)]
    categories: Vec<String>,
    due_date: Option<Timestamp>,
    #[serde(default)]
    list_id: Uuid,
}

/// A title: the pattern says "1 to 255 characters once trimmed".
fn title() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(TITLE_PATTERN))
        .description(Some("1 to 255 characters after trimming; stored trimmed"))
        .examples([json!("Buy organic milk")])
        .build()
}

fn category_array(kind: SchemaType) -> Array {
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(CATEGORY_PATTERN))
        .examples([json!("dairy")]);
    ArrayBuilder::new()
        .schema_type(kind)
        .items(item)
        .max_items(Some(10))
        .description(Some(
            "At most 10 entries, each 1 to 50 characters after trimming; stored trimmed, \
             duplicates dropped (keeping the first)",
        ))
        .build()
}

fn categories() -> Array {
    category_array(SchemaType::new(Type::Array))
}

/// Absent or `null`: `[]`.
fn nullable_categories() -> Array {
    category_array(SchemaType::from_iter([Type::Array, Type::Null]))
}

/// The page of `GET /api/v1/lists` (lists in `createdAt` order, then by id).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListsQuery {
    /// At most this many lists.
    #[param(minimum = 1, maximum = 1000, default = 1000)]
    limit: Option<i64>,
    /// Skip this many lists first.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64, default = 0)]
    offset: Option<i64>,
}

/// Filters, order and page of `GET /api/v1/lists/{listId}/tasks`. Each parameter at most once;
/// an unknown or repeated parameter is a 422.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(non_snake_case)]
pub struct TasksQuery {
    completed: Option<bool>,
    priority: Option<Priority>,
    /// Tasks that have this category (exact match).
    category: Option<String>,
    /// Tasks due before this instant (RFC 3339); tasks without `dueDate` never match.
    #[param(value_type = Option<String>, format = DateTime)]
    dueBefore: Option<String>,
    /// Tasks due after this instant (RFC 3339); tasks without `dueDate` never match.
    #[param(value_type = Option<String>, format = DateTime)]
    dueAfter: Option<String>,
    /// A substring of the title or description, without regard to case.
    q: Option<String>,
    /// The order; `-` for descending. Priority ascends low < medium < high; tasks without
    /// `dueDate` come last both ways; ties are broken by `createdAt`, then id.
    #[param(inline)]
    sort: Option<TaskOrder>,
    /// At most this many tasks.
    #[param(minimum = 1, maximum = 1000, default = 100)]
    limit: Option<i64>,
    /// Skip this many matching tasks first.
    #[param(minimum = 0, maximum = 9_223_372_036_854_775_807_i64, default = 0)]
    offset: Option<i64>,
}

/// The orders of a task query.
#[derive(ToSchema)]
#[schema(default = "createdAt")]
pub enum TaskOrder {
    #[serde(rename = "createdAt")]
    CreatedAt,
    #[serde(rename = "-createdAt")]
    CreatedAtDesc,
    #[serde(rename = "dueDate")]
    DueDate,
    #[serde(rename = "-dueDate")]
    DueDateDesc,
    #[serde(rename = "priority")]
    Priority,
    #[serde(rename = "-priority")]
    PriorityDesc,
    #[serde(rename = "title")]
    Title,
    #[serde(rename = "-title")]
    TitleDesc,
}
