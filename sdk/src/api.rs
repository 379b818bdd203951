//! API requests and responses, and the name–value pairs of queries and forms.

use core::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bindings::exports::dvor::plugin::plugin;
use crate::ctx::tr;
use crate::date::Date;
use crate::error::{Error, Result};

pub use plugin::{ApiRequest, ApiResponse};

/// The JSON content type.
pub const JSON: &str = "application/json; charset=utf-8";

/// Name–value pairs in order, as in a query string or a submitted form (repeated names carry
/// multiple values). A submitted form's values are also kept typed ([`Params::value`]); as text
/// they read as [`Field::value`](crate::ui::Field::value) takes them: kopecks for money,
/// `YYYY-MM-DD` for dates, `true` for a ticked box.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(Vec<(String, String)>, Vec<crate::ui::FormEntry>);

impl Params {
    /// The pairs, in order.
    pub fn new(pairs: Vec<(String, String)>) -> Self {
        Params(pairs, Vec::new())
    }

    /// A submitted form's typed values.
    pub fn from_form(entries: Vec<crate::ui::FormEntry>) -> Self {
        Params(crate::ui::entries_as_pairs(&entries), entries)
    }

    /// The typed value of form field `name`, as the host parsed it by the field's kind.
    pub fn value(&self, name: &str) -> Option<&crate::ui::FieldValue> {
        self.1.iter().find(|e| e.name == name).map(|e| &e.value)
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The first value of `name`, trimmed, or `invalid` naming `name` if it is missing or blank.
    pub fn require(&self, name: &str) -> Result<&str> {
        match self.get(name).map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Error::invalid(
                name,
                tr("Заполните это поле", "this field is required"),
            )),
        }
    }

    /// `name` parsed with [`FromStr`]: none if missing or blank, `invalid` naming `name` if it
    /// does not parse.
    pub fn parse<T: FromStr>(&self, name: &str) -> Result<Option<T>> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                Error::invalid(name, tr("Неверное значение", "this value is not valid"))
            }),
        }
    }

    /// An integer; see [`parse`](Params::parse).
    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        self.parse(name)
    }

    /// A money field (the UI submits integer kopecks); see [`parse`](Params::parse).
    pub fn kopecks(&self, name: &str) -> Result<Option<crate::Kopecks>> {
        Ok(self.int(name)?.map(crate::Kopecks))
    }

    /// A `YYYY-MM-DD` date, with a precise message when it is wrong.
    pub fn date(&self, name: &str) -> Result<Option<Date>> {
        match self.get(name).map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => Date::parse_field(name, v).map(Some),
        }
    }

    /// Whether checkbox `name` was ticked.
    pub fn flag(&self, name: &str) -> bool {
        self.get(name) == Some("true")
    }
}

impl From<Vec<(String, String)>> for Params {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Params(pairs, Vec::new())
    }
}

impl ApiRequest {
    /// `(method, path)` with any trailing `/` removed, to `match` on:
    /// `("GET", "notes")`, `("POST", "notes")`.
    pub fn route(&self) -> (&str, &str) {
        (self.method.as_str(), self.path.trim_end_matches('/'))
    }

    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query parameters.
    pub fn params(&self) -> Params {
        Params::new(self.query.clone())
    }

    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body decoded from JSON; `invalid` (field `body`) if it is not the expected JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            let text = match e.classify() {
                serde_json::error::Category::Data => {
                    format!("{}: {e}", tr("Неверные данные", "unexpected JSON"))
                }
                _ => tr("Тело запроса — не JSON", "the body is not valid JSON").to_owned(),
            };
            Error::invalid("body", text)
        })
    }
}

impl ApiResponse {
    /// A response with any body.
    pub fn bytes(status: u16, content_type: impl Into<String>, body: Vec<u8>) -> Self {
        ApiResponse {
            status,
            content_type: content_type.into(),
            headers: Vec::new(),
            body,
        }
    }

    /// `value` as JSON.
    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Result<Self> {
        Ok(Self::bytes(status, JSON, serde_json::to_vec(value)?))
    }

    /// `200 OK` with `value` as JSON.
    pub fn ok<T: Serialize + ?Sized>(value: &T) -> Result<Self> {
        Self::json(200, value)
    }

    /// `201 Created` with `value` as JSON.
    pub fn created<T: Serialize + ?Sized>(value: &T) -> Result<Self> {
        Self::json(201, value)
    }

    /// `204 No Content`.
    pub fn no_content() -> Self {
        Self::bytes(204, "text/plain; charset=utf-8", Vec::new())
    }

    /// Plain text.
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Self::bytes(
            status,
            "text/plain; charset=utf-8",
            text.into().into_bytes(),
        )
    }

    /// The same response with one more header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, body: &str) -> ApiRequest {
        ApiRequest {
            method: method.into(),
            path: path.into(),
            query: vec![("limit".into(), "5".into()), ("tag".into(), "a".into())],
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn requests_route_and_decode() {
        let req = request("POST", "notes/", r#"{"text":"hi"}"#);
        assert_eq!(req.route(), ("POST", "notes"));
        assert_eq!(req.param("limit"), Some("5"));
        assert_eq!(req.header("content-type"), Some("application/json"));
        let v: serde_json::Value = req.json().unwrap();
        assert_eq!(v["text"], "hi");
        let e = request("POST", "notes", "{")
            .json::<serde_json::Value>()
            .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("body"));
        #[derive(Debug, serde::Deserialize)]
        struct Body {
            #[allow(dead_code)]
            text: String,
        }
        let e = request("POST", "notes", "{}").json::<Body>().unwrap_err();
        assert!(e.message.contains("text"), "{}", e.message);
    }

    #[test]
    fn responses() {
        let r = ApiResponse::created(&serde_json::json!({"a": 1}))
            .unwrap()
            .header("location", "notes/1");
        assert_eq!(r.status, 201);
        assert_eq!(r.content_type, JSON);
        assert_eq!(r.body, br#"{"a":1}"#);
        assert_eq!(r.headers.len(), 1);
        assert_eq!(ApiResponse::text(200, "ok").body, b"ok");
    }

    #[test]
    fn params() {
        let p = Params::new(vec![
            ("tag".into(), "a".into()),
            ("tag".into(), "b".into()),
            ("n".into(), " 42 ".into()),
            ("blank".into(), "  ".into()),
            ("sum".into(), "12345".into()),
            ("day".into(), "2024-02-30".into()),
            ("ok".into(), "true".into()),
        ]);
        assert_eq!(p.get("tag"), Some("a"));
        assert_eq!(p.all("tag").collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(p.int("n"), Ok(Some(42)));
        assert_eq!(p.int("missing"), Ok(None));
        assert_eq!(p.int("blank"), Ok(None));
        assert!(
            p.int("tag")
                .is_err_and(|e| e.field.as_deref() == Some("tag"))
        );
        assert_eq!(p.kopecks("sum"), Ok(Some(crate::Kopecks(12_345))));
        assert!(
            p.date("day")
                .is_err_and(|e| e.field.as_deref() == Some("day"))
        );
        assert_eq!(p.require("n"), Ok("42"));
        assert!(p.require("blank").is_err());
        assert!(p.flag("ok"));
        assert!(!p.flag("tag"));
    }
}
