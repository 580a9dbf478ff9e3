//! Token attacks: every forged, expired, revoked or malformed token is 401, on both faces.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "iat": now(), "exp": now() + 600, "jti": uuid::Uuid::new_v4().to_string()})
}

fn sign(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

/// Every hostile token we can think of, for a real user id.
fn attacks(user_id: &str) -> Vec<(&'static str, String)> {
    let secret = JWT_SECRET.as_bytes();
    let good = claims(user_id);
    let without = |key: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(key);
        sign(Algorithm::HS256, secret, &c)
    };
    let (no_sub, no_exp, no_jti, no_iat) = (
        without("sub"),
        without("exp"),
        without("jti"),
        without("iat"),
    );
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 1);
    expired["iat"] = json!(now() - 100);
    let mut bad_sub = good.clone();
    bad_sub["sub"] = json!("not-a-uuid");
    let mut ghost = good.clone();
    ghost["sub"] = json!(uuid::Uuid::new_v4().to_string());
    let valid = sign(Algorithm::HS256, secret, &good);
    let (_, payload_sig) = valid.split_once('.').unwrap();
    vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "none", "typ": "JWT"})),
                b64(&good)
            ),
        ),
        (
            "alg None",
            format!(
                "{}.{}.",
                b64(&json!({"alg": "None", "typ": "JWT"})),
                b64(&good)
            ),
        ),
        (
            "wrong secret",
            sign(
                Algorithm::HS256,
                b"another-secret-of-sufficient-length!",
                &good,
            ),
        ),
        ("HS384", sign(Algorithm::HS384, secret, &good)),
        ("HS512", sign(Algorithm::HS512, secret, &good)),
        (
            "header swapped to HS512",
            format!(
                "{}.{payload_sig}",
                b64(&json!({"alg": "HS512", "typ": "JWT"}))
            ),
        ),
        ("expired", sign(Algorithm::HS256, secret, &expired)),
        ("no sub", no_sub),
        ("no exp", no_exp),
        ("no jti", no_jti),
        ("no iat", no_iat),
        ("sub not a uuid", sign(Algorithm::HS256, secret, &bad_sub)),
        ("unknown user", sign(Algorithm::HS256, secret, &ghost)),
        ("tampered payload", {
            let mut t = valid.clone();
            t.insert(40, 'A');
            t
        }),
        ("garbage", "garbage".to_owned()),
        ("empty", String::new()),
        ("three dots", "...".to_owned()),
    ]
}

#[tokio::test]
async fn forged_expired_and_malformed_tokens_are_401_on_rest_and_graphql() {
    let app = spawn_app().await;
    let (_, user_id) = app.signup("alice").await;
    for (name, token) in attacks(&user_id) {
        let res = app
            .client
            .get(app.api("/users/profile"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name}");
        expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
        // Optional-auth routes refuse it too, rather than treating the caller as anonymous.
        let res = app
            .client
            .get(app.api("/lists"))
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name} on /lists");
        let res = app
            .client
            .get(app.api("/lists"))
            .header("cookie", format!("access_token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNAUTHORIZED,
            "{name} in the cookie"
        );
        let (status, body) = app.graphql(Some(&token), "{ me { id } }", json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} on GraphQL");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHORIZED",
            "{name}: {body}"
        );
    }
    // A non-Bearer scheme is refused too.
    let res = app
        .client
        .get(app.api("/users/profile"))
        .header("authorization", "Basic YWxpY2U6cHc=")
        .send()
        .await
        .unwrap();
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
}

#[tokio::test]
async fn logout_revokes_the_token_on_both_faces_and_clears_the_cookie() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let (second, _) = {
        let res = app
            .post(
                "/auth/login",
                None,
                json!({"username": "alice", "password": "password-alice"}),
            )
            .await;
        let body = expect(res, StatusCode::OK).await;
        (body["token"].as_str().unwrap().to_owned(), ())
    };
    let res = app.post("/auth/logout", Some(&token), json!({})).await;
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("access_token=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    assert_eq!(
        expect(res, StatusCode::OK).await,
        json!({"message": "Logged out"})
    );
    expect_error(
        app.get("/users/profile", Some(&token)).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    expect_error(
        app.post("/auth/logout", Some(&token), json!({})).await,
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
    )
    .await;
    let (status, body) = app.graphql(Some(&token), "{ me { id } }", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHORIZED");
    // Another session of the same user is unaffected.
    expect(
        app.get("/users/profile", Some(&second)).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn the_cookie_works_when_there_is_no_header_and_the_header_wins_over_it() {
    let app = spawn_app().await;
    let (alice, _) = app.signup("alice").await;
    let (bob, _) = app.signup("bob").await;
    let res = app
        .client
        .get(app.api("/users/profile"))
        .header("cookie", format!("theme=dark; access_token={alice}"))
        .send()
        .await
        .unwrap();
    assert_eq!(expect(res, StatusCode::OK).await["username"], "alice");
    let res = app
        .client
        .get(app.api("/users/profile"))
        .bearer_auth(&bob)
        .header("cookie", format!("access_token={alice}"))
        .send()
        .await
        .unwrap();
    assert_eq!(expect(res, StatusCode::OK).await["username"], "bob");
}

#[tokio::test]
async fn tokens_carry_the_claims_of_the_contract() {
    let app = spawn_app_with(&[("JWT_EXPIRY_SECONDS", "120")]).await;
    let (token, user_id) = app.signup("alice").await;
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = jsonwebtoken::decode::<Value>(
        &token,
        &jsonwebtoken::DecodingKey::from_secret(JWT_SECRET.as_bytes()),
        &validation,
    )
    .unwrap();
    assert_eq!(data.header.alg, Algorithm::HS256);
    let c = data.claims;
    assert_eq!(c["sub"], user_id.as_str());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);
    assert!(uuid::Uuid::parse_str(c["jti"].as_str().unwrap()).is_ok());
}
