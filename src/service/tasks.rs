//! Tasks: create, read, query, update (including moves between lists), delete, and the batch
//! reads behind GraphQL's dataloaders. Every statement joins the task's list for visibility.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};
use utoipa::ToSchema;
use uuid::Uuid;

use super::sql::{caller_bind, json_ids, uuid_column, VISIBLE};
use super::values::{self, Page, Patch, Priority, Timestamp};
use super::{Caller, Service};
use crate::error::{AppError, AppResult, Problems};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: Uuid,
    pub list_id: Uuid,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub completed: bool,
    pub priority: Priority,
    pub categories: Vec<String>,
    #[schema(required = true)]
    pub due_date: Option<Timestamp>,
    pub created_at: Timestamp,
    /// `null` until the task is first changed.
    #[schema(required = true)]
    pub updated_at: Option<Timestamp>,
}

#[derive(Default)]
pub struct NewTask {
    pub title: String,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    pub categories: Option<Vec<String>>,
    pub due_date: Option<Timestamp>,
    pub completed: Option<bool>,
}

#[derive(Default)]
pub struct TaskPatch {
    pub title: Patch<String>,
    pub description: Patch<String>,
    pub completed: Patch<bool>,
    pub priority: Patch<Priority>,
    pub categories: Patch<Vec<String>>,
    pub due_date: Patch<Timestamp>,
    pub list_id: Patch<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TaskSort {
    #[default]
    CreatedAt,
    DueDate,
    Priority,
    Title,
}

/// Filters, order and page of a task query (docs/querying.md).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskQuery {
    pub completed: Option<bool>,
    pub priority: Option<Priority>,
    pub category: Option<String>,
    pub due_before: Option<Timestamp>,
    pub due_after: Option<Timestamp>,
    pub q: Option<String>,
    pub sort: TaskSort,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// Page size of a task query when none is asked for.
pub const LIMIT_DEFAULT: i64 = 100;

impl Default for TaskQuery {
    fn default() -> Self {
        Self {
            completed: None,
            priority: None,
            category: None,
            due_before: None,
            due_after: None,
            q: None,
            sort: TaskSort::CreatedAt,
            descending: false,
            limit: LIMIT_DEFAULT,
            offset: 0,
        }
    }
}

impl TaskQuery {
    /// Checks the page bounds; both faces parse the rest into typed values already.
    pub fn check(&self) -> AppResult<()> {
        Page {
            limit: self.limit,
            offset: self.offset,
        }
        .check()
        .map(drop)
    }
}

/// One page of a task query and the number of matches before paging.
#[derive(Debug, Clone)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    pub total: i64,
}

/// A task row as a JSON array, for reads that return many rows as one value (see [`TaskJson`]).
const JSON_ROW: &str =
    "json_array(t.id, t.list_id, t.title, t.description, t.completed, t.priority, \
                        json(t.categories), t.due_date, t.created_at, t.updated_at)";

const COLUMNS: &str = "t.id, t.list_id, t.title, t.description, t.completed, t.priority, \
                       t.categories, t.due_date, t.created_at, t.updated_at";

impl Service {
    /// The tasks of a visible list matching `query`; 404 when the list is not visible.
    pub async fn tasks(
        &self,
        caller: &Caller,
        list_id: Uuid,
        query: &TaskQuery,
    ) -> AppResult<TaskPage> {
        let owner = self.scope(caller)?;
        query.check()?;
        // One statement: visibility, the number of matches, and the page as one JSON array
        // (rows cross from SQLite's worker thread one by one; one row is one hand-off).
        let list = list_id.hyphenated().to_string();
        let mut sql =
            QueryBuilder::<Sqlite>::new("SELECT EXISTS (SELECT 1 FROM lists l WHERE l.id = ");
        sql.push_bind(list.clone())
            .push(" AND (l.owner_id IS NULL OR l.owner_id = ")
            .push_bind(caller_bind(owner))
            .push(")) AS visible, (SELECT COUNT(*) FROM tasks t WHERE t.list_id = ")
            .push_bind(list.clone());
        push_filters(&mut sql, query);
        // The page's rows are chosen by rowid first, so only they are turned into JSON.
        sql.push(") AS total, (SELECT json_group_array(")
            .push(JSON_ROW)
            .push(" ORDER BY ")
            .push(order_by(query))
            .push(") FROM tasks t WHERE t.rowid IN (SELECT t.rowid FROM tasks t WHERE t.list_id = ")
            .push_bind(list);
        push_filters(&mut sql, query);
        sql.push(" ORDER BY ")
            .push(order_by(query))
            .push(" LIMIT ")
            .push_bind(query.limit)
            .push(" OFFSET ")
            .push_bind(query.offset)
            .push(")) AS page");
        let row = sql
            .build()
            .fetch_one(&mut *self.db().reader().await?)
            .await?;
        if !row.try_get::<bool, _>("visible")? {
            return Err(AppError::NotFound);
        }
        Ok(TaskPage {
            total: row.try_get("total")?,
            tasks: tasks_from_json(row.try_get("page")?)?,
        })
    }

