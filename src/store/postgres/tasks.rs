//! Tasks on PostgreSQL (the mirror of `sqlite/tasks.rs`). Every statement joins the task's list
//! for visibility.

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::lists::find_list;
use super::notify::task_payload;
use super::task_query::{order_by, push_filters};
use super::{opt_timestamp, timestamp, uuid, visible, PgStore};
use crate::error::{AppError, AppResult};
use crate::records::{fold, Priority, Task, TaskEventKind, TaskFields, TaskPage, TaskQuery};
use crate::store::Checked;

const COLUMNS: &str = "t.id, t.list_id, t.title, t.description, t.completed, t.priority, \
                       t.categories, t.due_date, t.created_at, t.updated_at";
/// `COLUMNS` of a `TaskFields::Brief` read: the rest left empty.
const BRIEF_COLUMNS: &str = "t.id, t.list_id, t.title, NULL::text AS description, t.completed, \
                             t.priority, '{}'::text[] AS categories, \
                             NULL::timestamptz AS due_date, t.created_at, \
                             NULL::timestamptz AS updated_at";

impl PgStore {
    /// The page of `query` in a list and the number of matches, or `None` when the list is not
    /// visible; one statement.
    pub async fn tasks(
        &self,
        owner: Option<Uuid>,
        list_id: Uuid,
        query: &TaskQuery,
        unconfirmed: Option<Uuid>,
    ) -> AppResult<Checked<Option<TaskPage>>> {
        let mut sql =
            QueryBuilder::<Postgres>::new("SELECT r.revoked, v.visible, c.total, p.* FROM ");
        push_revoked(&mut sql, unconfirmed);
        sql.push(" CROSS JOIN (SELECT EXISTS (SELECT 1 FROM lists l WHERE l.id = ")
            .push_bind(list_id)
            .push(" AND (l.owner_id IS NULL OR l.owner_id = ")
            .push_bind(owner)
            .push(")) AS visible) v CROSS JOIN (SELECT count(*) AS total FROM tasks t WHERE t.list_id = ")
            .push_bind(list_id);
        push_filters(&mut sql, query);
        sql.push(") c LEFT JOIN LATERAL (SELECT ")
            .push(COLUMNS)
            .push(" FROM tasks t WHERE t.list_id = ")
            .push_bind(list_id);
        push_filters(&mut sql, query);
        sql.push(" ORDER BY ")
            .push(order_by(query))
            .push(" LIMIT ")
            .push_bind(query.limit)
            .push(" OFFSET ")
            .push_bind(query.offset)
            .push(") p ON v.visible AND NOT r.revoked");
        let rows = sql.build().fetch_all(&self.pool).await?;
        let Some(first) = rows.first() else {
            return Ok(Checked::Valid(None));
        };
        if first.try_get("revoked")? {
            return Ok(Checked::Revoked);
        }
        if !first.try_get::<bool, _>("visible")? {
            return Ok(Checked::Valid(None));
        }
        let mut tasks = Vec::with_capacity(rows.len());
        for row in &rows {
            if row.try_get::<Option<Uuid>, _>("id")?.is_some() {
                tasks.push(task_from_row(row)?);
            }
        }
        Ok(Checked::Valid(Some(TaskPage {
            tasks,
            total: first.try_get("total")?,
        })))
    }

    /// Inserts a task if its list is visible (one statement, no window for a race), and
    /// notifies the event listeners in the same statement.
    pub async fn insert_task(&self, owner: Option<Uuid>, task: &Task) -> AppResult<bool> {
        let done = sqlx::query(&format!(
            "WITH ins AS (INSERT INTO tasks (id, list_id, title, description, completed, priority, \
             categories, due_date, created_at, title_key, description_key) \
             SELECT $1, l.id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM lists l \
             WHERE l.id = $11 AND {} RETURNING id) SELECT pg_notify($13, $14) FROM ins",
            visible(12)
        ))
        .bind(task.id)
        .bind(&task.title)
        .bind(&task.description)
        .bind(task.completed)
        .bind(task.priority.rank())
        .bind(&task.categories)
        .bind(task.due_date.map(|t| t.to_datetime()))
        .bind(task.created_at.to_datetime())
        .bind(fold(&task.title))
        .bind(fold(task.description.as_deref().unwrap_or("")))
        .bind(task.list_id)
        .bind(owner)
        .bind(&self.channel)
        .bind(task_payload(TaskEventKind::Created, task.id, task.list_id))
        .fetch_optional(&self.pool)
        .await?;
        Ok(done.is_some())
    }

