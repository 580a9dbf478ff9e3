//! SQLite storage: WAL mode, one writer connection and a few readers, each behind a mutex, and
//! migrations from `migrations/sqlite/`.
//!
//! Every write goes through the single writer, so two writers never race for SQLite's lock and
//! no client ever sees "database is locked"; readers never block in WAL mode. The connections are
//! sqlx's, held directly rather than in an `sqlx::Pool`: a pool pings each connection on every
//! release, one more round trip to the connection's worker thread per statement, which was the
//! largest cost of a request in the benchmark (`bench/`). A local SQLite handle needs no pinging.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::SqliteRow;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Row, SqliteConnection};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};
use uuid::Uuid;

use self::checkpoint::Checkpoints;
use super::{ChangeFeed, StoreError};
use crate::error::{AppError, AppResult};

/// Declares a row type that SQLite sends as one JSON array, and the SQL that builds the array,
/// from one list of `field: type = column`: a field and its column can only move together, so
/// no reordering can swap two values. Arrays rather than objects: building and parsing the field
/// names cost a third of the throughput of a page of tasks (measured with `scripts/bench.sh`, b).
macro_rules! json_row {
    ($(#[$meta:meta])* struct $name:ident as $sql:ident {
        $first:ident: $first_ty:ty = $first_col:literal
        $(, $field:ident: $ty:ty = $col:literal)* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(serde::Deserialize)]
        struct $name {
            $first: $first_ty,
            $($field: $ty,)*
        }

        /// `json_array(...)` of the columns of the row type beside it, in its field order.
        const $sql: &str = concat!("json_array(", $first_col $(, ", ", $col)*, ")");
    };
}

mod checkpoint;
mod lists;
mod tasks;
mod users;

/// One connection; `None` once closed (then every use is "service unavailable").
type Slot = Mutex<Option<SqliteConnection>>;

/// A connection held for the duration of a few statements.
type Conn<'a> = MappedMutexGuard<'a, SqliteConnection>;

/// The connections the service's SQL runs on.
pub struct SqliteStore {
    /// Shared with the checkpoint task, which holds it for a moment (see `checkpoint.rs`).
    writer: Arc<Slot>,
    /// Empty for an in-memory database, which exists once per connection: reads use the writer.
    readers: Box<[Slot]>,
    next_reader: AtomicUsize,
    /// The health check's own connection, so that it measures whether the database answers, not
    /// how long the queue of user reads is (a few heavy reads could hold every reader).
    probe: Slot,
    /// Written to while the writer is still held, so changes are published in commit order.
    pub(super) feed: ChangeFeed,
    /// `None` for an in-memory database, which has no write-ahead log.
    checkpoints: Option<Checkpoints>,
}

/// How long a connection waits for SQLite's lock (only other processes can hold it).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    pub async fn connect(
        url: &str,
        synchronous: &str,
        feed: ChangeFeed,
    ) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::from_str(synchronous)?)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("temp_store", "memory")
            .pragma("wal_autocheckpoint", checkpoint::WRITER_BACKSTOP_PAGES);
        let file = options.get_filename().to_owned();
        let in_memory = file.as_os_str() == ":memory:" || url.contains("mode=memory");
        if let Some(folder) = file
            .parent()
            .filter(|p| !in_memory && !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::Folder {
                path: folder.display().to_string(),
                source,
            })?;
        }
        let mut writer = options.connect().await?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&mut writer)
            .await?;
        let count = if in_memory {
            0
        } else {
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(2, 8)
        };
        let mut readers = Vec::with_capacity(count);
        for _ in 0..count {
            let reader = options.clone().read_only(true).connect().await?;
            readers.push(Mutex::new(Some(reader)));
        }
        let writer = Arc::new(Mutex::new(Some(writer)));
        let (probe, checkpoints) = if in_memory {
            (None, None)
        } else {
            (
                Some(options.clone().read_only(true).connect().await?),
                Some(Checkpoints::start(&options, Arc::clone(&writer)).await?),
            )
        };
        Ok(Self {
            writer,
            readers: readers.into(),
            next_reader: AtomicUsize::new(0),
            probe: Mutex::new(probe),
            feed,
            checkpoints,
        })
    }

    /// The writer connection, held until the guard drops: statements run on it back to back
    /// with no other write in between.
    pub(super) async fn writer(&self) -> AppResult<Conn<'_>> {
        let _waiting = WriterWait::start();
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.wrote();
        }
        open(self.writer.lock().await)
    }

    /// A reader connection: an idle one if there is one, else the next in turn.
    pub(super) async fn reader(&self) -> AppResult<Conn<'_>> {
        if self.readers.is_empty() {
            return self.writer().await;
        }
        for slot in self.readers.iter() {
            if let Ok(guard) = slot.try_lock() {
                return open(guard);
            }
        }
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        open(self.readers[turn].lock().await)
    }

    /// `SELECT 1` on the health check's own connection (the writer for an in-memory database).
    pub async fn ping(&self) -> AppResult<()> {
        let guard = self.probe.lock().await;
        let mut conn = if guard.is_none() && self.readers.is_empty() {
            drop(guard);
            self.writer().await?
        } else {
            open(guard)?
        };
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(())
    }

    /// Closes every connection; later queries fail as "service unavailable".
    pub async fn close(&self) {
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.close();
        }
        let probe = std::iter::once(&self.probe);
        for slot in std::iter::once(&*self.writer)
            .chain(self.readers.iter())
            .chain(probe)
        {
            if let Some(conn) = slot.lock().await.take() {
                let _ = sqlx::Connection::close(conn).await;
            }
        }
    }
}

fn open(guard: MutexGuard<'_, Option<SqliteConnection>>) -> AppResult<Conn<'_>> {
    MutexGuard::try_map(guard, Option::as_mut).map_err(|_| AppError::Unavailable)
}

/// Ids as one JSON array, for `IN (SELECT value FROM json_each(?))`: one statement whatever
/// the number of ids, since SQLite has no array binds.
fn json_ids(ids: &[Uuid]) -> String {
    let mut out = String::with_capacity(2 + ids.len() * 39);
    out.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        out.push('"');
    }
    out.push(']');
    out
}

/// An id bound as SQLite stores it (lowercase hyphenated text); `None` binds NULL.
fn id_text(id: Option<Uuid>) -> Option<String> {
    id.map(|id| id.hyphenated().to_string())
}

fn uuid_column(row: &SqliteRow, name: &str) -> AppResult<Uuid> {
    let raw: &str = row.try_get(name)?;
    Uuid::parse_str(raw).map_err(|e| AppError::internal(format_args!("bad uuid in {name}: {e}")))
}

/// A JSON document SQLite built (many rows in one value), decoded by field name.
fn from_json<T: serde::de::DeserializeOwned>(raw: &str) -> AppResult<T> {
    serde_json::from_str(raw).map_err(AppError::internal)
}

/// Counts a write waiting for the writer connection (`db_writer_queue_depth`); a guard, so that a
/// wait given up (its request dropped at a timeout) is uncounted too.
struct WriterWait;

impl WriterWait {
    fn start() -> Self {
        metrics::gauge!("db_writer_queue_depth").increment(1.0);
        Self
    }
}

impl Drop for WriterWait {
    fn drop(&mut self) {
        metrics::gauge!("db_writer_queue_depth").decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_a_json_array() {
        assert_eq!(json_ids(&[]), "[]");
        let a = Uuid::nil();
        assert_eq!(
            json_ids(&[a, a]),
            r#"["00000000-0000-0000-0000-000000000000","00000000-0000-0000-0000-000000000000"]"#
        );
    }
}
