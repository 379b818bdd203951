//! The Open311 GeoReport v2 wire format: typed values for discovery, services, service
//! definitions, service requests, POST answers, tokens, request updates and errors, rendered as
//! JSON or XML bytes; ISO 8601 datetimes; and parsing of the bodies and parameters clients send
//! (urlencoded and multipart forms) and of another Open311 server's JSON answers.
//!
//! Everything here is pure: no I/O, no clock. The plugin maps its domain model onto these types.
//!
//! Rendering rules clients depend on: every documented field is always present, absent values
//! are JSON `null` or an empty XML element (`<lat/>`); XML has no namespace, starts with
//! `<?xml version="1.0" encoding="utf-8"?>`, escapes `& < > " '` and drops characters that XML
//! 1.0 forbids; `lat`/`long`, `order` and error `code` are JSON numbers, `metadata`,
//! `variable` and `required` are booleans and `keywords` is one comma-separated string.

use serde_json::{Map, Value};

// ---------------------------------------------------------------------------------------------
// Format

/// The response format a client picks with the path suffix (`.json` or `.xml`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.json`, served as `application/json; charset=utf-8`.
    Json,
    /// `.xml`, served as `text/xml; charset=utf-8`.
    Xml,
}

impl Format {
    /// Splits ONE path segment such as `"requests.json"` or `"pothole.xml"` into its stem and
    /// format. The suffix is matched case-sensitively (lowercase only). Returns `None` when the
    /// segment has no `.json`/`.xml` suffix or nothing before it (`".json"`).
    pub fn split(segment: &str) -> Option<(&str, Format)> {
        let (stem, format) = if let Some(stem) = segment.strip_suffix(".json") {
            (stem, Format::Json)
        } else if let Some(stem) = segment.strip_suffix(".xml") {
            (stem, Format::Xml)
        } else {
            return None;
        };
        if stem.is_empty() {
            None
        } else {
            Some((stem, format))
        }
    }

    /// The `Content-Type` header value for a body in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "text/xml; charset=utf-8",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Wire types

/// One service (request category) in `services.{fmt}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Service {
    /// `service_code`: the unique code of the service.
    pub code: String,
    /// `service_name`: the human-readable name.
    pub name: String,
    /// `description`: a brief description.
    pub description: String,
    /// `metadata`: whether `services/{code}.{fmt}` has attributes to fill in.
    pub metadata: bool,
    /// `type`: how requests of this service are handled.
    pub kind: ServiceKind,
    /// `keywords`: rendered as one comma-separated string.
    pub keywords: Vec<String>,
    /// `group`: the category the service belongs to.
    pub group: String,
}

/// The `type` of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceKind {
    /// `realtime`: the request id is returned immediately.
    Realtime,
    /// `batch`: a token is returned, the id comes later via `tokens/{token}`.
    Batch,
    /// `blackbox`: no further information after submission.
    Blackbox,
}

impl ServiceKind {
    /// The wire value: `realtime`, `batch` or `blackbox`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Realtime => "realtime",
            ServiceKind::Batch => "batch",
            ServiceKind::Blackbox => "blackbox",
        }
    }
}

/// The `datatype` of a service attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Datatype {
    /// `string`: a short line of text.
    String,
    /// `number`: a numeric value.
    Number,
    /// `datetime`: an ISO 8601 datetime.
    Datetime,
    /// `text`: a longer, multi-line text.
    Text,
    /// `singlevaluelist`: exactly one of `values`.
    SingleValueList,
    /// `multivaluelist`: any number of `values`.
    MultiValueList,
}

impl Datatype {
    /// Parses the wire value (ASCII case-insensitive, surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        [
            Datatype::String,
            Datatype::Number,
            Datatype::Datetime,
            Datatype::Text,
            Datatype::SingleValueList,
            Datatype::MultiValueList,
        ]
        .into_iter()
        .find(|d| d.as_str().eq_ignore_ascii_case(text))
    }

    /// The wire value: `string`, `number`, `datetime`, `text`, `singlevaluelist` or
    /// `multivaluelist`.
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::SingleValueList => "singlevaluelist",
            Datatype::MultiValueList => "multivaluelist",
        }
    }
}

/// One attribute of a service definition (an extra question asked when filing a request).
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// `variable`: `true` if the client must collect a value; `false` for informational text.
    pub variable: bool,
    /// `code`: the attribute's code, sent back as `attribute[code]`.
    pub code: String,
    /// `datatype`: the kind of value.
    pub datatype: Datatype,
    /// `required`: whether a value must be given.
    pub required: bool,
    /// `datatype_description`: a hint on the expected value.
    pub datatype_description: String,
    /// `order`: the display position.
    pub order: u32,
    /// `description`: the question itself.
    pub description: String,
    /// `values`: the choices for list datatypes.
    pub values: Vec<AttributeValue>,
}

/// One choice of a list attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeValue {
    /// `key`: the value sent back by clients.
    pub key: String,
    /// `name`: the human-readable label.
    pub name: String,
}

/// The answer of `services/{code}.{fmt}`.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceDefinition {
    /// `service_code`: the service described.
    pub service_code: String,
    /// `attributes`: the extra questions of the service.
    pub attributes: Vec<Attribute>,
}

/// The Open311 status of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// `open`.
    Open,
    /// `closed`.
    Closed,
}

impl Status {
    /// Parses `open` or `closed` (ASCII case-insensitive, surrounding spaces ignored).
    pub fn parse(text: &str) -> Option<Status> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("open") {
            Some(Status::Open)
        } else if text.eq_ignore_ascii_case("closed") {
            Some(Status::Closed)
        } else {
            None
        }
    }

    /// The wire value: `open` or `closed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
        }
    }
}

/// One service request as `requests.{fmt}` and `requests/{id}.{fmt}` return it.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestRecord {
    /// `service_request_id`.
    pub service_request_id: String,
    /// `status`.
    pub status: Status,
    /// `status_notes`: an explanation of the current status.
    pub status_notes: Option<String>,
    /// `service_name`.
    pub service_name: String,
    /// `service_code`.
    pub service_code: String,
    /// `description`: what the citizen wrote.
    pub description: Option<String>,
    /// `agency_responsible`.
    pub agency_responsible: Option<String>,
    /// `service_notice`: information about the handling of the request.
    pub service_notice: Option<String>,
    /// `requested_datetime`, in milliseconds since the Unix epoch.
    pub requested_datetime: i64,
    /// `updated_datetime`, in milliseconds since the Unix epoch.
    pub updated_datetime: i64,
    /// `expected_datetime`, in milliseconds since the Unix epoch.
    pub expected_datetime: Option<i64>,
    /// `address`: a human-readable address.
    pub address: Option<String>,
    /// `address_id`: the id of the address in the instance's address directory.
    pub address_id: Option<String>,
    /// `zipcode`.
    pub zipcode: Option<String>,
    /// `lat`: WGS84 latitude.
    pub lat: Option<f64>,
    /// `long`: WGS84 longitude.
    pub long: Option<f64>,
    /// `media_url`: a photo of the problem.
    pub media_url: Option<String>,
}

/// One item of the answer to `POST requests.{fmt}`: either an id or, for batch services, a
/// token.
#[derive(Clone, Debug, PartialEq)]
pub struct Ack {
    /// `service_request_id`, when the request was created at once.
    pub service_request_id: Option<String>,
    /// `token`, when the id will be known later (see `tokens/{token}.{fmt}`).
    pub token: Option<String>,
    /// `service_notice`.
    pub service_notice: Option<String>,
    /// `account_id`.
    pub account_id: Option<String>,
}

/// One item of the answer to `tokens/{token}.{fmt}`.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenRecord {
    /// `service_request_id`, once the request exists.
    pub service_request_id: Option<String>,
    /// `token`.
    pub token: String,
}

