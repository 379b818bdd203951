//! The partnership's papers: documents with their versions, certified copies to their deadline,
//! the printable produce certificate, and the board's announcements and alerts.

use dvor_sdk::prelude::*;

use super::{board_only, date_field, file_field, home_link, money_field, text};
use crate::access::{self, Viewer};
use crate::documents::CopyStatus;
use crate::library::{self, KINDS, kind_code};
use crate::model::{CertificateStatus, NOTICES};
use crate::notices;
use crate::show::{area_text, date_text};

pub(super) fn documents_page() -> Result<Page> {
    let viewer = Viewer::of_call()?;
    let all = library::all()?;
    let mut page = Page::new(tr("Документы товарищества", "The partnership's documents"))
        .breadcrumb(home_link())
        .section(
            Section::untitled()
                .paragraph(tr(
                    "Члены товарищества и собственники участков вправе знакомиться с этими документами и получать их заверенные копии за плату не выше затрат на изготовление (ст.11 ч.3 217-ФЗ).",
                    "Members and plot owners may read these documents and get certified copies for a fee no higher than the cost of making them (217-FZ art.11 p.3).",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Документ", "Document")),
                        Column::text(tr("Вид", "Kind")),
                        Column::text(tr("Редакция от", "Version of")),
                    ])
                    .rows(all.iter().map(|d| {
                        Row::new([
                            Cell::from(Link::to(format!("document/{}", d.id), d.data.title.clone())),
                            Cell::from(d.data.kind.label()),
                            Cell::from(d.data.updated_on),
                        ])
                    }))
                    .empty_text(tr("Документов пока нет", "No documents yet")),
                ),
        );
    if viewer.board {
        page = page.section(
            Section::titled(tr("Добавить документ", "Add a document")).form(
                Form::new("add-document", tr("Добавить", "Add"))
                    .field(
                        Field::select(
                            "kind",
                            tr("Вид", "Kind"),
                            KINDS.map(|k| (kind_code(k), k.label())),
                        )
                        .required(),
                    )
                    .field(
                        Field::text("title", tr("Название", "Title"))
                            .required()
                            .max_length(200),
                    )
                    .field(
                        Field::file("file", tr("Файл", "File"), Vec::<String>::new()).required(),
                    ),
            ),
        );
    }
    Ok(page)
}

pub(super) fn document_page(id: &str) -> Result<Page> {
    let viewer = Viewer::of_call()?;
    let doc = library::get(id)?;
    let d = &doc.data;
    let mut page = Page::new(d.title.clone())
        .breadcrumb(home_link())
        .breadcrumb(Link::to("documents", tr("Документы", "Documents")));
    let mut current = Section::untitled().fields([(tr("Вид", "Kind"), Cell::from(d.kind.label()))]);
    if let Some(v) = d.versions.last() {
        current = current.attachment(v.file.clone(), v.name.clone(), v.mime.clone(), v.size);
    }
    if viewer.is_owner() {
        current = current.buttons([Button::action(
            "request-copy",
            tr("Запросить заверенную копию", "Ask for a certified copy"),
        )
        .confirm(tr(
            "Запросить у правления заверенную копию этого документа?",
            "Ask the board for a certified copy of this document?",
        ))]);
    }
    page = page.section(current);
    page = page.section(
        Section::titled(tr("Редакции", "Versions")).table(
            Table::new([
                Column::text(tr("Дата", "Date")),
                Column::text(tr("Файл", "File")),
                Column::text(tr("Что изменилось", "What changed")),
                Column::text(tr("Загрузил", "By")),
            ])
            .rows(d.versions.iter().rev().map(|v| {
                Row::new([
                    Cell::from(v.on),
                    Cell::from(v.name.clone()),
                    Cell::from(v.note.clone()),
                    Cell::from(v.by.clone()),
                ])
            })),
        ),
    );
    if viewer.board {
        page = page.section(
            Section::titled(tr("Новая редакция", "New version")).form(
                Form::new("add-version", tr("Загрузить", "Upload"))
                    .field(Field::file("file", tr("Файл", "File"), Vec::<String>::new()).required())
                    .field(
                        Field::text("note", tr("Что изменилось", "What changed")).max_length(300),
                    ),
            ),
        );
    }
    Ok(page)
}

fn copy_badge(status: CopyStatus) -> Badge {
    match status {
        CopyStatus::Pending => Badge::new(tr("готовится", "being prepared"), Tone::Info),
        CopyStatus::Overdue => Badge::new(tr("срок прошёл", "overdue"), Tone::Danger),
        CopyStatus::Provided => Badge::new(tr("выдана", "provided"), Tone::Success),
        CopyStatus::ProvidedLate => {
            Badge::new(tr("выдана с опозданием", "provided late"), Tone::Warning)
        }
    }
}

