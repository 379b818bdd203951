//! The web pages, through the UI contract: public appeals on a map and in a list with filters,
//! filing one (category first, then its fields), an appeal with its timeline and the forms of
//! whoever may act on it, the moderation queue and the statistics. Forms post to actions;
//! errors come back next to their fields.

use std::collections::BTreeMap;

use dvor_sdk::directory;
use dvor_sdk::prelude::*;
use dvor_sdk::ui::{Block, Chart, ChartKind, Marker, Series, TimelineEntry};

use crate::access::{self, is_moderator_here};
use crate::appeals::{
    self, Author, ChangeStatus, Filter, Moderate, NewAppeal, NewComment, Verdict,
};
use crate::model::{Appeal, Kind, Moderation, Status, localized};
use crate::stats;

fn home_link() -> Link {
    Link::to("", tr("Обращения", "Appeals"))
}

fn status_tone(status: Status) -> Tone {
    match status {
        Status::New => Tone::Info,
        Status::Accepted => Tone::Neutral,
        Status::NeedsInfo => Tone::Warning,
        Status::Resolved | Status::Explained => Tone::Success,
        Status::Rejected | Status::Duplicate => Tone::Danger,
    }
}

fn status_badge(appeal: &Appeal) -> Badge {
    Badge::new(appeal.status.label(), status_tone(appeal.status))
}

fn appeal_link(id: &str, appeal: &Appeal) -> Link {
    Link::to(format!("appeal/{id}"), format!("№{}", appeal.number))
}

/// The page at `route`.
pub fn render(route: &str, query: &Params) -> Result<Page> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => home(query),
        ["new"] => new_page(query.get("category")),
        // The category in the path, so a refused form is drawn again with its category.
        ["new", category] => new_page(Some(category)),
        ["appeal", id] => appeal_page(id),
        ["queue"] => queue_page(),
        ["stats"] => stats_page(query),
        _ => Err(Error::not_found(tr("Нет такой страницы", "no such page"))),
    }
}

fn appeals_table(docs: &[Doc<Appeal>], categories: &BTreeMap<String, String>) -> Table {
    Table::new([
        Column::text("№"),
        Column::text(tr("Категория", "Category")),
        Column::text(tr("Описание", "Description")),
        Column::text(tr("Статус", "Status")),
        Column::text(tr("Подано", "Filed")),
        Column::numeric(tr("Поддержали", "Supporters")),
    ])
    .rows(docs.iter().map(|doc| {
        let a = &doc.data;
        let short: String = a.description.chars().take(80).collect();
        let row = Row::new([
            Cell::from(appeal_link(&doc.id, a)),
            Cell::from(
                categories
                    .get(&a.category)
                    .cloned()
                    .unwrap_or_else(|| a.category.clone()),
            ),
            Cell::from(short),
            Cell::from(status_badge(a)),
            Cell::date(a.created),
            Cell::from(i64::from(a.supporters)),
        ])
        .link(Link::to(
            format!("appeal/{}", doc.id),
            format!("№{}", a.number),
        ));
        if a.overdue {
            row.tone(Tone::Warning)
        } else {
            row
        }
    }))
    .empty_text(tr("Обращений нет", "No appeals"))
}

fn category_names() -> Result<BTreeMap<String, String>> {
    Ok(appeals::categories()?
        .into_iter()
        .map(|c| (c.code.clone(), c.name().to_owned()))
        .collect())
}

