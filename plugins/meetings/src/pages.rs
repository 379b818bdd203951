//! The web pages, through the UI contract: the lists of general meetings, polls and
//! initiatives with the forms to start a poll and to propose an initiative; a poll's page with
//! its voting form and results; an initiative's page with its support, timeline, comments and
//! the officials' review; a general meeting's agenda, results and protocol (read-only).
//!
//! Forms post to actions that call the same functions as the JSON API, so the rules live in one
//! place; an error naming a field comes back next to that field, and a conflict with the
//! current state (voted already, the poll closed) is shown on the page.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use dvor_sdk::ui::{Block, Chart, ChartKind, Progress, Series, TimelineEntry};

use crate::initiatives::{self, Initiative, Status};
use crate::polls::{self, NewPoll, Per, Poll, PollKind, Show};
use crate::tally::{MeetingKind, NoticeRule, RulesInForce};
use crate::{INITIATIVES, MEETINGS, POLLS, Viewer, assembly, viewer};

fn home_link() -> Link {
    Link::to("", tr("Собрания", "Meetings"))
}

fn poll_link(id: &str) -> Link {
    Link::to(format!("poll/{id}"), "")
}

fn initiative_link(id: &str) -> Link {
    Link::to(format!("initiative/{id}"), "")
}

fn parts(route: &str) -> Vec<&str> {
    route.split('/').filter(|p| !p.is_empty()).collect()
}

/// The page at `route`.
pub fn render(route: &str) -> Result<Page> {
    match parts(route).as_slice() {
        [] => home_page(),
        ["meeting", id] => meeting_page(id),
        ["poll", id] => poll_page(id),
        ["initiative", id] => initiative_page(id),
        _ => Err(Error::not_found(tr("Нет такой страницы", "no such page"))),
    }
}

fn count(n: u64) -> Cell {
    Cell::from(i64::try_from(n).unwrap_or(i64::MAX))
}

fn kind_label(kind: PollKind) -> &'static str {
    match kind {
        PollKind::Single => tr("Один вариант", "One option"),
        PollKind::Multiple => tr("Несколько вариантов", "Several options"),
        PollKind::Text => tr("Свободный ответ", "Free text"),
    }
}

fn per_label(per: Per) -> &'static str {
    match per {
        Per::Person => tr("Каждый житель", "Every person"),
        Per::Unit => tr(
            "Одна квартира или участок — один голос",
            "One vote per flat or plot",
        ),
    }
}

fn poll_badge(poll: &Poll, now: i64) -> Badge {
    if now < poll.closes {
        Badge::new(tr("Идёт", "Open"), Tone::Info)
    } else {
        Badge::new(tr("Закрыт", "Closed"), Tone::Neutral)
    }
}

fn status_tone(status: Status) -> Tone {
    match status {
        Status::Proposed | Status::Collecting => Tone::Info,
        Status::UnderReview => Tone::Warning,
        Status::Accepted | Status::Implemented => Tone::Success,
        Status::Rejected => Tone::Danger,
    }
}

fn support_progress(i: &Initiative) -> Block {
    Block::Progress(Progress {
        label: format!("{}: {}", tr("Поддержка", "Support"), i.status.label()),
        current: i64::from(i.supporters),
        target: i64::from(i.threshold),
        unit: tr("голосов поддержки", "supporters").to_owned(),
    })
}

fn home_page() -> Result<Page> {
    let polls = POLLS
        .query()
        .order_by("closes", Direction::Desc)
        .limit(20)
        .fetch()?;
    let initiatives = INITIATIVES
        .query()
        .order_by("created", Direction::Desc)
        .limit(20)
        .fetch()?;
    let meetings = MEETINGS
        .query()
        .order_by("voting_to", Direction::Desc)
        .limit(20)
        .fetch()?;
    let now = ctx::now();
    let mut page = Page::new(tr("Собрания и голосования", "Meetings and votes"));
    page = page.section(
        Section::titled(tr("Общие собрания", "General meetings")).table(
            Table::new([
                Column::text("№"),
                Column::text(tr("Статус", "Status")),
                Column::text(tr("Голосование до", "Voting until")),
            ])
            .rows(meetings.docs.iter().map(|d| {
                Row::new([
                    Cell::from(Link::to(format!("meeting/{}", d.id), d.data.number.clone())),
                    // The stored status is set at registration; voting opens by the clock.
                    Cell::from(if d.data.status == assembly::Status::Closed {
                        tr("Закрыто", "Closed")
                    } else if now >= d.data.voting_from {
                        tr("Идёт голосование", "Voting")
                    } else {
                        tr("Объявлено", "Announced")
                    }),
                    Cell::datetime(d.data.voting_to),
                ])
            }))
            .empty_text(tr("Собраний нет", "No meetings")),
        ),
    );
    page = page.section(
        Section::titled(tr("Опросы", "Polls")).table(
            Table::new([
                Column::text(tr("Вопрос", "Question")),
                Column::text(tr("Статус", "Status")),
                Column::text(tr("Закрывается", "Closes")),
                Column::numeric(tr("Голосов", "Votes")),
            ])
            .rows(
                polls
                    .docs
                    .iter()
                    .map(|d| {
                        Ok(Row::new([
                            Cell::from(Link::to(format!("poll/{}", d.id), d.data.title.clone())),
                            Cell::from(poll_badge(&d.data, now)),
                            Cell::datetime(d.data.closes),
                            count(polls::votes(&d.id)?),
                        ]))
                    })
                    .collect::<Result<Vec<_>>>()?,
            )
            .empty_text(tr("Опросов нет", "No polls")),
        ),
    );
    let mut list = Section::titled(tr("Инициативы", "Initiatives"));
    if initiatives.docs.is_empty() {
        list = list.paragraph(tr("Инициатив нет", "No initiatives"));
    }
    for doc in &initiatives.docs {
        list = list
            .heading(doc.data.title.clone())
            .paragraph(doc.data.description.clone())
            .block(support_progress(&doc.data))
            .links([Link::to(
                format!("initiative/{}", doc.id),
                tr("Открыть инициативу", "Open the initiative"),
            )]);
    }
    page = page.section(list);
    Ok(match viewer()? {
        Viewer::Anonymous => page.section(Section::untitled().empty(
            tr("Войдите", "Sign in"),
            tr(
                "Войдите, чтобы создать опрос или предложить инициативу",
                "sign in to start a poll or propose an initiative",
            ),
        )),
        Viewer::Outsider(why) => page.section(Section::untitled().notice(Tone::Info, why)),
        Viewer::Member(caller) => match assembly::meeting_kind_here().filter(|_| assembly::is_organizer()) {
            Some(kind) => {
                let today = ctx::today()?;
                let rules = crate::Settings::load()?.rules()?.in_force(&today.to_string());
                page.section(
                    Section::titled(tr("Созвать общее собрание", "Call a general meeting"))
                        .paragraph(call_rule_text(rules.notice(kind)))
                        .form(new_meeting_form(kind, &rules, today, &caller)),
                )
            }
            None => page,
        }
        .section(Section::titled(tr("Новый опрос", "New poll")).form(new_poll_form()))
            .section(
                Section::titled(tr("Новая инициатива", "New initiative"))
                    .paragraph(tr(
                        "Соседи поддерживают инициативу; набрав нужную поддержку, она уходит на рассмотрение должностным лицам.",
                        "Neighbours support an initiative; once it has enough support, it goes to the officials for review.",
                    ))
                    .form(new_initiative_form(&caller)),
            ),
    })
}