    /// A visible task, and whether `unconfirmed` is revoked, in one statement.
    pub async fn task(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        unconfirmed: Option<Uuid>,
    ) -> AppResult<Checked<Option<Task>>> {
        let mut sql = QueryBuilder::<Postgres>::new("SELECT r.revoked, f.* FROM ");
        push_revoked(&mut sql, unconfirmed);
        sql.push(" LEFT JOIN LATERAL (SELECT ")
            .push(COLUMNS)
            .push(" FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = ")
            .push_bind(id)
            .push(" AND (l.owner_id IS NULL OR l.owner_id = ")
            .push_bind(owner)
            .push(")) f ON NOT r.revoked");
        let row = sql.build().fetch_one(&self.pool).await?;
        if row.try_get("revoked")? {
            return Ok(Checked::Revoked);
        }
        match row.try_get::<Option<Uuid>, _>("id")? {
            Some(_) => Ok(Checked::Valid(Some(task_from_row(&row)?))),
            None => Ok(Checked::Valid(None)),
        }
    }

    /// Changes a visible task: `change` gets the current task and returns the next one; nothing
    /// is written when they are equal. A move needs a visible target list (else `NotFound`, and
    /// nothing changes). The task row, and the target list's key, are locked until the write.
    pub async fn update_task(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        change: impl FnOnce(&Task) -> Task + Send,
    ) -> AppResult<Option<Task>> {
        let mut tx = self.pool.begin().await?;
        let Some(current) = find_task(&mut *tx, owner, id, " FOR UPDATE OF t").await? else {
            return Ok(None);
        };
        let next = change(&current);
        if next == current {
            return Ok(Some(current));
        }
        if next.list_id != current.list_id
            && find_list(&mut *tx, owner, next.list_id, " FOR KEY SHARE")
                .await?
                .is_none()
        {
            return Err(AppError::NotFound);
        }
        // Every column, unlike SQLite's `changed_columns`: PostgreSQL compares the values to
        // decide which indexes an update touches, so an unchanged column costs nothing.
        sqlx::query(
            "UPDATE tasks SET list_id = $1, title = $2, description = $3, completed = $4, \
             priority = $5, categories = $6, due_date = $7, updated_at = $8, title_key = $9, \
             description_key = $10 WHERE id = $11",
        )
        .bind(next.list_id)
        .bind(&next.title)
        .bind(&next.description)
        .bind(next.completed)
        .bind(next.priority.rank())
        .bind(&next.categories)
        .bind(next.due_date.map(|t| t.to_datetime()))
        .bind(next.updated_at.map(|t| t.to_datetime()))
        .bind(fold(&next.title))
        .bind(fold(next.description.as_deref().unwrap_or("")))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let notices = if next.list_id == current.list_id {
            vec![task_payload(TaskEventKind::Updated, id, next.list_id)]
        } else {
            vec![
                task_payload(TaskEventKind::Deleted, id, current.list_id),
                task_payload(TaskEventKind::Created, id, next.list_id),
            ]
        };
        sqlx::query(
            "SELECT pg_notify($1, n) FROM unnest($2::text[]) WITH ORDINALITY AS u(n, i) ORDER BY i",
        )
        .bind(&self.channel)
        .bind(notices)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(next))
    }

    /// Deletes a task of a visible list; `false` when there was none to delete.
    pub async fn delete_task(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<bool> {
        let done = sqlx::query(&format!(
            "WITH del AS (DELETE FROM tasks t USING lists l WHERE t.id = $1 AND l.id = t.list_id \
             AND {} RETURNING t.id, t.list_id) SELECT pg_notify($3, 'D ' || id || ' ' || list_id) FROM del",
            visible(2)
        ))
        .bind(id)
        .bind(owner)
        .bind(&self.channel)
        .fetch_optional(&self.pool)
        .await?;
        Ok(done.is_some())
    }

    /// Tasks by id, whatever their list (live events only: their readers were checked).
    pub async fn tasks_by_ids(&self, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Task>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tasks t WHERE t.id = ANY($1)"
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| task_from_row(row).map(|t| (t.id, t)))
            .collect()
    }

    /// The page of `query` for each of several visible lists, in one statement.
    pub async fn tasks_by_list_ids(
        &self,
        owner: Option<Uuid>,
        list_ids: &[Uuid],
        query: &TaskQuery,
        fields: TaskFields,
    ) -> AppResult<HashMap<Uuid, Vec<Task>>> {
        // One page per visible list, cut inside as for a single list (the SQLite side has the
        // same shape): the index on (list_id, created_at, id) serves the default order. The
        // outer sort keeps each page's order, which a join does not promise to keep.
        let order = order_by(query);
        let columns = match fields {
            TaskFields::All => COLUMNS,
            TaskFields::Brief => BRIEF_COLUMNS,
        };
        let mut sql = QueryBuilder::<Postgres>::new(format!(
            "SELECT {columns} FROM lists l CROSS JOIN LATERAL \
             (SELECT t.* FROM tasks t WHERE t.list_id = l.id"
        ));
        push_filters(&mut sql, query);
        sql.push(" ORDER BY ")
            .push(order)
            .push(" LIMIT ")
            .push_bind(query.limit)
            .push(" OFFSET ")
            .push_bind(query.offset)
            .push(") t WHERE l.id = ANY(")
            .push_bind(list_ids)
            .push(") AND (l.owner_id IS NULL OR l.owner_id = ")
            .push_bind(owner)
            .push(format_args!(") ORDER BY t.list_id, {order}"));
        let rows = sql.build().fetch_all(&self.pool).await?;
        let mut by_list: HashMap<Uuid, Vec<Task>> = HashMap::with_capacity(list_ids.len());
        for row in &rows {
            let task = task_from_row(row)?;
            by_list.entry(task.list_id).or_default().push(task);
        }
        Ok(by_list)
    }

    /// Task counts of several visible lists, in one statement.
    pub async fn task_counts(
        &self,
        owner: Option<Uuid>,
        list_ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, i64>> {
        let rows = sqlx::query(&format!(
            "SELECT t.list_id, count(*) AS n FROM tasks t JOIN lists l ON l.id = t.list_id \
             WHERE t.list_id = ANY($1) AND {} GROUP BY t.list_id",
            visible(2)
        ))
        .bind(list_ids)
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((uuid(r, "list_id")?, r.try_get("n")?)))
            .collect()
    }
}

