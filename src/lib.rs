//! todo-api: one TODO service (users, lists, tasks) with a REST face and a GraphQL face.
//!
//! Dependencies point down only:
//! `main -> app -> {rest, graphql} -> http -> service -> {store, auth, passwords, config, error}`.
//! `rest` and `graphql` never import each other, and nothing imports `app` but `main`; what both
//! faces need lives in `http` (and `state`) or below. `records` holds the values `service` and
//! `store` both speak.

/// The router of both faces and the HTTP layers around it.
pub mod app;
/// Access tokens (JWT, HS256 only).
pub mod auth;
/// Typed configuration from the environment; secrets redacted.
pub mod config;
/// The one error type and its contract codes.
pub mod error;
/// The GraphQL face: schema, resolvers, dataloaders, GraphQL over HTTP.
pub mod graphql;
/// HTTP pieces both faces share: caller extraction, body reading, client address, cookie, and
/// how an error looks over HTTP (status, headers, body).
pub mod http;
/// Prometheus metrics: recorder, `GET /metrics`, request and SQL timing.
pub mod metrics;
/// Argon2id password hashing off the async runtime, bounded in concurrency and memory.
pub mod passwords;
/// The embedded browser pages: GraphiQL at /graphql, the REST API reference at /docs.
pub mod playground;
/// The records (users, lists, tasks) and their value types, shared by service and storage.
pub mod records;
/// `X-Request-Id` on every request, response and log line.
pub mod request_id;
/// The REST face under `/api/v1`.
pub mod rest;
/// Serving: listener, graceful shutdown, tracing set-up.
pub mod server;
/// Every business rule, shared by both faces; no HTTP here.
pub mod service;
/// The command line: every setting with its environment variable and default.
pub mod settings;
/// The state the REST handlers share (service, HTTP settings).
pub mod state;
/// Every SQL statement, on SQLite or PostgreSQL behind one interface.
pub mod store;
