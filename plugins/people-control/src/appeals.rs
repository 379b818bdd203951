//! The life of an appeal: filing (with its category's extra fields, a point or an address and
//! photos), routing to the responsible organization, moderation, status changes with notes,
//! comments, the author's confirmation or reopening, support, near duplicates and deadlines.
//!
//! Every change lands on the appeal's timeline with who, when and a note; the author is
//! notified of every status change and question; each status change is also an Open311 update.

use std::collections::BTreeMap;

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message, Urgency};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::{self, Standing, is_moderator_at, not_found, staff_of, standing};
use crate::model::{
    APPEALS, Appeal, CATEGORIES, Category, Entry, ForwardState, Kind, Moderation, OUTBOX, Point,
    STATE, SUPPORTS, Settings, Status, StatusUpdate, Support, UPDATES, Webhook,
};
use crate::open311;

/// Emitted when an appeal is filed.
pub const APPEAL_CREATED: &str = "appeal.created";
/// Emitted on every status change.
pub const APPEAL_STATUS_CHANGED: &str = "appeal.status_changed";
/// Emitted when an appeal is resolved.
pub const APPEAL_RESOLVED: &str = "appeal.resolved";
/// Emitted when someone supports an appeal.
pub const APPEAL_SUPPORTED: &str = "appeal.supported";

const DAY_MS: i64 = 86_400_000;
const MAX_DESCRIPTION: usize = 4000;
const MAX_PHOTOS: usize = 5;

/// A new appeal as the API, the web form or Open311 gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAppeal {
    /// Problem (default), suggestion or thanks.
    #[serde(default)]
    pub kind: Kind,
    /// The category code.
    pub category: String,
    /// What happened.
    pub description: String,
    /// Latitude.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude.
    #[serde(default)]
    pub lon: Option<f64>,
    /// The address.
    #[serde(default)]
    pub address: Option<String>,
    /// The community (house, district) it is in; default: the call's.
    #[serde(default)]
    pub community: Option<String>,
    /// Answers to the category's extra fields.
    #[serde(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Photos already stored (file ids).
    #[serde(default)]
    pub photos: Vec<String>,
}

/// Who files: a signed-in person, or an Open311 client on behalf of a named person.
#[derive(Clone, Debug)]
pub struct Author {
    /// The person id; for Open311 `open311:{client}`, which filing makes the appeal's own
    /// (see [`open311_author`]).
    pub id: String,
    /// The name shown.
    pub name: String,
    /// E-mail or phone given through Open311.
    pub contact: Option<String>,
    /// The Open311 client.
    pub client: Option<String>,
}

impl Author {
    /// A person named to an Open311 client, who files for them: the contact (e-mail, phone) is
    /// kept for those handling the appeal, and the id carries neither it nor the name.
    pub fn open311(client: &str, name: String, contact: Option<String>) -> Author {
        Author {
            id: format!("open311:{client}"),
            name,
            contact,
            client: Some(client.to_owned()),
        }
    }

    /// The author's id on appeal No. `number`.
    fn id_on(&self, number: u64) -> String {
        match &self.client {
            Some(client) => open311_author(client, number),
            None => self.id.clone(),
        }
    }

    /// The signed-in caller.
    pub fn caller() -> Result<Author> {
        let caller = ctx::require_caller()?;
        Ok(Author {
            id: caller.person_id,
            name: caller.display_name,
            contact: None,
            client: None,
        })
    }
}

/// The author id of appeal No. `number` filed through Open311 client `client`: it names the
/// appeal and the client, and nothing about the person.
pub fn open311_author(client: &str, number: u64) -> String {
    format!("open311:{client}:{number}")
}

/// The category `code` visible in the call, if it exists: defined here or at a place above
/// (a house files to its town's categories).
pub fn category(code: &str) -> Result<Option<Category>> {
    Ok(CATEGORIES.get_inherited(code)?.map(|d| d.data))
}

/// Every category visible in the call, by code.
pub fn categories() -> Result<Vec<Category>> {
    let mut all: Vec<Category> = CATEGORIES
        .query()
        .with_ancestors()
        .fetch_all()?
        .into_iter()
        .map(|d| d.data)
        .collect();
    all.sort_by(|a, b| (&a.group, &a.code).cmp(&(&b.group, &b.code)));
    Ok(all)
}

fn is_code(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        && text.len() <= 64
}

/// Create or replace a category in the call's community (moderators and admins).
pub fn save_category(code: &str, category: Category) -> Result<Category> {
    let caller = ctx::require_caller()?;
    let here = ctx::community();
    if !is_moderator_at(&caller, &here) {
        return Err(Error::forbidden(tr(
            "Категории задают модераторы и администраторы",
            "only moderators and admins define categories",
        )));
    }
    if category.code != code || !is_code(code) {
        return Err(Error::invalid(
            "code",
            tr(
                "Код — латинские строчные буквы, цифры, _ и -; совпадает с адресом",
                "the code is lower-case latin letters, digits, _ and -, and matches the path",
            ),
        ));
    }
    if category.name_ru.trim().is_empty() {
        return Err(Error::invalid(
            "name_ru",
            tr("Нужно название", "a name is required"),
        ));
    }
    if !(1..=365).contains(&category.deadline_days) {
        return Err(Error::invalid(
            "deadline_days",
            tr("Срок — от 1 до 365 дней", "the deadline is 1 to 365 days"),
        ));
    }
    for (i, route) in category.routes.iter().enumerate() {
        if directory::community(&route.community).is_none() {
            return Err(Error::invalid(
                format!("routes[{i}].community"),
                format!(
                    "{}: {}",
                    tr("Нет такого сообщества здесь", "no such community here"),
                    route.community
                ),
            ));
        }
        if route.organization.trim().is_empty() {
            return Err(Error::invalid(
                format!("routes[{i}].organization"),
                tr("Нужна организация", "an organization is required"),
            ));
        }
    }
    for (i, field) in category.fields.iter().enumerate() {
        if !is_code(&field.code) || open311::Datatype::parse(&field.datatype).is_none() {
            return Err(Error::invalid(
                format!("fields[{i}]"),
                tr(
                    "Код поля — латиница; тип — string, number, datetime, text, singlevaluelist или multivaluelist",
                    "a field code is latin; its datatype is string, number, datetime, text, singlevaluelist or multivaluelist",
                ),
            ));
        }
        if field.datatype.ends_with("valuelist") && field.values.is_empty() {
            return Err(Error::invalid(
                format!("fields[{i}].values"),
                tr("У списка нужны варианты", "a list needs its choices"),
            ));
        }
    }
    let community = match CATEGORIES.get(code)? {
        Some(existing) => existing.community,
        None => here,
    };
    CATEGORIES.put(&community, code, &category, None)?;
    Ok(category)
}

