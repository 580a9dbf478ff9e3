//! Who may open `/graphql/ws`: tokens in `connection_init` (garbage, another secret, revoked:
//! refused, never anonymous), the cookie of a same-origin upgrade, the init timeout, the cap of
//! connections per user, and a logout ending the streams of its token.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::helpers::{expect, spawn_app, spawn_app_with, JWT_SECRET};
use crate::ws::{ws_open, Frame, GqlWs, LEGACY_WS, TRANSPORT_WS};

/// A well-formed token for a real user, signed with another secret.
fn signed_elsewhere(user_id: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": user_id, "iat": now, "exp": now + 600, "jti": uuid::Uuid::new_v4().to_string()});
    let key = jsonwebtoken::EncodingKey::from_secret(b"another-secret-that-is-long-enough-too");
    assert_ne!(JWT_SECRET.as_bytes(), b"another-secret-that-is-long-enough-too");
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
}

/// Asserts that `connection_init` with `payload` is refused in `protocol`.
async fn expect_refused(base: &str, protocol: &'static str, payload: serde_json::Value) {
    let mut conn = GqlWs::init(base, protocol, payload.clone()).await;
    let first = tokio::time::timeout(Duration::from_secs(5), conn.ws.next()).await.expect("an answer");
    match (protocol, first) {
        (TRANSPORT_WS, Frame::Close(code, reason)) => {
            assert_eq!(code, 4403, "{reason}");
            assert!(!reason.is_empty());
        }
        (LEGACY_WS, Frame::Text(text)) => {
            let message: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(message["type"], "connection_error", "{message}");
            assert!(!matches!(conn.ws.next().await, Frame::Text(_)), "then closed");
        }
        (_, other) => panic!("{protocol} {payload}: expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_tokens_in_connection_init_are_refused_never_anonymous() {
    let app = spawn_app().await;
    let (token, user) = app.signup("alice").await;
    expect(app.post("/auth/logout", Some(&token), json!({})).await, StatusCode::OK).await;
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        for bad in ["Bearer garbage", &format!("Bearer {}", signed_elsewhere(&user)), &format!("Bearer {token}")] {
            expect_refused(&app.base, protocol, json!({"authorization": bad})).await;
        }
    }
}

#[tokio::test]
async fn a_connection_without_init_is_closed_after_the_timeout() {
    let app = spawn_app_with(&[("GRAPHQL_WS_INIT_TIMEOUT_SECONDS", "1")]).await;
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        let (status, mut ws) = ws_open(&app.base, Some(protocol), &[]).await;
        assert_eq!(status, 101);
        let started = std::time::Instant::now();
        let frame = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("closed in time");
        assert_eq!(frame, Frame::Close(4408, "Connection initialisation timeout".into()));
        assert!(started.elapsed() >= Duration::from_millis(900));
    }
}

#[tokio::test]
async fn an_upgrade_without_a_graphql_subprotocol_is_refused() {
    let app = spawn_app().await;
    let (status, _) = ws_open(&app.base, None, &[]).await;
    assert_eq!(status, 400);
    let (status, _) = ws_open(&app.base, Some("chat, graphql-ws"), &[]).await;
    assert_eq!(status, 101, "a GraphQL one among others is chosen");
}

#[tokio::test]
async fn the_cookie_of_a_same_origin_upgrade_signs_the_connection_in() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "Mine").await;
    let origin = app.base.clone();
    let cookie = format!("access_token={token}");
    let (status, ws) = ws_open(&app.base, Some(TRANSPORT_WS), &[("Cookie", &cookie), ("Origin", &origin)]).await;
    assert_eq!(status, 101);
    let mut conn = GqlWs { ws, protocol: TRANSPORT_WS };
    conn.ws.send_text(r#"{"type":"connection_init"}"#).await;
    assert_eq!(conn.message().await["type"], "connection_ack");
    conn.subscribe("1", &list).await;
    app.task(Some(&token), &list, json!({"title": "By cookie"})).await;
    assert_eq!(conn.event("1").await["task"]["title"], "By cookie");

    // From another site, the cookie is not used: the connection is anonymous.
    let headers = [("Cookie", cookie.as_str()), ("Origin", "http://evil.example")];
    let (_, ws) = ws_open(&app.base, Some(TRANSPORT_WS), &headers).await;
    let mut conn = GqlWs { ws, protocol: TRANSPORT_WS };
    conn.ws.send_text(r#"{"type":"connection_init"}"#).await;
    assert_eq!(conn.message().await["type"], "connection_ack");
    conn.subscribe("1", &list).await;
    assert_eq!(conn.data("1").await["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn a_user_holds_at_most_the_configured_connections() {
    let app = spawn_app_with(&[("GRAPHQL_WS_MAX_CONNECTIONS_PER_USER", "2")]).await;
    let (token, _) = app.signup("alice").await;
    let first = GqlWs::connect(&app.base, TRANSPORT_WS, Some(&token)).await;
    let _second = GqlWs::connect(&app.base, LEGACY_WS, Some(&token)).await;
    let payload = json!({"authorization": format!("Bearer {token}")});
    expect_refused(&app.base, TRANSPORT_WS, payload.clone()).await;
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    GqlWs::connect(&app.base, TRANSPORT_WS, Some(&token)).await;
}

#[tokio::test]
async fn logging_out_ends_the_subscriptions_of_that_token() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let list = app.list(Some(&token), "Mine").await;
    for protocol in [TRANSPORT_WS, LEGACY_WS] {
        let login = json!({"username": "alice", "password": "password-alice"});
        let fresh = expect(app.post("/auth/login", None, login).await, StatusCode::OK).await;
        let fresh = fresh["token"].as_str().unwrap().to_owned();
        let mut conn = GqlWs::connect(&app.base, protocol, Some(&fresh)).await;
        conn.subscribe("1", &list).await;
        let (_, body) = app.graphql(Some(&fresh), "mutation { logout }", json!({})).await;
        assert_eq!(body["data"]["logout"], true);
        let payload = conn.data("1").await;
        assert_eq!(payload["errors"][0]["extensions"]["code"], "UNAUTHORIZED", "{payload}");
        conn.expect_complete("1").await;
        // A new subscription on the same connection is refused too.
        conn.subscribe("2", &list).await;
        assert_eq!(conn.data("2").await["errors"][0]["extensions"]["code"], "UNAUTHORIZED");
    }
}
