//! HTTP pieces both faces share: the caller (token from header or cookie), the client address,
//! body reading within the size limit, content-type checks, the session cookie, and (in
//! [`error`]) how an error looks over HTTP.
//!
//! Nothing here imports `app`, `rest` or `graphql` (see the dependency rule in `lib.rs`).

pub mod error;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::error::AppError;
use crate::service::{Caller, Service};

/// Per-process HTTP settings the handlers need beside the service.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    pub cookie_secure: bool,
    pub trust_proxy_headers: bool,
    /// Between `: keep-alive` comments on a quiet event stream.
    pub events_keep_alive: std::time::Duration,
}

impl HttpSettings {
    pub fn new(config: &Config) -> Self {
        Self {
            cookie_secure: config.cookie_secure,
            trust_proxy_headers: config.trust_proxy_headers,
            events_keep_alive: config.events_keep_alive,
        }
    }

    /// The `Set-Cookie` value of docs/authentication.md for a fresh session's token: it lives as
    /// long as the token. An empty token clears the cookie (logout).
    pub fn session_cookie(&self, svc: &Service, token: &str) -> HeaderValue {
        let max_age = if token.is_empty() {
            0
        } else {
            svc.token_lifetime_secs()
        };
        let secure = if self.cookie_secure { "; Secure" } else { "" };
        let cookie = format!(
            "access_token={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age}{secure}"
        );
        // JWTs are base64url and dots, always a valid header value.
        HeaderValue::from_str(&cookie)
            .unwrap_or_else(|_| HeaderValue::from_static("access_token=; Max-Age=0"))
    }
}

/// The bearer token of a request: the `Authorization` header, or else the `access_token` cookie.
/// `Some("")`-like malformed headers are returned as-is so they fail verification (401).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().unwrap_or("");
        return Some(match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => "",
        });
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "access_token")
        .map(|(_, value)| value.trim())
}

/// Resolves the request's token to a caller. No token: anonymous. A token that fails any check:
/// 401, never silently anonymous.
pub async fn caller_from_headers(svc: &Service, headers: &HeaderMap) -> Result<Caller, AppError> {
    match bearer_token(headers) {
        None => Ok(Caller::Anonymous),
        Some(token) => svc.authenticate(token).await.map(Caller::User),
    }
}

/// Set by `settle_callers` on the requests it wraps: their caller's revocation check may be left
/// to the operation's own first statement (`Service::authenticate_deferred`), since the
/// middleware settles it before answering whatever the handler did.
#[derive(Clone, Default)]
pub struct DeferredCaller(Arc<OnceLock<Caller>>);

/// Middleware for routes whose callers are authenticated with the revocation check deferred:
/// a request refused before its operation checked the token (a malformed path or query, say)
/// or an operation that never checks it, still answers 401 and nothing else to a revoked
/// token. A no-op for callers already settled, which is every caller on SQLite.
pub async fn settle_callers(State(svc): State<Service>, mut req: Request, next: Next) -> Response {
    let deferred = DeferredCaller::default();
    req.extensions_mut().insert(deferred.clone());
    let response = next.run(req).await;
    match deferred.0.get() {
        Some(caller) => match svc.confirm(caller).await {
            Ok(()) => response,
            Err(refused) => refused.into_response(),
        },
        None => response,
    }
}

impl<S> FromRequestParts<S> for Caller
where
    S: Send + Sync,
    Service: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let svc = Service::from_ref(state);
        let Some(deferred) = parts.extensions.get::<DeferredCaller>() else {
            return caller_from_headers(&svc, &parts.headers).await;
        };
        let caller = match bearer_token(&parts.headers) {
            None => Caller::Anonymous,
            Some(token) => Caller::User(svc.authenticate_deferred(token).await?),
        };
        if deferred.0.set(caller.clone()).is_err() {
            // A second caller in one request: the middleware settles only the first.
            svc.confirm(&caller).await?;
        }
        Ok(caller)
    }
}

/// The whole body within the configured size limit (413 past it).
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::malformed_json("The request body could not be read")
        }
    })
}

/// `application/json`, with parameters, or any `+json` type.
pub fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The client's address for rate limiting: the peer, or `X-Real-IP` behind our own proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// When neither is known (a request not served from a socket, as in-process tests make): one
/// shared bucket for all such callers.
impl Default for ClientIp {
    fn default() -> Self {
        Self(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

impl<S> FromRequestParts<S> for ClientIp
where
    S: Send + Sync,
    HttpSettings: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let settings = HttpSettings::from_ref(state);
        let forwarded = settings
            .trust_proxy_headers
            .then(|| {
                parts
                    .headers
                    .get("x-real-ip")?
                    .to_str()
                    .ok()?
                    .trim()
                    .parse()
                    .ok()
            })
            .flatten();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(forwarded.or(peer).map(ClientIp).unwrap_or_default())
    }
}
