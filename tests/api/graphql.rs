//! The GraphQL face over real HTTP: every query and mutation, one behaviour per test. Error
//! codes are in `graphql_errors.rs`, parity with REST in `graphql_parity.rs`, GraphQL over HTTP
//! rules in `graphql_http.rs`, limits in `graphql_limits.rs`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

const SIGNUP: &str = "mutation($i: SignupInput!) { signup(input: $i) { token user { id username email createdAt updatedAt } } }";
const LIST_FIELDS: &str = "id title description ownerId createdAt updatedAt";
const TASK_FIELDS: &str =
    "id listId title description completed priority categories dueDate createdAt updatedAt";

/// `createList` with `input`, by the caller of `token`; returns the list's fields.
async fn create_list(app: &TestApp, token: Option<&str>, input: Value) -> Value {
    let q =
        format!("mutation($i: CreateListInput!) {{ createList(input: $i) {{ {LIST_FIELDS} }} }}");
    let (_, body) = app.graphql(token, &q, json!({"i": input})).await;
    body["data"]["createList"].clone()
}

/// `createTask` in `list` with `input`; returns the task's fields.
async fn create_task(app: &TestApp, token: Option<&str>, list: &str, input: Value) -> Value {
    let q = format!("mutation($l: ID!, $i: CreateTaskInput!) {{ createTask(listId: $l, input: $i) {{ {TASK_FIELDS} }} }}");
    let (_, body) = app.graphql(token, &q, json!({"l": list, "i": input})).await;
    body["data"]["createTask"].clone()
}

/// Alice's token, and a list of hers with one task: their ids.
async fn alice_with_a_task(app: &TestApp) -> (String, String, String) {
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "Groceries").await;
    let body = json!({"title": "Milk", "priority": "high", "dueDate": "2030-01-01T00:00:00Z"});
    let task = app.task(Some(&token), &list, body).await;
    (token, list, task)
}