/// One record of the `servicerequestupdates.{fmt}` extension.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// `update_id`.
    pub update_id: String,
    /// `service_request_id`: the request updated.
    pub service_request_id: String,
    /// `status` after the update.
    pub status: Status,
    /// `updated_datetime`, in milliseconds since the Unix epoch.
    pub updated_datetime: i64,
    /// `description`: what happened.
    pub description: Option<String>,
    /// `media_url`: a photo attached to the update.
    pub media_url: Option<String>,
}

/// One endpoint listed by `discovery.{fmt}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    /// `specification`, e.g. `http://wiki.open311.org/GeoReport_v2`.
    pub specification: String,
    /// `url`: the endpoint's base URL.
    pub url: String,
    /// `changeset`: when the endpoint last changed, in milliseconds since the Unix epoch.
    pub changeset: i64,
    /// `type`: `production` or `test`.
    pub kind: String,
    /// `formats`: MIME types served, e.g. `text/xml` and `application/json`.
    pub formats: Vec<String>,
}

/// The answer of `discovery.{fmt}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Discovery {
    /// `changeset`: when the discovery document last changed, in milliseconds since the epoch.
    pub changeset: i64,
    /// `contact`: who to ask about the API.
    pub contact: String,
    /// `key_service`: where to obtain an API key.
    pub key_service: String,
    /// `endpoints`.
    pub endpoints: Vec<Endpoint>,
}

/// One error of an error answer.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorItem {
    /// `code`: usually the HTTP status code.
    pub code: u16,
    /// `description`: a human-readable reason.
    pub description: String,
}

// ---------------------------------------------------------------------------------------------
// A tiny document tree rendered either as JSON or as XML, so every renderer states its fields
// once, in spec order.

enum Node {
    Null,
    Text(String),
    Bool(bool),
    Int(i64),
    Float(f64),
    Object(Vec<(&'static str, Node)>),
    /// A JSON array; in XML, each item becomes an `item` element.
    List(&'static str, Vec<Node>),
}

fn text(value: &str) -> Node {
    Node::Text(value.to_owned())
}

fn opt_text(value: Option<&String>) -> Node {
    value.map_or(Node::Null, |v| text(v))
}

fn opt_float(value: Option<f64>) -> Node {
    value.map_or(Node::Null, Node::Float)
}

fn datetime(ms: i64, offset_minutes: i32) -> Node {
    Node::Text(format_datetime(ms, offset_minutes))
}

/// Renders `node` as the document `root` (the root element name; unused in JSON).
fn render(format: Format, root: &str, node: &Node) -> Vec<u8> {
    let mut out = String::new();
    match format {
        Format::Json => write_json(&mut out, node),
        Format::Xml => {
            out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            write_xml(&mut out, root, node);
        }
    }
    out.into_bytes()
}

/// Shortest round-tripping decimal form of a finite float, as serde_json writes it.
fn float_text(value: f64) -> Option<String> {
    serde_json::Number::from_f64(value).map(|n| n.to_string())
}

fn write_json(out: &mut String, node: &Node) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Text(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => out.push_str(&i.to_string()),
        Node::Float(f) => out.push_str(float_text(*f).as_deref().unwrap_or("null")),
        Node::Object(fields) => {
            out.push('{');
            for (i, (key, value)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(key);
                out.push_str("\":");
                write_json(out, value);
            }
            out.push('}');
        }
        Node::List(_, items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
    }
}

fn write_xml(out: &mut String, name: &str, node: &Node) {
    let leaf = match node {
        Node::Null => None,
        Node::Text(s) => Some(s.clone()),
        Node::Bool(b) => Some(b.to_string()),
        Node::Int(i) => Some(i.to_string()),
        Node::Float(f) => float_text(*f),
        Node::Object(fields) => {
            open_tag(out, name);
            for (key, value) in fields {
                write_xml(out, key, value);
            }
            close_tag(out, name);
            return;
        }
        Node::List(item, items) => {
            open_tag(out, name);
            for value in items {
                write_xml(out, item, value);
            }
            close_tag(out, name);
            return;
        }
    };
    match leaf {
        Some(s) if !s.is_empty() => {
            open_tag(out, name);
            push_xml_escaped(out, &s);
            close_tag(out, name);
        }
        _ => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
    }
}

fn open_tag(out: &mut String, name: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
}

fn close_tag(out: &mut String, name: &str) {
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// Appends `text` escaped for XML character data, dropping characters XML 1.0 forbids.
fn push_xml_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A literal CR would be normalised to LF by XML parsers; a reference keeps it.
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}' => {
                out.push(c)
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Renderers

/// Renders the answer of `services.{fmt}`: a JSON array, or `<services><service>…`.
pub fn services(items: &[Service], format: Format) -> Vec<u8> {
    let list = items
        .iter()
        .map(|s| {
            Node::Object(vec![
                ("service_code", text(&s.code)),
                ("service_name", text(&s.name)),
                ("description", text(&s.description)),
                ("metadata", Node::Bool(s.metadata)),
                ("type", text(s.kind.as_str())),
                ("keywords", Node::Text(s.keywords.join(","))),
                ("group", text(&s.group)),
            ])
        })
        .collect();
    render(format, "services", &Node::List("service", list))
}

/// Renders the answer of `services/{code}.{fmt}`: a JSON object, or
/// `<service_definition><service_code/><attributes><attribute>…`.
pub fn definition(def: &ServiceDefinition, format: Format) -> Vec<u8> {
    let attributes = def
        .attributes
        .iter()
        .map(|a| {
            let values = a
                .values
                .iter()
                .map(|v| Node::Object(vec![("key", text(&v.key)), ("name", text(&v.name))]))
                .collect();
            Node::Object(vec![
                ("variable", Node::Bool(a.variable)),
                ("code", text(&a.code)),
                ("datatype", text(a.datatype.as_str())),
                ("required", Node::Bool(a.required)),
                ("datatype_description", text(&a.datatype_description)),
                ("order", Node::Int(i64::from(a.order))),
                ("description", text(&a.description)),
                ("values", Node::List("value", values)),
            ])
        })
        .collect();
    let node = Node::Object(vec![
        ("service_code", text(&def.service_code)),
        ("attributes", Node::List("attribute", attributes)),
    ]);
    render(format, "service_definition", &node)
}

/// Renders the answer of `requests.{fmt}` and `requests/{id}.{fmt}` (a single request is still
/// an array): a JSON array, or `<service_requests><request>…`. Datetimes use `offset_minutes`.
pub fn requests(items: &[RequestRecord], format: Format, offset_minutes: i32) -> Vec<u8> {
    let list = items
        .iter()
        .map(|r| {
            Node::Object(vec![
                ("service_request_id", text(&r.service_request_id)),
                ("status", text(r.status.as_str())),
                ("status_notes", opt_text(r.status_notes.as_ref())),
                ("service_name", text(&r.service_name)),
                ("service_code", text(&r.service_code)),
                ("description", opt_text(r.description.as_ref())),
                (
                    "agency_responsible",
                    opt_text(r.agency_responsible.as_ref()),
                ),
                ("service_notice", opt_text(r.service_notice.as_ref())),
                (
                    "requested_datetime",
                    datetime(r.requested_datetime, offset_minutes),
                ),
                (
                    "updated_datetime",
                    datetime(r.updated_datetime, offset_minutes),
                ),
                (
                    "expected_datetime",
                    r.expected_datetime
                        .map_or(Node::Null, |ms| datetime(ms, offset_minutes)),
                ),
                ("address", opt_text(r.address.as_ref())),
                ("address_id", opt_text(r.address_id.as_ref())),
                ("zipcode", opt_text(r.zipcode.as_ref())),
                ("lat", opt_float(r.lat)),
                ("long", opt_float(r.long)),
                ("media_url", opt_text(r.media_url.as_ref())),
            ])
        })
        .collect();
    render(format, "service_requests", &Node::List("request", list))
}

/// Renders the answer of `POST requests.{fmt}`: a JSON array, or
/// `<service_requests><request>…`. Both `service_request_id` and `token` are always present
/// (one of them `null`/empty).
pub fn acks(items: &[Ack], format: Format) -> Vec<u8> {
    let list = items
        .iter()
        .map(|a| {
            Node::Object(vec![
                (
                    "service_request_id",
                    opt_text(a.service_request_id.as_ref()),
                ),
                ("token", opt_text(a.token.as_ref())),
                ("service_notice", opt_text(a.service_notice.as_ref())),
                ("account_id", opt_text(a.account_id.as_ref())),
            ])
        })
        .collect();
    render(format, "service_requests", &Node::List("request", list))
}

/// Renders the answer of `tokens/{token}.{fmt}`: a JSON array, or
/// `<service_requests><request>…`.
pub fn tokens(items: &[TokenRecord], format: Format) -> Vec<u8> {
    let list = items
        .iter()
        .map(|t| {
            Node::Object(vec![
                (
                    "service_request_id",
                    opt_text(t.service_request_id.as_ref()),
                ),
                ("token", text(&t.token)),
            ])
        })
        .collect();
    render(format, "service_requests", &Node::List("request", list))
}

/// Renders the answer of `servicerequestupdates.{fmt}`: a JSON array, or
/// `<service_request_updates><request_update>…`. Datetimes use `offset_minutes`.
pub fn updates(items: &[Update], format: Format, offset_minutes: i32) -> Vec<u8> {
    let list = items
        .iter()
        .map(|u| {
            Node::Object(vec![
                ("update_id", text(&u.update_id)),
                ("service_request_id", text(&u.service_request_id)),
                ("status", text(u.status.as_str())),
                (
                    "updated_datetime",
                    datetime(u.updated_datetime, offset_minutes),
                ),
                ("description", opt_text(u.description.as_ref())),
                ("media_url", opt_text(u.media_url.as_ref())),
            ])
        })
        .collect();
    render(
        format,
        "service_request_updates",
        &Node::List("request_update", list),
    )
}

/// Renders the answer of `discovery.{fmt}`: a JSON object, or `<discovery>…`. The changesets
/// are datetimes in `offset_minutes`.
pub fn discovery(d: &Discovery, format: Format, offset_minutes: i32) -> Vec<u8> {
    let endpoints = d
        .endpoints
        .iter()
        .map(|e| {
            Node::Object(vec![
                ("specification", text(&e.specification)),
                ("url", text(&e.url)),
                ("changeset", datetime(e.changeset, offset_minutes)),
                ("type", text(&e.kind)),
                (
                    "formats",
                    Node::List("format", e.formats.iter().map(|f| text(f)).collect()),
                ),
            ])
        })
        .collect();
    let node = Node::Object(vec![
        ("changeset", datetime(d.changeset, offset_minutes)),
        ("contact", text(&d.contact)),
        ("key_service", text(&d.key_service)),
        ("endpoints", Node::List("endpoint", endpoints)),
    ]);
    render(format, "discovery", &node)
}

/// Renders an error answer: `[{"code":400,"description":"…"}]`, or
/// `<errors><error><code>400</code><description>…</description></error></errors>`.
pub fn errors(items: &[ErrorItem], format: Format) -> Vec<u8> {
    let list = items
        .iter()
        .map(|e| {
            Node::Object(vec![
                ("code", Node::Int(i64::from(e.code))),
                ("description", text(&e.description)),
            ])
        })
        .collect();
    render(format, "errors", &Node::List("error", list))
}

// ---------------------------------------------------------------------------------------------
// Datetimes

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12, day 1-31).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Count years from March so that the leap day is the last day of the counted year.
    let year = if month <= 2 { year - 1 } else { year };
    let cycle = year.div_euclid(400); // 400-year cycles of 146_097 days each
    let year_of_cycle = year - cycle * 400; // 0..=399
    let month_from_march = i64::from((month + 9) % 12); // March = 0 … February = 11
    // Days from March 1 to the first of the month: month lengths 31,30,31,30,31 repeat.
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
    // 719_468 days lie between 0000-03-01 and 1970-01-01.
    cycle * 146_097 + day_of_cycle - 719_468
}

/// The proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468; // now counted from 0000-03-01
    let cycle = days.div_euclid(146_097);
    let day_of_cycle = days - cycle * 146_097; // 0..=146_096
    // Remove the leap days of the cycle so that a plain division by 365 gives the year.
    let year_of_cycle = (day_of_cycle - day_of_cycle / 1_460 + day_of_cycle / 36_524
        - day_of_cycle / 146_096)
        / 365;
    let day_of_year =
        day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = cycle * 400 + year_of_cycle + i64::from(month <= 2);
    // Both values are small and positive by construction.
    (year, month as u32, day as u32)
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Formats milliseconds since the Unix epoch as ISO 8601 with seconds precision in the given
/// UTC offset, e.g. `2026-11-23T10:05:00+03:00`; offset 0 gives `+00:00`. Milliseconds are
/// dropped (floored).
pub fn format_datetime(ms: i64, offset_minutes: i32) -> String {
    let local = ms.div_euclid(1000) + i64::from(offset_minutes) * 60;
    let (year, month, day) = civil_from_days(local.div_euclid(86_400));
    let second_of_day = local.rem_euclid(86_400);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let offset = offset_minutes.unsigned_abs();
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        offset / 60,
        offset % 60
    )
}

