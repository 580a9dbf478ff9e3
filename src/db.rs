//! Connection pools: SQLite in WAL mode with one writer connection and a pool of readers.
//!
//! Every write goes through the single writer, so two writers never race for SQLite's lock and
//! no client ever sees "database is locked"; readers never block in WAL mode.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

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

/// The pools the service runs its SQL on.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) read: SqlitePool,
    pub(crate) write: SqlitePool,
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
        // A local file needs no liveness ping before each use (sqlx's default), which would
        // double the round trips to SQLite's worker thread.
        let write = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&write).await?;
        // An in-memory database exists once per connection: readers must share the writer.
        let read = if in_memory {
            write.clone()
        } else {
            let readers = std::thread::available_parallelism()
                .map_or(4, |n| n.get() * 2)
                .max(4);
            SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(readers as u32)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options.read_only(true))
                .await?
        };
        Ok(Self { read, write })
    }

    /// Closes both pools; later queries fail as "service unavailable".
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}
