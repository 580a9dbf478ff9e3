//! The SDL snapshot in `schema/schema.graphql` matches the code, the binary prints it, and every
//! example operation of the playground validates against the schema.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;
use crate::ws::{GqlWs, TRANSPORT_WS};

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schema.graphql");

#[test]
fn the_schema_snapshot_matches_the_code() {
    let sdl = todo_api::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(SNAPSHOT, &sdl).unwrap();
    }
    let snapshot = std::fs::read_to_string(SNAPSHOT).expect("schema/schema.graphql exists");
    assert!(
        snapshot == sdl,
        "schema/schema.graphql differs from the schema the code builds; \
         run `cargo run -- print-schema > schema/schema.graphql` (or UPDATE_SCHEMA=1 cargo test) and review the diff"
    );
}

#[test]
fn the_schema_has_the_names_and_nullability_of_the_contract() {
    let sdl = todo_api::graphql::sdl();
    for line in [
        "me: User",
        "lists(limit: Int, offset: Int): [TodoList!]!",
        "list(id: ID!): TodoList",
        "task(id: ID!): Task",
        "signup(input: SignupInput!): AuthPayload!",
        "login(input: LoginInput!): AuthPayload!",
        "logout: Boolean!",
        "createList(input: CreateListInput!): TodoList!",
        "updateList(id: ID!, input: UpdateListInput!): TodoList!",
        "deleteList(id: ID!): ID!",
        "createTask(input: CreateTaskInput!, listId: ID!): Task!",
        "updateTask(id: ID!, input: UpdateTaskInput!): Task!",
        "deleteTask(id: ID!): ID!",
        "taskCount: Int!",
        "owner: User",
        "ownerId: ID",
        "list: TodoList!",
        "categories: [String!]!",
        "priority: Priority!",
        "dueDate: DateTime",
        "updatedAt: DateTime",
        "createdAt: DateTime!",
        "scalar DateTime",
        "enum Priority",
        "enum TaskSort",
        "enum SortDirection",
        "input TaskFilter",
        "dueBefore: DateTime",
        "listId: ID",
        "CREATED_AT",
        "DUE_DATE",
    ] {
        assert!(sdl.contains(line), "the SDL lacks `{line}`:\n{sdl}");
    }
    assert!(sdl.contains("tasks(direction: SortDirection, filter: TaskFilter, limit: Int, offset: Int, sort: TaskSort): [Task!]!"), "{sdl}");
}

#[test]
fn the_binary_prints_the_schema() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_todo-api"))
        .arg("print-schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        todo_api::graphql::sdl()
    );
}

/// Runs each example with the variables of its `# variables:` comment against a fresh server:
/// a document that does not validate fails without a `path`; resolver errors (a placeholder id)
/// carry one, so only document errors fail the test.
#[tokio::test]
async fn every_playground_example_validates_against_the_schema() {
    let app = spawn_app().await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/playground/examples");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "graphql") {
            continue;
        }
        let doc = std::fs::read_to_string(&path).unwrap();
        let variables: Value = doc
            .lines()
            .find_map(|l| l.trim().strip_prefix("# variables:"))
            .map(|v| serde_json::from_str(v.trim()).expect("variables comment is JSON"))
            .unwrap_or(json!({}));
        // A fresh user per example: one of them is `logout`.
        let (token, _) = app.signup(&format!("user{count}")).await;
        let body = if doc.contains("\nsubscription ") {
            // Subscriptions run on the WebSocket; the first answer is enough.
            let mut conn = GqlWs::connect(&app.base, TRANSPORT_WS, Some(&token)).await;
            conn.start("1", &doc, variables).await;
            conn.data("1").await
        } else {
            let (status, body) = app.graphql(Some(&token), &doc, variables).await;
            assert_eq!(status, StatusCode::OK, "{}: {body}", path.display());
            body
        };
        for error in body["errors"].as_array().into_iter().flatten() {
            assert!(
                error.get("path").is_some(),
                "{} does not validate: {error}",
                path.display()
            );
        }
        count += 1;
    }
    assert!(count >= 5, "examples found: {count}");
}
