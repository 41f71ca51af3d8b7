//! One API error type. Every error leaves the server as
//! `{"error": {"code": "snake_case", "message": "…"}}` with a stable code.
//! Internal causes are logged, never sent.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};

/// The crate-wide result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a request can fail, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No valid session or token.
    #[error("please log in")]
    Unauthenticated,
    /// Logged in but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// Missing, or hidden from the caller (existence must not leak).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A stale `base_version`.
    #[error("the document was changed by someone else (current version {current_version})")]
    EditConflict {
        /// The version now stored.
        current_version: u64,
    },
    /// Input failed validation.
    #[error("{message}")]
    InvalidInput {
        /// The field at fault, when there is one.
        field: Option<String>,
        /// Human-readable explanation.
        message: String,
    },
    /// A conflict other than an edit conflict (duplicate name, state change not allowed…).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// A business rule refused the action (e.g. self-approval), with its own stable code.
    #[error("{message}")]
    Rule {
        /// HTTP status to answer with.
        status: StatusCode,
        /// Stable code.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
        /// Extra fields merged into the error object.
        extra: Option<Value>,
    },
    /// Body over the configured limit.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Throttled.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests {
        /// Seconds until the next attempt may succeed.
        retry_after_secs: u64,
    },
    /// Anything else: logged with its cause, answered as a bare 500.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Shorthand for [`Error::InvalidInput`] naming a field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::InvalidInput`] without a field.
    pub fn bad(message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: None,
            message: message.into(),
        }
    }

    /// Shorthand for an internal error with a cause to log.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Error::Internal(cause.to_string())
    }

    /// HTTP status and stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::EditConflict { .. } => (StatusCode::CONFLICT, "edit_conflict"),
            Error::InvalidInput { .. } => (StatusCode::BAD_REQUEST, "invalid_input"),
            Error::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Error::Rule { status, code, .. } => (*status, code),
            Error::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Error::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let mut obj = Map::new();
        obj.insert("code".into(), json!(code));
        let message = match &self {
            Error::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        };
        obj.insert("message".into(), json!(message));
        match &self {
            Error::EditConflict { current_version } => {
                obj.insert("current_version".into(), json!(current_version));
            }
            Error::InvalidInput {
                field: Some(field), ..
            } => {
                obj.insert("field".into(), json!(field));
            }
            Error::Rule {
                extra: Some(Value::Object(extra)),
                ..
            } => {
                for (k, v) in extra {
                    obj.insert(k.clone(), v.clone());
                }
            }
            _ => {}
        }
        let mut resp = (status, Json(json!({ "error": Value::Object(obj) }))).into_response();
        if let Error::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = retry_after_secs.to_string().parse()
        {
            resp.headers_mut().insert("retry-after", v);
        }
        resp
    }
}

impl From<hanlin_index::Error> for Error {
    fn from(e: hanlin_index::Error) -> Self {
        Error::Internal(format!("index: {e}"))
    }
}
