//! Service requests (заявки): residents file them with a category, description and photo and
//! follow them; operators assign executors with deadlines per category; executors work them;
//! the author comments and rates. Registered → sent for execution → in progress → done, or
//! rejected with a reason.

use std::collections::BTreeMap;

use dvor_sdk::directory;
use dvor_sdk::notifications::{self, Localized, Message, Urgency};
use dvor_sdk::prelude::*;
use serde::{Deserialize, Serialize};

use crate::access::{is_operator, is_staff, may_file_requests, require_operator};
use crate::model::{
    COUNTERS, Counter, REQUESTS, RequestEntry, RequestStatus, ServiceRequest, Settings,
};

/// The event a new request emits.
pub const REQUEST_CREATED: &str = "request.created";
/// The event a request done emits.
pub const REQUEST_DONE: &str = "request.done";
const HOUR_MS: i64 = 3_600_000;

/// A new request as the resident sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// The category code.
    pub category: String,
    /// What is wrong.
    pub description: String,
    /// A photo's file id.
    #[serde(default)]
    pub photo: Option<String>,
    /// The flat or place.
    #[serde(default)]
    pub place: Option<String>,
}

/// File a request in the call's community.
pub fn create(input: NewRequest) -> Result<Doc<ServiceRequest>> {
    let caller = ctx::require_caller()?;
    if !may_file_requests(&caller) {
        return Err(Error::forbidden(tr(
            "Заявки в этот дом подают его жители и собственники, а также управляющая организация",
            "service requests to this house come from its residents and owners, and its management company",
        )));
    }
    let settings = Settings::load()?;
    if settings.category(&input.category).is_none() {
        return Err(Error::invalid(
            "category",
            tr(
                "Выберите категорию из списка",
                "choose a category from the list",
            ),
        ));
    }
    let description = input.description.trim();
    if description.chars().count() < 5 {
        return Err(Error::invalid(
            "description",
            tr(
                "Опишите, что случилось (хотя бы несколько слов)",
                "describe what happened (a few words at least)",
            ),
        ));
    }
    if description.chars().count() > 4000 {
        return Err(Error::invalid(
            "description",
            tr("Не длиннее 4000 знаков", "at most 4000 characters"),
        ));
    }
    let photo = input.photo.filter(|p| !p.trim().is_empty());
    if let Some(id) = &photo {
        let info = dvor_sdk::files::info(id)?.ok_or_else(|| {
            Error::invalid("photo", tr("Фото не найдено", "the photo was not found"))
        })?;
        if !info.content_type.starts_with("image/") {
            return Err(Error::invalid(
                "photo",
                tr("Это не фотография", "this is not a photo"),
            ));
        }
    }
    let now = ctx::now();
    let community = ctx::community();
    let request = ServiceRequest {
        number: next_number(&format!("requests:{community}"))?,
        category: input.category,
        description: description.to_owned(),
        photo,
        place: input
            .place
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty()),
        author: caller.person_id.clone(),
        author_name: caller.display_name.clone(),
        status: RequestStatus::Registered,
        executor: None,
        executor_name: None,
        deadline: None,
        created: now,
        sent_at: None,
        closed_at: None,
        history: vec![RequestEntry {
            at: now,
            by: caller.display_name,
            status: Some(RequestStatus::Registered),
            text: None,
        }],
        rating: None,
    };
    let doc = REQUESTS.insert(&community, None, &request)?;
    events::emit(
        REQUEST_CREATED,
        &community,
        &serde_json::json!({ "request": doc.id, "category": doc.data.category, "author": doc.data.author }),
    )?;
    let operators = directory::people_with_role(&community, "operator");
    if !operators.is_empty() {
        notifications::notify(
            &operators,
            &Message::new(
                Localized::new(
                    format!("Новая заявка № {}", doc.data.number),
                    format!("New service request No. {}", doc.data.number),
                ),
                Localized::new(request_summary(&doc.data), request_summary(&doc.data)),
            )
            .link(format!("/c/{community}/p/housing/request/{}", doc.id)),
        )?;
    }
    Ok(doc)
}

/// The next number of counter `key` (1 for the first): one document per counter, written on
/// the condition that no other call took a number meanwhile.
pub fn next_number(key: &str) -> Result<u64> {
    let existing = COUNTERS.get(key)?;
    let counter = Counter {
        value: existing.as_ref().map_or(0, |d| d.data.value) + 1,
    };
    COUNTERS.put(
        &ctx::community(),
        key,
        &counter,
        Some(existing.map_or(0, |d| d.version)),
    )?;
    Ok(counter.value)
}