fn home(query: &Params) -> Result<Page> {
    let filter = Filter {
        status: query
            .get("status")
            .filter(|s| !s.is_empty())
            .map(|s| Status::parse_field("status", s))
            .transpose()?,
        category: query
            .get("category")
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        mine: query.flag("mine"),
        ..Filter::default()
    };
    let caller = ctx::caller();
    if filter.mine && caller.is_none() {
        return Err(Error::unauthenticated(tr("Войдите", "sign in")));
    }
    let page = appeals::list(&filter, query.get("cursor"), 50)?;
    let categories = category_names()?;
    let mut links = vec![
        Link::to("new", tr("Подать обращение", "File an appeal")),
        Link::to("", tr("Все", "All")),
    ];
    if caller.is_some() {
        links.push(Link::to("", tr("Мои обращения", "My appeals")).param("mine", "true"));
    }
    if caller.as_ref().is_some_and(is_moderator_here) {
        links.push(Link::to("queue", tr("Модерация", "Moderation")));
    }
    if stats::audience().is_ok() {
        links.push(Link::to("stats", tr("Статистика", "Statistics")));
    }
    let markers: Vec<Marker> = page
        .docs
        .iter()
        .filter_map(|doc| {
            doc.data.point.map(|p| Marker {
                point: dvor_sdk::ui::GeoPoint {
                    lat: p.lat,
                    lon: p.lon,
                },
                label: format!(
                    "№{} {}",
                    doc.data.number,
                    categories
                        .get(&doc.data.category)
                        .cloned()
                        .unwrap_or_default()
                ),
                link: Some(Link::to(
                    format!("appeal/{}", doc.id),
                    format!("№{}", doc.data.number),
                )),
                tone: status_tone(doc.data.status),
            })
        })
        .collect();
    let mut filters = vec![];
    for status in [Status::New, Status::Accepted, Status::Resolved] {
        filters.push(Link::to("", status.label()).param("status", status.as_str()));
    }
    let next = page
        .next_cursor
        .map(|c| Link::to("", tr("Дальше", "Next")).param("cursor", c));
    let mut list = Section::titled(tr("Обращения", "Appeals")).links(filters);
    if !markers.is_empty() {
        list = list.block(Block::Markers(markers));
    }
    // Appeals given by an address, without a point: named under the map, not lost.
    let by_address: Vec<Link> = page
        .docs
        .iter()
        .filter(|d| d.data.point.is_none())
        .filter_map(|d| {
            let address = d.data.address.as_deref()?;
            Some(Link::to(
                format!("appeal/{}", d.id),
                format!("№{} — {address}", d.data.number),
            ))
        })
        .collect();
    if !by_address.is_empty() {
        list = list
            .paragraph(tr(
                "Указаны адресом, без точки на карте:",
                "Given by address, without a point on the map:",
            ))
            .links(by_address);
    }
    Ok(Page::new(tr("Народный контроль", "People's control"))
        .section(
            Section::untitled()
                .paragraph(tr(
                    "Сообщите о проблеме, предложите улучшение или поблагодарите — обращение уйдёт в организацию, которая за это отвечает, и вы увидите каждый шаг.",
                    "Report a problem, suggest an improvement or say thanks: the appeal goes to the body responsible, and you see every step.",
                ))
                .links(links),
        )
        .section(list.table(appeals_table(&page.docs, &categories).next_page(next))))
}

