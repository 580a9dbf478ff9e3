//! Prometheus metrics: the recorder, `GET /metrics` and the per-request middleware (the store
//! times its own operations).
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder), installed on first
//! use; with `METRICS=false` it is never installed and every `metrics::` call is a no-op.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Latency buckets in seconds: from a cached GET (~1 ms) to a request near its timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

struct Exporter {
    handle: PrometheusHandle,
    process: metrics_process::Collector,
}

static EXPORTER: OnceLock<Option<Exporter>> = OnceLock::new();

/// Installs the global recorder (once per process); `None` when another recorder is installed.
pub fn install() -> Option<&'static PrometheusHandle> {
    let exporter = EXPORTER.get_or_init(|| {
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .ok()?
            .install_recorder()
            .ok()?;
        describe();
        // Histograms keep their samples until upkeep drains them: without a periodic upkeep an
        // instance nobody scrapes would grow by every request's latency.
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            })
            .ok()?;
        let process = metrics_process::Collector::default();
        process.describe();
        Some(Exporter { handle, process })
    });
    exporter.as_ref().map(|e| &e.handle)
}

fn describe() {
    metrics::describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by method, route template and status"
    );
    metrics::describe_histogram!(
        "http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time to the response head, by method, route template and status"
    );
    metrics::describe_counter!(
        "graphql_operations_total",
        "GraphQL operations received, by type (query, mutation, subscription, unknown)"
    );
    metrics::describe_counter!(
        "graphql_errors_total",
        "Errors in GraphQL answers, by contract code"
    );
    metrics::describe_histogram!(
        "db_query_duration_seconds",
        metrics::Unit::Seconds,
        "Database latency per store operation (one statement or one short transaction)"
    );
    metrics::describe_gauge!(
        "db_writer_queue_depth",
        "SQLite writes waiting for the one writer connection"
    );
    metrics::describe_counter!(
        "db_connections_reopened_total",
        "SQLite connections replaced after an error that left them unusable, by role"
    );
    metrics::describe_gauge!(
        "sse_streams_active",
        "Open REST event streams (GET /api/v1/lists/{id}/events)"
    );
    metrics::describe_gauge!(
        "graphql_subscriptions_active",
        "Running GraphQL subscriptions"
    );
    metrics::describe_gauge!(
        "graphql_ws_connections_active",
        "Open GraphQL WebSockets (/graphql/ws)"
    );
    metrics::describe_gauge!(
        "password_hash_queue_depth",
        "Password hashes waiting for a hashing thread"
    );
    metrics::describe_counter!(
        "password_hash_rejected_total",
        "Password hashes refused (429) because the queue was full"
    );
}

/// `GET /metrics`: the Prometheus text exposition.
pub async fn scrape() -> Response {
    let Some(Some(exporter)) = EXPORTER.get() else {
        return crate::error::AppError::NotFound.into_response();
    };
    exporter.process.collect();
    exporter.handle.run_upkeep();
    let mut response = exporter.handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Counts and times one request by its route template (`/api/v1/lists/{id}`), never by its raw
/// path: ids in labels would make a series per record.
pub struct RequestTimer {
    started: Instant,
    method: &'static str,
    route: Option<MatchedPath>,
}

impl RequestTimer {
    pub fn start(req: &Request) -> Self {
        Self {
            started: Instant::now(),
            method: method_label(req.method()),
            route: req.extensions().get::<MatchedPath>().cloned(),
        }
    }

    pub fn finish(self, response: &Response) {
        let route = self.route.as_ref().map_or("unmatched", MatchedPath::as_str);
        let series = Series::of(self.method, route, response.status().as_u16());
        series.duration.record(self.started.elapsed().as_secs_f64());
        series.requests.increment(1);
    }
}

/// The method as a label; any method outside the standard ones is `OTHER`, so that a client
/// cannot mint series by inventing methods.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// The counter and histogram of one (method, route, status), registered once and kept: looking
/// them up in the recorder on every request (building the labelled key, hashing it, allocating
/// its strings) cost about 11,000 instructions per cached GET, 7% of it (callgrind, `METRICS`
/// on and off); a hit here is a read lock and one hash of the route. Bounded: routes are the
/// router's templates, methods the standard ones, statuses three digits.
#[derive(Clone)]
struct Series {
    requests: metrics::Counter,
    duration: metrics::Histogram,
}

type SeriesByRoute = HashMap<String, Vec<(&'static str, u16, Series)>>;

static SERIES: OnceLock<RwLock<SeriesByRoute>> = OnceLock::new();

impl Series {
    fn of(method: &'static str, route: &str, status: u16) -> Series {
        let all = SERIES.get_or_init(RwLock::default);
        let find = |by_route: &SeriesByRoute| {
            by_route.get(route).and_then(|list| {
                list.iter()
                    .find(|(m, s, _)| *m == method && *s == status)
                    .map(|(_, _, series)| series.clone())
            })
        };
        if let Some(series) = all.read().ok().and_then(|r| find(&r)) {
            return series;
        }
        let labels = [
            ("method", method.to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        let series = Series {
            requests: metrics::counter!("http_requests_total", &labels),
            duration: metrics::histogram!("http_request_duration_seconds", &labels),
        };
        let Ok(mut by_route) = all.write() else {
            return series;
        };
        if let Some(first) = find(&by_route) {
            return first; // another request registered it meanwhile
        }
        by_route
            .entry(route.to_owned())
            .or_default()
            .push((method, status, series.clone()));
        series
    }
}
