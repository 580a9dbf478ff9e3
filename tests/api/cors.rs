//! CORS (`CORS_ORIGINS`): what a browser on another origin is allowed, and the root health
//! alias load balancers use. HTTP layers only: run once, on SQLite.

use reqwest::{header, Method, Response, StatusCode};

use crate::helpers::{expect, spawn_app, spawn_app_with, TestApp};

const ORIGIN: &str = "https://todo.example";

/// A preflight from `origin` for a PATCH with a token.
async fn preflight(app: &TestApp, origin: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.api("/lists"))
        .header(header::ORIGIN, origin)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "PATCH")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization")
        .send()
        .await
        .unwrap()
}

fn header_of(res: &Response, name: header::HeaderName) -> Option<&str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn without_cors_origins_no_cors_headers_are_sent() {
    let app = spawn_app().await;

    let res = app
        .client
        .get(app.api("/lists"))
        .header(header::ORIGIN, ORIGIN)
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
}

#[tokio::test]
async fn a_listed_origin_may_send_tokens_and_cookies() {
    let app = spawn_app_with(&[(
        "CORS_ORIGINS",
        "https://todo.example, https://other.example",
    )])
    .await;

    let res = preflight(&app, ORIGIN).await;

    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some(ORIGIN)
    );
    assert_eq!(
        header_of(&res, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        Some("true")
    );
    let methods = header_of(&res, header::ACCESS_CONTROL_ALLOW_METHODS).unwrap();
    assert!(methods.contains("PATCH"), "{methods}");
    let headers = header_of(&res, header::ACCESS_CONTROL_ALLOW_HEADERS).unwrap();
    assert!(headers.contains("authorization"), "{headers}");
}

#[tokio::test]
async fn an_unlisted_origin_is_not_allowed() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "https://todo.example")]).await;

    let res = preflight(&app, "https://evil.example").await;

    assert_eq!(header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
}

#[tokio::test]
async fn a_wildcard_allows_any_origin_but_never_credentials() {
    let app = spawn_app_with(&[("CORS_ORIGINS", "*")]).await;

    let res = preflight(&app, "https://anyone.example").await;

    assert_eq!(
        header_of(&res, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("*")
    );
    assert_eq!(
        header_of(&res, header::ACCESS_CONTROL_ALLOW_CREDENTIALS),
        None
    );
}

#[tokio::test]
async fn the_total_count_header_is_readable_by_a_listed_origin() {
    let app = spawn_app_with(&[("CORS_ORIGINS", ORIGIN)]).await;

    let res = app
        .client
        .get(app.api("/lists"))
        .header(header::ORIGIN, ORIGIN)
        .send()
        .await
        .unwrap();

    let exposed = header_of(&res, header::ACCESS_CONTROL_EXPOSE_HEADERS).unwrap();
    assert!(exposed.contains("x-total-count"), "{exposed}");
}

#[tokio::test]
async fn the_root_health_alias_gives_the_same_report() {
    let app = spawn_app().await;

    let res = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();

    let health = expect(res, StatusCode::OK).await;
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["service"], "TODO REST API");
}
