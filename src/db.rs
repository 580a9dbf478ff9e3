//! SQLite connections: WAL mode, one writer connection and a few readers, each behind a mutex.
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

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection};
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use crate::error::{AppError, AppResult};

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unsupported DATABASE_URL {0:?}: this build serves sqlite:// URLs")]
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

/// One connection; `None` once closed (then every use is "service unavailable").
type Slot = Mutex<Option<SqliteConnection>>;

/// A connection held for the duration of a few statements.
pub type Conn<'a> = MappedMutexGuard<'a, SqliteConnection>;

/// The connections the service runs its SQL on. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    writer: Arc<Slot>,
    /// Empty for an in-memory database, which exists once per connection: reads use the writer.
    readers: Arc<[Slot]>,
    next_reader: Arc<AtomicUsize>,
    /// The health check's own connection, so that it measures whether the database answers, not
    /// how long the queue of user reads is (a few heavy reads could hold every reader).
    probe: Arc<Slot>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("readers", &self.readers.len())
            .finish()
    }
}

/// How long a connection waits for SQLite's lock (only other processes can hold it).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl Db {
    /// Opens (creating if needed) the database at `url` and applies pending migrations.
    pub async fn connect(url: &str, synchronous: &str) -> Result<Self, DbError> {
        if !url.starts_with("sqlite:") {
            return Err(DbError::Unsupported(url.to_owned()));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::from_str(synchronous)?)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true)
            .pragma("temp_store", "memory");
        let file = options.get_filename().to_owned();
        let in_memory = file.as_os_str() == ":memory:" || url.contains("mode=memory");
        if let Some(folder) = file
            .parent()
            .filter(|p| !in_memory && !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(folder).map_err(|source| DbError::Folder {
                path: folder.display().to_string(),
                source,
            })?;
        }
        let mut writer = options.connect().await?;
        sqlx::migrate!("./migrations").run(&mut writer).await?;
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
        let probe = if in_memory {
            None
        } else {
            Some(options.clone().read_only(true).connect().await?)
        };
        Ok(Self {
            writer: Arc::new(Mutex::new(Some(writer))),
            readers: readers.into(),
            next_reader: Arc::new(AtomicUsize::new(0)),
            probe: Arc::new(Mutex::new(probe)),
        })
    }

    /// The writer connection, held until the guard drops: statements run on it back to back
    /// with no other write in between.
    pub(crate) async fn writer(&self) -> AppResult<Conn<'_>> {
        open(self.writer.lock().await)
    }

    /// A reader connection: an idle one if there is one, else the next in turn.
    pub(crate) async fn reader(&self) -> AppResult<Conn<'_>> {
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

    /// The health check's connection (the writer for an in-memory database).
    pub(crate) async fn probe(&self) -> AppResult<Conn<'_>> {
        let guard = self.probe.lock().await;
        if guard.is_none() && self.readers.is_empty() {
            return self.writer().await;
        }
        open(guard)
    }

    /// Closes every connection; later queries fail as "service unavailable".
    pub async fn close(&self) {
        let probe = std::iter::once(&*self.probe);
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
