//! The one error type of the service, with the contract's stable codes. No transport types here:
//! `http::error` maps it to a status, headers and JSON body, `graphql::error` to `extensions`.

use std::collections::BTreeMap;

/// Field (or `body`, `query`, `path`) to its messages, as in docs/errors.md.
pub type Details = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request could not be read at all; `details` names the part (`body`, `query`).
    #[error("{message}")]
    BadRequest {
        message: &'static str,
        details: Details,
    },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("Invalid username or password")]
    InvalidCredentials,
    #[error("Not found")]
    NotFound,
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("Conflict")]
    Conflict(Details),
    #[error("Request body too large")]
    PayloadTooLarge,
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("Validation error")]
    Validation(Details),
    #[error("Too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// The cause is logged where the error is turned into a response, never sent.
    #[error("Internal server error")]
    Internal(String),
    #[error("Service unavailable")]
    Unavailable,
    /// The work was dropped at its deadline.
    #[error("The request did not finish within {seconds} s and was stopped; ask for less")]
    Timeout { seconds: u64 },
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The stable code of docs/errors.md, identical on both faces.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "BAD_REQUEST",
            Self::Unauthorized(_) => "UNAUTHORIZED",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Conflict(_) => "CONFLICT",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::Validation(_) => "VALIDATION_ERROR",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL_ERROR",
            Self::Unavailable => "SERVICE_UNAVAILABLE",
            Self::Timeout { .. } => "TIMEOUT",
        }
    }

    /// Per-field details, where the error has them.
    pub fn details(&self) -> Option<&Details> {
        match self {
            Self::BadRequest { details: d, .. } | Self::Conflict(d) | Self::Validation(d) => {
                Some(d)
            }
            _ => None,
        }
        .filter(|d| !d.is_empty())
    }

    /// A validation error on one field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(Details::from([(field.to_owned(), vec![message.into()])]))
    }

    /// A 400 for a request body that is not the JSON it should be (empty, unreadable, malformed).
    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Self::BadRequest {
            message: "Malformed JSON",
            details: Details::from([("body".to_owned(), vec![detail.into()])]),
        }
    }

    /// A 400 for any other unreadable part of a request.
    pub fn bad_request(details: Details) -> Self {
        Self::BadRequest {
            message: "Bad request",
            details,
        }
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Self::NotFound,
            // The database is out of reach, not a bug of ours. `WorkerCrashed`: an SQLite
            // connection's thread is gone; the store opens a fresh one for the next request.
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable,
            other => Self::internal(format_args!("database: {other}")),
        }
    }
}

/// Collects per-field messages while checking an input, so one answer names every problem.
#[derive(Debug, Default)]
pub struct Problems(Details);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(message.into());
    }

    /// Runs a check and records its error under `field`, returning the checked value.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        result.map_err(|m| self.add(field, m)).ok()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// `Ok(())` when nothing was recorded, else a validation error with every message.
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}
