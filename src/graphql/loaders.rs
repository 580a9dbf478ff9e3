//! Dataloaders, built per request with the caller inside so nothing is ever cached across users.
//! Each turns the many lookups of one query level into a single service call (one statement).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use uuid::Uuid;

use crate::error::AppError;
use crate::service::lists::TodoList;
use crate::service::tasks::{Task, TaskFields, TaskQuery};
use crate::service::{Caller, Service, User};

/// The loaders of one request, each with a cache for that request only: a page of lists feeds
/// them what it prefetched (`prefetch.rs`), and `Task.list` under a list finds its parent there.
pub struct Loaders {
    pub lists: DataLoader<ListLoader, HashMapCache>,
    pub users: DataLoader<UserLoader, HashMapCache>,
    pub counts: DataLoader<CountLoader, HashMapCache>,
    pub tasks: DataLoader<TasksLoader, HashMapCache>,
}

/// Lists may hold thousands of ids in one statement (`json_each` has no bind limit).
const MAX_BATCH: usize = 10_000;

impl Loaders {
    /// For an operation run by `runner::run`: a batch starts as soon as the operation waits.
    /// There every key of one level is registered before any batch of that level can start
    /// (`runner::UntilWaiting`), so waiting for more keys only added a millisecond per level to
    /// every request: (h) of `scripts/bench.sh`, one task with its list and owner, went from
    /// 5,900 to 7,800 req/s without it (same-run A/B).
    pub fn for_runner(svc: &Service, caller: &Caller) -> Self {
        Self::with_delay(svc, caller, Duration::ZERO)
    }

    /// For an operation on the shared runtime (subscriptions), where a batch's task may start
    /// on another thread at once: a millisecond lets the sibling fields join it.
    pub fn for_shared_runtime(svc: &Service, caller: &Caller) -> Self {
        Self::with_delay(svc, caller, Duration::from_millis(1))
    }

    fn with_delay(svc: &Service, caller: &Caller, delay: Duration) -> Self {
        let scope = Scope {
            svc: svc.clone(),
            caller: caller.clone(),
        };
        Self {
            lists: loader(ListLoader(scope.clone()), delay),
            users: loader(UserLoader(scope.clone()), delay),
            counts: loader(CountLoader(scope.clone()), delay),
            tasks: loader(TasksLoader(scope), delay),
        }
    }

    /// Empties every cache (after a write).
    pub fn forget(&self) {
        self.lists.clear::<Uuid>();
        self.users.clear::<Uuid>();
        self.counts.clear::<Uuid>();
        self.tasks.clear::<PageKey>();
    }
}

fn loader<T>(inner: T, delay: Duration) -> DataLoader<T, HashMapCache> {
    DataLoader::with_cache(inner, tokio::spawn, HashMapCache::default())
        .max_batch_size(MAX_BATCH)
        .delay(delay)
}

#[derive(Clone)]
pub struct Scope {
    svc: Service,
    caller: Caller,
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<AppError>>;

/// `Task.list`: visible lists by id.
pub struct ListLoader(Scope);

impl Loader<Uuid> for ListLoader {
    type Value = TodoList;
    type Error = Arc<AppError>;

    async fn load(&self, ids: &[Uuid]) -> LoadResult<Uuid, TodoList> {
        self.0
            .svc
            .lists_by_ids(&self.0.caller, ids)
            .await
            .map_err(Arc::new)
    }
}

/// `TodoList.owner`: users by id (an owner is only ever reachable through a list they own).
pub struct UserLoader(Scope);

impl Loader<Uuid> for UserLoader {
    type Value = User;
    type Error = Arc<AppError>;

    async fn load(&self, ids: &[Uuid]) -> LoadResult<Uuid, User> {
        self.0.svc.users_by_ids(ids).await.map_err(Arc::new)
    }
}

/// `TodoList.taskCount`: counts by list id (absent means 0).
pub struct CountLoader(Scope);

impl Loader<Uuid> for CountLoader {
    type Value = i64;
    type Error = Arc<AppError>;

    async fn load(&self, ids: &[Uuid]) -> LoadResult<Uuid, i64> {
        self.0
            .svc
            .task_counts(&self.0.caller, ids)
            .await
            .map_err(Arc::new)
    }
}

/// `TodoList.tasks(...)`: keyed by list and arguments; one statement per distinct set of
/// arguments in the document, never per list.
pub struct TasksLoader(Scope);

/// A page of a list's tasks: the list, the query, and the fields the selection needs (so that a
/// brief page never answers a selection that needs more).
pub type PageKey = (Uuid, TaskQuery, TaskFields);

impl Loader<PageKey> for TasksLoader {
    type Value = Vec<Task>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[PageKey]) -> LoadResult<PageKey, Vec<Task>> {
        let mut by_query: HashMap<(&TaskQuery, TaskFields), Vec<Uuid>> = HashMap::new();
        for (list, query, fields) in keys {
            by_query.entry((query, *fields)).or_default().push(*list);
        }
        let mut out = HashMap::with_capacity(keys.len());
        for ((query, fields), lists) in by_query {
            let mut found = self
                .0
                .svc
                .tasks_by_list_ids(&self.0.caller, &lists, query, fields)
                .await
                .map_err(Arc::new)?;
            for list in lists {
                out.insert(
                    (list, query.clone(), fields),
                    found.remove(&list).unwrap_or_default(),
                );
            }
        }
        Ok(out)
    }
}
