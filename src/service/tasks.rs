//! Tasks: create, read, query, update (including moves between lists), delete, and the batch
//! reads behind GraphQL's dataloaders. Every operation is scoped by the caller's visibility.

use std::collections::HashMap;

use uuid::Uuid;

use super::values::{self, Patch, Priority};
use super::{Caller, Service};
use crate::error::{AppError, AppResult, Problems};
use crate::records::Timestamp;
pub use crate::records::{Task, TaskFields, TaskPage, TaskQuery, TaskSort, LIMIT_DEFAULT};

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

impl Service {
    /// The tasks of a visible list matching `query`; 404 when the list is not visible.
    pub async fn tasks(
        &self,
        caller: &Caller,
        list_id: Uuid,
        query: &TaskQuery,
    ) -> AppResult<TaskPage> {
        let (owner, unconfirmed) = self.read_scope(caller)?;
        if let Err(problem) = query.check() {
            self.confirm(caller).await?;
            return Err(problem);
        }
        let found = self
            .store()
            .tasks(owner, list_id, query, unconfirmed)
            .await?;
        self.checked(caller, found)?.ok_or(AppError::NotFound)
    }

    pub async fn create_task(
        &self,
        caller: &Caller,
        list_id: Uuid,
        input: NewTask,
    ) -> AppResult<Task> {
        let owner = self.scope(caller).await?;
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
        let (inserted, task) = self
            .write(move |svc| async move {
                let inserted = svc.store().insert_task(owner, &task).await?;
                Ok((inserted, task))
            })
            .await?;
        if inserted {
            Ok(task)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// One task of a visible list, or 404.
    pub async fn task(&self, caller: &Caller, id: Uuid) -> AppResult<Task> {
        let (owner, unconfirmed) = self.read_scope(caller)?;
        let found = self.store().task(owner, id, unconfirmed).await?;
        self.checked(caller, found)?.ok_or(AppError::NotFound)
    }

    /// Applies a PATCH. Moving (`listId`) needs a target list the caller can see; otherwise 404
    /// and nothing changes. A patch that changes nothing leaves `updatedAt` alone.
    pub async fn update_task(
        &self,
        caller: &Caller,
        id: Uuid,
        patch: TaskPatch,
    ) -> AppResult<Task> {
        let owner = self.scope(caller).await?;
        let checked = check_patch(patch)?;
        let change = move |current: &Task| {
            let mut next = checked.apply(current.clone());
            if next != *current {
                next.updated_at = Some(Timestamp::now());
            }
            next
        };
        self.write(move |svc| async move { svc.store().update_task(owner, id, change).await })
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn delete_task(&self, caller: &Caller, id: Uuid) -> AppResult<()> {
        let owner = self.scope(caller).await?;
        if self
            .write(move |svc| async move { svc.store().delete_task(owner, id).await })
            .await?
        {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// The page of `query` for each of several lists, in one statement (GraphQL's `TodoList.tasks`).
    pub async fn tasks_by_list_ids(
        &self,
        caller: &Caller,
        list_ids: &[Uuid],
        query: &TaskQuery,
        fields: TaskFields,
    ) -> AppResult<HashMap<Uuid, Vec<Task>>> {
        let owner = self.scope(caller).await?;
        query.check()?;
        self.store()
            .tasks_by_list_ids(owner, list_ids, query, fields)
            .await
    }

    /// Task counts of several visible lists, in one statement (GraphQL's `TodoList.taskCount`).
    pub async fn task_counts(
        &self,
        caller: &Caller,
        list_ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, i64>> {
        let owner = self.scope(caller).await?;
        self.store().task_counts(owner, list_ids).await
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
