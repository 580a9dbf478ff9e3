//! Storage: every SQL statement, behind one interface with two backends that mirror each other
//! file for file. SQLite (`sqlite/`) is embedded and the default; PostgreSQL (`postgres/`) lets
//! several instances share one database. The rules (validation, what may change, who may see
//! what) are the service's; a store only runs them as statements, scoped by the caller's id
//! (`owner`, `None` for an anonymous caller) with the same visibility rule on both backends.

mod changes;
mod postgres;
mod sqlite;

use std::collections::HashMap;

use uuid::Uuid;

use crate::error::AppResult;
use crate::records::{
    ListPage, Page, Task, TaskFields, TaskPage, TaskQuery, Timestamp, TodoList, User,
};
pub use changes::{Change, ChangeFeed};
use postgres::PgStore;
use sqlite::SqliteStore;

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported DATABASE_URL {0:?}: use sqlite://PATH or postgres://USER@HOST/DB")]
    Unsupported(String),
    #[error("cannot create the database folder {path}: {source}")]
    Folder {
        path: String,
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// How to open the database.
pub struct StoreOptions<'a> {
    pub url: &'a str,
    /// SQLite's `synchronous` pragma.
    pub sqlite_synchronous: &'a str,
    /// PostgreSQL connections per instance.
    pub pg_max_connections: u32,
}

/// What a read that also checked the caller's token found (the reads given an unconfirmed
/// token id). Where other instances share the database, the check rides in the read's own
/// statement: one round trip instead of two. Nothing is read when the token is revoked.
#[derive(Debug)]
pub enum Checked<T> {
    Revoked,
    Valid(T),
}

/// The database, on one backend or the other.
pub enum Store {
    Sqlite(Box<SqliteStore>),
    Postgres(Box<PgStore>),
}

/// Calls the same method on whichever backend this is.
/// Runs `$call` on the open backend, timing it as `db_query_duration_seconds{operation}` (one
/// store operation: a statement, or a few in one transaction). Timed here rather than from
/// sqlx's statement events, which would have to be enabled (and built) for every statement.
macro_rules! on_backend {
    ($self:ident, $op:literal, $store:ident => $call:expr) => {{
        let started = std::time::Instant::now();
        let result = match $self {
            Store::Sqlite($store) => $call,
            Store::Postgres($store) => $call,
        };
        metrics::histogram!("db_query_duration_seconds", "operation" => $op)
            .record(started.elapsed().as_secs_f64());
        result
    }};
}

