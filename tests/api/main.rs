//! All end-to-end tests in one binary (one link step): a real server per test on a database of
//! its own, driven over real HTTP.
//!
//! The behaviour tests are compiled once per backend: `sqlite::...` always, `postgres::...` when
//! `TEST_DATABASE_URL` names a PostgreSQL server at build time (each test then gets a schema of
//! its own there). The tests of the binary itself, of the nginx config and of the browser pages
//! run once, on SQLite; the load test of the binary is a test binary of its own
//! (`tests/graphql_load.rs`).

// Each behaviour file is compiled once per backend, on purpose.
#![allow(clippy::duplicate_mod)]

mod binary;
mod command_line;
mod cors;
mod docker;
mod docs;
#[allow(dead_code)]
mod helpers;
mod http_layers;
#[cfg(postgres_tests)]
mod instances;
#[cfg(postgres_tests)]
mod instances_events;
mod nginx;
mod nginx_ops;
mod operability;
#[cfg(postgres_tests)]
mod outage;
mod playground;
mod process;
mod sse;
mod ws;

/// The backend of the tests outside the two trees below.
pub const BACKEND: helpers::Backend = helpers::Backend::Sqlite;

/// Declares the behaviour tests in a module whose `BACKEND` is given.
macro_rules! behaviour_tests {
    ($backend:ident) => {
        pub const BACKEND: helpers::Backend = helpers::Backend::$backend;
        #[path = "helpers.rs"]
        #[allow(dead_code)]
        pub mod helpers;

        #[path = "cancelled.rs"]
        mod cancelled;
        #[path = "durability.rs"]
        mod durability;
        #[path = "errors.rs"]
        mod errors;
        #[path = "events_order.rs"]
        mod events_order;
        #[path = "events_sse.rs"]
        mod events_sse;
        #[path = "events_ws.rs"]
        mod events_ws;
        #[path = "events_ws_auth.rs"]
        mod events_ws_auth;
        #[path = "graphql.rs"]
        mod graphql;
        #[path = "graphql_errors.rs"]
        mod graphql_errors;
        #[path = "graphql_http.rs"]
        mod graphql_http;
        #[path = "graphql_limits.rs"]
        mod graphql_limits;
        #[path = "graphql_pages.rs"]
        mod graphql_pages;
        #[path = "graphql_parity.rs"]
        mod graphql_parity;
        #[path = "openapi.rs"]
        mod openapi;
        #[path = "ownership.rs"]
        mod ownership;
        #[path = "page_order.rs"]
        mod page_order;
        #[path = "patch.rs"]
        mod patch;
        #[path = "querying.rs"]
        mod querying;
        #[path = "schema.rs"]
        mod schema;
        #[path = "spec_examples.rs"]
        mod spec_examples;
        #[path = "tokens.rs"]
        mod tokens;
        #[path = "validation.rs"]
        mod validation;
    };
}

// `#[path = "."]`: the files of these inline modules are found beside this one.
#[path = "."]
mod sqlite {
    behaviour_tests!(Sqlite);
}

#[cfg(postgres_tests)]
#[path = "."]
mod postgres {
    behaviour_tests!(Postgres);
}

/// Stands in for the PostgreSQL tree when it is not compiled, so that every run says so.
#[cfg(not(postgres_tests))]
#[test]
#[ignore = "PostgreSQL tests skipped: TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"]
fn postgresql_tests_skipped() {}
