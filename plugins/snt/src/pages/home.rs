//! The partnership's home page: its open notices; a member's or owner's plots with what they
//! owe and their record; a newcomer's way to apply; the board's figures and pages.

use dvor_sdk::prelude::*;

use crate::access::{self, Viewer};
use crate::accounts;
use crate::admission;
use crate::model::{APPLICATIONS, Standing};
use crate::notices;
use crate::show::date_text;

pub(super) fn page() -> Result<Page> {
    let place = access::snt()?;
    let viewer = Viewer::of_call()?;
    let mut page = Page::new(place.name.clone());
    let open = notices::open_notices()?;
    if !open.is_empty() && viewer.caller.is_some() {
        let mut section = Section::titled(tr("Объявления", "Announcements"));
        for n in &open {
            section = section.notice(
                if n.data.emergency {
                    Tone::Danger
                } else {
                    Tone::Info
                },
                format!("{}. {}", n.data.title, n.data.text),
            );
        }
        page = page.section(section);
    }
    let Some(caller) = viewer.caller.clone() else {
        return Ok(page.section(Section::untitled().empty(
            tr("Войдите", "Sign in"),
            tr(
                "Войдите, чтобы увидеть свой участок, взносы и документы товарищества",
                "sign in to see your plot, your dues and the partnership's documents",
            ),
        )));
    };
    let today = ctx::today()?;
    if viewer.board {
        page = page.section(board_section(today)?);
    }
    let plots = viewer.plots();
    if !plots.is_empty() {
        page = page.section(plots_section(&plots, today)?);
    }
    match viewer.record() {
        Some(record) => {
            let r = &record.data;
            let mut fields = vec![
                (tr("Статус", "Standing"), Cell::from(r.standing.label())),
                (tr("ФИО", "Full name"), Cell::from(r.full_name.clone())),
                (tr("Участки", "Plots"), Cell::from(r.plots_text())),
            ];
            if r.standing == Standing::Member {
                fields.push((tr("Член с", "Member since"), Cell::from(r.member_since)));
                fields.push((
                    tr("Членская книжка", "Membership book"),
                    Cell::from(r.book_number.clone()),
                ));
            }
            page = page.section(
                Section::titled(tr("Моя запись в реестре", "My register record"))
                    .fields(fields)
                    .links([Link::to(
                        format!("record/{}", record.id),
                        tr("Подробнее и изменить данные", "Details and changes"),
                    )]),
            );
        }
        None if !viewer.board => {
            page = page.section(application_section(&caller.person_id)?);
        }
        None => {}
    }
    if viewer
        .record()
        .is_some_and(|r| r.data.standing == Standing::Owner)
    {
        page = page.section(application_section(&caller.person_id)?);
    }
    let mut links = Vec::new();
    if viewer.reads_documents() {
        links.push(Link::to(
            "documents",
            tr("Документы товарищества", "Documents"),
        ));
        links.push(Link::to(
            "estimates",
            tr("Сметы и взносы", "Estimates and dues"),
        ));
        links.push(Link::to("debtors", tr("Список должников", "Debtor list")));
    }
    if viewer.is_owner() {
        links.push(Link::to(
            "electricity",
            tr("Показания электросчётчика", "Meter readings"),
        ));
        links.push(Link::to(
            "copies",
            tr("Мои запросы копий", "My copy requests"),
        ));
    }
    if viewer.is_member() {
        links.push(Link::to(
            "certificates",
            tr("Справка о выращенной продукции", "Produce certificate"),
        ));
    }
    if !links.is_empty() {
        page = page.section(Section::titled(tr("Разделы", "Pages")).links(links));
    }
    Ok(page)
}

fn application_section(person: &str) -> Result<Section> {
    let section = Section::titled(tr("Членство в товариществе", "Membership"));
    Ok(match admission::open_application_of(person)? {
        Some(app) => section
            .notice(
                app.data.status.tone(),
                format!(
                    "{} {} — {}",
                    tr("Заявление от", "Application of"),
                    date_text(app.data.applied_on),
                    app.data.status.label()
                ),
            )
            .paragraph(tr(
                "Решение о приёме принимает общее собрание (или правление, если так сказано в уставе); о решении придёт уведомление.",
                "The general meeting decides on admission (or the board, where the charter says so); you will be notified.",
            )),
        None => {
            let refused = APPLICATIONS
                .query()
                .filter("person_id", Compare::Eq, person)
                .fetch_all()?
                .into_iter()
                .filter(|d| d.data.status == crate::model::ApplicationStatus::Refused)
                .max_by_key(|d| d.data.at);
            let mut section = section.paragraph(tr(
                "Члены товарищества голосуют на общем собрании по всем вопросам. Собственники без членства платят те же взносы и голосуют только по вопросам общего имущества и платежей.",
                "Members vote at the general meeting on every question. Owners who are not members pay the same dues and vote only on common property and payments.",
            ));
            if let Some(refused) = refused
                && let Some(reason) = refused.data.refusal
            {
                section = section.notice(
                    Tone::Warning,
                    format!(
                        "{} {}: {}",
                        tr("В приёме отказано", "Admission refused on"),
                        refused.data.decided_on.map(date_text).unwrap_or_default(),
                        reason.label()
                    ),
                );
            }
            section.links([Link::to(
                "apply",
                tr("Подать заявление о вступлении", "Apply for membership"),
            )])
        }
    })
}

