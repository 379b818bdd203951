//! The board's money pages: payments (by hand, from a bill's QR code, the bank's registry),
//! penalties where the charter sets them, debts with reminders, and the debtor list for
//! publication — plot numbers and amounts only.

use dvor_sdk::prelude::*;

use super::register::problems_outcome;
use super::{board_only, date_field, file_field, home_link, money_field, text};
use crate::access::{self, Viewer};
use crate::accounts;
use crate::ledgers;
use crate::model::{PaymentWay, Settings};
use crate::show::date_text;

pub(super) fn payments_page() -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let today = ctx::today()?;
    let settings = Settings::load()?;
    let recent = crate::model::LEDGER
        .query()
        .in_community(&ctx::community())
        .filter("entry", Compare::Eq, "payment")
        .order_by("date", Direction::Desc)
        .limit(30)
        .fetch()?;
    let mut page = Page::new(tr("Платежи", "Payments"))
        .breadcrumb(home_link())
        .section(
            Section::titled(tr("Платёж по QR-коду квитанции", "A payment by the bill's QR code"))
                .paragraph(tr(
                    "Член принёс квитанцию или показывает QR-код на телефоне: отсканируйте его — участок, счёт и сумма возьмутся из кода.",
                    "A member brings the bill or shows its QR code: scan it — the plot, ledger and sum come from the code.",
                ))
                .form(
                    Form::new("scan", tr("Внести", "Record"))
                        .field(Field::scan("qr", tr("QR-код квитанции", "The bill's QR code")).required())
                        .field(Field::date("date", tr("Дата оплаты", "Paid on")).required().day_value(today))
                        .field(
                            Field::text("reference", tr("Номер квитанции", "Receipt number"))
                                .required()
                                .max_length(80),
                        ),
                ),
        )
        .section(
            Section::titled(tr("Платёж вручную", "A payment by hand")).form(
                Form::new("pay", tr("Внести", "Record"))
                    .field(
                        Field::text("account", tr("Лицевой счёт", "Account"))
                            .required()
                            .max_length(40)
                            .help(tr(
                                "участок-вид: 45-Ч членские, 45-Ц1 целевые, 45-Э электроэнергия, 45-П пени",
                                "plot-ledger: 45-Ч membership, 45-Ц1 target, 45-Э electricity, 45-П penalties",
                            )),
                    )
                    .field(Field::money("amount", tr("Сумма", "Amount")).required())
                    .field(Field::date("date", tr("Дата оплаты", "Paid on")).required().day_value(today))
                    .field(Field::text("reference", tr("Номер квитанции или платежа", "Reference")).max_length(80))
                    .field(Field::text("payer", tr("Плательщик", "Payer")).max_length(200)),
            ),
        )
        .section(
            Section::titled(tr("Реестр платежей банка", "The bank's registry"))
                .paragraph(tr(
                    "CSV: номер платежа; дата; сумма; лицевой счёт; плательщик; назначение. Загружается всё или ничего; платёж, уже внесённый с тем же номером, не задваивается.",
                    "CSV: reference; date; amount; account; payer; purpose. All or nothing; a payment already recorded with the same reference is not doubled.",
                ))
                .form(
                    Form::new("registry", tr("Загрузить", "Import")).field(
                        Field::file("file", tr("Файл реестра (CSV)", "Registry file (CSV)"), ["text/csv"])
                            .required(),
                    ),
                ),
        );
    if settings.penalties.is_set() {
        let through = accounts::penalties_through()?;
        page = page.section(
            Section::titled(tr("Пени по уставу", "Penalties under the charter"))
                .paragraph(match through {
                    Some(d) => {
                        format!("{} {}", tr("Начислены по", "Charged through"), date_text(d))
                    }
                    None => tr("Ещё не начислялись", "Not charged yet").to_owned(),
                })
                .form(
                    Form::new("penalties", tr("Начислить пени", "Charge penalties"))
                        .field(
                            Field::date("through", tr("По дату", "Through"))
                                .required()
                                .day_value(today),
                        )
                        .confirm(tr(
                            "Начислить пени на просроченные взносы?",
                            "Charge penalties on overdue dues?",
                        )),
                ),
        );
    }
    page = page.section(
        Section::titled(tr("Последние платежи", "Latest payments")).table(
            Table::new([
                Column::text(tr("Дата", "Date")),
                Column::text(tr("Счёт", "Account")),
                Column::numeric(tr("Сумма", "Amount")),
                Column::text(tr("Номер", "Reference")),
            ])
            .rows(recent.docs.iter().map(|d| {
                Row::new([
                    Cell::from(d.data.date),
                    Cell::from(Link::to(
                        format!("plot/{}", d.data.plot),
                        d.data.account.clone(),
                    )),
                    Cell::from(Kopecks(-d.data.amount.0)),
                    Cell::from(d.data.reference.clone()),
                ])
            }))
            .empty_text(tr("Платежей ещё нет", "No payments yet")),
        ),
    );
    Ok(page)
}

