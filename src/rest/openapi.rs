//! The OpenAPI 3.1 document of the REST face, generated from the handlers' `#[utoipa::path]`
//! annotations and the wire types, and `GET /api/v1/openapi.json` which serves it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use serde_json::Value;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, Response};
use utoipa::{IntoResponses, Modify, OpenApi, PartialSchema, ToSchema};

use super::schemas::ErrorBody;

/// What the document says before the routes are added: metadata, tags, security schemes and
/// the shared error answers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "todo-api",
        description = "A TODO service (users, lists, tasks). Every error has the body \
            `{\"error\", \"code\", \"details\"}`. Authenticate with `Authorization: Bearer <token>` \
            (the token of signup or login) or the `access_token` cookie those set. Lists and \
            tasks work without a token too (anonymous lists are shared); a list created with a \
            token is visible to its owner only. The user guide is in the repository's `docs/`.",
        license(name = "MIT", identifier = "MIT"),
    ),
    tags(
        (name = "auth", description = "Accounts and sessions"),
        (name = "lists", description = "Lists, visible to their owner (or to everyone when unowned)"),
        (name = "tasks", description = "Tasks, visible with their list"),
        (name = "service", description = "Health and this document"),
    ),
    servers((url = "/", description = "This server")),
    modifiers(&SharedParts),
)]
struct Base;

/// An error answer, shared by the operations that can give it.
struct ErrorAnswer {
    status: u16,
    name: &'static str,
    description: &'static str,
    /// A header that comes with it: (name, description, integer or string).
    header: Option<(&'static str, &'static str, Type)>,
}

const ERRORS: &[ErrorAnswer] = &[
    ErrorAnswer { status: 400, name: "BadRequest", description: "Malformed JSON, or an empty body where one is required (`BAD_REQUEST`)", header: None },
    ErrorAnswer { status: 401, name: "Unauthorized", description: "A missing token where one is required, or a token that is invalid, expired, revoked or of a deleted user (`UNAUTHORIZED`); on login, wrong credentials (`INVALID_CREDENTIALS`). A request with a bad token is never treated as anonymous", header: Some(("WWW-Authenticate", "Always `Bearer`", Type::String)) },
    ErrorAnswer { status: 404, name: "NotFound", description: "The resource is absent or not visible to the caller: both get the same answer (`NOT_FOUND`)", header: None },
    ErrorAnswer { status: 405, name: "MethodNotAllowed", description: "The path exists but not with this method (`METHOD_NOT_ALLOWED`)", header: Some(("Allow", "Every method of the path, comma-separated", Type::String)) },
    ErrorAnswer { status: 409, name: "Conflict", description: "The username or email is already taken; `details` names the field (`CONFLICT`)", header: None },
    ErrorAnswer { status: 413, name: "PayloadTooLarge", description: "The body is over the size limit, 1 MiB by default (`PAYLOAD_TOO_LARGE`)", header: None },
    ErrorAnswer { status: 415, name: "UnsupportedMediaType", description: "The body is not `application/json` (`UNSUPPORTED_MEDIA_TYPE`)", header: None },
    ErrorAnswer { status: 422, name: "ValidationError", description: "Well-formed input that breaks a rule: a field (messages under its name), an unknown field, a path id that is not a UUID (`path`) or a bad query parameter (`query`) (`VALIDATION_ERROR`)", header: None },
    ErrorAnswer { status: 429, name: "RateLimited", description: "Too many signups or logins from this address, or too many password checks queued (`RATE_LIMITED`)", header: Some(("Retry-After", "Seconds to wait before trying again", Type::Integer)) },
    ErrorAnswer { status: 500, name: "InternalError", description: "A bug; the body never carries its cause (`INTERNAL_ERROR`)", header: None },
    ErrorAnswer { status: 503, name: "ServiceUnavailable", description: "The database cannot be reached (`SERVICE_UNAVAILABLE`)", header: None },
];

/// Security schemes and error answers, added to the components.
struct SharedParts;

impl Modify for SharedParts {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearerAuth",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The token of signup or login (HS256 JWT)"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "cookieAuth",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "access_token",
                "Set by signup and login (HttpOnly, SameSite=Lax), cleared by logout; \
                 used when there is no Authorization header",
            ))),
        );
        let error = ErrorBody::name();
        components
            .schemas
            .insert(error.to_string(), ErrorBody::schema());
        for answer in ERRORS {
            let content = ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(error.clone())))
                .build();
            let mut response = ResponseBuilder::new()
                .description(answer.description)
                .content("application/json", content);
            if let Some((name, description, kind)) = &answer.header {
                let header = HeaderBuilder::new()
                    .schema(Object::with_type(kind.clone()))
                    .description(Some(*description));
                response = response.header(*name, header.build());
            }
            components
                .responses
                .insert(answer.name.to_owned(), RefOr::T(response.build()));
        }
    }
}

/// References to shared error answers, by status.
fn refs(statuses: &[u16]) -> BTreeMap<String, RefOr<Response>> {
    ERRORS
        .iter()
        .filter(|a| statuses.contains(&a.status))
        .map(|a| {
            let target = format!("#/components/responses/{}", a.name);
            (a.status.to_string(), RefOr::Ref(Ref::new(target)))
        })
        .collect()
}

/// A set of error answers an operation can give, for `responses(...)` of `#[utoipa::path]`.
macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident = [$($status:literal),*]) => {
        $(#[$doc])*
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                refs(&[$($status),*])
            }
        }
    };
}

error_set!(
    /// What any operation can answer: another method (405), a bug (500), no database (503).
    Always = [405, 500, 503]
);
error_set!(
    /// What an operation that needs no database can answer: another method (405), a bug (500).
    MethodOrBug = [405, 500]
);
error_set!(
    /// A body that is not one JSON object of the right shape and rules.
    BodyErrors = [400, 413, 415, 422]
);
error_set!(
    /// A token that does not authenticate.
    AuthErrors = [401]
);
error_set!(
    /// A resource by id: not a UUID (422) or not visible (404).
    IdErrors = [404, 422]
);
error_set!(
    /// A bad query parameter.
    QueryErrors = [422]
);
error_set!(
    /// The per-address limit of signup and login.
    Limited = [429]
);
error_set!(
    /// A username or email that is taken.
    Taken = [409]
);

/// The document: the base above plus every route of [`super::routes`].
pub fn document() -> Document {
    super::routes().split_for_parts().1
}

/// The document as served and snapshotted: pretty JSON, with every response header marked
/// `required` (the service always sends the headers it documents; utoipa 5 cannot say so).
pub fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let mut value = serde_json::to_value(document()).unwrap_or(Value::Null);
        mark_headers_required(&mut value);
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    })
}

fn mark_headers_required(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(headers)) = map.get_mut("headers") {
                for header in headers.values_mut() {
                    if let Value::Object(header) = header {
                        header.insert("required".into(), Value::Bool(true));
                    }
                }
            }
            map.values_mut().for_each(mark_headers_required);
        }
        Value::Array(items) => items.iter_mut().for_each(mark_headers_required),
        _ => {}
    }
}

/// The base document, for [`super::routes`].
pub fn base() -> Document {
    Base::openapi()
}

/// GET /api/v1/openapi.json
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "service",
    operation_id = "openapi",
    responses(
        (status = 200, description = "This document (OpenAPI 3.1)", body = Object, content_type = "application/json"),
        MethodOrBug,
    ),
    security(),
)]
pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}
