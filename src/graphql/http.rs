//! GraphQL over HTTP: `POST /graphql` (JSON only), `GET /graphql?query=` (queries only), and the
//! playground for browsers. Auth uses the same token lookup as REST.

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::answer::{self, Answer};
use super::loaders::Loaders;
use super::runner;
use super::GraphQl;
use crate::error::AppError;
use crate::http::error::{error_headers, status_of};
use crate::http::{caller_from_headers, is_json, read_body, ClientIp, HttpSettings};
use crate::playground;

/// `/graphql` and `/graphql/ws`, with their own state: they fit into any router.
pub fn router<S>(gql: GraphQl) -> Router<S> {
    Router::new()
        .route("/graphql", get(get_graphql).post(post_graphql))
        .route("/graphql/ws", get(super::ws::upgrade))
        .with_state(gql)
}

/// What `ClientIp` needs to know (whether to trust `X-Real-IP`).
impl FromRef<GraphQl> for HttpSettings {
    fn from_ref(gql: &GraphQl) -> Self {
        gql.http.clone()
    }
}

/// POST /graphql: one operation as `application/json` (batches are refused, not capped).
async fn post_graphql(State(gql): State<GraphQl>, client: ClientIp, req: Request) -> Response {
    let headers = req.headers().clone();
    // Checked before reading: a cross-site form post must not run anything.
    if !is_json(&headers) {
        return AppError::UnsupportedMediaType.into_response();
    }
    let bytes = match read_body(req, &()).await {
        Ok(bytes) => bytes,
        Err(e) => return e.into_response(),
    };
    if bytes.trim_ascii_start().starts_with(b"[") {
        return AppError::malformed_json(
            "Batched operations are not supported; send one operation per request",
        )
        .into_response();
    }
    match serde_json::from_slice::<async_graphql::Request>(&bytes) {
        Ok(request) => execute(&gql, &headers, client, request).await,
        Err(e) => AppError::malformed_json(e.to_string()).into_response(),
    }
}

const MISSING_QUERY: &str = "A `query` parameter is required";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetParams {
    query: Option<String>,
    operation_name: Option<String>,
    variables: Option<String>,
}

/// GET /graphql: the playground for a browser, else a query from the URL (never a mutation).
async fn get_graphql(
    State(gql): State<GraphQl>,
    client: ClientIp,
    headers: HeaderMap,
    params: Result<Query<GetParams>, QueryRejection>,
) -> Response {
    let params = params.ok().map(|Query(p)| p);
    let Some(GetParams {
        query: Some(query),
        operation_name,
        variables,
    }) = params
    else {
        if accepts(&headers, "text/html") {
            return playground::page();
        }
        let details = [("query".to_owned(), vec![MISSING_QUERY.to_owned()])];
        return AppError::bad_request(details.into()).into_response();
    };
    if is_mutation(&query, operation_name.as_deref()) {
        let mut response = AppError::MethodNotAllowed.into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
        return response;
    }
    let mut request = async_graphql::Request::new(query);
    if let Some(name) = operation_name {
        request = request.operation_name(name);
    }
    if let Some(raw) = variables.filter(|v| !v.trim().is_empty()) {
        match serde_json::from_str(&raw) {
            Ok(vars) => request = request.variables(vars),
            Err(_) => {
                return AppError::invalid("variables", "Must be a JSON object").into_response()
            }
        }
    }
    execute(&gql, &headers, client, request).await
}

/// True when the operation that would run is a mutation (or subscription: not over GET either).
fn is_mutation(query: &str, operation_name: Option<&str>) -> bool {
    let Ok(doc) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    chosen_operation(&doc, operation_name).is_some_and(|ty| ty != OperationType::Query)
}

/// The type of the operation that would run, if the document names one unambiguously.
pub(super) fn chosen_operation(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    let chosen = match &doc.operations {
        DocumentOperations::Single(op) => Some(op),
        DocumentOperations::Multiple(ops) => match operation_name {
            Some(name) => ops
                .iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, op)| op),
            None => ops.values().next().filter(|_| ops.len() == 1),
        },
    };
    chosen.map(|op| op.node.ty)
}

/// Checks the document's shape, authenticates, builds the per-request context and runs the
/// operation on the GraphQL threads within its deadline.
async fn execute(
    gql: &GraphQl,
    headers: &HeaderMap,
    client: ClientIp,
    mut request: async_graphql::Request,
) -> Response {
    // Before anything else (no SQL, no token lookup): a malformed document is left for the
    // executor to report.
    gql.documents.prepare(&mut request);
    let operation = request.operation_name.clone();
    let kind = kind_label(
        request
            .parsed_query()
            .ok()
            .and_then(|doc| chosen_operation(doc, operation.as_deref())),
    );
    metrics::counter!("graphql_operations_total", "type" => kind).increment(1);
    if kind == "subscription" {
        let message = "Subscriptions run on the WebSocket at /graphql/ws".to_owned();
        return respond(
            headers,
            answer::encode(answer::coded(message, "VALIDATION_ERROR"), &gql.limits),
        );
    }
    if let Ok(doc) = request.parsed_query() {
        if let Err(message) = gql.limits.check(doc, operation.as_deref()) {
            let refused = answer::coded(message, "VALIDATION_ERROR");
            return respond(headers, answer::encode(refused, &gql.limits));
        }
    }
    let caller = match caller_from_headers(&gql.svc, headers).await {
        Ok(caller) => caller,
        Err(err) => return request_error(headers, &err),
    };
    let request = request
        .data(Loaders::for_runner(&gql.svc, &caller))
        .data(caller)
        .data(gql.svc.clone())
        .data(gql.http.clone())
        .data(client);
    let (schema, limits) = (gql.schema.clone(), gql.limits);
    let work = async move { answer::encode(schema.execute(request).await, &limits) };
    match runner::run(limits.deadline, work).await {
        Ok(answer) => respond(headers, answer),
        Err(err) => respond(
            headers,
            answer::encode(answer::coded(err.to_string(), err.code()), &limits),
        ),
    }
}

/// The `type` label of `graphql_operations_total`.
pub(super) fn kind_label(kind: Option<OperationType>) -> &'static str {
    match kind {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// The HTTP response for an encoded answer.
fn respond(headers: &HeaderMap, answer: Answer) -> Response {
    let (content_type, status) = negotiate(headers, answer.failed_request);
    let mut http = (status, answer.body).into_response();
    http.headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    http.headers_mut().extend(answer.headers);
    http
}

/// A failure before execution (bad token, database down), as a GraphQL error body with the
/// status and headers REST would give it.
fn request_error(headers: &HeaderMap, err: &AppError) -> Response {
    let body = answer::coded(err.to_string(), err.code());
    body.errors.iter().for_each(answer::count_error);
    let (content_type, _) = negotiate(headers, true);
    let mut response = (status_of(err), error_headers(err), Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

/// `application/graphql-response+json` when the client accepts it (then a request that could
/// not run at all is a 400, as GraphQL over HTTP says); otherwise `application/json`, always 200.
fn negotiate(headers: &HeaderMap, failed_request: bool) -> (HeaderValue, StatusCode) {
    if accepts(headers, "application/graphql-response+json") {
        let status = if failed_request {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::OK
        };
        (
            HeaderValue::from_static("application/graphql-response+json; charset=utf-8"),
            status,
        )
    } else {
        (HeaderValue::from_static("application/json"), StatusCode::OK)
    }
}

fn accepts(headers: &HeaderMap, media: &str) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            item.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(media))
        })
}