/// How many agenda questions the call form offers.
const AGENDA_ROWS: usize = 5;

/// What the law in force asks of the call: the notice period and the voting's length.
fn call_rule_text(rule: Option<&NoticeRule>) -> String {
    match rule {
        Some(rule) => {
            let length = match rule.voting_length() {
                Some((ru, en)) => tr(
                    &format!(" Голосование длится {ru}."),
                    &format!(" Voting lasts {en}."),
                )
                .to_owned(),
                None => String::new(),
            };
            format!(
                "{}{length} ({})",
                tr(
                    &format!(
                        "Уведомление о собрании — не позднее чем за {} дн. до начала голосования; участники получат его в приложении.",
                        rule.days_before
                    ),
                    &format!(
                        "The notice goes out at least {} days before voting opens; the people who vote get it in the app.",
                        rule.days_before
                    ),
                ),
                rule.basis
            )
        }
        None => tr(
            "Сроки созыва для такого собрания не заданы",
            "no notice period is set for this meeting",
        )
        .to_owned(),
    }
}

/// The form calling a general meeting; its fields are named as [`assembly::NewMeeting`]'s (the
/// agenda as `question_N_title` and `question_N_kind`), so that errors land next to them.
fn new_meeting_form(
    kind: MeetingKind,
    rules: &RulesInForce,
    today: dvor_sdk::Date,
    caller: &ctx::Caller,
) -> Form {
    // Voting first offered on the earliest day the rule in force allows.
    let notice_days = rules.notice(kind).map_or(0, |r| i64::from(r.days_before));
    let opens = today.add_days(notice_days).unwrap_or(today);
    let closes = opens.add_days(13).unwrap_or(opens);
    // The company's name for its operators; an SNT's board calls its meetings as the board.
    let board = (kind == MeetingKind::Snt)
        .then(|| directory::community(&ctx::community()))
        .flatten()
        .map(|snt| format!("{} {}", tr("Правление", "The board of"), snt.name));
    let initiator = caller
        .roles
        .iter()
        .find_map(|r| r.organization.clone())
        .or(board)
        .unwrap_or_else(|| caller.display_name.clone());
    let kinds: Vec<(String, String)> = rules
        .kinds_for(kind)
        .into_iter()
        .map(|k| (k.code.clone(), k.name_ru.clone()))
        .collect();
    let mut form = Form::new("call_meeting", tr("Созвать собрание", "Call the meeting"))
        .field(
            Field::select(
                "form",
                tr("Форма", "Form"),
                [
                    ("absentee", tr("Заочное", "Absentee")),
                    ("in_person", tr("Очное", "In person")),
                    ("mixed", tr("Очно-заочное", "In person and absentee")),
                    (
                        "electronic",
                        tr("Заочное в приложении", "Absentee, in the app"),
                    ),
                ],
            )
            .required()
            .value("absentee"),
        )
        .field(
            Field::text("number", tr("Номер протокола", "Protocol number"))
                .required()
                .max_length(20),
        )
        .field(
            Field::text("initiator", tr("Инициатор", "Called by"))
                .required()
                .max_length(200)
                .value(initiator),
        )
        .field(
            Field::text("place", tr("Место проведения", "Where"))
                .required()
                .max_length(300)
                .help(tr(
                    "Адрес очной части или куда сдавать бюллетени",
                    "the address of the meeting or where ballots are handed in",
                )),
        )
        .field(
            Field::text(
                "storage_place",
                tr("Где хранятся решения", "Where decisions are kept"),
            )
            .required()
            .max_length(300),
        )
        .field(
            Field::date("notice_date", tr("Дата уведомления", "Notice given on"))
                .required()
                .day_value(today),
        )
        .field(
            Field::date("voting_from", tr("Голосование с", "Voting from"))
                .required()
                .day_value(opens),
        )
        .field(
            Field::date(
                "voting_to",
                tr("Голосование по (включительно)", "Voting until (inclusive)"),
            )
            .required()
            .day_value(closes),
        );
    for n in 1..=AGENDA_ROWS {
        let mut title = Field::text(
            format!("question_{n}_title"),
            format!("{} {n}", tr("Вопрос повестки", "Agenda question")),
        )
        .max_length(500);
        if n == 1 {
            title = title.required();
        }
        form = form.field(title).field(
            Field::select(
                format!("question_{n}_kind"),
                tr("Как решается", "Decided by"),
                kinds.clone(),
            )
            .value(kinds.first().map(|k| k.0.clone()).unwrap_or_default()),
        );
    }
    form.field(Field::text("chair", tr("Председатель собрания", "Chair")).max_length(200))
        .field(Field::text("secretary", tr("Секретарь", "Secretary")).max_length(200))
}

