//! The change feed: every committed change that live events are made of, in commit order, as
//! the backend learns it. SQLite publishes while still holding its one writer connection;
//! PostgreSQL sends `NOTIFY` inside the writing transaction and every instance's listener
//! (`postgres/notify.rs`) publishes what arrives. Either way nothing uncommitted is published,
//! and two changes are published in the order they were committed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::broadcast;
use uuid::Uuid;

use crate::records::{Task, TaskEventKind};

/// Changes the feed holds for a slow reader before it says it lagged. The reader is the
/// service's one event hub, which only hands events on: it lags only when this process is
/// overloaded, and then it ends the streams rather than guess what was missed.
const FEED_CAPACITY: usize = 4096;

/// One committed change.
#[derive(Debug, Clone)]
pub enum Change {
    /// A task was created, changed or deleted in `list_id` (a move is two changes: deleted in
    /// the old list, created in the new one). `task` is the task as committed when the writer
    /// has it at hand (SQLite); `None` for a deletion, and on PostgreSQL, whose notifications
    /// carry ids only (a payload is limited to 8000 bytes): the task is loaded by id then.
    Task {
        kind: TaskEventKind,
        task_id: Uuid,
        list_id: Uuid,
        task: Option<Box<Task>>,
    },
    /// A list was deleted, with its tasks.
    ListDeleted(Uuid),
    /// A token (by its `jti`) was revoked by a logout.
    Revoked(Uuid),
    /// Changes may have been missed (the listener's database connection broke).
    Gap,
}

/// The sending side of the feed; cheap to clone.
#[derive(Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<Change>,
    /// False while the backend may be missing changes (PostgreSQL's listener has lost its
    /// connection and not yet listens again); always true on SQLite.
    complete: Arc<AtomicBool>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self {
            tx: broadcast::channel(FEED_CAPACITY).0,
            complete: Arc::new(AtomicBool::new(true)),
        }
    }
}

impl ChangeFeed {
    /// Publishes a change; nobody listening is fine (nobody watches anything).
    pub fn publish(&self, change: Change) {
        let _ = self.tx.send(change);
    }

    /// Whether every committed change reaches the feed now: a watch that starts while it is
    /// false could miss changes with nothing to say so.
    pub fn complete(&self) -> bool {
        self.complete.load(Ordering::SeqCst)
    }

    pub fn set_complete(&self, complete: bool) {
        self.complete.store(complete, Ordering::SeqCst);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.tx.subscribe()
    }
}
