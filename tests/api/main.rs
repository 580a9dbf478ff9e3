//! All end-to-end tests in one binary (one link step): a real server per test on a temporary
//! SQLite file, driven over real HTTP.

mod binary;
mod docker;
mod docs;
mod durability;
mod errors;
mod graphql;
mod graphql_limits;
mod graphql_load;
mod helpers;
mod openapi;
mod ownership;
mod playground;
mod querying;
mod schema;
mod spec_examples;
mod tokens;
mod validation;
