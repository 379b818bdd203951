//! Service request pages: the new request form and the queue (numbers to quote, deadlines,
//! overdue highlighted), and a request's page with its timeline, the author's phone for whoever
//! handles it, and the actions — a refusal is confirmed, «Выполнено» says what was done.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use dvor_sdk::ui::{Block, TimelineEntry};

use super::home_link;
use crate::access::{is_operator, is_staff, may_file_requests};
use crate::model::{RequestStatus, Settings};
use crate::requests;

/// The name of request category `code`.
pub(super) fn category_name(settings: &Settings, code: &str) -> String {
    settings
        .category(code)
        .map_or_else(|| code.to_owned(), |c| c.name().to_owned())
}

pub fn requests_page(query: &Params) -> Result<Page> {
    let settings = Settings::load()?;
    let caller = ctx::require_caller()?;
    let page_of = requests::list(query.get("status"), query.get("cursor"))?;
    let now = ctx::now();
    let rows = page_of.docs.iter().map(|d| {
        let r = &d.data;
        let overdue = requests::is_overdue(r, now);
        let status = if overdue {
            Badge::new(
                format!("{} · {}", r.status.label(), tr("просрочена", "overdue")),
                Tone::Danger,
            )
        } else {
            Badge::new(r.status.label(), r.status.tone())
        };
        Row::new([
            if r.number == 0 {
                Cell::Empty
            } else {
                Cell::from(i64::try_from(r.number).unwrap_or(i64::MAX))
            },
            Cell::datetime(r.created),
            Cell::from(category_name(&settings, &r.category)),
            Cell::from(r.description.chars().take(80).collect::<String>()),
            Cell::from(status),
            Cell::from(r.deadline.map(Cell::datetime)),
        ])
        .link(Link::to(format!("request/{}", d.id), tr("Открыть", "Open")))
        .tone(if overdue { Tone::Danger } else { Tone::Neutral })
    });
    let mut page = Page::new(tr("Заявки", "Service requests")).breadcrumb(home_link());
    if !may_file_requests(&caller) {
        page = page.section(Section::untitled().notice(
            Tone::Info,
            tr(
                "Заявки в этот дом подают его жители и собственники",
                "service requests to this house come from its residents and owners",
            ),
        ));
    } else if !is_staff() {
        page = page.section(
            Section::titled(tr("Новая заявка", "New request")).form(
                Form::new("new-request", tr("Отправить", "Send"))
                    .field(
                        Field::select(
                            "category",
                            tr("Категория", "Category"),
                            settings
                                .categories
                                .iter()
                                .map(|c| (c.code.clone(), c.name().to_owned())),
                        )
                        .required(),
                    )
                    .field(
                        Field::multiline("description", tr("Что случилось", "What happened"))
                            .required()
                            .max_length(4000),
                    )
                    .field(Field::text(
                        "place",
                        tr("Где (квартира, подъезд)", "Where (flat, entrance)"),
                    ))
                    .field(Field::file(
                        "photo",
                        tr("Фото", "Photo"),
                        ["image/jpeg", "image/png"],
                    )),
            ),
        );
    }
    Ok(page.section(
        Section::titled(if is_staff() {
            tr("Очередь заявок", "Request queue")
        } else {
            tr("Мои заявки", "My requests")
        })
        .links([
            Link::to("requests", tr("Все", "All")),
            Link::to("requests", RequestStatus::Registered.label()).param("status", "registered"),
            Link::to("requests", RequestStatus::Sent.label()).param("status", "sent"),
            Link::to("requests", RequestStatus::InProgress.label()).param("status", "in_progress"),
            Link::to("requests", RequestStatus::Done.label()).param("status", "done"),
        ])
        .table(
            Table::new([
                Column::numeric(tr("№", "No.")),
                Column::text(tr("Подана", "Filed")),
                Column::text(tr("Категория", "Category")),
                Column::text(tr("Описание", "Description")),
                Column::text(tr("Статус", "Status")),
                Column::text(tr("Срок", "Deadline")),
            ])
            .rows(rows)
            .empty_text(tr("Заявок нет", "No requests"))
            .next_page(
                page_of
                    .next_cursor
                    .map(|c| Link::to("requests", tr("Дальше", "More")).param("cursor", c)),
            ),
        ),
    ))
}

