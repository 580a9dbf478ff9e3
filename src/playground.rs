//! The browser pages bundled by `build.rs` and embedded here: the GraphiQL playground of
//! `GET /graphql` and the REST API reference (Swagger UI) of `GET /docs`.

use axum::{
    extract::{rejection::PathRejection, Path},
    http::{header, HeaderName, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};

use crate::error::AppError;

/// The page: GraphiQL when the bundle was built, otherwise an explanation of what is missing.
const PAGE: &str = include_str!(concat!(env!("OUT_DIR"), "/playground/index.html"));
/// The bundled GraphiQL script (empty when the bundle could not be built).
const SCRIPT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/playground/graphiql.js"));
/// The bundled GraphiQL stylesheet, fonts inlined (empty when the bundle could not be built).
const STYLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/playground/graphiql.css"));
/// The API reference page, or an explanation of what is missing.
const DOCS_PAGE: &str = include_str!(concat!(env!("OUT_DIR"), "/playground/docs.html"));
/// The bundled Swagger UI script and stylesheet (empty when the bundle could not be built).
const DOCS_SCRIPT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/playground/docs.js"));
const DOCS_STYLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/playground/docs.css"));

/// Only our own scripts, styles and endpoints. Inline styles are allowed because GraphiQL's dialogs
/// inject `<style>` elements (react-remove-scroll) and Swagger UI sets `style` attributes; inline
/// scripts and every other origin are not.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self' data:; font-src 'self' data:; \
                   base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Asset URLs carry a content hash (`?v=...`), so browsers may keep them for a year.
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

/// Whether this binary carries GraphiQL and Swagger UI (false when npm was missing or the build
/// was skipped).
pub fn is_bundled() -> bool {
    [SCRIPT, STYLE, DOCS_SCRIPT, DOCS_STYLE]
        .iter()
        .all(|asset| !asset.is_empty())
}

/// The HTML page for `GET /graphql` from a browser.
pub fn page() -> Response {
    html(PAGE)
}

/// `GET /docs`: the interactive reference of the REST API, over `/api/v1/openapi.json`.
async fn docs() -> Response {
    html(DOCS_PAGE)
}

fn html(page: &'static str) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::CACHE_CONTROL, "no-cache"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    (StatusCode::OK, headers, page).into_response()
}

/// `GET /docs` and the scripts and stylesheets the two pages load.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/graphql/playground/{file}", get(asset))
        .route("/docs", get(docs))
        .route("/docs/assets/{file}", get(asset))
}

async fn asset(file: Result<Path<String>, PathRejection>) -> Response {
    match file.ok().and_then(|Path(name)| lookup(&name)) {
        Some((content_type, body)) => (asset_headers(content_type), body).into_response(),
        None => AppError::NotFound.into_response(),
    }
}

/// The content type and bytes of an embedded asset, if it exists and was built.
fn lookup(name: &str) -> Option<(&'static str, &'static [u8])> {
    const JS: &str = "text/javascript; charset=utf-8";
    const CSS: &str = "text/css; charset=utf-8";
    let (content_type, body) = match name {
        "graphiql.js" => (JS, SCRIPT),
        "graphiql.css" => (CSS, STYLE),
        "docs.js" => (JS, DOCS_SCRIPT),
        "docs.css" => (CSS, DOCS_STYLE),
        _ => return None,
    };
    (!body.is_empty()).then_some((content_type, body))
}

fn asset_headers(content_type: &'static str) -> [(HeaderName, &'static str); 3] {
    [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, ASSET_CACHE),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_assets_are_not_found() {
        assert!(lookup("graphiql.map").is_none());
        assert!(lookup("../Cargo.toml").is_none());
    }

    #[test]
    fn the_page_is_html_with_a_csp() {
        let response = page();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert!(response
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY));
    }

    #[test]
    fn the_page_either_loads_the_bundle_or_explains_its_absence() {
        let loads_bundle = PAGE.contains("/graphql/playground/graphiql.js?v=");
        assert_eq!(loads_bundle, is_bundled());
        assert!(loads_bundle || PAGE.contains("playground-missing"));
        let loads_docs = DOCS_PAGE.contains("/docs/assets/docs.js?v=");
        assert_eq!(loads_docs, is_bundled());
        assert!(loads_docs || DOCS_PAGE.contains("docs-missing"));
    }
}
