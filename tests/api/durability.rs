//! Concurrent writers never see "database is locked", and a restart on the same file keeps all.

use reqwest::StatusCode;
use serde_json::json;

use super::helpers::*;

/// `clients` clients at once, each with a connection pool of its own as separate users would
/// have, create `each` tasks in `list`; every creation must be 201. Returns the tasks' ids.
async fn create_concurrently(
    app: &TestApp,
    token: &str,
    list: &str,
    clients: usize,
    each: usize,
) -> Vec<String> {
    let mut jobs = Vec::new();
    for i in 0..clients {
        let client = reqwest::Client::new();
        let url = app.api(&format!("/lists/{list}/tasks"));
        let token = token.to_owned();
        jobs.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for j in 0..each {
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"title": format!("task {i}-{j}")}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let body: serde_json::Value = res.json().await.unwrap();
                assert_eq!(status, StatusCode::CREATED, "client {i}: {body}");
                ids.push(body["id"].as_str().unwrap().to_owned());
            }
            ids
        }));
    }
    let mut created = Vec::new();
    for job in jobs {
        created.extend(job.await.expect("client finished without a 5xx"));
    }
    created
}

/// The `X-Total-Count` of a list's tasks.
async fn task_count(app: &TestApp, token: &str, list: &str) -> String {
    let res = app
        .get(&format!("/lists/{list}/tasks?limit=1"), Some(token))
        .await;
    let count = res.headers()["x-total-count"].to_str().unwrap().to_owned();
    expect(res, StatusCode::OK).await;
    count
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_clients_creating_tasks_in_one_list_all_succeed_and_all_are_kept() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "busy").await;

    let created = create_concurrently(&app, &token, &list, 50, 4).await;

    assert_eq!(created.len(), 200);
    let res = app
        .get(&format!("/lists/{list}/tasks?limit=1000"), Some(&token))
        .await;
    assert_eq!(res.headers()["x-total-count"], "200");
    assert_eq!(
        expect(res, StatusCode::OK).await.as_array().unwrap().len(),
        200
    );
    for id in created.iter().step_by(17) {
        let res = app.get(&format!("/tasks/{id}"), Some(&token)).await;
        expect(res, StatusCode::OK).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_restart_on_the_same_database_keeps_every_list_and_task_and_the_token_works() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "busy").await;
    create_concurrently(&app, &token, &list, 10, 4).await;

    let app = spawn_on(app.stop().await, &[]).await;

    assert_eq!(task_count(&app, &token, &list).await, "40");
    let lists = expect(app.get("/lists", Some(&token)).await, StatusCode::OK).await;
    assert_eq!(lists[0]["id"], list.as_str());
}

#[tokio::test]
async fn a_revocation_survives_a_restart() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let res = app.post("/auth/logout", Some(&token), json!({})).await;
    expect(res, StatusCode::OK).await;

    let app = spawn_on(app.stop().await, &[]).await;

    let res = app.get("/users/profile", Some(&token)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_and_deletes_on_one_list_all_succeed_or_404_never_5xx() {
    let app = spawn_app().await;
    let list = app.list(None, "contended").await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(
            app.task(None, &list, json!({"title": format!("t{i}")}))
                .await,
        );
    }
    let mut jobs = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let (client, patch_url) = (reqwest::Client::new(), app.api(&format!("/tasks/{id}")));
        jobs.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for round in 0..5 {
                let res = if round == 4 && i % 2 == 0 {
                    client.delete(&patch_url).send().await.unwrap()
                } else {
                    client
                        .patch(&patch_url)
                        .json(&json!({"completed": round % 2 == 0, "title": format!("r{round}")}))
                        .send()
                        .await
                        .unwrap()
                };
                statuses.push(res.status());
            }
            statuses
        }));
    }
    for job in jobs {
        for status in job.await.unwrap() {
            assert!(
                status == StatusCode::OK || status == StatusCode::NO_CONTENT,
                "{status}"
            );
        }
    }
    let res = app.get(&format!("/lists/{list}/tasks"), None).await;
    assert_eq!(res.headers()["x-total-count"], "10");
}