/// The organization answering `category` in `community`: the deepest route on the way up,
/// else the category's default.
pub fn route(category: &Category, community: &str) -> Option<String> {
    let chain = directory::ancestry(community);
    chain
        .iter()
        .find_map(|place| {
            category
                .routes
                .iter()
                .find(|r| &r.community == place)
                .map(|r| r.organization.clone())
        })
        .or_else(|| category.organization.clone())
}

fn invalid(field: &str, ru: &str, en: &str) -> Error {
    Error::invalid(field, tr(ru, en))
}

/// Check the answers to the category's fields; `field_name` makes the error's field (`attributes.depth`
/// for the API, `attribute[depth]` for Open311).
pub fn check_attributes(
    category: &Category,
    given: &BTreeMap<String, Vec<String>>,
    field_name: &dyn Fn(&str) -> String,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut answers = BTreeMap::new();
    for (code, _) in given.iter() {
        if !category.fields.iter().any(|f| &f.code == code) {
            return Err(Error::invalid(
                field_name(code),
                tr(
                    "У этой категории нет такого поля",
                    "this category has no such field",
                ),
            ));
        }
    }
    for field in &category.fields {
        let values: Vec<String> = given
            .get(&field.code)
            .map(|v| {
                v.iter()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if values.is_empty() {
            if field.required {
                return Err(Error::invalid(
                    field_name(&field.code),
                    format!(
                        "{}: {}",
                        tr("Заполните поле", "fill in"),
                        crate::model::localized(&field.label_ru, &field.label_en)
                    ),
                ));
            }
            continue;
        }
        match field.datatype.as_str() {
            "number" => {
                if values.len() != 1 || values[0].replace(',', ".").parse::<f64>().is_err() {
                    return Err(Error::invalid(
                        field_name(&field.code),
                        tr("Нужно число", "a number is required"),
                    ));
                }
            }
            "datetime" => {
                if values.len() != 1 || open311::parse_datetime(&values[0]).is_err() {
                    return Err(Error::invalid(
                        field_name(&field.code),
                        tr(
                            "Нужна дата и время (ГГГГ-ММ-ДДTЧЧ:ММ:СС+03:00)",
                            "a date and time is required (YYYY-MM-DDTHH:MM:SS+03:00)",
                        ),
                    ));
                }
            }
            "singlevaluelist" | "multivaluelist" => {
                if field.datatype == "singlevaluelist" && values.len() > 1 {
                    return Err(Error::invalid(
                        field_name(&field.code),
                        tr("Выберите один вариант", "choose one"),
                    ));
                }
                if let Some(bad) = values
                    .iter()
                    .find(|v| !field.values.iter().any(|c| &c.key == *v))
                {
                    return Err(Error::invalid(
                        field_name(&field.code),
                        format!("{}: {bad}", tr("Нет такого варианта", "no such choice")),
                    ));
                }
            }
            _ => {
                if values.len() != 1 || values[0].chars().count() > 1000 {
                    return Err(Error::invalid(
                        field_name(&field.code),
                        tr(
                            "Одно значение до 1000 знаков",
                            "one value of up to 1000 characters",
                        ),
                    ));
                }
            }
        }
        answers.insert(field.code.clone(), values);
    }
    Ok(answers)
}

/// The attributes as the JSON API gives them: a string, a number or a list of strings.
pub fn attributes_from_json(
    given: &BTreeMap<String, serde_json::Value>,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    for (code, value) in given {
        let values = match value {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Number(n) => vec![n.to_string()],
            serde_json::Value::Bool(b) => vec![b.to_string()],
            serde_json::Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    other => Ok(other.to_string()),
                })
                .collect::<Result<Vec<_>>>()?,
            serde_json::Value::Null => Vec::new(),
            serde_json::Value::Object(_) => {
                return Err(Error::invalid(
                    format!("attributes.{code}"),
                    tr(
                        "Нужна строка, число или список",
                        "a string, a number or a list",
                    ),
                ));
            }
        };
        out.insert(code.clone(), values);
    }
    Ok(out)
}

/// Check where the appeal is.
fn place(input: &NewAppeal) -> Result<(Option<Point>, Option<String>, String)> {
    let point = match (input.lat, input.lon) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
                return Err(invalid(
                    "lat",
                    "Широта — от −90 до 90",
                    "latitude is −90 to 90",
                ));
            }
            if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
                return Err(invalid(
                    "lon",
                    "Долгота — от −180 до 180",
                    "longitude is −180 to 180",
                ));
            }
            Some(Point { lat, lon })
        }
        (None, None) => None,
        (Some(_), None) => {
            return Err(invalid(
                "lon",
                "Укажите и долготу",
                "give the longitude too",
            ));
        }
        (None, Some(_)) => return Err(invalid("lat", "Укажите и широту", "give the latitude too")),
    };
    let address = input
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    if address.as_ref().is_some_and(|a| a.chars().count() > 300) {
        return Err(invalid(
            "address",
            "Адрес до 300 знаков",
            "the address is up to 300 characters",
        ));
    }
    if point.is_none() && address.is_none() {
        return Err(invalid(
            "address",
            "Укажите место: точку на карте или адрес",
            "give the place: a point on the map or an address",
        ));
    }
    let here = ctx::community();
    let community = match input.community.as_deref().map(str::trim) {
        None | Some("") => here,
        Some(id) => {
            if directory::community(id).is_none() {
                return Err(invalid(
                    "community",
                    "Нет такого места здесь",
                    "no such place here",
                ));
            }
            id.to_owned()
        }
    };
    Ok((point, address, community))
}

