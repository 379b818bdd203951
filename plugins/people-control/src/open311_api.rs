//! Open311 GeoReport v2 over the appeals, under `open311/v2/`: discovery, services from the
//! categories, service definitions from their extra fields, filing with an API key (form or
//! multipart with a `media` photo), tokens, requests with the spec's filters, and the
//! `servicerequestupdates` extension other systems sync statuses with.
//!
//! The jurisdiction is the community in the URL. Anonymous readers see public appeals; a client
//! with its `api_key` also sees the appeals it filed (those of private categories included).

use std::collections::BTreeMap;

use dvor_sdk::prelude::*;

use crate::access;
use crate::appeals::{self, Author, NewAppeal};
use crate::model::{APPEALS, Appeal, Category, Open311Client, Settings, UPDATES};
use crate::open311::{self, Format};

const DAY_MS: i64 = 86_400_000;
/// The most a `requests` query may span, and its default window.
const WINDOW_DAYS: i64 = 90;
/// The most requests one answer carries.
const MAX_PAGE_SIZE: usize = 1000;

/// Why an Open311 request did not succeed.
enum Refusal {
    /// Refused before anything was written: answered in Open311's shape with this status and
    /// description.
    Answer(u16, String),
    /// Failed, perhaps after writing: the call fails and the host rolls it back.
    Fail(Error),
}

fn bad(description: impl Into<String>) -> Refusal {
    Refusal::Answer(400, description.into())
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Refusal {
        let status = match error.code {
            ErrorCode::Invalid => 400,
            ErrorCode::Unauthenticated | ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            _ => return Refusal::Fail(error),
        };
        let description = match error.field {
            Some(field) => format!("{}: {}", open311_field(&field), error.message),
            None => error.message,
        };
        Refusal::Answer(status, description)
    }
}

/// The Open311 name of a field the appeals module reports.
fn open311_field(field: &str) -> String {
    match field {
        "category" => "service_code".into(),
        "lon" => "long".into(),
        "address" => "address_string".into(),
        "photos" => "media".into(),
        other => other.to_owned(),
    }
}

/// Serve `path` (the segments after `open311/v2/`).
pub fn handle(req: &ApiRequest, path: &[&str]) -> Result<ApiResponse> {
    let last = path.last().copied().unwrap_or_default();
    let (stem, format) = Format::split(last).unwrap_or((last, Format::Json));
    let mut route: Vec<&str> = path[..path.len().saturating_sub(1)].to_vec();
    route.push(stem);
    match serve(req, &route, format) {
        Ok(response) => Ok(response),
        // The host rolls the call back, logs internal failures and answers for them.
        Err(Refusal::Fail(error)) => Err(error),
        Err(Refusal::Answer(status, description)) => Ok(ApiResponse::bytes(
            status,
            format.content_type(),
            open311::errors(
                &[open311::ErrorItem {
                    code: status,
                    description,
                }],
                format,
            ),
        )),
    }
}

/// The request's parameters: the query string, then the body's fields; and its files.
fn parameters(req: &ApiRequest) -> Result<(Params, Vec<open311::FilePart>), Refusal> {
    let mut pairs = req.query.clone();
    let mut files = Vec::new();
    if req.method == "POST" && !req.body.is_empty() {
        let form = open311::parse_form(req.header("content-type").unwrap_or(""), &req.body)
            .map_err(bad)?;
        pairs.extend(form.fields);
        files = form.files;
    }
    Ok((Params::new(pairs), files))
}

fn given<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params.get(name).map(str::trim).filter(|v| !v.is_empty())
}

