//! Applying for membership from a phone, and the board's pages of applications: the review,
//! the decision of the meeting (or the board) and a refusal on the grounds the law allows.

use dvor_sdk::prelude::*;

use super::{board_only, date_field, file_field, home_link, text};
use crate::access::{self, Viewer};
use crate::admission::{self, ApplicationForm};
use crate::membership::{AdmissionDecider, RefusalReason};
use crate::model::{APPLICATIONS, ApplicationStatus, Settings};
use crate::show::date_text;

pub(super) fn apply_page() -> Result<Page> {
    let viewer = Viewer::of_call()?;
    let Some(caller) = viewer.caller.clone() else {
        return Err(Error::unauthenticated(tr(
            "Войдите, чтобы подать заявление",
            "sign in to apply",
        )));
    };
    let mut page =
        Page::new(tr("Заявление о вступлении", "Membership application")).breadcrumb(home_link());
    if viewer.is_member() {
        return Ok(page.section(Section::untitled().notice(
            Tone::Success,
            tr("Вы член товарищества", "You are a member"),
        )));
    }
    if let Some(app) = admission::open_application_of(&caller.person_id)? {
        return Ok(page.section(Section::untitled().notice(
            app.data.status.tone(),
            format!(
                "{} {} — {}",
                tr("Заявление от", "Application of"),
                date_text(app.data.applied_on),
                app.data.status.label()
            ),
        )));
    }
    let record = viewer.record();
    let mut plots: Vec<(String, String)> = Vec::new();
    let mine = viewer.plots();
    for unit in access::plots() {
        let label = format!(
            "{} {} — {}",
            tr("Участок", "Plot"),
            unit.number,
            crate::show::area_text(unit.area_centi_m2)
        );
        if mine.contains(&unit.number) {
            plots.insert(0, (unit.number.clone(), label));
        } else {
            plots.push((unit.number.clone(), label));
        }
    }
    let name = record
        .map(|r| r.data.full_name.clone())
        .unwrap_or_else(|| caller.display_name.clone());
    let mut form = Form::new("apply", tr("Подать заявление", "Apply"))
        .field(
            Field::text("full_name", tr("Фамилия, имя, отчество", "Full name"))
                .required()
                .max_length(200)
                .value(name),
        )
        .field(
            Field::select("plot", tr("Ваш участок", "Your plot"), plots)
                .required()
                .value(mine.first().cloned().unwrap_or_default()),
        )
        .field(
            Field::text(
                "postal_address",
                tr(
                    "Почтовый адрес для уведомлений",
                    "Postal address for notices",
                ),
            )
            .required()
            .max_length(300)
            .value(
                record
                    .map(|r| r.data.postal_address.clone())
                    .unwrap_or_default(),
            ),
        )
        .field(Field::email("email", tr("Электронная почта", "E-mail")))
        .field(Field::phone("phone", tr("Телефон", "Phone")))
        .field(
            Field::file(
                "document",
                tr(
                    "Копия документа о праве на участок",
                    "A copy of the plot's title document",
                ),
                ["application/pdf", "image/jpeg", "image/png"],
            )
            .help(tr(
                "Выписка из ЕГРН или свидетельство; без него правление может отказать в приёме",
                "an extract from the property register; without it the board may refuse",
            )),
        )
        .field(
            Field::checkbox(
                "consent",
                tr(
                    "Согласен на обработку персональных данных для ведения реестра членов (152-ФЗ)",
                    "I consent to the processing of my personal data for the register (152-FZ)",
                ),
            )
            .required(),
        );
    form = form.confirm(tr(
        "Отправить заявление в правление?",
        "Send the application to the board?",
    ));
    page = page.section(
        Section::untitled()
            .paragraph(tr(
                "Заявление рассматривает правление; решение о приёме принимает общее собрание или правление, если так сказано в уставе. Членство начинается со дня решения.",
                "The board reviews the application; the general meeting decides on admission, or the board where the charter says so. Membership starts on the day of the decision.",
            ))
            .form(form),
    );
    Ok(page)
}

pub(super) fn applications_page() -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let all = APPLICATIONS
        .query()
        .in_community(&ctx::community())
        .order_by("at", Direction::Desc)
        .fetch_all()?;
    let rows = all.iter().map(|d| {
        Row::new([
            Cell::from(Link::to(
                format!("application/{}", d.id),
                d.data.full_name.clone(),
            )),
            Cell::from(d.data.plot.clone()),
            Cell::from(d.data.applied_on),
            Cell::from(Badge::new(d.data.status.label(), d.data.status.tone())),
        ])
    });
    Ok(
        Page::new(tr("Заявления о вступлении", "Membership applications"))
            .breadcrumb(home_link())
            .section(
                Section::untitled().table(
                    Table::new([
                        Column::text(tr("Заявитель", "Applicant")),
                        Column::text(tr("Участок", "Plot")),
                        Column::text(tr("Подано", "Received")),
                        Column::text(tr("Статус", "Status")),
                    ])
                    .rows(rows)
                    .empty_text(tr("Заявлений нет", "No applications")),
                ),
            ),
    )
}

