//! The register's pages: the board's list of members and non-member owners with the import and
//! the export; a record with its history, contact changes, the link to a dvor account, exit,
//! the warning and the expulsion; the plots' buildings, transformers and direct contracts.

use dvor_sdk::directory;
use dvor_sdk::prelude::*;

use super::{board_only, date_field, file_field, home_link, text};
use crate::access::{self, Viewer};
use crate::admission;
use crate::law;
use crate::membership::ExitReason;
use crate::model::{Settings, Standing};
use crate::records::{self, Contacts};
use crate::show::{area_cell, date_text};

fn problems_message(problems: &[dvor_sdk::csv_sheet::CellProblem]) -> String {
    format!(
        "{} {}",
        tr(
            "В файле есть ошибки, ничего не загружено:",
            "the file has errors, nothing was imported:"
        ),
        dvor_sdk::csv_sheet::problems_text(problems, 30)
    )
}

pub(super) fn problems_outcome(
    field: &str,
    problems: &[dvor_sdk::csv_sheet::CellProblem],
) -> ActionOutcome {
    ActionOutcome::invalid([(field.to_owned(), problems_message(problems))])
}

pub(super) fn register_page(query: &Params) -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let show = query.get("show").unwrap_or("current");
    let records = access::all_records()?;
    let rows = records
        .iter()
        .filter(|r| match show {
            "members" => r.data.standing == Standing::Member,
            "owners" => r.data.standing == Standing::Owner,
            "former" => r.data.standing == Standing::Former,
            _ => r.data.standing != Standing::Former,
        })
        .map(|r| {
            Row::new([
                Cell::from(Link::to(
                    format!("record/{}", r.id),
                    r.data.full_name.clone(),
                )),
                Cell::from(r.data.plots_text()),
                Cell::from(Badge::new(
                    r.data.standing.label(),
                    match r.data.standing {
                        Standing::Member => Tone::Success,
                        Standing::Owner => Tone::Info,
                        Standing::Former => Tone::Neutral,
                    },
                )),
                Cell::from(r.data.book_number.clone()),
                Cell::from(r.data.phone.clone()),
            ])
        });
    let members = records
        .iter()
        .filter(|r| r.data.standing == Standing::Member)
        .count();
    let owners = records
        .iter()
        .filter(|r| r.data.standing == Standing::Owner)
        .count();
    Ok(Page::new(tr("Реестр членов и собственников", "The register"))
        .breadcrumb(home_link())
        .section(
            Section::untitled()
                .paragraph(format!(
                    "{}: {members}. {}: {owners}. {}",
                    tr("Членов", "Members"),
                    tr("Собственников без членства", "Non-member owners"),
                    tr(
                        "Реестр видит только правление (ст.15 217-ФЗ, 152-ФЗ); каждый член видит свою запись.",
                        "Only the board sees the register (217-FZ art.15, 152-FZ); each member sees their own record.",
                    )
                ))
                .links([
                    Link::to("register", tr("Все", "All")),
                    Link::to("register", tr("Члены", "Members")).param("show", "members"),
                    Link::to("register", tr("Без членства", "Non-members")).param("show", "owners"),
                    Link::to("register", tr("Выбывшие", "Former")).param("show", "former"),
                ])
                .table(
                    Table::new([
                        Column::text(tr("ФИО", "Name")),
                        Column::text(tr("Участки", "Plots")),
                        Column::text(tr("Раздел", "Section")),
                        Column::text(tr("Книжка", "Book")),
                        Column::text(tr("Телефон", "Phone")),
                    ])
                    .rows(rows)
                    .empty_text(tr(
                        "Реестр пуст: загрузите таблицу",
                        "the register is empty: import the spreadsheet",
                    )),
                ),
        )
        .section(
            Section::titled(tr("Загрузить реестр из таблицы", "Import the register"))
                .paragraph(tr(
                    "Файл CSV из Excel или LibreOffice: раздел; участок; кадастровый номер; ФИО; почтовый адрес; e-mail; телефон; доля; дата вступления; номер членской книжки. Загружается всё или ничего: каждая ошибка названа со строкой и столбцом.",
                    "A CSV file from Excel or LibreOffice: section; plot; cadastral number; full name; postal address; e-mail; phone; share; membership date; book number. All or nothing: every error is named by line and column.",
                ))
                .form(
                    Form::new("import", tr("Загрузить", "Import")).field(
                        Field::file("file", tr("Файл CSV", "CSV file"), ["text/csv"]).required(),
                    ),
                )
                .buttons([Button::action("export", tr("Выгрузить реестр (CSV)", "Export (CSV)"))]),
        ))
}

