//! What one GraphQL document may cost: everyday documents pass, costly ones are refused before
//! they run (their SQL counts are in `tests/sql_statements.rs`), and running ones are bounded in
//! time and answer size; a document whose client goes away stops.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

use super::helpers::*;
use crate::ws::{GqlWs, TRANSPORT_WS};

/// The document GraphiQL sends to load the schema.
const INTROSPECTION: &str = include_str!("fixtures/introspection.graphql");

/// Every list with its 20 most urgent open tasks: the heaviest everyday query.
const OVERVIEW: &str =
    "{ lists { id title taskCount tasks(limit: 20) { id title completed priority } } }";

fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn the_list_overview_and_graphiqls_schema_query_pass_the_default_limits() {
    let app = spawn_app().await;
    let (token, _) = app.signup("bob").await;
    let list = app.list(Some(&token), "Groceries").await;
    app.task(Some(&token), &list, json!({"title": "Milk"}))
        .await;

    let (_, body) = app.graphql(Some(&token), OVERVIEW, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["lists"][0]["tasks"][0]["title"], "Milk");

    let (_, body) = app.graphql(None, INTROSPECTION, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert!(body["data"]["__schema"]["types"].as_array().unwrap().len() > 10);
}

#[tokio::test]
async fn every_playground_example_runs_within_the_default_limits() {
    let app = spawn_app().await;
    let (token, _) = app.signup("bob").await;
    let list = app.list(Some(&token), "Groceries").await;
    let task = app
        .task(Some(&token), &list, json!({"title": "Milk"}))
        .await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/playground/examples");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    // Sign up before logging in; delete the task after updating it; log out last (it revokes
    // the token).
    names.sort_by_key(|n| {
        let rank = match n.trim_end_matches(".graphql").split('-').next() {
            Some("signup") => 0,
            Some("delete") => 2,
            Some("logout") => 3,
            _ => 1,
        };
        (rank, n.clone())
    });
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
        let variables = text
            .lines()
            .find_map(|l| l.strip_prefix("# variables: "))
            .unwrap_or("{}")
            .replace("<id of a list>", &list)
            .replace("<id of a task>", &task);
        let variables: Value = serde_json::from_str(&variables).unwrap();
        let body = if text.contains("\nsubscription ") {
            // Subscriptions run on the WebSocket: its first event must come without errors.
            let mut conn = GqlWs::connect(&app.base, TRANSPORT_WS, Some(&token)).await;
            conn.start("1", &text, variables).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            app.task(Some(&token), &list, json!({"title": "For the subscription"})).await;
            conn.data("1").await
        } else {
            app.graphql(Some(&token), &text, variables).await.1
        };
        assert!(body.get("errors").is_none(), "{name}: {body}");
    }
}