fn serve(req: &ApiRequest, route: &[&str], format: Format) -> Result<ApiResponse, Refusal> {
    let (params, files) = parameters(req)?;
    if let Some(jurisdiction) = given(&params, "jurisdiction_id")
        && jurisdiction != ctx::community()
    {
        return Err(Refusal::Answer(
            404,
            format!("jurisdiction_id: unknown jurisdiction {jurisdiction}"),
        ));
    }
    let settings = Settings::load()?;
    let client = match given(&params, "api_key") {
        None => None,
        Some(key) => Some(
            settings
                .client_by_key(key)
                .ok_or_else(|| Refusal::Answer(403, "api_key: unknown key".into()))?,
        ),
    };
    let ok = |body: Vec<u8>| Ok(ApiResponse::bytes(200, format.content_type(), body));
    let offset = ctx::utc_offset_minutes()?;
    match (req.method.as_str(), route) {
        ("GET", ["discovery"]) => ok(open311::discovery(&discovery(req)?, format, offset)),
        ("GET", ["services"]) => {
            let services: Vec<open311::Service> = appeals::categories()?
                .iter()
                .filter(|c| c.active)
                .map(service)
                .collect();
            ok(open311::services(&services, format))
        }
        ("GET", ["services" | "service", code]) => {
            let category = appeals::category(code)?.ok_or_else(|| {
                Refusal::Answer(404, format!("service_code: unknown service {code}"))
            })?;
            ok(open311::definition(&definition(&category), format))
        }
        ("POST", ["requests"]) => {
            let client = client.ok_or_else(|| {
                Refusal::Answer(403, "api_key: a key is required to file requests".into())
            })?;
            let ack = file(&params, files, client)?;
            Ok(ApiResponse::bytes(
                201,
                format.content_type(),
                open311::acks(&[ack], format),
            ))
        }
        ("GET", ["requests"]) => {
            let records = find(req, &params, client)?;
            ok(open311::requests(&records, format, offset))
        }
        ("GET", ["requests", id]) => {
            let doc = visible(id, client)?.ok_or_else(|| {
                Refusal::Answer(404, format!("service_request_id: no request {id}"))
            })?;
            let categories = category_map()?;
            ok(open311::requests(
                &[record(req, &doc, &categories)],
                format,
                offset,
            ))
        }
        ("GET", ["tokens", token]) => {
            // A token of an appeal filed over Open311 names only its id, which the filing
            // answered already; nothing of its content.
            let doc = APPEALS
                .get(token)?
                .filter(|doc| doc.data.client.is_some())
                .ok_or_else(|| Refusal::Answer(404, format!("token: unknown token {token}")))?;
            ok(open311::tokens(
                &[open311::TokenRecord {
                    service_request_id: Some(doc.id.clone()),
                    token: (*token).to_owned(),
                }],
                format,
            ))
        }
        ("GET", ["servicerequestupdates"]) => {
            let updates = updates(&params, client)?;
            ok(open311::updates(&updates, format, offset))
        }
        (
            _,
            [
                "discovery" | "services" | "requests" | "tokens" | "servicerequestupdates",
                ..,
            ],
        ) => Err(Refusal::Answer(
            405,
            format!("{} is not served here", req.method),
        )),
        _ => Err(Refusal::Answer(404, "no such Open311 endpoint".into())),
    }
}

/// This plugin's API root as clients reach it: `http://host/api/c/{community}/p/people-control`.
fn api_base(req: &ApiRequest) -> String {
    let scheme = req
        .header("x-forwarded-proto")
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    let host = req.header("host").unwrap_or("localhost");
    format!(
        "{scheme}://{host}/api/c/{}/p/people-control",
        ctx::community()
    )
}

fn discovery(req: &ApiRequest) -> Result<open311::Discovery> {
    let changeset = crate::model::CATEGORIES
        .query()
        .fetch_all()?
        .iter()
        .map(|d| d.updated)
        .max()
        .unwrap_or(0);
    Ok(open311::Discovery {
        changeset,
        contact: tr(
            "Вопросы о подключении — администратору этого инстанса dvor",
            "Ask this dvor instance's administrator about access",
        )
        .into(),
        key_service: tr(
            "Ключи API выдаёт администратор инстанса (настройка open311_clients)",
            "API keys are issued by the instance administrator (the open311_clients setting)",
        )
        .into(),
        endpoints: vec![open311::Endpoint {
            specification: "http://wiki.open311.org/GeoReport_v2".into(),
            url: format!("{}/open311/v2", api_base(req)),
            changeset,
            kind: "production".into(),
            formats: vec!["text/xml".into(), "application/json".into()],
        }],
    })
}

