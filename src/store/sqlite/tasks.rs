//! Tasks on SQLite (the mirror of `postgres/tasks.rs`). Every statement joins the task's list
//! for visibility.

use std::collections::HashMap;

use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteExecutor};
use uuid::Uuid;

use super::cache::{Cached, Lookup};
use super::lists::{find_list, VISIBLE};
use super::task_pages::{page_from_json, push_page};
use super::task_query::{changed_columns, push_filters};
use super::{from_json, id_text, json_ids, uuid_column, SqliteStore};
use crate::error::{AppError, AppResult};
use crate::records::{
    visible, Priority, Task, TaskEventKind, TaskFields, TaskPage, TaskQuery, Timestamp,
};
use crate::store::{Change, Checked};

json_row! {
    /// A task row as one JSON array, for reads that return many rows as one value.
    struct TaskJson as JSON_ROW {
        id: Uuid = "t.id",
        list_id: Uuid = "t.list_id",
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

const COLUMNS: &str = "t.id, t.list_id, t.title, t.description, t.completed, t.priority, \
                       t.categories, t.due_date, t.created_at, t.updated_at";

impl SqliteStore {
    /// The page of `query` in a list and the number of matches, or `None` when the list is not
    /// visible. One statement: rows cross from SQLite's worker thread one by one, so the page
    /// comes back as one JSON array, and only the page's rows (chosen by rowid) become JSON.
    pub async fn tasks(
        &self,
        owner: Option<Uuid>,
        list_id: Uuid,
        query: &TaskQuery,
        unconfirmed: Option<Uuid>,
    ) -> AppResult<Checked<Option<TaskPage>>> {
        if self.check_token(unconfirmed).await? {
            return Ok(Checked::Revoked);
        }
        let list = list_id.hyphenated().to_string();
        let mut sql =
            QueryBuilder::<Sqlite>::new("SELECT EXISTS (SELECT 1 FROM lists l WHERE l.id = ");
        sql.push_bind(list.clone())
            .push(" AND (l.owner_id IS NULL OR l.owner_id = ")
            .push_bind(id_text(owner))
            .push(")) AS visible, (SELECT COUNT(*) FROM tasks t WHERE t.list_id = ")
            .push_bind(list.clone());
        push_filters(&mut sql, query);
        sql.push(") AS total, ");
        push_page(
            &mut sql,
            |sql| {
                sql.push_bind(list);
            },
            query,
            TaskFields::All,
        );
        sql.push(" AS page");
        let row = sql.build().fetch_one(&mut self.reader().await?).await?;
        if !row.try_get::<bool, _>("visible")? {
            return Ok(Checked::Valid(None));
        }
        Ok(Checked::Valid(Some(TaskPage {
            total: row.try_get("total")?,
            tasks: page_from_json(row.try_get("page")?, list_id, TaskFields::All)?,
        })))
    }

    /// Inserts a task if its list is visible (one statement, no window for a race), committed
    /// together with other inserts queued meanwhile (`inserts.rs`).
    pub async fn insert_task(&self, owner: Option<Uuid>, task: &Task) -> AppResult<bool> {
        self.inserts.insert(owner, task.clone()).await
    }

    /// Publishes a task change; called with the writer still held, so in commit order.
    fn publish_task(&self, kind: TaskEventKind, task_id: Uuid, list_id: Uuid, task: Option<&Task>) {
        self.feed.publish(Change::Task {
            kind,
            task_id,
            list_id,
            task: task.map(|t| Box::new(t.clone())),
        });
    }

    pub async fn task(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        unconfirmed: Option<Uuid>,
    ) -> AppResult<Checked<Option<Task>>> {
        if self.check_token(unconfirmed).await? {
            return Ok(Checked::Revoked);
        }
        let ticket = match self.cache.lookup(id, owner) {
            Lookup::Hit(task) => return Ok(Checked::Valid(task)),
            Lookup::Miss(ticket) => ticket,
        };
        let found = find_task(&mut self.reader().await?, owner, id).await?;
        Ok(Checked::Valid(found.map(|cached| {
            self.cache.fill(ticket, cached.clone());
            cached.task
        })))
    }

    /// Changes a visible task: `change` gets the current task and returns the next one; nothing
    /// is written when they are equal. A move needs a visible target list (else `NotFound`, and
    /// nothing changes). Holding the only writer, the reads and the write cannot interleave with
    /// any other write: no transaction (and its two extra round trips) is needed.
    pub async fn update_task(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        change: impl FnOnce(&Task) -> Task + Send,
    ) -> AppResult<Option<Task>> {
        let mut conn = self.writer().await?;
        let write = self.cache.write();
        let found = match self.cache.get(id) {
            Some(cached) => Some(cached),
            None => find_task(&mut conn, owner, id).await?,
        };
        let Some(Cached {
            task: current,
            list_owner,
        }) = found.filter(|c| visible(c.list_owner, owner))
        else {
            write.unchanged();
            return Ok(None);
        };
        let next = change(&current);
        if next == current {
            write.unchanged();
            return Ok(Some(current));
        }
        let list_owner = if next.list_id == current.list_id {
            list_owner
        } else {
            match find_list(&mut conn, owner, next.list_id).await? {
                Some(list) => list.owner_id,
                None => {
                    write.unchanged();
                    return Err(AppError::NotFound);
                }
            }
        };
        changed_columns(&current, &next)?
            .build()
            .execute(&mut conn)
            .await?;
        write.put(Cached {
            task: next.clone(),
            list_owner,
        });
        if next.list_id == current.list_id {
            self.publish_task(TaskEventKind::Updated, id, next.list_id, Some(&next));
        } else {
            self.publish_task(TaskEventKind::Deleted, id, current.list_id, None);
            self.publish_task(TaskEventKind::Created, id, next.list_id, Some(&next));
        }
        Ok(Some(next))
    }

    /// Deletes a task of a visible list; `false` when there was none to delete.
    pub async fn delete_task(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<bool> {
        let mut conn = self.writer().await?;
        let write = self.cache.write();
        let list: Option<String> = sqlx::query_scalar(&format!(
            "DELETE FROM tasks WHERE id = ? AND EXISTS \
             (SELECT 1 FROM lists l WHERE l.id = tasks.list_id AND {VISIBLE}) RETURNING list_id"
        ))
        .bind(id.hyphenated())
        .bind(id_text(owner))
        .fetch_optional(&mut conn)
        .await?;
        write.remove(id);
        let Some(list) = list else {
            return Ok(false);
        };
        let list_id = Uuid::parse_str(&list).map_err(AppError::internal)?;
        self.publish_task(TaskEventKind::Deleted, id, list_id, None);
        Ok(true)
    }

    /// Tasks by id, whatever their list (live events only: their readers were checked).
    pub async fn tasks_by_ids(&self, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Task>> {
        let row = sqlx::query(&format!(
            "SELECT json_group_array({JSON_ROW}) FROM tasks t \
             WHERE t.id IN (SELECT value FROM json_each(?))"
        ))
        .bind(json_ids(ids))
        .fetch_one(&mut self.reader().await?)
        .await?;
        Ok(tasks_from_json(row.try_get(0)?)?
            .into_iter()
            .map(|t| (t.id, t))
            .collect())
    }

    /// The page of `query` for each of several visible lists, in one statement. Rows are
    /// numbered per list on rowids only; just the chosen ones become JSON.
    pub async fn tasks_by_list_ids(
        &self,
        owner: Option<Uuid>,
        list_ids: &[Uuid],
        query: &TaskQuery,
        fields: TaskFields,
    ) -> AppResult<HashMap<Uuid, Vec<Task>>> {
        let mut sql = QueryBuilder::<Sqlite>::new("SELECT j.value AS list_id, ");
        push_page(
            &mut sql,
            |sql| {
                sql.push("j.value");
            },
            query,
            fields,
        );
        sql.push(" AS page FROM json_each(")
            .push_bind(json_ids(list_ids))
            .push(") j JOIN lists l ON l.id = j.value WHERE (l.owner_id IS NULL OR l.owner_id = ")
            .push_bind(id_text(owner))
            .push(")");
        let rows = sql.build().fetch_all(&mut self.reader().await?).await?;
        let mut by_list = HashMap::with_capacity(rows.len());
        for row in &rows {
            let list_id = uuid_column(row, "list_id")?;
            by_list.insert(
                list_id,
                page_from_json(row.try_get("page")?, list_id, fields)?,
            );
        }
        Ok(by_list)
    }

    /// Task counts of several visible lists, in one statement.
    pub async fn task_counts(
        &self,
        owner: Option<Uuid>,
        list_ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, i64>> {
        let row = sqlx::query(&format!(
            "SELECT json_group_object(list_id, n) FROM (SELECT t.list_id AS list_id, COUNT(*) AS n \
             FROM tasks t JOIN lists l ON l.id = t.list_id \
             WHERE t.list_id IN (SELECT value FROM json_each(?)) AND {VISIBLE} GROUP BY t.list_id)"
        ))
        .bind(json_ids(list_ids))
        .bind(id_text(owner))
        .fetch_one(&mut self.reader().await?)
        .await?;
        from_json(row.try_get(0)?)
    }
}

/// A visible task and its list's owner.
async fn find_task<'e>(
    executor: impl SqliteExecutor<'e>,
    owner: Option<Uuid>,
    id: Uuid,
) -> AppResult<Option<Cached>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS}, l.owner_id AS list_owner FROM tasks t JOIN lists l ON l.id = t.list_id \
         WHERE t.id = ? AND {VISIBLE}"
    ))
    .bind(id.hyphenated())
    .bind(id_text(owner))
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let list_owner = match row.try_get::<Option<&str>, _>("list_owner")? {
        Some(_) => Some(uuid_column(&row, "list_owner")?),
        None => None,
    };
    Ok(Some(Cached {
        task: task_from_row(&row)?,
        list_owner,
    }))
}

pub(super) fn categories_json(categories: &[String]) -> AppResult<String> {
    serde_json::to_string(categories).map_err(AppError::internal)
}

fn tasks_from_json(raw: &str) -> AppResult<Vec<Task>> {
    let rows: Vec<TaskJson> = from_json(raw)?;
    Ok(rows
        .into_iter()
        .map(|t| Task {
            id: t.id,
            list_id: t.list_id,
            title: t.title,
            description: t.description,
            completed: t.completed != 0,
            priority: Priority::from_rank(t.priority),
            categories: t.categories,
            due_date: t.due_date.map(Timestamp::from_micros),
            created_at: Timestamp::from_micros(t.created_at),
            updated_at: t.updated_at.map(Timestamp::from_micros),
        })
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
