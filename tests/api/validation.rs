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

#[tokio::test]
async fn signup_fields_follow_the_rules() {
    let app = spawn_app().await;
    let ok = |u: &str, e: &str, p: &str| json!({"username": u, "email": e, "password": p});
    for bad in [
        "ab",
        "has space",
        "x".repeat(51).as_str(),
        "émile",
        "semi;colon",
    ] {
        rejected(
            &app,
            "/auth/signup",
            ok(bad, "a@example.com", "password1"),
            "username",
        )
        .await;
    }
    for bad in [
        "plain",
        "a@b",
        "two@@example.com",
        &format!("{}@example.com", "a".repeat(250)),
    ] {
        rejected(&app, "/auth/signup", ok("alice", bad, "password1"), "email").await;
    }
    assert_eq!(
        rejected(
            &app,
            "/auth/signup",
            ok("alice", "a@example.com", "short"),
            "password"
        )
        .await,
        "Password must be at least 8 characters"
    );
    rejected(
        &app,
        "/auth/signup",
        ok("alice", "a@example.com", &"p".repeat(4097)),
        "password",
    )
    .await;
    rejected(
        &app,
        "/auth/signup",
        json!({"username": "alice", "password": "password1"}),
        "email",
    )
    .await;
    // Every problem at once.
    let res = app
        .post("/auth/signup", None, ok("a", "nope", "short"))
        .await;
    let err = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(keys(&err["details"]), ["email", "password", "username"]);
    // The edges that are allowed: any Unicode password of 8 characters, 3- and 50-character names.
    let res = app
        .post(
            "/auth/signup",
            None,
            ok("a.b", "Mixed.Case@Example.COM", "пароль12"),
        )
        .await;
    let body = expect(res, StatusCode::CREATED).await;
    assert_eq!(
        body["user"]["email"], "mixed.case@example.com",
        "email stored lowercased"
    );
    app.post(
        "/auth/signup",
        None,
        ok(&"z".repeat(50), "z@example.com", "password1"),
    )
    .await
    .error_for_status()
    .unwrap();
    // Login by email, any case, and by username, any case.
    for name in ["MIXED.CASE@example.com", "A.B"] {
        let res = app
            .post(
                "/auth/login",
                None,
                json!({"username": name, "password": "пароль12"}),
            )
            .await;
        expect(res, StatusCode::OK).await;
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
async fn task_fields_follow_the_rules() {
    let app = spawn_app().await;
    let list = app.list(None, "L").await;
    let path = format!("/lists/{list}/tasks");
    assert_eq!(
        rejected(&app, &path, json!({"title": ""}), "title").await,
        "Title cannot be empty"
    );
    rejected(
        &app,
        &path,
        json!({"title": "t", "priority": "urgent"}),
        "priority",
    )
    .await;
    rejected(
        &app,
        &path,
        json!({"title": "t", "priority": "HIGH"}),
        "priority",
    )
    .await;
    rejected(
        &app,
        &path,
        json!({"title": "t", "categories": "work"}),
        "categories",
    )
    .await;
    rejected(
        &app,
        &path,
        json!({"title": "t", "categories": [1]}),
        "categories",
    )
    .await;
    rejected(
        &app,
        &path,
        json!({"title": "t", "categories": ["  "]}),
        "categories",
    )
    .await;
    rejected(
        &app,
        &path,
        json!({"title": "t", "categories": ["c".repeat(51)]}),
        "categories",
    )
    .await;
    let eleven: Vec<String> = (0..11).map(|i| format!("c{i}")).collect();
    rejected(
        &app,
        &path,
        json!({"title": "t", "categories": eleven}),
        "categories",
    )
    .await;
    rejected(
        &app,
        &path,
        json!({"title": "t", "dueDate": "tomorrow"}),
        "dueDate",
    )
    .await;
    rejected(
        &app,
        &path,
        json!({"title": "t", "completed": "yes"}),
        "completed",
    )
    .await;
    rejected(&app, &path, json!({"title": "t", "listId": list}), "listId").await;

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
