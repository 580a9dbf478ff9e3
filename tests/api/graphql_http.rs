//! GraphQL over HTTP: content types, GET and POST, batches, media types, the playground page,
//! introspection switched off, and login through GraphQL (rate limit, odd emails, huge passwords).

use reqwest::StatusCode;
use serde_json::json;

use super::helpers::*;

const SIGNUP: &str = "mutation($i: SignupInput!) { signup(input: $i) { token user { id username email createdAt updatedAt } } }";

#[tokio::test]
async fn graphql_over_http_rules_hold() {
    let app = spawn_app().await;
    let url = format!("{}/graphql", app.base);
    // GET runs queries.
    let res = app
        .client
        .get(&url)
        .query(&[("query", "{ lists { id } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect(res, StatusCode::OK).await,
        json!({"data": {"lists": []}})
    );
    // A mutation over GET is 405 and runs nothing.
    let res = app
        .client
        .get(&url)
        .query(&[(
            "query",
            "mutation { createList(input: {title: \"x\"}) { id } }",
        )])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers()["allow"].to_str().unwrap().contains("POST"));
    // Non-JSON POSTs are 415 and run nothing (a cross-site form cannot mutate).
    for ct in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let res = app
            .client
            .post(&url)
            .header("content-type", ct)
            .body("{\"query\":\"mutation { createList(input: {title: \\\"x\\\"}) { id } }\"}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
    }
    let res = app
        .client
        .post(&url)
        .body("{\"query\":\"{ lists { id } }\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        expect(app.get("/lists", None).await, StatusCode::OK).await,
        json!([])
    );
    // Malformed JSON and batches are 400.
    let res = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"query\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .client
        .post(&url)
        .json(&json!([{"query": "{ lists { id } }"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // Content negotiation.
    let res = app
        .client
        .post(&url)
        .json(&json!({"query": "{ lists { id } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/json");
    let res = app
        .client
        .post(&url)
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": "{ lists { id } }"}))
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/graphql-response+json"));
    let res = app
        .client
        .post(&url)
        .header("accept", "application/graphql-response+json")
        .json(&json!({"query": "{ nope }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "a document that cannot run is a 400 for graphql-response+json"
    );
    let res = app
        .client
        .post(&url)
        .json(&json!({"query": "{ nope }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "and a 200 for plain application/json"
    );
    // The playground for browsers.
    let res = app
        .client
        .get(&url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
}

#[tokio::test]
async fn introspection_can_be_switched_off() {
    let app = spawn_app_with(&[("GRAPHQL_INTROSPECTION", "false")]).await;
    let (_, body) = app
        .graphql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(body["data"]["__schema"].is_null(), "{body}");
    let (_, body) = app.graphql(None, "{ lists { id } }", json!({})).await;
    assert_eq!(body, json!({"data": {"lists": []}}));
}

#[tokio::test]
async fn login_finds_emails_with_non_ascii_capitals_and_refuses_huge_passwords() {
    let app = spawn_app().await;
    let vars =
        json!({"i": {"username": "ueni", "email": "Ünï@example.com", "password": "password-123"}});
    let (_, body) = app.graphql(None, SIGNUP, vars).await;
    assert_eq!(
        body["data"]["signup"]["user"]["email"], "ünï@example.com",
        "{body}"
    );
    let res = app
        .post(
            "/auth/login",
            None,
            json!({"username": "ÜNÏ@example.com", "password": "password-123"}),
        )
        .await;
    expect(res, StatusCode::OK).await;
    let huge = "p".repeat(5000);
    let res = app
        .post(
            "/auth/login",
            None,
            json!({"username": "ueni", "password": huge}),
        )
        .await;
    expect_error(res, StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS").await;
}

#[tokio::test]
async fn graphql_login_shares_the_rate_limit_and_says_when_to_retry() {
    let app = spawn_app_with(&[
        ("AUTH_RATE_LIMIT_PER_SECOND", "1"),
        ("AUTH_RATE_LIMIT_BURST", "2"),
    ])
    .await;
    let login =
        "mutation { login(input: {username: \"nobody\", password: \"whatever-1\"}) { token } }";
    for _ in 0..2 {
        let (_, body) = app.graphql(None, login, json!({})).await;
        assert_eq!(gql_code(&body), "INVALID_CREDENTIALS");
    }
    let (_, body) = app.graphql(None, login, json!({})).await;
    assert_eq!(gql_code(&body), "RATE_LIMITED", "{body}");
    assert!(
        body["errors"][0]["extensions"]["retryAfter"]
            .as_u64()
            .unwrap()
            >= 1
    );
    // The same bucket as REST's.
    let res = app
        .post(
            "/auth/login",
            None,
            json!({"username": "nobody", "password": "whatever-1"}),
        )
        .await;
    expect_error(res, StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED").await;
}
