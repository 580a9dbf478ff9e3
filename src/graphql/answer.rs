//! The JSON answer of one operation: every error carries a contract code, and the size cap is
//! applied while the answer is written, so an oversized one is dropped before it is complete.

use async_graphql::{ErrorExtensionValues, ServerError};
use axum::http::HeaderMap;

use super::limits::DocumentLimits;
use crate::error::AppError;

/// An encoded answer, ready for the HTTP layer.
pub struct Answer {
    pub body: Vec<u8>,
    /// Nothing ran (the document was refused or failed as a whole).
    pub failed_request: bool,
    /// Headers resolvers asked for (`Set-Cookie` from signup, login, logout).
    pub headers: HeaderMap,
}

/// Encodes `response` as JSON within the answer size limit.
pub fn encode(mut response: async_graphql::Response, limits: &DocumentLimits) -> Answer {
    tag_errors(&mut response, limits);
    let max = limits.max_response_bytes;
    let mut body = CappedBuffer::new(max);
    if serde_json::to_writer(&mut body, &response).is_err() {
        let message = format!(
            "The answer is larger than {max} bytes and was not sent; ask for fewer items or fields"
        );
        return encode(coded(message, AppError::PayloadTooLarge.code()), limits);
    }
    Answer {
        body: body.0,
        failed_request: response.data == async_graphql::Value::Null && response.is_err(),
        headers: response.http_headers,
    }
}

/// Gives every error of `response` a contract code, and counts it.
pub fn tag_errors(response: &mut async_graphql::Response, limits: &DocumentLimits) {
    for error in &mut response.errors {
        tag_uncoded(error, limits);
        count_error(error);
    }
}

/// A response carrying one error with its contract code.
pub fn coded(message: String, code: &str) -> async_graphql::Response {
    let mut error = ServerError::new(message, None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", code);
    error.extensions = Some(ext);
    async_graphql::Response::from_errors(vec![error])
}

/// Errors async-graphql raises itself (syntax, unknown fields, wrong argument types, depth and
/// complexity limits) get the contract's VALIDATION_ERROR code, and the complexity refusal says
/// how to mend the document.
fn tag_uncoded(error: &mut ServerError, limits: &DocumentLimits) {
    let ext = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if ext.get("code").is_none() {
        ext.set("code", "VALIDATION_ERROR");
    }
    if error.message == "Query is too complex." {
        error.message = limits.complexity_message();
    }
}

/// Counts an answer's error by its code (a fixed set: the contract's codes).
pub fn count_error(error: &ServerError) {
    let code = match error.extensions.as_ref().and_then(|ext| ext.get("code")) {
        Some(async_graphql::Value::String(code)) => code.clone(),
        _ => "UNKNOWN".to_owned(),
    };
    metrics::counter!("graphql_errors_total", "code" => code).increment(1);
}

/// A byte buffer that refuses writes past its capacity.
struct CappedBuffer(Vec<u8>, usize);

impl CappedBuffer {
    fn new(max: usize) -> Self {
        Self(Vec::with_capacity(256), max)
    }
}

impl std::io::Write for CappedBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + bytes.len() > self.1 {
            return Err(std::io::Error::other("answer size limit"));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
