//! Live events across two real server processes on one PostgreSQL database: a change made
//! through one instance reaches the subscribers and event streams of the other, in commit order
//! per list, and a logout through one ends the streams of that token on the other.

use std::collections::HashMap;

use reqwest::Client;
use serde_json::json;

use crate::instances::{post, signup, two_instances};
use crate::sse::Sse;
use crate::ws::{GqlWs, LEGACY_WS, TRANSPORT_WS};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_through_one_instance_reaches_subscribers_of_the_other() {
    let (_db, a, b) = two_instances().await;
    let client = Client::new();
    let token = signup(&client, &a.base, "alice").await;
    let t = Some(token.as_str());
    let list = post(&client, &a.base, "/lists", t, json!({"title": "Shared"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sse = Sse::open(&a.base, &list, t).await;
    let mut modern = GqlWs::connect(&a.base, TRANSPORT_WS, t).await;
    modern.subscribe("1", &list).await;
    let mut legacy = GqlWs::connect(&a.base, LEGACY_WS, t).await;
    legacy.subscribe("1", &list).await;

    let path = format!("/lists/{list}/tasks");
    let task = post(&client, &b.base, &path, t, json!({"title": "From B"})).await;

    let event = sse.event().await;
    assert_eq!(event["kind"], "CREATED");
    assert_eq!(event["task"], task, "the task as B answered it");
    for conn in [&mut modern, &mut legacy] {
        let event = conn.event("1").await;
        assert_eq!(
            (&event["kind"], &event["task"]["title"]),
            (&json!("CREATED"), &json!("From B"))
        );
    }
    let url = format!("{}/api/v1/lists/{list}", b.base);
    let res = client.delete(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::NO_CONTENT);
    sse.expect_end().await;
    modern.expect_complete("1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_on_both_instances_produce_events_in_commit_order_everywhere() {
    let (_db, a, b) = two_instances().await;
    let client = Client::new();
    let list = post(&client, &a.base, "/lists", None, json!({"title": "Busy"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut on_a = Sse::open(&a.base, &list, None).await;
    let mut on_b = Sse::open(&b.base, &list, None).await;
    let task = post(
        &client,
        &a.base,
        &format!("/lists/{list}/tasks"),
        None,
        json!({"title": "0"}),
    )
    .await;
    let task = task["id"].as_str().unwrap().to_owned();
    for sse in [&mut on_a, &mut on_b] {
        assert_eq!(sse.event().await["taskId"], json!(task));
    }

    const WRITERS: usize = 6;
    const EACH: usize = 10;
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..WRITERS {
        let base = if w % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let (client, list, task) = (client.clone(), list.clone(), task.clone());
        writers.spawn(async move {
            for n in 0..EACH {
                let title = format!("w{w}-{n}");
                let url = format!("{base}/api/v1/tasks/{task}");
                let res = client
                    .patch(url)
                    .json(&json!({"title": title}))
                    .send()
                    .await
                    .unwrap();
                assert!(res.status().is_success());
                post(
                    &client,
                    &base,
                    &format!("/lists/{list}/tasks"),
                    None,
                    json!({"title": title}),
                )
                .await;
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.expect("writer");
    }
    let mut seen_by = Vec::new();
    for sse in [&mut on_a, &mut on_b] {
        let mut order = Vec::new();
        let mut next_of: HashMap<String, usize> = HashMap::new();
        for _ in 0..WRITERS * EACH * 2 {
            let event = sse.event().await;
            let title = event["task"]["title"].as_str().unwrap().to_owned();
            if event["kind"] == "CREATED" {
                let (writer, n) = title.split_once('-').unwrap();
                let expected = next_of.entry(writer.to_owned()).or_default();
                assert_eq!(n.parse::<usize>().unwrap(), *expected, "{writer} in order");
                *expected += 1;
            }
            order.push((event["kind"].clone(), event["taskId"].clone()));
        }
        seen_by.push(order);
    }
    assert_eq!(
        seen_by[0], seen_by[1],
        "both instances see one commit order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_through_one_instance_ends_that_tokens_streams_on_the_other() {
    let (_db, a, b) = two_instances().await;
    let client = Client::new();
    let token = signup(&client, &a.base, "alice").await;
    let t = Some(token.as_str());
    let list = post(&client, &a.base, "/lists", t, json!({"title": "Mine"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sse = Sse::open(&a.base, &list, t).await;
    let mut conn = GqlWs::connect(&a.base, TRANSPORT_WS, t).await;
    conn.subscribe("1", &list).await;
    post(&client, &b.base, "/auth/logout", t, json!({})).await;
    sse.expect_end().await;
    let payload = conn.data("1").await;
    assert_eq!(
        payload["errors"][0]["extensions"]["code"], "UNAUTHORIZED",
        "{payload}"
    );
}
