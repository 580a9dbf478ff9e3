//! Pages of tasks as SQLite builds them: one JSON array per list, its rows in the order asked
//! for. A page's rows leave out the list's id (the reader knows which list it asked for), and a
//! brief page (`TaskFields::Brief`) also the columns its reader will not answer: building and
//! decoding JSON is most of the time of a GraphQL page of lists (`perf`, `scripts/bench.sh` f).

use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::from_json;
use super::task_query::{order_by, push_filters};
use crate::error::AppResult;
use crate::records::{Priority, Task, TaskFields, TaskQuery, Timestamp};

json_row! {
    /// A task of a page, as one JSON array.
    struct PageTask as PAGE_ROW {
        id: Uuid = "t.id",
        title: String = "t.title",
        description: Option<String> = "t.description",
        completed: u8 = "t.completed",
        priority: i16 = "t.priority",
        categories: Vec<String> = "json(t.categories)",
        due_date: Option<i64> = "t.due_date",
        created_at: i64 = "t.created_at",
        updated_at: Option<i64> = "t.updated_at",
    }
}

json_row! {
    /// A task of a brief page, as one JSON array.
    struct BriefTask as BRIEF_ROW {
        id: Uuid = "t.id",
        title: String = "t.title",
        completed: u8 = "t.completed",
        priority: i16 = "t.priority",
        created_at: i64 = "t.created_at",
    }
}

/// Appends a subquery whose value is the JSON array of one list's page of tasks, in order; `list`
/// pushes the list's id. The page is cut inside, where the index on `(list_id, created_at, id)`
/// serves the default order and the scan stops at the page's end; selecting rowids for an outer
/// `IN` instead built a temporary index of them (B-tree inserts in the `perf` profile of a
/// GraphQL page of lists, `scripts/bench.sh` f). The aggregate takes the rows in the order the
/// subquery yields them: see the module `store::sqlite`.
pub(super) fn push_page(
    sql: &mut QueryBuilder<'_, Sqlite>,
    list: impl FnOnce(&mut QueryBuilder<'_, Sqlite>),
    query: &TaskQuery,
    fields: TaskFields,
) {
    let order = order_by(query);
    let row = match fields {
        TaskFields::All => PAGE_ROW,
        TaskFields::Brief => BRIEF_ROW,
    };
    sql.push(format_args!(
        "(SELECT json_group_array({row}) FROM (SELECT t.* FROM tasks t WHERE t.list_id = "
    ));
    list(sql);
    push_filters(sql, query);
    sql.push(format_args!(" ORDER BY {order} LIMIT "))
        .push_bind(query.limit)
        .push(" OFFSET ")
        .push_bind(query.offset)
        .push(") t)");
}

/// The tasks of a page that `push_page` built for `list_id` with `fields`.
pub(super) fn page_from_json(raw: &str, list_id: Uuid, fields: TaskFields) -> AppResult<Vec<Task>> {
    Ok(match fields {
        TaskFields::All => from_json::<Vec<PageTask>>(raw)?
            .into_iter()
            .map(|t| Task {
                id: t.id,
                list_id,
                title: t.title,
                description: t.description,
                completed: t.completed != 0,
                priority: Priority::from_rank(t.priority),
                categories: t.categories,
                due_date: t.due_date.map(Timestamp::from_micros),
                created_at: Timestamp::from_micros(t.created_at),
                updated_at: t.updated_at.map(Timestamp::from_micros),
            })
            .collect(),
        TaskFields::Brief => from_json::<Vec<BriefTask>>(raw)?
            .into_iter()
            .map(|t| Task {
                id: t.id,
                list_id,
                title: t.title,
                description: None,
                completed: t.completed != 0,
                priority: Priority::from_rank(t.priority),
                categories: Vec::new(),
                due_date: None,
                created_at: Timestamp::from_micros(t.created_at),
                updated_at: None,
            })
            .collect(),
    })
}