#[tokio::test]
async fn signup_returns_a_token_and_the_new_user() {
    let app = spawn_app().await;
    let vars = json!({"i": {"username": "alice", "email": "alice@example.com", "password": "password-123"}});

    let (status, body) = app.graphql(None, SIGNUP, vars).await;

    assert_eq!(status, StatusCode::OK, "{body}");
    let payload = &body["data"]["signup"];
    assert!(payload["token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(payload["user"]["username"], "alice");
    assert!(is_uuid(&payload["user"]["id"]));
    assert!(payload["user"]["updatedAt"].is_null());
}

#[tokio::test]
async fn login_accepts_the_email_in_any_case() {
    let app = spawn_app().await;
    app.signup("alice").await;

    let q = "mutation { login(input: {username: \"ALICE@example.com\", password: \"password-alice\"}) { token user { username } } }";
    let (_, body) = app.graphql(None, q, json!({})).await;

    assert_eq!(body["data"]["login"]["user"]["username"], "alice", "{body}");
}

#[tokio::test]
async fn me_is_the_caller_with_their_lists() {
    let app = spawn_app().await;
    let (token, user_id) = app.signup("alice").await;

    let q = "{ me { id username email lists { id } } }";
    let (_, body) = app.graphql(Some(&token), q, json!({})).await;

    assert_eq!(
        body["data"]["me"],
        json!({"id": user_id, "username": "alice", "email": "alice@example.com", "lists": []})
    );
}

#[tokio::test]
async fn me_is_null_for_an_anonymous_caller() {
    let app = spawn_app().await;

    let (_, body) = app.graphql(None, "{ me { id } }", json!({})).await;

    assert_eq!(body, json!({"data": {"me": null}}));
}

#[tokio::test]
async fn create_list_trims_the_title_and_gives_the_list_to_the_caller() {
    let app = spawn_app().await;
    let (token, user_id) = app.signup("alice").await;

    let input = json!({"title": " Groceries ", "description": "weekly"});
    let list = create_list(&app, Some(&token), input).await;

    assert_eq!(list["title"], "Groceries");
    assert_eq!(list["description"], "weekly");
    assert_eq!(list["ownerId"], user_id.as_str());
    assert!(list["updatedAt"].is_null() && is_utc_timestamp(&list["createdAt"]));
}

#[tokio::test]
async fn create_task_keeps_categories_once_and_the_due_date_in_utc() {
    let app = spawn_app().await;
    let list = app.list(None, "L").await;

    let input = json!({"title": "Milk", "priority": "HIGH", "categories": ["a", " a", "b"], "dueDate": "2030-01-01T01:00:00+01:00"});
    let task = create_task(&app, None, &list, input).await;

    assert_eq!(task["priority"], "HIGH", "{task}");
    assert_eq!(task["categories"], json!(["a", "b"]));
    assert_eq!(task["dueDate"], "2030-01-01T00:00:00Z");
    assert_eq!(task["completed"], false);
    assert_eq!(task["listId"], list.as_str());
}

#[tokio::test]
async fn lists_resolve_their_count_owner_tasks_and_each_tasks_list() {
    let app = spawn_app().await;
    let (token, list, _) = alice_with_a_task(&app).await;

    let q = format!("{{ lists {{ {LIST_FIELDS} taskCount owner {{ username }} tasks(limit: 10) {{ id list {{ id }} }} }} }}");
    let (_, body) = app.graphql(Some(&token), &q, json!({})).await;

    let l = &body["data"]["lists"][0];
    assert_eq!(l["taskCount"], 1);
    assert_eq!(l["owner"]["username"], "alice");
    assert_eq!(l["tasks"][0]["list"]["id"], list.as_str());
}

#[tokio::test]
async fn a_list_id_finds_the_list_and_no_task() {
    let app = spawn_app().await;
    let (token, list, _) = alice_with_a_task(&app).await;

    let q = "query($id: ID!) { list(id: $id) { title } task(id: $id) { id } }";
    let (_, body) = app.graphql(Some(&token), q, json!({"id": list})).await;

    assert_eq!(
        body["data"],
        json!({"list": {"title": "Groceries"}, "task": null})
    );
}

#[tokio::test]
async fn update_task_changes_the_given_fields_and_clears_the_null_ones() {
    let app = spawn_app().await;
    let (token, _, task) = alice_with_a_task(&app).await;

    let q = "mutation($id: ID!, $i: UpdateTaskInput!) { updateTask(id: $id, input: $i) { completed priority dueDate updatedAt } }";
    let vars = json!({"id": task, "i": {"completed": true, "dueDate": null}});
    let (_, body) = app.graphql(Some(&token), q, vars).await;

    let u = &body["data"]["updateTask"];
    assert_eq!(u["completed"], true);
    assert_eq!(u["priority"], "HIGH");
    assert_eq!(u["dueDate"], Value::Null);
    assert!(is_utc_timestamp(&u["updatedAt"]));
}

#[tokio::test]
async fn update_list_clears_the_description_with_null() {
    let app = spawn_app().await;
    let list = create_list(&app, None, json!({"title": "L", "description": "d"})).await;

    let q = "mutation($id: ID!, $i: UpdateListInput!) { updateList(id: $id, input: $i) { title description } }";
    let vars = json!({"id": list["id"], "i": {"description": null}});
    let (_, body) = app.graphql(None, q, vars).await;

    assert_eq!(
        body["data"]["updateList"],
        json!({"title": "L", "description": null})
    );
}

#[tokio::test]
async fn delete_task_and_delete_list_answer_the_deleted_id() {
    let app = spawn_app().await;
    let (token, list, task) = alice_with_a_task(&app).await;
    let t = Some(token.as_str());

    let (_, deleted_task) = app
        .graphql(t, "mutation($id: ID!) { deleteTask(id: $id) }", json!({"id": task}))
        .await;
    let (_, deleted_list) = app
        .graphql(t, "mutation($id: ID!) { deleteList(id: $id) }", json!({"id": list}))
        .await;

    assert_eq!(deleted_task["data"]["deleteTask"], task.as_str());
    assert_eq!(deleted_list["data"]["deleteList"], list.as_str());
    expect_error(app.get(&format!("/lists/{list}"), t).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn after_logout_the_token_is_refused() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let t = Some(token.as_str());

    let (_, body) = app.graphql(t, "mutation { logout }", json!({})).await;
    let (status, again) = app.graphql(t, "{ me { id } }", json!({})).await;

    assert_eq!(body["data"]["logout"], true);
    assert_eq!(
        (status, gql_code(&again)),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
    );
}

#[tokio::test]
async fn a_later_field_of_a_mutation_document_sees_the_list_as_changed() {
    let app = spawn_app().await;
    let list = app.list(None, "before").await;
    let task = app.task(None, &list, json!({"title": "t"})).await;
    let doc = format!(
        "mutation {{ a: updateTask(id: \"{task}\", input: {{completed: true}}) {{ list {{ title }} }} \
         b: updateList(id: \"{list}\", input: {{title: \"after\"}}) {{ id }} \
         c: updateTask(id: \"{task}\", input: {{completed: false}}) {{ list {{ title }} }} }}"
    );
    let (_, body) = app.graphql(None, &doc, json!({})).await;
    assert_eq!(body["data"]["a"]["list"]["title"], "before", "{body}");
    assert_eq!(body["data"]["c"]["list"]["title"], "after", "{body}");
}