/// «Заявка № 17» / «Request No. 17» (a request made before numbers has none).
pub fn title(request: &ServiceRequest) -> String {
    if request.number == 0 {
        tr("Заявка", "Request").to_owned()
    } else {
        format!("{} {}", tr("Заявка №", "Request No."), request.number)
    }
}

fn request_summary(request: &ServiceRequest) -> String {
    let mut text: String = request.description.chars().take(120).collect();
    if let Some(place) = &request.place {
        text = format!("{place}: {text}");
    }
    text
}

/// The request `id`, if the caller may see it: its author and the staff.
pub fn visible(id: &str) -> Result<Doc<ServiceRequest>> {
    let caller = ctx::require_caller()?;
    let doc = REQUESTS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой заявки", "no such request")))?;
    if doc.data.author == caller.person_id || is_staff() {
        Ok(doc)
    } else {
        Err(Error::forbidden(tr(
            "Это чужая заявка",
            "this request is someone else's",
        )))
    }
}

/// A page of requests: the staff's queue (optionally by status), or the caller's own.
pub fn list(status: Option<&str>, cursor: Option<&str>) -> Result<PageOf<ServiceRequest>> {
    let caller = ctx::require_caller()?;
    let mut query = REQUESTS.query().in_community(&ctx::community());
    if !is_staff() {
        query = query.filter("author", Compare::Eq, caller.person_id.as_str());
    } else if ctx::has_role("executor") && !is_operator() {
        query = query.filter("executor", Compare::Eq, caller.person_id.as_str());
    }
    if let Some(status) = status.filter(|s| !s.is_empty()) {
        query = query.filter("status", Compare::Eq, status);
    }
    query
        .order_by("created", Direction::Desc)
        .limit(50)
        .cursor(cursor)
        .fetch()
}

/// Whether an open request is past its deadline at `now`.
pub fn is_overdue(request: &ServiceRequest, now: i64) -> bool {
    !request.status.is_closed() && request.deadline.is_some_and(|d| d < now)
}

fn save(doc: &Doc<ServiceRequest>, request: &ServiceRequest) -> Result<Doc<ServiceRequest>> {
    REQUESTS.put(&doc.community, &doc.id, request, Some(doc.version))
}

/// Tell the author what changed: the new status, or a comment by the staff.
fn tell_author(
    doc: &Doc<ServiceRequest>,
    request: &ServiceRequest,
    comment: Option<&str>,
) -> Result<()> {
    let status_ru = match request.status {
        RequestStatus::Registered => "зарегистрирована",
        RequestStatus::Sent => "передана исполнителю",
        RequestStatus::InProgress => "в работе",
        RequestStatus::Done => "выполнена — оцените, пожалуйста",
        RequestStatus::Rejected => "отклонена",
    };
    let status_en = match request.status {
        RequestStatus::Registered => "registered",
        RequestStatus::Sent => "sent for execution",
        RequestStatus::InProgress => "in progress",
        RequestStatus::Done => "done — please rate it",
        RequestStatus::Rejected => "rejected",
    };
    let number = |ru: bool| match (request.number, ru) {
        (0, _) => String::new(),
        (n, true) => format!(" № {n}"),
        (n, false) => format!(" No. {n}"),
    };
    let (title, body) = match comment {
        Some(text) => (
            Localized::new(
                format!("Новый комментарий к заявке{}", number(true)),
                format!("A new comment on service request{}", number(false)),
            ),
            Localized::new(
                text.chars().take(200).collect::<String>(),
                text.chars().take(200).collect::<String>(),
            ),
        ),
        None => (
            Localized::new(
                format!("Заявка{} {status_ru}", number(true)),
                format!("Service request{} {status_en}", number(false)),
            ),
            Localized::new(request_summary(request), request_summary(request)),
        ),
    };
    notifications::notify(
        std::slice::from_ref(&request.author),
        &Message::new(title, body)
            .link(format!("/c/{}/p/housing/request/{}", doc.community, doc.id))
            .urgency(Urgency::Normal),
    )
}