/// `(SELECT ... AS revoked) r`: whether the unconfirmed token (if any) is revoked, as the
/// first relation of a read that checks it (`Checked`).
fn push_revoked(sql: &mut QueryBuilder<'_, Postgres>, unconfirmed: Option<Uuid>) {
    sql.push("(SELECT EXISTS (SELECT 1 FROM token_blacklist WHERE jti = ")
        .push_bind(unconfirmed)
        .push(") AS revoked) r");
}

async fn find_task<'e>(
    executor: impl PgExecutor<'e>,
    owner: Option<Uuid>,
    id: Uuid,
    lock: &str,
) -> AppResult<Option<Task>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM tasks t JOIN lists l ON l.id = t.list_id WHERE t.id = $1 AND {}{lock}",
        visible(2)
    ))
    .bind(id)
    .bind(owner)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(task_from_row).transpose()
}

fn task_from_row(row: &PgRow) -> AppResult<Task> {
    Ok(Task {
        id: uuid(row, "id")?,
        list_id: uuid(row, "list_id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        completed: row.try_get("completed")?,
        priority: Priority::from_rank(row.try_get("priority")?),
        categories: row.try_get("categories")?,
        due_date: opt_timestamp(row, "due_date")?,
        created_at: timestamp(row, "created_at")?,
        updated_at: opt_timestamp(row, "updated_at")?,
    })
}
