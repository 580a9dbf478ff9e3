//! Live task events: one hub per process turns the store's change feed (committed changes, in
//! commit order, from every instance) into events, and hands each one to the watchers of its
//! list. Both faces (REST's event stream, GraphQL's subscription) are watchers.
//!
//! Each event is built once for the whole process, not once per watcher: the task is loaded
//! once (PostgreSQL notifications carry ids only) and its JSON written once. A watcher reads
//! from a bounded buffer per list (a broadcast ring); one that falls a buffer behind is ended
//! as too slow, so a stalled client never costs the server memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use uuid::Uuid;

use super::{Caller, Inner, Service};
use crate::error::{AppError, AppResult};
pub use crate::records::TaskEventKind;
use crate::records::{Task, Timestamp};
use crate::store::Change;

/// One change to a task of a list, as both faces send it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskEvent {
    pub kind: TaskEventKind,
    pub task_id: Uuid,
    pub list_id: Uuid,
    /// The task as `GET /tasks/{id}` shows it; `None` for `DELETED`.
    pub task: Option<Task>,
}

/// An event and its JSON, written once for every watcher.
#[derive(Debug)]
pub struct Published {
    pub event: TaskEvent,
    pub json: String,
}

/// Why a watch ended. Every end is final; a client that wants more watches again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The list was deleted.
    ListDeleted,
    /// The watcher's token was revoked (logout).
    Revoked,
    /// The watcher's token expired.
    Expired,
    /// The watcher fell too far behind and lost events.
    TooSlow,
    /// Events may have been missed (the database connection broke, or this process was
    /// overloaded).
    Interrupted,
    /// The service is shutting down.
    Closed,
}

impl Ended {
    /// Says why, for the client.
    pub fn reason(self) -> &'static str {
        match self {
            Self::ListDeleted => "The list was deleted",
            Self::Revoked => "The token was revoked",
            Self::Expired => "The token expired",
            Self::TooSlow => "The client fell too far behind; events were dropped",
            Self::Interrupted => "Events may have been missed; watch again and re-read the list",
            Self::Closed => "The service is shutting down",
        }
    }
}

/// What a list's watchers receive.
#[derive(Clone)]
enum Notice {
    Event(Arc<Published>),
    End(Ended),
    /// A token was revoked; the watchers holding it end.
    Revoked(Uuid),
}

/// The watched lists and their buffers.
pub(super) struct Hub {
    lists: Mutex<HashMap<Uuid, broadcast::Sender<Notice>>>,
    buffer: usize,
}

/// Changes taken from the feed at once: their tasks load in one statement.
const BATCH: usize = 256;

impl Hub {
    pub(super) fn new(buffer: usize) -> Arc<Self> {
        Arc::new(Self {
            lists: Mutex::default(),
            buffer: buffer.max(1),
        })
    }

    /// The watched lists. Nothing panics while holding the lock, so a poisoned one is as good.
    fn lists(&self) -> MutexGuard<'_, HashMap<Uuid, broadcast::Sender<Notice>>> {
        self.lists.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn watching(&self, list: Uuid) -> bool {
        self.lists().contains_key(&list)
    }

    /// Sends to the watchers of `list`; none is fine (they all left).
    fn send(&self, list: Uuid, notice: Notice) {
        if let Some(tx) = self.lists().get(&list) {
            let _ = tx.send(notice);
        }
    }

    fn send_all(&self, notice: &Notice) {
        for tx in self.lists().values() {
            let _ = tx.send(notice.clone());
        }
    }

