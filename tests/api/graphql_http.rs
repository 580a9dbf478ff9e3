//! GraphQL over HTTP: content types, GET and POST, batches, media types, the playground page,
//! introspection switched off, and login through GraphQL (rate limit, odd emails, huge passwords).

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

const SIGNUP: &str = "mutation($i: SignupInput!) { signup(input: $i) { token user { id username email createdAt updatedAt } } }";

fn graphql_url(app: &TestApp) -> String {
    format!("{}/graphql", app.base)
}

/// GET /graphql with these query parameters.
async fn get_graphql(app: &TestApp, params: &[(&str, &str)]) -> reqwest::Response {
    let req = app.client.get(graphql_url(app)).query(params);
    req.send().await.unwrap()
}

/// POST /graphql with a JSON body and, when given, an `Accept` header.
async fn post_graphql(app: &TestApp, accept: Option<&str>, body: Value) -> reqwest::Response {
    let mut req = app.client.post(graphql_url(app)).json(&body);
    if let Some(accept) = accept {
        req = req.header("accept", accept);
    }
    req.send().await.unwrap()
}

const CREATE_LIST: &str = "mutation { createList(input: {title: \"x\"}) { id } }";

#[tokio::test]
async fn get_runs_a_query_from_the_url() {
    let app = spawn_app().await;

    let res = get_graphql(&app, &[("query", "{ lists { id } }")]).await;

    assert_eq!(
        expect(res, StatusCode::OK).await,
        json!({"data": {"lists": []}})
    );
}

#[tokio::test]
async fn a_mutation_over_get_is_405_and_runs_nothing() {
    let app = spawn_app().await;

    let res = get_graphql(&app, &[("query", CREATE_LIST)]).await;

    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(res.headers()["allow"].to_str().unwrap().contains("POST"));
    assert_eq!(
        expect(app.get("/lists", None).await, StatusCode::OK).await,
        json!([])
    );
}

#[tokio::test]
async fn get_runs_the_named_operation_with_its_variables() {
    let app = spawn_app().await;
    app.list(None, "first").await;
    app.list(None, "second").await;

    let doc = "query A { me { id } } query B($n: Int) { lists(limit: $n) { title } }";
    let params = [("query", doc), ("operationName", "B"), ("variables", r#"{"n": 1}"#)];
    let res = get_graphql(&app, &params).await;

    assert_eq!(
        expect(res, StatusCode::OK).await,
        json!({"data": {"lists": [{"title": "first"}]}})
    );
}

#[tokio::test]
async fn a_mutation_named_among_queries_over_get_is_405_and_runs_nothing() {
    let app = spawn_app().await;

    let doc = format!("query Q {{ me {{ id }} }} {}", CREATE_LIST.replacen("mutation", "mutation M", 1));
    let res = get_graphql(&app, &[("query", &doc), ("operationName", "M")]).await;

    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        expect(app.get("/lists", None).await, StatusCode::OK).await,
        json!([])
    );
}

#[tokio::test]
async fn get_without_a_query_parameter_is_a_bad_request_naming_it() {
    let app = spawn_app().await;

    let res = get_graphql(&app, &[]).await;

    let body = expect_error(res, StatusCode::BAD_REQUEST, "BAD_REQUEST").await;
    assert_eq!(body["error"], "Bad request");
    assert_eq!(
        body["details"],
        json!({"query": ["A `query` parameter is required"]})
    );
}

#[tokio::test]
async fn get_with_variables_that_are_not_json_is_a_validation_error() {
    let app = spawn_app().await;

    let params = [("query", "query($n: Int) { lists(limit: $n) { id } }"), ("variables", "{")];
    let res = get_graphql(&app, &params).await;

    let body = expect_error(res, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_ERROR").await;
    assert_eq!(body["details"], json!({"variables": ["Must be a JSON object"]}));
}

#[tokio::test]
async fn a_post_that_is_not_json_is_415_and_runs_nothing() {
    let app = spawn_app().await;
    let body = format!("{}", json!({"query": CREATE_LIST}));

    // A cross-site form cannot mutate; a missing content type is refused as well.
    for ct in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut req = app.client.post(graphql_url(&app)).body(body.clone());
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct:?}");
    }
    assert_eq!(
        expect(app.get("/lists", None).await, StatusCode::OK).await,
        json!([])
    );
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;

    let res = app
        .client
        .post(graphql_url(&app))
        .header("content-type", "application/json")
        .body("{\"query\":")
        .send()
        .await
        .unwrap();

    let body = expect_error(res, StatusCode::BAD_REQUEST, "BAD_REQUEST").await;
    assert_eq!(body["error"], "Malformed JSON");
}

#[tokio::test]
async fn a_batch_of_operations_is_a_bad_request() {
    let app = spawn_app().await;

    let res = post_graphql(&app, None, json!([{"query": "{ lists { id } }"}])).await;

    expect_error(res, StatusCode::BAD_REQUEST, "BAD_REQUEST").await;
}

#[tokio::test]
async fn plain_json_is_the_default_answer_type() {
    let app = spawn_app().await;

    let res = post_graphql(&app, None, json!({"query": "{ lists { id } }"})).await;

    assert_eq!(res.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn graphql_response_json_is_answered_when_accepted() {
    let app = spawn_app().await;
    let accept = Some("application/graphql-response+json");

    let res = post_graphql(&app, accept, json!({"query": "{ lists { id } }"})).await;

    let content_type = res.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("application/graphql-response+json"));
}

#[tokio::test]
async fn a_document_that_cannot_run_is_400_only_for_graphql_response_json() {
    let app = spawn_app().await;
    let accept = Some("application/graphql-response+json");

    let modern = post_graphql(&app, accept, json!({"query": "{ nope }"})).await;
    let plain = post_graphql(&app, None, json!({"query": "{ nope }"})).await;

    assert_eq!(modern.status(), StatusCode::BAD_REQUEST);
    assert_eq!(plain.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_browser_gets_the_playground_page() {
    let app = spawn_app().await;

    let res = app
        .client
        .get(graphql_url(&app))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::OK);
    let content_type = res.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/html"));
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
