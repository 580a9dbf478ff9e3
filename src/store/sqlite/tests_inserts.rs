//! New tasks committed in groups (`inserts.rs`), on real database files: inserts queued while
//! the writer is busy each get their own answer, exactly the acknowledged ones are stored,
//! their events come once each in commit order, and inserts whose callers gave up are still
//! committed whole without leaving a transaction open.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use futures_util::FutureExt;
use tempfile::TempDir;

use super::tests_cache::{list, new_task};
use super::tests_healing::{outsider, store};
use super::*;
use crate::records::Task;
use crate::store::Change;

/// Ids of the stored tasks, in insertion (commit) order.
async fn stored(store: &SqliteStore) -> Vec<Uuid> {
    let rows = sqlx::query("SELECT id FROM tasks ORDER BY rowid")
        .fetch_all(&mut store.reader().await.expect("a reader"))
        .await
        .expect("the tasks");
    rows.iter()
        .map(|row| uuid_column(row, "id").expect("an id"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_answers_each_insert_and_stores_exactly_the_acknowledged_ones() {
    let dir = TempDir::new().expect("a folder");
    let store = Arc::new(store(&dir).await);
    let list = list(&store, None).await;
    let mut events = store.feed.subscribe();

    // The writer held: every insert below queues, and they run as groups once it is free.
    let held = store.writer.acquire().await.expect("the writer");
    let mut tasks: Vec<Task> = (0..30).map(|n| new_task(list, &n.to_string())).collect();
    let twin = Task {
        title: "twin".into(),
        ..tasks[7].clone()
    };
    tasks.push(twin);
    tasks.push(new_task(Uuid::new_v4(), "no such list"));
    let calls: Vec<_> = tasks
        .iter()
        .cloned()
        .map(|task| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.insert_task(None, &task).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(held);
    let answers: Vec<AppResult<bool>> = join_all(calls)
        .await
        .into_iter()
        .map(|joined| joined.expect("the call's task"))
        .collect();

    // The list that does not exist: false. The two inserts of one id: one stored, one error.
    assert!(matches!(answers[31], Ok(false)), "{:?}", answers[31]);
    let twins = [&answers[7], &answers[30]];
    assert_eq!(
        twins.iter().filter(|a| matches!(a, Ok(true))).count(),
        1,
        "{twins:?}"
    );
    assert_eq!(twins.iter().filter(|a| a.is_err()).count(), 1, "{twins:?}");
    let acknowledged: Vec<Uuid> = tasks
        .iter()
        .zip(&answers)
        .filter(|(_, answer)| matches!(answer, Ok(true)))
        .map(|(task, _)| task.id)
        .collect();
    assert_eq!(acknowledged.len(), 30);
    for (task, answer) in tasks.iter().zip(&answers).take(30) {
        assert!(
            matches!(answer, Ok(true)) || task.id == tasks[7].id,
            "{answer:?}"
        );
    }

    let mut order = stored(&store).await;
    let mut sorted = order.clone();
    sorted.sort();
    let mut expected = acknowledged.clone();
    expected.sort();
    expected.dedup();
    assert_eq!(
        sorted, expected,
        "exactly the acknowledged inserts are stored"
    );

    // One event per stored task, in the order they were committed.
    let mut heard = Vec::new();
    while let Ok(change) = events.try_recv() {
        if let Change::Task { task_id, .. } = change {
            heard.push(task_id);
        }
    }
    assert_eq!(heard, order, "events in commit order, once each");
    order.dedup();
    assert_eq!(order.len(), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inserts_whose_callers_gave_up_commit_whole_and_leave_no_transaction() {
    let dir = TempDir::new().expect("a folder");
    let store = Arc::new(store(&dir).await);
    let list = list(&store, None).await;

    let held = store.writer.acquire().await.expect("the writer");
    let tasks: Vec<Task> = (0..10).map(|n| new_task(list, &n.to_string())).collect();
    for task in &tasks {
        // Polled once (queued), then dropped: the caller is gone.
        let call = store.insert_task(None, task);
        assert!(
            call.now_or_never().is_none(),
            "an insert waits for the writer"
        );
    }
    drop(held);

    let mut found = Vec::new();
    for _ in 0..100 {
        found = stored(&store).await;
        if found.len() == tasks.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    found.sort();
    let mut expected: Vec<Uuid> = tasks.iter().map(|t| t.id).collect();
    expected.sort();
    assert_eq!(found, expected, "every queued insert is committed");

    // No transaction left open: another connection (which does not wait for locks) can write.
    let mut other = outsider(&dir).await;
    sqlx::query("UPDATE tasks SET title = 'x' WHERE id = ?")
        .bind(tasks[0].id.hyphenated())
        .execute(&mut other)
        .await
        .expect("the database is not locked");
    // And the store goes on answering.
    let later = new_task(list, "later");
    assert!(store.insert_task(None, &later).await.expect("an insert"));
}