impl Store {
    /// Opens the database named by the URL's scheme and applies pending migrations.
    pub async fn open(options: &StoreOptions<'_>) -> Result<Self, StoreError> {
        let url = options.url;
        let feed = ChangeFeed::default();
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite(Box::new(
                SqliteStore::connect(url, options.sqlite_synchronous, feed).await?,
            )))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(Box::new(
                PgStore::connect(url, options.pg_max_connections, feed).await?,
            )))
        } else {
            Err(StoreError::Unsupported(url.to_owned()))
        }
    }

    /// True when this process is the database's only user (an SQLite file), so that what it
    /// wrote itself is all there is to know; false when other instances may write too.
    pub fn exclusive(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }

    /// The committed changes from now on, in commit order (see `changes.rs`).
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<Change> {
        match self {
            Self::Sqlite(s) => s.feed.subscribe(),
            Self::Postgres(s) => s.feed.subscribe(),
        }
    }

    /// Whether every committed change reaches `changes()` now (see `ChangeFeed::complete`).
    pub fn changes_complete(&self) -> bool {
        match self {
            Self::Sqlite(s) => s.feed.complete(),
            Self::Postgres(s) => s.feed.complete(),
        }
    }

    pub async fn ping(&self) -> AppResult<()> {
        on_backend!(self, "ping", s => s.ping().await)
    }

    /// Closes every connection; later calls fail as "service unavailable".
    pub async fn close(&self) {
        on_backend!(self, "close", s => s.close().await)
    }

    // Users and revoked tokens.

    pub async fn insert_user(&self, user: &User, password_hash: &str) -> AppResult<bool> {
        on_backend!(self, "insert_user", s => s.insert_user(user, password_hash).await)
    }

    pub async fn taken(&self, username: &str, email: &str) -> AppResult<(bool, bool)> {
        on_backend!(self, "taken", s => s.taken(username, email).await)
    }

    pub async fn login_candidate(&self, login: &str) -> AppResult<Option<(User, String)>> {
        on_backend!(self, "login_candidate", s => s.login_candidate(login).await)
    }

    pub async fn user_and_revocation(
        &self,
        user_id: Uuid,
        jti: Uuid,
    ) -> AppResult<Option<(User, bool)>> {
        on_backend!(self, "user_and_revocation", s => s.user_and_revocation(user_id, jti).await)
    }

    pub async fn is_revoked(&self, jti: Uuid) -> AppResult<bool> {
        on_backend!(self, "is_revoked", s => s.is_revoked(jti).await)
    }

    pub async fn revoke(&self, jti: Uuid, user_id: Uuid, expires_at: Timestamp) -> AppResult<()> {
        on_backend!(self, "revoke", s => s.revoke(jti, user_id, expires_at).await)
    }

    pub async fn revocations(&self, now: Timestamp) -> AppResult<Vec<(Uuid, Timestamp)>> {
        on_backend!(self, "revocations", s => s.revocations(now).await)
    }

    pub async fn purge_revocations(&self, now: Timestamp) -> AppResult<u64> {
        on_backend!(self, "purge_revocations", s => s.purge_revocations(now).await)
    }

    pub async fn users_by_ids(&self, ids: &[Uuid]) -> AppResult<HashMap<Uuid, User>> {
        on_backend!(self, "users_by_ids", s => s.users_by_ids(ids).await)
    }

    // Lists.

    pub async fn lists(&self, owner: Option<Uuid>, page: Page) -> AppResult<ListPage> {
        on_backend!(self, "lists", s => s.lists(owner, page).await)
    }

    pub async fn insert_list(&self, list: &TodoList) -> AppResult<()> {
        on_backend!(self, "insert_list", s => s.insert_list(list).await)
    }

    pub async fn list(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<Option<TodoList>> {
        on_backend!(self, "list", s => s.list(owner, id).await)
    }

    pub async fn update_list(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        change: impl FnOnce(&TodoList) -> TodoList + Send,
    ) -> AppResult<Option<TodoList>> {
        on_backend!(self, "update_list", s => s.update_list(owner, id, change).await)
    }

    pub async fn delete_list(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<bool> {
        on_backend!(self, "delete_list", s => s.delete_list(owner, id).await)
    }

    pub async fn lists_by_ids(
        &self,
        owner: Option<Uuid>,
        ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, TodoList>> {
        on_backend!(self, "lists_by_ids", s => s.lists_by_ids(owner, ids).await)
    }

    // Tasks.

    /// A page of a visible list's tasks (`None`: not visible), checking `unconfirmed` too.
    pub async fn tasks(
        &self,
        owner: Option<Uuid>,
        list_id: Uuid,
        query: &TaskQuery,
        unconfirmed: Option<Uuid>,
    ) -> AppResult<Checked<Option<TaskPage>>> {
        on_backend!(self, "tasks", s => s.tasks(owner, list_id, query, unconfirmed).await)
    }

    pub async fn insert_task(&self, owner: Option<Uuid>, task: &Task) -> AppResult<bool> {
        on_backend!(self, "insert_task", s => s.insert_task(owner, task).await)
    }

    /// A visible task (`None`: absent or not visible), checking `unconfirmed` too.
    pub async fn task(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        unconfirmed: Option<Uuid>,
    ) -> AppResult<Checked<Option<Task>>> {
        on_backend!(self, "task", s => s.task(owner, id, unconfirmed).await)
    }

    pub async fn update_task(
        &self,
        owner: Option<Uuid>,
        id: Uuid,
        change: impl FnOnce(&Task) -> Task + Send,
    ) -> AppResult<Option<Task>> {
        on_backend!(self, "update_task", s => s.update_task(owner, id, change).await)
    }

    pub async fn delete_task(&self, owner: Option<Uuid>, id: Uuid) -> AppResult<bool> {
        on_backend!(self, "delete_task", s => s.delete_task(owner, id).await)
    }

    pub async fn tasks_by_list_ids(
        &self,
        owner: Option<Uuid>,
        list_ids: &[Uuid],
        query: &TaskQuery,
        fields: TaskFields,
    ) -> AppResult<HashMap<Uuid, Vec<Task>>> {
        on_backend!(self, "tasks_by_list_ids", s => s.tasks_by_list_ids(owner, list_ids, query, fields).await)
    }

    /// Tasks by id whatever their list's owner: only for live events, whose subscribers were
    /// checked when they subscribed.
    pub async fn tasks_by_ids(&self, ids: &[Uuid]) -> AppResult<HashMap<Uuid, Task>> {
        on_backend!(self, "tasks_by_ids", s => s.tasks_by_ids(ids).await)
    }

    pub async fn task_counts(
        &self,
        owner: Option<Uuid>,
        list_ids: &[Uuid],
    ) -> AppResult<HashMap<Uuid, i64>> {
        on_backend!(self, "task_counts", s => s.task_counts(owner, list_ids).await)
    }
}