pub(super) fn copies_page() -> Result<Page> {
    let viewer = Viewer::of_call()?;
    if viewer.caller.is_none() {
        return Err(viewer.refusal());
    }
    let today = ctx::today()?;
    let all = library::copies()?;
    Ok(Page::new(tr("Заверенные копии", "Certified copies"))
        .breadcrumb(home_link())
        .section(
            Section::untitled().table(
                Table::new([
                    Column::text(tr("Документ", "Document")),
                    Column::text(tr("Кто запросил", "Asked by")),
                    Column::text(tr("Запрошено", "Asked")),
                    Column::text(tr("Срок", "Due")),
                    Column::text(tr("Статус", "Status")),
                    Column::numeric(tr("Плата", "Fee")),
                ])
                .rows(all.iter().map(|c| {
                    let title = if viewer.board && c.data.open {
                        Cell::from(Link::to(format!("copy/{}", c.id), c.data.title.clone()))
                    } else {
                        Cell::from(c.data.title.clone())
                    };
                    Row::new([
                        title,
                        Cell::from(c.data.name.clone()),
                        Cell::from(c.data.request.requested_on),
                        Cell::from(c.data.due_by),
                        Cell::from(copy_badge(c.data.request.status(today))),
                        Cell::from(Some(c.data.request.fee).filter(|_| !c.data.open)),
                    ])
                }))
                .empty_text(tr(
                    "Запросов нет: копию можно запросить на странице документа",
                    "no requests: ask for a copy on a document's page",
                )),
            ),
        ))
}

pub(super) fn copy_page(id: &str) -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let copy = library::copies()?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| Error::not_found(tr("Нет такого запроса", "no such request")))?;
    let today = ctx::today()?;
    Ok(
        Page::new(format!("{} «{}»", tr("Копия", "Copy of"), copy.data.title))
            .breadcrumb(home_link())
            .breadcrumb(Link::to("copies", tr("Копии", "Copies")))
            .section(
                Section::untitled()
                    .fields([
                        (
                            tr("Кто запросил", "Asked by"),
                            Cell::from(copy.data.name.clone()),
                        ),
                        (
                            tr("Запрошено", "Asked"),
                            Cell::from(copy.data.request.requested_on),
                        ),
                        (tr("Выдать до", "Due by"), Cell::from(copy.data.due_by)),
                    ])
                    .badges([copy_badge(copy.data.request.status(today))]),
            )
            .section(
                Section::titled(tr("Выдать копию", "Provide the copy"))
                    .paragraph(tr(
                        "Плата за копию не может быть выше затрат на её изготовление.",
                        "The fee may not exceed the cost of making the copy.",
                    ))
                    .form(
                        Form::new("provide", tr("Выдано", "Provided"))
                            .field(
                                Field::date("on", tr("Дата выдачи", "Provided on"))
                                    .required()
                                    .day_value(today),
                            )
                            .field(
                                Field::money(
                                    "cost",
                                    tr("Затраты на изготовление", "Cost of making it"),
                                )
                                .required(),
                            )
                            .field(Field::money("fee", tr("Плата", "Fee")).required()),
                    ),
            ),
    )
}

