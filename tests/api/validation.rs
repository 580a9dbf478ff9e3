//! Every validation rule of docs/conventions.md, with its message. PATCH semantics, moves and
//! cascades are in `patch.rs`.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

async fn rejected(app: &TestApp, path: &str, body: Value, field: &str) -> String {
    let res = app.post(path, None, body.clone()).await;
    let err = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(err["error"], "Validation error");
    err["details"][field][0]
        .as_str()
        .unwrap_or_else(|| panic!("no message for {field} in {err} ({body})"))
        .to_owned()
}

fn signup(username: &str, email: &str, password: &str) -> Value {
    json!({"username": username, "email": email, "password": password})
}

/// A task body with a title and one more field.
fn task_with(field: &str, value: Value) -> Value {
    json!({"title": "t", field: value})
}

/// A fresh list's tasks path.
async fn tasks_path(app: &TestApp) -> String {
    format!("/lists/{}/tasks", app.list(None, "L").await)
}

#[tokio::test]
async fn usernames_too_short_too_long_or_with_other_characters_are_refused() {
    let app = spawn_app().await;
    for bad in ["ab", "has space", &"x".repeat(51), "émile", "semi;colon"] {
        let body = signup(bad, "a@example.com", "password1");
        rejected(&app, "/auth/signup", body, "username").await;
    }
}

#[tokio::test]
async fn malformed_overlong_or_missing_emails_are_refused() {
    let app = spawn_app().await;
    let long = format!("{}@example.com", "a".repeat(250));
    for bad in ["plain", "a@b", "two@@example.com", &long] {
        let body = signup("alice", bad, "password1");
        rejected(&app, "/auth/signup", body, "email").await;
    }
    let body = json!({"username": "alice", "password": "password1"});
    rejected(&app, "/auth/signup", body, "email").await;
}

#[tokio::test]
async fn passwords_under_8_or_over_4096_characters_are_refused() {
    let app = spawn_app().await;
    let short = signup("alice", "a@example.com", "short");
    assert_eq!(
        rejected(&app, "/auth/signup", short, "password").await,
        "Password must be at least 8 characters"
    );
    let long = signup("alice", "a@example.com", &"p".repeat(4097));
    rejected(&app, "/auth/signup", long, "password").await;
}

#[tokio::test]
async fn a_signup_with_several_problems_names_every_one() {
    let app = spawn_app().await;
    let res = app
        .post("/auth/signup", None, signup("a", "nope", "short"))
        .await;
    let err = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(keys(&err["details"]), ["email", "password", "username"]);
}

#[tokio::test]
async fn signup_accepts_the_edges_and_stores_the_email_lowercased() {
    let app = spawn_app().await;
    // Any Unicode password of 8 characters, 3- and 50-character names.
    let body = signup("a.b", "Mixed.Case@Example.COM", "пароль12");
    let created = expect(app.post("/auth/signup", None, body).await, StatusCode::CREATED).await;
    assert_eq!(created["user"]["email"], "mixed.case@example.com");
    let body = signup(&"z".repeat(50), "z@example.com", "password1");
    expect(app.post("/auth/signup", None, body).await, StatusCode::CREATED).await;
}

#[tokio::test]
async fn login_takes_the_email_or_the_username_in_any_case() {
    let app = spawn_app().await;
    let body = signup("a.b", "Mixed.Case@Example.COM", "пароль12");
    expect(app.post("/auth/signup", None, body).await, StatusCode::CREATED).await;
    for name in ["MIXED.CASE@example.com", "A.B"] {
        let login = json!({"username": name, "password": "пароль12"});
        expect(app.post("/auth/login", None, login).await, StatusCode::OK).await;
    }
}

#[tokio::test]
async fn list_fields_follow_the_rules() {
    let app = spawn_app().await;
    assert_eq!(
        rejected(&app, "/lists", json!({"title": "   "}), "title").await,
        "Title cannot be empty"
    );
    rejected(&app, "/lists", json!({"title": "x".repeat(256)}), "title").await;
    rejected(&app, "/lists", json!({}), "title").await;
    rejected(&app, "/lists", json!({"title": null}), "title").await;
    rejected(
        &app,
        "/lists",
        json!({"title": "ok", "description": "d".repeat(2001)}),
        "description",
    )
    .await;
    let list = expect(
        app.post(
            "/lists",
            None,
            json!({"title": "  padded  ", "description": null}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(list["title"], "padded");
    assert!(list["description"].is_null());
    let list = expect(
        app.post(
            "/lists",
            None,
            json!({"title": "é".repeat(255), "description": "d".repeat(2000)}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(list["title"].as_str().unwrap().chars().count(), 255);
}

#[tokio::test]
async fn a_task_title_cannot_be_empty() {
    let app = spawn_app().await;
    let path = tasks_path(&app).await;
    assert_eq!(
        rejected(&app, &path, json!({"title": ""}), "title").await,
        "Title cannot be empty"
    );
}

#[tokio::test]
async fn a_task_priority_is_low_medium_or_high_in_lowercase() {
    let app = spawn_app().await;
    let path = tasks_path(&app).await;
    for bad in ["urgent", "HIGH"] {
        rejected(&app, &path, task_with("priority", json!(bad)), "priority").await;
    }
}

#[tokio::test]
async fn task_categories_are_up_to_ten_non_blank_strings_of_up_to_50_characters() {
    let app = spawn_app().await;
    let path = tasks_path(&app).await;
    let eleven: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
    for bad in [
        json!("work"),
        json!([1]),
        json!(["  "]),
        json!(["c".repeat(51)]),
        json!(eleven),
    ] {
        rejected(&app, &path, task_with("categories", bad), "categories").await;
    }
}

#[tokio::test]
async fn a_task_due_date_is_a_timestamp_and_completed_a_boolean() {
    let app = spawn_app().await;
    let path = tasks_path(&app).await;
    let due = task_with("dueDate", json!("tomorrow"));
    rejected(&app, &path, due, "dueDate").await;
    let completed = task_with("completed", json!("yes"));
    rejected(&app, &path, completed, "completed").await;
}

#[tokio::test]
async fn a_new_task_cannot_name_its_list_in_the_body() {
    let app = spawn_app().await;
    let list = app.list(None, "L").await;
    let path = format!("/lists/{list}/tasks");
    rejected(&app, &path, task_with("listId", json!(list)), "listId").await;
}

#[tokio::test]
async fn a_new_task_gets_a_trimmed_title_and_the_defaults() {
    let app = spawn_app().await;
    let path = tasks_path(&app).await;
    let task = expect(
        app.post(&path, None, json!({"title": " Milk "})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(task["title"], "Milk");
    assert_eq!(task["priority"], "medium");
    assert_eq!(task["completed"], false);
    assert_eq!(task["categories"], json!([]));
    assert!(task["dueDate"].is_null() && task["description"].is_null());
}

#[tokio::test]
async fn task_categories_are_trimmed_and_deduplicated_and_due_dates_kept_in_utc() {
    let app = spawn_app().await;
    let path = tasks_path(&app).await;
    let body = json!({"title": "t", "categories": [" a ", "b", "a", "b "], "dueDate": "2025-12-01T19:00:00+01:00", "completed": true});
    let task = expect(app.post(&path, None, body).await, StatusCode::CREATED).await;
    assert_eq!(
        task["categories"],
        json!(["a", "b"]),
        "trimmed, duplicates dropped keeping the first"
    );
    assert_eq!(
        task["dueDate"], "2025-12-01T18:00:00Z",
        "stored and returned in UTC"
    );
    assert_eq!(task["completed"], true);
}