pub(super) fn debts_page() -> Result<Page> {
    if !access::is_board() {
        return Err(board_only());
    }
    let today = ctx::today()?;
    let debts = accounts::debts(today)?;
    let overdue = Kopecks::checked_sum(debts.iter().map(|d| d.overdue)).unwrap_or(Kopecks::ZERO);
    let owed = Kopecks::checked_sum(debts.iter().map(|d| d.balance)).unwrap_or(Kopecks::ZERO);
    Ok(Page::new(tr("Долги", "Debts"))
        .breadcrumb(home_link())
        .section(
            Section::untitled()
                .stats([
                    Stat::new(tr("Начислено и не оплачено", "Owed"), owed),
                    Stat::new(tr("Из них просрочено", "Of it overdue"), overdue).tone(
                        if overdue > Kopecks::ZERO {
                            Tone::Danger
                        } else {
                            Tone::Success
                        },
                    ),
                ])
                .table(
                    Table::new([
                        Column::text(tr("Участок", "Plot")),
                        Column::text(tr("Счёт", "Ledger")),
                        Column::numeric(tr("Долг", "Owed")),
                        Column::numeric(tr("Просрочено", "Overdue")),
                        Column::text(tr("С", "Since")),
                    ])
                    .rows(debts.iter().map(|d| {
                        Row::new([
                            Cell::from(Link::to(format!("plot/{}", d.plot), d.plot.clone())),
                            Cell::from(d.name.clone()),
                            Cell::from(d.balance),
                            Cell::from(d.overdue),
                            Cell::from(d.since),
                        ])
                        .tone(if d.overdue > Kopecks::ZERO {
                            Tone::Danger
                        } else {
                            Tone::Neutral
                        })
                    }))
                    .empty_text(tr("Долгов нет", "No debts")),
                )
                .buttons([Button::action(
                    "remind",
                    tr("Напомнить должникам", "Remind the debtors"),
                )
                .primary()
                .confirm(tr(
                    "Отправить напоминание всем с просроченными платежами?",
                    "Remind everyone with overdue payments?",
                ))])
                .links([Link::to(
                    "debtors",
                    tr("Список для публикации", "The list to publish"),
                )]),
        ))
}

pub(super) fn debtors_page() -> Result<Page> {
    let viewer = Viewer::of_call()?;
    if !viewer.reads_documents() {
        return Err(viewer.refusal());
    }
    let today = ctx::today()?;
    let settings = Settings::load()?;
    let list = accounts::debtor_list(today, &settings)?;
    Ok(Page::new(format!(
        "{} {}",
        tr("Должники на", "Debtors as of"),
        date_text(today)
    ))
    .breadcrumb(home_link())
    .section(
        Section::untitled()
            .paragraph(format!(
                "{} {} {}",
                tr(
                    "Участки с просроченными взносами и платежами (не меньше",
                    "Plots with overdue dues and payments (at least"
                ),
                settings.debtor_list.min_amount,
                tr(
                    "). Без имён и адресов: список можно вывешивать.",
                    "). No names or addresses: the list may be posted."
                ),
            ))
            .table(
                Table::new([
                    Column::text(tr("Участок", "Plot")),
                    Column::numeric(tr("Долг", "Owed")),
                ])
                .rows(
                    list.iter()
                        .map(|d| Row::new([Cell::from(d.plot.clone()), Cell::from(d.amount)])),
                )
                .empty_text(tr("Должников нет", "No debtors")),
            ),
    ))
}

