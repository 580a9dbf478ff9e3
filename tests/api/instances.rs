//! Two real server processes sharing one PostgreSQL database and nothing else: a logout through
//! one is refused by the other, writes through one are read through the other, concurrent
//! writers on both lose nothing, and killing one (SIGKILL) loses no acknowledged write while the
//! other keeps answering.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Backend, TestDb, JWT_SECRET};
use crate::nginx::{nginx_installed, Nginx};
use crate::process::{start, Server};

/// Two instances on a fresh schema of their own (the same secret, so tokens work on both).
pub async fn two_instances() -> (TestDb, Server, Server) {
    two_instances_logging("error").await
}

async fn two_instances_logging(log: &str) -> (TestDb, Server, Server) {
    let db = TestDb::new(Backend::Postgres).await;
    let url = db.url();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("JWT_SECRET", JWT_SECRET),
        ("ARGON2_MEMORY_KIB", "64"),
        ("ARGON2_ITERATIONS", "1"),
        ("AUTH_RATE_LIMIT_PER_SECOND", "0"),
        ("RUST_LOG", log),
    ];
    let dir = tempfile::tempdir().unwrap();
    let a = start(dir.path(), &env).await;
    let b = start(dir.path(), &env).await;
    (db, a, b)
}

async fn call(
    client: &Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = client.request(method, url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("sent");
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn post(
    client: &Client,
    base: &str,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Value {
    let url = format!("{base}/api/v1{path}");
    let (status, body) = call(client, reqwest::Method::POST, url, token, Some(body)).await;
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn get(client: &Client, base: &str, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let url = format!("{base}/api/v1{path}");
    call(client, reqwest::Method::GET, url, token, None).await
}

pub async fn signup(client: &Client, base: &str, name: &str) -> String {
    let body = json!({"username": name, "email": format!("{name}@example.com"), "password": "password-123"});
    post(client, base, "/auth/signup", None, body).await["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_through_one_instance_is_refused_by_the_other_every_time() {
    let (_db, a, b) = two_instances().await;
    let client = Client::new();
    let first = signup(&client, &a.base, "alice").await;
    let list = post(
        &client,
        &a.base,
        "/lists",
        Some(&first),
        json!({"title": "L"}),
    )
    .await;
    let list = list["id"].as_str().unwrap().to_owned();
    let body = json!({"title": "T"});
    let task = post(
        &client,
        &a.base,
        &format!("/lists/{list}/tasks"),
        Some(&first),
        body,
    )
    .await;
    let task = format!("/tasks/{}", task["id"].as_str().unwrap());
    let login = json!({"username": "alice", "password": "password-123"});
    for round in 0..100 {
        let token = post(&client, &a.base, "/auth/login", None, login.clone()).await["token"]
            .as_str()
            .unwrap()
            .to_owned();
        // Both kinds of check on B: a read that checks the token in its own statement, and
        // one that asks first.
        for path in [task.as_str(), "/users/profile"] {
            let (status, _) = get(&client, &b.base, path, Some(&token)).await;
            assert_eq!(
                status,
                StatusCode::OK,
                "round {round}: {path} valid on B first"
            );
        }
        post(&client, &a.base, "/auth/logout", Some(&token), json!({})).await;
        for path in [task.as_str(), "/users/profile"] {
            let (status, body) = get(&client, &b.base, path, Some(&token)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "round {round}: {path} {body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_one_instance_writes_the_next_request_on_the_other_reads() {
    let (_db, a, b) = two_instances().await;
    let client = Client::new();
    let token = signup(&client, &a.base, "alice").await;
    let t = Some(token.as_str());
    let list = post(&client, &a.base, "/lists", t, json!({"title": "Groceries"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = post(
        &client,
        &b.base,
        &format!("/lists/{list}/tasks"),
        t,
        json!({"title": "Milk"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = get(&client, &a.base, &format!("/tasks/{task}"), t).await;
    assert_eq!(
        (status, body["title"].clone()),
        (StatusCode::OK, json!("Milk"))
    );

    let url = format!("{}/api/v1/tasks/{task}", a.base);
    let patch = json!({"completed": true});
    let (status, _) = call(&client, reqwest::Method::PATCH, url, t, Some(patch)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = get(&client, &b.base, &format!("/tasks/{task}"), t).await;
    assert_eq!(body["completed"], true);

    let query =
        json!({"query": "{ lists { title taskCount tasks(limit: 10) { title completed } } }"});
    let url = format!("{}/graphql", b.base);
    let (_, body) = call(&client, reqwest::Method::POST, url, t, Some(query)).await;
    assert_eq!(body["data"]["lists"][0]["taskCount"], 1, "{body}");

    let url = format!("{}/api/v1/lists/{list}", b.base);
    let (status, _) = call(&client, reqwest::Method::DELETE, url, t, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = get(&client, &a.base, &format!("/tasks/{task}"), t).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_writers_on_two_instances_lose_nothing() {
    let (_db, a, b) = two_instances().await;
    let client = Client::new();
    let token = signup(&client, &a.base, "alice").await;
    let t = Some(token.as_str());
    let list = post(&client, &a.base, "/lists", t, json!({"title": "Busy"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let writers = (0..50).map(|i| {
        let (client, token, list) = (client.clone(), token.clone(), list.clone());
        let base = if i % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        tokio::spawn(async move {
            let path = format!("/lists/{list}/tasks");
            let body = json!({"title": format!("task {i}")});
            post(&client, &base, &path, Some(&token), body).await["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
    });
    let ids: Vec<String> = futures_util::future::join_all(writers)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    for base in [&a.base, &b.base] {
        let (status, body) =
            get(&client, base, &format!("/lists/{list}/tasks?limit=1000"), t).await;
        assert_eq!(status, StatusCode::OK);
        let listed: Vec<&str> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert_eq!(listed.len(), 50);
        assert!(ids.iter().all(|id| listed.contains(&id.as_str())));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_instance_loses_no_acknowledged_write_and_the_other_keeps_serving() {
    let (_db, mut a, b) = two_instances().await;
    let client = Client::new();
    let token = signup(&client, &a.base, "alice").await;
    let list = post(
        &client,
        &b.base,
        "/lists",
        Some(&token),
        json!({"title": "L"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Writers on A until it dies; every 201 it answered is an acknowledged write.
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, token, base) = (client.clone(), token.clone(), a.base.clone());
            let path = format!("{base}/api/v1/lists/{list}/tasks");
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for i in 0..200 {
                    let body = json!({"title": format!("w{w} t{i}")});
                    let sent = client
                        .post(&path)
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    let Ok(res) = sent else { break };
                    if res.status() != StatusCode::CREATED {
                        break;
                    }
                    match res.json::<Value>().await {
                        Ok(task) => acknowledged.push(task["id"].as_str().unwrap().to_owned()),
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    a.child.kill().expect("SIGKILL");
    let _ = a.child.wait();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    assert!(
        acknowledged.len() > 10,
        "writes were under way: {}",
        acknowledged.len()
    );

    let (status, _) = get(&client, &b.base, "/health", None).await;
    assert_eq!(status, StatusCode::OK, "B keeps answering");
    let (status, body) = get(
        &client,
        &b.base,
        &format!("/lists/{list}/tasks?limit=1000"),
        Some(&token),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let stored: Vec<&str> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(&id.as_str()))
        .collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    println!(
        "SIGKILL during writes: {} acknowledged, all stored ({} rows)",
        acknowledged.len(),
        stored.len()
    );
}

/// Kills the instance and counts the requests it logged (one line each at `tower_http=info`).
fn kill_and_count_requests(server: &mut Server) -> usize {
    use std::io::Read;
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    let mut log = String::new();
    if let Some(mut stderr) = server.child.stderr.take() {
        let _ = stderr.read_to_string(&mut log);
    }
    log.matches("finished processing request").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_spreads_requests_over_both_instances_and_routes_around_a_dead_one() {
    if !nginx_installed() {
        return;
    }
    let (_db, mut a, mut b) = two_instances_logging("tower_http=info").await;
    let addr = |s: &Server| s.base.trim_start_matches("http://").to_owned();
    let nginx = Nginx::start(&[addr(&a), addr(&b)]).await;
    let client = Client::new();
    let health = format!("{}/api/v1/health", nginx.base);
    // Under the edge limit (a burst of 20, then 10 a second).
    for _ in 0..16 {
        let res = client.get(&health).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let on_a = kill_and_count_requests(&mut a);
    for i in 0..16 {
        let res = client.get(&health).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "request {i} after A died");
    }
    let on_b = kill_and_count_requests(&mut b);
    println!("through nginx: {on_a} requests reached A, {on_b} reached B");
    assert!(on_a >= 4 && on_b >= 4 + 16, "A: {on_a}, B: {on_b}");
}