pub(super) fn certificates_page() -> Result<Page> {
    let viewer = Viewer::of_call()?;
    if viewer.caller.is_none() {
        return Err(viewer.refusal());
    }
    let all = library::certificates()?;
    let mut page = Page::new(tr("Справки о выращенной продукции", "Produce certificates"))
        .breadcrumb(home_link())
        .section(
            Section::untitled()
                .paragraph(tr(
                    "Справка правления подтверждает, что продукция выращена на вашем участке без наёмного труда: доход от её продажи не облагается НДФЛ (ст.217 п.13 НК РФ).",
                    "The board's certificate confirms the produce was grown on your plot without hired labour: its sale is free of income tax (Tax Code art.217 p.13).",
                ))
                .table(
                    Table::new([
                        Column::text(tr("Справка", "Certificate")),
                        Column::text(tr("Участок", "Plot")),
                        Column::numeric(tr("Год", "Year")),
                        Column::text(tr("Статус", "Status")),
                    ])
                    .rows(all.iter().map(|c| {
                        Row::new([
                            Cell::from(Link::to(
                                format!("certificate/{}", c.id),
                                c.data
                                    .number
                                    .map(|n| format!("№ {n}"))
                                    .unwrap_or_else(|| c.data.name.clone()),
                            )),
                            Cell::from(c.data.plot.clone()),
                            Cell::from(i64::from(c.data.year)),
                            Cell::from(match c.data.status {
                                CertificateStatus::Requested => Badge::new(tr("запрошена", "requested"), Tone::Info),
                                CertificateStatus::Issued => Badge::new(tr("выдана", "issued"), Tone::Success),
                            }),
                        ])
                    }))
                    .empty_text(tr("Справок нет", "No certificates")),
                ),
        );
    if viewer.is_member()
        && let Some(record) = viewer.record()
    {
        let year = ctx::today()?.year();
        page = page.section(
            Section::titled(tr("Запросить справку", "Ask for a certificate")).form(
                Form::new("request", tr("Запросить", "Ask"))
                    .field(
                        Field::select(
                            "plot",
                            tr("Участок", "Plot"),
                            record
                                .data
                                .holdings
                                .iter()
                                .map(|h| (h.plot.clone(), h.plot.clone())),
                        )
                        .required(),
                    )
                    .field(
                        Field::select(
                            "year",
                            tr("Год урожая", "Harvest year"),
                            (year - 3..=year)
                                .rev()
                                .map(|y| (y.to_string(), y.to_string())),
                        )
                        .required()
                        .value(year.to_string()),
                    ),
            ),
        );
    }
    Ok(page)
}

pub(super) fn certificate_page(id: &str) -> Result<Page> {
    let doc = library::certificate(id)?;
    let c = &doc.data;
    let place = access::snt()?;
    let mut page = Page::new(match c.number {
        Some(n) => format!("{} № {n}", tr("Справка", "Certificate No.")),
        None => tr("Справка (запрошена)", "Certificate (requested)").to_owned(),
    })
    .breadcrumb(home_link())
    .breadcrumb(Link::to("certificates", tr("Справки", "Certificates")));
    let mut body = Section::untitled();
    body = body.paragraph(format!(
        "{} {}{}",
        place.name,
        place
            .address
            .as_deref()
            .map(|a| format!(", {a}"))
            .unwrap_or_default(),
        c.issued_on
            .map(|d| format!(" — {}", date_text(d)))
            .unwrap_or_default()
    ));
    body = body.heading(tr(
        "Справка о ведении садоводства",
        "Certificate of gardening",
    ));
    body = body.paragraph(format!(
        "{} {} {} {} {} {}{}, {} {}.",
        tr("Настоящая справка выдана", "This certificate is issued to"),
        c.name,
        tr(
            "в том, что он(а) является членом товарищества и в",
            "a member of the partnership, who in"
        ),
        c.year,
        tr(
            "году выращивал(а) продукцию на садовом участке №",
            "grew produce on garden plot No."
        ),
        c.plot,
        c.cadastral_number
            .as_deref()
            .map(|n| format!(" ({} {n})", tr("кадастровый номер", "cadastral number")))
            .unwrap_or_default(),
        tr("площадью", "of"),
        area_text(c.area_centi_m2)
    ));
    body = body.paragraph(tr(
        "Продукция выращена личным трудом, без привлечения наёмных работников. Справка выдана для освобождения доходов от продажи продукции от налога (п.13 ст.217 НК РФ).",
        "The produce was grown by personal labour, without hired workers. Issued to free the income from its sale from tax (Tax Code art.217 p.13).",
    ));
    match (&c.signed_by, c.status) {
        (Some(by), CertificateStatus::Issued) => {
            body = body.paragraph(format!(
                "{} ______________ {by}",
                tr("Председатель правления", "Chairman of the board")
            ));
        }
        _ => {
            body = body.notice(
                Tone::Info,
                tr(
                    "Справка запрошена: правление её проверит и выдаст",
                    "requested: the board will check and issue it",
                ),
            );
        }
    }
    page = page.section(body);
    if access::is_board() && c.status == CertificateStatus::Requested {
        page = page.section(
            Section::untitled()
                .buttons([Button::action("issue", tr("Выдать справку", "Issue")).primary()]),
        );
    }
    if c.status == CertificateStatus::Issued {
        page = page.section(Section::untitled().paragraph(tr(
            "Распечатайте страницу (в браузере: Печать) и заверьте подписью и печатью товарищества.",
            "Print the page (your browser's Print) and have it signed and stamped.",
        )));
    }
    Ok(page)
}

