//! Lists: create, read, update, delete, always scoped by the caller's visibility.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use super::sql::{caller_bind, json_ids, opt_uuid_column, uuid_column, VISIBLE};
use super::values::{self, Page, Patch, Timestamp, PAGE_MAX};
use super::{Caller, Service};
use crate::error::{AppError, AppResult, Problems};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TodoList {
    pub id: Uuid,
    pub title: String,
    #[schema(required = true)]
    pub description: Option<String>,
    /// The owner's id; `null` for a list created anonymously (visible to everyone).
    #[schema(required = true)]
    pub owner_id: Option<Uuid>,
    pub created_at: Timestamp,
    /// `null` until the list is first changed.
    #[schema(required = true)]
    pub updated_at: Option<Timestamp>,
}

pub struct NewList {
    pub title: String,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct ListPatch {
    pub title: Patch<String>,
    pub description: Patch<String>,
}

/// A list row as one JSON array, for reads of many rows in one value (see [`ListJson`]).
const JSON_ROW: &str =
    "json_array(l.id, l.title, l.description, l.owner_id, l.created_at, l.updated_at)";

const COLUMNS: &str = "l.id, l.title, l.description, l.owner_id, l.created_at, l.updated_at";

/// Page size of `GET /lists` and `Query.lists` when none is asked for: every list, up to the cap.
pub const LISTS_PAGE_DEFAULT: i64 = PAGE_MAX;

/// One page of the caller's lists and the number of lists before paging.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub lists: Vec<TodoList>,
    pub total: i64,
}

// Both bind the caller as ?1 (NULL for anonymous), so one call site serves both; ?2 and ?3 are
// the page. The count and the page come back in one row (one hand-off from SQLite's thread).
const LISTS_OWNED: &str = "SELECT (SELECT COUNT(*) FROM lists l WHERE l.owner_id = ?1) AS total, \
     (SELECT json_group_array(json_array(l.id, l.title, l.description, l.owner_id, l.created_at, \
     l.updated_at) ORDER BY l.created_at, l.id) FROM (SELECT * FROM lists l WHERE l.owner_id = ?1 \
     ORDER BY l.created_at, l.id LIMIT ?2 OFFSET ?3) l) AS page";
const LISTS_UNOWNED: &str = "SELECT (SELECT COUNT(*) FROM lists l WHERE l.owner_id IS NULL AND ?1 IS NULL) AS total, \
     (SELECT json_group_array(json_array(l.id, l.title, l.description, l.owner_id, l.created_at, \
     l.updated_at) ORDER BY l.created_at, l.id) FROM (SELECT * FROM lists l WHERE l.owner_id IS NULL \
     AND ?1 IS NULL ORDER BY l.created_at, l.id LIMIT ?2 OFFSET ?3) l) AS page";

impl Service {
    /// A page of the caller's own lists, or of the unowned ones for an anonymous caller; oldest
    /// first.
    pub async fn lists(&self, caller: &Caller, page: Page) -> AppResult<ListPage> {
        let owner = self.scope(caller)?;
        let page = page.check()?;
        let query = match owner {
            Some(_) => LISTS_OWNED,
            None => LISTS_UNOWNED,
        };
        let row = sqlx::query(query)
            .bind(caller_bind(owner))
            .bind(page.limit)
            .bind(page.offset)
            .fetch_one(&mut *self.db().reader().await?)
            .await?;
        Ok(ListPage {
            total: row.try_get("total")?,
            lists: lists_from_json(row.try_get("page")?)?,
        })
    }

    /// A page of the lists `owner` owns, as far as the caller may see them: all of them for that
    /// user themselves, none for anyone else.
    pub async fn lists_owned_by(
        &self,
        caller: &Caller,
        owner: Uuid,
        page: Page,
    ) -> AppResult<Vec<TodoList>> {
        let page = page.check()?;
        if self.scope(caller)? != Some(owner) {
            return Ok(Vec::new());
        }
        Ok(self.lists(caller, page).await?.lists)
    }

