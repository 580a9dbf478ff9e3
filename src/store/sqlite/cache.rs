//! Tasks kept in memory by id, with the owner of their list, so that reading one task (the REST
//! `GET /tasks/{id}`, GraphQL's `task(id:)`) and finding the task a PATCH changes cost no
//! statement. Each statement is a round trip to a connection's worker thread, and those hand-offs
//! were the largest share of a cached read's CPU time under `perf` (`bench/`, scenario a).
//!
//! Exact by construction, not by expiry: this process is the SQLite file's only writer, and every
//! statement that changes a task or removes a list goes through [`SqliteStore::writer`], which
//! settles the cache once its statements have returned (committed) and before the write is
//! answered. A reader that missed fills the cache with what it read only if no write settled in
//! between (the generation it saw is still current); a write that settles later overwrites or
//! removes the entry anyway. So an entry is never older than the last acknowledged write.
//!
//! A write abandoned half way (its future dropped, an error) may still commit later in the
//! worker thread. Then nothing in memory can be trusted until a later write has run a statement
//! on the writer (the worker runs statements in order, so the abandoned one is done by then): the
//! cache empties and serves nothing until such a write settles it.
//!
//! Only on SQLite: PostgreSQL instances share the database with others, so no instance knows
//! every write.
//!
//! [`SqliteStore::writer`]: super::SqliteStore

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use uuid::Uuid;

use crate::records::{visible, Task};

/// At most this many tasks are kept (about 300 bytes each for a short task): when full, the
/// cache starts over empty. Rows, not responses: a request for anything else misses and reads.
const CAPACITY: usize = 16_384;

/// A task and the owner of its list, which is all the visibility rule needs.
#[derive(Clone)]
pub(super) struct Cached {
    pub task: Task,
    pub list_owner: Option<Uuid>,
}

#[derive(Default)]
pub(super) struct TaskCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Counts settled writes; a fill carries the value it saw when it missed.
    generation: u64,
    /// Set by an abandoned write; cleared by the next write that settles.
    suspended: bool,
    rows: HashMap<Uuid, Cached>,
}

/// What a lookup found.
pub(super) enum Lookup {
    /// The task as `owner` sees it: `None` when its list is not visible to them.
    Hit(Option<Task>),
    /// Not known: read it, then [`TaskCache::fill`] with this ticket.
    Miss(Ticket),
}

/// The generation a miss saw.
#[derive(Clone, Copy)]
pub(super) struct Ticket(u64);

impl TaskCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Every change leaves `Inner` whole (no panics between its steps), so a poisoned lock
        // holds a consistent state.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn lookup(&self, id: Uuid, owner: Option<Uuid>) -> Lookup {
        let inner = self.lock();
        match inner.rows.get(&id) {
            Some(c) if !inner.suspended => {
                Lookup::Hit(visible(c.list_owner, owner).then(|| c.task.clone()))
            }
            _ => Lookup::Miss(Ticket(inner.generation)),
        }
    }

    /// The entry itself, for a writer that holds the writer connection (nothing can change it).
    pub(super) fn get(&self, id: Uuid) -> Option<Cached> {
        let inner = self.lock();
        match inner.suspended {
            true => None,
            false => inner.rows.get(&id).cloned(),
        }
    }

    /// Keeps what a reader read after missing with `ticket`, unless a write settled since.
    pub(super) fn fill(&self, ticket: Ticket, cached: Cached) {
        let mut inner = self.lock();
        if inner.suspended || inner.generation != ticket.0 {
            return;
        }
        if inner.rows.len() >= CAPACITY && !inner.rows.contains_key(&cached.task.id) {
            inner.rows.clear();
        }
        inner.rows.insert(cached.task.id, cached);
    }

    /// Starts a write: take it right after the writer connection, settle it after the write's
    /// statements. Dropped unsettled, it empties and suspends the cache.
    pub(super) fn write(&self) -> Write<'_> {
        Write {
            cache: self,
            settled: false,
        }
    }
}

/// A write in progress on the writer connection.
#[must_use = "a write left unsettled suspends the cache"]
pub(super) struct Write<'a> {
    cache: &'a TaskCache,
    settled: bool,
}

