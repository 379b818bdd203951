//! The admins' and moderators' page: businesses waiting for verification (their numbers
//! already passed the check digits), approved ones to suspend, paid listings, houses on the
//! map, and reviews waiting for a moderator.

use dvor_sdk::prelude::*;

use super::{back, business_link, home_link, when};
use crate::businesses::{self, Verdict};
use crate::input;
use crate::model::{BUSINESSES, BusinessStatus};
use crate::offers;
use crate::people;
use crate::reviews;

/// The page.
pub fn page() -> Result<Page> {
    ctx::require_caller()?;
    if !people::is_moderator() {
        people::require_admin()?;
    }
    let mut page = Page::new(tr(
        "Проверка организаций и отзывов",
        "Verification and moderation",
    ))
    .breadcrumb(home_link());
    if people::is_admin() {
        let all = BUSINESSES.query().limit(1000).fetch_all()?;
        let pending: Vec<_> = all
            .iter()
            .filter(|b| b.data.status == BusinessStatus::Pending)
            .collect();
        let mut section = Section::titled(format!(
            "{} ({})",
            tr("Ждут проверки", "Awaiting review"),
            pending.len()
        ));
        if pending.is_empty() {
            section = section.paragraph(tr("Новых заявок нет.", "No new registrations."));
        }
        for b in pending {
            let d = &b.data;
            section = section
                .heading(d.name.clone())
                .fields([
                    (tr("Кто", "What"), Cell::from(d.kind.label())),
                    (
                        tr("Юридическое название", "Legal name"),
                        Cell::from(d.legal_name.clone()),
                    ),
                    ("ИНН", Cell::from(d.inn.clone())),
                    (
                        tr("ОГРН / ОГРНИП", "ОГРН / ОГРНИП"),
                        Cell::from(d.ogrn.clone().unwrap_or_else(|| {
                            tr("нет (самозанятый)", "none (self-employed)").to_owned()
                        })),
                    ),
                    (
                        tr("Заявитель", "Applicant"),
                        Cell::from(d.owner_name.clone()),
                    ),
                    (tr("Когда", "When"), Cell::datetime(d.created)),
                ])
                .notice(
                    Tone::Success,
                    tr(
                        "Контрольные цифры ИНН и ОГРН сходятся. Сверьте данные с ЕГРЮЛ/ЕГРИП.",
                        "The check digits pass. Compare with the state register.",
                    ),
                )
                .buttons([Button::action("approve", tr("Одобрить", "Approve"))
                    .arg("business", b.id.clone())
                    .primary()])
                .form(
                    Form::new("reject", tr("Отклонить", "Reject"))
                        .field(Field::hidden("business", b.id.clone()))
                        .field(
                            Field::text("reason", tr("Причина отказа", "Reason"))
                                .required()
                                .max_length(1000),
                        ),
                );
        }
        page = page.section(section);

        let approved: Vec<_> = all
            .iter()
            .filter(|b| b.data.status != BusinessStatus::Pending)
            .collect();
        let today = ctx::today()?;
        let rows = approved.iter().map(|b| {
            let paid = b
                .data
                .promoted(today)
                .map(|p| format!("{} {}", tr("до", "until"), input::date_text(p.until)));
            let mut row = Row::new([
                Cell::from(business_link(&b.id, &b.data.name)),
                Cell::from(Badge::new(b.data.status.label(), b.data.status.tone())),
                Cell::from(b.data.rating.label()),
                Cell::from(paid),
            ]);
            if b.data.status != BusinessStatus::Approved {
                row = row.action(
                    Button::action("approve", tr("Вернуть", "Reinstate"))
                        .arg("business", b.id.clone()),
                );
            }
            row
        });
        page = page.section(
            Section::titled(tr("Организации", "Businesses")).table(
                Table::new([
                    Column::text(tr("Название", "Name")),
                    Column::text(tr("Состояние", "State")),
                    Column::text(tr("Отзывы", "Reviews")),
                    Column::text(tr("Реклама", "Paid listing")),
                ])
                .rows(rows)
                .empty_text(tr("Организаций пока нет", "No businesses yet")),
            ),
        );
        let choices: Vec<(String, String)> = approved
            .iter()
            .filter(|b| b.data.status == BusinessStatus::Approved)
            .map(|b| (b.id.clone(), b.data.name.clone()))
            .collect();
        if !choices.is_empty() {
            page = page.section(
                Section::titled(tr("Приостановить организацию", "Suspend a business")).form(
                    Form::new("suspend", tr("Приостановить", "Suspend"))
                        .field(
                            Field::select(
                                "business",
                                tr("Организация", "Business"),
                                choices.clone(),
                            )
                            .required(),
                        )
                        .field(
                            Field::text("reason", tr("Причина", "Reason"))
                                .required()
                                .max_length(1000),
                        ),
                ),
            );
            page = page.section(
                Section::titled(tr("Платное размещение", "Paid listing"))
                    .paragraph(tr(
                        "Платное место в списке помечается «Реклама» с рекламодателем (38-ФЗ). Пустая дата снимает пометку.",
                        "A paid place in lists is marked «Реклама» with its advertiser (38-ФЗ). An empty date removes it.",
                    ))
                    .form(
                        Form::new("paid", tr("Сохранить", "Save"))
                            .field(Field::select("business", tr("Организация", "Business"), choices).required())
                            .field(Field::date("until", tr("Последний день", "Last day")))
                            .field(Field::text("advertiser", tr("Рекламодатель", "Advertiser")).max_length(300).help(tr("Пусто — юридическое название и ИНН", "Empty: the legal name and ИНН")))
                            .field(Field::text("erid", tr("Токен рекламы (erid)", "Ad token (erid)")).max_length(100)),
                    ),
            );
        }
        let places = offers::home_places();
        let mut rows = Vec::new();
        for p in &places {
            let point = offers::point_of(&p.id)?;
            rows.push(Row::new([
                Cell::from(p.name.clone()),
                Cell::from(point.map(|pt| format!("{:.5}, {:.5}", pt.lat, pt.lon))),
            ]));
        }
        page = page.section(
            Section::titled(tr("Дома на карте", "Houses on the map"))
                .paragraph(tr(
                    "По точке дома считаются акции «в радиусе от филиала» и расстояния до мастеров.",
                    "A house's point decides offers for a radius around a branch and distances to specialists.",
                ))
                .table(
                    Table::new([Column::text(tr("Дом", "House")), Column::text(tr("Точка", "Point"))])
                        .rows(rows)
                        .empty_text(tr("Домов нет", "No houses")),
                )
                .form(
                    Form::new("place", tr("Отметить", "Mark"))
                        .field(Field::select("house", tr("Дом", "House"), places.iter().map(|p| (p.id.clone(), p.name.clone()))).required())
                        .field(Field::location("point", tr("На карте", "On the map")).required()),
                ),
        );
    }
    let queue = reviews::queue()?;
    let mut section = Section::titled(format!(
        "{} ({})",
        tr("Отзывы на модерации", "Reviews to moderate"),
        queue.len()
    ));
    if queue.is_empty() {
        section = section.paragraph(tr("Жалоб нет.", "No reports."));
    }
    for r in &queue {
        let business = businesses::find(&r.data.business)
            .map(|b| b.data.name)
            .unwrap_or_default();
        section = section
            .heading(format!(
                "{business}: {} · {} ★",
                r.data.author_name, r.data.stars
            ))
            .paragraph(r.data.text.clone());
        for report in &r.data.reports {
            section = section.notice(
                Tone::Warning,
                format!(
                    "{} {} ({} {}): {}",
                    tr("Жалоба", "Report"),
                    when(report.at),
                    tr("вес", "weight"),
                    report.weight,
                    report.reason
                ),
            );
        }
        if let Some(m) = r.data.moderation.last() {
            section = section.notice(
                Tone::Info,
                format!("{}: {}", reviews::action_label(&m.action), m.reason),
            );
        }
        section = section.form(
            Form::new("moderate", tr("Решить", "Decide"))
                .field(Field::hidden("review", r.id.clone()))
                .field(
                    Field::radio(
                        "keep",
                        tr("Решение", "Decision"),
                        [
                            ("true", tr("Оставить отзыв", "Keep the review")),
                            ("false", tr("Скрыть отзыв", "Hide the review")),
                        ],
                    )
                    .required(),
                )
                .field(
                    Field::text(
                        "reason",
                        tr("Причина (её увидит автор)", "Reason (the author sees it)"),
                    )
                    .required()
                    .max_length(1000),
                ),
        );
    }
    Ok(page.section(section))
}

