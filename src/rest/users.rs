//! /auth/signup, /auth/login, /auth/logout and /users/profile.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::body::{Fields, FromJsonBody};
use super::extract::ApiJson;
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
pub async fn logout(
    State(svc): State<Service>,
    State(http): State<HttpSettings>,
    caller: Caller,
) -> Result<Response, AppError> {
    svc.logout(&caller).await?;
    let cookie = http.session_cookie("", 0);
    Ok((
        [(header::SET_COOKIE, cookie)],
        Json(json!({"message": "Logged out"})),
    )
        .into_response())
}

/// GET /api/v1/users/profile
pub async fn profile(State(svc): State<Service>, caller: Caller) -> Result<Json<User>, AppError> {
    Ok(Json(svc.profile(&caller)?))
}

fn with_cookie(
    status: StatusCode,
    http: &HttpSettings,
    svc: &Service,
    session: Session,
) -> Response {
    let cookie = http.session_cookie(&session.token, svc.token_lifetime_secs());
    (status, [(header::SET_COOKIE, cookie)], Json(session)).into_response()
}