/// Reads `len` ASCII digits at `at` as a number.
fn digits(s: &[u8], at: usize, len: usize) -> Option<u32> {
    let field = s.get(at..at + len)?;
    field.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn expect_byte(s: &[u8], at: usize, byte: u8, what: &str) -> Result<(), String> {
    if s.get(at) == Some(&byte) {
        Ok(())
    } else {
        Err(format!(
            "invalid datetime: expected {what} at position {at}"
        ))
    }
}

/// Parses an ISO 8601 datetime into milliseconds since the Unix epoch.
///
/// Accepted: `YYYY-MM-DDTHH:MM:SS` (or with a space instead of `T`), optional fractional
/// seconds (`.` or `,`, digits beyond milliseconds are truncated), then `Z`, `±HH:MM` or
/// `±HHMM`; or a bare date `YYYY-MM-DD`, meaning midnight UTC. Surrounding whitespace is
/// ignored. Anything else, including a datetime without a timezone, is rejected with a short
/// English reason.
pub fn parse_datetime(text: &str) -> Result<i64, String> {
    let s = text.trim().as_bytes();
    if s.is_empty() {
        return Err("invalid datetime: empty".to_owned());
    }
    let year = digits(s, 0, 4).ok_or("invalid datetime: expected a four-digit year")?;
    expect_byte(s, 4, b'-', "'-'")?;
    let month = digits(s, 5, 2).ok_or("invalid datetime: expected a two-digit month")?;
    expect_byte(s, 7, b'-', "'-'")?;
    let day = digits(s, 8, 2).ok_or("invalid datetime: expected a two-digit day")?;
    let year = i64::from(year);
    if !(1..=12).contains(&month) {
        return Err(format!("invalid datetime: month {month} is out of range"));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(format!(
            "invalid datetime: day {day} is out of range for {year:04}-{month:02}"
        ));
    }
    let days = days_from_civil(year, month, day);
    if s.len() == 10 {
        return Ok(days * MS_PER_DAY);
    }

    if !matches!(s[10], b'T' | b't' | b' ') {
        return Err("invalid datetime: expected 'T' between date and time".to_owned());
    }
    let hour = digits(s, 11, 2).ok_or("invalid datetime: expected a two-digit hour")?;
    expect_byte(s, 13, b':', "':'")?;
    let minute = digits(s, 14, 2).ok_or("invalid datetime: expected two-digit minutes")?;
    expect_byte(s, 16, b':', "':'")?;
    let second = digits(s, 17, 2).ok_or("invalid datetime: expected two-digit seconds")?;
    if hour > 23 || minute > 59 || second > 59 {
        return Err("invalid datetime: time of day is out of range".to_owned());
    }

    let mut i = 19;
    let mut millis = 0i64;
    if matches!(s.get(i), Some(b'.' | b',')) {
        i += 1;
        let start = i;
        while let Some(b) = s.get(i).filter(|b| b.is_ascii_digit()) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b - b'0');
            }
            i += 1;
        }
        match i - start {
            0 => return Err("invalid datetime: expected digits after the decimal sign".into()),
            1 => millis *= 100,
            2 => millis *= 10,
            _ => {}
        }
    }

    let offset_seconds = match s.get(i) {
        None => return Err("invalid datetime: missing timezone (Z or ±HH:MM)".to_owned()),
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(&sign @ (b'+' | b'-')) => {
            let hours = digits(s, i + 1, 2).ok_or("invalid datetime: bad timezone offset")?;
            // `±HH:MM` or `±HHMM`.
            let minutes_at = if s.get(i + 3) == Some(&b':') {
                i + 4
            } else {
                i + 3
            };
            let minutes =
                digits(s, minutes_at, 2).ok_or("invalid datetime: bad timezone offset")?;
            i = minutes_at + 2;
            if hours > 23 || minutes > 59 {
                return Err("invalid datetime: timezone offset is out of range".to_owned());
            }
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if sign == b'-' { -seconds } else { seconds }
        }
        Some(_) => return Err("invalid datetime: expected Z or ±HH:MM after the time".into()),
    };
    if i != s.len() {
        return Err("invalid datetime: unexpected characters after the timezone".to_owned());
    }
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    Ok(seconds * 1000 + millis)
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/// A file sent in a multipart form (e.g. the `media` photo of a new request).
#[derive(Clone, Debug, PartialEq)]
pub struct FilePart {
    /// The form field name.
    pub name: String,
    /// The client's file name, if given.
    pub filename: Option<String>,
    /// The part's `Content-Type`; `application/octet-stream` when the client gave none.
    pub content_type: String,
    /// The raw bytes.
    pub bytes: Vec<u8>,
}