pub(super) fn notices_page() -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let all = NOTICES
        .query()
        .in_community(&ctx::community())
        .order_by("at", Direction::Desc)
        .limit(50)
        .fetch()?;
    let open: Vec<String> = notices::open_notices()?.into_iter().map(|d| d.id).collect();
    Ok(
        Page::new(tr("Объявления и оповещения", "Announcements and alerts"))
            .breadcrumb(home_link())
            .section(
                Section::titled(tr("Новое объявление", "New announcement")).form(
                    Form::new(
                        "announce",
                        tr("Отправить всем участкам", "Send to every plot"),
                    )
                    .field(
                        Field::text("title", tr("Заголовок", "Title"))
                            .required()
                            .max_length(120),
                    )
                    .field(
                        Field::multiline("text", tr("Текст", "Text"))
                            .required()
                            .max_length(2000),
                    )
                    .field(Field::date("until", tr("Показывать до", "Show until")))
                    .field(
                        Field::checkbox(
                            "emergency",
                            tr(
                                "Срочное оповещение: отправить и по СМС",
                                "An emergency alert: send by SMS too",
                            ),
                        )
                        .help(tr(
                            "Авария, пожар, отключение — то, что нужно узнать сразу",
                            "an accident, a fire, an outage — what people must know at once",
                        )),
                    )
                    .confirm(tr("Отправить всем участкам?", "Send to every plot?")),
                ),
            )
            .section(
                Section::titled(tr("Отправленные", "Sent")).table(
                    Table::new([
                        Column::text(tr("Когда", "When")),
                        Column::text(tr("Заголовок", "Title")),
                        Column::numeric(tr("Получили", "Reached")),
                        Column::text(tr("Статус", "Status")),
                    ])
                    .rows(all.docs.iter().map(|n| {
                        Row::new([
                            Cell::datetime(n.data.at),
                            Cell::from(n.data.title.clone()),
                            Cell::from(i64::from(n.data.reached)),
                            Cell::from(if n.data.emergency {
                                Badge::new(tr("срочное", "urgent"), Tone::Danger)
                            } else if open.contains(&n.id) {
                                Badge::new(tr("на странице", "shown"), Tone::Info)
                            } else {
                                Badge::new(tr("в архиве", "archived"), Tone::Neutral)
                            }),
                        ])
                    }))
                    .empty_text(tr("Объявлений ещё не было", "No announcements yet")),
                ),
            ),
    )
}

pub(super) fn act(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match (route, action) {
        (["documents"], "add-document") => {
            let file = file_field(form, "file")
                .ok_or_else(|| Error::invalid("file", tr("Приложите файл", "attach the file")))?;
            let doc = library::add(text(form, "kind"), text(form, "title"), &file)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("document/{}", doc.id), ""),
                tr("Документ добавлен", "Document added"),
            ))
        }
        (["document", id], "add-version") => {
            let file = file_field(form, "file")
                .ok_or_else(|| Error::invalid("file", tr("Приложите файл", "attach the file")))?;
            library::add_version(id, &file, text(form, "note"))?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("document/{id}"), ""),
                tr("Новая редакция загружена", "New version uploaded"),
            ))
        }
        (["document", id], "request-copy") => {
            let copy = library::request_copy(id)?;
            Ok(ActionOutcome::redirect(
                Link::to("copies", ""),
                format!(
                    "{} {}",
                    tr("Копия будет готова не позднее", "The copy will be ready by"),
                    date_text(copy.data.due_by)
                ),
            ))
        }
        (["copy", id], "provide") => {
            library::provide_copy(
                id,
                date_field(form, "on")?,
                money_field(form, "fee")?,
                money_field(form, "cost")?,
            )?;
            Ok(ActionOutcome::redirect(
                Link::to("copies", ""),
                tr("Копия выдана", "Copy provided"),
            ))
        }
        (["certificates"], "request") => {
            let year: i32 = form
                .parse("year")?
                .ok_or_else(|| Error::invalid("year", tr("Выберите год", "choose the year")))?;
            let cert = library::request_certificate(text(form, "plot"), year)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("certificate/{}", cert.id), ""),
                tr("Справка запрошена", "Certificate requested"),
            ))
        }
        (["certificate", id], "issue") => {
            library::issue_certificate(id)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("certificate/{id}"), ""),
                tr("Справка выдана", "Certificate issued"),
            ))
        }
        (["notices"], "announce") => {
            let notice = notices::announce(
                text(form, "title"),
                text(form, "text"),
                form.flag("emergency"),
                form.date("until")?,
            )?;
            Ok(ActionOutcome::redirect(
                Link::to("notices", ""),
                format!("{}: {}", tr("Отправлено", "Sent to"), notice.data.reached),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}