pub(super) fn act(route: &[&str], action: &str, form: &Params) -> Result<ActionOutcome> {
    if !access::is_board() {
        return Err(board_only());
    }
    let records = access::all_records()?;
    let recorded = |new: bool| {
        if new {
            tr("Платёж внесён", "Payment recorded")
        } else {
            tr(
                "Платёж с этим номером уже внесён",
                "a payment with this reference is recorded already",
            )
        }
    };
    match (route, action) {
        (["payments"], "scan") => {
            let (plot, ledger, amount) = accounts::read_qr(text(form, "qr"))?;
            let (_, new) = accounts::record_payment(
                &accounts::NewPayment {
                    plot: plot.clone(),
                    ledger,
                    amount,
                    date: date_field(form, "date")?,
                    reference: Some(text(form, "reference").to_owned()),
                    payer: None,
                    way: PaymentWay::Qr,
                },
                &records,
            )
            .map_err(|e| {
                if e.field.as_deref() == Some("plot") {
                    e.with_field("qr")
                } else {
                    e
                }
            })?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("plot/{plot}"), ""),
                recorded(new),
            ))
        }
        (["payments"], "pay") => {
            let (plot, ledger) = ledgers::parse_account("account", text(form, "account"))?;
            let (_, new) = accounts::record_payment(
                &accounts::NewPayment {
                    plot: plot.clone(),
                    ledger,
                    amount: money_field(form, "amount")?,
                    date: date_field(form, "date")?,
                    reference: Some(text(form, "reference").to_owned()),
                    payer: Some(text(form, "payer").to_owned()).filter(|p| !p.trim().is_empty()),
                    way: PaymentWay::Manual,
                },
                &records,
            )
            .map_err(|e| {
                if e.field.as_deref() == Some("plot") {
                    e.with_field("account")
                } else {
                    e
                }
            })?;
            Ok(ActionOutcome::redirect(
                Link::to(format!("plot/{plot}"), ""),
                recorded(new),
            ))
        }
        (["payments"], "registry") => {
            let Some(file) = file_field(form, "file") else {
                return Err(Error::invalid("file", tr("Выберите файл", "choose a file")));
            };
            let body = dvor_sdk::files::read(&file)?;
            Ok(match accounts::import_registry(&body)? {
                Ok(report) => ActionOutcome::redirect(
                    Link::to("payments", ""),
                    format!(
                        "{}: {} {}, {} {}; {} {}",
                        tr("Реестр загружен", "Registry imported"),
                        tr("платежей", "payments"),
                        report.recorded,
                        tr("на", "for"),
                        report.total,
                        tr("уже были внесены", "already recorded"),
                        report.duplicates
                    ),
                ),
                Err(problems) => problems_outcome("file", &problems),
            })
        }
        (["payments"], "penalties") => {
            let (plots, total) = accounts::charge_penalties(date_field(form, "through")?)?;
            Ok(ActionOutcome::redirect(
                Link::to("payments", ""),
                format!(
                    "{}: {} {plots}, {total}",
                    tr("Пени начислены", "Penalties charged"),
                    tr("участков", "plots")
                ),
            ))
        }
        (["debts"], "remind") => {
            let reminded = accounts::remind(ctx::today()?)?;
            Ok(ActionOutcome::redirect(
                Link::to("debts", ""),
                format!(
                    "{}: {reminded}",
                    tr(
                        "Напоминания отправлены по участкам",
                        "Reminders sent for plots"
                    )
                ),
            ))
        }
        _ => Err(Error::not_found(tr(
            "Нет такого действия",
            "no such action",
        ))),
    }
}
