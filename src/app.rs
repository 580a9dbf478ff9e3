//! Application state and the full router: `/api/v1`, `/graphql`, `/metrics`, fallbacks and HTTP
//! layers.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRef, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::error::AppError;
use crate::http::HttpSettings;
use crate::rest::error::{error_for_status, InternalCause};
use crate::service::Service;
use crate::store::{Store, StoreError, StoreOptions};
use crate::{graphql, playground, request_id, rest};

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
            events_keep_alive: config.events_keep_alive,
        }),
    };
    let mut app = Router::new();
    if config.metrics && crate::metrics::install().is_some() {
        app = app.route("/metrics", axum::routing::get(crate::metrics::scrape));
    }
    let mut app = app
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
    // One INFO line per request (method, path, request id, status, latency); headers and query
    // strings are never logged.
    let trace = TraceLayer::new_for_http()
        .make_span_with(request_id::make_span)
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let timeout = config.request_timeout;
    let app = app
        .layer(middleware::from_fn(move |req, next| {
            within(timeout, req, next)
        }))
        .layer(middleware::from_fn(ensure_error_body))
        .layer(compression());
    let app = if config.metrics {
        app.layer(middleware::from_fn(crate::metrics::track))
    } else {
        app
    };
    // Outermost first for a request: a bad caller id is dropped, a fresh one set, then the span
    // that every later log line of the request belongs to.
    app.layer(trace)
        .layer(request_id::propagate())
        .layer(request_id::set())
        .layer(middleware::map_request(request_id::drop_invalid))
}

/// Answers over 1 KiB, compressed as the client accepts (gzip, br, zstd); never event streams
/// (each event must reach the client when written), images or gRPC.
pub fn compression() -> CompressionLayer<impl Predicate> {
    let when = SizeAbove::new(1024)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    CompressionLayer::new().compress_when(when)
}

/// A request still without an answer after `limit` gets 503 `TIMEOUT`, its work dropped. Only
/// the wait for the response head counts: an event stream, once answered, runs on.
async fn within(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout {
            seconds: limit.as_secs(),
        }
        .into_response(),
    }
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
