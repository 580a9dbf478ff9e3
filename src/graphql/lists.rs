//! `TodoList`, `Query.lists` / `Query.list` and the list mutations.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};

use super::error::GqlResult;
use super::limits::page_cost;
use super::scalars::{id, uuid_arg, DateTime, SortDirection, TaskSort};
use super::task_page::{needed_fields, TaskPage};
use super::tasks::TaskFilter;
use super::users::UserObject;
use super::{caller, loaders, mutating, patch, prefetch, service};
use crate::error::AppError;
use crate::service::lists::{ListPatch, NewList, TodoList, LISTS_PAGE_DEFAULT};
use crate::service::tasks::{TaskQuery, LIMIT_DEFAULT};
use crate::service::values::Page;

/// A list of tasks. Unowned lists are visible to everyone, owned ones only to their owner.
pub struct ListObject(pub TodoList);

#[Object(name = "TodoList")]
impl ListObject {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn owner_id(&self) -> Option<ID> {
        self.0.owner_id.map(id)
    }
    /// The owner, or null for an unowned list.
    async fn owner(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UserObject>> {
        let Some(owner) = self.0.owner_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?
            .users
            .load_one(owner)
            .await
            .gql()?
            .map(UserObject))
    }
    /// The tasks, filtered, sorted and paged as in REST's task query (`limit` 1 to 1000,
    /// default 100; `offset` default 0). Costs `limit` times the cost of one task.
    #[graphql(complexity = "page_cost(limit, LIMIT_DEFAULT, child_complexity)")]
    async fn tasks(
        &self,
        ctx: &Context<'_>,
        filter: Option<TaskFilter>,
        sort: Option<TaskSort>,
        direction: Option<SortDirection>,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> async_graphql::Result<TaskPage> {
        let query = task_query(filter, sort, direction, limit, offset).gql()?;
        let fields = needed_fields(ctx.field());
        let tasks = loaders(ctx)?
            .tasks
            .load_one((self.0.id, query, fields))
            .await
            .gql()?;
        Ok(TaskPage(tasks.unwrap_or_default()))
    }
    /// The number of tasks in the list.
    async fn task_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        Ok(loaders(ctx)?
            .counts
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or(0))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime> {
        self.0.updated_at.map(DateTime)
    }
}

/// The page of tasks asked for by the arguments of `TodoList.tasks`, checked.
pub fn task_query(
    filter: Option<TaskFilter>,
    sort: Option<TaskSort>,
    direction: Option<SortDirection>,
    limit: Option<i32>,
    offset: Option<i32>,
) -> Result<TaskQuery, AppError> {
    let mut query = filter.map(TaskFilter::into_query).unwrap_or_default();
    query.sort = sort.map(Into::into).unwrap_or_default();
    query.descending = direction == Some(SortDirection::Desc);
    query.limit = limit.map_or(LIMIT_DEFAULT, i64::from);
    query.offset = offset.map_or(0, i64::from);
    TaskQuery::check(&query)?;
    Ok(query)
}

/// The page of lists asked for by `limit` and `offset` (checked by the service).
pub fn lists_page(limit: Option<i32>, offset: Option<i32>) -> Page {
    Page {
        limit: limit.map_or(LISTS_PAGE_DEFAULT, i64::from),
        offset: offset.map_or(0, i64::from),
    }
}

#[derive(InputObject)]
pub struct CreateListInput {
    title: String,
    description: Option<String>,
}

/// Absent fields are unchanged; `description: null` clears it; `title: null` is refused.
#[derive(InputObject)]
pub struct UpdateListInput {
    title: MaybeUndefined<String>,
    description: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct ListQuery;

#[Object]
impl ListQuery {
    /// The same set and order as GET /lists: the caller's own lists, or the unowned ones when
    /// anonymous, oldest first. `limit` 1 to 1000 (default 1000), `offset` default 0. Costs
    /// `limit` times the cost of one list.
    #[graphql(complexity = "page_cost(limit, LISTS_PAGE_DEFAULT, child_complexity)")]
    async fn lists(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        offset: Option<i32>,
    ) -> async_graphql::Result<Vec<ListObject>> {
        let page = lists_page(limit, offset);
        let found = service(ctx)?.lists(caller(ctx)?, page).await.gql()?;
        prefetch::lists_children(ctx, &found.lists).await?;
        Ok(found.lists.into_iter().map(ListObject).collect())
    }

    /// A list, or null when it is absent or not visible.
    async fn list(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<ListObject>> {
        let id = uuid_arg("id", &id)?;
        match service(ctx)?.list(caller(ctx)?, id).await {
            Ok(list) => {
                prefetch::lists_children(ctx, std::slice::from_ref(&list)).await?;
                Ok(Some(ListObject(list)))
            }
            Err(AppError::NotFound) => Ok(None),
            Err(e) => Err(e).gql(),
        }
    }
}

#[derive(Default)]
pub struct ListMutation;

#[Object]
impl ListMutation {
    async fn create_list(
        &self,
        ctx: &Context<'_>,
        input: CreateListInput,
    ) -> async_graphql::Result<ListObject> {
        let input = NewList {
            title: input.title,
            description: input.description,
        };
        Ok(ListObject(
            mutating(ctx)?
                .create_list(caller(ctx)?, input)
                .await
                .gql()?,
        ))
    }

    async fn update_list(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateListInput,
    ) -> async_graphql::Result<ListObject> {
        let id = uuid_arg("id", &id)?;
        let patch = ListPatch {
            title: patch(input.title),
            description: patch(input.description),
        };
        Ok(ListObject(
            mutating(ctx)?
                .update_list(caller(ctx)?, id, patch)
                .await
                .gql()?,
        ))
    }

    /// Deletes the list and its tasks; returns its id.
    async fn delete_list(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let uuid = uuid_arg("id", &id)?;
        mutating(ctx)?.delete_list(caller(ctx)?, uuid).await.gql()?;
        Ok(super::scalars::id(uuid))
    }
}
