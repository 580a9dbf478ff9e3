//! Slots that heal: a broken connection is replaced on next use, a closed store stays closed,
//! and requests dropped mid-statement leave their connection usable and outside a transaction.
//! Each test runs on a real database file of its own.

use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use sqlx::sqlite::{SqliteConnectOptions, SqliteOwnedBuf};
use sqlx::{ConnectOptions, Connection, SqliteConnection};
use tempfile::TempDir;

use super::slot::{breaks_connection, Slot};
use super::*;
use crate::records::{Page, Timestamp, TodoList};

pub(super) async fn store(dir: &TempDir) -> SqliteStore {
    SqliteStore::connect(&url(dir), "NORMAL", ChangeFeed::default())
        .await
        .expect("the store opens")
}

fn url(dir: &TempDir) -> String {
    format!("sqlite://{}", dir.path().join("todo.db").display())
}

/// A connection of another process, as far as SQLite can tell: it shares nothing with the
/// store's, and does not wait for locks.
pub(super) async fn outsider(dir: &TempDir) -> SqliteConnection {
    SqliteConnectOptions::from_str(&url(dir))
        .expect("url")
        .busy_timeout(Duration::ZERO)
        .connect()
        .await
        .expect("an outside connection")
}

fn list(title: &str) -> TodoList {
    TodoList {
        id: Uuid::new_v4(),
        title: title.to_owned(),
        description: None,
        owner_id: None,
        created_at: Timestamp::now(),
        updated_at: None,
    }
}

/// Points the slot's connection at bytes that are not a database, through sqlx's own
/// `deserialize`: from then on SQLite answers every statement on it with SQLITE_NOTADB, as it
/// does through a handle whose file was replaced or damaged under it.
async fn break_connection(slot: &Slot) {
    slot.with_raw(async |conn| {
        let garbage = SqliteOwnedBuf::try_from(&[0xA5_u8; 4096][..]).expect("a buffer");
        conn.deserialize(None, garbage, false)
            .await
            .expect("the handle now reads garbage");
    })
    .await;
}

/// Leaves a temporary table on the slot's connection: it exists on that connection only, so
/// [`same_connection`] tells a kept connection from a fresh one.
async fn mark(slot: &Slot) {
    slot.with_raw(async |conn| {
        sqlx::query("CREATE TEMP TABLE marker (x)")
            .execute(conn)
            .await
            .expect("marked");
    })
    .await;
}

async fn same_connection(slot: &Slot) -> bool {
    slot.with_raw(async |conn| sqlx::query("SELECT 1 FROM temp.marker").execute(conn).await)
        .await
        .is_ok()
}

#[tokio::test]
async fn a_broken_writer_fails_one_write_and_the_next_writes_and_reads_succeed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    let before = list("before");
    store.insert_list(&before).await.expect("a first write");
    mark(&store.writer).await;

    break_connection(&store.writer).await;
    let err = store.insert_list(&list("lost")).await.unwrap_err();
    assert!(matches!(err, AppError::Internal(_)), "{err:?}");

    let after = list("after");
    store
        .insert_list(&after)
        .await
        .expect("the writer is fresh");
    assert!(
        !same_connection(&store.writer).await,
        "the writer was replaced"
    );
    for id in [before.id, after.id] {
        let found = store.list(None, id).await.expect("a read");
        assert_eq!(found.map(|l| l.id), Some(id));
    }
    let page = store.lists(None, Page::first(100)).await.expect("a page");
    assert_eq!(page.total, 2, "the failed write wrote nothing");
}

#[tokio::test]
async fn a_broken_reader_fails_one_read_and_the_next_read_succeeds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    let saved = list("saved");
    store.insert_list(&saved).await.expect("a write");
    // One request at a time: every read takes the first reader, the one broken here.
    break_connection(&store.readers[0]).await;

    assert!(store.list(None, saved.id).await.is_err(), "read on garbage");
    let found = store.list(None, saved.id).await.expect("a fresh reader");
    assert_eq!(found.map(|l| l.title), Some("saved".to_owned()));
}

