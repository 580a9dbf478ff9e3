//! Application state and the full router: `/api/v1`, `/graphql`, fallbacks and HTTP layers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::error::AppError;
use crate::http::HttpSettings;
use crate::rest::error::{error_for_status, InternalCause};
use crate::service::Service;
use crate::store::{Store, StoreError, StoreOptions};
use crate::{graphql, playground, rest};

/// What every handler can ask for, piece by piece (`State<Service>`, `State<HttpSettings>`...).
#[derive(Clone)]
pub struct AppState {
    pub svc: Service,
    pub http: Arc<HttpSettings>,
    pub graphql: graphql::GraphQl,
}

impl FromRef<AppState> for Service {
    fn from_ref(state: &AppState) -> Self {
        state.svc.clone()
    }
}

impl FromRef<AppState> for HttpSettings {
    fn from_ref(state: &AppState) -> Self {
        (*state.http).clone()
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("service: {0}")]
    Service(#[from] AppError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the database, builds the service and returns the router serving both faces.
pub async fn build(config: &Config) -> Result<(Router, Service), StartError> {
    let store = Store::open(&StoreOptions {
        url: &config.database_url,
        sqlite_synchronous: &config.sqlite_synchronous,
        pg_max_connections: config.pg_max_connections,
    })
    .await?;
    let svc = Service::new(config, store).await?;
    Ok((router(config, svc.clone()), svc))
}

/// The router for an already-built service.
pub fn router(config: &Config, svc: Service) -> Router {
    let state = AppState {
        graphql: graphql::GraphQl::new(svc.clone(), config),
        svc,
        http: Arc::new(HttpSettings {
            cookie_secure: config.cookie_secure,
            trust_proxy_headers: config.trust_proxy_headers,
        }),
    };
    let mut app = Router::new()
        .merge(rest::router())
        .merge(graphql::router())
        .merge(playground::routes())
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes));
    if let Some(cors) = cors(&config.cors_origins) {
        app = app.layer(cors);
    }
    // One INFO line per request (method, path, status, latency); headers are never logged.
    let trace = TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    app.layer(middleware::from_fn(ensure_error_body))
        .layer(trace)
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    let layer = CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([rest::tasks::X_TOTAL_COUNT.clone()])
        .max_age(Duration::from_secs(600));
    // Credentials (the cookie) only with an explicit list of origins.
    Some(if origins.iter().any(|o| o == "*") {
        layer
    } else {
        layer.allow_credentials(true)
    })
}

/// Gives every error response the contract's JSON body, whoever made it (axum's 405 with its
/// `Allow` header, tower-http's 413...), and logs the cause of any 500.
async fn ensure_error_body(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if let Some(InternalCause(cause)) = response.extensions().get::<InternalCause>() {
        tracing::error!(%cause, "internal error");
    }
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if status < StatusCode::BAD_REQUEST || is_json {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut fixed = error_for_status(status).into_response();
    *fixed.status_mut() = status;
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            fixed.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fixed
}
