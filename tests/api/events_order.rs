//! Events follow commit order per list, whatever the number of concurrent writers: the last
//! event of a task is its final state, and each writer's own changes arrive in the order it
//! made them, none lost or repeated.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::json;

use crate::sse::Sse;
use super::helpers::{expect, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_on_one_list_produce_events_in_commit_order() {
    let app = std::sync::Arc::new(spawn_app().await);
    let list = app.list(None, "Contended").await;
    let mut sse = Sse::open(&app.base, &list, None).await;
    let task = app.task(None, &list, json!({"title": "start"})).await;
    assert_eq!(sse.event().await["taskId"], json!(task));

    const WRITERS: usize = 8;
    const EACH: usize = 10;
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let (app, list, task) = (app.clone(), list.clone(), task.clone());
        writers.spawn(async move {
            for n in 0..EACH {
                // One change to the shared task, one new task of this writer's own.
                let title = format!("w{w}-{n}");
                let res = app.patch(&format!("/tasks/{task}"), None, json!({"title": title})).await;
                expect(res, StatusCode::OK).await;
                app.task(None, &list, json!({"title": title})).await;
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.expect("writer");
    }

    let mut last_title = String::new();
    let mut last_updated_at = String::new();
    let mut next_of: HashMap<String, usize> = HashMap::new();
    for _ in 0..WRITERS * EACH * 2 {
        let event = sse.event().await;
        let title = event["task"]["title"].as_str().unwrap().to_owned();
        match event["kind"].as_str().unwrap() {
            "UPDATED" => {
                let at = event["task"]["updatedAt"].as_str().unwrap().to_owned();
                assert!(at >= last_updated_at, "updates out of order: {at} after {last_updated_at}");
                (last_title, last_updated_at) = (title, at);
            }
            "CREATED" => {
                let (writer, n) = title.split_once('-').unwrap();
                let expected = next_of.entry(writer.to_owned()).or_default();
                assert_eq!(n.parse::<usize>().unwrap(), *expected, "{writer}'s creations in order");
                *expected += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(next_of.values().all(|n| *n == EACH), "{next_of:?}");
    let current = expect(app.get(&format!("/tasks/{task}"), None).await, StatusCode::OK).await;
    assert_eq!(current["title"], json!(last_title), "the last event is the committed state");
}