/// Call a meeting from its form: whole days of the place's zone, the agenda rows that have a
/// question; an error about an agenda question names its row's field.
fn call_meeting(form: &Params) -> Result<Doc<assembly::Meeting>> {
    let offset = ctx::utc_offset_minutes()?;
    let day = |name: &str| -> Result<dvor_sdk::Date> {
        dvor_sdk::Date::parse_field(name, form.get(name).unwrap_or_default().trim())
    };
    let voting_from = day("voting_from")?.start_timestamp(offset);
    let last_day = day("voting_to")?;
    let voting_to = last_day
        .add_days(1)
        .map_or(i64::MAX, |next| next.start_timestamp(offset) - 1);
    let form_of = match form.get("form").map(str::trim) {
        Some("in_person") => crate::tally::Form::InPerson,
        Some("mixed") => crate::tally::Form::Mixed,
        Some("electronic") => crate::tally::Form::Electronic,
        Some("absentee") | None | Some("") => crate::tally::Form::Absentee,
        Some(_) => {
            return Err(Error::invalid(
                "form",
                tr("Выберите форму собрания", "choose the meeting's form"),
            ));
        }
    };
    let text = |name: &str| form.get(name).unwrap_or_default().trim().to_owned();
    let optional = |name: &str| Some(text(name)).filter(|t| !t.is_empty());
    let mut rows = Vec::new();
    let mut questions = Vec::new();
    for n in 1..=AGENDA_ROWS {
        let title = text(&format!("question_{n}_title"));
        if title.is_empty() {
            continue;
        }
        rows.push(n);
        questions.push(assembly::Question {
            title,
            kind: text(&format!("question_{n}_kind")),
            proposal: String::new(),
        });
    }
    for (name, label) in [
        (
            "place",
            tr("Укажите место проведения", "say where the meeting is held"),
        ),
        (
            "storage_place",
            tr(
                "Укажите, где хранятся решения",
                "say where the decisions are kept",
            ),
        ),
        (
            "initiator",
            tr("Укажите инициатора", "say who calls the meeting"),
        ),
    ] {
        if text(name).is_empty() {
            return Err(Error::invalid(name, label));
        }
    }
    assembly::create(assembly::NewMeeting {
        form: form_of,
        number: text("number"),
        initiator: text("initiator"),
        place: text("place"),
        storage_place: text("storage_place"),
        notice_date: day("notice_date")?.to_string(),
        voting_from,
        voting_to,
        questions,
        chair: optional("chair"),
        secretary: optional("secretary"),
        counting_commission: Vec::new(),
        commission: Vec::new(),
    })
    .map_err(|mut error| {
        // `questions[i].title` of the agenda rows given is the field of its form row.
        error.field = error.field.map(|field| match field.as_str() {
            "questions" => "question_1_title".to_owned(),
            _ => field
                .strip_prefix("questions[")
                .and_then(|rest| rest.split_once("]."))
                .and_then(|(i, part)| Some((rows.get(i.parse::<usize>().ok()?)?, part)))
                .map_or(field.clone(), |(n, part)| format!("question_{n}_{part}")),
        });
        error
    })
}

/// The form of a new poll; its fields are named as [`NewPoll`]'s, so that errors land next to
/// them.
fn new_poll_form() -> Form {
    Form::new("create_poll", tr("Создать опрос", "Start the poll"))
        .field(
            Field::text("title", tr("Вопрос", "Question"))
                .required()
                .max_length(300)
                .help(tr("От 3 до 300 знаков", "3 to 300 characters")),
        )
        .field(
            Field::select(
                "kind",
                tr("Вид ответа", "Kind of answer"),
                [
                    ("single", tr("Один вариант", "One option")),
                    ("multiple", tr("Несколько вариантов", "Several options")),
                    ("text", tr("Свободный ответ", "Free text")),
                ],
            )
            .required()
            .value("single"),
        )
        .field(
            Field::multiline("options", tr("Варианты ответа", "Options"))
                .max_length(4000)
                .help(tr(
                    "По одному на строку, от 2 до 20; для свободного ответа оставьте пустым",
                    "one per line, 2 to 20; leave empty for a free-text answer",
                )),
        )
        .field(
            Field::number("hours", tr("Срок, часов", "Open for, hours"), 0)
                .required()
                .value("168")
                .help(tr("От 1 до 2160 (90 дней)", "1 to 2160 (90 days)")),
        )
        .field(
            Field::select(
                "per",
                tr("Кто голосует", "Who votes"),
                [
                    ("person", tr("Каждый житель", "Every person")),
                    (
                        "unit",
                        tr(
                            "Одна квартира или участок — один голос",
                            "One vote per flat or plot",
                        ),
                    ),
                ],
            )
            .value("person"),
        )
        .field(
            Field::select(
                "show",
                tr("Итоги видны", "Results shown"),
                [
                    ("live", tr("Сразу, по мере голосования", "As votes come in")),
                    ("after_close", tr("После закрытия", "After the poll closes")),
                ],
            )
            .value("live"),
        )
        .field(Field::checkbox(
            "anonymous",
            tr(
                "Анонимно: не показывать, кто как голосовал",
                "Anonymous: do not show who voted how",
            ),
        ))
        .field(Field::checkbox(
            "public",
            tr(
                "Итоги видны всем, не только жителям (только числа, без имён)",
                "Results for everyone, not only the people of the place (counts only, no names)",
            ),
        ))
}

