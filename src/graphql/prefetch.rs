//! Batching by construction. A resolver that returns lists knows every list of its page, so it
//! loads the children the document selects under them (owners, task counts, each distinct page
//! of tasks) for the whole page at once, one statement per kind, and feeds the loaders before any
//! list resolves. The fields then find their values in the loaders' caches: the statements of a
//! query follow from its shape alone, never from when the futures of its fields happen to be
//! polled (a dataloader's batch is cut by a delay, which a busy machine can outlast between two
//! sweeps over a page's items).
//!
//! Anything not prefetched here (a field reached some other way) still goes through the loaders,
//! batched as before.

use std::collections::HashSet;

use async_graphql::{Context, InputType, SelectionField};
use uuid::Uuid;

use super::error::GqlResult;
use super::lists::task_query;
use super::scalars::{SortDirection, TaskSort};
use super::task_page::needed_fields;
use super::tasks::TaskFilter;
use super::{caller, loaders, service};
use crate::service::lists::TodoList;
use crate::service::tasks::{TaskFields, TaskQuery};

/// Loads and feeds, for `lists` (the value of the current field), the children its selection
/// asks for.
pub async fn lists_children(ctx: &Context<'_>, lists: &[TodoList]) -> async_graphql::Result<()> {
    let loaders = loaders(ctx)?;
    loaders
        .lists
        .feed_many(lists.iter().map(|list| (list.id, list.clone())))
        .await;
    if lists.is_empty() {
        return Ok(());
    }
    let wanted = Wanted::of(ctx.field());
    let (svc, caller) = (service(ctx)?, caller(ctx)?);
    let ids: Vec<Uuid> = lists.iter().map(|list| list.id).collect();

    if wanted.owners {
        let owners: HashSet<Uuid> = lists.iter().filter_map(|list| list.owner_id).collect();
        let owners: Vec<Uuid> = owners.into_iter().collect();
        let found = svc.users_by_ids(&owners).await.gql()?;
        loaders.users.feed_many(found).await;
    }
    if wanted.counts {
        let mut counts = svc.task_counts(caller, &ids).await.gql()?;
        // A list without tasks has no row: feed its zero too, or its field would load it.
        let all = ids.iter().map(|id| (*id, counts.remove(id).unwrap_or(0)));
        loaders.counts.feed_many(all).await;
    }
    for (query, fields) in wanted.task_pages {
        let mut found = svc
            .tasks_by_list_ids(caller, &ids, &query, fields)
            .await
            .gql()?;
        let all = ids.iter().map(|id| {
            let key = (*id, query.clone(), fields);
            (key, found.remove(id).unwrap_or_default())
        });
        loaders.tasks.feed_many(all).await;
    }
    Ok(())
}

/// What the selection of a field returning lists asks for under each list.
#[derive(Default)]
struct Wanted {
    owners: bool,
    counts: bool,
    /// Each distinct page of tasks (aliases may ask for several), with the fields it needs.
    task_pages: Vec<(TaskQuery, TaskFields)>,
}

impl Wanted {
    fn of(field: SelectionField<'_>) -> Self {
        let mut wanted = Self::default();
        for child in field.selection_set() {
            match child.name() {
                "owner" => wanted.owners = true,
                "taskCount" => wanted.counts = true,
                "tasks" => {
                    // Each task's list is its parent (fed above); its owner is the list's.
                    wanted.owners |= child
                        .selection_set()
                        .filter(|f| f.name() == "list")
                        .any(|list| list.selection_set().any(|f| f.name() == "owner"));
                    // Arguments the field itself will refuse are left to it, with its error.
                    if let Some(query) = task_page(child) {
                        let page = (query, needed_fields(child));
                        if !wanted.task_pages.contains(&page) {
                            wanted.task_pages.push(page);
                        }
                    }
                }
                _ => {}
            }
        }
        wanted
    }
}

/// The page of tasks a `tasks` field asks for, built as its resolver builds it.
fn task_page(field: SelectionField<'_>) -> Option<TaskQuery> {
    let mut filter = None;
    let mut sort = None;
    let mut direction = None;
    let mut limit = None;
    let mut offset = None;
    for (name, value) in field.arguments().ok()? {
        let value = Some(value);
        match name.as_str() {
            "filter" => filter = <Option<TaskFilter>>::parse(value).ok()?,
            "sort" => sort = <Option<TaskSort>>::parse(value).ok()?,
            "direction" => direction = <Option<SortDirection>>::parse(value).ok()?,
            "limit" => limit = <Option<i32>>::parse(value).ok()?,
            "offset" => offset = <Option<i32>>::parse(value).ok()?,
            _ => return None,
        }
    }
    task_query(filter, sort, direction, limit, offset).ok()
}
