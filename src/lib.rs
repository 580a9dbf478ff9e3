//! todo-api: one TODO service (users, lists, tasks) with a REST face and a GraphQL face.

/// Application state, the router of both faces and the HTTP layers around it.
pub mod app;
/// Access tokens (JWT, HS256 only).
pub mod auth;
/// Typed configuration from the environment; secrets redacted.
pub mod config;
/// Connection pools (SQLite WAL, one writer) and migrations.
pub mod db;
/// The one error type and its contract codes.
pub mod error;
/// The GraphQL face: schema, resolvers, dataloaders, GraphQL over HTTP.
pub mod graphql;
/// HTTP pieces both faces share: caller extraction, body reading, client address, cookie.
pub mod http;
/// Argon2id password hashing off the async runtime, bounded in concurrency and memory.
pub mod passwords;
/// The embedded browser pages: GraphiQL at /graphql, the REST API reference at /docs.
pub mod playground;
/// The REST face under `/api/v1`.
pub mod rest;
/// Serving: listener, graceful shutdown, tracing set-up.
pub mod server;
/// Every business rule and SQL statement, shared by both faces.
pub mod service;