    pub async fn create_list(&self, caller: &Caller, input: NewList) -> AppResult<TodoList> {
        let owner_id = self.scope(caller)?;
        let mut problems = Problems::default();
        let title = problems.check("title", values::title(&input.title));
        let description = input
            .description
            .map(|d| problems.check("description", values::description(d)));
        problems.finish()?;
        let list = TodoList {
            id: Uuid::new_v4(),
            title: title.unwrap_or_default(),
            description: description.flatten(),
            owner_id,
            created_at: Timestamp::now(),
            updated_at: None,
        };
        sqlx::query(
            "INSERT INTO lists (id, owner_id, title, description, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(list.id.hyphenated())
        .bind(caller_bind(owner_id))
        .bind(&list.title)
        .bind(&list.description)
        .bind(list.created_at.micros())
        .execute(&mut *self.db().writer().await?)
        .await?;
        Ok(list)
    }

    /// One list, or 404 when it is absent or not visible to the caller.
    pub async fn list(&self, caller: &Caller, id: Uuid) -> AppResult<TodoList> {
        let owner = self.scope(caller)?;
        self.find_list(&mut *self.db().reader().await?, owner, id)
            .await?
            .ok_or(AppError::NotFound)
    }

    pub(super) async fn find_list<'e, E>(
        &self,
        executor: E,
        owner: Option<Uuid>,
        id: Uuid,
    ) -> AppResult<Option<TodoList>>
    where
        E: sqlx::SqliteExecutor<'e>,
    {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM lists l WHERE l.id = ? AND {VISIBLE}"
        ))
        .bind(id.hyphenated())
        .bind(caller_bind(owner))
        .fetch_optional(executor)
        .await?;
        row.as_ref().map(list_from_row).transpose()
    }

    /// Applies a PATCH; `{}` (or values equal to the current ones) changes nothing, not even
    /// `updatedAt`.
    pub async fn update_list(
        &self,
        caller: &Caller,
        id: Uuid,
        patch: ListPatch,
    ) -> AppResult<TodoList> {
        let owner = self.scope(caller)?;
        let mut problems = Problems::default();
        let p = &mut problems;
        let title = values::required(p, "title", patch.title.map(|t| values::title(&t)));
        let description =
            values::nullable(p, "description", patch.description.map(values::description));
        problems.finish()?;

        // Holding the only writer, the read and the write cannot interleave with another write.
        let mut conn = self.db().writer().await?;
        let current = self
            .find_list(&mut *conn, owner, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut next = current.clone();
        if let Some(title) = title {
            next.title = title;
        }
        description.apply_to(&mut next.description);
        if next == current {
            return Ok(current);
        }
        next.updated_at = Some(Timestamp::now());
        sqlx::query("UPDATE lists SET title = ?, description = ?, updated_at = ? WHERE id = ?")
            .bind(&next.title)
            .bind(&next.description)
            .bind(next.updated_at.map(Timestamp::micros))
            .bind(id.hyphenated())
            .execute(&mut *conn)
            .await?;
        Ok(next)
    }

    /// Deletes a visible list; its tasks go with it (ON DELETE CASCADE).
    pub async fn delete_list(&self, caller: &Caller, id: Uuid) -> AppResult<()> {
        let owner = self.scope(caller)?;
        let done = sqlx::query(&format!(
            "DELETE FROM lists AS l WHERE l.id = ? AND {VISIBLE}"
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

    /// The visible lists among `ids` (one statement), for batch loading.
    pub async fn lists_by_ids(
        &self,
        caller: &Caller,
        ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, TodoList>> {
        let owner = self.scope(caller)?;
        let row = sqlx::query(&format!(
            "SELECT json_group_array({JSON_ROW}) FROM lists l \
             WHERE l.id IN (SELECT value FROM json_each(?)) AND {VISIBLE}"
        ))
        .bind(json_ids(ids))
        .bind(caller_bind(owner))
        .fetch_one(&mut *self.db().reader().await?)
        .await?;
        Ok(lists_from_json(row.try_get(0)?)?
            .into_iter()
            .map(|l| (l.id, l))
            .collect())
    }
}

#[derive(serde::Deserialize)]
struct ListJson(Uuid, String, Option<String>, Option<Uuid>, i64, Option<i64>);

fn lists_from_json(raw: &str) -> AppResult<Vec<TodoList>> {
    let rows: Vec<ListJson> = serde_json::from_str(raw).map_err(AppError::internal)?;
    Ok(rows
        .into_iter()
        .map(
            |ListJson(id, title, description, owner_id, created, updated)| TodoList {
                id,
                title,
                description,
                owner_id,
                created_at: Timestamp::from_micros(created),
                updated_at: updated.map(Timestamp::from_micros),
            },
        )
        .collect())
}

fn list_from_row(row: &SqliteRow) -> AppResult<TodoList> {
    Ok(TodoList {
        id: uuid_column(row, "id")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        owner_id: opt_uuid_column(row, "owner_id")?,
        created_at: Timestamp::from_micros(row.try_get("created_at")?),
        updated_at: row
            .try_get::<Option<i64>, _>("updated_at")?
            .map(Timestamp::from_micros),
    })
}