/// The next appeal number of the jurisdiction. Its counter lives where the plugin is enabled
/// (the town): a call there moves it, never below the newest appeal in its subtree. A call from
/// a place below it (filing from a house's page) may read that counter but not write it, so it
/// keeps its own `counter:{place}` and takes the next number after both and after the newest
/// appeal it can see; the town's next number then follows the house's appeals. (Two sibling
/// places filing between two of the town's own appeals could pick the same number: the second
/// is then refused as a conflict, and nothing is written; see docs/people-control.md.)
fn next_number() -> Result<u64> {
    let here = ctx::community();
    let newest = APPEALS
        .query()
        .with_ancestors()
        .order_by("created", Direction::Desc)
        .limit(20)
        .fetch()?
        .docs
        .iter()
        .map(|d| d.data.number)
        .max()
        .unwrap_or(0);
    let next_of = |doc: &Option<Doc<serde_json::Value>>| {
        doc.as_ref()
            .and_then(|d| d.data.get("next").and_then(|v| v.as_u64()))
            .unwrap_or(1)
    };
    let own = STATE.get("counter")?;
    let (id, community, version, next) = match &own {
        Some(doc) => (
            "counter".to_owned(),
            doc.community.clone(),
            Some(doc.version),
            next_of(&own).max(newest + 1),
        ),
        None => match STATE.get_inherited("counter")? {
            // Below the jurisdiction: its counter is read, this place's own one moves.
            Some(above) => {
                let id = format!("counter:{here}");
                let local = STATE.get(&id)?;
                let next = next_of(&Some(above)).max(next_of(&local)).max(newest + 1);
                (id, here, Some(local.map_or(0, |d| d.version)), next)
            }
            None => ("counter".to_owned(), here, Some(0), newest + 1),
        },
    };
    STATE.put(
        &community,
        &id,
        &serde_json::json!({ "next": next + 1 }),
        version,
    )?;
    Ok(next)
}

/// File an appeal for `author`. Checks everything before writing anything.
pub fn file(
    input: NewAppeal,
    author: Author,
    attributes_field: &dyn Fn(&str) -> String,
) -> Result<Doc<Appeal>> {
    let settings = Settings::load()?;
    let category = category(&input.category)?
        .filter(|c| c.active)
        .ok_or_else(|| {
            invalid(
                "category",
                "Выберите категорию из списка",
                "choose a category from the list",
            )
        })?;
    let description = input.description.trim().to_owned();
    if description.chars().count() < 10 {
        return Err(invalid(
            "description",
            "Опишите, что случилось (хотя бы несколько слов)",
            "describe what happened (a few words at least)",
        ));
    }
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            "description",
            "Описание до 4000 знаков",
            "the description is up to 4000 characters",
        ));
    }
    let (point, address, community) = place(&input)?;
    let given = attributes_from_json(&input.attributes)?;
    let attributes = check_attributes(&category, &given, attributes_field)?;
    if input.photos.len() > MAX_PHOTOS {
        return Err(invalid("photos", "Не больше 5 фото", "at most 5 photos"));
    }
    for photo in &input.photos {
        match dvor_sdk::files::info(photo)? {
            Some(info) if info.content_type.starts_with("image/") => {}
            _ => return Err(invalid("photos", "Фото не найдено", "photo not found")),
        }
    }
    let now = ctx::now();
    let number = next_number()?;
    let author_id = author.id_on(number);
    let organization = route(&category, &community);
    let moderation = if settings.moderation {
        Moderation::Pending
    } else {
        Moderation::Approved
    };
    let forward = match settings.external()? {
        Some(external) if external.categories.contains(&category.code) => {
            if moderation == Moderation::Approved {
                ForwardState::Pending
            } else {
                ForwardState::None
            }
        }
        _ => ForwardState::None,
    };
    let appeal = Appeal {
        number,
        kind: input.kind,
        category: category.code.clone(),
        description,
        point,
        address,
        photos: input.photos,
        media_url: None,
        attributes,
        author: author_id.clone(),
        author_name: author.name.clone(),
        contact: author.contact,
        client: author.client.clone(),
        status: Status::New,
        status_before_question: None,
        moderation,
        organization: organization.clone(),
        public: category.public,
        duplicate_of: None,
        created: now,
        updated: now,
        deadline: now + i64::from(category.deadline_days) * DAY_MS,
        overdue: false,
        escalated: false,
        resolve_ms: None,
        confirmed: false,
        reopened: 0,
        supporters: 0,
        forward,
        external_id: None,
        forward_attempts: 0,
        forward_next: now,
        forward_error: None,
        update_count: 0,
        timeline: vec![Entry {
            at: now,
            by: Some(author_id.clone()),
            by_name: author.name.clone(),
            kind: "status".into(),
            status: Some(Status::New),
            note: match &author.client {
                Some(client) => format!("{} ({client})", tr("Обращение подано", "Appeal filed")),
                None => tr("Обращение подано", "Appeal filed").into(),
            },
            update_id: None,
        }],
    };
    let doc = APPEALS.insert(&community, Some(&number.to_string()), &appeal)?;
    record_update(&doc, Status::New, tr("Обращение подано", "Appeal filed"))?;
    dvor_sdk::events::emit(
        APPEAL_CREATED,
        &community,
        &serde_json::json!({
            "appeal": doc.id, "person_id": author_id, "category": appeal.category,
            "kind": appeal.kind, "organization": organization,
        }),
    )?;
    if moderation == Moderation::Pending {
        notify_moderators(&doc)?;
    } else {
        notify_handlers(&doc, None)?;
    }
    APPEALS.get(&doc.id)?.ok_or_else(not_found)
}

/// An appeal by id, if the caller may see it, with their standing.
pub fn visible(id: &str) -> Result<(Doc<Appeal>, Standing)> {
    let doc = APPEALS.get(id)?.ok_or_else(not_found)?;
    let caller = ctx::caller();
    let standing = standing(caller.as_ref(), &doc.data, &doc.community);
    if access::may_see(standing, &doc.data) {
        Ok((doc, standing))
    } else {
        Err(not_found())
    }
}

fn link(doc: &Doc<Appeal>) -> String {
    format!("appeal/{}", doc.id)
}

fn title_of(doc: &Doc<Appeal>) -> (String, String) {
    (
        format!("Обращение №{}", doc.data.number),
        format!("Appeal No. {}", doc.data.number),
    )
}

fn notify_author(doc: &Doc<Appeal>, ru: String, en: String, urgency: Urgency) -> Result<()> {
    if doc.data.client.is_some() {
        // Filed through an Open311 client: the client hears of it by its webhook.
        return Ok(());
    }
    let (title_ru, title_en) = title_of(doc);
    notifications::notify(
        std::slice::from_ref(&doc.data.author),
        &Message::new(Localized::new(title_ru, title_en), Localized::new(ru, en))
            .link(link(doc))
            .urgency(urgency),
    )
}

/// Notify the people holding one of `roles` in `community` or above it (the moderators of the
/// town see a house's appeals; `notify-community` would reach those below it instead).
pub fn notify_role_over(community: &str, roles: &[&str], message: &Message) -> Result<()> {
    let people: Vec<String> = roles
        .iter()
        .flat_map(|role| directory::people_with_role(community, role))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if people.is_empty() {
        return Ok(());
    }
    notifications::notify(&people, message)
}

