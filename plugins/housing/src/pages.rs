//! The web pages, through the UI contract: the resident's accounts, bill (ЕПД), statement,
//! readings and requests; the operator's queue, billing runs, payments, statistics and
//! announcements. Forms post to actions; errors come back next to their fields.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use crate::access::{is_operator, is_staff, may_file_requests, my_accounts, visible_account};
use crate::charges::ReadingKind;
use crate::model::{AnnouncementKind, Period, READINGS, RUNS, RequestStatus, RunStatus, Settings};
use crate::{accounts, billing, bills_of, debt_of, epd, ledger, payments_of, requests};

fn home_link() -> Link {
    Link::to("", tr("ЖКХ", "Housing"))
}

fn account_link(number: &str) -> Link {
    Link::to(
        format!("account/{number}"),
        format!("{} {number}", tr("Лицевой счёт", "Account")),
    )
}

/// The page at `route`.
pub fn render(route: &str, query: &Params) -> Result<Page> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => home(query),
        ["account", number] => account_page(number),
        ["account", number, "bill", period] => bill_page(number, period),
        ["account", number, "statement"] => statement_page(number, query),
        ["requests"] => requests_page(query),
        ["request", id] => request_page(id),
        ["billing"] if is_operator() => billing_page(),
        ["stats"] if is_operator() => stats_page(),
        _ => Err(Error::not_found(tr("Нет такой страницы", "no such page"))),
    }
}

fn announcements_section() -> Result<Option<Section>> {
    let current = crate::current_announcements()?;
    if current.is_empty() {
        return Ok(None);
    }
    let mut section = Section::titled(tr("Объявления", "Announcements"));
    for a in current {
        let tone = match a.kind {
            AnnouncementKind::Outage => Tone::Danger,
            AnnouncementKind::Works => Tone::Warning,
            AnnouncementKind::Info => Tone::Info,
        };
        let when = match a.until {
            Some(u) => format!("{} — {}", a.from, u),
            None => format!("{} {}", tr("с", "from"), a.from),
        };
        section = section.notice(tone, format!("{} ({when}). {}", a.title, a.text));
    }
    Ok(Some(section))
}

fn home(query: &Params) -> Result<Page> {
    let mut page = Page::new(tr("ЖКХ", "Housing"));
    if let Some(section) = announcements_section()? {
        page = page.section(section);
    }
    if ctx::caller().is_none() {
        return Ok(page.section(Section::untitled().empty(
            tr("Войдите", "Sign in"),
            tr(
                "Войдите, чтобы увидеть свой лицевой счёт и подать заявку",
                "sign in to see your personal account and file a request",
            ),
        )));
    }
    let today = ctx::today()?;
    let (mine, next_page) = if is_operator() {
        // Staff: every account of the houses here, a page at a time.
        let page = crate::model::ACCOUNTS
            .query()
            .in_community(&ctx::community())
            .limit(50)
            .cursor(query.get("cursor"))
            .fetch()?;
        let next = page
            .next_cursor
            .map(|c| Link::to("", tr("Дальше", "More")).param("cursor", c));
        (page.docs, next)
    } else {
        (my_accounts()?, None)
    };
    let rows = mine.iter().map(|d| {
        Row::new([
            Cell::from(account_link(&d.data.number)),
            Cell::from(d.data.address.clone()),
            Cell::from(d.data.balance),
            Cell::from(debt_of(&d.data, today)),
        ])
    });
    page = page.section(
        Section::titled(if is_operator() {
            tr("Лицевые счета", "Personal accounts")
        } else {
            tr("Мои лицевые счета", "My accounts")
        })
        .table(
            Table::new([
                Column::text(tr("Счёт", "Account")),
                Column::text(tr("Адрес", "Address")),
                Column::numeric(tr("Баланс", "Balance")),
                Column::numeric(tr("Долг", "Debt")),
            ])
            .rows(rows)
            .empty_text(tr(
                "Лицевых счетов нет: подтвердите адрес в профиле или обратитесь в управляющую компанию",
                "no accounts: confirm your address in your profile or ask the management company",
            ))
            .next_page(next_page),
        ),
    );
    let mut links = vec![Link::to("requests", tr("Заявки", "Service requests"))];
    if is_operator() {
        links.push(Link::to(
            "billing",
            tr("Начисления и платежи", "Billing and payments"),
        ));
        links.push(Link::to(
            "stats",
            tr("Статистика заявок", "Request statistics"),
        ));
    }
    page = page.section(Section::untitled().links(links));
    if is_operator() {
        page = page.section(
            Section::titled(tr("Новое объявление", "New announcement")).form(
                Form::new("announce", tr("Опубликовать", "Publish"))
                    .field(
                        Field::select(
                            "kind",
                            tr("Что", "Kind"),
                            [
                                ("outage", tr("Отключение", "Outage")),
                                ("works", tr("Работы", "Works")),
                                ("info", tr("Информация", "Information")),
                            ],
                        )
                        .required(),
                    )
                    .field(
                        Field::text("title", tr("Заголовок", "Title"))
                            .required()
                            .max_length(200),
                    )
                    .field(
                        Field::multiline("text", tr("Текст", "Text"))
                            .required()
                            .max_length(4000),
                    )
                    .field(Field::date("from", tr("С", "From")).required())
                    .field(Field::date("until", tr("По", "Until"))),
            ),
        );
    }
    Ok(page)
}

