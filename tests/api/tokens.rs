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

/// Tokens with a good signature whose claims are missing, expired or wrong, for a real user id.
fn claim_attacks(user_id: &str) -> Vec<(&'static str, String)> {
    let good = claims(user_id);
    let signed = |c: &Value| sign(Algorithm::HS256, JWT_SECRET.as_bytes(), c);
    let without = |key: &str| {
        let mut c = good.clone();
        c.as_object_mut().unwrap().remove(key);
        signed(&c)
    };
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        signed(&c)
    };
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 1);
    expired["iat"] = json!(now() - 100);
    let stranger = uuid::Uuid::new_v4().to_string();
    vec![
        ("expired", signed(&expired)),
        ("no sub", without("sub")),
        ("no exp", without("exp")),
        ("no jti", without("jti")),
        ("no iat", without("iat")),
        ("sub not a uuid", with("sub", json!("not-a-uuid"))),
        ("unknown user", with("sub", json!(stranger))),
    ]
}

/// Tokens for a real user id whose algorithm, signature or shape is wrong.
fn signature_attacks(user_id: &str) -> Vec<(&'static str, String)> {
    let secret = JWT_SECRET.as_bytes();
    let good = claims(user_id);
    let valid = sign(Algorithm::HS256, secret, &good);
    let (_, payload_sig) = valid.split_once('.').unwrap();
    let header = |alg: &str| b64(&json!({"alg": alg, "typ": "JWT"}));
    let unsigned = |alg: &str| format!("{}.{}.", header(alg), b64(&good));
    let other_secret = b"another-secret-of-sufficient-length!";
    let mut tampered = valid.clone();
    tampered.insert(40, 'A');
    vec![
        ("alg none", unsigned("none")),
        ("alg None", unsigned("None")),
        ("wrong secret", sign(Algorithm::HS256, other_secret, &good)),
        ("HS384", sign(Algorithm::HS384, secret, &good)),
        ("HS512", sign(Algorithm::HS512, secret, &good)),
        (
            "header swapped to HS512",
            format!("{}.{payload_sig}", header("HS512")),
        ),
        ("tampered payload", tampered),
        ("garbage", "garbage".to_owned()),
        ("empty", String::new()),
        ("three dots", "...".to_owned()),
    ]
}

/// Every hostile token we can think of, for a fresh user of `app`.
async fn attacks(app: &TestApp) -> Vec<(&'static str, String)> {
    let (_, user_id) = app.signup("alice").await;
    let mut all = claim_attacks(&user_id);
    all.extend(signature_attacks(&user_id));
    all
}

/// GET `/api/v1{path}` with `token` in the Authorization header.
async fn get_with_header(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.client
        .get(app.api(path))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn forged_expired_and_malformed_tokens_are_401_on_a_protected_route() {
    let app = spawn_app().await;
    for (name, token) in attacks(&app).await {
        let res = get_with_header(&app, "/users/profile", &token).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name}");
        expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    }
}

#[tokio::test]
async fn a_bad_token_is_401_where_auth_is_optional_not_treated_as_anonymous() {
    let app = spawn_app().await;
    for (name, token) in attacks(&app).await {
        let res = get_with_header(&app, "/lists", &token).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name} on /lists");
    }
}

#[tokio::test]
async fn a_bad_token_in_the_cookie_is_401() {
    let app = spawn_app().await;
    for (name, token) in attacks(&app).await {
        let res = app
            .client
            .get(app.api("/lists"))
            .header("cookie", format!("access_token={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{name} in the cookie");
    }
}

#[tokio::test]
async fn a_bad_token_is_401_on_graphql_with_the_unauthorized_code() {
    let app = spawn_app().await;
    for (name, token) in attacks(&app).await {
        let (status, body) = app.graphql(Some(&token), "{ me { id } }", json!({})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name} on GraphQL");
        assert_eq!(gql_code(&body), "UNAUTHORIZED", "{name}: {body}");
    }
}

#[tokio::test]
async fn a_scheme_other_than_bearer_is_401() {
    let app = spawn_app().await;
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
async fn logout_answers_with_a_message_and_clears_the_cookie() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
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
}

#[tokio::test]
async fn a_logged_out_token_is_refused_on_both_faces_and_cannot_log_out_again() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let res = app.post("/auth/logout", Some(&token), json!({})).await;
    expect(res, StatusCode::OK).await;

    let res = app.get("/users/profile", Some(&token)).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app.post("/auth/logout", Some(&token), json!({})).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let (status, body) = app.graphql(Some(&token), "{ me { id } }", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(gql_code(&body), "UNAUTHORIZED");
}

/// Every answer to a logged-out token is 401, whatever else is wrong with the request and
/// whether or not what it names exists: reads that check the token in their own statement,
/// requests refused before they reach an operation, and writes that must change nothing.
#[tokio::test]
async fn a_logged_out_token_gets_401_and_nothing_else_on_every_route() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let t = Some(token.as_str());
    let list = app.list(t, "Groceries").await;
    let task = app.task(t, &list, json!({"title": "Milk"})).await;
    // Read once while valid, so that anything this process keeps about the user is warm.
    expect(app.get(&format!("/tasks/{task}"), t).await, StatusCode::OK).await;
    expect(app.post("/auth/logout", t, json!({})).await, StatusCode::OK).await;

    let missing = uuid::Uuid::new_v4();
    let reads = [
        format!("/tasks/{task}"),
        format!("/tasks/{missing}"),
        "/tasks/not-a-uuid".to_owned(),
        format!("/lists/{list}/tasks"),
        format!("/lists/{list}/tasks?limit=0"),
        format!("/lists/{list}/tasks?sort=nonsense"),
        format!("/lists/{missing}/tasks"),
        format!("/lists/{list}"),
        "/lists".to_owned(),
        "/users/profile".to_owned(),
    ];
    for path in &reads {
        let res = app.get(path, t).await;
        expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    }
    let res = app.patch(&format!("/tasks/{task}"), t, json!({"title": "Gone"})).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app.patch(&format!("/tasks/{task}"), t, json!({"title": 7})).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app.post(&format!("/lists/{list}/tasks"), t, json!({"title": "Eggs"})).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;
    let res = app.delete(&format!("/tasks/{task}"), t).await;
    expect_error(res, StatusCode::UNAUTHORIZED, "UNAUTHORIZED").await;

    // Nothing changed: a fresh session still finds the task as it was, alone in its list.
    let login = json!({"username": "alice", "password": "password-alice"});
    let fresh = expect(app.post("/auth/login", None, login).await, StatusCode::OK).await;
    let fresh = fresh["token"].as_str().map(str::to_owned);
    let page = app.get(&format!("/lists/{list}/tasks"), fresh.as_deref()).await;
    let page = expect(page, StatusCode::OK).await;
    assert_eq!(page.as_array().map(Vec::len), Some(1), "{page}");
    assert_eq!(page[0]["title"], "Milk");
}

#[tokio::test]
async fn logging_out_one_session_leaves_the_users_other_sessions_working() {
    let app = spawn_app().await;
    let (token, _) = app.signup("alice").await;
    let login = json!({"username": "alice", "password": "password-alice"});
    let second = expect(app.post("/auth/login", None, login).await, StatusCode::OK).await;
    let second = second["token"].as_str().unwrap();
    let res = app.post("/auth/logout", Some(&token), json!({})).await;
    expect(res, StatusCode::OK).await;

    let res = app.get("/users/profile", Some(second)).await;
    expect(res, StatusCode::OK).await;
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
