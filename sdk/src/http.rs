//! Outbound HTTP to the hosts the manifest's `outbound_hosts` asks for and the operator grants.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::dvor::plugin::outbound_http as wit;
use crate::error::{Error, Result};

pub use wit::{Request, Response};

/// The timeout a new [`Request`] starts with; the plugin's deadline caps it anyway.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;

/// Send `request` and wait for the response. A denied host is `forbidden`.
pub fn send(request: &Request) -> Result<Response> {
    Ok(wit::send(request)?)
}

/// `GET url`.
pub fn get(url: &str) -> Result<Response> {
    send(&Request::new("GET", url))
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Request {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms: DEFAULT_TIMEOUT_MS,
        }
    }

    /// Add a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Set the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Set a JSON body and its content type.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self> {
        Ok(self
            .header("content-type", "application/json")
            .body(serde_json::to_vec(value)?))
    }

    /// Give up after `ms` milliseconds.
    pub fn timeout_ms(mut self, ms: u32) -> Self {
        self.timeout_ms = ms;
        self
    }
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as UTF-8 text; `unavailable` if it is not.
    pub fn text(&self) -> Result<&str> {
        core::str::from_utf8(&self.body)
            .map_err(|_| Error::unavailable("the response body is not UTF-8"))
    }

    /// The body decoded from JSON; `unavailable` if it is not the expected JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|e| Error::unavailable(format!("unexpected response: {e}")))
    }
}
