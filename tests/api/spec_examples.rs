//! Every curl example of docs/walkthrough.md (steps 1 to 6), with the same bodies, over real
//! HTTP: one test per example, each making the examples before it as its arrangement.

use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use super::helpers::*;

const SIGNUP: &str =
    r#"{ "username": "alice", "email": "alice@example.com", "password": "securepassword123" }"#;
const LOGIN: &str = r#"{ "username": "alice", "password": "securepassword123" }"#;
const NEW_LIST: &str =
    r#"{ "title": "Weekly Groceries", "description": "Shopping list for the week" }"#;
const NEW_TASK: &str = r#"{ "title": "Buy organic milk", "description": "Get 2% organic milk from Whole Foods", "priority": "high",
                 "dueDate": "2025-12-01T18:00:00Z", "categories": ["groceries", "dairy", "organic"] }"#;

/// A request with a raw JSON body, as curl sends it.
async fn send_json(app: &TestApp, method: reqwest::Method, path: &str, body: &str) -> Response {
    app.client
        .request(method, app.api(path))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

async fn signup(app: &TestApp) -> Response {
    send_json(app, reqwest::Method::POST, "/auth/signup", SIGNUP).await
}

async fn create_list(app: &TestApp) -> Value {
    let res = send_json(app, reqwest::Method::POST, "/lists", NEW_LIST).await;
    expect(res, StatusCode::CREATED).await
}

async fn create_task(app: &TestApp, list_id: &str) -> Value {
    let path = format!("/lists/{list_id}/tasks");
    let res = send_json(app, reqwest::Method::POST, &path, NEW_TASK).await;
    expect(res, StatusCode::CREATED).await
}

fn id(value: &Value) -> &str {
    value["id"].as_str().unwrap()
}

#[tokio::test]
async fn registration_sets_the_session_cookie_for_the_token_lifetime() {
    let app = spawn_app().await;

    let res = signup(&app).await;

    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("access_token=ey")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
    );
    assert!(
        cookie.contains("Path=/") && cookie.contains("Max-Age=3600") && !cookie.contains("Secure")
    );
    expect(res, StatusCode::CREATED).await;
}

