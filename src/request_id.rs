//! `X-Request-Id`: the caller's own when it is a plain token (1 to 128 of `A-Z a-z 0-9 . _ -`),
//! else a fresh UUID; set on the request before anything logs, echoed on every response, and a
//! field of the request's span, so every log line of the request carries it.

use axum::extract::Request;
use axum::http::HeaderName;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tracing::Span;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// True for an id worth keeping: short, and nothing that could forge or break a log line.
pub fn is_valid(id: &[u8]) -> bool {
    (1..=128).contains(&id.len())
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a caller's id that is not valid, so that [`set`] replaces it with a fresh one.
pub async fn drop_invalid(mut req: Request) -> Request {
    let headers = req.headers_mut();
    let values = headers.get_all(&X_REQUEST_ID).iter().count();
    let keep = values == 1
        && headers
            .get(&X_REQUEST_ID)
            .is_some_and(|v| is_valid(v.as_bytes()));
    if !keep {
        headers.remove(&X_REQUEST_ID);
    }
    req
}

/// Gives a request without an id a fresh UUID.
pub fn set() -> SetRequestIdLayer<MakeRequestUuid> {
    SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid)
}

/// Copies the request's id onto its response (errors and 404s included).
pub fn propagate() -> PropagateRequestIdLayer {
    PropagateRequestIdLayer::new(X_REQUEST_ID)
}

/// The span of one request: method, path (never the query string, which may carry a GraphQL
/// document or a token) and the request id.
pub fn make_span<B>(req: &axum::http::Request<B>) -> Span {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %req.uri().path(),
        request_id = %id,
    )
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn only_short_plain_ids_are_kept() {
        assert!(is_valid(b"abc-123_X.y"));
        assert!(is_valid("a".repeat(128).as_bytes()));
        assert!(!is_valid("a".repeat(129).as_bytes()));
        assert!(!is_valid(b""));
        assert!(!is_valid(b"a b"));
        assert!(!is_valid(b"a\nINFO forged"));
        assert!(!is_valid("é".as_bytes()));
    }
}
