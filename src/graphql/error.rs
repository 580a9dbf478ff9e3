//! How a service error looks on the GraphQL face: `extensions.code` and `extensions.details`.

use async_graphql::{ErrorExtensions, Value};

use crate::error::AppError;

/// Converts explicitly, so no resolver can drop the code through async-graphql's blanket
/// `From<impl Display>` conversion.
pub fn to_graphql(err: &AppError) -> async_graphql::Error {
    if let AppError::Internal(cause) = err {
        tracing::error!(%cause, "internal error in a GraphQL resolver");
    }
    let code = err.code();
    // What REST says in its `Retry-After` header.
    let retry_after = match err {
        AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
        _ => None,
    };
    let details = err.details().map(|d| {
        Value::from_json(serde_json::to_value(d).unwrap_or_default()).unwrap_or(Value::Null)
    });
    async_graphql::Error::new(err.to_string()).extend_with(move |_, ext| {
        ext.set("code", code);
        ext.set("details", details.clone().unwrap_or(Value::Null));
        if let Some(secs) = retry_after {
            ext.set("retryAfter", secs);
        }
    })
}

/// `.gql()?` on a service result inside a resolver.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_graphql(&e))
    }
}

impl<T> GqlResult<T> for Result<T, std::sync::Arc<AppError>> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_graphql(&e))
    }
}