#[tokio::test]
async fn a_thousand_aliases_are_refused_and_fifty_pass() {
    let app = spawn_app().await;
    let (token, _) = app.signup("bob").await;
    let aliases = |n: usize| -> String {
        let fields: String = (0..n).map(|i| format!("a{i}: me {{ id }} ")).collect();
        format!("{{ {fields} }}")
    };
    let (_, body) = app.graphql(Some(&token), &aliases(1000), json!({})).await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR", "{body}");
    assert!(message(&body).contains("more than 100 aliases"), "{body}");
    assert!(body["data"].is_null(), "nothing ran: {body}");

    let (_, body) = app.graphql(Some(&token), &aliases(50), json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"].as_object().unwrap().len(), 50);
}

#[tokio::test]
async fn a_document_that_selects_too_much_through_fragments_is_refused() {
    let app = spawn_app().await;
    // Each fragment spreads the next twice: 2^30 selections if expanded.
    let mut doc = String::from("{ lists(limit: 1) { ...F0 } }");
    for i in 0..30 {
        doc.push_str(&format!(
            " fragment F{i} on TodoList {{ ...F{n} ...F{n} }}",
            n = i + 1
        ));
    }
    doc.push_str(" fragment F30 on TodoList { id }");
    let (_, body) = app.graphql(None, &doc, json!({})).await;
    assert_eq!(gql_code(&body), "VALIDATION_ERROR", "{body}");
    assert!(message(&body).contains("selections"), "{body}");
}

#[tokio::test]
async fn lists_are_paged_with_limit_and_offset() {
    let app = spawn_app().await;
    let (token, _) = app.signup("bob").await;
    for i in 0..5 {
        app.list(Some(&token), &format!("L{i}")).await;
    }
    let q = "{ lists(limit: 2, offset: 1) { title } me { lists(limit: 1, offset: 4) { title } } }";
    let (_, body) = app.graphql(Some(&token), q, json!({})).await;
    assert_eq!(
        body["data"]["lists"],
        json!([{"title": "L1"}, {"title": "L2"}])
    );
    assert_eq!(body["data"]["me"]["lists"], json!([{"title": "L4"}]));
    for bad in [
        "lists(limit: 0) { id }",
        "lists(limit: 1001) { id }",
        "lists(offset: -1) { id }",
    ] {
        let (_, body) = app
            .graphql(Some(&token), &format!("{{ {bad} }}"), json!({}))
            .await;
        assert_eq!(gql_code(&body), "VALIDATION_ERROR", "{bad}: {body}");
    }
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_replaced_by_a_clear_error() {
    let app = spawn_app_with(&[("GRAPHQL_MAX_RESPONSE_BYTES", "4096")]).await;
    let (token, _) = app.signup("bob").await;
    for i in 0..30 {
        app.list(Some(&token), &format!("{i} {}", "x".repeat(200)))
            .await;
    }
    let (status, body) = app
        .graphql(Some(&token), "{ lists { title } }", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gql_code(&body), "PAYLOAD_TOO_LARGE", "{body}");
    assert!(message(&body).contains("4096 bytes"), "{body}");
    let (_, body) = app
        .graphql(Some(&token), "{ lists(limit: 5) { title } }", json!({}))
        .await;
    assert_eq!(body["data"]["lists"].as_array().unwrap().len(), 5, "{body}");
}

/// Signups in one document, each with a deliberately slow password hash (about 0.1 s).
const SIGNUPS: i64 = 80;

fn slow_signups() -> String {
    let fields: String = (0..SIGNUPS)
        .map(|i| {
            format!(
                "s{i}: signup(input: {{username: \"slow{i}\", email: \"slow{i}@example.com\", \
                 password: \"password-{i}\"}}) {{ token }} "
            )
        })
        .collect();
    format!("mutation {{ {fields} }}")
}

const SLOW_HASH: &[(&str, &str)] = &[("ARGON2_MEMORY_KIB", "32768"), ("ARGON2_ITERATIONS", "4")];

async fn users_in(app: &TestApp) -> i64 {
    app.db().count("users").await
}

/// Waits until the user count has held still for a second, and returns it.
async fn settled_users(app: &TestApp) -> i64 {
    let mut last = users_in(app).await;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = users_in(app).await;
        if now == last {
            return now;
        }
        last = now;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_past_its_deadline_is_stopped_and_answered_with_timeout() {
    let mut env = SLOW_HASH.to_vec();
    env.push(("GRAPHQL_TIMEOUT_SECONDS", "2"));
    let app = spawn_app_with(&env).await;
    let started = std::time::Instant::now();
    let (_, body) = app.graphql(None, &slow_signups(), json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "answered at the deadline"
    );
    assert_eq!(gql_code(&body), "TIMEOUT", "{body}");
    assert!(message(&body).contains("within 2 s"), "{body}");
    let done = settled_users(&app).await;
    assert!(done < SIGNUPS, "the work stopped: {done} signups");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_whose_client_goes_away_stops() {
    let app = spawn_app_with(SLOW_HASH).await;
    let body = json!({"query": slow_signups()}).to_string();
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body.as_bytes()).await.unwrap();
    // Leave once the work has visibly begun.
    let begun = std::time::Instant::now();
    while users_in(&app).await == 0 {
        assert!(
            begun.elapsed() < Duration::from_secs(20),
            "no signup was made"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(socket);
    let done = settled_users(&app).await;
    assert!(done < SIGNUPS / 2, "the work stopped: {done} signups");
}