/// The operator sends a request to an executor, with a deadline (default: the category's).
pub fn assign(id: &str, executor: &str, deadline: Option<i64>) -> Result<Doc<ServiceRequest>> {
    let caller = require_operator()?;
    let doc = visible(id)?;
    let mut request = doc.data.clone();
    if request.status.is_closed() {
        return Err(Error::conflict(tr(
            "Заявка уже закрыта",
            "the request is already closed",
        )));
    }
    let executors = directory::people_with_role(&doc.community, "executor");
    if !executors.iter().any(|e| e == executor) {
        return Err(Error::invalid(
            "executor",
            tr(
                "Это не исполнитель организации, обслуживающей дом",
                "not an executor of the organization serving this house",
            ),
        ));
    }
    let settings = Settings::load()?;
    let hours = settings
        .category(&request.category)
        .map_or(24, |c| c.deadline_hours);
    let now = ctx::now();
    let deadline = deadline.unwrap_or(request.created + i64::from(hours) * HOUR_MS);
    let name = directory::person(executor).map(|p| p.display_name);
    request.executor = Some(executor.to_owned());
    request.executor_name.clone_from(&name);
    request.deadline = Some(deadline);
    request.sent_at.get_or_insert(now);
    request.status = RequestStatus::Sent;
    request.history.push(RequestEntry {
        at: now,
        by: caller.display_name,
        status: Some(RequestStatus::Sent),
        text: name.map(|n| format!("{} {n}", tr("Исполнитель:", "Executor:"))),
    });
    let saved = save(&doc, &request)?;
    notifications::notify(
        &[executor.to_owned()],
        &Message::new(
            Localized::new(
                format!("Вам передана заявка № {}", request.number),
                format!("Request No. {} was assigned to you", request.number),
            ),
            Localized::new(request_summary(&request), request_summary(&request)),
        )
        .link(format!("/c/{}/p/housing/request/{}", doc.community, doc.id)),
    )?;
    tell_author(&doc, &request, None)?;
    Ok(saved)
}

/// Move a request on: `in_progress` and `done` (with a note of what was done) by its executor
/// or an operator; `rejected` (with a reason) by an operator.
pub fn set_status(
    id: &str,
    status: RequestStatus,
    text: Option<&str>,
) -> Result<Doc<ServiceRequest>> {
    let caller = ctx::require_caller()?;
    let doc = visible(id)?;
    let mut request = doc.data.clone();
    let own = request.executor.as_deref() == Some(caller.person_id.as_str());
    let allowed = match status {
        RequestStatus::InProgress => {
            (own || is_operator()) && request.status == RequestStatus::Sent
        }
        RequestStatus::Done => {
            (own || is_operator())
                && matches!(
                    request.status,
                    RequestStatus::Sent | RequestStatus::InProgress
                )
        }
        RequestStatus::Rejected => is_operator() && !request.status.is_closed(),
        RequestStatus::Registered | RequestStatus::Sent => false,
    };
    if !allowed {
        return Err(if is_staff() {
            Error::conflict(format!(
                "{} «{}» → «{}»",
                tr("Так заявку перевести нельзя:", "cannot move the request:"),
                request.status.label(),
                status.label()
            ))
        } else {
            Error::forbidden(tr(
                "Менять статус может только исполнитель или оператор",
                "only the executor or an operator may change the status",
            ))
        });
    }
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    if status == RequestStatus::Rejected && text.is_none() {
        return Err(Error::invalid(
            "reason",
            tr("Укажите причину отказа", "give the reason for rejecting"),
        ));
    }
    if status == RequestStatus::Done && text.is_none() {
        return Err(Error::invalid(
            "note",
            tr(
                "Напишите, что сделано: автор увидит это в заявке",
                "say what was done: the author sees it in the request",
            ),
        ));
    }
    let now = ctx::now();
    request.status = status;
    if status.is_closed() {
        request.closed_at = Some(now);
    }
    request.history.push(RequestEntry {
        at: now,
        by: caller.display_name,
        status: Some(status),
        text: text.map(str::to_owned),
    });
    let saved = save(&doc, &request)?;
    if status == RequestStatus::Done {
        events::emit(
            REQUEST_DONE,
            &doc.community,
            &serde_json::json!({
                "request": doc.id,
                "category": request.category,
                "author": request.author,
                "executor": request.executor,
                "on_time": request.deadline.is_none_or(|d| now <= d),
            }),
        )?;
    }
    tell_author(&doc, &request, None)?;
    Ok(saved)
}

