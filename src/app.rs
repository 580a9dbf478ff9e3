//! The full router: `/api/v1`, `/graphql`, `/metrics`, fallbacks and HTTP layers. The top of
//! the dependency graph: only `main` (and the tests) import it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::error::AppError;
use crate::http::error::{error_for_status, InternalCause};
use crate::http::HttpSettings;
use crate::service::Service;
use crate::state::AppState;
use crate::store::{Store, StoreError, StoreOptions};
use crate::{graphql, playground, request_id, rest};

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
    let http = HttpSettings::new(config);
    let gql = graphql::GraphQl::new(svc.clone(), http.clone(), config);
    // Where the revocation check of a read can ride in its own statement, the REST routes
    // settle it for whatever else they answer (`settle_callers`); the other faces check in full.
    let mut rest = rest::router();
    if svc.defers_token_checks() {
        rest = rest.route_layer(middleware::from_fn_with_state(
            svc.clone(),
            crate::http::settle_callers,
        ));
    }
    let state = AppState {
        svc,
        http: Arc::new(http),
    };
    let mut app = Router::new();
    if config.metrics && crate::metrics::install().is_some() {
        app = app.route("/metrics", axum::routing::get(crate::metrics::scrape));
    }
    // One INFO line per request (method, path, request id, status, latency); headers and query
    // strings are never logged.
    let trace = TraceLayer::new_for_http()
        .make_span_with(request_id::make_span)
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let (timeout, metrics) = (config.request_timeout, config.metrics);
    // One stack, applied once: `Router::layer` boxes each layer it is given around every route,
    // a clone and a boxed future per layer and request; given as one, the stack is boxed once
    // (6,300 fewer instructions of a cached GET's 138,000, callgrind).
    // Outermost first for a request: a bad caller id is dropped, a fresh one set, then the span
    // that every later log line of the request belongs to.
    let layers = ServiceBuilder::new()
        .layer(middleware::map_request(request_id::drop_invalid))
        .layer(request_id::set())
        .layer(request_id::propagate())
        .layer(trace)
        .layer(compression())
        .layer(middleware::from_fn(move |req, next| {
            around(timeout, metrics, req, next)
        }))
        .option_layer(cors(&config.cors_origins));
    app.merge(rest)
        .merge(graphql::router(gql))
        .merge(playground::routes())
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(layers)
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

/// What every request goes through, in one middleware rather than three: each `from_fn` layer
/// clones the inner service and boxes a future per request, and the three layers this replaces
/// cost about 5,700 instructions of a cached GET's 144,000 (callgrind).
/// - A request still without an answer after `limit` gets 503 `TIMEOUT`, its work dropped. Only
///   the wait for the response head counts: an event stream, once answered, runs on.
/// - Every error gets the contract's body ([`ensure_error_body`]).
/// - With `metrics`, the request is counted and timed.
async fn around(limit: Duration, metrics: bool, req: Request, next: Next) -> Response {
    let timer = metrics.then(|| crate::metrics::RequestTimer::start(&req));
    let response = match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => ensure_error_body(response),
        Err(_) => AppError::Timeout {
            seconds: limit.as_secs(),
        }
        .into_response(),
    };
    if let Some(timer) = timer {
        timer.finish(&response);
    }
    response
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
fn ensure_error_body(response: Response) -> Response {
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