fn plots_section(plots: &[String], today: Date) -> Result<Section> {
    let mut rows = Vec::new();
    for plot in plots {
        let ledgers = accounts::plot_ledgers(plot, today)?;
        let owed = Kopecks::checked_sum(
            ledgers
                .iter()
                .map(|l| l.position.balance.max(Kopecks::ZERO)),
        )
        .unwrap_or(Kopecks::ZERO);
        let overdue = Kopecks::checked_sum(ledgers.iter().map(|l| l.position.overdue))
            .unwrap_or(Kopecks::ZERO);
        let next = ledgers.iter().filter_map(|l| l.position.next_due).min();
        rows.push(
            Row::new([
                Cell::from(Link::to(
                    format!("plot/{plot}"),
                    format!("{} {plot}", tr("Участок", "Plot")),
                )),
                Cell::from(owed),
                if overdue > Kopecks::ZERO {
                    Cell::from(Badge::new(tr("просрочено", "overdue"), Tone::Danger))
                } else {
                    Cell::from(next)
                },
            ])
            .tone(if overdue > Kopecks::ZERO {
                Tone::Danger
            } else {
                Tone::Neutral
            }),
        );
    }
    Ok(Section::titled(tr("Мои участки", "My plots")).table(
        Table::new([
            Column::text(tr("Участок", "Plot")),
            Column::numeric(tr("К оплате", "To pay")),
            Column::text(tr("Срок", "Due")),
        ])
        .rows(rows),
    ))
}

fn board_section(today: Date) -> Result<Section> {
    let records = access::all_records()?;
    let members = records
        .iter()
        .filter(|r| r.data.standing == Standing::Member)
        .count();
    let owners = records
        .iter()
        .filter(|r| r.data.standing == Standing::Owner)
        .count();
    let waiting = APPLICATIONS
        .query()
        .in_community(&ctx::community())
        .filter("status", Compare::Eq, "submitted")
        .count()?;
    let debts = accounts::debts(today)?;
    let overdue = Kopecks::checked_sum(debts.iter().map(|d| d.overdue)).unwrap_or(Kopecks::ZERO);
    let count = |n: usize| Cell::from(i64::try_from(n).unwrap_or(i64::MAX));
    Ok(Section::titled(tr("Правление", "Board"))
        .stats([
            Stat::new(tr("Членов", "Members"), count(members)),
            Stat::new(
                tr("Собственников без членства", "Non-member owners"),
                count(owners),
            ),
            Stat::new(tr("Участков", "Plots"), count(access::plots().len())),
            Stat::new(
                tr("Заявлений ждут", "Applications waiting"),
                Cell::from(i64::try_from(waiting).unwrap_or(i64::MAX)),
            )
            .tone(if waiting > 0 {
                Tone::Warning
            } else {
                Tone::Neutral
            }),
            Stat::new(tr("Просрочено", "Overdue"), overdue).tone(if overdue > Kopecks::ZERO {
                Tone::Danger
            } else {
                Tone::Success
            }),
        ])
        .links([
            Link::to("register", tr("Реестр членов и собственников", "Register")),
            Link::to("applications", tr("Заявления о вступлении", "Applications")),
            Link::to("estimates", tr("Сметы и ФЭО", "Estimates")),
            Link::to("payments", tr("Платежи", "Payments")),
            Link::to("debts", tr("Долги и напоминания", "Debts and reminders")),
            Link::to("electricity", tr("Электроэнергия", "Electricity")),
            Link::to("plots", tr("Участки", "Plots")),
            Link::to("documents", tr("Документы", "Documents")),
            Link::to("copies", tr("Запросы копий", "Copy requests")),
            Link::to(
                "certificates",
                tr("Справки о продукции", "Produce certificates"),
            ),
            Link::to(
                "notices",
                tr("Объявления и оповещения", "Announcements and alerts"),
            ),
        ]))
}