pub(super) fn record_page(id: &str) -> Result<Page> {
    let viewer = Viewer::of_call()?;
    let doc = access::record(id)?;
    let own = viewer
        .caller
        .as_ref()
        .is_some_and(|c| doc.data.person_id.as_deref() == Some(c.person_id.as_str()));
    if !own && !viewer.board {
        return Err(match viewer.caller {
            None => Error::unauthenticated(tr(
                "Войдите, чтобы увидеть свою запись",
                "sign in to see your record",
            )),
            Some(_) => Error::forbidden(tr(
                "Запись реестра видят её владелец и правление",
                "a register record is seen by its person and the board",
            )),
        });
    }
    let r = &doc.data;
    let mut page = Page::new(r.full_name.clone()).breadcrumb(home_link());
    if viewer.board {
        page = page.breadcrumb(Link::to("register", tr("Реестр", "Register")));
    }
    let mut fields = vec![
        (
            tr("Раздел реестра", "Section"),
            Cell::from(r.standing.label()),
        ),
        (tr("Участки", "Plots"), Cell::from(r.plots_text())),
        (
            tr("Почтовый адрес", "Postal address"),
            Cell::from(r.postal_address.clone()),
        ),
        (
            tr("Электронная почта", "E-mail"),
            Cell::from(r.email.clone()),
        ),
        (tr("Телефон", "Phone"), Cell::from(r.phone.clone())),
        (tr("Член с", "Member since"), Cell::from(r.member_since)),
        (
            tr("Членская книжка", "Membership book"),
            Cell::from(r.book_number.clone()),
        ),
    ];
    if viewer.board {
        let account = r
            .person_id
            .as_deref()
            .and_then(directory::person)
            .map(|p| p.display_name);
        fields.push((
            tr("Пользователь dvor", "dvor user"),
            Cell::from(account.unwrap_or_else(|| tr("не связан", "not linked").to_owned())),
        ));
    }
    if let Some(d) = &r.departure {
        fields.push((
            tr("Членство прекращено", "Membership ended"),
            Cell::from(format!("{} — {}", date_text(d.on), d.reason.label())),
        ));
    }
    let mut section = Section::untitled().fields(fields);
    for h in &r.holdings {
        section = section.links([Link::to(
            format!("plot/{}", h.plot),
            format!(
                "{} {}",
                tr("Лицевые счета участка", "Accounts of plot"),
                h.plot
            ),
        )]);
    }
    if let Some(w) = &r.warning {
        section = section.notice(
            Tone::Warning,
            format!(
                "{} {} {} {}",
                tr("Предупреждение направлено", "Warning sent on"),
                date_text(w.sent_on),
                tr("к собранию", "for the meeting of"),
                date_text(w.meeting)
            ),
        );
    }
    if let Some(e) = &r.expulsion {
        let sent = match e.notified_on {
            Some(on) if on <= e.notify_by => format!(
                "{} {}",
                tr("решение направлено", "the decision was sent on"),
                date_text(on)
            ),
            Some(on) => format!(
                "{} {} ({} {})",
                tr(
                    "решение направлено с опозданием",
                    "the decision was sent late on"
                ),
                date_text(on),
                tr("срок", "due"),
                date_text(e.notify_by)
            ),
            None => format!(
                "{} {}",
                tr("решение нужно направить до", "the decision must be sent by"),
                date_text(e.notify_by)
            ),
        };
        section = section.notice(
            Tone::Danger,
            format!(
                "{} {} ({}); {sent}",
                tr(
                    "Исключён общим собранием",
                    "Expelled by the general meeting of"
                ),
                date_text(e.meeting),
                e.minutes
            ),
        );
    }
    page = page.section(section);
    page = page.section(
        Section::titled(tr("История", "History")).table(
            Table::new([
                Column::text(tr("С", "From")),
                Column::text(tr("Изменение", "Change")),
                Column::text(tr("Кто внёс", "By")),
            ])
            .rows(r.history.iter().rev().map(|h| {
                Row::new([
                    Cell::from(h.on),
                    Cell::from(tr(&h.ru, &h.en).to_owned()),
                    Cell::from(h.by.clone()),
                ])
            })),
        ),
    );
    if r.standing != Standing::Former {
        page = page.section(
            Section::titled(if own {
                tr("Сообщить о новых данных", "Give new details")
            } else {
                tr("Изменить данные", "Change details")
            })
            .form(
                Form::new("contacts", tr("Сохранить", "Save"))
                    .field(
                        Field::text("postal_address", tr("Почтовый адрес", "Postal address"))
                            .required()
                            .max_length(300)
                            .value(r.postal_address.clone()),
                    )
                    .field(
                        Field::email("email", tr("Электронная почта", "E-mail"))
                            .value(r.email.clone().unwrap_or_default()),
                    )
                    .field(
                        Field::phone("phone", tr("Телефон", "Phone"))
                            .value(r.phone.clone().unwrap_or_default()),
                    ),
            ),
        );
    }
    if own && r.standing == Standing::Member {
        page = page.section(
            Section::titled(tr("Выход из товарищества", "Leaving the partnership"))
                .paragraph(tr(
                    "Членство прекращается в день заявления, без решения собрания. Вы останетесь собственником участка и будете платить взносы наравне с членами, но голосовать — только по вопросам общего имущества и платежей.",
                    "Membership ends on the day, without a meeting's decision. You remain the plot's owner and pay the same dues, but vote only on common property and payments.",
                ))
                .buttons([Button::action("leave", tr("Выйти из товарищества", "Leave"))
                    .tone(Tone::Danger)
                    .confirm(tr(
                        "Выйти из членов товарищества сегодня?",
                        "Leave the partnership today?",
                    ))]),
        );
    }
    if viewer.board {
        page = board_sections(page, &doc)?;
    }
    Ok(page)
}

