//! One error type for every HTTP answer: `{"error": {"code", "message", "field"}}`.
//!
//! Internal details are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::runtime::latest::dvor::plugin::types::{Error as WitError, ErrorCode};
use crate::runtime::{CallError, LimitKind};

/// Marks a response whose body the host meant as it is: an [`AppError`] or a plugin's answer.
/// [`crate::rejections`] reshapes the framework's own refusals, which carry no mark.
#[derive(Clone, Copy, Debug)]
pub struct Shaped;

/// An error answered over HTTP.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    retry_after_s: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    error: Detail<'a>,
}

/// The error shape every endpoint answers with, for the OpenAPI document.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `invalid` (400: the request breaks the document), `unprocessable` (422: a rule the
    /// document cannot state), `unauthenticated`, `forbidden`, `not-found`,
    /// `method-not-allowed`, `conflict`, `expired`, `too-large`, `unsupported-media-type`,
    /// `limited`, `unavailable`, `internal`, …
    pub code: String,
    /// What went wrong, for a person (Russian, then English).
    pub message: String,
    /// The request field at fault, if one is.
    pub field: Option<String>,
}

#[derive(Serialize)]
struct Detail<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl AppError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_s: None,
        }
    }

    /// Name the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Tell the client when to try again (a `Retry-After` header).
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds.max(1));
        self
    }

    /// 401: no valid sign-in.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Войдите, чтобы продолжить / Sign in to continue",
        )
    }

    /// 403: signed in, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 429.
    pub fn limited(message: impl Into<String>, retry_after_s: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "limited", message).retry_after(retry_after_s)
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", message)
    }

    /// 400 naming a field: the request breaks what the OpenAPI document says of it (a type,
    /// a required field, a length, a pattern, a range, one of the listed values).
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message).with_field(field)
    }

    /// 422 naming a field: the request is as the document describes it, but a rule the
    /// document cannot state refuses it (a date in the past, a phone outside the numbering
    /// plan, a code that does not match, a field required only with another one).
    pub fn unprocessable(field: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", message).with_field(field)
    }

    /// 415: the body is not of the content type the route takes.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            format!("Нужен Content-Type: {expected} / Content-Type must be {expected}"),
        )
        .with_field("body")
    }

    /// 500; the detail is logged, the answer says only that something failed.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Внутренняя ошибка сервера / Internal server error",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The field at fault.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }
}

/// The HTTP status and code of a contract error.
pub fn status_of(code: ErrorCode) -> (StatusCode, &'static str) {
    match code {
        ErrorCode::Invalid => (StatusCode::BAD_REQUEST, "invalid"),
        ErrorCode::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        ErrorCode::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        ErrorCode::NotFound => (StatusCode::NOT_FOUND, "not-found"),
        ErrorCode::Conflict => (StatusCode::CONFLICT, "conflict"),
        ErrorCode::Limited => (StatusCode::TOO_MANY_REQUESTS, "limited"),
        ErrorCode::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        ErrorCode::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

impl From<WitError> for AppError {
    fn from(error: WitError) -> Self {
        if matches!(error.code, ErrorCode::Internal) {
            return AppError::internal(error.message);
        }
        let (status, code) = status_of(error.code);
        AppError {
            status,
            code,
            message: error.message,
            field: error.field,
            retry_after_s: None,
        }
    }
}

impl From<CallError> for AppError {
    fn from(error: CallError) -> Self {
        match error {
            CallError::Plugin { error, .. } => error.into(),
            CallError::UnknownCommunity(ref community) => AppError::not_found(format!(
                "Нет такого места: {community} / No such place: {community}"
            )),
            CallError::UnknownPlugin(_) | CallError::NotEnabled { .. } => {
                AppError::not_found(error.to_string())
            }
            CallError::Limit { kind, .. } => {
                tracing::warn!(%error, "plugin limit");
                let status = match kind {
                    LimitKind::Deadline => StatusCode::GATEWAY_TIMEOUT,
                    _ => StatusCode::SERVICE_UNAVAILABLE,
                };
                AppError::new(status, "plugin-limit", error.to_string())
            }
            CallError::Trap { ref plugin, .. } => {
                tracing::error!(%error, "plugin trap");
                AppError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "plugin-failed",
                    format!("plugin `{plugin}` failed; the failure is logged"),
                )
            }
            CallError::Host { .. } => AppError::internal(error),
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        AppError::internal(error)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Detail {
                code: self.code,
                message: &self.message,
                field: self.field.as_deref(),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(Shaped);
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}