impl Write<'_> {
    /// The task is now `cached`.
    pub(super) fn put(self, cached: Cached) {
        self.settle(|rows| {
            rows.insert(cached.task.id, cached);
        });
    }

    /// The task is gone (or no longer known).
    pub(super) fn remove(self, id: Uuid) {
        self.settle(|rows| {
            rows.remove(&id);
        });
    }

    /// Any task may be gone (a list and its tasks were deleted).
    pub(super) fn remove_all(self) {
        self.settle(HashMap::clear);
    }

    /// Nothing changed.
    pub(super) fn unchanged(mut self) {
        self.settled = true;
    }

    fn settle(mut self, change: impl FnOnce(&mut HashMap<Uuid, Cached>)) {
        self.settled = true;
        let mut inner = self.cache.lock();
        inner.generation += 1;
        if inner.suspended {
            // This write ran a statement on the writer after the abandoned one: that one is
            // done, and what is in the database is all there is.
            inner.suspended = false;
            inner.rows.clear();
        }
        change(&mut inner.rows);
    }
}

impl Drop for Write<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let mut inner = self.cache.lock();
            inner.generation += 1;
            inner.suspended = true;
            inner.rows.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{Priority, Timestamp};

    fn cached(title: &str, list_owner: Option<Uuid>) -> Cached {
        Cached {
            task: Task {
                id: Uuid::from_u128(7),
                list_id: Uuid::from_u128(1),
                title: title.to_owned(),
                description: None,
                completed: false,
                priority: Priority::default(),
                categories: Vec::new(),
                due_date: None,
                created_at: Timestamp::from_micros(0),
                updated_at: None,
            },
            list_owner,
        }
    }

    fn hit(cache: &TaskCache, owner: Option<Uuid>) -> Option<Option<String>> {
        match cache.lookup(Uuid::from_u128(7), owner) {
            Lookup::Hit(task) => Some(task.map(|t| t.title)),
            Lookup::Miss(_) => None,
        }
    }

    fn ticket(cache: &TaskCache) -> Ticket {
        match cache.lookup(Uuid::from_u128(7), None) {
            Lookup::Miss(ticket) => ticket,
            Lookup::Hit(_) => panic!("expected a miss"),
        }
    }

    #[test]
    fn a_filled_task_is_served_by_the_visibility_rule() {
        let cache = TaskCache::default();
        let owner = Some(Uuid::from_u128(42));
        cache.fill(ticket(&cache), cached("mine", owner));
        assert_eq!(hit(&cache, owner), Some(Some("mine".into())));
        assert_eq!(hit(&cache, Some(Uuid::from_u128(43))), Some(None));
        assert_eq!(hit(&cache, None), Some(None));
    }

    #[test]
    fn a_fill_that_missed_before_a_write_settled_is_dropped() {
        let cache = TaskCache::default();
        let stale = ticket(&cache);
        cache.write().put(cached("new", None));
        cache.fill(stale, cached("old", None));
        assert_eq!(hit(&cache, None), Some(Some("new".into())));

        let stale = match cache.lookup(Uuid::from_u128(99), None) {
            Lookup::Miss(ticket) => ticket,
            Lookup::Hit(_) => panic!("unknown id"),
        };
        cache.write().remove(Uuid::from_u128(7));
        cache.fill(stale, cached("old", None));
        assert_eq!(hit(&cache, None), None);
    }

    #[test]
    fn a_write_settled_after_a_fill_overwrites_it() {
        let cache = TaskCache::default();
        let write = cache.write();
        cache.fill(ticket(&cache), cached("read before the commit", None));
        write.put(cached("committed", None));
        assert_eq!(hit(&cache, None), Some(Some("committed".into())));
    }

    #[test]
    fn an_abandoned_write_empties_and_suspends_the_cache_until_a_write_settles() {
        let cache = TaskCache::default();
        cache.fill(ticket(&cache), cached("before", None));
        drop(cache.write());
        assert_eq!(hit(&cache, None), None);
        assert!(cache.get(Uuid::from_u128(7)).is_none());
        cache.fill(ticket(&cache), cached("while suspended", None));
        assert_eq!(hit(&cache, None), None);

        cache.write().unchanged();
        cache.fill(ticket(&cache), cached("still suspended", None));
        assert_eq!(hit(&cache, None), None);

        cache.write().remove(Uuid::from_u128(8));
        cache.fill(ticket(&cache), cached("after", None));
        assert_eq!(hit(&cache, None), Some(Some("after".into())));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = TaskCache::default();
        for n in 0..CAPACITY as u128 {
            let mut row = cached("t", None);
            row.task.id = Uuid::from_u128(1000 + n);
            cache.fill(Ticket(0), row);
        }
        assert_eq!(cache.lock().rows.len(), CAPACITY);
        cache.fill(Ticket(0), cached("one more", None));
        assert_eq!(cache.lock().rows.len(), 1);
        assert_eq!(hit(&cache, None), Some(Some("one more".into())));
    }
}
