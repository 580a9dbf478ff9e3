//! Lists: create, read, update, delete, always scoped by the caller's visibility.

use std::collections::HashMap;

use uuid::Uuid;

use super::values::{self, Patch};
use super::{Caller, Service};
use crate::error::{AppError, AppResult, Problems};
use crate::records::Timestamp;
pub use crate::records::{ListPage, Page, TodoList, LISTS_PAGE_DEFAULT};

pub struct NewList {
    pub title: String,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct ListPatch {
    pub title: Patch<String>,
    pub description: Patch<String>,
}

impl Service {
    /// A page of the caller's own lists, or of the unowned ones for an anonymous caller; oldest
    /// first.
    pub async fn lists(&self, caller: &Caller, page: Page) -> AppResult<ListPage> {
        let owner = self.scope(caller).await?;
        let page = page.check()?;
        self.store().lists(owner, page).await
    }

    /// A page of the lists `owner` owns, as far as the caller may see them: all of them for that
    /// user themselves, none for anyone else.
    pub async fn lists_owned_by(
        &self,
        caller: &Caller,
        owner: Uuid,
        page: Page,
    ) -> AppResult<Vec<TodoList>> {
        let mine = self.scope(caller).await? == Some(owner);
        let page = page.check()?;
        if !mine {
            return Ok(Vec::new());
        }
        Ok(self.lists(caller, page).await?.lists)
    }

    pub async fn create_list(&self, caller: &Caller, input: NewList) -> AppResult<TodoList> {
        let owner_id = self.scope(caller).await?;
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
        self.write(move |svc| async move {
            svc.store().insert_list(&list).await?;
            Ok(list)
        })
        .await
    }

    /// One list, or 404 when it is absent or not visible to the caller.
    pub async fn list(&self, caller: &Caller, id: Uuid) -> AppResult<TodoList> {
        let owner = self.scope(caller).await?;
        self.store()
            .list(owner, id)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Applies a PATCH; `{}` (or values equal to the current ones) changes nothing, not even
    /// `updatedAt`.
    pub async fn update_list(
        &self,
        caller: &Caller,
        id: Uuid,
        patch: ListPatch,
    ) -> AppResult<TodoList> {
        let owner = self.scope(caller).await?;
        let mut problems = Problems::default();
        let p = &mut problems;
        let title = values::required(p, "title", patch.title.map(|t| values::title(&t)));
        let description =
            values::nullable(p, "description", patch.description.map(values::description));
        problems.finish()?;
        let change = move |current: &TodoList| {
            let mut next = current.clone();
            if let Some(title) = title {
                next.title = title;
            }
            description.apply_to(&mut next.description);
            if next != *current {
                next.updated_at = Some(Timestamp::now());
            }
            next
        };
        self.write(move |svc| async move { svc.store().update_list(owner, id, change).await })
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Deletes a visible list; its tasks go with it.
    pub async fn delete_list(&self, caller: &Caller, id: Uuid) -> AppResult<()> {
        let owner = self.scope(caller).await?;
        if self
            .write(move |svc| async move { svc.store().delete_list(owner, id).await })
            .await?
        {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The visible lists among `ids` (one statement), for batch loading.
    pub async fn lists_by_ids(
        &self,
        caller: &Caller,
        ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, TodoList>> {
        let owner = self.scope(caller).await?;
        self.store().lists_by_ids(owner, ids).await
    }
}