fn notify_moderators(doc: &Doc<Appeal>) -> Result<()> {
    let (title_ru, title_en) = title_of(doc);
    let message = Message::new(
        Localized::new(title_ru, title_en),
        Localized::new(
            "Новое обращение ждёт модерации",
            "A new appeal is waiting for moderation",
        ),
    )
    .link(link(doc));
    notify_role_over(&doc.community, &["moderator"], &message)?;
    Ok(())
}

/// Tell the staff who handle an appeal's organization there `ru`/`en` (none: that a new appeal
/// came for their organization, named).
fn notify_handlers(doc: &Doc<Appeal>, what: Option<(String, String)>) -> Result<()> {
    let Some(organization) = &doc.data.organization else {
        return Ok(());
    };
    let staff: Vec<String> = ["operator", "executor", "official"]
        .iter()
        .flat_map(|role| directory::people_with_role(&doc.community, role))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if staff.is_empty() {
        return Ok(());
    }
    let (ru, en) = what.unwrap_or_else(|| {
        let name = organization_name(organization, &doc.community);
        (
            format!("Новое обращение для организации «{name}»"),
            format!("A new appeal for {name}"),
        )
    });
    let (title_ru, title_en) = title_of(doc);
    notifications::notify(
        &staff,
        &Message::new(Localized::new(title_ru, title_en), Localized::new(ru, en)).link(link(doc)),
    )
}

/// Record a status change as an Open311 update and queue the client's webhook.
fn record_update(doc: &Doc<Appeal>, status: Status, note: &str) -> Result<()> {
    let n = doc.data.update_count;
    let update = StatusUpdate {
        appeal: doc.id.clone(),
        at: ctx::now(),
        status,
        note: note.to_owned(),
        public: access::is_public(&doc.data),
        client: doc.data.client.clone(),
    };
    let update_id = format!("{}.{n}", doc.id);
    UPDATES.put(&doc.community, &update_id, &update, Some(0))?;
    let mut appeal = doc.data.clone();
    appeal.update_count = n + 1;
    APPEALS.put(&doc.community, &doc.id, &appeal, Some(doc.version))?;
    if let Some(client) = &doc.data.client {
        let settings = Settings::load()?;
        if settings
            .client_named(client)
            .is_some_and(|c| c.webhook_url.is_some())
        {
            let body = open311::updates(
                &[open311_update(&update_id, &update)],
                open311::Format::Json,
                ctx::utc_offset_minutes()?,
            );
            OUTBOX.insert(
                &doc.community,
                None,
                &Webhook {
                    client: client.clone(),
                    body: String::from_utf8(body).map_err(|e| Error::internal(e.to_string()))?,
                    attempts: 0,
                    next_try: ctx::now(),
                    last_error: None,
                },
            )?;
        }
    }
    Ok(())
}

/// An update as Open311 shows it.
pub fn open311_update(id: &str, update: &StatusUpdate) -> open311::Update {
    open311::Update {
        update_id: id.to_owned(),
        service_request_id: update.appeal.clone(),
        status: if update.status.is_closed() {
            open311::Status::Closed
        } else {
            open311::Status::Open
        },
        updated_datetime: update.at,
        description: Some(if update.note.is_empty() {
            update.status.label().to_owned()
        } else {
            format!("{}: {}", update.status.label(), update.note)
        }),
        media_url: None,
    }
}

/// Write the changed appeal, then record the status change (if any), emit its events and
/// notify the author.
pub fn save_change(
    doc: &Doc<Appeal>,
    appeal: Appeal,
    status_changed: Option<(Status, String)>,
) -> Result<Doc<Appeal>> {
    let saved = APPEALS.put(&doc.community, &doc.id, &appeal, Some(doc.version))?;
    let Some((status, note)) = status_changed else {
        return Ok(saved);
    };
    record_update(&saved, status, &note)?;
    let payload = serde_json::json!({
        "appeal": saved.id, "person_id": saved.data.author, "status": status.as_str(),
        "category": saved.data.category, "organization": saved.data.organization,
    });
    dvor_sdk::events::emit(APPEAL_STATUS_CHANGED, &saved.community, &payload)?;
    if status == Status::Resolved {
        dvor_sdk::events::emit(APPEAL_RESOLVED, &saved.community, &payload)?;
    }
    let urgency = if status == Status::NeedsInfo {
        Urgency::High
    } else {
        Urgency::Normal
    };
    notify_author(
        &saved,
        format!(
            "Статус: {}{}",
            status_ru(status),
            if note.is_empty() {
                String::new()
            } else {
                format!(" — {note}")
            }
        ),
        format!(
            "Status: {}{}",
            status_en(status),
            if note.is_empty() {
                String::new()
            } else {
                format!(" — {note}")
            }
        ),
        urgency,
    )?;
    APPEALS.get(&saved.id)?.ok_or_else(not_found)
}

fn status_ru(status: Status) -> &'static str {
    match status {
        Status::New => "новое",
        Status::Accepted => "в работе",
        Status::NeedsInfo => "нужны уточнения",
        Status::Resolved => "решено",
        Status::Explained => "дано разъяснение",
        Status::Rejected => "мотивированный отказ",
        Status::Duplicate => "дубликат",
    }
}

fn status_en(status: Status) -> &'static str {
    match status {
        Status::New => "new",
        Status::Accepted => "in progress",
        Status::NeedsInfo => "details needed",
        Status::Resolved => "resolved",
        Status::Explained => "explained",
        Status::Rejected => "refused",
        Status::Duplicate => "duplicate",
    }
}

fn entry(caller: &ctx::Caller, kind: &str, status: Option<Status>, note: &str) -> Entry {
    Entry {
        at: ctx::now(),
        by: Some(caller.person_id.clone()),
        by_name: caller.display_name.clone(),
        kind: kind.into(),
        status,
        note: note.to_owned(),
        update_id: None,
    }
}

/// A moderator's decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Moderate {
    /// `approve`, `reject` or `duplicate`.
    pub decision: String,
    /// The reason (required to reject).
    #[serde(default)]
    pub reason: String,
    /// The fixed wording.
    #[serde(default)]
    pub description: Option<String>,
    /// Another category (re-route).
    #[serde(default)]
    pub category: Option<String>,
    /// Another organization (re-route).
    #[serde(default)]
    pub organization: Option<String>,
    /// The appeal this one duplicates.
    #[serde(default)]
    pub duplicate_of: Option<u64>,
}