    /// Reads the change feed until it closes (the store is gone).
    pub(super) async fn run(
        self: Arc<Self>,
        mut feed: broadcast::Receiver<Change>,
        svc: Weak<Inner>,
    ) {
        loop {
            let mut batch = Vec::new();
            match feed.recv().await {
                Ok(change) => batch.push(change),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "event hub fell behind the change feed");
                    self.send_all(&Notice::End(Ended::Interrupted));
                    continue;
                }
                Err(RecvError::Closed) => break,
            }
            while batch.len() < BATCH {
                match feed.try_recv() {
                    Ok(change) => batch.push(change),
                    Err(TryRecvError::Lagged(_)) => {
                        batch.push(Change::Gap);
                        break;
                    }
                    Err(_) => break,
                }
            }
            let loaded = match self.load(&batch, &svc).await {
                Ok(loaded) => loaded,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot load the tasks of live events");
                    self.send_all(&Notice::End(Ended::Interrupted));
                    continue;
                }
            };
            for change in batch {
                self.deliver(change, &loaded);
            }
        }
        self.send_all(&Notice::End(Ended::Closed));
    }

    /// The tasks of the batch's events that came without one (PostgreSQL), for watched lists
    /// only, in one statement.
    async fn load(&self, batch: &[Change], svc: &Weak<Inner>) -> AppResult<HashMap<Uuid, Task>> {
        let wanted: Vec<Uuid> = batch
            .iter()
            .filter_map(|change| match change {
                Change::Task {
                    kind,
                    task_id,
                    list_id,
                    task: None,
                } if *kind != TaskEventKind::Deleted && self.watching(*list_id) => Some(*task_id),
                _ => None,
            })
            .collect();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        let Some(inner) = svc.upgrade() else {
            return Err(AppError::Unavailable);
        };
        inner.store.tasks_by_ids(&wanted).await
    }

    fn deliver(&self, change: Change, loaded: &HashMap<Uuid, Task>) {
        match change {
            Change::Task {
                kind,
                task_id,
                list_id,
                task,
            } => {
                if !self.watching(list_id) {
                    return;
                }
                let task = match (kind, task) {
                    (TaskEventKind::Deleted, _) => None,
                    (_, Some(task)) => Some(*task),
                    // Read after the commit, so it may already show a later change (even a move
                    // to another list); gone means deleted since, and that DELETED follows.
                    (_, None) => loaded.get(&task_id).cloned(),
                };
                let event = TaskEvent {
                    kind,
                    task_id,
                    list_id,
                    task,
                };
                if kind != TaskEventKind::Deleted && event.task.is_none() {
                    return;
                }
                match serde_json::to_string(&event) {
                    Ok(json) => {
                        self.send(list_id, Notice::Event(Arc::new(Published { event, json })))
                    }
                    Err(e) => tracing::error!(error = %e, "cannot write an event"),
                }
            }
            Change::ListDeleted(list) => self.send(list, Notice::End(Ended::ListDeleted)),
            Change::Revoked(jti) => self.send_all(&Notice::Revoked(jti)),
            Change::Gap => self.send_all(&Notice::End(Ended::Interrupted)),
        }
    }

    /// Registers a watcher of `list`.
    fn watch(self: &Arc<Self>, list: Uuid) -> broadcast::Receiver<Notice> {
        let mut lists = self.lists();
        lists
            .entry(list)
            .or_insert_with(|| broadcast::channel(self.buffer).0)
            .subscribe()
    }

    /// Forgets the list once its last watcher is gone.
    fn release(&self, list: Uuid) {
        let mut lists = self.lists();
        if lists.get(&list).is_some_and(|tx| tx.receiver_count() == 0) {
            lists.remove(&list);
        }
    }
}

/// One watcher of one list: the next event, or why the watch ended.
pub struct Watch {
    rx: Option<broadcast::Receiver<Notice>>,
    list: Uuid,
    hub: Arc<Hub>,
    /// The watcher's token: its revocation or expiry ends the watch.
    token: Option<(Uuid, tokio::time::Instant)>,
}

impl Watch {
    /// The next event of the list, in commit order, or why there will be no more.
    pub async fn next(&mut self) -> Result<Arc<Published>, Ended> {
        let Some(rx) = self.rx.as_mut() else {
            return Err(Ended::Closed);
        };
        let expires = self.token.map(|(_, at)| at);
        loop {
            let received = match expires {
                Some(at) => tokio::select! {
                    received = rx.recv() => received,
                    () = tokio::time::sleep_until(at) => return Err(Ended::Expired),
                },
                None => rx.recv().await,
            };
            match received {
                Ok(Notice::Event(event)) => return Ok(event),
                Ok(Notice::End(why)) => return Err(why),
                Ok(Notice::Revoked(jti)) if self.token.is_some_and(|(mine, _)| mine == jti) => {
                    return Err(Ended::Revoked)
                }
                Ok(Notice::Revoked(_)) => continue,
                Err(RecvError::Lagged(_)) => return Err(Ended::TooSlow),
                Err(RecvError::Closed) => return Err(Ended::Closed),
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        drop(self.rx.take());
        self.hub.release(self.list);
    }
}

impl Service {
    /// Starts watching a list's task events: 404 when the caller cannot see the list (the same
    /// rule as reading it), 503 while the backend may be missing changes (PostgreSQL's listener
    /// reconnecting). Registered before the checks, so no change committed after this answers
    /// can be missed, the caller's token's revocation included: a logout that committed before
    /// the check is refused here, one after it ends the stream.
    pub async fn watch_list(&self, caller: &Caller, list_id: Uuid) -> AppResult<Watch> {
        let owner = self.owner(caller)?;
        let hub = &self.0.events;
        let watch = Watch {
            rx: Some(hub.watch(list_id)),
            list: list_id,
            hub: hub.clone(),
            token: match caller {
                Caller::User(u) => Some((u.token.jti, expiry(u.token.expires_at))),
                Caller::Anonymous => None,
            },
        };
        self.recheck(caller).await?;
        self.store()
            .list(owner, list_id)
            .await?
            .ok_or(AppError::NotFound)?;
        // Checked after registering: a connection lost from now on ends the watch (a gap).
        if !self.store().changes_complete() {
            return Err(AppError::Unavailable);
        }
        Ok(watch)
    }
}

/// The instant of this process's clock at which a token expiring at `at` expires.
fn expiry(at: Timestamp) -> tokio::time::Instant {
    let left = at.micros().saturating_sub(Timestamp::now().micros()).max(0);
    tokio::time::Instant::now() + Duration::from_micros(u64::try_from(left).unwrap_or(0))
}
