//! Task statements built from parts: a query's filters and order (the mirror of
//! `postgres/task_query.rs`), and the SET list of a change.

use sqlx::{QueryBuilder, Sqlite};

use super::tasks::categories_json;
use crate::error::AppResult;
use crate::records::{fold, Task, TaskQuery, TaskSort, Timestamp};

/// Appends the WHERE conditions of `query` (every value bound, never spliced).
pub(super) fn push_filters(sql: &mut QueryBuilder<'_, Sqlite>, query: &TaskQuery) {
    if let Some(completed) = query.completed {
        sql.push(" AND t.completed = ").push_bind(completed);
    }
    if let Some(priority) = query.priority {
        sql.push(" AND t.priority = ").push_bind(priority.rank());
    }
    if let Some(category) = &query.category {
        sql.push(" AND EXISTS (SELECT 1 FROM json_each(t.categories) c WHERE c.value = ")
            .push_bind(category.trim().to_owned())
            .push(")");
    }
    if let Some(before) = query.due_before {
        sql.push(" AND t.due_date < ").push_bind(before.micros());
    }
    if let Some(after) = query.due_after {
        sql.push(" AND t.due_date > ").push_bind(after.micros());
    }
    if let Some(q) = query.q.as_deref().filter(|q| !q.is_empty()) {
        // Both sides folded by the service; instr() has no pattern characters to escape.
        let needle = fold(q);
        sql.push(" AND (instr(t.title_key, ")
            .push_bind(needle.clone())
            .push(") > 0 OR instr(t.description_key, ")
            .push_bind(needle)
            .push(") > 0)");
    }
}

/// ORDER BY for `query`: the chosen key, tasks without a due date last in both directions, and
/// ties broken by creation time, then id (both ascending). Text compares by code point.
pub(super) fn order_by(query: &TaskQuery) -> &'static str {
    use TaskSort::*;
    match (query.sort, query.descending) {
        (CreatedAt, false) => "t.created_at ASC, t.id ASC",
        (CreatedAt, true) => "t.created_at DESC, t.id ASC",
        (DueDate, false) => "(t.due_date IS NULL) ASC, t.due_date ASC, t.created_at ASC, t.id ASC",
        (DueDate, true) => "(t.due_date IS NULL) ASC, t.due_date DESC, t.created_at ASC, t.id ASC",
        (Priority, false) => "t.priority ASC, t.created_at ASC, t.id ASC",
        (Priority, true) => "t.priority DESC, t.created_at ASC, t.id ASC",
        (Title, false) => "t.title_key ASC, t.title ASC, t.created_at ASC, t.id ASC",
        (Title, true) => "t.title_key DESC, t.title DESC, t.created_at ASC, t.id ASC",
    }
}

/// The UPDATE of the columns that differ between `current` and `next`. Setting an indexed column,
/// even to its old value, rewrites its index entry (one more page in the commit) and checks the
/// list's foreign key: a PATCH of `completed` touched two pages where one will do.
pub(super) fn changed_columns(
    current: &Task,
    next: &Task,
) -> AppResult<QueryBuilder<'static, Sqlite>> {
    let mut sql = QueryBuilder::<Sqlite>::new("UPDATE tasks SET ");
    let mut set = sql.separated(", ");
    if next.list_id != current.list_id {
        set.push("list_id = ")
            .push_bind_unseparated(next.list_id.hyphenated().to_string());
    }
    if next.title != current.title {
        set.push("title = ")
            .push_bind_unseparated(next.title.clone());
        set.push("title_key = ")
            .push_bind_unseparated(fold(&next.title));
    }
    if next.description != current.description {
        let key = fold(next.description.as_deref().unwrap_or(""));
        set.push("description = ")
            .push_bind_unseparated(next.description.clone());
        set.push("description_key = ").push_bind_unseparated(key);
    }
    if next.completed != current.completed {
        set.push("completed = ")
            .push_bind_unseparated(next.completed);
    }
    if next.priority != current.priority {
        set.push("priority = ")
            .push_bind_unseparated(next.priority.rank());
    }
    if next.categories != current.categories {
        set.push("categories = ")
            .push_bind_unseparated(categories_json(&next.categories)?);
    }
    if next.due_date != current.due_date {
        set.push("due_date = ")
            .push_bind_unseparated(next.due_date.map(Timestamp::micros));
    }
    // Always set, so that the statement is valid even if only `updated_at` moved.
    set.push("updated_at = ")
        .push_bind_unseparated(next.updated_at.map(Timestamp::micros));
    sql.push(" WHERE id = ")
        .push_bind(current.id.hyphenated().to_string());
    Ok(sql)
}
