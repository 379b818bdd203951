//! The one error type of the SDK, and its mapping to the contract's `error`.

use core::fmt;

use serde::ser::SerializeStruct;

use crate::bindings::dvor::plugin::types;

pub use types::ErrorCode;

/// `Result` with the SDK's [`Error`] as the default error type.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// An error a person can read: what kind of failure, a sentence, and the field at fault.
///
/// Exports return it to the host, which maps [`code`](Error::code) to an HTTP status; host
/// imports return it to the plugin. Write the message in the call's locale (see
/// [`ctx::tr`](crate::ctx::tr)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The kind of failure.
    pub code: ErrorCode,
    /// A sentence for the person.
    pub message: String,
    /// The form field or JSON field at fault, if one is.
    pub field: Option<String>,
}

impl Error {
    /// An error of any kind, without a field.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }

    /// The input in `field` is wrong (HTTP 400/422).
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message).with_field(field)
    }

    /// The caller must sign in first (HTTP 401).
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    /// The caller may not do this (HTTP 403).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// The thing does not exist or is out of scope (HTTP 404).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// The request conflicts with the current state (HTTP 409).
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    /// A limit was reached (HTTP 429/413).
    pub fn limited(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Limited, message)
    }

    /// A dependency is unavailable; retrying later may work (HTTP 503).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unavailable, message)
    }

    /// A bug or an unexpected state (HTTP 500). The host logs the message and does not show it.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// The same error, blaming `field`.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Whether the error is of kind `code`.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == code
    }
}

/// The contract's name of an error code: `invalid`, `not-found`, …
pub fn code_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::Invalid => "invalid",
        ErrorCode::Unauthenticated => "unauthenticated",
        ErrorCode::Forbidden => "forbidden",
        ErrorCode::NotFound => "not-found",
        ErrorCode::Conflict => "conflict",
        ErrorCode::Limited => "limited",
        ErrorCode::Unavailable => "unavailable",
        ErrorCode::Internal => "internal",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", code_name(self.code), self.message)?;
        if let Some(field) = &self.field {
            write!(f, " (field `{field}`)")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Serializes as `{"code": "not-found", "message": "…", "field": null}`.
impl serde::Serialize for Error {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Error", 3)?;
        s.serialize_field("code", code_name(self.code))?;
        s.serialize_field("message", &self.message)?;
        s.serialize_field("field", &self.field)?;
        s.end()
    }
}

impl From<types::Error> for Error {
    fn from(e: types::Error) -> Self {
        Self {
            code: e.code,
            message: e.message,
            field: e.field,
        }
    }
}

impl From<Error> for types::Error {
    fn from(e: Error) -> Self {
        Self {
            code: e.code,
            message: e.message,
            field: e.field,
        }
    }
}

/// JSON that fails to encode or decode is a bug in the plugin or in stored data: `internal`.
impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Self::internal(format!("JSON: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways_with_the_contract_error() {
        let sdk = Error::invalid("amount", "too large");
        let wit: types::Error = sdk.clone().into();
        assert_eq!(wit.code, ErrorCode::Invalid);
        assert_eq!(wit.field.as_deref(), Some("amount"));
        assert_eq!(Error::from(wit), sdk);
    }

    #[test]
    fn serializes_with_the_contract_code_names() {
        let json = serde_json::to_string(&Error::not_found("no such bill")).unwrap();
        assert_eq!(
            json,
            r#"{"code":"not-found","message":"no such bill","field":null}"#
        );
    }

    #[test]
    fn json_errors_are_internal() {
        let e: Error = serde_json::from_str::<u8>("nope").unwrap_err().into();
        assert!(e.is(ErrorCode::Internal));
    }
}
