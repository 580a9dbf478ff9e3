//! The cases of the statement counts, compiled once per backend (see `main.rs`).

use reqwest::StatusCode;
use serde_json::json;

use super::helpers::*;
use crate::{count, install_counter, SERIAL};

/// The statements that authenticate a known token before an operation: none on SQLite, where
/// this process owns the file and keeps an exact view of users and revocations in memory; one on
/// PostgreSQL, where a logout through another instance is only known to the database. (The REST
/// reads of tasks check it inside their own statement instead: `rest_reads_run_one_statement`.)
fn auth_statements() -> usize {
    match BACKEND {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
    }
}

/// The statements of reading one task again over REST: none on SQLite, whose only writer keeps
/// the tasks it has read or written exact in memory; on PostgreSQL, which other instances write
/// to, one, which also checks the token.
fn task_read_statements() -> usize {
    match BACKEND {
        Backend::Sqlite => 0,
        Backend::Postgres => 1,
    }
}

const NESTED: &str = "{ lists { id owner { id } taskCount tasks(limit: 10) { id list { id } } } }";

async fn add_lists(app: &TestApp, token: &str, n: usize) {
    for i in 0..n {
        let list = app.list(Some(token), &format!("list {i}")).await;
        for j in 0..5 {
            app.task(Some(token), &list, json!({"title": format!("task {j}")}))
                .await;
        }
    }
}

#[tokio::test]
async fn the_nested_graphql_query_runs_the_same_few_statements_for_5_and_50_lists() {
    let _serial = SERIAL.lock().await;
    install_counter();
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let run = || async {
        let (status, body) = app.graphql(Some(&token), NESTED, json!({})).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.get("errors").is_none(), "{body}");
    };

    add_lists(&app, &token, 5).await;
    let five = count(run).await;
    add_lists(&app, &token, 45).await;
    let (_, body) = app.graphql(Some(&token), NESTED, json!({})).await;
    assert_eq!(body["data"]["lists"].as_array().unwrap().len(), 50);
    assert_eq!(
        body["data"]["lists"][49]["tasks"].as_array().unwrap().len(),
        5
    );
    let fifty = count(run).await;

    println!("SQL statements for the nested query: N=5: {five}, N=50: {fifty}");
    assert_eq!(
        five, fifty,
        "statements must not grow with the number of lists"
    );
    // lists, owners, counts, tasks (each task's list is its parent, fed to the list loader),
    // and the token's check where the backend needs one

    assert_eq!(fifty, 4 + auth_statements());
}

#[tokio::test]
async fn rest_reads_run_one_statement() {
    let _serial = SERIAL.lock().await;
    install_counter();
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "L").await;
    let task = app.task(Some(&token), &list, json!({"title": "t"})).await;
    let get_task = || async {
        expect(
            app.get(&format!("/tasks/{task}"), Some(&token)).await,
            StatusCode::OK,
        )
        .await;
    };
    let list_tasks = || async {
        expect(
            app.get(&format!("/lists/{list}/tasks"), Some(&token)).await,
            StatusCode::OK,
        )
        .await;
    };
    let (a, b) = (count(get_task).await, count(list_tasks).await);
    println!("SQL statements: GET /tasks/{{id}}: {a}, GET /lists/{{id}}/tasks: {b}");
    assert_eq!(a, task_read_statements(), "the task");
    assert_eq!(b, 1, "token, visibility, total and page in one statement");
}

#[tokio::test]
async fn a_task_change_reads_nothing_back_on_sqlite() {
    let _serial = SERIAL.lock().await;
    install_counter();
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "L").await;
    let task = app.task(Some(&token), &list, json!({"title": "t"})).await;
    let flips = std::sync::atomic::AtomicBool::new(false);
    let patch = || async {
        let completed = !flips.fetch_xor(true, std::sync::atomic::Ordering::SeqCst);
        expect(
            app.patch(
                &format!("/tasks/{task}"),
                Some(&token),
                json!({ "completed": completed }),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    };
    let n = count(patch).await;
    println!("SQL statements: PATCH /tasks/{{id}}: {n}");
    let change = match BACKEND {
        // The UPDATE alone: the single writer finds the task in memory.
        Backend::Sqlite => 1,
        // BEGIN, SELECT ... FOR UPDATE, UPDATE, COMMIT: another instance may change it too.
        Backend::Postgres => 4,
    };
    assert_eq!(n, change + auth_statements());
}

/// Documents whose answer could be huge, each refused for its cost (or its aliases), written
/// the ways a client might: nested, with explicit pages, through fragments, aliases, variables.
const COSTLY: &[(&str, &str)] = &[
    ("nested owners", "{ lists { owner { lists { owner { lists { updatedAt } } } } } }"),
    ("nested owners, small pages", "{ lists(limit: 10) { owner { lists(limit: 100) { owner { lists(limit: 200) { id } } } } } }"),
    ("explicit large pages", "{ lists(limit: 1000) { tasks(limit: 1000) { id } } }"),
    ("default task page with fields", "{ lists { id title tasks { id title completed } } }"),
    ("through me", "{ me { lists { tasks(limit: 500) { id } } } }"),
    ("through a fragment", "{ lists { ...L } } fragment L on TodoList { owner { lists { ...M } } } fragment M on TodoList { owner { lists { id } } }"),
    ("through an inline fragment", "{ lists { ... on TodoList { tasks(limit: 1000) { id title } } } }"),
    ("aliases that add up", "{ a: lists { tasks(limit: 100) { id } } b: lists { tasks(limit: 100) { id } } }"),
    ("pages from variables", "query($n: Int) { lists(limit: $n) { tasks(limit: $n) { id } } }"),
    ("task lists under tasks", "{ lists(limit: 100) { tasks(limit: 50) { list { tasks(limit: 50) { id } } } } }"),
];

#[tokio::test]
async fn documents_that_could_return_too_much_are_refused_before_any_sql() {
    let _serial = SERIAL.lock().await;
    install_counter();
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    add_lists(&app, &token, 3).await;
    for (shape, document) in COSTLY {
        let run = || async {
            let (_, body) = app
                .graphql(Some(&token), document, json!({"n": 1000}))
                .await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "VALIDATION_ERROR",
                "{shape}: {body}"
            );
            let message = body["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("limit"), "{shape}: {message}");
            assert!(body["data"].is_null(), "{shape}: {body}");
        };
        // Only the token's check, before the document is measured; none of the document's.
        assert_eq!(count(run).await, auth_statements(), "{shape}");
    }
}

#[tokio::test]
async fn documents_over_the_limits_are_rejected_before_any_sql() {
    let _serial = SERIAL.lock().await;
    install_counter();
    let app = spawn_app().await;
    let deep = format!(
        "{{ lists {{ {} id {} }} }}",
        "tasks { list { ".repeat(10),
        "} } ".repeat(10)
    );
    let wide: String = (0..3000)
        .map(|i| format!("a{i}: lists {{ id }} "))
        .collect();
    for document in [deep, format!("{{ {wide} }}")] {
        let run = || async {
            let (_, body) = app.graphql(None, &document, json!({})).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "VALIDATION_ERROR",
                "{body}"
            );
        };
        assert_eq!(count(run).await, 0);
    }
}