/// A decoded form: text fields in order (names may repeat) and files.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Form {
    /// Text fields as (name, value), in the order sent.
    pub fields: Vec<(String, String)>,
    /// File parts, in the order sent.
    pub files: Vec<FilePart>,
}

impl Form {
    /// The first value of the field `name`, if any (it may be empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `attribute[code]=v` and `attribute[code][]=v` fields as (code, values), codes in
    /// first-seen order, values in the order sent (empty values kept). Other names, e.g.
    /// `attribute[]` or `attribute[a][b]`, are ignored.
    pub fn attributes(&self) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (name, value) in &self.fields {
            let Some(code) = attribute_code(name) else {
                continue;
            };
            match out.iter_mut().find(|(c, _)| c == code) {
                Some((_, values)) => values.push(value.clone()),
                None => out.push((code.to_owned(), vec![value.clone()])),
            }
        }
        out
    }
}

fn attribute_code(name: &str) -> Option<&str> {
    let (code, tail) = name.strip_prefix("attribute[")?.split_once(']')?;
    (!code.is_empty() && (tail.is_empty() || tail == "[]")).then_some(code)
}

/// Parses the body of `POST requests.{fmt}`. `content_type` is the request's `Content-Type`
/// header; empty means `application/x-www-form-urlencoded`. Multipart text fields must be
/// UTF-8; file inputs a browser left empty (empty file name and no bytes) are dropped.
pub fn parse_form(content_type: &str, body: &[u8]) -> Result<Form, String> {
    let (media_type, params) = parse_header_value(content_type);
    match media_type.as_str() {
        "" | "application/x-www-form-urlencoded" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| "invalid form body: not valid UTF-8".to_owned())?;
            Ok(Form {
                fields: parse_urlencoded(text)?,
                files: Vec::new(),
            })
        }
        "multipart/form-data" => {
            let boundary = params
                .iter()
                .find(|(name, _)| name == "boundary")
                .map(|(_, value)| value.as_str())
                .filter(|b| !b.is_empty())
                .ok_or("multipart/form-data without a boundary parameter")?;
            parse_multipart(body, boundary)
        }
        "application/json" | "text/json" => Err(format!(
            "unsupported content type {media_type}: JSON bodies are not accepted; send \
             application/x-www-form-urlencoded or multipart/form-data"
        )),
        other => Err(format!(
            "unsupported content type {other}: send application/x-www-form-urlencoded or \
             multipart/form-data"
        )),
    }
}

/// Decodes an `application/x-www-form-urlencoded` string (a body or a query string without
/// the `?`) into (name, value) pairs: `+` is a space, `%XX` is a byte, decoded bytes must be
/// UTF-8. Empty segments (`a=1&&b=2`) are skipped; a segment without `=` has an empty value.
/// A malformed `%` escape is an error.
pub fn parse_urlencoded(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            Ok((percent_decode(name, true)?, percent_decode(value, true)?))
        })
        .collect()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' if plus_is_space => out.push(b' '),
            b'%' => {
                let high = bytes.get(i + 1).copied().and_then(hex_value);
                let low = bytes.get(i + 2).copied().and_then(hex_value);
                let (Some(high), Some(low)) = (high, low) else {
                    let shown: String = text[i..].chars().take(3).collect();
                    return Err(format!("invalid percent-escape '{shown}' in form data"));
                };
                out.push(high << 4 | low);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "form data decodes to invalid UTF-8".to_owned())
}

/// Splits a header value such as `form-data; name="a"; filename="b.jpg"` into its lowercased
/// leading token and its parameters (names lowercased, values unquoted).
fn parse_header_value(value: &str) -> (String, Vec<(String, String)>) {
    let mut segments = split_unquoted(value, ';').into_iter();
    let token = segments.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = segments
        .filter_map(|segment| {
            let (name, value) = segment.split_once('=')?;
            Some((name.trim().to_ascii_lowercase(), unquote(value.trim())))
        })
        .collect();
    (token, params)
}

/// Splits `text` at `separator` outside double quotes (a backslash escapes inside quotes).
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Removes the quotes of a quoted-string; `\"` and `\\` are unescaped, other backslashes are
/// kept (browsers do not escape them, e.g. in Windows paths).
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"') else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' if matches!(chars.peek(), Some('"' | '\\')) => {
                out.extend(chars.next());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Decodes an RFC 8187 extended value such as `UTF-8''%D0%AF.jpg`.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut pieces = value.splitn(3, '\'');
    let charset = pieces.next()?;
    let _language = pieces.next()?;
    let encoded = pieces.next()?;
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    percent_decode(encoded, false).ok()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|at| at + from)
}

fn parse_multipart(body: &[u8], boundary: &str) -> Result<Form, String> {
    const MALFORMED: &str = "malformed multipart body";
    let dash_boundary = format!("--{boundary}").into_bytes();

    // The first delimiter starts the body or a line (anything before it is preamble).
    let first = if body.starts_with(&dash_boundary) {
        0
    } else {
        find(body, &[b"\n", dash_boundary.as_slice()].concat(), 0)
            .map(|at| at + 1)
            .ok_or_else(|| format!("{MALFORMED}: the boundary was not found"))?
    };
    let mut pos = first + dash_boundary.len();
    // Line breaks are CRLF per the RFC; a body using bare LF throughout is tolerated.
    let newline: &[u8] = if body[pos..].starts_with(b"\n") {
        b"\n"
    } else {
        b"\r\n"
    };
    let delimiter = [newline, dash_boundary.as_slice()].concat();
    let header_end = [newline, newline].concat();

    let mut form = Form::default();
    loop {
        // Just after a delimiter: `--` closes the body, otherwise a line break opens a part.
        let rest = &body[pos..];
        if rest.starts_with(b"--") || rest.iter().all(u8::is_ascii_whitespace) {
            return Ok(form);
        }
        let padding = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        if !rest[padding..].starts_with(newline) {
            return Err(format!("{MALFORMED}: unexpected bytes after a boundary"));
        }
        pos += padding + newline.len();

        // Headers, up to an empty line (which directly follows the boundary if there are none).
        let (headers, content_start) = if body[pos..].starts_with(newline) {
            (&body[pos..pos], pos + newline.len())
        } else {
            let end = find(body, &header_end, pos)
                .ok_or_else(|| format!("{MALFORMED}: part headers are not terminated"))?;
            (&body[pos..end], end + header_end.len())
        };
        let content_end = find(body, &delimiter, content_start)
            .ok_or_else(|| format!("{MALFORMED}: a part is not closed by the boundary"))?;
        add_part(
            &mut form,
            headers,
            body[content_start..content_end].to_vec(),
        )?;
        pos = content_end + delimiter.len();
    }
}