fn account_page(number: &str) -> Result<Page> {
    let doc = visible_account(number)?;
    let account = &doc.data;
    let settings = Settings::load()?;
    let today = ctx::today()?;
    let bills = bills_of(&doc.id)?;
    let penalties = Kopecks((account.penalty_charged.0 - account.penalty_paid.0).max(0));
    let mut page = Page::new(format!(
        "{} {}",
        tr("Лицевой счёт", "Account"),
        account.number
    ))
    .breadcrumb(home_link())
    .section(Section::untitled().stats([
        Stat::new(tr("Баланс", "Balance"), account.balance).tone(
            if account.balance > Kopecks::ZERO {
                Tone::Warning
            } else {
                Tone::Success
            },
        ),
        Stat::new(tr("Долг", "Debt"), debt_of(account, today)),
        Stat::new(tr("Пени", "Penalties"), penalties),
        Stat::new(tr("Аванс", "Advance"), account.advance),
    ]))
    .section(Section::titled(tr("Счёт", "Account")).fields([
        (tr("Плательщик", "Payer"), Cell::from(account.payer.clone())),
        (tr("Адрес", "Address"), Cell::from(account.address.clone())),
        (
            tr("Площадь, м²", "Area, m²"),
            Cell::from(crate::model::Decimal::new(account.area, 2)),
        ),
        (
            tr("Зарегистрировано", "Registered residents"),
            Cell::from(account.residents),
        ),
    ]));
    // Meters and the reading form.
    let window_open = accounts::window_is_open(&settings, today);
    let mut meters = Section::titled(tr("Счётчики", "Meters"));
    let this_month = Period::of(today);
    let rows = account.meters.iter().map(|m| {
        let submitted = READINGS
            .get(&format!("{}@{this_month}", m.id))
            .ok()
            .flatten()
            .map(|d| billing::show_volume(d.data.value));
        Row::new([
            Cell::from(m.service.clone()),
            Cell::from(m.serial.clone()),
            Cell::from(billing::show_volume(m.last_value)),
            Cell::from(submitted),
            Cell::from(m.verified_until.map(|d| d.to_string())),
        ])
        .tone(if m.is_verified_on(today) {
            Tone::Neutral
        } else {
            Tone::Danger
        })
    });
    meters = meters.table(
        Table::new([
            Column::text(tr("Услуга", "Service")),
            Column::text(tr("Номер", "Serial")),
            Column::numeric(tr("Последнее учтённое", "Last billed")),
            Column::numeric(tr("Передано в этом месяце", "Submitted this month")),
            Column::text(tr("Поверка до", "Verified until")),
        ])
        .rows(rows)
        .empty_text(tr(
            "Счётчиков нет — начисление по нормативу",
            "No meters: charged by norm",
        )),
    );
    if account.meters.is_empty() {
    } else if window_open {
        meters = meters.form(
            Form::new(
                "submit-reading",
                tr("Передать показания", "Submit the reading"),
            )
            .field(
                Field::select(
                    "meter",
                    tr("Счётчик", "Meter"),
                    account
                        .meters
                        .iter()
                        .map(|m| (m.id.clone(), format!("{} № {}", m.service, m.serial))),
                )
                .required(),
            )
            .field(Field::number("value", tr("Показание", "Reading"), 3).required())
            .field(Field::select(
                "kind",
                tr("Особый случай", "Special case"),
                [
                    ("normal", tr("Нет", "None")),
                    ("replacement", tr("Счётчик заменён", "Meter replaced")),
                    (
                        "rollover",
                        tr("Счётчик прошёл через ноль", "Counter rolled over"),
                    ),
                ],
            ))
            .field(
                Field::number(
                    "old_final",
                    tr(
                        "Последнее показание старого счётчика",
                        "The old meter's last value",
                    ),
                    3,
                )
                .help(tr(
                    "Только при замене счётчика",
                    "Only when the meter was replaced",
                )),
            ),
        );
    } else {
        meters = meters.notice(Tone::Info, accounts::window_text(&settings));
    }
    page = page.section(meters);
    // Bills and payments.
    let bill_rows = bills.iter().rev().map(|b| {
        Row::new([
            Cell::from(Link::to(
                format!("account/{number}/bill/{}", b.period),
                b.period.dotted(),
            )),
            Cell::from(b.principal),
            Cell::from(b.penalty),
            Cell::from(b.to_pay),
            Cell::from(b.due.to_string()),
            Cell::from(Badge::new(
                if b.open {
                    tr("Не оплачен", "Unpaid")
                } else {
                    tr("Оплачен", "Paid")
                },
                if b.open { Tone::Warning } else { Tone::Success },
            )),
        ])
    });
    page = page.section(
        Section::titled(tr("Счета", "Bills"))
            .table(
                Table::new([
                    Column::text(tr("Месяц", "Month")),
                    Column::numeric(tr("Начислено", "Charged")),
                    Column::numeric(tr("Пени", "Penalties")),
                    Column::numeric(tr("К оплате", "To pay")),
                    Column::text(tr("Оплатить до", "Pay by")),
                    Column::text(tr("Статус", "Status")),
                ])
                .rows(bill_rows)
                .empty_text(tr("Счетов пока нет", "No bills yet")),
            )
            .links([Link::to(
                format!("account/{number}/statement"),
                tr("Выписка за период", "Statement for a period"),
            )]),
    );
    let payments = payments_of(&doc.id)?;
    page = page.section(
        Section::titled(tr("Платежи", "Payments")).table(
            Table::new([
                Column::text(tr("Дата", "Date")),
                Column::numeric(tr("Сумма", "Amount")),
                Column::text(tr("Откуда", "Source")),
            ])
            .rows(payments.iter().rev().map(|p| {
                Row::new([
                    Cell::from(p.date.to_string()),
                    Cell::from(p.amount),
                    Cell::from(p.source.code()),
                ])
            }))
            .empty_text(tr("Платежей нет", "No payments")),
        ),
    );
    if is_operator() {
        page = page.section(
            Section::titled(tr("Записать платёж", "Record a payment")).form(
                Form::new("record-payment", tr("Записать", "Record"))
                    .field(Field::money("amount", tr("Сумма", "Amount")).required())
                    .field(
                        Field::date("date", tr("Дата оплаты", "Paid on"))
                            .required()
                            .value(today.to_string()),
                    )
                    .field(
                        Field::text("reference", tr("Номер платёжного документа", "Reference"))
                            .required(),
                    )
                    .field(Field::text(
                        "period",
                        tr(
                            "За месяц (ГГГГ-ММ), если указан",
                            "For month (YYYY-MM), if named",
                        ),
                    )),
            ),
        );
    }
    Ok(page)
}

