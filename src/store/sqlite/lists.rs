//! Lists on SQLite (the mirror of `postgres/lists.rs`). Every statement is scoped by the caller
//! (`owner`, `None` for anonymous) through [`VISIBLE`].

use std::collections::HashMap;
use std::sync::LazyLock;

use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteExecutor};
use uuid::Uuid;

use super::{from_json, id_text, json_ids, uuid_column, SqliteStore};
use crate::error::AppResult;
use crate::records::{ListPage, Page, Timestamp, TodoList};
use crate::store::Change;

/// The visibility rule for a list aliased `l`, binding the caller's id (NULL when anonymous):
/// unowned lists are visible to everyone, owned ones only to their owner.
pub(super) const VISIBLE: &str = "(l.owner_id IS NULL OR l.owner_id = ?)";

json_row! {
    /// A list row as one JSON array, for reads of many rows in one value: rows cross from
    /// SQLite's worker thread one by one, and one value is one hand-off.
    struct ListJson as JSON_ROW {
        id: Uuid = "l.id",
        title: String = "l.title",
        description: Option<String> = "l.description",
        owner_id: Option<Uuid> = "l.owner_id",
        created_at: i64 = "l.created_at",
        updated_at: Option<i64> = "l.updated_at",
    }
}

const COLUMNS: &str = "l.id, l.title, l.description, l.owner_id, l.created_at, l.updated_at";

// The count and the page in one row. Both bind the owner as ?1 (NULL for anonymous) so one call
// site serves both; ?2 and ?3 are the page, in the subquery's order (see `store::sqlite`).
static LISTS_OWNED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT (SELECT COUNT(*) FROM lists l WHERE l.owner_id = ?1) AS total, \
         (SELECT json_group_array({JSON_ROW}) FROM (SELECT * FROM lists l \
         WHERE l.owner_id = ?1 ORDER BY l.created_at, l.id LIMIT ?2 OFFSET ?3) l) AS page"
    )
});
static LISTS_UNOWNED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT (SELECT COUNT(*) FROM lists l WHERE l.owner_id IS NULL AND ?1 IS NULL) AS total, \
         (SELECT json_group_array({JSON_ROW}) FROM (SELECT * FROM lists l \
         WHERE l.owner_id IS NULL AND ?1 IS NULL ORDER BY l.created_at, l.id LIMIT ?2 OFFSET ?3) l) AS page"
    )
});

impl SqliteStore {
    /// A page of the owner's lists (or of the unowned ones for `None`), oldest first.
    pub async fn lists(&self, owner: Option<Uuid>, page: Page) -> AppResult<ListPage> {
        let query = match owner {
            Some(_) => &LISTS_OWNED,
            None => &LISTS_UNOWNED,
        };
        let row = sqlx::query(query.as_str())
            .bind(id_text(owner))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_one(&mut self.reader().await?)
            .await?;
        Ok(ListPage {
            total: row.try_get("total")?,
            lists: lists_from_json(row.try_get("page")?)?,
        })
    }

    pub async fn insert_list(&self, list: &TodoList) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO lists (id, owner_id, title, description, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(list.id.hyphenated())
        .bind(id_text(list.owner_id))
        .bind(&list.title)
        .bind(&list.description)
        .bind(list.created_at.micros())
        .execute(&mut self.writer().await?)
        .await?;
        Ok(())
    }

    /// One list, if the owner may see it.
    pub async fn list(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<Option<TodoList>> {
        find_list(&mut self.reader().await?, owner, id).await
    }

    /// Changes a visible list: `change` gets the current list and returns the next one; nothing
    /// is written when they are equal. Holding the only writer, the read and the write cannot
    /// interleave with another write, so no transaction (two more round trips) is needed.
    pub async fn update_list(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        change: impl FnOnce(&TodoList) -> TodoList + Send,
    ) -> AppResult<Option<TodoList>> {
        let mut conn = self.writer().await?;
        let Some(current) = find_list(&mut conn, owner, id).await? else {
            return Ok(None);
        };
        let next = change(&current);
        if next == current {
            return Ok(Some(current));
        }
        sqlx::query("UPDATE lists SET title = ?, description = ?, updated_at = ? WHERE id = ?")
            .bind(&next.title)
            .bind(&next.description)
            .bind(next.updated_at.map(Timestamp::micros))
            .bind(id.hyphenated())
            .execute(&mut conn)
            .await?;
        Ok(Some(next))
    }

    /// Deletes a visible list (its tasks go with it); `false` when there was none to delete.
    pub async fn delete_list(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<bool> {
        let mut conn = self.writer().await?;
        let write = self.cache.write();
        let done = sqlx::query(&format!(
            "DELETE FROM lists AS l WHERE l.id = ? AND {VISIBLE}"
        ))
        .bind(id.hyphenated())
        .bind(id_text(owner))
        .execute(&mut conn)
        .await?;
        let deleted = done.rows_affected() > 0;
        if deleted {
            // Its tasks went with it; forgetting every task is simpler than finding them.
            write.remove_all();
            self.feed.publish(Change::ListDeleted(id));
        } else {
            write.unchanged();
        }
        Ok(deleted)
    }

    /// The visible lists among `ids`, in one statement.
    pub async fn lists_by_ids(
        &self,
        owner: Option<Uuid>,
        ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, TodoList>> {
        let row = sqlx::query(&format!(
            "SELECT json_group_array({JSON_ROW}) FROM lists l \
             WHERE l.id IN (SELECT value FROM json_each(?)) AND {VISIBLE}"
        ))
        .bind(json_ids(ids))
        .bind(id_text(owner))
        .fetch_one(&mut self.reader().await?)
        .await?;
        Ok(lists_from_json(row.try_get(0)?)?
            .into_iter()
            .map(|l| (l.id, l))
            .collect())
    }
}

/// A visible list by id, on the given connection (the writer when a change follows).
pub(super) async fn find_list<'e>(
    executor: impl SqliteExecutor<'e>,
    owner: Option<Uuid>,
    id: Uuid,
) -> AppResult<Option<TodoList>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM lists l WHERE l.id = ? AND {VISIBLE}"
    ))
    .bind(id.hyphenated())
    .bind(id_text(owner))
    .fetch_optional(executor)
    .await?;
    row.as_ref().map(list_from_row).transpose()
}

fn lists_from_json(raw: &str) -> AppResult<Vec<TodoList>> {
    let rows: Vec<ListJson> = from_json(raw)?;
    Ok(rows
        .into_iter()
        .map(|l| TodoList {
            id: l.id,
            title: l.title,
            description: l.description,
            owner_id: l.owner_id,
            created_at: Timestamp::from_micros(l.created_at),
            updated_at: l.updated_at.map(Timestamp::from_micros),
        })
        .collect())
}

fn list_from_row(row: &SqliteRow) -> AppResult<TodoList> {
    let owner: Option<&str> = row.try_get("owner_id")?;
    Ok(TodoList {
        id: uuid_column(row, "id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        owner_id: match owner {
            Some(_) => Some(uuid_column(row, "owner_id")?),
            None => None,
        },
        created_at: Timestamp::from_micros(row.try_get("created_at")?),
        updated_at: row
            .try_get::<Option<i64>, _>("updated_at")?
            .map(Timestamp::from_micros),
    })
}
