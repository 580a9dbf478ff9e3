//! /auth/signup, /auth/login, /auth/logout and /users/profile.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::body::{Fields, FromJsonBody};
use super::extract::ApiJson;
use super::openapi::{Always, AuthErrors, BodyErrors, Limited, Taken};
use super::schemas;
use crate::error::AppError;
use crate::http::{ClientIp, HttpSettings};
use crate::service::users::{LoginInput, Session, SignupInput, User};
use crate::service::{Caller, Service};

impl FromJsonBody for SignupInput {
    fn from_json(f: &mut Fields) -> Self {
        let username = f.string("username");
        let email = f.string("email");
        let password = f.string("password");
        Self {
            username: f.required("username", username).unwrap_or_default(),
            email: f.required("email", email).unwrap_or_default(),
            password: f.required("password", password).unwrap_or_default(),
        }
    }
}

impl FromJsonBody for LoginInput {
    fn from_json(f: &mut Fields) -> Self {
        let username = f.string("username");
        let password = f.string("password");
        Self {
            username: f.required("username", username).unwrap_or_default(),
            password: f.required("password", password).unwrap_or_default(),
        }
    }
}

/// POST /api/v1/auth/signup
#[utoipa::path(
    post, path = "/api/v1/auth/signup", tag = "auth", operation_id = "signup",
    summary = "Create an account and sign in",
    request_body = schemas::SignupBody,
    responses(
        (status = 201, description = "The new user and a token; the token is also set as a cookie", body = Session,
         headers(("Set-Cookie" = String, description = "`access_token=<token>; HttpOnly; SameSite=Lax; Path=/; Max-Age=<token lifetime>` (plus `Secure` when configured)"))),
        BodyErrors, Taken, Limited, Always,
    ),
    security(),
)]
pub async fn signup(
    State(svc): State<Service>,
    State(http): State<HttpSettings>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<SignupInput>,
) -> Result<Response, AppError> {
    let session = svc.signup(ip, input).await?;
    Ok(with_cookie(StatusCode::CREATED, &http, &svc, session))
}

/// POST /api/v1/auth/login
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "auth", operation_id = "login",
    summary = "Sign in with a username or email and a password",
    request_body = schemas::LoginBody,
    responses(
        (status = 200, description = "A token and its user; the token is also set as a cookie", body = Session,
         headers(("Set-Cookie" = String, description = "`access_token=<token>; HttpOnly; SameSite=Lax; Path=/; Max-Age=<token lifetime>` (plus `Secure` when configured)"))),
        AuthErrors, BodyErrors, Limited, Always,
    ),
    security(),
)]
pub async fn login(
    State(svc): State<Service>,
    State(http): State<HttpSettings>,
    ClientIp(ip): ClientIp,
    ApiJson(input): ApiJson<LoginInput>,
) -> Result<Response, AppError> {
    let session = svc.login(ip, input).await?;
    Ok(with_cookie(StatusCode::OK, &http, &svc, session))
}

/// POST /api/v1/auth/logout
#[utoipa::path(
    post, path = "/api/v1/auth/logout", tag = "auth", operation_id = "logout",
    summary = "Revoke the token and clear the cookie",
    responses(
        (status = 200, description = "The token is revoked: using it again gives 401", body = schemas::LoggedOut,
         headers(("Set-Cookie" = String, description = "`access_token=; ...; Max-Age=0`: clears the cookie"))),
        AuthErrors, Always,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn logout(
    State(svc): State<Service>,
    State(http): State<HttpSettings>,
    caller: Caller,
) -> Result<Response, AppError> {
    svc.logout(&caller).await?;
    let cookie = http.session_cookie(&svc, "");
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({"message": "Logged out"})),
    )
        .into_response())
}

/// GET /api/v1/users/profile
#[utoipa::path(
    get, path = "/api/v1/users/profile", tag = "auth", operation_id = "profile",
    summary = "The signed-in user",
    responses(
        (status = 200, description = "The caller", body = User),
        AuthErrors, Always,
    ),
    security(("bearerAuth" = []), ("cookieAuth" = [])),
)]
pub async fn profile(State(svc): State<Service>, caller: Caller) -> Result<Json<User>, AppError> {
    Ok(Json(svc.profile(&caller).await?))
}

fn with_cookie(
    status: StatusCode,
    http: &HttpSettings,
    svc: &Service,
    session: Session,
) -> Response {
    let cookie = http.session_cookie(svc, &session.token);
    (status, [(header::SET_COOKIE, cookie)], Json(session)).into_response()
}