fn bill_page(number: &str, period: &str) -> Result<Page> {
    let doc = visible_account(number)?;
    let period = Period::parse_field("period", period)?;
    let bill = crate::model::BILLS
        .get(&format!("{}@{period}", doc.id))?
        .ok_or_else(|| {
            Error::not_found(tr(
                "Счёт за этот месяц ещё не выставлен",
                "no bill for that month yet",
            ))
        })?;
    let provider = accounts::provider_for(&doc.community)?;
    let document = epd::build(&doc.data, &bill.data, provider);
    let qr = Link::to(
        format!(
            "/api/c/{}/p/housing/accounts/{number}/bills/{period}/qr.svg",
            doc.community
        ),
        tr(
            "QR-код для оплаты в приложении банка",
            "Payment QR code for a banking app",
        ),
    );
    let mut page = Page::new(format!(
        "{} {} — {}",
        tr("Платёжный документ за", "Payment document for"),
        period.dotted(),
        doc.data.number
    ))
    .breadcrumb(home_link())
    .breadcrumb(account_link(number));
    for section in epd::sections(&document, Some(qr)) {
        page = page.section(section);
    }
    Ok(page.section(Section::untitled().paragraph(tr(
        "Распечатайте эту страницу из браузера (Ctrl+P) или сохраните её как PDF.",
        "Print this page from the browser (Ctrl+P) or save it as PDF.",
    ))))
}

