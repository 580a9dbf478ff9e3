//! The GraphQL face (`/graphql`): the schema of docs/graphql.md over the same service calls as
//! REST, per-request dataloaders, query limits, and GraphQL over HTTP (POST JSON, GET queries).

mod answer;
mod documents;
mod error;
mod events;
mod http;
mod limits;
mod lists;
mod loaders;
mod prefetch;
mod runner;
mod scalars;
mod task_page;
mod tasks;
mod users;
mod ws;

use std::net::IpAddr;

use async_graphql::{Context, MaybeUndefined, MergedObject, Schema, SchemaBuilder};
use axum::http::header;

use crate::config::Config;
use crate::http::{ClientIp, HttpSettings};
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
    documents: documents::Documents,
}

impl GraphQl {
    pub fn new(svc: Service, http: HttpSettings, config: &Config) -> Self {
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
            http,
            limits: limits::DocumentLimits::new(config),
            ws: ws::WsLimits::new(config),
            documents: documents::Documents::default(),
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

fn service<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Service> {
    ctx.data::<Service>()
}

/// The service, for a mutation: what the loaders hold from earlier fields of the document may
/// be stale once it writes, so they forget it (mutations run one after another).
fn mutating<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Service> {
    loaders(ctx)?.forget();
    service(ctx)
}

fn caller<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Caller> {
    ctx.data::<Caller>()
}

fn loaders<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data::<Loaders>()
}

/// The client address, for the signup/login rate limit.
fn client_ip(ctx: &Context<'_>) -> IpAddr {
    ctx.data_opt::<ClientIp>().copied().unwrap_or_default().0
}

/// Sets (or, with an empty token, clears) the `access_token` cookie, as REST's auth routes do.
fn set_session_cookie(ctx: &Context<'_>, token: &str) {
    let (Ok(http), Ok(svc)) = (ctx.data::<HttpSettings>(), service(ctx)) else {
        return;
    };
    ctx.append_http_header(header::SET_COOKIE, http.session_cookie(svc, token));
}

/// PATCH semantics from GraphQL's "absent / null / value".
fn patch<T>(value: MaybeUndefined<T>) -> Patch<T> {
    match value {
        MaybeUndefined::Undefined => Patch::Absent,
        MaybeUndefined::Null => Patch::Null,
        MaybeUndefined::Value(v) => Patch::Value(v),
    }
}