    pub async fn create_task(
        &self,
        caller: &Caller,
        list_id: Uuid,
        input: NewTask,
    ) -> AppResult<Task> {
        let owner = self.scope(caller)?;
        let mut problems = Problems::default();
        let title = problems.check("title", values::title(&input.title));
        let description = input
            .description
            .map(|d| problems.check("description", values::description(d)));
        let categories = input
            .categories
            .map(|c| problems.check("categories", values::categories(c)));
        problems.finish()?;
        let task = Task {
            id: Uuid::new_v4(),
            list_id,
            title: title.unwrap_or_default(),
            description: description.flatten(),
            completed: input.completed.unwrap_or(false),
            priority: input.priority.unwrap_or_default(),
            categories: categories.flatten().unwrap_or_default(),
            due_date: input.due_date,
            created_at: Timestamp::now(),
            updated_at: None,
        };
        // Insert only if the list is visible: one statement, no window for a race.
        let done = sqlx::query(&format!(
            "INSERT INTO tasks (id, list_id, title, description, completed, priority, categories, \
             due_date, created_at, title_key, description_key) \
             SELECT ?, l.id, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM lists l WHERE l.id = ? AND {VISIBLE}"
        ))
        .bind(task.id.hyphenated())
        .bind(&task.title)
        .bind(&task.description)
        .bind(task.completed)
        .bind(task.priority.rank())
        .bind(categories_json(&task.categories)?)
        .bind(task.due_date.map(Timestamp::micros))
        .bind(task.created_at.micros())
        .bind(task.title.to_lowercase())
        .bind(description_key(&task))
        .bind(list_id.hyphenated())
        .bind(caller_bind(owner))
        .execute(&mut *self.db().writer().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::NotFound);
        }
        Ok(task)
    }

    /// One task of a visible list, or 404.
    pub async fn task(&self, caller: &Caller, id: Uuid) -> AppResult<Task> {
        let owner = self.scope(caller)?;
        self.find_task(&mut *self.db().reader().await?, owner, id)
            .await?
            .ok_or(AppError::NotFound)
    }

    async fn find_task<'e, E: sqlx::SqliteExecutor<'e>>(
        &self,
        executor: E,
        owner: Option<Uuid>,
        id: Uuid,
    ) -> AppResult<Option<Task>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = ? AND {VISIBLE}"
        ))
        .bind(id.hyphenated())
        .bind(caller_bind(owner))
        .fetch_optional(executor)
        .await?;
        row.as_ref().map(task_from_row).transpose()
    }

    /// Applies a PATCH. Moving (`listId`) needs a target list the caller can see; otherwise 404
    /// and nothing changes. A patch that changes nothing leaves `updatedAt` alone.
    pub async fn update_task(
        &self,
        caller: &Caller,
        id: Uuid,
        patch: TaskPatch,
    ) -> AppResult<Task> {
        let owner = self.scope(caller)?;
        let checked = check_patch(patch)?;
        // Holding the only writer, the read and the write below cannot interleave with any
        // other write: no transaction (and its two extra round trips) is needed.
        let mut conn = self.db().writer().await?;
        let current = self
            .find_task(&mut *conn, owner, id)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(target) = checked.list_id.filter(|t| *t != current.list_id) {
            self.find_list(&mut *conn, owner, target)
                .await?
                .ok_or(AppError::NotFound)?;
        }
        let mut next = checked.apply(current.clone());
        if next == current {
            return Ok(current);
        }
        next.updated_at = Some(Timestamp::now());
        sqlx::query(
            "UPDATE tasks SET list_id = ?, title = ?, description = ?, completed = ?, priority = ?, \
             categories = ?, due_date = ?, updated_at = ?, title_key = ?, description_key = ? WHERE id = ?",
        )
        .bind(next.list_id.hyphenated())
        .bind(&next.title)
        .bind(&next.description)
        .bind(next.completed)
        .bind(next.priority.rank())
        .bind(categories_json(&next.categories)?)
        .bind(next.due_date.map(Timestamp::micros))
        .bind(next.updated_at.map(Timestamp::micros))
        .bind(next.title.to_lowercase())
        .bind(description_key(&next))
        .bind(id.hyphenated())
        .execute(&mut *conn)
        .await?;
        Ok(next)
    }

    pub async fn delete_task(&self, caller: &Caller, id: Uuid) -> AppResult<()> {
        let owner = self.scope(caller)?;
        let done = sqlx::query(&format!(
            "DELETE FROM tasks WHERE id = ? AND EXISTS \
             (SELECT 1 FROM lists l WHERE l.id = tasks.list_id AND {VISIBLE})"
        ))
        .bind(id.hyphenated())
        .bind(caller_bind(owner))
        .execute(&mut *self.db().writer().await?)
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// The page of `query` for each of several lists, in one statement (GraphQL's `TodoList.tasks`).
    pub async fn tasks_by_list_ids(
        &self,
        caller: &Caller,
        list_ids: &[Uuid],
        query: &TaskQuery,
    ) -> AppResult<HashMap<Uuid, Vec<Task>>> {
        let owner = self.scope(caller)?;
        query.check()?;
        // Rows are numbered per list on rowids only; just the chosen ones become JSON.
        let order = order_by(query);
        let mut sql = QueryBuilder::<Sqlite>::new(format!(
            "SELECT json_group_array({JSON_ROW} ORDER BY t.list_id, {order}) FROM tasks t WHERE t.rowid IN \
             (SELECT rid FROM (SELECT t.rowid AS rid, ROW_NUMBER() OVER (PARTITION BY t.list_id ORDER BY {order}) AS rn \
             FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.list_id IN (SELECT value FROM json_each("
        ));
        sql.push_bind(json_ids(list_ids)).push("))");
        sql.push(" AND (l.owner_id IS NULL OR l.owner_id = ")
            .push_bind(caller_bind(owner))
            .push(")");
        push_filters(&mut sql, query);
        sql.push(") WHERE rn > ").push_bind(query.offset);
        sql.push(" AND rn <= ")
            .push_bind(query.offset.saturating_add(query.limit))
            .push(")");
        let row = sql
            .build()
            .fetch_one(&mut *self.db().reader().await?)
            .await?;
        let mut by_list: HashMap<Uuid, Vec<Task>> = HashMap::with_capacity(list_ids.len());
        for task in tasks_from_json(row.try_get(0)?)? {
            by_list.entry(task.list_id).or_default().push(task);
        }
        Ok(by_list)
    }

    /// Task counts of several visible lists, in one statement (GraphQL's `TodoList.taskCount`).
    pub async fn task_counts(
        &self,
        caller: &Caller,
        list_ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, i64>> {
        let owner = self.scope(caller)?;
        let row = sqlx::query(&format!(
            "SELECT json_group_object(list_id, n) FROM (SELECT t.list_id AS list_id, COUNT(*) AS n \
             FROM tasks t JOIN lists l ON l.id = t.list_id \
             WHERE t.list_id IN (SELECT value FROM json_each(?)) AND {VISIBLE} GROUP BY t.list_id)"
        ))
        .bind(json_ids(list_ids))
        .bind(caller_bind(owner))
        .fetch_one(&mut *self.db().reader().await?)
        .await?;
        serde_json::from_str(row.try_get(0)?).map_err(AppError::internal)
    }
}

/// A validated PATCH, ready to apply to the current task.
struct CheckedPatch {
    title: Option<String>,
    description: Patch<String>,
    completed: Option<bool>,
    priority: Option<Priority>,
    categories: Option<Vec<String>>,
    due_date: Patch<Timestamp>,
    list_id: Option<Uuid>,
}

fn check_patch(patch: TaskPatch) -> AppResult<CheckedPatch> {
    let mut problems = Problems::default();
    let p = &mut problems;
    let title = values::required(p, "title", patch.title.map(|t| values::title(&t)));
    let completed = values::required(p, "completed", patch.completed.map(Ok));
    let priority = values::required(p, "priority", patch.priority.map(Ok));
    let categories = values::required(p, "categories", patch.categories.map(values::categories));
    let list_id = values::required(p, "listId", patch.list_id.map(Ok));
    let description =
        values::nullable(p, "description", patch.description.map(values::description));
    problems.finish()?;
    Ok(CheckedPatch {
        title,
        description,
        completed,
        priority,
        categories,
        due_date: patch.due_date,
        list_id,
    })
}

impl CheckedPatch {
    fn apply(self, mut task: Task) -> Task {
        task.title = self.title.unwrap_or(task.title);
        task.completed = self.completed.unwrap_or(task.completed);
        task.priority = self.priority.unwrap_or(task.priority);
        task.categories = self.categories.unwrap_or(task.categories);
        task.list_id = self.list_id.unwrap_or(task.list_id);
        self.description.apply_to(&mut task.description);
        self.due_date.apply_to(&mut task.due_date);
        task
    }
}

/// Appends the WHERE conditions of `query` (every value bound, never spliced).
fn push_filters(sql: &mut QueryBuilder<'_, Sqlite>, query: &TaskQuery) {
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
        // Both sides folded by Rust; instr() has no pattern characters to escape.
        let needle = q.to_lowercase();
        sql.push(" AND (instr(t.title_key, ")
            .push_bind(needle.clone())
            .push(") > 0 OR instr(t.description_key, ")
            .push_bind(needle)
            .push(") > 0)");
    }
}