/// A comment by the author or the staff.
pub fn comment(id: &str, text: &str) -> Result<Doc<ServiceRequest>> {
    let caller = ctx::require_caller()?;
    let doc = visible(id)?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(Error::invalid(
            "text",
            tr(
                "Комментарий — от 1 до 2000 знаков",
                "a comment is 1–2000 characters",
            ),
        ));
    }
    let mut request = doc.data.clone();
    request.history.push(RequestEntry {
        at: ctx::now(),
        by: caller.display_name,
        status: None,
        text: Some(text.to_owned()),
    });
    let saved = save(&doc, &request)?;
    if caller.person_id != request.author {
        tell_author(&doc, &request, Some(text))?;
    }
    Ok(saved)
}

/// The author rates a done request, 1–5.
pub fn rate(id: &str, rating: i64) -> Result<Doc<ServiceRequest>> {
    let caller = ctx::require_caller()?;
    let doc = visible(id)?;
    if doc.data.author != caller.person_id {
        return Err(Error::forbidden(tr(
            "Оценить заявку может только её автор",
            "only the author may rate a request",
        )));
    }
    if doc.data.status != RequestStatus::Done {
        return Err(Error::conflict(tr(
            "Оценить можно выполненную заявку",
            "only a done request can be rated",
        )));
    }
    let rating = u8::try_from(rating)
        .ok()
        .filter(|r| (1..=5).contains(r))
        .ok_or_else(|| Error::invalid("rating", tr("Оценка — от 1 до 5", "rate from 1 to 5")))?;
    let mut request = doc.data.clone();
    request.rating = Some(rating);
    save(&doc, &request)
}

/// Times per category or executor.
#[derive(Debug, Default, Serialize)]
pub struct Times {
    /// Requests.
    pub total: u64,
    /// Still open.
    pub open: u64,
    /// Open and past the deadline.
    pub overdue: u64,
    /// Done.
    pub done: u64,
    /// Done after the deadline.
    pub done_late: u64,
    /// Mean hours from filing to being sent to an executor.
    pub mean_response_hours: Option<f64>,
    /// Mean hours from filing to done.
    pub mean_completion_hours: Option<f64>,
    /// Mean rating.
    pub mean_rating: Option<f64>,
    #[serde(skip)]
    response_sum: i64,
    #[serde(skip)]
    response_count: i64,
    #[serde(skip)]
    completion_sum: i64,
    #[serde(skip)]
    rating_sum: i64,
    #[serde(skip)]
    rating_count: i64,
}

impl Times {
    fn add(&mut self, request: &ServiceRequest, now: i64) {
        self.total += 1;
        if !request.status.is_closed() {
            self.open += 1;
        }
        if is_overdue(request, now) {
            self.overdue += 1;
        }
        if let Some(sent) = request.sent_at {
            self.response_sum += sent - request.created;
            self.response_count += 1;
        }
        if request.status == RequestStatus::Done
            && let Some(closed) = request.closed_at
        {
            self.done += 1;
            self.completion_sum += closed - request.created;
            if request.deadline.is_some_and(|d| closed > d) {
                self.done_late += 1;
            }
        }
        if let Some(r) = request.rating {
            self.rating_sum += i64::from(r);
            self.rating_count += 1;
        }
    }

    fn finish(&mut self) {
        let hours = |sum: i64, n: i64| (n > 0).then(|| sum as f64 / n as f64 / HOUR_MS as f64);
        self.mean_response_hours = hours(self.response_sum, self.response_count);
        self.mean_completion_hours =
            hours(self.completion_sum, i64::try_from(self.done).unwrap_or(0));
        self.mean_rating =
            (self.rating_count > 0).then(|| self.rating_sum as f64 / self.rating_count as f64);
    }
}

/// Statistics of the queue: per category and per executor.
#[derive(Debug, Default, Serialize)]
pub struct Stats {
    /// All requests.
    pub all: Times,
    /// By category code.
    pub by_category: BTreeMap<String, Times>,
    /// By executor name.
    pub by_executor: BTreeMap<String, Times>,
}

/// The statistics of the requests under the call's community.
pub fn stats() -> Result<Stats> {
    require_operator()?;
    let now = ctx::now();
    let mut stats = Stats::default();
    let all = REQUESTS
        .query()
        .in_community(&ctx::community())
        .fetch_all()?;
    for doc in &all {
        let r = &doc.data;
        stats.all.add(r, now);
        stats
            .by_category
            .entry(r.category.clone())
            .or_default()
            .add(r, now);
        if let Some(name) = &r.executor_name {
            stats
                .by_executor
                .entry(name.clone())
                .or_default()
                .add(r, now);
        }
    }
    stats.all.finish();
    stats.by_category.values_mut().for_each(Times::finish);
    stats.by_executor.values_mut().for_each(Times::finish);
    Ok(stats)
}