/// The form of a new initiative; staff may propose on behalf of their organization.
fn new_initiative_form(caller: &ctx::Caller) -> Form {
    let mut form = Form::new("propose_initiative", tr("Предложить", "Propose"))
        .field(
            Field::text("title", tr("Название", "Title"))
                .required()
                .max_length(200)
                .help(tr("От 5 до 200 знаков", "5 to 200 characters")),
        )
        .field(
            Field::multiline("description", tr("Что предлагаете", "What you propose"))
                .required()
                .max_length(5000)
                .help(tr(
                    "Что сделать, где и зачем — от 20 знаков",
                    "what to do, where and why — 20 characters or more",
                )),
        );
    let mut organizations: Vec<&str> = caller
        .roles
        .iter()
        .filter_map(|r| r.organization.as_deref())
        .collect();
    organizations.sort_unstable();
    organizations.dedup();
    if !organizations.is_empty() {
        let mut choices = vec![(
            String::new(),
            format!("{} ({})", tr("От себя", "Myself"), caller.display_name),
        )];
        choices.extend(
            organizations
                .iter()
                .map(|o| ((*o).to_owned(), (*o).to_owned())),
        );
        form = form.field(Field::select(
            "organization",
            tr("От чьего имени", "On behalf of"),
            choices,
        ));
    }
    form
}

fn poll_page(id: &str) -> Result<Page> {
    let doc = POLLS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого опроса", "no such poll")))?;
    let p = &doc.data;
    let now = ctx::now();
    let open = now < p.closes;
    let mut summary = Section::untitled().badges([poll_badge(p, now)]);
    if !p.description.is_empty() {
        summary = summary.paragraph(p.description.clone());
    }
    let mut fields = vec![
        (tr("Вопрос", "Question"), Cell::from(p.title.clone())),
        (
            tr("Вид ответа", "Kind of answer"),
            Cell::from(kind_label(p.kind)),
        ),
        (
            tr("Кто голосует", "Who votes"),
            Cell::from(per_label(p.per)),
        ),
    ];
    // Names are for the people of the place.
    if viewer()?.sees_names() {
        fields.push((tr("Автор", "Author"), Cell::from(p.author_name.clone())));
    }
    summary = summary.fields(fields.into_iter().chain([
        (tr("Открыт", "Opened"), Cell::datetime(p.opens)),
        (
            if open {
                tr("Закрывается", "Closes")
            } else {
                tr("Закрыт", "Closed")
            },
            Cell::datetime(p.closes),
        ),
        (tr("Проголосовали", "Votes"), count(polls::votes(&doc.id)?)),
    ]));
    let mut page = Page::new(p.title.clone())
        .breadcrumb(home_link())
        .section(summary);
    if open {
        page = page.section(voting_section(&doc)?);
    }
    page = page.section(results_section(&doc)?);
    if open && ctx::caller().is_some_and(|c| polls::may_close(p, &c)) {
        page = page.section(
            Section::untitled().buttons([Button::action(
                "close_poll",
                tr("Закрыть опрос", "Close the poll"),
            )
            .confirm(tr(
                "Закрыть опрос досрочно? Голосовать больше будет нельзя.",
                "Close the poll now? Nobody will be able to vote after that.",
            ))
            .tone(Tone::Danger)]),
        );
    }
    Ok(page)
}

fn unit_label(unit: &directory::Unit) -> String {
    match directory::community(&unit.community) {
        Some(c) => format!("{}, {}", c.name, unit.number),
        None => unit.number.clone(),
    }
}

/// The voting form, or why the caller does not vote (any more).
fn voting_section(doc: &Doc<Poll>) -> Result<Section> {
    let section = Section::titled(tr("Голосование", "Vote"));
    let caller = match viewer()? {
        Viewer::Anonymous => {
            return Ok(section.empty(
                tr("Войдите", "Sign in"),
                tr("Войдите, чтобы проголосовать", "sign in to vote"),
            ));
        }
        Viewer::Outsider(why) => return Ok(section.notice(Tone::Info, why)),
        Viewer::Member(caller) => caller,
    };
    let p = &doc.data;
    let mut form = Form::new("vote", tr("Проголосовать", "Vote"));
    match p.per {
        Per::Person => {
            if polls::has_voted(&doc.id, &caller.person_id)? {
                return Ok(
                    section.notice(Tone::Success, tr("Ваш голос учтён", "Your vote is counted"))
                );
            }
        }
        Per::Unit => {
            let units = polls::units_here(&caller.person_id);
            if units.is_empty() {
                return Ok(section.notice(
                    Tone::Info,
                    tr(
                        "В этом опросе голосуют от квартиры или участка, а у вас их здесь нет",
                        "this poll takes one vote per flat or plot, and you have none here",
                    ),
                ));
            }
            let mut left = Vec::new();
            for unit in &units {
                if !polls::has_voted(&doc.id, &unit.id)? {
                    left.push((unit.id.clone(), unit_label(unit)));
                }
            }
            if left.is_empty() {
                return Ok(section.notice(
                    Tone::Success,
                    tr(
                        "За ваши квартиры и участки уже проголосовали",
                        "your flats and plots have voted",
                    ),
                ));
            }
            // With one unit the vote goes to it; with several the voter names one.
            if units.len() > 1 {
                form = form.field(
                    Field::select(
                        "unit",
                        tr("За какую квартиру или участок", "For which flat or plot"),
                        left,
                    )
                    .required(),
                );
            }
        }
    }
    let options = p
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| (i.to_string(), option.clone()));
    form = match p.kind {
        // A few options, all in sight: radio buttons.
        PollKind::Single => {
            form.field(Field::radio("choices", tr("Ваш ответ", "Your answer"), options).required())
        }
        PollKind::Multiple => form.field(
            Field::multi_select("choices", tr("Ваш ответ", "Your answer"), options)
                .required()
                .help(tr("Можно выбрать несколько", "choose any number")),
        ),
        PollKind::Text => form.field(
            Field::multiline("text", tr("Ваш ответ", "Your answer"))
                .required()
                .max_length(2000),
        ),
    };
    // Before a named vote the voter is told who will see it.
    let section = if p.anonymous {
        section
    } else {
        section.notice(
            Tone::Warning,
            tr(
                "Голосование открытое: жители этого места увидят ваше имя рядом с вашим ответом.",
                "This vote is named: the people of this place will see your name next to your answer.",
            ),
        )
    };
    Ok(section.form(form))
}