fn board_sections(mut page: Page, doc: &Doc<crate::model::Record>) -> Result<Page> {
    let r = &doc.data;
    let today = ctx::today()?;
    if r.person_id.is_none() {
        let here = ctx::community();
        let mut candidates: Vec<(String, String)> = Vec::new();
        for h in &r.holdings {
            for o in directory::owners(&format!("{here}/{}", h.plot)) {
                if let Some(p) = directory::person(&o.person_id)
                    && !candidates.iter().any(|(id, _)| id == &p.id)
                {
                    candidates.push((p.id.clone(), p.display_name));
                }
            }
        }
        let section = Section::titled(tr("Связать с пользователем", "Link to a user"));
        page = page.section(if candidates.is_empty() {
            section.paragraph(tr(
                "Никто из собственников участка ещё не вошёл в dvor",
                "none of the plot's owners uses dvor yet",
            ))
        } else {
            section.form(
                Form::new("link", tr("Связать", "Link")).field(
                    Field::select(
                        "person",
                        tr("Собственник участка", "The plot's owner"),
                        candidates,
                    )
                    .required(),
                ),
            )
        });
    }
    if r.standing == Standing::Member {
        let settings = Settings::load()?;
        let due = admission::oldest_unpaid_membership_due(r, today)?;
        let mut section =
            Section::titled(tr("Исключение за неуплату", "Expulsion for unpaid dues"));
        match due {
            None => {
                section = section.paragraph(tr(
                    "Просроченных членских взносов нет: исключать не за что.",
                    "No overdue membership dues: there are no grounds for expulsion.",
                ));
            }
            Some(due) => {
                let periods = settings.law_periods.in_force_on(today);
                let earliest = law::expulsion_earliest_meeting(due, periods)?;
                section = section.notice(
                    Tone::Warning,
                    format!(
                        "{} {}. {} {}; {}",
                        tr(
                            "Членские взносы не оплачены с",
                            "Membership dues unpaid since"
                        ),
                        date_text(due),
                        tr(
                            "Исключить может общее собрание не ранее",
                            "A general meeting may expel from"
                        ),
                        date_text(earliest),
                        tr(
                            "предупреждение — не позднее чем за месяц до собрания.",
                            "the warning goes at least a month before it."
                        )
                    ),
                );
                section = section.form(
                    Form::new("warn", tr("Направить предупреждение", "Send the warning"))
                        .field(
                            Field::date("meeting", tr("Дата собрания", "Meeting date")).required(),
                        )
                        .confirm(tr(
                            "Направить члену предупреждение о возможном исключении?",
                            "Send the member a warning of possible expulsion?",
                        )),
                );
                section = section.form(
                    Form::new(
                        "expel",
                        tr("Внести решение об исключении", "Record the expulsion"),
                    )
                    .field(Field::date("meeting", tr("Дата собрания", "Meeting date")).required())
                    .field(
                        Field::text(
                            "minutes",
                            tr("Протокол (номер и дата)", "Minutes (number and date)"),
                        )
                        .required()
                        .max_length(200),
                    )
                    .confirm(tr(
                        "Внести решение общего собрания об исключении?",
                        "Record the general meeting's expulsion decision?",
                    )),
                );
            }
        }
        page = page.section(section);
        page = page.section(
            Section::titled(tr("Прекращение членства", "End of membership")).form(
                Form::new("exit", tr("Отметить", "Record"))
                    .field(
                        Field::date("on", tr("Дата", "Date"))
                            .required()
                            .day_value(today),
                    )
                    .field(
                        Field::radio(
                            "reason",
                            tr("Причина", "Reason"),
                            [
                                ("plot_sold", tr("Участок продан", "The plot was sold")),
                                ("death", tr("Смерть", "Death")),
                                ("voluntary", tr("Заявление о выходе", "Exit application")),
                            ],
                        )
                        .required(),
                    )
                    .confirm(tr("Прекратить членство?", "End the membership?")),
            ),
        );
    }
    if let Some(e) = &r.expulsion
        && e.notified_on.is_none()
    {
        page = page.section(
            Section::titled(tr("Уведомление об исключении", "Expulsion notice")).form(
                Form::new("notice-sent", tr("Отметить отправку", "Record sending")).field(
                    Field::date("on", tr("Дата отправки", "Sent on"))
                        .required()
                        .day_value(today),
                ),
            ),
        );
    }
    Ok(page)
}

