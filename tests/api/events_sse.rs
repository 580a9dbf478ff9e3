//! REST live events: `GET /api/v1/lists/{id}/events` read as a stream by a real HTTP client.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::{expect, spawn_app, spawn_app_with, TestApp, TASK_KEYS};
use crate::sse::Sse;

async fn events(app: &TestApp, list: &str, token: Option<&str>) -> reqwest::Response {
    crate::sse::request(&app.base, list, token).await
}

#[tokio::test]
async fn rest_changes_stream_as_created_updated_deleted_in_order() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "Groceries").await;
    let mut sse = Sse::open(&app.base, &list, Some(&token)).await;

    let task = app.task(Some(&token), &list, json!({"title": "Milk"})).await;
    let res = app.patch(&format!("/tasks/{task}"), Some(&token), json!({"completed": true})).await;
    let updated = expect(res, StatusCode::OK).await;
    expect(app.delete(&format!("/tasks/{task}"), Some(&token)).await, StatusCode::NO_CONTENT).await;

    let created = sse.event().await;
    assert_eq!(created["kind"], "CREATED");
    assert_eq!((&created["taskId"], &created["listId"]), (&json!(task), &json!(list)));
    let mut keys: Vec<_> = created["task"].as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, TASK_KEYS, "the task as GET /tasks/{{id}} shows it");
    let event = sse.event().await;
    assert_eq!(event["kind"], "UPDATED");
    assert_eq!(event["task"], updated, "the task as the PATCH answered it");
    let deleted = sse.event().await;
    assert_eq!(deleted, json!({"kind": "DELETED", "taskId": task, "listId": list, "task": null}));
}

#[tokio::test]
async fn graphql_mutations_reach_the_rest_stream_and_a_move_is_deleted_then_created() {
    let app = spawn_app().await;
    let (from, to) = (app.list(None, "From").await, app.list(None, "To").await);
    let (mut old, mut new) = (Sse::open(&app.base, &from, None).await, Sse::open(&app.base, &to, None).await);
    let (_, body) = app
        .graphql(None, "mutation($l: ID!) { createTask(listId: $l, input: {title: \"Via GraphQL\"}) { id } }", json!({"l": from}))
        .await;
    let task = body["data"]["createTask"]["id"].as_str().unwrap().to_owned();
    let res = app.patch(&format!("/tasks/{task}"), None, json!({"listId": to})).await;
    expect(res, StatusCode::OK).await;

    assert_eq!(old.event().await["kind"], "CREATED");
    let left = old.event().await;
    assert_eq!((&left["kind"], &left["task"]), (&json!("DELETED"), &Value::Null));
    let arrived = new.event().await;
    assert_eq!(arrived["kind"], "CREATED");
    assert_eq!(arrived["task"]["listId"], json!(to));
}

#[tokio::test]
async fn lists_the_caller_cannot_see_are_404_before_any_stream() {
    let app = spawn_app().await;
    let (alice, _) = app.signup("alice").await;
    let (bob, _) = app.signup("bob").await;
    let private = app.list(Some(&alice), "Private").await;
    let shared = app.list(None, "Shared").await;
    for (list, token) in [(&private, Some(&bob)), (&private, None)] {
        let res = events(&app, list, token.map(String::as_str)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(res.json::<Value>().await.unwrap()["code"], "NOT_FOUND");
    }
    let missing = uuid::Uuid::new_v4().to_string();
    assert_eq!(events(&app, &missing, None).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(events(&app, "not-a-uuid", None).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = events(&app, &shared, Some("garbage")).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "a bad token is never anonymous");
    Sse::open(&app.base, &private, Some(&alice)).await;
    Sse::open(&app.base, &shared, Some(&bob)).await;
    Sse::open(&app.base, &shared, None).await;
}

#[tokio::test]
async fn a_quiet_stream_gets_keep_alive_comments() {
    let app = spawn_app_with(&[("EVENTS_KEEP_ALIVE_SECONDS", "1")]).await;
    let list = app.list(None, "Quiet").await;
    let mut sse = Sse::open(&app.base, &list, None).await;
    let started = std::time::Instant::now();
    assert_eq!(sse.block().await.as_deref(), Some(": keep-alive"));
    assert_eq!(sse.block().await.as_deref(), Some(": keep-alive"));
    assert!(started.elapsed() >= Duration::from_millis(1500), "{:?}", started.elapsed());
}

#[tokio::test]
async fn deleting_the_list_ends_its_stream() {
    let app = spawn_app().await;
    let list = app.list(None, "Doomed").await;
    let mut sse = Sse::open(&app.base, &list, None).await;
    expect(app.delete(&format!("/lists/{list}"), None).await, StatusCode::NO_CONTENT).await;
    sse.expect_end().await;
}

#[tokio::test]
async fn logging_out_ends_the_streams_of_that_token_only() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let other = expect(
        app.post("/auth/login", None, json!({"username": "alice", "password": "password-alice"})).await,
        StatusCode::OK,
    )
    .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = app.list(Some(&token), "Mine").await;
    let mut revoked = Sse::open(&app.base, &list, Some(&token)).await;
    let mut kept = Sse::open(&app.base, &list, Some(&other)).await;
    expect(app.post("/auth/logout", Some(&token), json!({})).await, StatusCode::OK).await;
    revoked.expect_end().await;
    app.task(Some(&other), &list, json!({"title": "Still here"})).await;
    assert_eq!(kept.event().await["kind"], "CREATED");
}

#[tokio::test]
async fn a_reader_that_falls_a_buffer_behind_is_dropped() {
    use todo_api::service::events::Ended;
    use todo_api::service::Caller;
    let app = spawn_app_with(&[("EVENTS_BUFFER", "4")]).await;
    let list = app.list(None, "Busy").await;
    let id = list.parse().unwrap();
    let mut watch = app.svc.watch_list(&Caller::Anonymous, id).await.unwrap();
    for i in 0..10 {
        app.task(None, &list, json!({"title": format!("t{i}")})).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(watch.next().await.err(), Some(Ended::TooSlow));
}

#[tokio::test]
async fn open_streams_are_counted_in_metrics() {
    let app = spawn_app().await;
    let list = app.list(None, "Watched").await;
    let sse = Sse::open(&app.base, &list, None).await;
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("sse_streams_active")).expect(&text);
    let count: f64 = line.split_whitespace().last().unwrap().parse().unwrap();
    assert!(count >= 1.0, "{line}");
    drop(sse);
}
