//! GraphQL subscriptions on `/graphql/ws`, over real sockets, in both subprotocols: the events
//! of REST and GraphQL changes, visibility, list deletion, and the subscription cap.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::helpers::{expect, spawn_app, spawn_app_with, TestApp};
use crate::ws::{GqlWs, LEGACY_WS, TRANSPORT_WS};

const PROTOCOLS: [&str; 2] = [TRANSPORT_WS, LEGACY_WS];

async fn create_task_graphql(app: &TestApp, token: Option<&str>, list: &str, title: &str) -> String {
    let (_, body) = app
        .graphql(
            token,
            "mutation($l: ID!, $t: String!) { createTask(listId: $l, input: {title: $t}) { id } }",
            json!({"l": list, "t": title}),
        )
        .await;
    body["data"]["createTask"]["id"].as_str().expect("created").to_owned()
}

#[tokio::test]
async fn rest_and_graphql_changes_arrive_as_events_in_both_protocols() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "Groceries").await;
    for protocol in PROTOCOLS {
        let mut conn = GqlWs::connect(&app.base, protocol, Some(&token)).await;
        conn.subscribe("1", &list).await;

        let rest = app.task(Some(&token), &list, json!({"title": "Milk"})).await;
        let gql = create_task_graphql(&app, Some(&token), &list, "Eggs").await;
        let res = app.patch(&format!("/tasks/{rest}"), Some(&token), json!({"title": "Oat milk"})).await;
        expect(res, StatusCode::OK).await;
        let (_, body) = app
            .graphql(Some(&token), "mutation($id: ID!) { deleteTask(id: $id) }", json!({"id": gql}))
            .await;
        assert_eq!(body["data"]["deleteTask"], json!(gql));

        let created = conn.event("1").await;
        assert_eq!(created["kind"], "CREATED", "{protocol}");
        assert_eq!(created["taskId"], json!(rest));
        assert_eq!(created["listId"], json!(list));
        assert_eq!(created["task"]["title"], "Milk");
        assert_eq!(created["task"]["list"]["id"], json!(list), "Task.list resolves");
        let created = conn.event("1").await;
        assert_eq!((&created["kind"], &created["taskId"]), (&json!("CREATED"), &json!(gql)));
        let updated = conn.event("1").await;
        assert_eq!(updated["kind"], "UPDATED");
        assert_eq!(updated["task"]["title"], "Oat milk");
        let deleted = conn.event("1").await;
        assert_eq!(deleted["kind"], "DELETED");
        assert_eq!(deleted["task"], serde_json::Value::Null);
        assert_eq!(deleted["taskId"], json!(gql));
        expect(app.delete(&format!("/tasks/{rest}"), Some(&token)).await, StatusCode::NO_CONTENT).await;
        assert_eq!(conn.event("1").await["kind"], "DELETED");
    }
}

#[tokio::test]
async fn visibility_is_that_of_queries_and_an_invisible_list_fails_only_its_operation() {
    let app = spawn_app().await;
    let (alice, _) = app.signup("alice").await;
    let (bob, _) = app.signup("bob").await;
    let private = app.list(Some(&alice), "Alice's").await;
    let shared = app.list(None, "Shared").await;
    for protocol in PROTOCOLS {
        for token in [Some(bob.as_str()), None] {
            let mut conn = GqlWs::connect(&app.base, protocol, token).await;
            conn.subscribe("hidden", &private).await;
            let payload = conn.data("hidden").await;
            assert_eq!(payload["errors"][0]["extensions"]["code"], "NOT_FOUND", "{payload}");
            conn.expect_complete("hidden").await;
            // The socket stays open: a visible list still works on it.
            conn.subscribe("shared", &shared).await;
            app.task(None, &shared, json!({"title": "Seen by all"})).await;
            assert_eq!(conn.event("shared").await["kind"], "CREATED");
        }
        let mut owner = GqlWs::connect(&app.base, protocol, Some(&alice)).await;
        owner.subscribe("mine", &private).await;
        app.task(Some(&alice), &private, json!({"title": "Mine"})).await;
        assert_eq!(owner.event("mine").await["task"]["title"], "Mine");
        let mut conn = GqlWs::connect(&app.base, protocol, None).await;
        conn.subscribe("bad", "not-a-uuid").await;
        let payload = conn.data("bad").await;
        assert_eq!(payload["errors"][0]["extensions"]["code"], "VALIDATION_ERROR");
    }
}

#[tokio::test]
async fn deleting_the_list_completes_its_subscriptions() {
    let app = spawn_app().await;
    for protocol in PROTOCOLS {
        let list = app.list(None, "Doomed").await;
        let mut conn = GqlWs::connect(&app.base, protocol, None).await;
        conn.subscribe("1", &list).await;
        expect(app.delete(&format!("/lists/{list}"), None).await, StatusCode::NO_CONTENT).await;
        conn.expect_complete("1").await;
    }
}

#[tokio::test]
async fn a_connection_holds_at_most_the_configured_subscriptions() {
    let app = spawn_app_with(&[("GRAPHQL_WS_MAX_SUBSCRIPTIONS", "2")]).await;
    let list = app.list(None, "Popular").await;
    for protocol in PROTOCOLS {
        let mut conn = GqlWs::connect(&app.base, protocol, None).await;
        conn.subscribe("1", &list).await;
        conn.subscribe("2", &list).await;
        conn.subscribe("3", &list).await;
        let refused = conn.data("3").await;
        assert_eq!(refused["errors"][0]["extensions"]["code"], "RATE_LIMITED", "{refused}");
        conn.expect_complete("3").await;
        // Stopping one frees its place.
        conn.stop("2").await;
        conn.expect_complete("2").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        conn.subscribe("4", &list).await;
        app.task(None, &list, json!({"title": "x"})).await;
        let mut seen = vec![];
        for _ in 0..2 {
            let message = conn.message().await;
            seen.push(message["id"].as_str().unwrap().to_owned());
        }
        seen.sort();
        assert_eq!(seen, ["1", "4"], "{protocol}");
    }
}

#[tokio::test]
async fn queries_and_mutations_are_refused_on_the_websocket() {
    let app = spawn_app().await;
    let mut conn = GqlWs::connect(&app.base, TRANSPORT_WS, None).await;
    conn.start("q", "{ lists { id } }", json!({})).await;
    let payload = conn.data("q").await;
    assert_eq!(payload["errors"][0]["extensions"]["code"], "VALIDATION_ERROR", "{payload}");
    assert!(payload["errors"][0]["message"].as_str().unwrap().contains("POST /graphql"));
}

#[tokio::test]
async fn subscriptions_are_counted_in_metrics() {
    let app = spawn_app().await;
    let list = app.list(None, "Watched").await;
    let mut conn = GqlWs::connect(&app.base, TRANSPORT_WS, None).await;
    conn.subscribe("1", &list).await;
    let text = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    for gauge in ["graphql_subscriptions_active", "graphql_ws_connections_active"] {
        let line = text.lines().find(|l| l.starts_with(gauge)).expect(gauge);
        let count: f64 = line.split_whitespace().last().unwrap().parse().unwrap();
        assert!(count >= 1.0, "{line}");
    }
}