#[tokio::test]
async fn registration_answers_201_with_a_token_and_the_new_user() {
    let app = spawn_app().await;

    let signup = expect(signup(&app).await, StatusCode::CREATED).await;

    assert_eq!(keys(&signup), ["token", "user"]);
    assert!(signup["token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(keys(&signup["user"]), USER_KEYS);
    assert!(is_uuid(&signup["user"]["id"]));
    assert_eq!(signup["user"]["username"], "alice");
    assert_eq!(signup["user"]["email"], "alice@example.com");
    assert!(is_utc_timestamp(&signup["user"]["createdAt"]));
    assert!(signup["user"]["updatedAt"].is_null());
}

#[tokio::test]
async fn login_returns_a_token_for_the_same_user() {
    let app = spawn_app().await;
    let signup = expect(signup(&app).await, StatusCode::CREATED).await;

    let res = send_json(&app, reqwest::Method::POST, "/auth/login", LOGIN).await;

    let login = expect(res, StatusCode::OK).await;
    assert_eq!(keys(&login), ["token", "user"]);
    assert_eq!(login["user"], signup["user"]);
}

#[tokio::test]
async fn the_profile_is_the_user_the_token_belongs_to() {
    let app = spawn_app().await;
    let signup = expect(signup(&app).await, StatusCode::CREATED).await;
    let res = send_json(&app, reqwest::Method::POST, "/auth/login", LOGIN).await;
    let token = expect(res, StatusCode::OK).await["token"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = app.get("/users/profile", Some(&token)).await;

    assert_eq!(expect(res, StatusCode::OK).await, signup["user"]);
}

#[tokio::test]
async fn an_anonymous_list_is_created_unowned() {
    let app = spawn_app().await;

    let list = create_list(&app).await;

    assert_eq!(keys(&list), LIST_KEYS);
    assert_eq!(list["title"], "Weekly Groceries");
    assert_eq!(list["description"], "Shopping list for the week");
    assert!(list["ownerId"].is_null() && list["updatedAt"].is_null());
    assert!(is_uuid(&list["id"]) && is_utc_timestamp(&list["createdAt"]));
}

#[tokio::test]
async fn all_lists_are_the_created_one() {
    let app = spawn_app().await;
    let list = create_list(&app).await;

    let all = expect(app.get("/lists", None).await, StatusCode::OK).await;

    assert_eq!(all, json!([list]));
}

#[tokio::test]
async fn updating_a_list_changes_its_fields_and_sets_updated_at() {
    let app = spawn_app().await;
    let list = create_list(&app).await;

    let path = format!("/lists/{}", id(&list));
    let body = r#"{ "title": "Monthly Groceries", "description": "Updated shopping list" }"#;
    let res = send_json(&app, reqwest::Method::PATCH, &path, body).await;

    let updated = expect(res, StatusCode::OK).await;
    assert_eq!(updated["title"], "Monthly Groceries");
    assert_eq!(updated["description"], "Updated shopping list");
    assert_eq!(updated["createdAt"], list["createdAt"]);
    assert!(is_utc_timestamp(&updated["updatedAt"]));
}

#[tokio::test]
async fn a_task_is_created_with_every_field_given() {
    let app = spawn_app().await;
    let list = create_list(&app).await;

    let task = create_task(&app, id(&list)).await;

    assert_eq!(keys(&task), TASK_KEYS);
    assert_eq!(task["listId"], id(&list));
    assert_eq!(task["title"], "Buy organic milk");
    assert_eq!(task["description"], "Get 2% organic milk from Whole Foods");
    assert_eq!(task["completed"], false);
    assert_eq!(task["priority"], "high");
    assert_eq!(task["categories"], json!(["groceries", "dairy", "organic"]));
    assert_eq!(task["dueDate"], "2025-12-01T18:00:00Z");
    assert!(task["updatedAt"].is_null() && is_uuid(&task["id"]));
}

#[tokio::test]
async fn the_tasks_of_a_list_come_with_their_total_count() {
    let app = spawn_app().await;
    let list = create_list(&app).await;
    let task = create_task(&app, id(&list)).await;

    let res = app.get(&format!("/lists/{}/tasks", id(&list)), None).await;

    assert_eq!(res.headers()["x-total-count"], "1");
    assert_eq!(expect(res, StatusCode::OK).await, json!([task]));
}

#[tokio::test]
async fn updating_a_task_changes_only_the_fields_given() {
    let app = spawn_app().await;
    let list = create_list(&app).await;
    let task = create_task(&app, id(&list)).await;

    let path = format!("/tasks/{}", id(&task));
    let body = r#"{ "completed": true, "priority": "medium" }"#;
    let res = send_json(&app, reqwest::Method::PATCH, &path, body).await;

    let done = expect(res, StatusCode::OK).await;
    assert_eq!(done["completed"], true);
    assert_eq!(done["priority"], "medium");
    assert_eq!(done["categories"], task["categories"]);
    assert_eq!(done["dueDate"], task["dueDate"]);
    assert!(is_utc_timestamp(&done["updatedAt"]));
}

#[tokio::test]
async fn the_health_check_reports_every_check_as_documented() {
    let app = spawn_app().await;

    let health = expect(app.get("/health", None).await, StatusCode::OK).await;

    assert_eq!(
        keys(&health),
        ["checks", "service", "status", "timestamp", "version"]
    );
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["service"], "TODO REST API");
    assert_eq!(health["version"], env!("CARGO_PKG_VERSION"));
    assert!(is_utc_timestamp(&health["timestamp"]));
    let checks = &health["checks"];
    assert_eq!(keys(checks), ["database", "disk", "memory", "runtime"]);
    assert_eq!(
        checks["database"],
        json!({"status": "healthy", "message": "Database connection successful"})
    );
    assert_eq!(checks["runtime"]["name"], "rust");
    assert!(checks["runtime"]["version"]
        .as_str()
        .unwrap()
        .starts_with("1."));
    assert!(checks["disk"]["free_space_mb"].as_f64().unwrap() > 0.0);
    assert!(checks["disk"]["used_percent"].is_number());
    assert!(checks["memory"]["memory_usage_mb"].as_f64().unwrap() > 1.0);
    assert!(checks["memory"]["memory_available_mb"].as_f64().unwrap() > 1.0);
}
