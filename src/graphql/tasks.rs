//! `Task`, `TaskFilter`, `Query.task` and the task mutations.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, ID};

use super::error::GqlResult;
use super::lists::ListObject;
use super::scalars::{id, uuid_arg, DateTime, Priority};
use super::{caller, loaders, mutating, patch, service};
use crate::error::AppError;
use crate::service::tasks::{NewTask, Task, TaskPatch, TaskQuery};
use crate::service::values::Patch;

/// A task in a list.
pub struct TaskObject(pub Task);

#[Object(name = "Task")]
impl TaskObject {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn list_id(&self) -> ID {
        id(self.0.list_id)
    }
    /// The list holding this task.
    async fn list(&self, ctx: &Context<'_>) -> async_graphql::Result<ListObject> {
        let list = loaders(ctx)?.lists.load_one(self.0.list_id).await.gql()?;
        list.map(ListObject).ok_or(AppError::NotFound).gql()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn completed(&self) -> bool {
        self.0.completed
    }
    async fn priority(&self) -> Priority {
        self.0.priority.into()
    }
    async fn categories(&self) -> &[String] {
        &self.0.categories
    }
    async fn due_date(&self) -> Option<DateTime> {
        self.0.due_date.map(DateTime)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn updated_at(&self) -> Option<DateTime> {
        self.0.updated_at.map(DateTime)
    }
}

/// Task filters; all given ones must match.
#[derive(InputObject, Default)]
pub struct TaskFilter {
    completed: Option<bool>,
    priority: Option<Priority>,
    /// A category the task carries (exact match).
    category: Option<String>,
    /// Due strictly before this instant.
    due_before: Option<DateTime>,
    /// Due strictly after this instant.
    due_after: Option<DateTime>,
    /// Case-insensitive substring of the title or description.
    q: Option<String>,
}

impl TaskFilter {
    pub fn into_query(self) -> TaskQuery {
        TaskQuery {
            completed: self.completed,
            priority: self.priority.map(Into::into),
            category: self.category,
            due_before: self.due_before.map(|d| d.0),
            due_after: self.due_after.map(|d| d.0),
            q: self.q,
            ..TaskQuery::default()
        }
    }
}

#[derive(InputObject)]
pub struct CreateTaskInput {
    title: String,
    description: Option<String>,
    priority: Option<Priority>,
    categories: Option<Vec<String>>,
    due_date: Option<DateTime>,
    completed: Option<bool>,
}

/// Absent fields are unchanged; `null` clears `description` and `dueDate` and is refused for
/// the others; `listId` moves the task to another visible list.
#[derive(InputObject)]
pub struct UpdateTaskInput {
    title: MaybeUndefined<String>,
    description: MaybeUndefined<String>,
    completed: MaybeUndefined<bool>,
    priority: MaybeUndefined<Priority>,
    categories: MaybeUndefined<Vec<String>>,
    due_date: MaybeUndefined<DateTime>,
    list_id: MaybeUndefined<ID>,
}

impl UpdateTaskInput {
    fn into_patch(self) -> async_graphql::Result<TaskPatch> {
        let list_id = match patch(self.list_id) {
            Patch::Value(raw) => Patch::Value(uuid_arg("listId", &raw)?),
            Patch::Null => Patch::Null,
            Patch::Absent => Patch::Absent,
        };
        Ok(TaskPatch {
            title: patch(self.title),
            description: patch(self.description),
            completed: patch(self.completed),
            priority: patch(self.priority).map(Into::into),
            categories: patch(self.categories),
            due_date: patch(self.due_date).map(|d| d.0),
            list_id,
        })
    }
}

#[derive(Default)]
pub struct TaskQueryRoot;

#[Object]
impl TaskQueryRoot {
    /// A task, or null when it is absent or its list is not visible.
    async fn task(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<TaskObject>> {
        let id = uuid_arg("id", &id)?;
        match service(ctx)?.task(caller(ctx)?, id).await {
            Ok(task) => Ok(Some(TaskObject(task))),
            Err(AppError::NotFound) => Ok(None),
            Err(e) => Err(e).gql(),
        }
    }
}

#[derive(Default)]
pub struct TaskMutation;

#[Object]
impl TaskMutation {
    async fn create_task(
        &self,
        ctx: &Context<'_>,
        list_id: ID,
        input: CreateTaskInput,
    ) -> async_graphql::Result<TaskObject> {
        let list_id = uuid_arg("listId", &list_id)?;
        let input = NewTask {
            title: input.title,
            description: input.description,
            priority: input.priority.map(Into::into),
            categories: input.categories,
            due_date: input.due_date.map(|d| d.0),
            completed: input.completed,
        };
        Ok(TaskObject(
            mutating(ctx)?
                .create_task(caller(ctx)?, list_id, input)
                .await
                .gql()?,
        ))
    }

    async fn update_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTaskInput,
    ) -> async_graphql::Result<TaskObject> {
        let id = uuid_arg("id", &id)?;
        let patch = input.into_patch()?;
        Ok(TaskObject(
            mutating(ctx)?
                .update_task(caller(ctx)?, id, patch)
                .await
                .gql()?,
        ))
    }

    /// Deletes the task; returns its id.
    async fn delete_task(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<ID> {
        let uuid = uuid_arg("id", &id)?;
        mutating(ctx)?.delete_task(caller(ctx)?, uuid).await.gql()?;
        Ok(super::scalars::id(uuid))
    }
}