pub(super) fn plots_page() -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let extras = records::extras()?;
    let units = access::plots();
    let rows = units.iter().map(|u| {
        let extra = extras.get(&u.number).cloned().unwrap_or_default();
        Row::new([
            Cell::from(Link::to(format!("plot/{}", u.number), u.number.clone())),
            area_cell(u.area_centi_m2),
            area_cell(extra.building_area_centi_m2),
            Cell::from(
                u.cadastral_number
                    .clone()
                    .or(extra.cadastral_number.clone()),
            ),
            Cell::from(extra.transformer.clone()),
            Cell::from(if extra.direct_contract {
                tr("прямой договор", "direct contract")
            } else {
                ""
            }),
        ])
    });
    Ok(Page::new(tr("Участки", "Plots"))
        .breadcrumb(home_link())
        .section(
            Section::untitled().table(
                Table::new([
                    Column::text(tr("Участок", "Plot")),
                    Column::numeric(tr("Площадь, м²", "Area, m²")),
                    Column::numeric(tr("Строения, м²", "Buildings, m²")),
                    Column::text(tr("Кадастровый номер", "Cadastral number")),
                    Column::text(tr("ТП", "Transformer")),
                    Column::text(tr("Договор", "Contract")),
                ])
                .rows(rows),
            ),
        )
        .section(
            Section::titled(tr("Данные участка", "A plot's details")).form(
                Form::new("save-plot", tr("Сохранить", "Save"))
                    .field(
                        Field::select(
                            "plot",
                            tr("Участок", "Plot"),
                            units.iter().map(|u| (u.number.clone(), u.number.clone())),
                        )
                        .required(),
                    )
                    .field(Field::number(
                        "building_area",
                        tr("Площадь строений, м²", "Building area, m²"),
                        2,
                    ))
                    .field(Field::text(
                        "transformer",
                        tr("Трансформатор (ТП)", "Transformer"),
                    ))
                    .field(Field::checkbox(
                        "direct_contract",
                        tr(
                            "Прямой договор с поставщиком электроэнергии",
                            "A direct contract with the supplier",
                        ),
                    )),
            ),
        ))
}