fn statement_page(number: &str, query: &Params) -> Result<Page> {
    let doc = visible_account(number)?;
    let today = ctx::today()?;
    let from = query
        .date("from")?
        .unwrap_or(today.add_months(-12).unwrap_or(today));
    let to = query.date("to")?.unwrap_or(today);
    let statement = ledger::statement(&bills_of(&doc.id)?, &payments_of(&doc.id)?, from, to);
    Ok(Page::new(format!(
        "{} {}",
        tr("Выписка по счёту", "Statement of account"),
        doc.data.number
    ))
    .breadcrumb(home_link())
    .breadcrumb(account_link(number))
    .section(
        Section::untitled()
            .form(
                Form::new("statement", tr("Показать", "Show"))
                    .field(Field::date("from", tr("С", "From")).value(from.to_string()))
                    .field(Field::date("to", tr("По", "To")).value(to.to_string())),
            )
            .fields([
                (
                    tr("Долг на начало", "Opening balance"),
                    Cell::from(statement.opening),
                ),
                (tr("Начислено", "Charged"), Cell::from(statement.charged)),
                (tr("Оплачено", "Paid"), Cell::from(statement.paid)),
                (
                    tr("Долг на конец", "Closing balance"),
                    Cell::from(statement.closing),
                ),
            ])
            .table(
                Table::new([
                    Column::text(tr("Дата", "Date")),
                    Column::text(tr("Операция", "Entry")),
                    Column::numeric(tr("Начислено", "Charged")),
                    Column::numeric(tr("Оплачено", "Paid")),
                    Column::numeric(tr("Баланс", "Balance")),
                ])
                .rows(statement.lines.iter().map(|l| {
                    Row::new([
                        Cell::from(l.date.to_string()),
                        Cell::from(l.text.clone()),
                        Cell::from(l.charged),
                        Cell::from(l.paid),
                        Cell::from(l.balance),
                    ])
                }))
                .empty_text(tr("За период операций нет", "Nothing in this period")),
            ),
    ))
}

fn category_name(settings: &Settings, code: &str) -> String {
    settings
        .category(code)
        .map_or_else(|| code.to_owned(), |c| c.name().to_owned())
}

