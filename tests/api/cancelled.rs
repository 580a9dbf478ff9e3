//! Clients that leave mid-request: what was acknowledged stays, and later writes and reads
//! succeed, with nothing left half done in the database.

use std::collections::HashSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;
use crate::sse::Sse;

/// Eight clients at a time post 25 tasks each; three requests in four give up after 1 to 3 ms,
/// wherever they are then (connecting, queued for the writer, in the statement, in the answer).
/// Returns the ids of the tasks whose creation was acknowledged, and how many requests gave up.
async fn post_and_leave(app: &TestApp, list: &str) -> (Vec<String>, usize) {
    let url = app.api(&format!("/lists/{list}/tasks"));
    let mut clients = Vec::new();
    for i in 0..8 {
        let url = url.clone();
        clients.push(tokio::spawn(async move {
            let (mut acked, mut left) = (Vec::new(), 0);
            for j in 0..25_u64 {
                // A client of its own for each request: a request that gives up takes its
                // connection with it, as a client that goes away does.
                let mut req = reqwest::Client::new()
                    .post(&url)
                    .json(&json!({"title": format!("t{i}-{j}")}));
                if j % 4 != 0 {
                    req = req.timeout(Duration::from_millis(j % 4));
                }
                let res = match req.send().await {
                    Ok(res) => res,
                    Err(e) if e.is_timeout() => {
                        left += 1;
                        continue;
                    }
                    Err(e) => panic!("client {i}: {e}"),
                };
                assert_eq!(res.status(), StatusCode::CREATED, "client {i}");
                match res.json::<Value>().await {
                    Ok(body) => acked.push(body["id"].as_str().expect("an id").to_owned()),
                    Err(e) if e.is_timeout() => left += 1,
                    Err(e) => panic!("client {i}: {e}"),
                }
            }
            (acked, left)
        }));
    }
    let (mut acked, mut left) = (Vec::new(), 0);
    for client in clients {
        let (ids, gone) = client.await.expect("a client finished");
        acked.extend(ids);
        left += gone;
    }
    (acked, left)
}

/// `X-Total-Count` of the list's tasks, as the service reads it.
async fn total(app: &TestApp, list: &str) -> i64 {
    let res = app.get(&format!("/lists/{list}/tasks?limit=1"), None).await;
    let total = res.headers()["x-total-count"].to_str().expect("ascii");
    total.parse().expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_that_leave_mid_write_lose_nothing_that_was_acknowledged() {
    let app = spawn_app().await;
    let list = app.list(None, "busy").await;
    let (acked, left) = post_and_leave(&app, &list).await;
    assert!(left > 0, "no request gave up: the test cut nothing");
    assert!(!acked.is_empty());

    let unique: HashSet<&String> = acked.iter().collect();
    assert_eq!(unique.len(), acked.len());
    for id in &acked {
        expect(app.get(&format!("/tasks/{id}"), None).await, StatusCode::OK).await;
    }
    let stored = total(&app, &list).await;
    assert!(stored >= i64::try_from(acked.len()).expect("small"));
    assert!(stored <= 200, "{stored} tasks from 200 requests");
    // Another connection to the database, as another process, sees what the service sees.
    assert_eq!(app.db().count("tasks").await, stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn after_clients_leave_mid_write_each_write_is_visible_at_once() {
    let app = spawn_app().await;
    let list = app.list(None, "busy").await;
    post_and_leave(&app, &list).await;

    // Were a write left inside an open transaction, readers and other processes would not see
    // the writes after it.
    let before = total(&app, &list).await;
    for n in 1..=5 {
        let id = app
            .task(None, &list, json!({"title": format!("after {n}")}))
            .await;
        expect(app.get(&format!("/tasks/{id}"), None).await, StatusCode::OK).await;
        assert_eq!(total(&app, &list).await, before + n);
        assert_eq!(app.db().count("tasks").await, before + n);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_stored_write_is_announced_even_when_its_client_left() {
    let app = spawn_app().await;
    let list = app.list(None, "busy").await;
    let mut sse = Sse::open(&app.base, &list, None).await;
    post_and_leave(&app, &list).await;
    // Writes whose clients left finish on their own; then one last write marks the end.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let marker = app.task(None, &list, json!({"title": "last"})).await;

    let mut announced = HashSet::new();
    loop {
        let event = sse.event().await;
        assert_eq!(event["kind"], "CREATED");
        let id = event["taskId"].as_str().expect("a task id").to_owned();
        if id == marker {
            break;
        }
        announced.insert(id);
    }
    let page = app.get(&format!("/lists/{list}/tasks?limit=1000"), None).await;
    let page = expect(page, StatusCode::OK).await;
    let stored: HashSet<String> = page
        .as_array()
        .expect("a page of tasks")
        .iter()
        .map(|t| t["id"].as_str().expect("an id").to_owned())
        .filter(|id| *id != marker)
        .collect();
    let unheard: Vec<_> = stored.difference(&announced).collect();
    let phantom: Vec<_> = announced.difference(&stored).collect();
    assert!(
        unheard.is_empty() && phantom.is_empty(),
        "of {} stored tasks, {} were never announced; {} announced tasks are not stored",
        stored.len(),
        unheard.len(),
        phantom.len()
    );
}