/// ORDER BY for `query`: the chosen key, tasks without a due date last in both directions, and
/// ties broken by creation time, then id (both ascending).
fn order_by(query: &TaskQuery) -> &'static str {
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

/// The description folded for `q` (Rust lowercases all of Unicode; SQLite's lower() only ASCII).
fn description_key(task: &Task) -> String {
    task.description.as_deref().unwrap_or("").to_lowercase()
}

fn categories_json(categories: &[String]) -> AppResult<String> {
    serde_json::to_string(categories).map_err(AppError::internal)
}

/// A task as [`JSON_ROW`] encodes it.
#[derive(serde::Deserialize)]
struct TaskJson(
    Uuid,
    Uuid,
    String,
    Option<String>,
    u8,
    i16,
    Vec<String>,
    Option<i64>,
    i64,
    Option<i64>,
);

fn tasks_from_json(raw: &str) -> AppResult<Vec<Task>> {
    let rows: Vec<TaskJson> = serde_json::from_str(raw).map_err(AppError::internal)?;
    Ok(rows
        .into_iter()
        .map(
            |TaskJson(
                id,
                list_id,
                title,
                description,
                completed,
                priority,
                categories,
                due,
                created,
                updated,
            )| Task {
                id,
                list_id,
                title,
                description,
                completed: completed != 0,
                priority: Priority::from_rank(priority),
                categories,
                due_date: due.map(Timestamp::from_micros),
                created_at: Timestamp::from_micros(created),
                updated_at: updated.map(Timestamp::from_micros),
            },
        )
        .collect())
}

fn task_from_row(row: &SqliteRow) -> AppResult<Task> {
    let categories: &str = row.try_get("categories")?;
    Ok(Task {
        id: uuid_column(row, "id")?,
        list_id: uuid_column(row, "list_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        completed: row.try_get("completed")?,
        priority: Priority::from_rank(row.try_get("priority")?),
        categories: serde_json::from_str(categories).map_err(AppError::internal)?,
        due_date: row
            .try_get::<Option<i64>, _>("due_date")?
            .map(Timestamp::from_micros),
        created_at: Timestamp::from_micros(row.try_get("created_at")?),
        updated_at: row
            .try_get::<Option<i64>, _>("updated_at")?
            .map(Timestamp::from_micros),
    })
}