fn requests_page(query: &Params) -> Result<Page> {
    let settings = Settings::load()?;
    let caller = ctx::require_caller()?;
    let page_of = requests::list(query.get("status"), query.get("cursor"))?;
    let now = ctx::now();
    let rows = page_of.docs.iter().map(|d| {
        let r = &d.data;
        let overdue = requests::is_overdue(r, now);
        let mut status = vec![Badge::new(r.status.label(), r.status.tone())];
        if overdue {
            status.push(Badge::new(tr("Просрочена", "Overdue"), Tone::Danger));
        }
        Row::new([
            Cell::datetime(r.created),
            Cell::from(category_name(&settings, &r.category)),
            Cell::from(r.description.chars().take(80).collect::<String>()),
            Cell::from(status.into_iter().next().expect("one badge")),
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

fn request_page(id: &str) -> Result<Page> {
    let settings = Settings::load()?;
    let caller = ctx::require_caller()?;
    let doc = requests::visible(id)?;
    let r = &doc.data;
    let now = ctx::now();
    let mut badges = vec![Badge::new(r.status.label(), r.status.tone())];
    if requests::is_overdue(r, now) {
        badges.push(Badge::new(tr("Просрочена", "Overdue"), Tone::Danger));
    }
    let mut summary = Section::untitled()
        .badges(badges)
        .fields([
            (
                tr("Категория", "Category"),
                Cell::from(category_name(&settings, &r.category)),
            ),
            (tr("Автор", "Author"), Cell::from(r.author_name.clone())),
            (tr("Где", "Where"), Cell::from(r.place.clone())),
            (
                tr("Исполнитель", "Executor"),
                Cell::from(r.executor_name.clone()),
            ),
            (
                tr("Срок", "Deadline"),
                Cell::from(r.deadline.map(Cell::datetime)),
            ),
            (tr("Оценка", "Rating"), Cell::from(r.rating.map(i64::from))),
        ])
        .paragraph(r.description.clone());
    if let Some(photo) = &r.photo {
        summary = summary.block(dvor_sdk::ui::Block::Attachment((
            photo.clone(),
            tr("Фото", "Photo").to_owned(),
        )));
    }
    let mut page = Page::new(format!(
        "{} — {}",
        tr("Заявка", "Request"),
        category_name(&settings, &r.category)
    ))
    .breadcrumb(home_link())
    .breadcrumb(Link::to("requests", tr("Заявки", "Requests")))
    .section(summary);
    let timeline = r.history.iter().map(|e| dvor_sdk::ui::TimelineEntry {
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
        Section::titled(tr("Ход работ", "History"))
            .block(dvor_sdk::ui::Block::Timeline(timeline.collect())),
    );
    let mut actions = Section::titled(tr("Действия", "Actions"));
    let own = r.executor.as_deref() == Some(caller.person_id.as_str());
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
                Form::new("reject", tr("Отклонить", "Reject")).field(
                    Field::multiline("reason", tr("Причина", "Reason"))
                        .required()
                        .max_length(2000),
                ),
            );
    }
    if (own || is_operator()) && r.status == RequestStatus::Sent {
        actions = actions.buttons([Button::action("start", tr("Взять в работу", "Start work"))]);
    }
    if (own || is_operator()) && matches!(r.status, RequestStatus::Sent | RequestStatus::InProgress)
    {
        actions =
            actions.buttons([Button::action("done", tr("Выполнено", "Done")).tone(Tone::Success)]);
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

fn billing_page() -> Result<Page> {
    let today = ctx::today()?;
    let runs = RUNS
        .query()
        .in_community(&ctx::community())
        .order_by("requested", Direction::Desc)
        .limit(12)
        .fetch()?;
    let rows = runs.docs.iter().map(|d| {
        let r = &d.data;
        let status = match r.status {
            RunStatus::Pending => Badge::new(tr("В очереди", "Queued"), Tone::Info),
            RunStatus::Running => Badge::new(tr("Идёт", "Running"), Tone::Warning),
            RunStatus::Done => Badge::new(tr("Готово", "Done"), Tone::Success),
        };
        Row::new([
            Cell::from(r.period.dotted()),
            Cell::from(r.scope.clone()),
            Cell::from(status),
            Cell::from(i64::try_from(r.billed).unwrap_or(i64::MAX)),
            Cell::from(r.total),
            Cell::from(i64::try_from(r.anomalies).unwrap_or(i64::MAX)),
        ])
    });
    let mut anomalies = Section::titled(tr("Что проверить", "To look at"));
    if let Some(latest) = runs.docs.first() {
        anomalies = anomalies.table(
            Table::new([Column::text(tr("Счёт: что", "Account: what"))])
                .rows(
                    latest
                        .data
                        .anomaly_samples
                        .iter()
                        .map(|s| Row::new([Cell::from(s.clone())])),
                )
                .empty_text(tr("Ничего", "Nothing")),
        );
    }
    let flagged = READINGS
        .query()
        .in_community(&ctx::community())
        .filter("flagged", Compare::Eq, true)
        .filter("period", Compare::Eq, Period::of(today).to_string())
        .limit(100)
        .fetch()?;
    let flagged = Section::titled(tr(
        "Показания с резким ростом расхода",
        "Readings far above the average",
    ))
    .table(
        Table::new([
            Column::text(tr("Счёт", "Account")),
            Column::text(tr("Услуга", "Service")),
            Column::numeric(tr("Показание", "Reading")),
            Column::numeric(tr("Расход", "Volume")),
        ])
        .rows(flagged.docs.iter().map(|d| {
            let number = d
                .data
                .account
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .to_owned();
            Row::new([
                Cell::from(Link::to(format!("account/{number}"), number.clone())),
                Cell::from(d.data.service.clone()),
                Cell::from(billing::show_volume(d.data.value)),
                Cell::from(billing::show_volume(d.data.volume)),
            ])
            .tone(Tone::Warning)
        }))
        .empty_text(tr("Нет", "None")),
    );
    Ok(Page::new(tr("Начисления", "Billing"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("Расчёт месяца", "Billing month"))
                .form(
                    Form::new("run-billing", tr("Начислить", "Run billing")).field(
                        Field::text("period", tr("Месяц (ГГГГ-ММ)", "Month (YYYY-MM)"))
                            .required()
                            .value(Period::of(today).previous().to_string()),
                    ),
                )
                .paragraph(tr(
                    "Расчёт идёт частями в фоне; повторный запуск ничего не меняет для уже начисленных счетов.",
                    "The run goes in chunks in the background; running it again changes nothing for accounts already billed.",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Месяц", "Month")),
                        Column::text(tr("Где", "Scope")),
                        Column::text(tr("Статус", "Status")),
                        Column::numeric(tr("Счетов", "Accounts")),
                        Column::numeric(tr("Сумма", "Total")),
                        Column::numeric(tr("Замечаний", "Anomalies")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Расчётов ещё не было", "No runs yet")),
                ),
        )
        .section(anomalies)
        .section(flagged)
        .section(
            Section::titled(tr("Загрузка из файла", "Import from a file")).form(
                Form::new("import", tr("Загрузить", "Import"))
                    .field(
                        Field::select(
                            "what",
                            tr("Что", "What"),
                            [
                                ("accounts", tr("Лицевые счета", "Accounts")),
                                ("meters", tr("Счётчики", "Meters")),
                                ("tariffs", tr("Тарифы", "Tariffs")),
                                ("payments", tr("Реестр платежей банка", "Bank payment registry")),
                            ],
                        )
                        .required(),
                    )
                    .field(
                        Field::file("file", tr("Файл CSV (UTF-8)", "CSV file (UTF-8)"), ["text/csv", "text/plain"])
                            .required()
                            .help(tr(
                                "Столбцы описаны в документации; файл загружается целиком или не загружается вовсе",
                                "The columns are in the docs; a file is imported whole or not at all",
                            )),
                    ),
            ),
        ))
}

fn stats_page() -> Result<Page> {
    let stats = requests::stats()?;
    let settings = Settings::load()?;
    let hours = |h: Option<f64>| h.map_or_else(|| "—".to_owned(), |h| format!("{h:.1}"));
    let row = |name: String, t: &requests::Times| {
        Row::new([
            Cell::from(name),
            Cell::from(i64::try_from(t.total).unwrap_or(0)),
            Cell::from(i64::try_from(t.open).unwrap_or(0)),
            Cell::from(i64::try_from(t.overdue).unwrap_or(0)),
            Cell::from(hours(t.mean_response_hours)),
            Cell::from(hours(t.mean_completion_hours)),
        ])
        .tone(if t.overdue > 0 {
            Tone::Danger
        } else {
            Tone::Neutral
        })
    };
    let columns = || {
        [
            Column::text(tr("Кто / что", "Who / what")),
            Column::numeric(tr("Всего", "Total")),
            Column::numeric(tr("Открыто", "Open")),
            Column::numeric(tr("Просрочено", "Overdue")),
            Column::numeric(tr("Реакция, ч", "Response, h")),
            Column::numeric(tr("Выполнение, ч", "Completion, h")),
        ]
    };
    Ok(Page::new(tr("Статистика заявок", "Request statistics"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("По категориям", "By category")).table(
                Table::new(columns()).rows(
                    stats
                        .by_category
                        .iter()
                        .map(|(c, t)| row(category_name(&settings, c), t)),
                ),
            ),
        )
        .section(Section::titled(tr("По исполнителям", "By executor")).table(
            Table::new(columns()).rows(stats.by_executor.iter().map(|(n, t)| row(n.clone(), t))),
        ))
        .section(
            Section::untitled()
                .table(Table::new(columns()).row(row(tr("Всего", "All").to_owned(), &stats.all))),
        ))
}

/// Turn an error on a field into the form's answer; other errors stay errors.
/// The form or button `action` on the page at `route`.
pub fn act(route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    ActionOutcome::errors_next_to_fields(match (parts.as_slice(), action) {
        (["account", number], "submit-reading") => {
            let kind = match form.get("kind").unwrap_or("normal") {
                "replacement" => ReadingKind::Replacement,
                "rollover" => ReadingKind::Rollover,
                _ => ReadingKind::Normal,
            };
            let submitted = accounts::submit_reading(
                number,
                accounts::ReadingInput {
                    meter: form.require("meter")?.to_owned(),
                    value: form.require("value")?.to_owned(),
                    kind,
                    old_final: form
                        .get("old_final")
                        .filter(|v| !v.trim().is_empty())
                        .map(str::to_owned),
                },
            )?;
            let notice = if submitted.reading.flagged {
                tr(
                    "Показания приняты. Расход намного выше обычного — оператор проверит их.",
                    "Reading accepted. The volume is far above usual: an operator will check it.",
                )
            } else {
                tr("Показания приняты", "Reading accepted")
            };
            Ok(ActionOutcome::redirect(
                Link::to(format!("account/{number}"), ""),
                notice,
            ))
        }
        (["account", number], "record-payment") => {
            let caller = crate::access::require_operator()?;
            let settings = Settings::load()?;
            let date = Date::parse_field("date", form.require("date")?)?;
            let amount = form
                .kopecks("amount")?
                .ok_or_else(|| Error::invalid("amount", tr("Укажите сумму", "give the amount")))?;
            let period = form
                .get("period")
                .filter(|p| !p.trim().is_empty())
                .map(|p| Period::parse_field("period", p))
                .transpose()?;
            ledger::record(
                ledger::NewPayment {
                    source: crate::model::PaymentSource::Manual,
                    reference: form.require("reference")?.to_owned(),
                    account_id: crate::access::account_id(number),
                    date,
                    amount,
                    period,
                    by: Some(caller.person_id),
                },
                &settings,
            )?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("account/{number}"), ""),
                tr("Платёж записан", "Payment recorded"),
            ))
        }
        (["account", number, "statement"], "statement") => Ok(ActionOutcome::redirect_silently(
            Link::to(format!("account/{number}/statement"), "")
                .param("from", form.get("from").unwrap_or_default())
                .param("to", form.get("to").unwrap_or_default()),
        )),
        (["requests"], "new-request") => {
            let doc = requests::create(requests::NewRequest {
                category: form.require("category")?.to_owned(),
                description: form.get("description").unwrap_or_default().to_owned(),
                photo: form.get("photo").map(str::to_owned),
                place: form.get("place").map(str::to_owned),
            })?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("request/{}", doc.id), ""),
                tr("Заявка зарегистрирована", "Request registered"),
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
                "done" => requests::set_status(id, RequestStatus::Done, None)
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
        (["billing"], "run-billing") => {
            let caller = crate::access::require_operator()?;
            let period = Period::parse_field("period", form.require("period")?)?;
            if period > Period::of(ctx::today()?) {
                return Ok(ActionOutcome::invalid([(
                    "period",
                    tr(
                        "Нельзя начислить будущий месяц",
                        "cannot bill a future month",
                    ),
                )]));
            }
            billing::request_run(&ctx::community(), period, Some(caller.person_id))?;
            Ok(ActionOutcome::redirect(
                Link::to("billing", ""),
                tr("Расчёт поставлен в очередь", "The run is queued"),
            ))
        }
        (["billing"], "import") => {
            crate::access::require_operator()?;
            let file = form.require("file")?;
            let bytes = dvor_sdk::files::read(file)?;
            let imported = match form.require("what")? {
                "accounts" => accounts::import_accounts(&bytes)?,
                "meters" => accounts::import_meters(&bytes)?,
                "tariffs" => accounts::import_tariffs(&bytes)?,
                "payments" => crate::import_payments(&bytes)?,
                _ => {
                    return Ok(ActionOutcome::invalid([(
                        "what",
                        tr("Выберите, что загружать", "choose what to import"),
                    )]));
                }
            };
            if !imported.problems.is_empty() {
                return Ok(ActionOutcome::invalid([(
                    "file",
                    format!(
                        "{}: {}",
                        tr("Файл не загружен", "Nothing was imported"),
                        imported.problems_text()
                    ),
                )]));
            }
            Ok(ActionOutcome::redirect(
                Link::to("billing", ""),
                format!(
                    "{} {}{}",
                    tr("Загружено строк:", "Rows imported:"),
                    imported.imported,
                    if imported.duplicates > 0 {
                        format!(
                            " ({} {})",
                            tr("повторов:", "duplicates:"),
                            imported.duplicates
                        )
                    } else {
                        String::new()
                    }
                ),
            ))
        }
        ([], "announce") => {
            let caller = crate::access::require_operator()?;
            let kind = match form.require("kind")? {
                "outage" => AnnouncementKind::Outage,
                "works" => AnnouncementKind::Works,
                _ => AnnouncementKind::Info,
            };
            let input: crate::NewAnnouncement = serde_json::from_value(serde_json::json!({
                "kind": kind,
                "title": form.get("title").unwrap_or_default(),
                "text": form.get("text").unwrap_or_default(),
                "from": Date::parse_field("from", form.require("from")?)?,
                "until": form.get("until").filter(|u| !u.is_empty()).map(|u| Date::parse_field("until", u)).transpose()?,
            }))
            .map_err(|e| Error::invalid("text", e.to_string()))?;
            let doc = crate::announce(input, &caller)?;
            Ok(ActionOutcome::redirect(
                Link::to("", ""),
                format!(
                    "{} {}",
                    tr(
                        "Объявление опубликовано; получателей:",
                        "Published; people reached:"
                    ),
                    doc.data.reached
                ),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}