fn add_part(form: &mut Form, headers: &[u8], content: Vec<u8>) -> Result<(), String> {
    let headers = String::from_utf8_lossy(headers);
    let mut disposition = None;
    let mut content_type = None;
    for line in headers.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("content-disposition") {
            disposition = Some(parse_header_value(value));
        } else if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        }
    }
    let Some((_, params)) = disposition.filter(|(kind, _)| kind == "form-data") else {
        return Err(
            "malformed multipart body: a part has no Content-Disposition: form-data".into(),
        );
    };
    let param = |key: &str| {
        params
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, v)| v.clone())
    };
    let name = param("name")
        .ok_or("malformed multipart body: a part has no name in its Content-Disposition")?;
    let filename = param("filename*")
        .and_then(|v| decode_ext_value(&v))
        .or_else(|| param("filename"));
    match filename {
        None => {
            let value = String::from_utf8(content)
                .map_err(|_| format!("form field '{name}' is not valid UTF-8"))?;
            form.fields.push((name, value));
        }
        // A file input left empty by the browser.
        Some(filename) if filename.is_empty() && content.is_empty() => {}
        Some(filename) => form.files.push(FilePart {
            name,
            filename: Some(filename),
            content_type: content_type.unwrap_or_else(|| "application/octet-stream".to_owned()),
            bytes: content,
        }),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Reading another Open311 server's JSON answers

/// The items of a JSON answer: an array of objects, or a single object.
fn json_objects(body: &[u8]) -> Result<Vec<Map<String, Value>>, String> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| format!("invalid JSON answer: {e}"))?;
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Object(map) => Ok(map),
                _ => Err(format!("item {i} of the JSON answer is not an object")),
            })
            .collect(),
        Value::Object(map) => Ok(vec![map]),
        _ => Err("the JSON answer is neither an array nor an object".to_owned()),
    }
}