#[tokio::test]
async fn a_broken_health_probe_is_replaced_within_the_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    let probe = store.probe.as_ref().expect("a file database has a probe");
    mark(probe).await;
    break_connection(probe).await;

    store
        .ping()
        .await
        .expect("the check passes on a fresh probe");
    assert!(!same_connection(probe).await, "the probe was replaced");
    store.ping().await.expect("and again");
}

#[tokio::test]
async fn errors_about_the_statement_or_a_lock_keep_the_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    let first = list("first");
    store.insert_list(&first).await.expect("a write");
    mark(&store.writer).await;

    let duplicate = store.insert_list(&first).await.unwrap_err();
    assert!(matches!(duplicate, AppError::Internal(_)), "{duplicate:?}");
    // sqlx's `Protocol` error, about the statement alone on SQLite.
    let mut conn = store.writer().await.expect("the writer");
    let unnumbered = sqlx::query("SELECT $name")
        .bind(1_i64)
        .execute(&mut conn)
        .await
        .unwrap_err();
    assert!(
        matches!(unnumbered, sqlx::Error::Protocol(_)),
        "{unnumbered}"
    );
    drop(conn);
    store.insert_list(&list("second")).await.expect("a write");
    assert!(
        same_connection(&store.writer).await,
        "kept after statement errors"
    );

    // A real SQLITE_BUSY: another connection holds the write lock, this one does not wait.
    let mut holder = outsider(&dir).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut holder)
        .await
        .expect("lock");
    let mut other = outsider(&dir).await;
    let busy = sqlx::query("DELETE FROM lists")
        .execute(&mut other)
        .await
        .unwrap_err();
    let code = busy.as_database_error().and_then(|e| e.code());
    assert_eq!(code.as_deref(), Some("5"), "{busy}");
    assert!(!breaks_connection(&busy));
    assert!(!breaks_connection(&sqlx::Error::RowNotFound));
    assert!(breaks_connection(&sqlx::Error::WorkerCrashed));
}

#[tokio::test]
async fn a_closed_store_stays_unavailable_even_with_a_broken_connection() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    break_connection(&store.writer).await;
    assert!(store.insert_list(&list("fails")).await.is_err());

    store.close().await;
    let err = store.insert_list(&list("closed")).await.unwrap_err();
    assert!(matches!(err, AppError::Unavailable), "{err:?}");
    assert!(matches!(store.ping().await, Err(AppError::Unavailable)));
    assert!(matches!(
        store.list(None, Uuid::nil()).await,
        Err(AppError::Unavailable)
    ));
}

#[tokio::test]
async fn a_broken_in_memory_database_is_not_replaced_by_an_empty_one() {
    let url = "sqlite://?mode=memory&cache=private";
    let store = SqliteStore::connect(url, "NORMAL", ChangeFeed::default())
        .await
        .expect("in memory");
    assert!(
        store.readers.is_empty() && store.probe.is_none(),
        "one connection"
    );
    break_connection(&store.writer).await;
    assert!(store.insert_list(&list("fails")).await.is_err());
    let err = store.insert_list(&list("again")).await.unwrap_err();
    assert!(matches!(err, AppError::Unavailable), "{err:?}");
}

/// Asserts that the writer is outside any transaction, as sqlx counts and as SQLite says, and
/// that another process can take the write lock at once.
async fn assert_no_transaction_left(store: &SqliteStore, dir: &TempDir) {
    store
        .writer
        .with_raw(async |conn| {
            assert!(!conn.is_in_transaction(), "sqlx counts no transaction");
            // SQLite refuses BEGIN inside a transaction.
            sqlx::query("BEGIN")
                .execute(&mut *conn)
                .await
                .expect("the writer is not inside a transaction");
            sqlx::query("ROLLBACK").execute(conn).await.expect("ended");
        })
        .await;
    let mut outside = outsider(dir).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut outside)
        .await
        .expect("the write lock is free");
    sqlx::query("ROLLBACK")
        .execute(&mut outside)
        .await
        .expect("released");
}

