//! Every error status of docs/errors.md, in the documented body, and nothing lost on the way.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::helpers::*;

#[tokio::test]
async fn unknown_routes_are_404_in_the_error_format() {
    let app = spawn_app().await;
    for path in ["/api/v1/nope", "/", "/api/v2/lists", "/api/v1/lists/x/y/z"] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        expect_error(res, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
}

#[tokio::test]
async fn wrong_methods_are_405_with_an_allow_header_listing_every_method() {
    let app = spawn_app().await;
    let id = uuid::Uuid::new_v4();
    let cases = [
        (Method::PUT, "/lists".to_owned(), vec!["GET", "POST"]),
        (
            Method::POST,
            format!("/lists/{id}"),
            vec!["DELETE", "GET", "PATCH"],
        ),
        (
            Method::PUT,
            format!("/tasks/{id}"),
            vec!["DELETE", "GET", "PATCH"],
        ),
        (
            Method::DELETE,
            format!("/lists/{id}/tasks"),
            vec!["GET", "POST"],
        ),
        (Method::GET, "/auth/login".to_owned(), vec!["POST"]),
        (Method::POST, "/users/profile".to_owned(), vec!["GET"]),
    ];
    for (method, path, methods) in cases {
        let res = app.call(method.clone(), &path, None, None).await;
        let allow = res
            .headers()
            .get("allow")
            .expect("Allow header")
            .to_str()
            .unwrap()
            .to_owned();
        for m in methods {
            assert!(
                allow.contains(m),
                "{method} {path}: Allow {allow:?} lacks {m}"
            );
        }
        expect_error(res, StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED").await;
    }
}

#[tokio::test]
async fn malformed_or_empty_json_is_400_and_creates_nothing() {
    let app = spawn_app().await;
    for body in ["{\"title\":", "not json", "{\"title\": \"x\",}", ""] {
        let res = app
            .client
            .post(app.api("/lists"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let err = expect_error(res, StatusCode::BAD_REQUEST, "BAD_REQUEST").await;
        assert!(err["details"]["body"].is_array(), "{err}");
    }
    assert_eq!(
        expect(app.get("/lists", None).await, StatusCode::OK).await,
        json!([])
    );
}

#[tokio::test]
async fn bodies_that_are_not_json_are_415() {
    let app = spawn_app().await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = app.client.post(app.api("/lists")).body("{\"title\":\"x\"}");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        expect_error(
            req.send().await.unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
        )
        .await;
    }
    // Parameters on the media type are fine.
    let res = app
        .client
        .post(app.api("/lists"))
        .header("content-type", "application/json; charset=utf-8")
        .body("{\"title\":\"x\"}")
        .send()
        .await
        .unwrap();
    expect(res, StatusCode::CREATED).await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_413_whether_announced_or_streamed() {
    let app = spawn_app_with(&[("MAX_BODY_BYTES", "1024")]).await;
    let big = format!("{{\"title\": \"{}\"}}", "x".repeat(2000));
    let res = app
        .client
        .post(app.api("/lists"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
    // Chunked, with no Content-Length to reject up front.
    let stream = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(big.into_bytes())]);
    let res = app
        .client
        .post(app.api("/lists"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"query\": \"{{ lists {{ id }} }}\", \"x\": \"{}\"}}",
            "y".repeat(2000)
        ))
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE").await;
    assert_eq!(
        expect(app.get("/lists", None).await, StatusCode::OK).await,
        json!([])
    );
}

#[tokio::test]
async fn path_ids_that_are_not_uuids_are_422_under_path() {
    let app = spawn_app().await;
    for path in ["/lists/123", "/tasks/not-a-uuid", "/lists/xyz/tasks"] {
        let err = expect_error(
            app.get(path, None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "VALIDATION_ERROR",
        )
        .await;
        assert!(
            err["details"]["path"][0]
                .as_str()
                .unwrap()
                .contains("not a valid UUID"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn unknown_fields_and_wrong_types_are_422_naming_each_field() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/lists",
            None,
            json!({"title": 5, "description": [], "colour": "red"}),
        )
        .await;
    let err = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(err["details"]["title"], json!(["Must be a string"]));
    assert_eq!(err["details"]["description"], json!(["Must be a string"]));
    assert_eq!(err["details"]["colour"], json!(["Unknown field"]));
    let res = app.post("/lists", None, json!(["title"])).await;
    expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
}

#[tokio::test]
async fn a_missing_or_bad_token_is_401_with_www_authenticate() {
    let app = spawn_app().await;
    let res = app.get("/users/profile", None).await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app.post("/auth/logout", None, json!({})).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    // A bad token on a route where auth is optional is still 401, never anonymous.
    let res = app.get("/lists", Some("garbage")).await;
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn wrong_credentials_are_401_with_one_message_for_both_cases() {
    let app = spawn_app().await;
    app.signup("alice").await;
    let wrong_password = app
        .post(
            "/auth/login",
            None,
            json!({"username": "alice", "password": "nope-nope"}),
        )
        .await;
    let a = expect_error(
        wrong_password,
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
    )
    .await;
    let unknown = app
        .post(
            "/auth/login",
            None,
            json!({"username": "bob", "password": "nope-nope"}),
        )
        .await;
    let b = expect_error(unknown, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn taken_usernames_and_emails_are_409_naming_the_field_whatever_the_case() {
    let app = spawn_app().await;
    app.signup("alice").await;
    let res = app
        .post(
            "/auth/signup",
            None,
            json!({"username": "ALICE", "email": "other@example.com", "password": "password-x"}),
        )
        .await;
    let err = expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert!(
        err["details"]["username"].is_array() && err["details"].get("email").is_none(),
        "{err}"
    );
    let res = app
        .post(
            "/auth/signup",
            None,
            json!({"username": "other", "email": "Alice@Example.com", "password": "password-x"}),
        )
        .await;
    let err = expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert!(
        err["details"]["email"].is_array() && err["details"].get("username").is_none(),
        "{err}"
    );
    let res = app
        .post(
            "/auth/signup",
            None,
            json!({"username": "Alice", "email": "ALICE@example.com", "password": "password-x"}),
        )
        .await;
    let err = expect_error(res, StatusCode::CONFLICT, "CONFLICT").await;
    assert!(
        err["details"]["email"].is_array() && err["details"]["username"].is_array(),
        "{err}"
    );
}

#[tokio::test]
async fn signup_and_login_are_rate_limited_per_ip_with_retry_after() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMIT_PER_SECOND", "1"),
        ("AUTH_RATE_LIMIT_BURST", "3"),
    ])
    .await;
    let body = json!({"username": "nobody", "password": "whatever-1"});
    for _ in 0..3 {
        expect_error(
            app.post("/auth/login", None, body.clone()).await,
            StatusCode::UNAUTHORIZED,
            "INVALID_CREDENTIALS",
        )
        .await;
    }
    let res = app.post("/auth/login", None, body.clone()).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    let res = app
        .post(
            "/auth/signup",
            None,
            json!({"username": "zed", "email": "zed@example.com", "password": "password-z"}),
        )
        .await;
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
    // Other routes are not limited.
    expect(app.get("/lists", None).await, StatusCode::OK).await;
}

#[tokio::test]
async fn a_database_out_of_reach_is_503_on_health_and_on_routes_without_leaking_internals() {
    let app = spawn_app().await;
    app.svc.close().await;
    let res = app.get("/health", None).await;
    let body = expect(res, StatusCode::SERVICE_UNAVAILABLE).await;
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(body["checks"]["database"]["status"], "unhealthy");
    let res = app.get("/lists", None).await;
    let err = expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE").await;
    let text = err.to_string().to_lowercase();
    assert!(
        !text.contains("sqlx") && !text.contains("pool") && !text.contains("sqlite"),
        "{text}"
    );
}