/// Moderate an appeal: approve (optionally fixing the wording or the routing), reject with a
/// reason, or close as a duplicate. A moderator may also re-route an approved appeal.
pub fn moderate(id: &str, input: Moderate) -> Result<Doc<Appeal>> {
    let caller = ctx::require_caller()?;
    let (doc, standing) = visible(id)?;
    if !standing.moderator {
        return Err(Error::forbidden(tr(
            "Это делают модераторы",
            "only moderators do this",
        )));
    }
    let mut appeal = doc.data.clone();
    let now = ctx::now();
    if let Some(text) = input.description.as_deref().map(str::trim) {
        if text.chars().count() < 10 || text.chars().count() > MAX_DESCRIPTION {
            return Err(invalid(
                "description",
                "Описание от 10 до 4000 знаков",
                "the description is 10 to 4000 characters",
            ));
        }
        if text != appeal.description {
            appeal.timeline.push(entry(
                &caller,
                "edit",
                None,
                tr(
                    "Модератор уточнил формулировку",
                    "The moderator fixed the wording",
                ),
            ));
            appeal.description = text.to_owned();
        }
    }
    if let Some(code) = input.category.as_deref() {
        let category = category(code)?
            .ok_or_else(|| invalid("category", "Нет такой категории", "no such category"))?;
        if category.code != appeal.category {
            appeal.category = category.code.clone();
            appeal.public = category.public;
            appeal.deadline = appeal.created + i64::from(category.deadline_days) * DAY_MS;
            appeal.organization = route(&category, &doc.community);
        }
    }
    if let Some(organization) = input.organization.as_deref().map(str::trim) {
        if organization.is_empty() {
            return Err(invalid(
                "organization",
                "Укажите организацию",
                "name the organization",
            ));
        }
        if !directory::organizations(&doc.community, None)
            .iter()
            .any(|o| o.id == organization)
        {
            return Err(invalid(
                "organization",
                "Выберите организацию из списка: эта здесь не работает",
                "choose an organization from the list: this one does not serve here",
            ));
        }
        appeal.organization = Some(organization.to_owned());
    }
    if appeal.organization != doc.data.organization || appeal.category != doc.data.category {
        appeal.timeline.push(entry(
            &caller,
            "route",
            None,
            &format!(
                "{}: {} → {}",
                tr("Направлено", "Routed"),
                category(&appeal.category)?
                    .map_or_else(|| appeal.category.clone(), |c| c.name().to_owned()),
                appeal
                    .organization
                    .as_deref()
                    .map_or_else(|| "—".to_owned(), |o| organization_name(o, &doc.community))
            ),
        ));
    }
    let mut status_changed = None;
    match input.decision.as_str() {
        "approve" => {
            if appeal.moderation == Moderation::Pending {
                appeal.moderation = Moderation::Approved;
                appeal.timeline.push(entry(
                    &caller,
                    "moderation",
                    None,
                    tr(
                        "Опубликовано и направлено исполнителю",
                        "Published and routed",
                    ),
                ));
                let settings = Settings::load()?;
                if let Some(external) = settings.external()?
                    && external.categories.contains(&appeal.category)
                    && appeal.forward == ForwardState::None
                {
                    appeal.forward = ForwardState::Pending;
                    appeal.forward_next = now;
                }
            }
        }
        "reject" | "duplicate" => {
            if appeal.status.is_closed() {
                return Err(Error::conflict(tr(
                    "Обращение уже закрыто",
                    "the appeal is closed already",
                )));
            }
            let (status, note) = if input.decision == "reject" {
                let reason = input.reason.trim();
                if reason.chars().count() < 5 {
                    return Err(invalid(
                        "reason",
                        "Объясните автору причину отказа",
                        "explain the reason to the author",
                    ));
                }
                (Status::Rejected, reason.to_owned())
            } else {
                let other = input.duplicate_of.ok_or_else(|| {
                    invalid(
                        "duplicate_of",
                        "Укажите номер обращения",
                        "give the appeal's number",
                    )
                })?;
                if other == appeal.number || APPEALS.get(&other.to_string())?.is_none() {
                    return Err(invalid(
                        "duplicate_of",
                        "Нет такого другого обращения",
                        "no such other appeal",
                    ));
                }
                appeal.duplicate_of = Some(other);
                (
                    Status::Duplicate,
                    format!("{} №{other}", tr("Повторяет обращение", "Repeats appeal")),
                )
            };
            if appeal.moderation == Moderation::Pending {
                appeal.moderation = Moderation::Rejected;
            }
            appeal.status = status;
            appeal
                .timeline
                .push(entry(&caller, "status", Some(status), &note));
            status_changed = Some((status, note));
        }
        _ => {
            return Err(invalid(
                "decision",
                "Решение: approve, reject или duplicate",
                "the decision is approve, reject or duplicate",
            ));
        }
    }
    appeal.updated = now;
    let approved_now =
        doc.data.moderation == Moderation::Pending && appeal.moderation == Moderation::Approved;
    let rerouted = appeal.organization != doc.data.organization;
    let saved = save_change(&doc, appeal, status_changed)?;
    if approved_now || (rerouted && saved.data.moderation == Moderation::Approved) {
        notify_handlers(&saved, None)?;
    }
    Ok(saved)
}

/// A status change by those handling the appeal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeStatus {
    /// The new status.
    pub status: String,
    /// The note (required for every status but `accepted`).
    #[serde(default)]
    pub note: String,
}

/// Move an appeal on: the organization it is routed to (or a moderator) takes it, asks the
/// author for details, resolves, explains or refuses with a reason.
pub fn change_status(id: &str, input: ChangeStatus) -> Result<Doc<Appeal>> {
    let caller = ctx::require_caller()?;
    let (doc, standing) = visible(id)?;
    if !standing.handles() {
        return Err(Error::forbidden(tr(
            "Статус меняют исполнитель и модераторы",
            "only the responsible organization and moderators change the status",
        )));
    }
    if doc.data.moderation != Moderation::Approved {
        return Err(Error::conflict(tr(
            "Сначала обращение должен одобрить модератор",
            "a moderator must approve the appeal first",
        )));
    }
    let status = Status::parse_field("status", input.status.trim())?;
    let note = input.note.trim().to_owned();
    let from = doc.data.status;
    let allowed = match status {
        Status::Accepted => matches!(from, Status::New | Status::NeedsInfo),
        Status::NeedsInfo => matches!(from, Status::New | Status::Accepted),
        Status::Resolved | Status::Explained | Status::Rejected => {
            matches!(from, Status::New | Status::Accepted | Status::NeedsInfo)
        }
        Status::New | Status::Duplicate => false,
    };
    if !allowed {
        return Err(Error::invalid(
            "status",
            format!(
                "{} «{}» → «{}»",
                tr("Нельзя перейти", "cannot move"),
                from.label(),
                status.label()
            ),
        ));
    }
    if status != Status::Accepted && note.chars().count() < 5 {
        return Err(invalid(
            "note",
            "Напишите автору пояснение",
            "write the author a note",
        ));
    }
    if note.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            "note",
            "Не больше 4000 знаков",
            "at most 4000 characters",
        ));
    }
    let mut appeal = doc.data.clone();
    let now = ctx::now();
    if status == Status::NeedsInfo {
        appeal.status_before_question = Some(from);
    }
    if status == Status::Resolved {
        appeal.resolve_ms = Some(now - appeal.created);
    }
    if status.is_closed() {
        appeal.overdue = false;
    }
    appeal.status = status;
    appeal.updated = now;
    appeal
        .timeline
        .push(entry(&caller, "status", Some(status), &note));
    save_change(&doc, appeal, Some((status, note)))
}

