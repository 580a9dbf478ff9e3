//! The GraphQL face (`/graphql`): the schema of docs/graphql.md over the same service calls as
//! REST, per-request dataloaders, query limits, and GraphQL over HTTP (POST JSON, GET queries).

mod answer;
mod error;
mod events;
mod http;
mod limits;
mod lists;
mod loaders;
mod runner;
mod scalars;
mod tasks;
mod users;
mod ws;

use std::net::{IpAddr, Ipv4Addr};

use async_graphql::{Context, MaybeUndefined, MergedObject, Schema, SchemaBuilder};
use axum::http::{header, HeaderValue};

use crate::config::Config;
use crate::http::HttpSettings;
use crate::service::values::Patch;
use crate::service::{Caller, Service};
pub use http::router;
use loaders::Loaders;

#[derive(MergedObject, Default)]
pub struct Query(users::UserQuery, lists::ListQuery, tasks::TaskQueryRoot);

#[derive(MergedObject, Default)]
pub struct Mutation(
    users::UserMutation,
    lists::ListMutation,
    tasks::TaskMutation,
);

pub use events::EventSubscription as Subscription;

pub type TodoSchema = Schema<Query, Mutation, Subscription>;

/// The schema plus what each request needs to build its context.
#[derive(Clone)]
pub struct GraphQl {
    schema: TodoSchema,
    svc: Service,
    http: HttpSettings,
    limits: limits::DocumentLimits,
    ws: ws::WsLimits,
}

impl GraphQl {
    pub fn new(svc: Service, config: &Config) -> Self {
        let mut builder = schema_builder()
            .limit_depth(config.graphql_max_depth)
            .limit_complexity(config.graphql_max_complexity)
            .limit_recursive_depth(64)
            .limit_directives(16);
        if !config.graphql_introspection {
            builder = builder.disable_introspection();
        }
        runner::start();
        Self {
            schema: builder.finish(),
            svc,
            http: HttpSettings {
                cookie_secure: config.cookie_secure,
                trust_proxy_headers: config.trust_proxy_headers,
                events_keep_alive: config.events_keep_alive,
            },
            limits: limits::DocumentLimits::new(config),
            ws: ws::WsLimits::new(config),
        }
    }
}

fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
}

/// The schema's SDL, stable (sorted) so the snapshot in `schema/schema.graphql` can be diffed.
pub fn sdl() -> String {
    let options = async_graphql::SDLExportOptions::new()
        .sorted_fields()
        .sorted_arguments()
        .sorted_enum_items();
    schema_builder().finish().sdl_with_options(options)
}

/// The client address, for the signup/login rate limit.
#[derive(Clone, Copy)]
pub(crate) struct ClientAddr(pub IpAddr);

fn service<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Service> {
    ctx.data::<Service>()
}

fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    ctx.data::<Caller>()
}

fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

fn client_ip(ctx: &Context<'_>) -> IpAddr {
    ctx.data_opt::<ClientAddr>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0)
}

/// Sets (or, with an empty token, clears) the `access_token` cookie, as REST's auth routes do.
fn set_session_cookie(ctx: &Context<'_>, token: &str) {
    let Ok(http) = ctx.data::<HttpSettings>() else {
        return;
    };
    let max_age = if token.is_empty() {
        0
    } else {
        service(ctx).map_or(0, Service::token_lifetime_secs)
    };
    let cookie: HeaderValue = http.session_cookie(token, max_age);
    ctx.append_http_header(header::SET_COOKIE, cookie);
}

/// PATCH semantics from GraphQL's "absent / null / value".
fn patch<T>(value: MaybeUndefined<T>) -> Patch<T> {
    match value {
        MaybeUndefined::Undefined => Patch::Absent,
        MaybeUndefined::Null => Patch::Null,
        MaybeUndefined::Value(v) => Patch::Value(v),
    }
}
