//! A slot that holds one SQLite connection and heals it: a statement whose error says the
//! connection itself is unusable marks the slot, and the next user of the slot gets a freshly
//! opened connection in its place.
//!
//! Nothing is checked on the way in but one flag: statements run on [`Conn`], which is their
//! executor, so each one's error is seen where it happens, with no extra round trip to the
//! connection's worker thread (a ping per use was what the store stopped paying for).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, StreamExt, TryFutureExt, TryStreamExt};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteQueryResult, SqliteRow, SqliteStatement, SqliteTypeInfo,
};
use sqlx::{ConnectOptions, Describe, Either, Execute, Executor, SqliteConnection};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crate::error::{AppError, AppResult};

/// One connection, and how to open another like it.
pub(super) struct Slot {
    /// `None` once closed on purpose: from then on every use is "service unavailable", and
    /// nothing reopens it.
    conn: Mutex<Option<SqliteConnection>>,
    /// Set by a statement whose error means the connection is unusable. Written and read only
    /// with `conn` locked, so the mutex orders it and `Relaxed` is enough.
    broken: AtomicBool,
    /// The options the connection was opened with; `None` for an in-memory database, which
    /// lives and dies with its one connection (a new one would be empty). Shared by slots
    /// alike (the readers), and behind a pointer: it is only read to reopen.
    options: Option<Arc<SqliteConnectOptions>>,
    /// What the connection is for, in logs: `writer`, `reader` or `probe`.
    role: &'static str,
}

impl Slot {
    /// A slot for `conn`, which was opened with `options` (`None`: never reopen it).
    pub(super) fn new(
        role: &'static str,
        conn: SqliteConnection,
        options: Option<Arc<SqliteConnectOptions>>,
    ) -> Self {
        Self {
            conn: Mutex::new(Some(conn)),
            broken: AtomicBool::new(false),
            options,
            role,
        }
    }

    /// Opens a connection with `options` into a new slot.
    pub(super) async fn open(
        role: &'static str,
        options: Arc<SqliteConnectOptions>,
    ) -> Result<Self, sqlx::Error> {
        let conn = options.connect().await?;
        Ok(Self::new(role, conn, Some(options)))
    }

    /// The connection, once nobody else holds it.
    pub(super) async fn acquire(&self) -> AppResult<Conn<'_>> {
        self.ready(self.conn.lock().await).await
    }

    /// The connection if nobody holds it now, else `None` at once.
    pub(super) async fn acquire_idle(&self) -> Option<AppResult<Conn<'_>>> {
        let guard = self.conn.try_lock().ok()?;
        Some(self.ready(guard).await)
    }

    async fn ready<'a>(
        &'a self,
        mut held: MutexGuard<'a, Option<SqliteConnection>>,
    ) -> AppResult<Conn<'a>> {
        if held.is_some() && self.broken.load(Ordering::Relaxed) {
            self.reopen(&mut held).await?;
        }
        let conn = MutexGuard::try_map(held, Option::as_mut).map_err(|_| AppError::Unavailable)?;
        Ok(Conn { conn, slot: self })
    }

    /// Puts a fresh connection in place of the broken one. The broken one stays until the new
    /// one is open, so a failed or abandoned attempt leaves the slot broken (retried on next use),
    /// never looking closed.
    async fn reopen(&self, held: &mut Option<SqliteConnection>) -> AppResult<()> {
        let Some(options) = &self.options else {
            return Err(AppError::Unavailable);
        };
        match options.connect().await {
            Ok(fresh) => {
                // Dropped, not closed: that ends its worker thread as well, once what is queued
                // there is done, and this request does not wait for it.
                drop(held.replace(fresh));
                self.broken.store(false, Ordering::Relaxed);
                metrics::counter!("db_connections_reopened_total", "role" => self.role)
                    .increment(1);
                tracing::info!(
                    connection = self.role,
                    "reopened a broken SQLite connection"
                );
                Ok(())
            }
            Err(error) => {
                tracing::warn!(connection = self.role, %error, "cannot reopen a broken SQLite connection");
                Err(AppError::Unavailable)
            }
        }
    }

    /// Marks the slot when `err` means its connection is unusable.
    fn watch(&self, err: &sqlx::Error) {
        if breaks_connection(err) && !self.broken.swap(true, Ordering::Relaxed) {
            tracing::warn!(connection = self.role, error = %err,
                "SQLite connection broken; the next use opens a fresh one");
        }
    }

    /// Closes the connection for good.
    pub(super) async fn close(&self) {
        let conn = self.conn.lock().await.take();
        if let Some(conn) = conn {
            let _ = sqlx::Connection::close(conn).await;
        }
    }

    /// Test hook: runs `f` on the connection itself, past the watch.
    #[cfg(test)]
    pub(super) async fn with_raw<T>(&self, f: impl AsyncFnOnce(&mut SqliteConnection) -> T) -> T {
        let mut held = self.conn.lock().await;
        let conn = held.as_mut().expect("the slot is open");
        f(conn).await
    }
}