pub(super) fn application_page(id: &str) -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let doc = admission::application(id)?;
    let a = &doc.data;
    let settings = Settings::load()?;
    let mut page = Page::new(format!(
        "{} {}",
        tr("Заявление:", "Application:"),
        a.full_name
    ))
    .breadcrumb(home_link())
    .breadcrumb(Link::to("applications", tr("Заявления", "Applications")));
    let mut details = Section::untitled()
        .badges([Badge::new(a.status.label(), a.status.tone())])
        .fields([
            (tr("Участок", "Plot"), Cell::from(a.plot.clone())),
            (tr("Подано", "Received"), Cell::from(a.applied_on)),
            (
                tr("Почтовый адрес", "Postal address"),
                Cell::from(a.postal_address.clone()),
            ),
            (
                tr("Электронная почта", "E-mail"),
                Cell::from(a.email.clone()),
            ),
            (tr("Телефон", "Phone"), Cell::from(a.phone.clone())),
            (
                tr("Отзыв правления", "Board's review"),
                Cell::from(a.review.clone()),
            ),
            (tr("Решение", "Decision"), Cell::from(a.decided_on)),
            (tr("Протокол", "Minutes"), Cell::from(a.minutes.clone())),
            (
                tr("Основание отказа", "Ground of refusal"),
                Cell::from(a.refusal.map(RefusalReason::label)),
            ),
        ]);
    if a.documents.is_empty() {
        details = details.notice(
            Tone::Warning,
            tr(
                "Документ о праве на участок не приложен",
                "no title document attached",
            ),
        );
    }
    for file in &a.documents {
        if let Some(info) = dvor_sdk::files::info(file)? {
            details = details.attachment(info.id, info.name, info.content_type, info.size);
        }
    }
    page = page.section(details);
    if !matches!(
        a.status,
        ApplicationStatus::Submitted | ApplicationStatus::Reviewed
    ) {
        return Ok(page);
    }
    if a.status == ApplicationStatus::Submitted {
        page = page.section(
            Section::titled(tr("Рассмотрение правлением", "Board's review")).form(
                Form::new("review", tr("Отметить рассмотренным", "Mark reviewed")).field(
                    Field::multiline("note", tr("Заключение правления", "The board's note"))
                        .max_length(1000),
                ),
            ),
        );
    }
    let today = ctx::today()?;
    let by_meeting = settings.admission == AdmissionDecider::GeneralMeeting;
    let minutes = Field::text(
        "minutes",
        tr(
            "Протокол общего собрания (номер и дата)",
            "The general meeting's minutes (number and date)",
        ),
    )
    .max_length(200);
    let minutes = if by_meeting {
        minutes.required()
    } else {
        minutes.help(tr(
            "Пусто — решение правления (устав это позволяет)",
            "blank: the board's decision (the charter allows it)",
        ))
    };
    page = page.section(
        Section::titled(tr("Решение о приёме", "Admission decision"))
            .paragraph(if by_meeting {
                tr(
                    "По уставу о приёме решает общее собрание: внесите его решение.",
                    "Under the charter the general meeting decides: enter its decision.",
                )
            } else {
                tr(
                    "По уставу о приёме решает правление.",
                    "Under the charter the board decides.",
                )
            })
            .form(
                Form::new("admit", tr("Принять в члены", "Admit"))
                    .field(
                        Field::date("decided_on", tr("Дата решения", "Decision date"))
                            .required()
                            .day_value(today),
                    )
                    .field(minutes.clone())
                    .field(
                        Field::text(
                            "book_number",
                            tr("Номер членской книжки", "Membership book number"),
                        )
                        .required()
                        .max_length(30),
                    ),
            )
            .form(
                Form::new("refuse", tr("Отказать в приёме", "Refuse"))
                    .field(
                        Field::date("decided_on", tr("Дата решения", "Decision date"))
                            .required()
                            .day_value(today),
                    )
                    .field(minutes)
                    .field(
                        Field::radio(
                            "reason",
                            tr(
                                "Основание (только по закону, ст.12 ч.9)",
                                "Ground (only the law's, art.12 p.9)",
                            ),
                            RefusalReason::ALL.map(|r| (r.code(), r.label())),
                        )
                        .required(),
                    )
                    .confirm(tr("Отказать в приёме?", "Refuse admission?")),
            ),
    );
    Ok(page)
}

pub(super) fn act(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    match (route, action) {
        (["apply"], "apply") => {
            admission::apply(&ApplicationForm {
                full_name: text(form, "full_name").to_owned(),
                postal_address: text(form, "postal_address").to_owned(),
                email: text(form, "email").to_owned(),
                phone: text(form, "phone").to_owned(),
                plot: text(form, "plot").to_owned(),
                document: file_field(form, "document"),
                consent: form.flag("consent"),
            })?;
            Ok(ActionOutcome::redirect(
                home_link(),
                tr(
                    "Заявление отправлено в правление",
                    "Your application went to the board",
                ),
            ))
        }
        (["application", id], "review") => {
            admission::review(id, text(form, "note"))?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("application/{id}"), ""),
                tr("Заявление рассмотрено", "Application reviewed"),
            ))
        }
        (["application", id], "admit") => {
            let (_, record) = admission::admit(
                id,
                date_field(form, "decided_on")?,
                text(form, "book_number"),
                text(form, "minutes"),
            )?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("record/{}", record.id), ""),
                tr("Принят в члены товарищества", "Admitted as a member"),
            ))
        }
        (["application", id], "refuse") => {
            admission::refuse(
                id,
                date_field(form, "decided_on")?,
                text(form, "reason"),
                text(form, "minutes"),
            )?;
            Ok(ActionOutcome::redirect(
                Link::to("applications", ""),
                tr("В приёме отказано", "Admission refused"),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}