/// The results if the caller may see them now, else when they will be shown.
fn results_section(doc: &Doc<Poll>) -> Result<Section> {
    let p = &doc.data;
    let mut section = Section::titled(tr("Итоги", "Results"));
    let results = match polls::results(&doc.id) {
        Ok(results) => results,
        Err(e) if e.is(ErrorCode::Forbidden) || e.is(ErrorCode::Unauthenticated) => {
            section = section.paragraph(e.message);
            // Shown later to those who will see them, once the poll closes.
            if p.show == Show::AfterClose && (p.public || viewer()?.sees_names()) {
                section = section.fields([(
                    tr("Итоги будут показаны", "Results will be shown"),
                    Cell::datetime(p.closes),
                )]);
            }
            return Ok(section);
        }
        Err(e) => return Err(e),
    };
    if !results["closed"].as_bool().unwrap_or(false) {
        section = section.notice(
            Tone::Info,
            tr(
                "Опрос ещё идёт: итоги предварительные",
                "The poll is still open: the results are preliminary",
            ),
        );
    }
    let rows = |key: &str| results[key].as_array().cloned().unwrap_or_default();
    // Names only where the results carry them: a named poll, read by the people of the place.
    let named = results["named"].as_bool().unwrap_or(false);
    if p.kind == PollKind::Text {
        let answers = rows("answers");
        let table = if !named {
            Table::new([Column::text(tr("Ответ", "Answer"))]).rows(
                answers
                    .iter()
                    .map(|a| Row::new([Cell::from(a["text"].as_str().unwrap_or_default())])),
            )
        } else {
            Table::new([
                Column::text(tr("Ответ", "Answer")),
                Column::text(tr("Кто", "Who")),
            ])
            .rows(answers.iter().map(|a| {
                Row::new([
                    Cell::from(a["text"].as_str().unwrap_or_default()),
                    Cell::from(a["name"].as_str().unwrap_or_default()),
                ])
            }))
        };
        return Ok(section.table(table.empty_text(tr("Ответов пока нет", "No answers yet"))));
    }
    let options = rows("options");
    section = section.block(Block::Chart(Chart {
        kind: ChartKind::Bar,
        title: tr("Голоса по вариантам", "Votes per option").to_owned(),
        labels: p.options.clone(),
        series: vec![Series {
            name: tr("Голосов", "Votes").to_owned(),
            values: options
                .iter()
                .map(|o| o["count"].as_f64().unwrap_or(0.0))
                .collect(),
        }],
        format: dvor_sdk::ui::ValueFormat::Number,
        unit: tr("голосов", "votes").to_owned(),
    }));
    if named {
        section = section.table(
            Table::new([
                Column::text(tr("Вариант", "Option")),
                Column::numeric(tr("Голосов", "Votes")),
                Column::text(tr("Кто голосовал", "Who voted")),
            ])
            .rows(options.iter().map(|o| {
                let names: Vec<&str> = o["voters"]
                    .as_array()
                    .map(|v| v.iter().filter_map(|n| n.as_str()).collect())
                    .unwrap_or_default();
                Row::new([
                    Cell::from(o["option"].as_str().unwrap_or_default()),
                    count(o["count"].as_u64().unwrap_or(0)),
                    Cell::from(names.join(", ")),
                ])
            })),
        );
    }
    Ok(section)
}

