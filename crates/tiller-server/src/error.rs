//! The one mapping from errors to API responses. Every error body has the same shape:
//!
//! ```json
//! { "error": { "code": "conflict", "message": "...", ... } }
//! ```
//!
//! with extra fields for some codes (`current` for a conflict, `diagnostics` for a plan
//! that does not check). Internal failures are logged with an id and answered with
//! that id only: no database or file details reach the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tiller_store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized,
    Forbidden(String),
    NotFound,
    /// A stale write: the body carries the current state.
    Conflict {
        message: String,
        current: Value,
    },
    /// The name or key is taken.
    Exists(String),
    /// An update without `If-Match`.
    PreconditionRequired,
    TooLarge,
    /// The plan (or a record merged into it) does not check.
    Invalid {
        message: String,
        diagnostics: Value,
    },
    Internal(String),
}

impl ApiError {
    pub fn bad(msg: impl Into<String>) -> ApiError {
        ApiError::BadRequest(msg.into())
    }

    pub fn internal(msg: impl Into<String>) -> ApiError {
        ApiError::Internal(msg.into())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Exists(what) => ApiError::Exists(what),
            StoreError::Stale => ApiError::Conflict {
                message: "the record was changed by someone else".to_string(),
                current: Value::Null,
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // A conflict's `current` row carries its version: also sent as the `ETag`, so a
        // client can retry with `If-Match` without reading the body.
        let current_version = match &self {
            ApiError::Conflict { current, .. } => current.get("version").and_then(Value::as_i64),
            _ => None,
        };
        let (status, code, message, extra) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m, None),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "log in, or send a valid API token as `Authorization: Bearer TOKEN`".to_string(),
                None,
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m, None),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "no such resource, or you may not see it".to_string(),
                None,
            ),
            ApiError::Conflict { message, current } => (
                StatusCode::CONFLICT,
                "conflict",
                message,
                Some(("current", current)),
            ),
            ApiError::Exists(what) => (
                StatusCode::CONFLICT,
                "exists",
                format!("already exists: {what}"),
                None,
            ),
            ApiError::PreconditionRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "precondition_required",
                "send the version you read as `If-Match` (the `ETag` of the GET)".to_string(),
                None,
            ),
            ApiError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request body is too large".to_string(),
                None,
            ),
            ApiError::Invalid {
                message,
                diagnostics,
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_plan",
                message,
                Some(("diagnostics", diagnostics)),
            ),
            ApiError::Internal(detail) => {
                let id = crate::random_hex(6);
                eprintln!("tiller-server: internal error {id}: {detail}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("internal error (reference {id})"),
                    None,
                )
            }
        };
        let mut error = json!({ "code": code, "message": message });
        if let Some((k, v)) = extra {
            error[k] = v;
        }
        let mut response = (status, json_body(&json!({ "error": error }))).into_response();
        if let Some(v) = current_version
            && let Ok(v) = HeaderValue::from_str(&format!("\"{v}\""))
        {
            response.headers_mut().insert(header::ETAG, v);
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tiller\""),
            );
        }
        response
    }
}

/// A JSON body with its content type.
pub fn json_body(v: &Value) -> ([(header::HeaderName, HeaderValue); 1], String) {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        v.to_string(),
    )
}