/// The author's answer to a resolution.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// `confirm` or `reopen`.
    pub decision: String,
    /// Why it is not fixed (required to reopen).
    #[serde(default)]
    pub note: String,
}

/// The author confirms the fix, or reopens the appeal (it goes back into work with a new
/// deadline).
pub fn verdict(id: &str, input: Verdict) -> Result<Doc<Appeal>> {
    let caller = ctx::require_caller()?;
    let (doc, standing) = visible(id)?;
    if !standing.author {
        return Err(Error::forbidden(tr(
            "Это решает автор обращения",
            "only the author decides this",
        )));
    }
    if !matches!(doc.data.status, Status::Resolved | Status::Explained) {
        return Err(Error::conflict(tr(
            "Обращение ещё не решено",
            "the appeal is not resolved yet",
        )));
    }
    let mut appeal = doc.data.clone();
    let now = ctx::now();
    appeal.updated = now;
    match input.decision.as_str() {
        "confirm" => {
            appeal.confirmed = true;
            appeal.timeline.push(entry(
                &caller,
                "confirm",
                None,
                tr(
                    "Автор подтвердил решение",
                    "The author confirmed the resolution",
                ),
            ));
            save_change(&doc, appeal, None)
        }
        "reopen" => {
            let note = input.note.trim();
            if note.chars().count() < 5 {
                return Err(invalid(
                    "note",
                    "Напишите, что не так",
                    "say what is still wrong",
                ));
            }
            let days = category(&appeal.category)?.map_or(10, |c| c.deadline_days);
            appeal.status = Status::Accepted;
            appeal.confirmed = false;
            appeal.resolve_ms = None;
            appeal.reopened += 1;
            appeal.deadline = now + i64::from(days) * DAY_MS;
            appeal.overdue = false;
            appeal.escalated = false;
            let note = format!(
                "{}: {note}",
                tr("Автор вернул обращение", "Reopened by the author")
            );
            appeal
                .timeline
                .push(entry(&caller, "status", Some(Status::Accepted), &note));
            let saved = save_change(&doc, appeal, Some((Status::Accepted, note.clone())))?;
            notify_handlers(
                &saved,
                Some((
                    format!("Автор вернул обращение в работу: {}", input.note.trim()),
                    format!("The author reopened the appeal: {}", input.note.trim()),
                )),
            )?;
            Ok(saved)
        }
        _ => Err(invalid(
            "decision",
            "Решение: confirm или reopen",
            "the decision is confirm or reopen",
        )),
    }
}

/// A comment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewComment {
    /// The text.
    pub text: String,
}

/// Comment on an appeal: its author, those handling it, and moderators talk here. An answer of
/// the author to a question puts the appeal back where it was.
pub fn comment(id: &str, input: NewComment) -> Result<Doc<Appeal>> {
    let caller = ctx::require_caller()?;
    let (doc, standing) = visible(id)?;
    if !(standing.author || standing.handles()) {
        return Err(Error::forbidden(tr(
            "Переписка — между автором, исполнителем и модератором",
            "only the author, the responsible organization and moderators talk here",
        )));
    }
    let text = input.text.trim();
    if text.is_empty() || text.chars().count() > MAX_DESCRIPTION {
        return Err(invalid(
            "text",
            "Комментарий от 1 до 4000 знаков",
            "a comment is 1 to 4000 characters",
        ));
    }
    let mut appeal = doc.data.clone();
    appeal.updated = ctx::now();
    appeal.timeline.push(entry(&caller, "comment", None, text));
    let mut status_changed = None;
    if standing.author && appeal.status == Status::NeedsInfo {
        let back = appeal.status_before_question.take().unwrap_or(Status::New);
        appeal.status = back;
        let note = tr("Автор ответил на вопрос", "The author answered").to_owned();
        appeal.timeline.push(Entry {
            by: None,
            by_name: String::new(),
            ..entry(&caller, "status", Some(back), &note)
        });
        status_changed = Some((back, note));
    }
    let saved = save_change(&doc, appeal, status_changed.clone())?;
    if standing.author {
        notify_handlers(
            &saved,
            Some((
                format!("Автор обращения написал: {text}"),
                format!("The author of the appeal wrote: {text}"),
            )),
        )?;
    } else if status_changed.is_none() {
        notify_author(
            &saved,
            format!("Ответ по вашему обращению: {text}"),
            format!("A reply on your appeal: {text}"),
            Urgency::Normal,
        )?;
    }
    Ok(saved)
}

/// Support an appeal (once per person; not one's own).
pub fn support(id: &str) -> Result<(Doc<Appeal>, bool)> {
    let caller = ctx::require_caller()?;
    let (doc, _) = visible(id)?;
    if !access::is_public(&doc.data) {
        return Err(Error::conflict(tr(
            "Поддержать можно только опубликованное обращение",
            "only a published appeal can be supported",
        )));
    }
    if doc.data.author == caller.person_id {
        return Err(Error::conflict(tr(
            "Своё обращение поддерживать не нужно",
            "you need not support your own appeal",
        )));
    }
    let support_id = format!("{}:{}", doc.id, caller.person_id);
    if SUPPORTS.get(&support_id)?.is_some() {
        return Ok((doc, false));
    }
    SUPPORTS.put(
        &doc.community,
        &support_id,
        &Support {
            appeal: doc.id.clone(),
            person: caller.person_id.clone(),
            at: ctx::now(),
        },
        Some(0),
    )?;
    let mut appeal = doc.data.clone();
    appeal.supporters += 1;
    let saved = APPEALS.put(&doc.community, &doc.id, &appeal, Some(doc.version))?;
    dvor_sdk::events::emit(
        APPEAL_SUPPORTED,
        &doc.community,
        &serde_json::json!({
            "appeal": doc.id, "person_id": caller.person_id, "author": doc.data.author,
            "supporters": appeal.supporters,
        }),
    )?;
    Ok((saved, true))
}