pub(super) fn act(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match (route, action) {
        (["register"], "import") => {
            let Some(file) = file_field(form, "file") else {
                return Err(Error::invalid("file", tr("Выберите файл", "choose a file")));
            };
            let body = dvor_sdk::files::read(&file)?;
            Ok(match records::import(&body)? {
                Ok(report) => ActionOutcome::redirect(
                    Link::to("register", ""),
                    format!(
                        "{}: {} {}, {} {}, {} {}",
                        tr("Реестр загружен", "Register imported"),
                        tr("новых", "new"),
                        report.created,
                        tr("изменено", "changed"),
                        report.updated,
                        tr("без изменений", "unchanged"),
                        report.unchanged
                    ),
                ),
                Err(problems) => problems_outcome("file", &problems),
            })
        }
        (["register"], "export") => {
            let csv = records::export()?;
            let file = dvor_sdk::files::store(
                &ctx::community(),
                "register.csv",
                "text/csv",
                csv.as_bytes(),
            )?;
            Ok(ActionOutcome::show(
                Page::new(tr("Выгрузка реестра", "Register export"))
                    .breadcrumb(home_link())
                    .breadcrumb(Link::to("register", tr("Реестр", "Register")))
                    .section(Section::untitled().attachment(
                        file.id,
                        file.name,
                        file.content_type,
                        file.size,
                    )),
            ))
        }
        (["record", id], "contacts") => {
            records::update_contacts(
                id,
                &Contacts {
                    postal_address: text(form, "postal_address").to_owned(),
                    email: text(form, "email").to_owned(),
                    phone: text(form, "phone").to_owned(),
                },
            )?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("record/{id}"), ""),
                tr("Данные сохранены", "Details saved"),
            ))
        }
        (["record", id], "link") => {
            records::link(id, text(form, "person"))?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("record/{id}"), ""),
                tr("Запись связана с пользователем", "Record linked"),
            ))
        }
        (["record", id], "leave") => {
            admission::leave(id, ctx::today()?, ExitReason::Voluntary)?;
            Ok(ActionOutcome::redirect(
                home_link(),
                tr(
                    "Членство прекращено с сегодняшнего дня",
                    "Your membership ended today",
                ),
            ))
        }
        (["record", id], "exit") => {
            let reason = match text(form, "reason") {
                "plot_sold" => ExitReason::PlotSold,
                "death" => ExitReason::Death,
                "voluntary" => ExitReason::Voluntary,
                _ => {
                    return Err(Error::invalid(
                        "reason",
                        tr("Выберите причину", "choose the reason"),
                    ));
                }
            };
            admission::leave(id, date_field(form, "on")?, reason)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("record/{id}"), ""),
                tr("Членство прекращено", "Membership ended"),
            ))
        }
        (["record", id], "warn") => {
            admission::warn(id, date_field(form, "meeting")?)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("record/{id}"), ""),
                tr("Предупреждение направлено", "Warning sent"),
            ))
        }
        (["record", id], "expel") => {
            admission::expel(id, date_field(form, "meeting")?, text(form, "minutes"))?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("record/{id}"), ""),
                tr(
                    "Решение об исключении внесено и направлено",
                    "Expulsion recorded and sent",
                ),
            ))
        }
        (["record", id], "notice-sent") => {
            admission::notice_sent(id, date_field(form, "on")?)?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("record/{id}"), ""),
                tr("Отправка отмечена", "Sending recorded"),
            ))
        }
        (["plots"], "save-plot") => {
            records::save_plot(
                text(form, "plot"),
                form.parse("building_area")?,
                text(form, "transformer"),
                form.flag("direct_contract"),
            )?;
            Ok(ActionOutcome::redirect(
                Link::to("plots", ""),
                tr("Данные участка сохранены", "Plot saved"),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}