#[tokio::test]
async fn a_write_dropped_mid_statement_commits_whole_and_leaves_no_transaction() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    let slow = list("slow");
    // An insert that counts to three million first; its request is dropped while SQLite runs it.
    let dropped = tokio::time::timeout(Duration::from_millis(20), async {
        let mut conn = store.writer().await?;
        sqlx::query(
            "INSERT INTO lists (id, title, created_at) SELECT ?, 'slow', (WITH RECURSIVE \
             n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) SELECT max(i) FROM n)",
        )
        .bind(slow.id.hyphenated())
        .execute(&mut conn)
        .await?;
        AppResult::Ok(())
    })
    .await;
    assert!(dropped.is_err(), "the write was dropped before it finished");

    let next = list("next");
    store.insert_list(&next).await.expect("the next write");
    let mut outside = outsider(&dir).await;
    let titles: Vec<String> = sqlx::query_scalar("SELECT title FROM lists ORDER BY title")
        .fetch_all(&mut outside)
        .await
        .expect("read from outside");
    assert_eq!(titles, ["next", "slow"], "both committed");
    assert_no_transaction_left(&store, &dir).await;
    let found = store.list(None, slow.id).await.expect("a read");
    assert_eq!(found.map(|l| l.id), Some(slow.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_dropped_at_any_point_lose_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store(&dir).await;
    // One round in three is polled once and dropped, one in three dropped after a millisecond
    // wherever it is then, and the rest run to the end. First one write at a time, so a write
    // polled once has the writer and is dropped right after its statement reached SQLite's
    // thread; then four at a time, so drops also land while a write waits for the writer.
    let mut acked = Vec::new();
    let mut dropped = 0;
    for (width, first) in [(1, 0), (4, 100)] {
        let rounds = (first..first + 100_u32).map(|i| {
            let store = &store;
            async move {
                let item = list(&format!("l{i}"));
                let write = store.insert_list(&item);
                let created = match i % 3 {
                    // Unconstrained: tokio's budget must not make the one poll give up early.
                    0 => tokio::task::unconstrained(write).now_or_never(),
                    1 => tokio::time::timeout(Duration::from_millis(1), write)
                        .await
                        .ok(),
                    _ => Some(write.await),
                };
                (item.id, created)
            }
        });
        let mut rounds = futures_util::stream::iter(rounds).buffer_unordered(width);
        while let Some((id, created)) = rounds.next().await {
            match created {
                Some(result) => {
                    result.expect("a write that ran to the end succeeded");
                    acked.push(id);
                }
                None => dropped += 1,
            }
        }
    }
    assert!(
        dropped > 0 && !acked.is_empty(),
        "{dropped} dropped, {} acknowledged",
        acked.len()
    );

    let last = list("last");
    store
        .insert_list(&last)
        .await
        .expect("a write after the drops");
    acked.push(last.id);
    assert_no_transaction_left(&store, &dir).await;
    let mut outside = outsider(&dir).await;
    let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lists")
        .fetch_one(&mut outside)
        .await
        .expect("count from outside");
    let page = store.lists(None, Page::first(1000)).await.expect("a page");
    assert_eq!(page.total, seen, "the store and another process agree");
    let acknowledged = i64::try_from(acked.len()).unwrap_or(i64::MAX);
    assert!(
        seen > acknowledged,
        "writes dropped after reaching SQLite's thread are committed: {seen} rows, {acknowledged} acknowledged"
    );
    let listed: std::collections::HashSet<Uuid> = page.lists.iter().map(|l| l.id).collect();
    let lost: Vec<_> = acked.iter().filter(|id| !listed.contains(id)).collect();
    assert!(lost.is_empty(), "acknowledged but missing: {lost:?}");
}
