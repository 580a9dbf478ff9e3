//! WAL checkpoints off the write path.
//!
//! By default SQLite copies the write-ahead log back into the database file (and syncs it) inside
//! the commit that takes the log past 1,000 pages: every few hundred writes one request pays for
//! all of them while every other write queues behind it. In the `perf` profile of creating tasks
//! (`scripts/bench.sh` c) that checkpoint was 12% of the service's CPU time, most of it `fsync`,
//! and it set the tail latency. Here the writer connection never checkpoints on its own below a
//! backstop; after every [`EVERY_WRITES`] writes a task with its own connection checkpoints in
//! two steps: `PASSIVE` checkpoints while writes go on (the bulk of the pages and the syncs),
//! then one more holding the writer, which copies only what was appended meanwhile. The second
//! step matters: a log that is never copied back completely is never restarted, and grew to the
//! backstop (80 MB) under steady writes. Commits only append to the log. Durability is
//! unchanged: a commit is in the log, synced as `synchronous` says, before it is acknowledged;
//! the checkpoint only moves pages that are already safe.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::sync::Notify;

use super::Slot;

/// Writes between two checkpoints: with a few pages per write, a log of a few MB.
const EVERY_WRITES: u32 = 500;

/// Pages past which the writer checkpoints by itself, as SQLite does by default at 1,000: only
/// reached when the checkpoint task cannot keep up or has lost its connection.
pub(super) const WRITER_BACKSTOP_PAGES: &str = "20000";

/// The writer's side: counts writes and wakes the checkpoint task.
#[derive(Clone)]
pub(super) struct Checkpoints {
    shared: Arc<Shared>,
}

struct Shared {
    writes: AtomicU32,
    wake: Notify,
    closed: AtomicBool,
}

impl Checkpoints {
    /// Opens the checkpoint task's connection and starts it; `writer` is held for the second step.
    pub(super) async fn start(
        options: &SqliteConnectOptions,
        writer: Arc<Slot>,
    ) -> Result<Self, sqlx::Error> {
        let mut conn = options.connect().await?;
        let shared = Arc::new(Shared {
            writes: AtomicU32::new(0),
            wake: Notify::new(),
            closed: AtomicBool::new(false),
        });
        let task = Arc::clone(&shared);
        tokio::spawn(async move {
            loop {
                task.wake.notified().await;
                if task.closed.load(Ordering::Acquire) {
                    break;
                }
                let copied = checkpoint(&mut conn, &writer).await;
                if let Err(e) = copied {
                    // The writer's backstop checkpoints meanwhile; a later wake tries again.
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
            let _ = conn.close().await;
        });
        Ok(Self { shared })
    }

    /// Called once per write operation.
    pub(super) fn wrote(&self) {
        let n = self.shared.writes.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(EVERY_WRITES) {
            self.shared.wake.notify_one();
        }
    }

    /// Ends the task and closes its connection.
    pub(super) fn close(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.wake.notify_one();
    }
}

/// One checkpoint: passive rounds while writes go on, until a round finds little appended since
/// the one before, then a last round holding the writer. Each round copies what was appended
/// during the one before it, so the rounds shrink; the held round used to follow the first
/// directly and copied as much as the first had (about 5 ms holding every write, measured in (c)
/// of `scripts/bench.sh`, where it set the p99).
async fn checkpoint(conn: &mut sqlx::SqliteConnection, writer: &Slot) -> Result<(), sqlx::Error> {
    let mut frames = passive(conn).await?;
    for _ in 0..CATCH_UP_ROUNDS {
        let before = frames;
        frames = passive(conn).await?;
        // Fewer frames than before: the log was restarted in between, nothing is left to copy.
        if frames.saturating_sub(before) <= FEW_FRAMES {
            break;
        }
    }
    // An error here means the store is closing (its writer closed): nothing to copy.
    let Ok(_writes_wait) = writer.acquire().await else {
        return Ok(());
    };
    passive(conn).await.map(drop)
}

/// Passive rounds after the first, at most, before the round that holds the writer.
const CATCH_UP_ROUNDS: usize = 4;

/// Frames appended during a round below which the next round may hold the writer: a few
/// hundred KB, well under a millisecond to copy.
const FEW_FRAMES: i64 = 64;

/// Copies what it can of the log into the database without waiting for anyone; the frames in
/// the log.
async fn passive(conn: &mut sqlx::SqliteConnection) -> Result<i64, sqlx::Error> {
    // The row is (busy, frames in the log, frames copied).
    let (_, frames, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(conn)
        .await?;
    Ok(frames)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use uuid::Uuid;

    use super::super::SqliteStore;
    use crate::records::{Timestamp, TodoList};
    use crate::store::ChangeFeed;

    /// Under a steady stream of concurrent writes the log is copied back and restarted, so it
    /// stays near the size of the writes between two checkpoints (plus however late the
    /// checkpoints run on a busy machine); left to the writer's backstop it grows to the
    /// backstop's 20,000 pages here.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_stays_small_under_steady_writes() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("todo.db");
        let url = format!("sqlite://{}", path.display());
        let store = Arc::new(
            SqliteStore::connect(&url, "NORMAL", ChangeFeed::default())
                .await
                .expect("store"),
        );
        let writers: Vec<_> = (0..8)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::spawn(async move {
                    for n in 0..1_000 {
                        let list = TodoList {
                            id: Uuid::new_v4(),
                            title: format!("list {n} {}", "x".repeat(200)),
                            description: Some("y".repeat(500)),
                            owner_id: None,
                            created_at: Timestamp::now(),
                            updated_at: None,
                        };
                        store.insert_list(&list).await.expect("insert");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("writer task");
        }
        let wal = std::fs::metadata(dir.path().join("todo.db-wal")).expect("the log exists");
        // The file keeps its high-water mark: a few thousand pages when checkpoints restart
        // the log (up to ~3,800 seen with both cores busy, 9,700 once beside a full test run,
        // when the checkpoints ran late), and the backstop's 20,000 when they never do (about
        // 2.5 pages per write; seen with the checkpoint task switched off).
        let pages = wal.len() / 4096;
        assert!(
            pages < 15_000,
            "8,000 writes left a log of {pages} pages: it was not restarted"
        );
        store.close().await;
    }
}