/// A near duplicate: an open appeal of the same category, filed recently, close by (or at the
/// same address).
#[derive(Debug, Serialize)]
pub struct Similar {
    /// Its id.
    pub id: String,
    /// Its number.
    pub number: u64,
    /// Its description.
    pub description: String,
    /// Its status.
    pub status: Status,
    /// Metres away, when both have points.
    pub distance_m: Option<u32>,
}

/// Appeals like the one described, that the caller may see; `except` leaves one out.
pub fn similar(
    category: &str,
    point: Option<Point>,
    address: Option<&str>,
    text: Option<&str>,
    except: Option<&str>,
) -> Result<Vec<Similar>> {
    let words = text.map(stems).unwrap_or_default();
    let settings = Settings::load()?;
    let normalized = |a: &str| {
        a.to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let address = address.map(normalized);
    let mut found = Vec::new();
    for doc in open_in_category(category, &settings)? {
        if Some(doc.id.as_str()) == except {
            continue;
        }
        let distance = match (point, doc.data.point) {
            (Some(a), Some(b)) => Some(a.distance_m(b)),
            _ => None,
        };
        let near = distance.is_some_and(|d| d <= f64::from(settings.duplicates.radius_m));
        let same_address =
            matches!((&address, &doc.data.address), (Some(a), Some(b)) if *a == normalized(b));
        let same_words = !words.is_empty() && alike(&words, &stems(&doc.data.description));
        if near || same_address || same_words {
            found.push(Similar {
                id: doc.id.clone(),
                number: doc.data.number,
                description: doc.data.description.clone(),
                status: doc.data.status,
                distance_m: distance.map(|d| d.round() as u32),
            });
        }
    }
    Ok(found)
}

/// The open appeals of a category, here and at the places above (a house's resident sees the
/// town's), filed within the duplicates window, that the caller may see, newest first.
pub fn open_in_category(category: &str, settings: &Settings) -> Result<Vec<Doc<Appeal>>> {
    let since = ctx::now() - i64::from(settings.duplicates.days) * DAY_MS;
    let candidates = APPEALS
        .query()
        .with_ancestors()
        .filter("category", Compare::Eq, category)
        .filter("created", Compare::Ge, since)
        .order_by("created", Direction::Desc)
        .limit(500)
        .fetch()?;
    let caller = ctx::caller();
    Ok(candidates
        .docs
        .into_iter()
        .filter(|doc| {
            !doc.data.status.is_closed()
                && access::may_see(
                    standing(caller.as_ref(), &doc.data, &doc.community),
                    &doc.data,
                )
        })
        .collect())
}

/// The words of a description that say what it is about: lower-case, at least three letters,
/// cut to their first five (so «яму» and «яма», «глубокая» and «глубокую» meet), without the
/// commonest little words.
fn stems(text: &str) -> std::collections::BTreeSet<String> {
    const COMMON: [&str; 16] = [
        "что", "это", "как", "для", "при", "нет", "уже", "все", "всё", "или", "так", "там", "где",
        "его", "они", "the",
    ];
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !COMMON.contains(w))
        .map(|w| w.chars().take(5).collect())
        .collect()
}

/// Whether two descriptions are about the same thing: at least two words in common, and they
/// are at least a third of the shorter one's.
fn alike(a: &std::collections::BTreeSet<String>, b: &std::collections::BTreeSet<String>) -> bool {
    let common = a.intersection(b).count();
    common >= 2 && common * 3 >= a.len().min(b.len())
}

/// The name of organization `id` as people see it (its id if the directory has none), looked
/// up among those serving `community`.
pub fn organization_name(id: &str, community: &str) -> String {
    // The place's own, then those of the places above, then below (a town's statistics name
    // the management company of one of its houses).
    let places = directory::ancestry(community).into_iter().chain(
        directory::descendants(community, None)
            .into_iter()
            .map(|c| c.id),
    );
    for place in places {
        if let Some(found) = directory::organizations(&place, None)
            .into_iter()
            .find(|o| o.id == id)
        {
            return found.name;
        }
    }
    id.to_owned()
}

/// Filters of the appeals list.
#[derive(Debug, Default)]
pub struct Filter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this category.
    pub category: Option<String>,
    /// Only those routed to this organization.
    pub organization: Option<String>,
    /// Only the caller's own.
    pub mine: bool,
    /// Only those waiting for moderation (moderators).
    pub moderation_queue: bool,
    /// Only overdue ones.
    pub overdue: bool,
    /// Only those in this community's subtree.
    pub community: Option<String>,
    /// Only those filed in `[from, to)` (milliseconds since the epoch).
    pub created: Option<(i64, i64)>,
}

/// The appeals the caller may see, newest first, a page at a time.
pub fn list(filter: &Filter, cursor: Option<&str>, limit: u32) -> Result<PageOf<Appeal>> {
    let caller = ctx::caller();
    let mut query = APPEALS.query().order_by("created", Direction::Desc);
    if let Some(status) = filter.status {
        query = query.filter("status", Compare::Eq, status.as_str());
    }
    if let Some(category) = &filter.category {
        query = query.filter("category", Compare::Eq, category.as_str());
    }
    if let Some(organization) = &filter.organization {
        query = query.filter("organization", Compare::Eq, organization.as_str());
    }
    if filter.overdue {
        query = query.filter("overdue", Compare::Eq, true);
    }
    if let Some(community) = &filter.community {
        query = query.in_community(community);
    }
    if let Some((from, to)) = filter.created {
        query = query
            .filter("created", Compare::Ge, from)
            .filter("created", Compare::Lt, to);
    }
    if filter.mine {
        let caller = caller.as_ref().ok_or_else(|| {
            Error::unauthenticated(tr(
                "Войдите, чтобы увидеть свои обращения",
                "sign in to see your appeals",
            ))
        })?;
        query = query.filter("author", Compare::Eq, caller.person_id.as_str());
    } else if filter.moderation_queue {
        query = query.filter("moderation", Compare::Eq, "pending");
    } else if caller.is_none() {
        query =
            query
                .filter("public", Compare::Eq, true)
                .filter("moderation", Compare::Eq, "approved");
    }
    // Those the caller may not see are left out of the page; a page may come back shorter.
    let page = query.limit(limit.clamp(1, 200)).cursor(cursor).fetch()?;
    let docs = page
        .docs
        .into_iter()
        .filter(|doc| {
            let standing = standing(caller.as_ref(), &doc.data, &doc.community);
            access::may_see(standing, &doc.data) && (!filter.moderation_queue || standing.moderator)
        })
        .collect();
    Ok(PageOf {
        docs,
        next_cursor: page.next_cursor,
    })
}