/// A string or number field as text; `null`, empty strings and other types give `None`.
fn json_text(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Describes an Open311 error item (`{code, description}`), if `map` is one.
fn server_error(map: &Map<String, Value>) -> Option<String> {
    let error = error_item(map)?;
    Some(format!(
        "the server answered error {}: {}",
        error.code, error.description
    ))
}

fn error_item(map: &Map<String, Value>) -> Option<ErrorItem> {
    let code = match map.get("code")? {
        Value::Number(n) => u16::try_from(n.as_u64()?).ok()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    let description = match map.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return None,
    };
    Some(ErrorItem { code, description })
}

/// Reads the answer of another server's `POST requests.json`: an array (or a single object)
/// of `{service_request_id | token, service_notice, account_id}`. Ids may be JSON numbers or
/// strings; empty strings count as absent. An item with neither id nor token is an error
/// (an Open311 error item is reported as such). An empty array gives an empty list.
pub fn parse_acks_json(body: &[u8]) -> Result<Vec<Ack>, String> {
    json_objects(body)?
        .iter()
        .enumerate()
        .map(|(i, map)| {
            let ack = Ack {
                service_request_id: json_text(map, "service_request_id"),
                token: json_text(map, "token"),
                service_notice: json_text(map, "service_notice"),
                account_id: json_text(map, "account_id"),
            };
            if ack.service_request_id.is_none() && ack.token.is_none() {
                return Err(server_error(map).unwrap_or_else(|| {
                    format!("item {i} has neither service_request_id nor token")
                }));
            }
            Ok(ack)
        })
        .collect()
}

/// Reads another server's `servicerequestupdates.json`: an array (or a single object) of
/// update records. `update_id`, `service_request_id`, `status` and `updated_datetime` are
/// required; ids may be numbers or strings; `updated_datetime` goes through
/// [`parse_datetime`].
pub fn parse_updates_json(body: &[u8]) -> Result<Vec<Update>, String> {
    json_objects(body)?
        .iter()
        .enumerate()
        .map(|(i, map)| {
            let required = |key: &str| {
                json_text(map, key).ok_or_else(|| {
                    server_error(map).unwrap_or_else(|| format!("update {i}: missing {key}"))
                })
            };
            let update_id = required("update_id")?;
            let service_request_id = required("service_request_id")?;
            let status_text = required("status")?;
            let status = Status::parse(&status_text)
                .ok_or_else(|| format!("update {i}: unknown status '{status_text}'"))?;
            let updated_datetime = parse_datetime(&required("updated_datetime")?)
                .map_err(|e| format!("update {i}: updated_datetime: {e}"))?;
            Ok(Update {
                update_id,
                service_request_id,
                status,
                updated_datetime,
                description: json_text(map, "description"),
                media_url: json_text(map, "media_url"),
            })
        })
        .collect()
}

/// Reads an Open311 error answer: a non-empty array (or a single object) of
/// `{code, description}` with a numeric (or numeric-string) `code` that fits `u16`. `None` if
/// the body is not that shape.
pub fn parse_errors_json(body: &[u8]) -> Option<Vec<ErrorItem>> {
    let items = json_objects(body).ok()?;
    if items.is_empty() {
        return None;
    }
    items.iter().map(error_item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).expect("valid JSON")
    }

    fn xml(bytes: Vec<u8>) -> String {
        let text = String::from_utf8(bytes).expect("UTF-8");
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
        assert!(!text.contains("xmlns"));
        text
    }

    /// 2026-11-23T07:05:00Z.
    const T: i64 = 1_795_417_500_000;

    fn record() -> RequestRecord {
        RequestRecord {
            service_request_id: "42".into(),
            status: Status::Open,
            status_notes: None,
            service_name: "Pothole".into(),
            service_code: "pothole".into(),
            description: Some("Яма <big> & \"deep\" 'here'".into()),
            agency_responsible: Some("Управа".into()),
            service_notice: None,
            requested_datetime: T,
            updated_datetime: T + 60_000,
            expected_datetime: None,
            address: Some("Тверская, 1".into()),
            address_id: None,
            zipcode: None,
            lat: Some(55.7558),
            long: Some(37.6173),
            media_url: None,
        }
    }

    #[test]
    fn format_split_and_content_type() {
        assert_eq!(
            Format::split("requests.json"),
            Some(("requests", Format::Json))
        );
        assert_eq!(Format::split("pothole.xml"), Some(("pothole", Format::Xml)));
        assert_eq!(Format::split("requests"), None);
        assert_eq!(Format::split("requests.JSON"), None);
        assert_eq!(Format::split(".json"), None);
        assert_eq!(
            Format::Json.content_type(),
            "application/json; charset=utf-8"
        );
        assert_eq!(Format::Xml.content_type(), "text/xml; charset=utf-8");
    }

    #[test]
    fn enums_round_trip() {
        for d in [
            Datatype::String,
            Datatype::Number,
            Datatype::Datetime,
            Datatype::Text,
            Datatype::SingleValueList,
            Datatype::MultiValueList,
        ] {
            assert_eq!(Datatype::parse(d.as_str()), Some(d));
        }
        assert_eq!(Datatype::parse("list"), None);
        assert_eq!(Status::parse("open"), Some(Status::Open));
        assert_eq!(Status::parse("Closed"), Some(Status::Closed));
        assert_eq!(Status::parse("pending"), None);
        assert_eq!(ServiceKind::Batch.as_str(), "batch");
    }

    fn service() -> Service {
        Service {
            code: "pothole".into(),
            name: "Яма на дороге".into(),
            description: "Holes & cracks".into(),
            metadata: true,
            kind: ServiceKind::Realtime,
            keywords: vec!["road".into(), "asphalt".into()],
            group: String::new(),
        }
    }

    #[test]
    fn services_json() {
        let v = json(&services(&[service()], Format::Json));
        let items = v.as_array().expect("array");
        assert_eq!(items.len(), 1);
        let s = &items[0];
        assert_eq!(s["service_code"], "pothole");
        assert_eq!(s["service_name"], "Яма на дороге");
        assert_eq!(s["description"], "Holes & cracks");
        assert_eq!(s["metadata"], true);
        assert_eq!(s["type"], "realtime");
        assert_eq!(s["keywords"], "road,asphalt");
        assert_eq!(s["group"], "");
        assert_eq!(json(&services(&[], Format::Json)), serde_json::json!([]));
        // Keys in spec order.
        let raw = String::from_utf8(services(&[service()], Format::Json)).unwrap();
        assert!(raw.starts_with("[{\"service_code\":\"pothole\",\"service_name\""));
    }

    #[test]
    fn services_xml() {
        let x = xml(services(&[service()], Format::Xml));
        assert!(x.contains(
            "<services><service><service_code>pothole</service_code>\
             <service_name>Яма на дороге</service_name>\
             <description>Holes &amp; cracks</description><metadata>true</metadata>\
             <type>realtime</type><keywords>road,asphalt</keywords><group/></service></services>"
        ));
    }

    fn definition_value() -> ServiceDefinition {
        ServiceDefinition {
            service_code: "pothole".into(),
            attributes: vec![
                Attribute {
                    variable: true,
                    code: "depth".into(),
                    datatype: Datatype::Number,
                    required: false,
                    datatype_description: "cm".into(),
                    order: 1,
                    description: "How deep?".into(),
                    values: Vec::new(),
                },
                Attribute {
                    variable: true,
                    code: "kinds".into(),
                    datatype: Datatype::MultiValueList,
                    required: true,
                    datatype_description: String::new(),
                    order: 2,
                    description: "Kinds".into(),
                    values: vec![
                        AttributeValue {
                            key: "a".into(),
                            name: "Asphalt".into(),
                        },
                        AttributeValue {
                            key: "b".into(),
                            name: "Brick <old>".into(),
                        },
                    ],
                },
            ],
        }
    }

    #[test]
    fn definition_json() {
        let v = json(&definition(&definition_value(), Format::Json));
        assert_eq!(v["service_code"], "pothole");
        let attrs = v["attributes"].as_array().expect("array");
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0]["variable"], true);
        assert_eq!(attrs[0]["code"], "depth");
        assert_eq!(attrs[0]["datatype"], "number");
        assert_eq!(attrs[0]["required"], false);
        assert_eq!(attrs[0]["datatype_description"], "cm");
        assert_eq!(attrs[0]["order"], 1);
        assert_eq!(attrs[0]["description"], "How deep?");
        assert_eq!(attrs[0]["values"], serde_json::json!([]));
        assert_eq!(attrs[1]["datatype"], "multivaluelist");
        assert_eq!(
            attrs[1]["values"],
            serde_json::json!([{"key": "a", "name": "Asphalt"}, {"key": "b", "name": "Brick <old>"}])
        );
    }

    #[test]
    fn definition_xml() {
        let x = xml(definition(&definition_value(), Format::Xml));
        assert!(x.contains(
            "<service_definition><service_code>pothole</service_code><attributes><attribute>\
             <variable>true</variable><code>depth</code><datatype>number</datatype>\
             <required>false</required><datatype_description>cm</datatype_description>\
             <order>1</order><description>How deep?</description><values></values></attribute>"
        ));
        assert!(x.contains(
            "<values><value><key>a</key><name>Asphalt</name></value>\
             <value><key>b</key><name>Brick &lt;old&gt;</name></value></values>\
             </attribute></attributes></service_definition>"
        ));
    }

    #[test]
    fn requests_json() {
        let v = json(&requests(&[record()], Format::Json, 180));
        let items = v.as_array().expect("a single request is still an array");
        assert_eq!(items.len(), 1);
        let r = items[0].as_object().unwrap();
        let keys: Vec<&str> = r.keys().map(String::as_str).collect();
        let mut expected = vec![
            "service_request_id",
            "status",
            "status_notes",
            "service_name",
            "service_code",
            "description",
            "agency_responsible",
            "service_notice",
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
            "address",
            "address_id",
            "zipcode",
            "lat",
            "long",
            "media_url",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected, "every field present");
        assert_eq!(r["service_request_id"], "42");
        assert_eq!(r["status"], "open");
        assert_eq!(r["status_notes"], Value::Null);
        assert_eq!(r["description"], "Яма <big> & \"deep\" 'here'");
        assert_eq!(r["requested_datetime"], "2026-11-23T10:05:00+03:00");
        assert_eq!(r["updated_datetime"], "2026-11-23T10:06:00+03:00");
        assert_eq!(r["expected_datetime"], Value::Null);
        assert_eq!(r["lat"], 55.7558);
        assert_eq!(r["long"], 37.6173);
        assert!(r["lat"].is_f64());
        assert_eq!(r["media_url"], Value::Null);
        // Spec order in the raw text.
        let raw = String::from_utf8(requests(&[record()], Format::Json, 180)).unwrap();
        let at = |key: &str| raw.find(&format!("\"{key}\":")).unwrap();
        assert!(at("service_request_id") < at("status"));
        assert!(at("updated_datetime") < at("expected_datetime"));
        assert!(at("lat") < at("long") && at("long") < at("media_url"));
    }

    #[test]
    fn requests_xml() {
        let mut closed = record();
        closed.status = Status::Closed;
        closed.lat = None;
        closed.long = None;
        closed.expected_datetime = Some(T);
        let x = xml(requests(&[closed], Format::Xml, 180));
        assert!(x.contains(
            "<service_requests><request><service_request_id>42</service_request_id>\
             <status>closed</status><status_notes/>"
        ));
        assert!(x.contains(
            "<description>Яма &lt;big&gt; &amp; &quot;deep&quot; &apos;here&apos;</description>"
        ));
        assert!(x.contains("<requested_datetime>2026-11-23T10:05:00+03:00</requested_datetime>"));
        assert!(x.contains("<expected_datetime>2026-11-23T10:05:00+03:00</expected_datetime>"));
        assert!(x.contains("<lat/><long/><media_url/></request></service_requests>"));
        let x = xml(requests(&[record()], Format::Xml, 0));
        assert!(x.contains("<lat>55.7558</lat><long>37.6173</long>"));
        let x = xml(requests(&[], Format::Xml, 0));
        assert!(x.ends_with("<service_requests></service_requests>"));
    }

    #[test]
    fn xml_drops_illegal_characters() {
        let mut r = record();
        r.description = Some("a\u{0}b\u{7}c\td\ne\u{FFFE}f\rg".into());
        let x = xml(requests(&[r], Format::Xml, 0));
        assert!(x.contains("<description>abc\td\nef&#13;g</description>"));
    }

    #[test]
    fn acks_and_tokens() {
        let items = [
            Ack {
                service_request_id: Some("42".into()),
                token: None,
                service_notice: Some("Спасибо".into()),
                account_id: None,
            },
            Ack {
                service_request_id: None,
                token: Some("t-1".into()),
                service_notice: None,
                account_id: Some("u7".into()),
            },
        ];
        let v = json(&acks(&items, Format::Json));
        assert_eq!(
            v,
            serde_json::json!([
                {"service_request_id": "42", "token": null, "service_notice": "Спасибо", "account_id": null},
                {"service_request_id": null, "token": "t-1", "service_notice": null, "account_id": "u7"}
            ])
        );
        let x = xml(acks(&items, Format::Xml));
        assert!(x.contains(
            "<service_requests><request><service_request_id>42</service_request_id><token/>\
             <service_notice>Спасибо</service_notice><account_id/></request><request>\
             <service_request_id/><token>t-1</token>"
        ));

        let t = [TokenRecord {
            service_request_id: Some("42".into()),
            token: "t-1".into(),
        }];
        assert_eq!(
            json(&tokens(&t, Format::Json)),
            serde_json::json!([{"service_request_id": "42", "token": "t-1"}])
        );
        assert!(xml(tokens(&t, Format::Xml)).contains(
            "<service_requests><request><service_request_id>42</service_request_id>\
             <token>t-1</token></request></service_requests>"
        ));
    }

    #[test]
    fn updates_render() {
        let u = [Update {
            update_id: "7".into(),
            service_request_id: "42".into(),
            status: Status::Closed,
            updated_datetime: T,
            description: Some("Fixed".into()),
            media_url: None,
        }];
        assert_eq!(
            json(&updates(&u, Format::Json, 180)),
            serde_json::json!([{
                "update_id": "7", "service_request_id": "42", "status": "closed",
                "updated_datetime": "2026-11-23T10:05:00+03:00", "description": "Fixed",
                "media_url": null
            }])
        );
        assert!(xml(updates(&u, Format::Xml, 0)).contains(
            "<service_request_updates><request_update><update_id>7</update_id>\
             <service_request_id>42</service_request_id><status>closed</status>\
             <updated_datetime>2026-11-23T07:05:00+00:00</updated_datetime>\
             <description>Fixed</description><media_url/></request_update>\
             </service_request_updates>"
        ));
    }

    #[test]
    fn discovery_render() {
        let d = Discovery {
            changeset: T,
            contact: "Call 311 & ask".into(),
            key_service: "https://dvor.example/keys".into(),
            endpoints: vec![Endpoint {
                specification: "http://wiki.open311.org/GeoReport_v2".into(),
                url: "https://dvor.example/open311/v2".into(),
                changeset: T,
                kind: "production".into(),
                formats: vec!["text/xml".into(), "application/json".into()],
            }],
        };
        let v = json(&discovery(&d, Format::Json, 180));
        assert_eq!(v["changeset"], "2026-11-23T10:05:00+03:00");
        assert_eq!(v["contact"], "Call 311 & ask");
        assert_eq!(v["key_service"], "https://dvor.example/keys");
        assert_eq!(v["endpoints"][0]["type"], "production");
        assert_eq!(
            v["endpoints"][0]["formats"],
            serde_json::json!(["text/xml", "application/json"])
        );
        let x = xml(discovery(&d, Format::Xml, 180));
        assert!(x.contains(
            "<discovery><changeset>2026-11-23T10:05:00+03:00</changeset>\
             <contact>Call 311 &amp; ask</contact>\
             <key_service>https://dvor.example/keys</key_service><endpoints><endpoint>\
             <specification>http://wiki.open311.org/GeoReport_v2</specification>\
             <url>https://dvor.example/open311/v2</url>\
             <changeset>2026-11-23T10:05:00+03:00</changeset><type>production</type>\
             <formats><format>text/xml</format><format>application/json</format></formats>\
             </endpoint></endpoints></discovery>"
        ));
    }

    #[test]
    fn errors_render() {
        let e = [ErrorItem {
            code: 400,
            description: "service_code <missing>".into(),
        }];
        assert_eq!(
            String::from_utf8(errors(&e, Format::Json)).unwrap(),
            r#"[{"code":400,"description":"service_code <missing>"}]"#
        );
        assert!(xml(errors(&e, Format::Xml)).contains(
            "<errors><error><code>400</code>\
             <description>service_code &lt;missing&gt;</description></error></errors>"
        ));
    }

    #[test]
    fn datetime_format() {
        assert_eq!(format_datetime(T, 180), "2026-11-23T10:05:00+03:00");
        assert_eq!(format_datetime(T, 0), "2026-11-23T07:05:00+00:00");
        assert_eq!(format_datetime(T + 999, 0), "2026-11-23T07:05:00+00:00");
        assert_eq!(format_datetime(T, -300), "2026-11-23T02:05:00-05:00");
        assert_eq!(format_datetime(T, -570), "2026-11-22T21:35:00-09:30");
        assert_eq!(format_datetime(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(format_datetime(-1, 0), "1969-12-31T23:59:59+00:00");
        assert_eq!(format_datetime(T, 23 * 60), "2026-11-24T06:05:00+23:00");
    }

    #[test]
    fn datetime_parse() {
        assert_eq!(parse_datetime("2026-11-23T10:05:00+03:00"), Ok(T));
        assert_eq!(parse_datetime("2026-11-23T07:05:00Z"), Ok(T));
        assert_eq!(parse_datetime("2026-11-23T10:05:00+0300"), Ok(T));
        assert_eq!(parse_datetime("2026-11-23 07:05:00z"), Ok(T));
        assert_eq!(parse_datetime("2026-11-23T02:05:00-05:00"), Ok(T));
        assert_eq!(parse_datetime("2026-11-23T07:05:00.5Z"), Ok(T + 500));
        assert_eq!(parse_datetime("2026-11-23T07:05:00.123456Z"), Ok(T + 123));
        assert_eq!(parse_datetime(" 2026-11-23T07:05:00,04Z\n"), Ok(T + 40));
        assert_eq!(parse_datetime("2026-11-23"), Ok(T - (7 * 60 + 5) * 60_000));
        assert_eq!(parse_datetime("1970-01-01"), Ok(0));
        assert_eq!(parse_datetime("1969-12-31T23:59:59Z"), Ok(-1000));
        assert_eq!(
            format_datetime(parse_datetime("2024-02-29T12:00:00Z").unwrap(), 0),
            "2024-02-29T12:00:00+00:00"
        );
        assert_eq!(
            format_datetime(parse_datetime("2000-02-29").unwrap(), 0),
            "2000-02-29T00:00:00+00:00"
        );
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-11-23T24:00:00Z",
            "2026-11-23T10:60:00Z",
            "2026-11-23T10:05:60Z",
            "2026-11-23T10:05:00",
            "2026-11-23T10:05Z",
            "2026-11-23T10:05:00.Z",
            "2026-11-23T10:05:00+3:00",
            "2026-11-23T10:05:00+03:00x",
            "2026-11-23T10:05:00+24:00",
            "2026-11-23X10:05:00Z",
            "26-11-23",
            "garbage",
            "",
            "тест",
        ] {
            let err = parse_datetime(bad).expect_err(bad);
            assert!(err.starts_with("invalid datetime"), "{bad}: {err}");
        }
    }

    #[test]
    fn datetime_round_trip() {
        for ms in [
            0,
            T,
            -86_400_000,
            951_782_400_000,
            4_102_444_799_000,
            -1_000,
        ] {
            for offset in [0, 180, -300, 330, -720, 840] {
                let text = format_datetime(ms, offset);
                assert_eq!(parse_datetime(&text), Ok(ms), "{text}");
            }
        }
        // Every day over several 400-year cycle edges survives the civil conversion.
        for days in -800_000..800_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
            assert!((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m));
        }
    }

    #[test]
    fn urlencoded() {
        let pairs = parse_urlencoded(
            "service_code=pothole&description=%D0%AF%D0%BC%D0%B0+big+hole&&lat=55.75\
             &attribute[depth]=5&attribute%5Bkinds%5D%5B%5D=a&attribute[kinds][]=b&flag",
        )
        .unwrap();
        let form = Form {
            fields: pairs,
            files: Vec::new(),
        };
        assert_eq!(form.get("service_code"), Some("pothole"));
        assert_eq!(form.get("description"), Some("Яма big hole"));
        assert_eq!(form.get("lat"), Some("55.75"));
        assert_eq!(form.get("flag"), Some(""));
        assert_eq!(form.get("missing"), None);
        assert_eq!(
            form.attributes(),
            vec![
                ("depth".to_owned(), vec!["5".to_owned()]),
                ("kinds".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
            ]
        );
        assert!(parse_urlencoded("a=%zz").unwrap_err().contains("%zz"));
        assert!(parse_urlencoded("a=%4").is_err());
        assert!(parse_urlencoded("a=%FF").is_err());
        assert_eq!(parse_urlencoded("").unwrap(), Vec::new());

        let form = parse_form(
            "application/x-www-form-urlencoded; charset=UTF-8",
            b"a=1&a=2",
        )
        .unwrap();
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(parse_form("", b"a=1").unwrap().get("a"), Some("1"));
    }

    fn binary() -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..=255).collect();
        bytes.extend_from_slice(b"\r\n--\r\n--XyZ\r\n--XyZ-12\r\n--XyZ-12 \r\n\r\n");
        bytes.extend(0..=255u8);
        bytes
    }

    fn multipart_body() -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(b"This is a preamble.\r\n");
        body.extend_from_slice(b"--XyZ-123\r\nContent-Disposition: form-data; name=\"service_code\"\r\n\r\npothole\r\n");
        body.extend_from_slice(
            "--XyZ-123\r\ncontent-disposition: form-data; name=\"description\"\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\nЯма\r\nглубокая\r\n"
                .as_bytes(),
        );
        body.extend_from_slice(
            b"--XyZ-123\r\nContent-Disposition: form-data; name=\"attribute[kinds][]\"\r\n\r\na\r\n",
        );
        body.extend_from_slice(
            b"--XyZ-123\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a;b.jpg\"\r\n\
              Content-Type: image/jpeg\r\n\r\n",
        );
        body.extend_from_slice(&binary());
        body.extend_from_slice(
            b"\r\n--XyZ-123\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n\
              Content-Type: application/octet-stream\r\n\r\n",
        );
        body.extend_from_slice(
            b"\r\n--XyZ-123\r\nContent-Disposition: form-data; name=\"raw\"; filename=\"x.bin\"\r\n\r\n\x01\x02",
        );
        body.extend_from_slice(b"\r\n--XyZ-123--\r\nepilogue");
        body
    }

    #[test]
    fn multipart() {
        for content_type in [
            "multipart/form-data; boundary=XyZ-123",
            "Multipart/Form-Data; boundary=\"XyZ-123\"; charset=utf-8",
        ] {
            let form = parse_form(content_type, &multipart_body()).unwrap();
            assert_eq!(
                form.fields,
                vec![
                    ("service_code".to_owned(), "pothole".to_owned()),
                    ("description".to_owned(), "Яма\r\nглубокая".to_owned()),
                    ("attribute[kinds][]".to_owned(), "a".to_owned()),
                ]
            );
            assert_eq!(
                form.attributes(),
                vec![("kinds".to_owned(), vec!["a".to_owned()])]
            );
            assert_eq!(form.files.len(), 2, "the empty file input is dropped");
            let media = &form.files[0];
            assert_eq!(media.name, "media");
            assert_eq!(media.filename.as_deref(), Some("a;b.jpg"));
            assert_eq!(media.content_type, "image/jpeg");
            assert_eq!(media.bytes, binary());
            let raw = &form.files[1];
            assert_eq!(raw.content_type, "application/octet-stream");
            assert_eq!(raw.bytes, vec![1, 2]);
        }
    }

    #[test]
    fn multipart_variants() {
        // Bare LF line breaks, no preamble, RFC 8187 file name, empty field value.
        let body = "--b\nContent-Disposition: form-data; name=\"x\"\n\n\n--b\n\
                    Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''%D0%AF.png\n\n\
                    PNG\n--b--\n";
        let form = parse_form("multipart/form-data; boundary=b", body.as_bytes()).unwrap();
        assert_eq!(form.get("x"), Some(""));
        assert_eq!(form.files[0].filename.as_deref(), Some("Я.png"));
        assert_eq!(form.files[0].bytes, b"PNG");
    }

    #[test]
    fn multipart_errors() {
        let err = parse_form("multipart/form-data", b"--x\r\n").unwrap_err();
        assert!(err.contains("boundary"), "{err}");
        let err = parse_form("multipart/form-data; boundary=\"\"", b"").unwrap_err();
        assert!(err.contains("boundary"), "{err}");
        // The closing boundary never comes.
        let truncated = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue";
        assert!(parse_form("multipart/form-data; boundary=b", truncated).is_err());
        // No boundary at all.
        assert!(parse_form("multipart/form-data; boundary=b", b"hello").is_err());
        // A part without a name.
        let nameless = b"--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--";
        assert!(parse_form("multipart/form-data; boundary=b", nameless).is_err());
        // Invalid UTF-8 in a text field.
        let bad = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\xff\r\n--b--";
        let err = parse_form("multipart/form-data; boundary=b", bad).unwrap_err();
        assert!(err.contains("'x'") && err.contains("UTF-8"), "{err}");

        let err = parse_form("application/json", b"{}").unwrap_err();
        assert!(err.contains("application/json"), "{err}");
        assert!(err.contains("not accepted"), "{err}");
        let err = parse_form("text/plain", b"a=1").unwrap_err();
        assert!(err.contains("unsupported content type text/plain"), "{err}");
    }

    #[test]
    fn acks_from_json() {
        let acks = parse_acks_json(
            br#"[{"service_request_id":293944,"service_notice":"Thanks","account_id":null},
                 {"service_request_id":"A-7"},
                 {"token":"abc","service_request_id":""}]"#,
        )
        .unwrap();
        assert_eq!(acks[0].service_request_id.as_deref(), Some("293944"));
        assert_eq!(acks[0].service_notice.as_deref(), Some("Thanks"));
        assert_eq!(acks[0].account_id, None);
        assert_eq!(acks[1].service_request_id.as_deref(), Some("A-7"));
        assert_eq!(acks[2].service_request_id, None);
        assert_eq!(acks[2].token.as_deref(), Some("abc"));

        let single = parse_acks_json(br#"{"service_request_id":"1"}"#).unwrap();
        assert_eq!(single[0].service_request_id.as_deref(), Some("1"));

        let err =
            parse_acks_json(br#"[{"code":403,"description":"api_key is invalid"}]"#).unwrap_err();
        assert!(err.contains("403") && err.contains("api_key"), "{err}");
        assert!(parse_acks_json(b"not json").is_err());
        assert!(parse_acks_json(b"[1]").is_err());
        assert_eq!(parse_acks_json(b"[]").unwrap(), Vec::new());
    }

    #[test]
    fn updates_from_json() {
        let items = parse_updates_json(
            br#"[{"update_id":1,"service_request_id":"42","status":"closed",
                  "updated_datetime":"2026-11-23T10:05:00+03:00","description":"Fixed",
                  "media_url":null}]"#,
        )
        .unwrap();
        assert_eq!(
            items,
            vec![Update {
                update_id: "1".into(),
                service_request_id: "42".into(),
                status: Status::Closed,
                updated_datetime: T,
                description: Some("Fixed".into()),
                media_url: None,
            }]
        );
        let err = parse_updates_json(
            br#"[{"update_id":1,"service_request_id":2,"status":"open","updated_datetime":"yesterday"}]"#,
        )
        .unwrap_err();
        assert!(err.contains("updated_datetime"), "{err}");
        let err = parse_updates_json(br#"[{"update_id":1}]"#).unwrap_err();
        assert!(err.contains("service_request_id"), "{err}");
    }

    #[test]
    fn errors_from_json() {
        let body = errors(
            &[ErrorItem {
                code: 404,
                description: "not found".into(),
            }],
            Format::Json,
        );
        assert_eq!(
            parse_errors_json(&body),
            Some(vec![ErrorItem {
                code: 404,
                description: "not found".into(),
            }])
        );
        assert_eq!(
            parse_errors_json(br#"{"code":"400","description":"bad"}"#),
            Some(vec![ErrorItem {
                code: 400,
                description: "bad".into(),
            }])
        );
        assert_eq!(parse_errors_json(br#"[{"service_request_id":1}]"#), None);
        assert_eq!(parse_errors_json(b"[]"), None);
        assert_eq!(parse_errors_json(b"<errors/>"), None);
    }
}