/// Whether `err` means the connection that returned it cannot serve another statement, so only
/// a fresh one will. Errors about the statement, its data or a lock held elsewhere leave the
/// connection as good as it was; replacing it for those would cost an open and cure nothing.
pub(super) fn breaks_connection(err: &sqlx::Error) -> bool {
    match err {
        // The worker thread that owns the SQLite handle is gone, so every later command fails
        // the same way; or reading or writing the connection itself failed.
        sqlx::Error::WorkerCrashed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(e) => e
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(handle_unusable),
        // Not `Protocol`: on SQLite, sqlx uses it for the statement alone (a NUL byte in the SQL,
        // a parameter name it cannot number, SQL over 2 GiB), never for the connection. Not
        // `PoolClosed` or `PoolTimedOut`: they come from a pool, and here there is none; closed
        // on purpose is the slot's `None`. Not decoding, encoding, or row-count errors either.
        _ => false,
    }
}

/// Whether an SQLite result code (extended, as sqlx reports it) means the handle is unusable.
fn handle_unusable(code: i32) -> bool {
    // The database file moved or was deleted under the handle: writing through it could corrupt.
    const READONLY_DBMOVED: i32 = 8 | (4 << 8);
    match code & 0xff {
        // IOERR: the file system failed the handle's reads or writes. Often a file it holds open
        // is gone or stale (the -shm or -wal removed, a remount); only opening by path again
        // finds the files as they are now. A needless reopen costs one connection open, once.
        10
        // CORRUPT, NOTADB: what the handle sees is not a sound database, which may be its own
        // view (page cache, schema, a file replaced under it) rather than the file; a fresh
        // handle reads the file as it is, and if the file itself is bad it fails the same way.
        | 11 | 26
        // CANTOPEN: the handle could not open a file it needs (the WAL or its index) beside the
        // database, e.g. after the folder was recreated.
        | 14
        // MISUSE: the handle was used against SQLite's rules; its state is unknown.
        | 21 => true,
        // Not: BUSY (5) and LOCKED (6), a lock held elsewhere, cured by waiting; CONSTRAINT (19),
        // the statement's data; FULL (13) and NOMEM (7), which a new handle cannot cure (it
        // needs space and memory too); PERM (3), which a new handle meets again; INTERRUPT,
        // SCHEMA, ERROR and the other statement-level codes.
        _ => code == READONLY_DBMOVED,
    }
}

/// A connection held for a few statements, and their executor: statements run on `&mut Conn`,
/// so each one's error reaches the slot. There is no `Deref` to the connection, so no statement
/// can go around it.
pub(super) struct Conn<'a> {
    conn: MappedMutexGuard<'a, SqliteConnection>,
    slot: &'a Slot,
}

impl std::fmt::Debug for Conn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("role", &self.slot.role)
            .finish_non_exhaustive()
    }
}

// Each method hands the statement to the connection unchanged and only looks at its error.
impl<'c> Executor<'c> for &'c mut Conn<'_> {
    type Database = Sqlite;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxStream<'e, Result<Either<SqliteQueryResult, SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Self::Database>,
    {
        let (conn, slot): (&'c mut SqliteConnection, _) = (&mut self.conn, self.slot);
        conn.fetch_many(query)
            .inspect_err(move |e| slot.watch(e))
            .boxed()
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> BoxFuture<'e, Result<Option<SqliteRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Self::Database>,
    {
        let (conn, slot): (&'c mut SqliteConnection, _) = (&mut self.conn, self.slot);
        conn.fetch_optional(query)
            .inspect_err(move |e| slot.watch(e))
            .boxed()
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [SqliteTypeInfo],
    ) -> BoxFuture<'e, Result<SqliteStatement<'q>, sqlx::Error>>
    where
        'c: 'e,
    {
        let (conn, slot): (&'c mut SqliteConnection, _) = (&mut self.conn, self.slot);
        conn.prepare_with(sql, parameters)
            .inspect_err(move |e| slot.watch(e))
            .boxed()
    }

    fn describe<'e, 'q: 'e>(
        self,
        sql: &'q str,
    ) -> BoxFuture<'e, Result<Describe<Sqlite>, sqlx::Error>>
    where
        'c: 'e,
    {
        let (conn, slot): (&'c mut SqliteConnection, _) = (&mut self.conn, self.slot);
        conn.describe(sql)
            .inspect_err(move |e| slot.watch(e))
            .boxed()
    }
}
