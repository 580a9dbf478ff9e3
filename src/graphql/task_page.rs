//! The answer of `TodoList.tasks`, built in one pass when its selection is plain fields.
//!
//! async-graphql resolves every item of a list, and every field of an item, as a future of its
//! own (boxed, then polled through a `FuturesUnordered`): for a page of tasks that is several
//! allocations and a poll per field although each value is already in memory. A task page is
//! most of what a GraphQL answer holds (20 lists of 20 tasks are 1,600 fields), and the
//! benchmark's profile had those futures, not SQL, as the largest cost. So when every selected
//! field of the page is a plain one (no `list`, no fragment, no directive, no `__typename`),
//! the values are written straight into the answer; any other selection goes the general way,
//! through [`TaskObject`]. Both ways give the same answer, which a test checks.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{
    ContextSelectionSet, InputType, Name, OutputType, Positioned, ScalarType, SelectionField,
    ServerResult, Value,
};

use super::scalars::{id, DateTime, Priority};
use super::tasks::TaskObject;
use crate::service::tasks::{Task, TaskFields};
use crate::service::values::Timestamp;

/// A page of tasks; in the schema exactly `[Task!]!`.
pub struct TaskPage(pub Vec<Task>);

type General = Vec<TaskObject>;

impl OutputType for TaskPage {
    fn type_name() -> Cow<'static, str> {
        General::type_name()
    }

    fn qualified_type_name() -> String {
        General::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        General::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match plain_selection(ctx) {
            Some(keys) => Ok(Value::List(
                self.0.iter().map(|task| object(task, &keys)).collect(),
            )),
            None => {
                let items = self.0.iter().cloned().map(TaskObject);
                resolve_list(ctx, field, items, Some(self.0.len())).await
            }
        }
    }
}

/// What a `tasks` field's selection needs of each task: a brief read when it asks only for
/// fields that one fills (fragments count with their fields), every field otherwise.
pub fn needed_fields(page: SelectionField<'_>) -> TaskFields {
    let brief = page.selection_set().all(|field| {
        matches!(
            field.name(),
            "id" | "listId"
                | "title"
                | "completed"
                | "priority"
                | "createdAt"
                | "list"
                | "__typename"
        )
    });
    if brief {
        TaskFields::Brief
    } else {
        TaskFields::All
    }
}

/// A field of `Task` whose value is in the task itself.
#[derive(Clone, Copy)]
enum Plain {
    Id,
    ListId,
    Title,
    Description,
    Completed,
    Priority,
    Categories,
    DueDate,
    CreatedAt,
    UpdatedAt,
}

impl Plain {
    fn named(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "listId" => Self::ListId,
            "title" => Self::Title,
            "description" => Self::Description,
            "completed" => Self::Completed,
            "priority" => Self::Priority,
            "categories" => Self::Categories,
            "dueDate" => Self::DueDate,
            "createdAt" => Self::CreatedAt,
            "updatedAt" => Self::UpdatedAt,
            _ => return None,
        })
    }

    /// The value, as the field's resolver in [`TaskObject`] gives it.
    fn of(self, task: &Task) -> Value {
        match self {
            Self::Id => Value::String(id(task.id).0),
            Self::ListId => Value::String(id(task.list_id).0),
            Self::Title => Value::String(task.title.clone()),
            Self::Description => task.description.clone().map_or(Value::Null, Value::String),
            Self::Completed => Value::Boolean(task.completed),
            Self::Priority => Priority::from(task.priority).to_value(),
            Self::Categories => {
                Value::List(task.categories.iter().cloned().map(Value::String).collect())
            }
            Self::DueDate => task.due_date.map_or(Value::Null, instant),
            Self::CreatedAt => instant(task.created_at),
            Self::UpdatedAt => task.updated_at.map_or(Value::Null, instant),
        }
    }
}

fn instant(t: Timestamp) -> Value {
    ScalarType::to_value(&DateTime(t))
}

/// The response keys and fields of the selection, when all of them are plain fields.
fn plain_selection(ctx: &ContextSelectionSet<'_>) -> Option<Vec<(Name, Plain)>> {
    let items = &ctx.item.node.items;
    let mut keys = Vec::with_capacity(items.len());
    for selection in items {
        let Selection::Field(field) = &selection.node else {
            return None;
        };
        let field = &field.node;
        if !field.directives.is_empty() || !field.arguments.is_empty() {
            return None;
        }
        let plain = Plain::named(field.name.node.as_str())?;
        let key = field.response_key().node.clone();
        // A key selected twice is the same field twice (validation makes sure): keep the first.
        if !keys.iter().any(|(k, _)| *k == key) {
            keys.push((key, plain));
        }
    }
    Some(keys)
}

fn object(task: &Task, keys: &[(Name, Plain)]) -> Value {
    let mut map = IndexMap::with_capacity(keys.len());
    for (key, plain) in keys {
        map.insert(key.clone(), plain.of(task));
    }
    Value::Object(map)
}