fn initiative_page(id: &str) -> Result<Page> {
    let doc = INITIATIVES
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такой инициативы", "no such initiative")))?;
    let i = &doc.data;
    let visitor = viewer()?;
    let mut fields = vec![(tr("Статус", "Status"), Cell::from(i.status.label()))];
    if initiatives::shows_name(i, &visitor, &i.author_name) {
        fields.push((tr("Автор", "Author"), Cell::from(i.author_name.clone())));
    }
    fields.push((tr("Предложена", "Proposed"), Cell::datetime(i.created)));
    let mut page = Page::new(i.title.clone()).breadcrumb(home_link()).section(
        Section::untitled()
            .badges([Badge::new(i.status.label(), status_tone(i.status))])
            .paragraph(i.description.clone())
            .fields(fields)
            .block(support_progress(i)),
    );
    let mut take_part = Section::untitled();
    match &visitor {
        Viewer::Anonymous => {
            take_part = take_part.empty(
                tr("Войдите", "Sign in"),
                tr(
                    "Войдите, чтобы поддержать инициативу или обсудить её",
                    "sign in to support or discuss the initiative",
                ),
            );
        }
        Viewer::Outsider(why) => take_part = take_part.notice(Tone::Info, why.clone()),
        Viewer::Member(caller) if i.status == Status::Collecting => {
            take_part = if initiatives::has_supported(&doc.id, &caller.person_id)? {
                take_part.notice(
                    Tone::Success,
                    tr(
                        "Вы поддержали эту инициативу",
                        "You support this initiative",
                    ),
                )
            } else {
                take_part.buttons([
                    Button::action("support", tr("Поддержать", "Support")).tone(Tone::Success)
                ])
            };
        }
        Viewer::Member(_) => {}
    }
    if !take_part.blocks.is_empty() {
        page = page.section(take_part);
    }
    let timeline = i
        .timeline
        .iter()
        .map(|e| TimelineEntry {
            at: e.at,
            title: match e.status {
                Some(s) => s.label().to_owned(),
                None => tr("Комментарий", "Comment").to_owned(),
            },
            note: Some(e.note.clone()).filter(|n| !n.is_empty()),
            actor: Some(e.by_name.clone())
                .filter(|n| !n.is_empty() && initiatives::shows_name(i, &visitor, n)),
            tone: e.status.map_or(Tone::Neutral, status_tone),
        })
        .collect();
    let mut history = Section::titled(tr("Ход и обсуждение", "History and discussion"))
        .block(Block::Timeline(timeline));
    if let Viewer::Member(_) = visitor {
        history = history.form(
            Form::new("comment", tr("Комментировать", "Comment")).field(
                Field::multiline("text", tr("Комментарий", "Comment"))
                    .required()
                    .max_length(2000),
            ),
        );
    }
    page = page.section(history);
    if initiatives::is_reviewer() {
        match i.status {
            Status::UnderReview => {
                page = page.section(
                    Section::titled(tr("Решение", "Decision"))
                        .buttons([Button::action("accept", tr("Принять", "Accept"))
                            .confirm(tr("Принять инициативу?", "Accept the initiative?"))
                            .tone(Tone::Success)])
                        .form(
                            Form::new("reject", tr("Отклонить", "Reject")).field(
                                Field::multiline("note", tr("Причина отказа", "The reason"))
                                    .required()
                                    .max_length(2000),
                            ),
                        ),
                );
            }
            Status::Accepted => {
                page = page.section(
                    Section::titled(tr("Решение", "Decision")).form(
                        Form::new("implemented", tr("Реализована", "Implemented")).field(
                            Field::multiline("note", tr("Что сделано", "What was done"))
                                .max_length(2000),
                        ),
                    ),
                );
            }
            _ => {}
        }
    }
    Ok(page)
}

