//! The task cache on a real database file: what a read returns is never older than the last
//! acknowledged write, whatever reads ran before or beside it, and a write abandoned mid-flight
//! leaves nothing stale behind.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use tempfile::TempDir;

use super::tests_healing::{outsider, store};
use super::*;
use crate::records::{Task, TaskQuery, Timestamp, TodoList, User};
use crate::store::Checked;

async fn user(store: &SqliteStore) -> Option<Uuid> {
    let user = User {
        id: Uuid::new_v4(),
        username: "alice".into(),
        email: "alice@example.com".into(),
        created_at: Timestamp::now(),
        updated_at: None,
    };
    assert!(store.insert_user(&user, "hash").await.expect("a user"));
    Some(user.id)
}

pub(super) async fn list(store: &SqliteStore, owner: Option<Uuid>) -> Uuid {
    let list = TodoList {
        id: Uuid::new_v4(),
        title: "list".into(),
        description: None,
        owner_id: owner,
        created_at: Timestamp::now(),
        updated_at: None,
    };
    store.insert_list(&list).await.expect("a list");
    list.id
}

/// A task of `list_id` titled `title`, not yet stored.
pub(super) fn new_task(list_id: Uuid, title: &str) -> Task {
    Task {
        id: Uuid::new_v4(),
        list_id,
        title: title.into(),
        description: None,
        completed: false,
        priority: Default::default(),
        categories: Vec::new(),
        due_date: None,
        created_at: Timestamp::now(),
        updated_at: None,
    }
}

async fn task(store: &SqliteStore, list_id: Uuid) -> Uuid {
    let task = new_task(list_id, "0");
    assert!(store.insert_task(None, &task).await.expect("a task"));
    task.id
}

async fn title(store: &SqliteStore, owner: Option<Uuid>, id: Uuid) -> Option<String> {
    match store.task(owner, id, None).await.expect("a read") {
        Checked::Valid(found) => found.map(|t| t.title),
        Checked::Revoked => panic!("no token was given to check"),
    }
}

fn retitle(title: String) -> impl FnOnce(&Task) -> Task + Send {
    move |t: &Task| Task { title, ..t.clone() }
}

/// The service never hands SQLite a token to check (it knows every revocation here), but a read
/// given one answers exactly, cached task or not.
#[tokio::test]
async fn a_read_given_a_revoked_token_reads_nothing() {
    let dir = TempDir::new().expect("a folder");
    let store = store(&dir).await;
    let alice = user(&store).await.expect("a user id");
    let id = task(&store, list(&store, None).await).await;
    let list_id = list(&store, None).await;
    let (valid, revoked) = (Uuid::new_v4(), Uuid::new_v4());
    let expires = Timestamp::from_micros(Timestamp::now().micros() + 60_000_000);
    store
        .revoke(revoked, alice, expires)
        .await
        .expect("a revocation");
    assert_eq!(
        title(&store, None, id).await.as_deref(),
        Some("0"),
        "now cached"
    );
    let read = store.task(None, id, Some(valid)).await.expect("a read");
    assert!(matches!(read, Checked::Valid(Some(_))), "{read:?}");
    let read = store.task(None, id, Some(revoked)).await.expect("a read");
    assert!(matches!(read, Checked::Revoked), "{read:?}");
    let query = TaskQuery::default();
    let page = store.tasks(None, list_id, &query, Some(valid)).await;
    assert!(matches!(page, Ok(Checked::Valid(Some(_)))), "{page:?}");
    let page = store.tasks(None, list_id, &query, Some(revoked)).await;
    assert!(matches!(page, Ok(Checked::Revoked)), "{page:?}");
}

#[tokio::test]
async fn reads_follow_changes_moves_and_deletes() {
    let dir = TempDir::new().expect("a folder");
    let store = store(&dir).await;
    let alice = user(&store).await;
    let public = list(&store, None).await;
    let private = list(&store, alice).await;
    let id = task(&store, public).await;

    assert_eq!(title(&store, None, id).await.as_deref(), Some("0"));
    store
        .update_task(None, id, retitle("1".into()))
        .await
        .expect("a change");
    assert_eq!(title(&store, None, id).await.as_deref(), Some("1"));

    // Moved into Alice's list: from now on only she sees it.
    store
        .update_task(alice, id, move |t| Task {
            list_id: private,
            ..t.clone()
        })
        .await
        .expect("a move");
    assert_eq!(title(&store, None, id).await, None);
    assert_eq!(title(&store, alice, id).await.as_deref(), Some("1"));

    store.delete_list(alice, private).await.expect("a delete");
    assert_eq!(title(&store, alice, id).await, None);

    let other = task(&store, public).await;
    assert_eq!(title(&store, None, other).await.as_deref(), Some("0"));
    assert!(store.delete_task(None, other).await.expect("a delete"));
    assert_eq!(title(&store, None, other).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_read_after_an_acknowledged_write_never_sees_an_older_one() {
    let dir = TempDir::new().expect("a folder");
    let store = Arc::new(store(&dir).await);
    let id = task(&store, list(&store, None).await).await;
    let acknowledged = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    // Readers that fill the cache all the time, each checking that what it read is at least
    // what had been acknowledged when its read started.
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let (store, acknowledged, done) = (store.clone(), acknowledged.clone(), done.clone());
            tokio::spawn(async move {
                let mut reads = 0;
                while !done.load(Ordering::SeqCst) {
                    let floor = acknowledged.load(Ordering::SeqCst);
                    let seen: u64 = title(&store, None, id)
                        .await
                        .and_then(|t| t.parse().ok())
                        .expect("the task");
                    assert!(seen >= floor, "read {seen} after {floor} was acknowledged");
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for n in 1..=300_u64 {
        store
            .update_task(None, id, retitle(n.to_string()))
            .await
            .expect("a change");
        acknowledged.store(n, Ordering::SeqCst);
    }
    done.store(true, Ordering::SeqCst);
    for reader in readers {
        assert!(reader.await.expect("a reader") > 0);
    }
    assert_eq!(title(&store, None, id).await.as_deref(), Some("300"));
}

#[tokio::test]
async fn a_write_abandoned_mid_statement_leaves_nothing_stale() {
    let dir = TempDir::new().expect("a folder");
    let store = store(&dir).await;
    let id = task(&store, list(&store, None).await).await;
    assert_eq!(title(&store, None, id).await.as_deref(), Some("0"));

    // Another connection holds the write lock, so the UPDATE below waits inside SQLite's worker
    // thread, and commits only after its future is gone.
    let mut outsider = outsider(&dir).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut outsider)
        .await
        .expect("the write lock");
    let write = store.update_task(None, id, retitle("abandoned".into()));
    assert!(tokio::task::unconstrained(write).now_or_never().is_none());
    // Read while the abandoned UPDATE waits: the old title, which must not stay in memory.
    assert_eq!(title(&store, None, id).await.as_deref(), Some("0"));
    sqlx::query("COMMIT")
        .execute(&mut outsider)
        .await
        .expect("the lock released");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(title(&store, None, id).await.as_deref(), Some("abandoned"));

    store
        .update_task(None, id, retitle("next".into()))
        .await
        .expect("a change");
    assert_eq!(title(&store, None, id).await.as_deref(), Some("next"));
    // Settled again: the cache serves the entry the writer just put there.
    assert!(matches!(
        store.cache.lookup(id, None),
        cache::Lookup::Hit(Some(_))
    ));
}
