//! SQLite storage: WAL mode, one writer connection and a few readers, each behind a mutex, and
//! migrations from `migrations/sqlite/`.
//!
//! Every write goes through the single writer, so two writers never race for SQLite's lock and
//! no client ever sees "database is locked"; readers never block in WAL mode. The connections are
//! sqlx's, held directly rather than in an `sqlx::Pool`: a pool pings each connection on every
//! release, one more round trip to the connection's worker thread per statement, which was the
//! largest cost of a request in the benchmark (`bench/`). A local SQLite handle needs no pinging.
//!
//! What a pool would do for broken connections, each slot does itself (`slot.rs`): a statement
//! whose error means its connection is unusable marks the slot, and the next user gets a fresh
//! connection opened with the same options. A connection closed on purpose (`close`) stays
//! closed.
//!
//! A request dropped mid-statement (its client gone, its deadline passed) leaves its connection
//! usable and outside any transaction: once a statement has reached the connection's worker
//! thread, the thread runs it to its end (a write commits whole) and resets it, and the next
//! statement queues behind it; a request dropped before that sent nothing. The one transaction
//! is a group of new tasks (`inserts.rs`), run by a task of its own that no request can drop
//! half way; otherwise, holding the only writer, a few statements in a row cannot interleave
//! with another write, and need none.
//!
//! A page (of tasks, of lists) comes back as one JSON array, built by `json_group_array` over a
//! subquery that chooses the page's rows with `ORDER BY ... LIMIT`. The aggregate takes those
//! rows in the order the subquery yields them: SQLite keeps a subquery's ORDER BY for an
//! aggregate over it (its own test for ticket 2942 pins this for `group_concat`), and a LIMIT
//! keeps the subquery from being flattened. Sorting again inside the aggregate, as
//! `json_group_array(... ORDER BY ...)`, built a temporary B-tree of the page: 23 of the 77 us of
//! a 100-task page's statement, and (b) went from 4,984 to 5,741 req/s without it in a same-run
//! A/B. `tests/api/page_order.rs` checks every sort key and direction end to end, on long lists.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::SqliteRow;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Row};
use uuid::Uuid;

use self::cache::TaskCache;
use self::checkpoint::Checkpoints;
use self::inserts::Inserts;
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

mod cache;
mod checkpoint;
mod inserts;
mod lists;
mod slot;
mod task_pages;
mod task_query;
mod tasks;
#[cfg(test)]
mod tests_cache;
#[cfg(test)]
mod tests_healing;
#[cfg(test)]
mod tests_inserts;
mod users;

use slot::{Conn, Slot};

/// The connections the service's SQL runs on.
pub struct SqliteStore {
    /// Shared with the checkpoint task, which holds it for a moment (see `checkpoint.rs`).
    writer: Arc<Slot>,
    /// Empty for an in-memory database, which exists once per connection: reads use the writer.
    readers: Box<[Slot]>,
    next_reader: AtomicUsize,
    /// The health check's own connection, so that it measures whether the database answers, not
    /// how long the queue of user reads is (a few heavy reads could hold every reader). `None`
    /// for an in-memory database: the check uses the writer.
    probe: Option<Slot>,
    /// Written to while the writer is still held, so changes are published in commit order.
    pub(super) feed: ChangeFeed,
    /// `None` for an in-memory database, which has no write-ahead log.
    checkpoints: Option<Checkpoints>,
    /// Tasks by id, kept exact by the writer (`cache.rs`).
    cache: TaskCache,
    /// New tasks, committed in groups (`inserts.rs`).
    inserts: Inserts,
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
        let read_only = Arc::new(options.clone().read_only(true));
        let checkpoint_options = options.clone();
        let writer = Arc::new(Slot::new(
            "writer",
            writer,
            (!in_memory).then(|| Arc::new(options)),
        ));
        // One reader per core the process may run on: each connection runs its statements on a
        // thread of its own, and a second one on a single core runs nothing sooner; it only
        // interleaves two statements, each then taking twice as long. Same-run A/B on one core,
        // one reader against two: (b) p99 11.2 -> 7.6 ms, 1.04x the requests.
        let count = if in_memory {
            0
        } else {
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .clamp(1, 8)
        };
        let mut readers = Vec::with_capacity(count);
        for _ in 0..count {
            readers.push(Slot::open("reader", read_only.clone()).await?);
        }
        let (probe, checkpoints) = if in_memory {
            (None, None)
        } else {
            (
                Some(Slot::open("probe", read_only).await?),
                Some(Checkpoints::start(&checkpoint_options, Arc::clone(&writer)).await?),
            )
        };
        let inserts = Inserts::new(Arc::clone(&writer), feed.clone(), checkpoints.clone());
        Ok(Self {
            writer,
            readers: readers.into(),
            next_reader: AtomicUsize::new(0),
            probe,
            feed,
            checkpoints,
            cache: TaskCache::default(),
            inserts,
        })
    }

    /// The writer connection, held until the guard drops: statements run on it back to back
    /// with no other write in between.
    async fn writer(&self) -> AppResult<Conn<'_>> {
        let _waiting = WriterWait::start();
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.wrote();
        }
        self.writer.acquire().await
    }

    /// A reader connection: an idle one if there is one, else the next in turn.
    async fn reader(&self) -> AppResult<Conn<'_>> {
        if self.readers.is_empty() {
            return self.writer().await;
        }
        for slot in self.readers.iter() {
            if let Some(conn) = slot.acquire_idle().await {
                return conn;
            }
        }
        let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        self.readers[turn].acquire().await
    }

    /// Reads the schema version on the health check's own connection (the writer for an
    /// in-memory database), once more when that fails: a connection that turned out broken has
    /// been replaced by then (the PostgreSQL probe reconnects once too). The version is on the database's first page, so
    /// the check reads the database itself, where `SELECT 1` would only show that the
    /// connection's thread answers.
    pub async fn ping(&self) -> AppResult<()> {
        match self.read_schema_version().await {
            Err(AppError::Unavailable) => Err(AppError::Unavailable),
            Err(_) => self.read_schema_version().await,
            Ok(()) => Ok(()),
        }
    }

    async fn read_schema_version(&self) -> AppResult<()> {
        let mut conn = match &self.probe {
            Some(probe) => probe.acquire().await?,
            None => self.writer().await?,
        };
        sqlx::query("PRAGMA schema_version")
            .execute(&mut conn)
            .await?;
        Ok(())
    }

    /// Closes every connection; later queries fail as "service unavailable" (a closed slot is
    /// never reopened, unlike a broken one).
    pub async fn close(&self) {
        if let Some(checkpoints) = &self.checkpoints {
            checkpoints.close();
        }
        for slot in std::iter::once(&*self.writer)
            .chain(self.readers.iter())
            .chain(self.probe.as_ref())
        {
            slot.close().await;
        }
    }
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
