//! todo-api: one TODO service (users, lists, tasks) with a REST face and a GraphQL face.

/// Application state, the router of both faces and the HTTP layers around it.
pub mod app;
/// Access tokens (JWT, HS256 only).
pub mod auth;
/// Typed configuration from the environment; secrets redacted.
pub mod config;
/// The one error type and its contract codes.
pub mod error;
/// The GraphQL face: schema, resolvers, dataloaders, GraphQL over HTTP.
pub mod graphql;
/// HTTP pieces both faces share: caller extraction, body reading, client address, cookie.
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
/// Every SQL statement, on SQLite or PostgreSQL behind one interface.
pub mod store;