fn new_page(category: Option<&str>) -> Result<Page> {
    ctx::require_caller()?;
    let categories = appeals::categories()?;
    let chosen = category.and_then(|code| categories.iter().find(|c| c.code == code && c.active));
    let page = Page::new(tr("Новое обращение", "New appeal")).breadcrumb(home_link());
    let Some(category) = chosen else {
        return Ok(page.section(
            Section::titled(tr("Выберите категорию", "Choose a category")).links(
                categories
                    .iter()
                    .filter(|c| c.active)
                    .map(|c| Link::to(format!("new/{}", c.code), c.name())),
            ),
        ));
    };
    let mut form = Form::new("file", tr("Отправить", "Send"))
        .field(Field::hidden("category", category.code.clone()))
        .field(Field::select(
            "kind",
            tr("Что это", "What it is"),
            [Kind::Problem, Kind::Suggestion, Kind::Thanks].map(|k| {
                (
                    serde_json::to_value(k)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    k.label(),
                )
            }),
        ))
        .field(
            Field::multiline("description", tr("Что случилось", "What happened"))
                .required()
                .max_length(4000),
        )
        .field(Field::location(
            "location",
            tr("Точка на карте", "Point on the map"),
        ))
        .field(Field::text("address", tr("Или адрес", "Or the address")).max_length(300))
        .field(Field::file(
            "photo",
            tr("Фото", "Photo"),
            ["image/jpeg", "image/png", "image/webp"],
        ));
    // What is already filed in this category here and above: support it instead of filing it
    // twice (the same appeals the filing is checked against).
    let open: Vec<Doc<Appeal>> =
        appeals::open_in_category(&category.code, &crate::model::Settings::load()?)?
            .into_iter()
            .take(5)
            .collect();
    if !open.is_empty() {
        form = form.field(Field::checkbox(
            "different",
            tr(
                "Я посмотрел(а) похожие обращения выше — у меня другая проблема",
                "I looked at the similar appeals above: mine is a different problem",
            ),
        ));
    }
    for field in &category.fields {
        let label = localized(&field.label_ru, &field.label_en);
        let name = format!("attr_{}", field.code);
        let mut input = match field.datatype.as_str() {
            "singlevaluelist" => Field::select(
                name,
                label,
                field
                    .values
                    .iter()
                    .map(|c| (c.key.clone(), localized(&c.name_ru, &c.name_en).to_owned())),
            ),
            "multivaluelist" => Field::multi_select(
                name,
                label,
                field
                    .values
                    .iter()
                    .map(|c| (c.key.clone(), localized(&c.name_ru, &c.name_en).to_owned())),
            ),
            "number" => Field::number(name, label, 2),
            "text" => Field::multiline(name, label),
            _ => Field::text(name, label),
        };
        if field.required {
            input = input.required();
        }
        form = form.field(input);
    }
    let here = ctx::community();
    let answers = appeals::route(category, &here).map(|o| appeals::organization_name(&o, &here));
    let mut page = page;
    if !open.is_empty() {
        page = page.section(
            Section::titled(tr("Уже сообщили", "Already reported"))
                .paragraph(tr(
                    "Если ваша проблема среди этих, откройте обращение и поддержите его: так его решат быстрее.",
                    "If your problem is one of these, open the appeal and support it: that gets it solved sooner.",
                ))
                .links(open.iter().map(|d| {
                    let short: String = d.data.description.chars().take(90).collect();
                    Link::to(
                        format!("appeal/{}", d.id),
                        format!("№{} · {} · {short}", d.data.number, d.data.status.label()),
                    )
                })),
        );
    }
    let mut about = Section::titled(category.name());
    if let Some(name) = answers {
        about = about.fields([(tr("Ответит", "Answered by"), Cell::from(name))]);
    }
    Ok(page.section(
        about
            .paragraph(format!(
                "{} {} {}.{}",
                tr("Ответ — в течение", "Answered within"),
                category.deadline_days,
                tr("дн", "days"),
                if category.public {
                    ""
                } else {
                    tr(
                        " Обращение увидят только вы и те, кто его рассматривает.",
                        " Only you and those handling it will see the appeal.",
                    )
                }
            ))
            .form(form),
    ))
}