pub fn request_page(id: &str) -> Result<Page> {
    let settings = Settings::load()?;
    let caller = ctx::require_caller()?;
    let doc = requests::visible(id)?;
    let r = &doc.data;
    let now = ctx::now();
    let own = r.executor.as_deref() == Some(caller.person_id.as_str());
    let mut badges = vec![Badge::new(r.status.label(), r.status.tone())];
    if requests::is_overdue(r, now) {
        badges.push(Badge::new(tr("Просрочена", "Overdue"), Tone::Danger));
    }
    let mut fields = vec![
        (
            tr("Номер", "Number"),
            if r.number == 0 {
                Cell::Empty
            } else {
                Cell::from(i64::try_from(r.number).unwrap_or(i64::MAX))
            },
        ),
        (
            tr("Категория", "Category"),
            Cell::from(category_name(&settings, &r.category)),
        ),
        (tr("Автор", "Author"), Cell::from(r.author_name.clone())),
    ];
    // Whoever handles the request may call its author; the host gives the phone only to them.
    if own || is_operator() {
        let phone = directory::person(&r.author).and_then(|p| p.phone);
        fields.push((tr("Телефон автора", "Author's phone"), Cell::from(phone)));
    }
    fields.extend([
        (tr("Где", "Where"), Cell::from(r.place.clone())),
        (
            tr("Исполнитель", "Executor"),
            Cell::from(r.executor_name.clone()),
        ),
        (
            tr("Выполнить до", "Due by"),
            Cell::from(r.deadline.map(Cell::datetime)),
        ),
        (tr("Оценка", "Rating"), Cell::from(r.rating.map(i64::from))),
    ]);
    let mut summary = Section::untitled()
        .badges(badges)
        .fields(fields)
        .paragraph(r.description.clone());
    if let Some(photo) = &r.photo {
        summary = summary.photo(photo.clone(), tr("Фото к заявке", "Photo of the request"));
    }
    let mut page = Page::new(format!(
        "{} — {}",
        requests::title(r),
        category_name(&settings, &r.category)
    ))
    .breadcrumb(home_link())
    .breadcrumb(Link::to("requests", tr("Заявки", "Requests")))
    .section(summary);
    let timeline = r.history.iter().map(|e| TimelineEntry {
        at: e.at,
        title: match e.status {
            Some(s) => s.label().to_owned(),
            None => tr("Комментарий", "Comment").to_owned(),
        },
        note: e.text.clone(),
        actor: Some(e.by.clone()),
        tone: e.status.map_or(Tone::Neutral, RequestStatus::tone),
    });
    page = page.section(
        Section::titled(tr("Ход работ", "History")).block(Block::Timeline(timeline.collect())),
    );
    let mut actions = Section::titled(tr("Действия", "Actions"));
    if is_operator() && !r.status.is_closed() {
        let executors = directory::people_with_role(&doc.community, "executor");
        let choices: Vec<(String, String)> = executors
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    directory::person(id).map_or_else(|| id.clone(), |p| p.display_name),
                )
            })
            .collect();
        actions = actions
            .form(
                Form::new("assign", tr("Передать исполнителю", "Send to executor")).field(
                    Field::select("executor", tr("Исполнитель", "Executor"), choices).required(),
                ),
            )
            .form(
                Form::new("reject", tr("Отклонить", "Reject"))
                    .field(
                        Field::multiline("reason", tr("Причина", "Reason"))
                            .required()
                            .max_length(2000),
                    )
                    .confirm(tr(
                        "Отклонить заявку? Автор получит уведомление с причиной, заявка закроется.",
                        "Reject the request? The author is told the reason and the request is closed.",
                    )),
            );
    }
    if (own || is_operator()) && r.status == RequestStatus::Sent {
        actions = actions.buttons([Button::action("start", tr("Взять в работу", "Start work"))]);
    }
    if (own || is_operator()) && matches!(r.status, RequestStatus::Sent | RequestStatus::InProgress)
    {
        actions = actions.form(
            Form::new("done", tr("Выполнено", "Done")).field(
                Field::multiline("note", tr("Что сделано", "What was done"))
                    .required()
                    .max_length(2000)
                    .help(tr(
                        "Автор увидит это в заявке: например, «Заменили смеситель на кухне»",
                        "The author sees it in the request: e.g. “Replaced the kitchen tap”",
                    )),
            ),
        );
    }
    if r.author == caller.person_id && r.status == RequestStatus::Done && r.rating.is_none() {
        actions = actions.form(
            Form::new("rate", tr("Оценить", "Rate")).field(
                Field::select(
                    "rating",
                    tr("Оценка", "Rating"),
                    [("5", "5"), ("4", "4"), ("3", "3"), ("2", "2"), ("1", "1")],
                )
                .required(),
            ),
        );
    }
    actions = actions.form(
        Form::new("comment", tr("Комментировать", "Comment")).field(
            Field::multiline("text", tr("Комментарий", "Comment"))
                .required()
                .max_length(2000),
        ),
    );
    Ok(page.section(actions))
}

/// The request pages' actions.
pub fn act(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    ActionOutcome::errors_next_to_fields(match (route, action) {
        (["requests"], "new-request") => {
            let doc = requests::create(requests::NewRequest {
                category: form.require("category")?.to_owned(),
                description: form.get("description").unwrap_or_default().to_owned(),
                photo: form.get("photo").map(str::to_owned),
                place: form.get("place").map(str::to_owned),
            })?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("request/{}", doc.id), ""),
                format!(
                    "{} {}",
                    requests::title(&doc.data),
                    tr("зарегистрирована", "is registered")
                ),
            ))
        }
        (["request", id], _) => {
            let done = match action {
                "assign" => requests::assign(id, form.require("executor")?, None)
                    .map(|_| tr("Передана исполнителю", "Sent to the executor")),
                "reject" => requests::set_status(id, RequestStatus::Rejected, form.get("reason"))
                    .map(|_| tr("Заявка отклонена", "Request rejected")),
                "start" => requests::set_status(id, RequestStatus::InProgress, None)
                    .map(|_| tr("Заявка в работе", "Request in progress")),
                "done" => requests::set_status(id, RequestStatus::Done, form.get("note"))
                    .map(|_| tr("Заявка выполнена", "Request done")),
                "rate" => requests::rate(id, form.int("rating")?.unwrap_or(0))
                    .map(|_| tr("Спасибо за оценку", "Thank you for rating")),
                "comment" => requests::comment(id, form.get("text").unwrap_or_default())
                    .map(|_| tr("Комментарий добавлен", "Comment added")),
                _ => Err(Error::not_found(tr(
                    "Нет такого действия",
                    "no such action",
                ))),
            }?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("request/{id}"), ""),
                done,
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}
