//! Every curl example of docs/walkthrough.md (steps 1 to 6), with the same bodies, in order, over
//! real HTTP.

use reqwest::StatusCode;
use serde_json::json;

use super::helpers::*;

#[tokio::test]
async fn every_curl_example_of_the_walkthrough_works_as_shown() {
    let app = spawn_app().await;

    // User Registration
    let res = app
        .client
        .post(app.api("/auth/signup"))
        .header("Content-Type", "application/json")
        .body(r#"{ "username": "alice", "email": "alice@example.com", "password": "securepassword123" }"#)
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("access_token=ey")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
    );
    assert!(
        cookie.contains("Path=/") && cookie.contains("Max-Age=3600") && !cookie.contains("Secure")
    );
    let signup = expect(res, StatusCode::CREATED).await;
    assert_eq!(keys(&signup), ["token", "user"]);
    assert!(signup["token"].as_str().unwrap().starts_with("eyJ"));
    assert_eq!(keys(&signup["user"]), USER_KEYS);
    assert!(is_uuid(&signup["user"]["id"]));
    assert_eq!(signup["user"]["username"], "alice");
    assert_eq!(signup["user"]["email"], "alice@example.com");
    assert!(is_utc_timestamp(&signup["user"]["createdAt"]));
    assert!(signup["user"]["updatedAt"].is_null());

    // User Login
    let res = app
        .client
        .post(app.api("/auth/login"))
        .header("Content-Type", "application/json")
        .body(r#"{ "username": "alice", "password": "securepassword123" }"#)
        .send()
        .await
        .unwrap();
    let login = expect(res, StatusCode::OK).await;
    assert_eq!(keys(&login), ["token", "user"]);
    assert_eq!(login["user"], signup["user"]);
    let token = login["token"].as_str().unwrap().to_owned();

    // Get User Profile
    let res = app
        .client
        .get(app.api("/users/profile"))
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap();
    let profile = expect(res, StatusCode::OK).await;
    assert_eq!(profile, signup["user"]);

    // Create a List (anonymous, as in the example)
    let res = app
        .client
        .post(app.api("/lists"))
        .header("Content-Type", "application/json")
        .body(r#"{ "title": "Weekly Groceries", "description": "Shopping list for the week" }"#)
        .send()
        .await
        .unwrap();
    let list = expect(res, StatusCode::CREATED).await;
    assert_eq!(keys(&list), LIST_KEYS);
    assert_eq!(list["title"], "Weekly Groceries");
    assert_eq!(list["description"], "Shopping list for the week");
    assert!(list["ownerId"].is_null() && list["updatedAt"].is_null());
    assert!(is_uuid(&list["id"]) && is_utc_timestamp(&list["createdAt"]));
    let list_id = list["id"].as_str().unwrap().to_owned();

    // Get All Lists
    let all = expect(
        app.client.get(app.api("/lists")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(all, json!([list]));

    // Update a List
    let res = app
        .client
        .patch(app.api(&format!("/lists/{list_id}")))
        .header("Content-Type", "application/json")
        .body(r#"{ "title": "Monthly Groceries", "description": "Updated shopping list" }"#)
        .send()
        .await
        .unwrap();
    let updated = expect(res, StatusCode::OK).await;
    assert_eq!(updated["title"], "Monthly Groceries");
    assert_eq!(updated["description"], "Updated shopping list");
    assert_eq!(updated["createdAt"], list["createdAt"]);
    assert!(is_utc_timestamp(&updated["updatedAt"]));

    // Create a Task
    let res = app
        .client
        .post(app.api(&format!("/lists/{list_id}/tasks")))
        .header("Content-Type", "application/json")
        .body(
            r#"{ "title": "Buy organic milk", "description": "Get 2% organic milk from Whole Foods", "priority": "high",
                 "dueDate": "2025-12-01T18:00:00Z", "categories": ["groceries", "dairy", "organic"] }"#,
        )
        .send()
        .await
        .unwrap();
    let task = expect(res, StatusCode::CREATED).await;
    assert_eq!(keys(&task), TASK_KEYS);
    assert_eq!(task["listId"], list_id.as_str());
    assert_eq!(task["title"], "Buy organic milk");
    assert_eq!(task["description"], "Get 2% organic milk from Whole Foods");
    assert_eq!(task["completed"], false);
    assert_eq!(task["priority"], "high");
    assert_eq!(task["categories"], json!(["groceries", "dairy", "organic"]));
    assert_eq!(task["dueDate"], "2025-12-01T18:00:00Z");
    assert!(task["updatedAt"].is_null() && is_uuid(&task["id"]));
    let task_id = task["id"].as_str().unwrap().to_owned();

    // Get Tasks in a List
    let res = app
        .client
        .get(app.api(&format!("/lists/{list_id}/tasks")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-total-count"], "1");
    assert_eq!(expect(res, StatusCode::OK).await, json!([task]));

    // Update a Task
    let res = app
        .client
        .patch(app.api(&format!("/tasks/{task_id}")))
        .header("Content-Type", "application/json")
        .body(r#"{ "completed": true, "priority": "medium" }"#)
        .send()
        .await
        .unwrap();
    let done = expect(res, StatusCode::OK).await;
    assert_eq!(done["completed"], true);
    assert_eq!(done["priority"], "medium");
    assert_eq!(done["categories"], task["categories"]);
    assert_eq!(done["dueDate"], task["dueDate"]);
    assert!(is_utc_timestamp(&done["updatedAt"]));

    // Health Check
    let health = expect(
        app.client.get(app.api("/health")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
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