fn service(category: &Category) -> open311::Service {
    open311::Service {
        code: category.code.clone(),
        name: category.name().to_owned(),
        description: format!(
            "{} {} {}",
            tr("Срок ответа", "Answered within"),
            category.deadline_days,
            tr("дн.", "days")
        ),
        metadata: !category.fields.is_empty(),
        kind: open311::ServiceKind::Realtime,
        keywords: Vec::new(),
        group: category.group.clone(),
    }
}

fn definition(category: &Category) -> open311::ServiceDefinition {
    open311::ServiceDefinition {
        service_code: category.code.clone(),
        attributes: category
            .fields
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let label = crate::model::localized(&field.label_ru, &field.label_en).to_owned();
                open311::Attribute {
                    variable: true,
                    code: field.code.clone(),
                    datatype: open311::Datatype::parse(&field.datatype)
                        .unwrap_or(open311::Datatype::String),
                    required: field.required,
                    datatype_description: String::new(),
                    order: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    description: label,
                    values: field
                        .values
                        .iter()
                        .map(|c| open311::AttributeValue {
                            key: c.key.clone(),
                            name: crate::model::localized(&c.name_ru, &c.name_en).to_owned(),
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}

fn category_map() -> Result<BTreeMap<String, Category>> {
    Ok(appeals::categories()?
        .into_iter()
        .map(|c| (c.code.clone(), c))
        .collect())
}

fn may_read(appeal: &Appeal, client: Option<&Open311Client>) -> bool {
    access::is_public(appeal)
        || client.is_some_and(|c| appeal.client.as_deref() == Some(c.name.as_str()))
}

fn visible(id: &str, client: Option<&Open311Client>) -> Result<Option<Doc<Appeal>>, Refusal> {
    Ok(APPEALS.get(id)?.filter(|doc| may_read(&doc.data, client)))
}

fn record(
    req: &ApiRequest,
    doc: &Doc<Appeal>,
    categories: &BTreeMap<String, Category>,
) -> open311::RequestRecord {
    let appeal = &doc.data;
    let status_notes = appeal
        .timeline
        .iter()
        .rev()
        .find(|e| e.status.is_some())
        .map(|e| {
            format!(
                "{}{}",
                e.status.map(|s| s.label()).unwrap_or_default(),
                if e.note.is_empty() {
                    String::new()
                } else {
                    format!(": {}", e.note)
                }
            )
        });
    open311::RequestRecord {
        service_request_id: doc.id.clone(),
        status: if appeal.status.is_closed() {
            open311::Status::Closed
        } else {
            open311::Status::Open
        },
        status_notes,
        service_name: categories
            .get(&appeal.category)
            .map_or_else(|| appeal.category.clone(), |c| c.name().to_owned()),
        service_code: appeal.category.clone(),
        description: Some(appeal.description.clone()),
        agency_responsible: appeal.organization.clone(),
        service_notice: None,
        requested_datetime: appeal.created,
        updated_datetime: appeal.updated,
        expected_datetime: (!appeal.status.is_closed()).then_some(appeal.deadline),
        address: appeal.address.clone(),
        address_id: None,
        zipcode: None,
        lat: appeal.point.map(|p| p.lat),
        long: appeal.point.map(|p| p.lon),
        media_url: appeal
            .photos
            .first()
            .map(|photo| format!("{}/appeals/{}/photos/{photo}", api_base(req), doc.id))
            .or_else(|| appeal.media_url.clone()),
    }
}

fn datetime_param(params: &Params, name: &str) -> Result<Option<i64>, Refusal> {
    given(params, name)
        .map(|text| open311::parse_datetime(text).map_err(|e| bad(format!("{name}: {e}"))))
        .transpose()
}

/// `requests.{fmt}`: by ids, or by service, dates and status, newest first.
fn find(
    req: &ApiRequest,
    params: &Params,
    client: Option<&Open311Client>,
) -> Result<Vec<open311::RequestRecord>, Refusal> {
    let categories = category_map()?;
    if let Some(ids) = given(params, "service_request_id") {
        let mut records = Vec::new();
        for id in ids.split(',').map(str::trim).filter(|id| !id.is_empty()) {
            if let Some(doc) = visible(id, client)? {
                records.push(record(req, &doc, &categories));
            }
        }
        return Ok(records);
    }
    let now = ctx::now();
    let window = WINDOW_DAYS * DAY_MS;
    let (start, end) = match (
        datetime_param(params, "start_date")?,
        datetime_param(params, "end_date")?,
    ) {
        (Some(start), Some(end)) => (start, end),
        (Some(start), None) => (start, (start + window).min(now.max(start))),
        (None, Some(end)) => (end - window, end),
        (None, None) => (now - window, now),
    };
    if end < start {
        return Err(bad("end_date: before start_date"));
    }
    if end - start > window {
        return Err(bad("end_date: the range may not span more than 90 days"));
    }
    let codes: Option<Vec<&str>> = given(params, "service_code").map(|list| {
        list.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    });
    let statuses = match given(params, "status") {
        None => None,
        Some(list) => Some(
            list.split(',')
                .map(|s| {
                    open311::Status::parse(s)
                        .ok_or_else(|| bad(format!("status: {s} is not open or closed")))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let page_size = match given(params, "page_size") {
        None => MAX_PAGE_SIZE,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| bad("page_size: a number from 1 to 1000"))?,
    };
    let page = match given(params, "page") {
        None => 1,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| bad("page: a number from 1"))?,
    };
    let in_window = || {
        APPEALS
            .query()
            .filter("created", Compare::Ge, start)
            .filter("created", Compare::Le, end)
    };
    let mut docs = in_window()
        .filter("public", Compare::Eq, true)
        .filter("moderation", Compare::Eq, "approved")
        .fetch_all()?;
    if let Some(client) = client {
        docs.extend(
            in_window()
                .filter("client", Compare::Eq, client.name.as_str())
                .fetch_all()?,
        );
    }
    docs.sort_by(|a, b| b.data.created.cmp(&a.data.created).then(b.id.cmp(&a.id)));
    docs.dedup_by(|a, b| a.id == b.id);
    Ok(docs
        .iter()
        .filter(|doc| {
            codes
                .as_ref()
                .is_none_or(|codes| codes.contains(&doc.data.category.as_str()))
        })
        .filter(|doc| {
            let status = if doc.data.status.is_closed() {
                open311::Status::Closed
            } else {
                open311::Status::Open
            };
            statuses.as_ref().is_none_or(|s| s.contains(&status))
        })
        .skip((page - 1) * page_size)
        .take(page_size)
        .map(|doc| record(req, doc, &categories))
        .collect())
}

/// POST `requests.{fmt}`: file an appeal on behalf of the named person the client gives.
fn file(
    params: &Params,
    files: Vec<open311::FilePart>,
    client: &Open311Client,
) -> Result<open311::Ack, Refusal> {
    let code = given(params, "service_code").ok_or_else(|| bad("service_code: required"))?;
    if appeals::category(code)?.is_none_or(|c| !c.active) {
        return Err(Refusal::Answer(
            404,
            format!("service_code: unknown service {code}"),
        ));
    }
    let first = given(params, "first_name");
    let last = given(params, "last_name");
    let (Some(first), Some(last)) = (first, last) else {
        return Err(bad(if first.is_none() {
            "first_name: required — appeals come from named people"
        } else {
            "last_name: required — appeals come from named people"
        }));
    };
    let number = |name: &str| -> Result<Option<f64>, Refusal> {
        given(params, name)
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| bad(format!("{name}: not a number")))
            })
            .transpose()
    };
    let description = given(params, "description").unwrap_or_default();
    if description.chars().count() > 4000 {
        return Err(bad("description: longer than 4000 characters"));
    }
    let media: Vec<open311::FilePart> = files.into_iter().filter(|f| f.name == "media").collect();
    if media.len() > 1 {
        return Err(bad("media: one file at most"));
    }
    if let Some(part) = media.first()
        && !part.content_type.starts_with("image/")
    {
        return Err(bad(format!("media: {} is not an image", part.content_type)));
    }
    let contact = [given(params, "email"), given(params, "phone")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let author = Author::open311(
        &client.name,
        format!("{first} {last}"),
        (!contact.is_empty()).then_some(contact),
    );
    let attributes = params_attributes(params);
    let address = given(params, "address_string")
        .or(given(params, "address_id"))
        .map(str::to_owned);
    let input = NewAppeal {
        category: code.to_owned(),
        description: description.to_owned(),
        lat: number("lat")?,
        lon: number("long")?,
        address,
        attributes,
        ..NewAppeal::default()
    };
    let media_url = given(params, "media_url").map(str::to_owned);
    let mut doc = appeals::file(input, author, &|code| format!("attribute[{code}]"))?;
    if media_url.is_some() || !media.is_empty() {
        // The appeal is written: from here a failure must roll the whole call back.
        doc = attach(doc, media, media_url).map_err(Refusal::Fail)?;
    }
    Ok(open311::Ack {
        service_request_id: Some(doc.id.clone()),
        token: None,
        service_notice: Some(
            if doc.data.moderation == crate::model::Moderation::Pending {
                format!(
                    "Обращение №{} принято и ждёт модерации / Appeal No. {} received, awaiting moderation",
                    doc.data.number, doc.data.number
                )
            } else {
                format!(
                    "Обращение №{} принято / Appeal No. {} received",
                    doc.data.number, doc.data.number
                )
            },
        ),
        account_id: given(params, "account_id").map(str::to_owned),
    })
}

/// Store the photo sent with an appeal and the link to one elsewhere.
fn attach(
    doc: Doc<Appeal>,
    media: Vec<open311::FilePart>,
    media_url: Option<String>,
) -> Result<Doc<Appeal>> {
    let mut appeal = doc.data.clone();
    appeal.media_url = media_url;
    for part in media {
        let name = part.filename.clone().unwrap_or_else(|| "media".into());
        let stored =
            dvor_sdk::files::store(&doc.community, &name, &part.content_type, &part.bytes)?;
        appeal.photos.push(stored.id);
    }
    APPEALS.put(&doc.community, &doc.id, &appeal, Some(doc.version))
}

fn params_attributes(params: &Params) -> BTreeMap<String, serde_json::Value> {
    let form = open311::Form {
        fields: params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        files: Vec::new(),
    };
    form.attributes()
        .into_iter()
        .map(|(code, values)| {
            (
                code,
                serde_json::Value::Array(values.into_iter().map(Into::into).collect()),
            )
        })
        .collect()
}

/// `servicerequestupdates.{fmt}`: status changes in a time range, oldest first.
fn updates(
    params: &Params,
    client: Option<&Open311Client>,
) -> Result<Vec<open311::Update>, Refusal> {
    let now = ctx::now();
    let start = datetime_param(params, "start_date")?.unwrap_or(now - WINDOW_DAYS * DAY_MS);
    let end = datetime_param(params, "end_date")?.unwrap_or(now);
    let only = given(params, "service_request_id");
    let mut query = UPDATES
        .query()
        .filter("at", Compare::Ge, start)
        .filter("at", Compare::Le, end)
        .order_by("at", Direction::Asc)
        .limit(1000);
    if let Some(id) = only {
        query = query.filter("appeal", Compare::Eq, id);
    }
    Ok(query
        .fetch()?
        .docs
        .iter()
        .filter(|doc| {
            doc.data.public
                || client.is_some_and(|c| doc.data.client.as_deref() == Some(c.name.as_str()))
        })
        .map(|doc| appeals::open311_update(&doc.id, &doc.data))
        .collect())
}