fn appeal_page(id: &str) -> Result<Page> {
    let (doc, standing) = appeals::visible(id)?;
    let a = &doc.data;
    let categories = category_names()?;
    let mut page =
        Page::new(format!("{} №{}", tr("Обращение", "Appeal"), a.number)).breadcrumb(home_link());
    let mut fields: Vec<(String, Cell)> = vec![
        (tr("Статус", "Status").into(), Cell::from(status_badge(a))),
        (
            tr("Категория", "Category").into(),
            Cell::from(
                categories
                    .get(&a.category)
                    .cloned()
                    .unwrap_or_else(|| a.category.clone()),
            ),
        ),
        (tr("Вид", "Kind").into(), Cell::from(a.kind.label())),
        (
            tr("Автор", "Author").into(),
            Cell::from(a.author_name.clone()),
        ),
        (
            tr("Исполнитель", "Responsible").into(),
            Cell::from(
                a.organization
                    .as_deref()
                    .map(|o| appeals::organization_name(o, &doc.community)),
            ),
        ),
        (tr("Подано", "Filed").into(), Cell::datetime(a.created)),
        (tr("Срок ответа", "Due").into(), Cell::date(a.deadline)),
        (tr("Адрес", "Address").into(), Cell::from(a.address.clone())),
        (
            tr("Поддержали", "Supporters").into(),
            Cell::from(i64::from(a.supporters)),
        ),
    ];
    // The category's extra fields by their questions, and list answers by their names.
    let category = appeals::category(&a.category)?;
    for (code, values) in &a.attributes {
        let field = category
            .as_ref()
            .and_then(|c| c.fields.iter().find(|f| &f.code == code));
        let label = field.map_or(code.as_str(), |f| localized(&f.label_ru, &f.label_en));
        let shown: Vec<&str> = values
            .iter()
            .map(|v| {
                field
                    .and_then(|f| f.values.iter().find(|c| &c.key == v))
                    .map_or(v.as_str(), |c| localized(&c.name_ru, &c.name_en))
            })
            .collect();
        fields.push((label.to_owned(), Cell::from(shown.join(", "))));
    }
    if standing.handles()
        && let Some(contact) = &a.contact
    {
        fields.push((tr("Контакт", "Contact").into(), Cell::from(contact.clone())));
    }
    let mut main = Section::untitled()
        .paragraph(a.description.clone())
        .fields(fields);
    if a.overdue {
        main = main.notice(
            Tone::Warning,
            tr("Срок ответа истёк", "The deadline has passed"),
        );
    }
    if a.moderation == Moderation::Pending {
        main = main.notice(
            Tone::Info,
            tr(
                "Обращение ждёт модерации",
                "The appeal is waiting for moderation",
            ),
        );
    }
    if let Some(point) = a.point {
        main = main.block(Block::Markers(vec![Marker {
            point: dvor_sdk::ui::GeoPoint {
                lat: point.lat,
                lon: point.lon,
            },
            label: format!("№{}", a.number),
            link: None,
            tone: status_tone(a.status),
        }]));
    }
    for (i, photo) in a.photos.iter().enumerate() {
        main = main.photo(
            photo.clone(),
            format!("{} {} · №{}", tr("Фото", "Photo"), i + 1, a.number),
        );
    }
    page = page.section(main);
    let timeline: Vec<TimelineEntry> = a
        .timeline
        .iter()
        .map(|e| TimelineEntry {
            at: e.at,
            title: match e.status {
                Some(status) => status.label().to_owned(),
                None => match e.kind.as_str() {
                    "comment" => tr("Комментарий", "Comment").to_owned(),
                    "route" => tr("Маршрутизация", "Routing").to_owned(),
                    "forward" | "external" => tr("Внешняя система", "External system").to_owned(),
                    "overdue" | "escalation" => tr("Срок", "Deadline").to_owned(),
                    _ => tr("Событие", "Event").to_owned(),
                },
            },
            note: (!e.note.is_empty()).then(|| e.note.clone()),
            actor: (!e.by_name.is_empty()).then(|| e.by_name.clone()),
            tone: e.status.map_or(Tone::Neutral, status_tone),
        })
        .collect();
    page = page.section(
        Section::titled(tr("Ход рассмотрения", "Timeline")).block(Block::Timeline(timeline)),
    );
    let caller = ctx::caller();
    if caller.is_some() && access::is_public(a) && !standing.author {
        page = page.section(
            Section::untitled().buttons([Button::action("support", tr("Поддержать", "Support"))]),
        );
    }
    if standing.author || standing.handles() {
        page = page.section(
            Section::titled(tr("Комментарий", "Comment")).form(
                Form::new("comment", tr("Отправить", "Send")).field(
                    Field::multiline("text", tr("Текст", "Text"))
                        .required()
                        .max_length(4000),
                ),
            ),
        );
    }
    if standing.author && matches!(a.status, Status::Resolved | Status::Explained) && !a.confirmed {
        page = page.section(
            Section::titled(tr("Проблема решена?", "Is it fixed?"))
                .buttons([
                    Button::action("confirm", tr("Да, подтверждаю", "Yes, confirmed"))
                        .tone(Tone::Success),
                ])
                .form(Form::new("reopen", tr("Вернуть в работу", "Reopen")).field(
                    Field::multiline("note", tr("Что не так", "What is still wrong")).required(),
                )),
        );
    }
    if standing.handles() && a.moderation == Moderation::Approved && !a.status.is_closed() {
        page = page.section(
            Section::titled(tr("Рассмотрение", "Handling")).form(
                Form::new("status", tr("Сохранить", "Save"))
                    .field(
                        Field::select(
                            "status",
                            tr("Новый статус", "New status"),
                            [
                                Status::Accepted,
                                Status::NeedsInfo,
                                Status::Resolved,
                                Status::Explained,
                                Status::Rejected,
                            ]
                            .map(|s| (s.as_str(), s.label())),
                        )
                        .required(),
                    )
                    .field(Field::multiline(
                        "note",
                        tr("Пояснение для автора", "Note to the author"),
                    )),
            ),
        );
    }
    if standing.moderator && !a.status.is_closed() {
        let mut moderation = Section::titled(tr("Модерация", "Moderation"));
        let similar = appeals::similar(
            &a.category,
            a.point,
            a.address.as_deref(),
            Some(&a.description),
            Some(&doc.id),
        )?;
        if !similar.is_empty() {
            moderation = moderation.notice(
                Tone::Warning,
                format!(
                    "{}: {}",
                    tr("Похожие обращения рядом", "Similar appeals nearby"),
                    similar
                        .iter()
                        .map(|s| format!("№{}", s.number))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        moderation = moderation
            .form(
                Form::new("approve", tr("Опубликовать", "Publish"))
                    .field(
                        Field::multiline("description", tr("Формулировка", "Wording"))
                            .value(a.description.clone()),
                    )
                    .field(
                        Field::select(
                            "organization",
                            tr("Исполнитель", "Responsible"),
                            directory::organizations(&doc.community, None)
                                .into_iter()
                                .map(|o| (o.id, o.name)),
                        )
                        .value(a.organization.clone().unwrap_or_default())
                        .help(tr(
                            "Организации, которые работают в этом месте",
                            "The organizations that serve this place",
                        )),
                    ),
            )
            .form(
                Form::new("reject", tr("Отклонить", "Reject")).field(
                    Field::multiline("reason", tr("Причина для автора", "Reason for the author"))
                        .required(),
                ),
            )
            .form(
                Form::new("duplicate", tr("Это дубликат", "Mark duplicate")).field(
                    Field::number("duplicate_of", tr("Номер обращения", "Appeal number"), 0)
                        .required(),
                ),
            );
        page = page.section(moderation);
    }
    Ok(page)
}

fn queue_page() -> Result<Page> {
    let caller = ctx::require_caller()?;
    if !is_moderator_here(&caller) {
        return Err(Error::forbidden(tr(
            "Это страница модераторов",
            "this page is for moderators",
        )));
    }
    let filter = Filter {
        moderation_queue: true,
        ..Filter::default()
    };
    let page = appeals::list(&filter, None, 100)?;
    Ok(Page::new(tr("Модерация", "Moderation"))
        .breadcrumb(home_link())
        .section(Section::untitled().table(appeals_table(&page.docs, &category_names()?))))
}

/// The period the statistics page shows: `from` and `to` of the query (days), a year back
/// from today by default.
fn stats_period(
    query: &Params,
) -> Result<(Option<dvor_sdk::Date>, Option<dvor_sdk::Date>, i64, i64)> {
    let from = query.date("from")?;
    let to = query.date("to")?;
    let offset = i64::from(ctx::utc_offset_minutes()?) * 60_000;
    let start = |d: dvor_sdk::Date| d.days_since_epoch() * 86_400_000 - offset;
    let now = ctx::now();
    let from_ms = from.map_or(now - 365 * 86_400_000, start);
    let to_ms = to.map_or(now + 1, |d| start(d) + 86_400_000);
    if to_ms <= from_ms {
        return Err(Error::invalid(
            "to",
            tr("Конец периода раньше начала", "the end is before the start"),
        ));
    }
    Ok((from, to, from_ms, to_ms))
}

/// A breakdown's keys as people read them: categories, statuses and organizations by name.
fn named_rows(rows: &[stats::Row], name: &dyn Fn(&str) -> String) -> Vec<stats::Row> {
    rows.iter()
        .map(|r| stats::Row {
            key: name(&r.key),
            count: r.count,
        })
        .collect()
}

/// The statistics' breakdowns by category, status and organization, each named as people
/// read it.
fn named_breakdowns(
    figures: &stats::Stats,
) -> Result<(Vec<stats::Row>, Vec<stats::Row>, Vec<stats::Row>)> {
    let categories = category_names()?;
    let here = ctx::community();
    let by_category = named_rows(&figures.by_category, &|k| {
        categories.get(k).cloned().unwrap_or_else(|| k.to_owned())
    });
    let by_status = named_rows(&figures.by_status, &|k| {
        Status::ALL
            .into_iter()
            .find(|s| s.as_str() == k)
            .map_or_else(|| k.to_owned(), |s| s.label().to_owned())
    });
    let by_organization = named_rows(&figures.by_organization, &|k| {
        if k == "—" || k.is_empty() {
            tr("Не назначено", "Not assigned").to_owned()
        } else {
            appeals::organization_name(k, &here)
        }
    });
    Ok((by_category, by_status, by_organization))
}

/// The statistics as a sheet for people: names, not codes, and Russian decimals.
fn people_csv(figures: &stats::Stats) -> Result<Vec<u8>> {
    let (by_category, by_status, by_organization) = named_breakdowns(figures)?;
    let mut rows: Vec<[String; 3]> = vec![[
        tr("Раздел", "Section").into(),
        tr("Что", "What").into(),
        tr("Обращений", "Appeals").into(),
    ]];
    for (section, breakdown) in [
        (tr("Категория", "Category"), by_category),
        (tr("Статус", "Status"), by_status),
        (tr("Организация", "Organization"), by_organization),
    ] {
        for row in breakdown {
            rows.push([section.into(), row.key, row.count.to_string()]);
        }
    }
    let decimal = |x: f64| {
        dvor_sdk::Decimal::new((x * 10.0).round() as i64, 1)
            .to_string()
            .replace('.', tr(",", "."))
    };
    let total = tr("Итого", "Total");
    for (what, value) in [
        (tr("Всего", "Total"), figures.total.to_string()),
        (tr("Решено", "Resolved"), figures.resolved.to_string()),
        (
            tr("Среднее время решения, ч", "Average hours to resolve"),
            figures
                .average_hours_to_resolve
                .map(decimal)
                .unwrap_or_default(),
        ),
        (tr("Просрочено", "Overdue"), figures.overdue.to_string()),
        (
            tr("Просрочено, %", "Overdue, %"),
            decimal(figures.overdue_percent),
        ),
    ] {
        rows.push([total.into(), what.into(), value]);
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(&row)
            .map_err(|e| Error::internal(e.to_string()))?;
    }
    out.into_inner().map_err(|e| Error::internal(e.to_string()))
}

fn stats_page(query: &Params) -> Result<Page> {
    let (from, to, from_ms, to_ms) = stats_period(query)?;
    let figures = stats::compute(from_ms, to_ms)?;
    let chart = |title: &str, kind: ChartKind, rows: &[stats::Row]| Chart {
        kind,
        title: title.into(),
        labels: rows.iter().map(|r| r.key.clone()).collect(),
        series: vec![Series {
            name: tr("Обращения", "Appeals").into(),
            values: rows.iter().map(|r| r.count as f64).collect(),
        }],
        format: dvor_sdk::ui::ValueFormat::Number,
        unit: tr("обращений", "appeals").into(),
    };
    let (by_category, by_status, by_organization) = named_breakdowns(&figures)?;
    // One decimal, written as the locale writes it.
    let tenths = |x: f64| Cell::from(dvor_sdk::Decimal::new((x * 10.0).round() as i64, 1));
    let day_field = |name: &str, label: &str, day: Option<dvor_sdk::Date>| {
        let field = Field::date(name, label);
        match day {
            Some(d) => field.day_value(d),
            None => field,
        }
    };
    let filter = Form::new("period", tr("Показать", "Show"))
        .field(day_field("from", tr("С", "From"), from))
        .field(day_field("to", tr("По", "To"), to));
    let mut download = Button::action("csv", tr("Скачать CSV", "Download CSV"));
    for (k, v) in [("from", from), ("to", to)] {
        if let Some(d) = v {
            download = download.arg(k, d.to_string());
        }
    }
    let mut section = Section::titled(match (from, to) {
        (None, None) => tr("За год", "Over a year").to_owned(),
        _ => tr("За выбранный период", "Over the chosen period").to_owned(),
    })
    .form(filter)
    .stats([
        Stat::new(tr("Всего", "Total"), figures.total as i64),
        Stat::new(tr("Решено", "Resolved"), figures.resolved as i64),
        Stat::new(
            tr("Среднее время решения, ч", "Average hours to resolve"),
            figures.average_hours_to_resolve.map_or(Cell::Empty, tenths),
        ),
        Stat::new(
            tr("Просрочено, %", "Overdue, %"),
            tenths(figures.overdue_percent),
        ),
    ])
    .block(Block::Chart(chart(
        tr("По категориям", "By category"),
        ChartKind::Bar,
        &by_category,
    )))
    .block(Block::Chart(chart(
        tr("По статусам", "By status"),
        ChartKind::Pie,
        &by_status,
    )))
    .block(Block::Chart(chart(
        tr("По организациям", "By organization"),
        ChartKind::Bar,
        &by_organization,
    )))
    .buttons([download]);
    if let Some(file) = query.get("file").filter(|f| !f.is_empty())
        && let Some(info) = dvor_sdk::files::info(file)?
    {
        section = section
            .notice(
                Tone::Success,
                tr(
                    "Файл готов — нажмите, чтобы скачать",
                    "The file is ready: follow the link to download it",
                ),
            )
            .attachment(
                info.id.clone(),
                info.name.clone(),
                info.content_type.clone(),
                info.size,
            );
    }
    Ok(Page::new(tr("Статистика обращений", "Appeal statistics"))
        .breadcrumb(home_link())
        .section(section))
}

fn done(id: &str, notice: &str) -> Result<ActionOutcome> {
    Ok(ActionOutcome::redirect(
        Link::to(format!("appeal/{id}"), ""),
        notice,
    ))
}

/// The form or button `action` on the page at `route`.
pub fn act(route: &str, action: &str, form: &Params) -> Result<ActionOutcome> {
    let parts: Vec<&str> = route.split('/').filter(|p| !p.is_empty()).collect();
    let text = |name: &str| form.get(name).unwrap_or("").to_owned();
    ActionOutcome::errors_next_to_fields(match (parts.as_slice(), action) {
        (["new"] | ["new", _], "file") => {
            let (lat, lon) = match form.get("location").filter(|l| !l.trim().is_empty()) {
                None => (None, None),
                Some(location) => {
                    let parsed = location.split_once(',').and_then(|(a, b)| {
                        Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?))
                    });
                    match parsed {
                        Some((lat, lon)) => (Some(lat), Some(lon)),
                        None => {
                            return Ok(ActionOutcome::invalid([(
                                "location",
                                tr("Точка — «широта,долгота»", "a point is “lat,lon”"),
                            )]));
                        }
                    }
                }
            };
            let mut attributes = BTreeMap::new();
            for (name, value) in form.iter() {
                if let Some(code) = name.strip_prefix("attr_") {
                    let entry = attributes
                        .entry(code.to_owned())
                        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                    if let serde_json::Value::Array(values) = entry {
                        values.push(value.into());
                    }
                }
            }
            let kind =
                serde_json::from_value(serde_json::Value::String(text("kind"))).unwrap_or_default();
            let input = NewAppeal {
                kind,
                category: text("category"),
                description: text("description"),
                lat,
                lon,
                address: form.get("address").map(str::to_owned),
                attributes,
                photos: form
                    .get("photo")
                    .filter(|p| !p.is_empty())
                    .map(|p| vec![p.to_owned()])
                    .unwrap_or_default(),
                ..NewAppeal::default()
            };
            if !form.flag("different") {
                let similar = appeals::similar(
                    &input.category,
                    input
                        .lat
                        .zip(input.lon)
                        .map(|(lat, lon)| crate::model::Point { lat, lon }),
                    input.address.as_deref(),
                    Some(&input.description),
                    None,
                )?;
                if !similar.is_empty() {
                    let numbers: Vec<String> =
                        similar.iter().map(|s| format!("№{}", s.number)).collect();
                    return Ok(ActionOutcome::invalid([(
                        "description",
                        format!(
                            "{} {}. {}",
                            tr(
                                "Похоже, об этом уже сообщили:",
                                "This seems to be reported already:"
                            ),
                            numbers.join(", "),
                            tr(
                                "Поддержите то обращение, или отметьте, что у вас другая проблема, и отправьте снова.",
                                "Support that appeal, or tick that yours is a different problem and send again.",
                            )
                        ),
                    )]));
                }
            }
            let doc = appeals::file(input, Author::caller()?, &|code| format!("attr_{code}"))?;
            done(&doc.id, tr("Обращение отправлено", "Appeal sent"))
        }
        (["stats"], "period") => {
            let mut to = Link::to("stats", "");
            for key in ["from", "to"] {
                if let Some(day) = form.get(key).filter(|d| !d.is_empty()) {
                    to = to.param(key, day);
                }
            }
            stats_period(&Params::from(to.query.clone()))?;
            Ok(ActionOutcome::Redirect(dvor_sdk::ui::Redirect {
                to,
                notice: None,
            }))
        }
        (["stats"], "csv") => {
            let (from, to, from_ms, to_ms) = stats_period(form)?;
            let body = people_csv(&stats::compute(from_ms, to_ms)?)?;
            let stored = dvor_sdk::files::store(
                &ctx::community(),
                "appeals-stats.csv",
                "text/csv; charset=utf-8",
                &body,
            )?;
            let mut back = Link::to("stats", "").param("file", stored.id);
            for (key, day) in [("from", from), ("to", to)] {
                if let Some(d) = day {
                    back = back.param(key, d.to_string());
                }
            }
            Ok(ActionOutcome::redirect(
                back,
                tr("Файл со статистикой готов", "The statistics file is ready"),
            ))
        }
        (["appeal", id], "support") => {
            appeals::support(id)?;
            done(id, tr("Вы поддержали обращение", "You support the appeal"))
        }
        (["appeal", id], "comment") => {
            appeals::comment(id, NewComment { text: text("text") })?;
            done(id, tr("Комментарий добавлен", "Comment added"))
        }
        (["appeal", id], "confirm" | "reopen") => {
            appeals::verdict(
                id,
                Verdict {
                    decision: action.to_owned(),
                    note: text("note"),
                },
            )?;
            done(id, tr("Спасибо, записано", "Thank you, noted"))
        }
        (["appeal", id], "status") => {
            appeals::change_status(
                id,
                ChangeStatus {
                    status: text("status"),
                    note: text("note"),
                },
            )?;
            done(id, tr("Статус изменён", "Status changed"))
        }
        (["appeal", id], "approve" | "reject" | "duplicate") => {
            let duplicate_of = match form.get("duplicate_of").filter(|v| !v.trim().is_empty()) {
                None => None,
                Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
                    Error::invalid("duplicate_of", tr("Нужен номер", "a number is required"))
                })?),
            };
            appeals::moderate(
                id,
                Moderate {
                    decision: action.to_owned(),
                    reason: text("reason"),
                    description: form
                        .get("description")
                        .filter(|d| !d.trim().is_empty())
                        .map(str::to_owned),
                    category: None,
                    organization: form
                        .get("organization")
                        .filter(|o| !o.trim().is_empty())
                        .map(str::to_owned),
                    duplicate_of,
                },
            )?;
            done(id, tr("Готово", "Done"))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    })
}
