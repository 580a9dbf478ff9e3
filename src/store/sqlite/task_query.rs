//! A task query (filters, order) as SQLite SQL; the mirror of `postgres/task_query.rs`.

use sqlx::{QueryBuilder, Sqlite};

use crate::records::{fold, TaskQuery, TaskSort};

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
