//! Lists on PostgreSQL (the mirror of `sqlite/lists.rs`). Every statement is scoped by the
//! caller (`owner`, `None` for anonymous) through [`visible`].

use std::collections::HashMap;

use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

use super::{opt_timestamp, timestamp, uuid, visible, PgStore};
use crate::error::AppResult;
use crate::records::{ListPage, Page, TodoList};

const COLUMNS: &str = "l.id, l.title, l.description, l.owner_id, l.created_at, l.updated_at";

// The page and the number of lists before paging, in one statement: the count row always comes
// back, joined with the page's rows when there are some. $1 is the owner (unused when anonymous,
// but bound all the same so one call site serves both), $2 and $3 the page.
const LISTS_OWNED: &str = "SELECT c.total, p.* FROM \
     (SELECT count(*) AS total FROM lists l WHERE l.owner_id = $1) c LEFT JOIN LATERAL \
     (SELECT l.id, l.title, l.description, l.owner_id, l.created_at, l.updated_at FROM lists l \
      WHERE l.owner_id = $1 ORDER BY l.created_at, l.id LIMIT $2 OFFSET $3) p ON true \
     ORDER BY p.created_at, p.id";
const LISTS_UNOWNED: &str = "SELECT c.total, p.* FROM \
     (SELECT count(*) AS total FROM lists l WHERE l.owner_id IS NULL AND $1::uuid IS NULL) c \
     LEFT JOIN LATERAL \
     (SELECT l.id, l.title, l.description, l.owner_id, l.created_at, l.updated_at FROM lists l \
      WHERE l.owner_id IS NULL AND $1::uuid IS NULL ORDER BY l.created_at, l.id LIMIT $2 OFFSET $3) p \
     ON true ORDER BY p.created_at, p.id";

impl PgStore {
    /// A page of the owner's lists (or of the unowned ones for `None`), oldest first.
    pub async fn lists(&self, owner: Option<Uuid>, page: Page) -> AppResult<ListPage> {
        let query = match owner {
            Some(_) => LISTS_OWNED,
            None => LISTS_UNOWNED,
        };
        let rows = sqlx::query(query)
            .bind(owner)
            .bind(page.limit)
            .bind(page.offset)
            .fetch_all(&self.pool)
            .await?;
        let total = match rows.first() {
            Some(row) => row.try_get("total")?,
            None => 0,
        };
        let mut lists = Vec::with_capacity(rows.len());
        for row in &rows {
            if row.try_get::<Option<Uuid>, _>("id")?.is_some() {
                lists.push(list_from_row(row)?);
            }
        }
        Ok(ListPage { lists, total })
    }

    pub async fn insert_list(&self, list: &TodoList) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO lists (id, owner_id, title, description, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(list.id)
        .bind(list.owner_id)
        .bind(&list.title)
        .bind(&list.description)
        .bind(list.created_at.to_datetime())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One list, if the owner may see it.
    pub async fn list(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<Option<TodoList>> {
        find_list(&self.pool, owner, id, "").await
    }

    /// Changes a visible list: `change` gets the current list and returns the next one; nothing
    /// is written when they are equal. The row is locked from the read to the write, so a
    /// concurrent change (through any instance) waits instead of being lost.
    pub async fn update_list(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        change: impl FnOnce(&TodoList) -> TodoList + Send,
    ) -> AppResult<Option<TodoList>> {
        let mut tx = self.pool.begin().await?;
        let Some(current) = find_list(&mut *tx, owner, id, " FOR UPDATE").await? else {
            return Ok(None);
        };
        let next = change(&current);
        if next == current {
            return Ok(Some(current));
        }
        sqlx::query("UPDATE lists SET title = $1, description = $2, updated_at = $3 WHERE id = $4")
            .bind(&next.title)
            .bind(&next.description)
            .bind(next.updated_at.map(|t| t.to_datetime()))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(next))
    }

    /// Deletes a visible list (its tasks go with it); `false` when there was none to delete.
    pub async fn delete_list(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<bool> {
        let done = sqlx::query(&format!(
            "WITH del AS (DELETE FROM lists l WHERE l.id = $1 AND {} RETURNING l.id) \
             SELECT pg_notify($3, 'L ' || id) FROM del",
            visible(2)
        ))
        .bind(id)
        .bind(owner)
        .bind(&self.channel)
        .fetch_optional(&self.pool)
        .await?;
        Ok(done.is_some())
    }

    /// The visible lists among `ids`, in one statement.
    pub async fn lists_by_ids(
        &self,
        owner: Option<Uuid>,
        ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, TodoList>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM lists l WHERE l.id = ANY($1) AND {}",
            visible(2)
        ))
        .bind(ids)
        .bind(owner)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| list_from_row(r).map(|l| (l.id, l)))
            .collect()
    }
}

/// A visible list by id; `lock` is appended to the statement (e.g. ` FOR UPDATE`).
pub(super) async fn find_list<'e>(
    executor: impl PgExecutor<'e>,
    owner: Option<Uuid>,
    id: Uuid,
    lock: &str,
) -> AppResult<Option<TodoList>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM lists l WHERE l.id = $1 AND {}{lock}",
        visible(2)
    ))
    .bind(id)
    .bind(owner)
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(list_from_row).transpose()
}

fn list_from_row(row: &PgRow) -> AppResult<TodoList> {
    Ok(TodoList {
        id: uuid(row, "id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        owner_id: row.try_get("owner_id")?,
        created_at: timestamp(row, "created_at")?,
        updated_at: opt_timestamp(row, "updated_at")?,
    })
}