fn meeting_page(id: &str) -> Result<Page> {
    let doc = MEETINGS
        .get(id)?
        .ok_or_else(|| Error::not_found(tr("Нет такого собрания", "no such meeting")))?;
    let m = &doc.data;
    let mut page =
        Page::new(format!("{} №{}", tr("Собрание", "Meeting"), m.number)).breadcrumb(home_link());
    let now = ctx::now();
    let state = if m.status == assembly::Status::Closed {
        Badge::new(tr("Закрыто", "Closed"), Tone::Neutral)
    } else if now >= m.voting_from {
        Badge::new(tr("Идёт голосование", "Voting"), Tone::Info)
    } else {
        Badge::new(tr("Объявлено", "Announced"), Tone::Info)
    };
    let mut facts: Vec<(&str, Cell)> = vec![
        (tr("Статус", "Status"), Cell::from(state)),
        (
            tr("Собрание", "Meeting of"),
            Cell::from(match m.kind {
                crate::tally::MeetingKind::Mkd => tr(
                    "Собственники помещений дома (ЖК РФ ст. 44–48)",
                    "Owners of the building's premises (Housing Code art. 44–48)",
                ),
                crate::tally::MeetingKind::Snt => tr(
                    "Члены СНТ (217-ФЗ ст. 17)",
                    "Members of the garden partnership (217-FZ art. 17)",
                ),
            }),
        ),
        (
            tr("Форма", "Form"),
            Cell::from(match m.form {
                crate::tally::Form::InPerson => tr("Очное", "In person"),
                crate::tally::Form::Absentee => tr("Заочное", "Absentee"),
                crate::tally::Form::Mixed => tr("Очно-заочное", "In person and absentee"),
                crate::tally::Form::Electronic => tr(
                    "Заочное, в электронной форме (ЖК РФ ст. 47.1)",
                    "Absentee, electronic (Housing Code art. 47.1)",
                ),
            }),
        ),
        (
            tr("Инициатор", "Called by"),
            Cell::from(m.initiator.clone()),
        ),
        (tr("Место", "Place"), Cell::from(m.place.clone())),
    ];
    if let Ok(day) = m.notice_date.parse::<dvor_sdk::Date>() {
        facts.push((tr("Сообщение о собрании", "Notice given"), Cell::from(day)));
    }
    facts.push((
        tr("Голосование с", "Voting from"),
        Cell::datetime(m.voting_from),
    ));
    facts.push((
        tr("Голосование до", "Voting until"),
        Cell::datetime(m.voting_to),
    ));
    if !m.storage_place.is_empty() {
        facts.push((
            tr(
                "Где хранятся решения и протокол",
                "Where the ballots and the protocol are kept",
            ),
            Cell::from(m.storage_place.clone()),
        ));
    }
    if let Some(chair) = &m.chair {
        facts.push((tr("Председатель", "Chair"), Cell::from(chair.clone())));
    }
    if let Some(secretary) = &m.secretary {
        facts.push((tr("Секретарь", "Secretary"), Cell::from(secretary.clone())));
    }
    page = page.section(Section::untitled().fields(facts));
    let mut agenda = Section::titled(tr("Повестка дня", "Agenda"));
    for (i, q) in m.questions.iter().enumerate() {
        agenda = agenda.paragraph(format!("{}. {}", i + 1, q.title));
    }
    page = page.section(agenda);
    let mut materials = Section::titled(tr("Материалы собрания", "Meeting materials"));
    if m.documents.is_empty() {
        materials = materials.empty(
            tr("Материалов пока нет", "No materials yet"),
            tr(
                "Организатор приложит сообщение о собрании, проекты решений и отчёты",
                "The organizer attaches the notice, draft decisions and reports",
            ),
        );
    }
    for d in &m.documents {
        materials = materials.attachment(d.file.clone(), d.title.clone(), d.mime.clone(), d.size);
    }
    if assembly::is_organizer() && m.documents.len() < assembly::MAX_DOCUMENTS {
        materials = materials.form(
            Form::new("attach_document", tr("Приложить", "Attach"))
                .field(
                    Field::text("title", tr("Что это", "What it is"))
                        .max_length(200)
                        .help(tr(
                            "Например: проект сметы на 2027 год. Пусто — имя файла",
                            "e.g. the draft budget for 2027; empty: the file's name",
                        )),
                )
                .field(
                    Field::file(
                        "file",
                        tr("Файл (PDF, фото, документ)", "File (PDF, photo, document)"),
                        ["application/pdf", "image/jpeg", "image/png", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/msword", "text/plain"],
                    )
                    .required(),
                ),
        );
    }
    page = page.section(materials);
    if let Some(result) = &m.result {
        let mut section = Section::titled(tr("Итоги", "Results")).notice(
            if result.quorum {
                Tone::Success
            } else {
                Tone::Danger
            },
            if result.quorum {
                tr("Кворум есть", "Quorum reached")
            } else {
                tr("Кворума нет", "No quorum")
            },
        );
        for q in &result.questions {
            section = section.block(Block::Chart(Chart {
                kind: ChartKind::Pie,
                title: format!(
                    "{}. {} — {}",
                    q.index + 1,
                    m.questions
                        .get(q.index)
                        .map(|x| x.title.as_str())
                        .unwrap_or(""),
                    if q.adopted {
                        tr("принято", "adopted")
                    } else {
                        tr("не принято", "not adopted")
                    }
                ),
                labels: vec![
                    tr("За", "For").into(),
                    tr("Против", "Against").into(),
                    tr("Воздержались", "Abstained").into(),
                ],
                series: vec![Series {
                    name: tr("Голоса", "Votes").into(),
                    values: vec![q.for_.to_f64(), q.against.to_f64(), q.abstain.to_f64()],
                }],
                format: dvor_sdk::ui::ValueFormat::Number,
                unit: tr("голосов", "votes").to_owned(),
            }));
        }
        page = page.section(section);
        // The protocol names people: it is for the people of the place.
        let protocol = if viewer()?.sees_names() {
            assembly::protocol(id).ok()
        } else {
            None
        };
        if let Some(protocol) = protocol {
            let mut section = Section::titled(protocol.title.clone());
            for (heading, paragraphs) in &protocol.sections {
                section = section.heading(heading.clone());
                for p in paragraphs {
                    section = section.paragraph(p.clone());
                }
            }
            page = page.section(section);
        }
    }
    Ok(page)
}

/// The form or button `action` on the page at `route`: an error naming a field comes back next
/// to it, a conflict with the current state as a message on the page, a success as a redirect
/// to the poll or initiative with a notice.
pub fn act(route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let outcome = ActionOutcome::errors_next_to_fields(run(&parts(route), action, form));
    match outcome {
        // Named by no field, so the page shows it above its forms.
        Err(e) if e.is(ErrorCode::Conflict) => Ok(ActionOutcome::invalid([("", e.message)])),
        other => other,
    }
}

fn run(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match (route, action) {
        ([], "create_poll") => {
            let doc = polls::create(new_poll(form)?)?;
            Ok(ActionOutcome::redirect(
                poll_link(&doc.id),
                tr("Опрос создан", "Poll started"),
            ))
        }
        ([], "call_meeting") => {
            let doc = call_meeting(form)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("meeting/{}", doc.id), ""),
                tr(
                    "Собрание созвано, уведомление отправлено",
                    "Meeting called, notice sent",
                ),
            ))
        }
        (["meeting", id], "attach_document") => {
            assembly::attach_document(
                id,
                form.get("title").unwrap_or_default(),
                form.require("file")?,
            )?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("meeting/{id}"), ""),
                tr("Материал добавлен", "Material added"),
            ))
        }
        ([], "propose_initiative") => {
            let doc = initiatives::create(initiatives::NewInitiative {
                title: form.get("title").unwrap_or_default().to_owned(),
                description: form.get("description").unwrap_or_default().to_owned(),
                organization: form
                    .get("organization")
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(str::to_owned),
            })?;
            Ok(ActionOutcome::redirect(
                initiative_link(&doc.id),
                tr("Инициатива опубликована", "Initiative published"),
            ))
        }
        (["poll", id], "vote") => {
            polls::vote(
                id,
                polls::NewVote {
                    choices: choices_of(form)?,
                    text: form.get("text").map(str::to_owned),
                    unit: form
                        .get("unit")
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .map(str::to_owned),
                },
            )?;
            Ok(ActionOutcome::redirect(
                poll_link(id),
                tr("Голос принят", "Vote accepted"),
            ))
        }
        (["poll", id], "close_poll") => {
            polls::close(id)?;
            Ok(ActionOutcome::redirect(
                poll_link(id),
                tr("Опрос закрыт", "Poll closed"),
            ))
        }
        (["initiative", id], "support") => {
            let (doc, new) = initiatives::support(id)?;
            let notice = if !new {
                tr(
                    "Вы уже поддержали эту инициативу",
                    "You already support this initiative",
                )
            } else if doc.data.status == Status::UnderReview {
                tr(
                    "Поддержка учтена: инициатива набрала нужную поддержку и передана на рассмотрение",
                    "Support counted: the initiative has enough support and goes to the officials",
                )
            } else {
                tr("Поддержка учтена", "Support counted")
            };
            Ok(ActionOutcome::redirect(initiative_link(id), notice))
        }
        (["initiative", id], "comment") => {
            initiatives::comment(id, form.get("text").unwrap_or_default())?;
            Ok(ActionOutcome::redirect(
                initiative_link(id),
                tr("Комментарий добавлен", "Comment added"),
            ))
        }
        (["initiative", id], decision @ ("accept" | "reject" | "implemented")) => {
            let doc = initiatives::review(
                id,
                initiatives::Review {
                    decision: decision.to_owned(),
                    note: form.get("note").unwrap_or_default().to_owned(),
                },
            )?;
            Ok(ActionOutcome::redirect(
                initiative_link(id),
                format!(
                    "{}: {}",
                    tr("Решение записано", "Decision recorded"),
                    doc.data.status.label()
                ),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}

/// A new poll from its form.
fn new_poll(form: &Params) -> Result<NewPoll> {
    let kind = match form.get("kind").map(str::trim) {
        Some("single") => PollKind::Single,
        Some("multiple") => PollKind::Multiple,
        Some("text") => PollKind::Text,
        _ => {
            return Err(Error::invalid(
                "kind",
                tr("Выберите вид ответа", "choose the kind of answer"),
            ));
        }
    };
    let per = match form.get("per").map(str::trim) {
        None | Some("" | "person") => Per::Person,
        Some("unit") => Per::Unit,
        Some(_) => {
            return Err(Error::invalid(
                "per",
                tr("Выберите, кто голосует", "choose who votes"),
            ));
        }
    };
    let show = match form.get("show").map(str::trim) {
        None | Some("" | "live") => Show::Live,
        Some("after_close") => Show::AfterClose,
        Some(_) => {
            return Err(Error::invalid(
                "show",
                tr(
                    "Выберите, когда видны итоги",
                    "choose when the results are shown",
                ),
            ));
        }
    };
    let hours = form.int("hours")?.ok_or_else(|| {
        Error::invalid(
            "hours",
            tr("Укажите срок в часах", "give the duration in hours"),
        )
    })?;
    Ok(NewPoll {
        title: form.get("title").unwrap_or_default().to_owned(),
        description: String::new(),
        kind,
        options: option_lines(form.get("options").unwrap_or_default()),
        per,
        anonymous: form.flag("anonymous"),
        show,
        public: form.flag("public"),
        hours,
    })
}

/// The options typed one per line; blank lines are left out.
fn option_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The chosen options' indexes, submitted as repeated `choices`.
fn choices_of(form: &Params) -> Result<Vec<u32>> {
    form.all("choices")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse().map_err(|_| {
                Error::invalid(
                    "choices",
                    tr(
                        "Выберите варианты из списка",
                        "choose options from the list",
                    ),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Params {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn options_are_typed_one_per_line() {
        assert_eq!(
            option_lines(" Да \r\n\n Нет\n  \nС камерой\n"),
            ["Да", "Нет", "С камерой"]
        );
        assert!(option_lines("  \n\n").is_empty());
    }

    #[test]
    fn choices_are_repeated_indexes() {
        assert_eq!(
            choices_of(&form(&[
                ("choices", "0"),
                ("text", "x"),
                ("choices", " 2 ")
            ]))
            .unwrap(),
            [0, 2]
        );
        assert!(choices_of(&form(&[("choices", "")])).unwrap().is_empty());
        let bad = choices_of(&form(&[("choices", "да")])).unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("choices"));
    }

    #[test]
    fn a_poll_form_maps_to_a_new_poll() {
        let poll = new_poll(&form(&[
            ("title", "Ставим ёлку?"),
            ("kind", "multiple"),
            ("options", "Да\nНет"),
            ("hours", "24"),
            ("per", "unit"),
            ("show", "after_close"),
            ("anonymous", "true"),
        ]))
        .unwrap();
        assert_eq!(poll.kind, PollKind::Multiple);
        assert_eq!(poll.options, ["Да", "Нет"]);
        assert_eq!(
            (poll.per, poll.show, poll.anonymous),
            (Per::Unit, Show::AfterClose, true)
        );
        assert_eq!(poll.hours, 24);
        let defaults = new_poll(&form(&[("kind", "text"), ("hours", "1")])).unwrap();
        assert_eq!(
            (defaults.per, defaults.show, defaults.anonymous),
            (Per::Person, Show::Live, false)
        );
        assert!(defaults.options.is_empty());
        for (bad, field) in [
            (form(&[("kind", "poll"), ("hours", "1")]), "kind"),
            (form(&[("kind", "single")]), "hours"),
            (form(&[("kind", "single"), ("hours", "сутки")]), "hours"),
            (
                form(&[("kind", "single"), ("hours", "1"), ("per", "flat")]),
                "per",
            ),
        ] {
            assert_eq!(new_poll(&bad).unwrap_err().field.as_deref(), Some(field));
        }
    }
}