/// The page's actions.
pub fn act(action: &str, form: &Params) -> Result<ActionOutcome> {
    match action {
        "approve" => {
            let b = businesses::decide(form.require("business")?, Verdict::Approve, None)?;
            back(
                "admin",
                format!("{} «{}»", tr("Одобрена:", "Approved:"), b.data.name),
            )
        }
        "reject" => {
            let b = businesses::decide(
                form.require("business")?,
                Verdict::Reject,
                form.get("reason"),
            )?;
            back(
                "admin",
                format!("{} «{}»", tr("Отклонена:", "Rejected:"), b.data.name),
            )
        }
        "suspend" => {
            let b = businesses::decide(
                form.require("business")?,
                Verdict::Suspend,
                form.get("reason"),
            )?;
            back(
                "admin",
                format!("{} «{}»", tr("Приостановлена:", "Suspended:"), b.data.name),
            )
        }
        "paid" => {
            let until = form.date("until")?;
            businesses::set_paid(
                form.require("business")?,
                until,
                form.get("advertiser"),
                form.get("erid"),
            )?;
            back(
                "admin",
                tr("Платное размещение сохранено", "Paid listing saved"),
            )
        }
        "place" => {
            let point = input::point("point", form.get("point"))?;
            offers::set_point(form.require("house")?, Some(point))?;
            back(
                "admin",
                tr("Дом отмечен на карте", "The house is on the map"),
            )
        }
        "moderate" => {
            let keep = match form.get("keep") {
                Some("true") => true,
                Some("false") => false,
                _ => {
                    return Err(Error::invalid(
                        "keep",
                        tr("Выберите решение", "choose a decision"),
                    ));
                }
            };
            reviews::moderate(form.require("review")?, keep, form.get("reason"))?;
            back(
                "admin",
                tr(
                    "Решение записано, автор его увидит",
                    "Decision logged; the author sees it",
                ),
            )
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}