/// Flag appeals past their deadline and escalate those overdue too long: the moderators and
/// officials of their community are notified once. Returns how many changed.
pub fn flag_overdue(limit: u32) -> Result<u32> {
    let settings = Settings::load()?;
    let now = ctx::now();
    let due = APPEALS
        .query()
        .filter("deadline", Compare::Lt, now)
        .filter("overdue", Compare::Eq, false)
        .limit(limit)
        .fetch()?;
    let mut changed = 0;
    for doc in due.docs {
        if doc.data.status.is_closed() || doc.data.moderation == Moderation::Rejected {
            continue;
        }
        let mut appeal = doc.data.clone();
        appeal.overdue = true;
        appeal.timeline.push(Entry {
            at: now,
            by: None,
            by_name: String::new(),
            kind: "overdue".into(),
            status: None,
            note: tr("Срок ответа истёк", "The deadline has passed").into(),
            update_id: None,
        });
        APPEALS.put(&doc.community, &doc.id, &appeal, Some(doc.version))?;
        changed += 1;
    }
    let escalate_before = now - i64::from(settings.escalate_after_days) * DAY_MS;
    let late = APPEALS
        .query()
        .filter("overdue", Compare::Eq, true)
        .filter("deadline", Compare::Lt, escalate_before)
        .limit(limit)
        .fetch()?;
    for doc in late.docs {
        if doc.data.escalated || doc.data.status.is_closed() {
            continue;
        }
        let mut appeal = doc.data.clone();
        appeal.escalated = true;
        appeal.timeline.push(Entry {
            at: now,
            by: None,
            by_name: String::new(),
            kind: "escalation".into(),
            status: None,
            note: tr(
                "Просрочено: передано модераторам и должностным лицам",
                "Overdue: escalated to the moderators and officials",
            )
            .into(),
            update_id: None,
        });
        let saved = APPEALS.put(&doc.community, &doc.id, &appeal, Some(doc.version))?;
        let (title_ru, title_en) = title_of(&saved);
        let message = Message::new(
            Localized::new(title_ru, title_en),
            Localized::new(
                format!(
                    "Просрочено обращение, направленное в {}",
                    saved.data.organization.as_deref().unwrap_or("—")
                ),
                format!(
                    "An appeal routed to {} is overdue",
                    saved.data.organization.as_deref().unwrap_or("—")
                ),
            ),
        )
        .link(link(&saved))
        .urgency(Urgency::High);
        notify_role_over(&saved.community, &["moderator", "official"], &message)?;
        changed += 1;
    }
    Ok(changed)
}

/// The appeal as the API shows it to someone of `standing`: contact details only to those
/// handling it. An Open311 author's id is the appeal's own (appeals filed before ids stopped
/// carrying the contact are shown the same way).
pub fn json(doc: &Doc<Appeal>, standing: Standing) -> serde_json::Value {
    let mut appeal = serde_json::to_value(&doc.data).unwrap_or_default();
    if let Some(client) = &doc.data.client {
        let stored = &doc.data.author;
        let opaque = serde_json::Value::from(open311_author(client, doc.data.number));
        appeal["author"] = opaque.clone();
        if let Some(entries) = appeal["timeline"].as_array_mut() {
            for entry in entries {
                if entry["by"].as_str() == Some(stored) {
                    entry["by"] = opaque.clone();
                }
            }
        }
    }
    if let Some(map) = appeal.as_object_mut() {
        if !standing.handles() {
            map.remove("contact");
            map.remove("forward_error");
        }
        map.insert("id".into(), doc.id.clone().into());
        map.insert("community".into(), doc.community.clone().into());
        map.insert(
            "open311_status".into(),
            if doc.data.status.is_closed() {
                "closed"
            } else {
                "open"
            }
            .into(),
        );
        map.insert(
            "you".into(),
            serde_json::json!({
                "author": standing.author, "handler": standing.handler,
                "moderator": standing.moderator,
            }),
        );
    }
    appeal
}

/// Those handling appeals in the call: the organizations whose staff the caller is.
pub fn my_organizations() -> Vec<String> {
    ctx::caller().map(|c| staff_of(&c)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An appeal filed through Open311 before ids stopped carrying the contact.
    fn legacy_open311_appeal() -> Doc<Appeal> {
        let data: Appeal = serde_json::from_value(serde_json::json!({
            "number": 41, "kind": "problem", "category": "roads",
            "description": "Яма на дороге", "point": null, "address": "Садовая, 1",
            "photos": [], "attributes": {}, "author": "open311:city-app:+79001234567",
            "author_name": "Ольга Иванова", "contact": "+79001234567", "client": "city-app",
            "status": "new", "moderation": "approved", "public": true, "created": 0,
            "updated": 0, "deadline": 0, "forward": "none",
            "timeline": [{ "at": 0, "by": "open311:city-app:+79001234567",
                           "by_name": "Ольга Иванова", "kind": "status", "status": "new" }]
        }))
        .unwrap();
        Doc {
            id: "41".into(),
            community: "town".into(),
            version: 1,
            created: 0,
            updated: 0,
            data,
        }
    }

    #[test]
    fn two_descriptions_of_one_pothole_are_alike_and_a_lamp_is_not() {
        let filed =
            stems("Глубокая яма на выезде со двора на Садовую, машины объезжают по тротуару.");
        let again = stems("Глубокая яма у второго подъезда, машины объезжают по газону");
        let lamp = stems("Третий вечер не горят фонари вдоль аллеи у школы");
        assert!(alike(&filed, &again));
        assert!(!alike(&filed, &lamp));
    }

    #[test]
    fn an_open311_authors_id_carries_no_contact_even_on_old_appeals() {
        let doc = legacy_open311_appeal();
        let reader = Standing {
            author: false,
            handler: false,
            moderator: false,
        };
        let shown = json(&doc, reader);
        assert_eq!(shown["author"], "open311:city-app:41");
        assert_eq!(shown["timeline"][0]["by"], "open311:city-app:41");
        assert!(!shown.to_string().contains("1234567"), "{shown}");
        let handler = Standing {
            handler: true,
            ..reader
        };
        let handled = json(&doc, handler);
        assert_eq!(
            handled["contact"], "+79001234567",
            "those handling it see the contact"
        );
        assert_eq!(handled["author"], "open311:city-app:41");
    }
}
